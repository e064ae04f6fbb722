fn main() -> std::process::ExitCode {
    sso_helper::main()
}
