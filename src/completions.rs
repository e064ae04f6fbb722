//! `sso-helper completions bash|zsh|fish|powershell`: completion scripts made from
//! the command line's own tables (`cli::Command::flags`, `cli::FLAGS`), so they
//! cannot drift from what the binary accepts. They complete commands, flags, the
//! values of flags that take a fixed set, and — asked at completion time through
//! `sso-helper __complete profiles|sso-sessions` — the profile and sso-session
//! names of the user's own config.

use crate::cli::{Command, FLAGS, SHELLS};
use crate::context::Context;

/// One line on what a command does (for shells that show descriptions).
fn summary(c: Command) -> &'static str {
    match c {
        Command::Login => "Sign in now and store the token",
        Command::Logout => "Sign out and delete the session token and credentials",
        Command::List => "The accounts and roles you can reach",
        Command::Configure => "Generate profiles for every account and role",
        Command::Export => "Credentials for a shell or the credentials file",
        Command::Status => "Tokens and cached credentials, and where they are kept",
        Command::Doctor => "Check the config, keychain, endpoints and clock",
        Command::Console => "Open the AWS console as the role of the profile",
        Command::Exec => "Run a command with the credentials of the profile",
        Command::Completions => "Print a shell completion script",
        Command::Credentials | Command::Complete | Command::Man => "",
    }
}

/// The summaries go inside single quotes in every script: none may hold one.
#[cfg(test)]
#[test]
fn summaries_need_no_quoting() {
    for c in Command::ALL {
        assert!(!summary(c).contains(['\'', '"', '\\', '$', '`']), "{c:?}");
    }
}

/// The names the scripts offer for `--profile` and `--sso-session`, from the
/// config file as it is now; nothing when it cannot be read.
pub fn names(ctx: &Context, what: &str) -> Vec<String> {
    let Ok(path) = crate::config::config_path(ctx) else {
        return Vec::new();
    };
    let Ok(config) = crate::config::ConfigFile::load(&path) else {
        return Vec::new();
    };
    match what {
        "profiles" => config.profile_order,
        "sso-sessions" => config.session_order,
        _ => Vec::new(),
    }
}

fn words(items: impl IntoIterator<Item = String>) -> String {
    items.into_iter().collect::<Vec<_>>().join(" ")
}

/// `--flag` for every flag of `c`, with -v and -h.
fn flag_words(c: Command) -> String {
    let mut v: Vec<String> = c.flags().iter().map(|f| format!("--{f}")).collect();
    v.extend(["--verbose".to_string(), "--help".to_string()]);
    v.join(" ")
}

/// Flags whose value is free text (nothing to offer but files).
fn free_value_flags() -> Vec<&'static str> {
    FLAGS
        .iter()
        .filter(|f| f.value.is_some() && f.choices.is_empty())
        .filter(|f| f.name != "profile" && f.name != "sso-session")
        .map(|f| f.name)
        .collect()
}

/// The script for `shell` (one of `cli::SHELLS`).
pub fn script(shell: &str) -> String {
    match shell {
        "bash" => bash(),
        "zsh" => zsh(),
        "fish" => fish(),
        _ => powershell(),
    }
}

fn value_flag_pattern() -> String {
    FLAGS
        .iter()
        .filter(|f| f.value.is_some())
        .map(|f| format!("--{}", f.name))
        .collect::<Vec<_>>()
        .join("|")
}

fn bash() -> String {
    let mut s = String::from(
        "# bash completion for sso-helper (sso-helper completions bash)\n\
         _sso_helper() {\n\
         \x20   local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n\
         \x20   local cmd=\"\" i w\n\
         \x20   for ((i = 1; i < COMP_CWORD; i++)); do\n\
         \x20       w=\"${COMP_WORDS[i]}\"\n\
         \x20       case \"$w\" in\n\
         \x20           --) [[ $cmd == exec ]] && { COMPREPLY=($(compgen -c -- \"$cur\" | sort -u)); return; } ;;\n\
         \x20           -*) ;;\n\
         \x20           *) case \"${COMP_WORDS[i-1]}\" in\n",
    );
    s.push_str(&format!(
        "                   {}) ;;\n                   *) [[ -z $cmd ]] && cmd=\"$w\" ;;\n               esac ;;\n        esac\n    done\n",
        value_flag_pattern()
    ));
    s.push_str(
        "    local IFS=$'\\n'\n    case \"$prev\" in\n        --profile) COMPREPLY=($(compgen -W \"$(sso-helper __complete profiles 2>/dev/null)\" -- \"$cur\")); return ;;\n        --sso-session) COMPREPLY=($(compgen -W \"$(sso-helper __complete sso-sessions 2>/dev/null)\" -- \"$cur\")); return ;;\n",
    );
    for f in FLAGS.iter().filter(|f| !f.choices.is_empty()) {
        s.push_str(&format!(
            "        --{}) COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")); return ;;\n",
            f.name,
            f.choices.join("\n")
        ));
    }
    s.push_str(&format!(
        "        {}) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n    esac\n    IFS=$' \\t\\n'\n    case \"$cmd\" in\n",
        free_value_flags()
            .iter()
            .map(|f| format!("--{f}"))
            .collect::<Vec<_>>()
            .join("|")
    ));
    let commands = words(Command::public().map(|c| c.name().to_string()));
    s.push_str(&format!(
        "        \"\") COMPREPLY=($(compgen -W \"{commands} {}\" -- \"$cur\")) ;;\n",
        flag_words(Command::Credentials)
    ));
    for c in Command::public() {
        let extra = if c == Command::Completions {
            format!(" {}", SHELLS.join(" "))
        } else {
            String::new()
        };
        s.push_str(&format!(
            "        {}) COMPREPLY=($(compgen -W \"{}{extra}\" -- \"$cur\")) ;;\n",
            c.name(),
            flag_words(c)
        ));
    }
    s.push_str("    esac\n}\ncomplete -F _sso_helper sso-helper\n");
    s
}

fn zsh() -> String {
    let mut s = String::from(
        "#compdef sso-helper\n# zsh completion for sso-helper (sso-helper completions zsh)\n\
         _sso_helper() {\n\
         \x20 local cmd='' i w\n\
         \x20 for (( i = 2; i < CURRENT; i++ )); do\n\
         \x20   w=${words[i]}\n\
         \x20   case $w in\n\
         \x20     --) [[ $cmd == exec ]] && { _command_names; return; } ;;\n\
         \x20     -*) ;;\n\
         \x20     *) case ${words[i-1]} in\n",
    );
    s.push_str(&format!(
        "          {}) ;;\n          *) [[ -z $cmd ]] && cmd=$w ;;\n        esac ;;\n    esac\n  done\n",
        FLAGS
            .iter()
            .filter(|f| f.value.is_some())
            .map(|f| format!("--{}", f.name))
            .collect::<Vec<_>>()
            .join("|")
    ));
    s.push_str(
        "  case ${words[CURRENT-1]} in\n    --profile) compadd -- ${(f)\"$(sso-helper __complete profiles 2>/dev/null)\"}; return ;;\n    --sso-session) compadd -- ${(f)\"$(sso-helper __complete sso-sessions 2>/dev/null)\"}; return ;;\n",
    );
    for f in FLAGS.iter().filter(|f| !f.choices.is_empty()) {
        s.push_str(&format!(
            "    --{}) compadd -- {}; return ;;\n",
            f.name,
            f.choices.join(" ")
        ));
    }
    s.push_str(&format!(
        "    {}) _files; return ;;\n  esac\n  case $cmd in\n",
        free_value_flags()
            .iter()
            .map(|f| format!("--{f}"))
            .collect::<Vec<_>>()
            .join("|")
    ));
    s.push_str("    '')\n      local -a commands\n      commands=(\n");
    for c in Command::public() {
        s.push_str(&format!("        '{}:{}'\n", c.name(), summary(c)));
    }
    s.push_str(&format!(
        "      )\n      _describe command commands\n      compadd -- {} ;;\n",
        flag_words(Command::Credentials)
    ));
    for c in Command::public() {
        let extra = if c == Command::Completions {
            format!(" {}", SHELLS.join(" "))
        } else {
            String::new()
        };
        s.push_str(&format!(
            "    {}) compadd -- {}{extra} ;;\n",
            c.name(),
            flag_words(c)
        ));
    }
    s.push_str(
        "  esac\n}\nif [[ ${funcstack[1]} == _sso-helper ]]; then\n  _sso_helper \"$@\"\nelse\n  compdef _sso_helper sso-helper\nfi\n",
    );
    s
}

fn fish() -> String {
    let mut s = String::from(
        "# fish completion for sso-helper (sso-helper completions fish)\ncomplete -c sso-helper -f\n",
    );
    let names = words(Command::public().map(|c| c.name().to_string()));
    for c in Command::public() {
        s.push_str(&format!(
            "complete -c sso-helper -n \"not __fish_seen_subcommand_from {names}\" -a {} -d '{}'\n",
            c.name(),
            summary(c)
        ));
    }
    s.push_str(&format!(
        "complete -c sso-helper -n \"__fish_seen_subcommand_from completions\" -a \"{}\"\n",
        SHELLS.join(" ")
    ));
    for c in Command::ALL
        .into_iter()
        .filter(|c| !c.name().starts_with("__"))
    {
        let condition = if c == Command::Credentials {
            format!("not __fish_seen_subcommand_from {names}")
        } else {
            format!("__fish_seen_subcommand_from {}", c.name())
        };
        for name in c.flags() {
            let f = crate::cli::flag(name).expect("every flag is defined");
            let values = match (f.name, f.value, f.choices) {
                ("profile", _, _) => {
                    " -x -a \"(sso-helper __complete profiles 2>/dev/null)\"".into()
                }
                ("sso-session", _, _) => {
                    " -x -a \"(sso-helper __complete sso-sessions 2>/dev/null)\"".into()
                }
                (_, Some(_), []) => " -r".to_string(),
                (_, Some(_), choices) => format!(" -x -a \"{}\"", choices.join(" ")),
                (_, None, _) => String::new(),
            };
            s.push_str(&format!(
                "complete -c sso-helper -n \"{condition}\" -l {}{values}\n",
                f.name
            ));
        }
    }
    s.push_str("complete -c sso-helper -s v -l verbose -d 'Log each request to stderr'\ncomplete -c sso-helper -s h -l help -d 'Show help'\n");
    s
}

fn powershell() -> String {
    let mut s = String::from(
        "# PowerShell completion for sso-helper (sso-helper completions powershell)\n\
         Register-ArgumentCompleter -Native -CommandName sso-helper -ScriptBlock {\n\
         \x20   param($wordToComplete, $commandAst, $cursorPosition)\n\
         \x20   $words = @($commandAst.CommandElements | ForEach-Object { $_.ToString() })\n\
         \x20   $prev = if ($words.Count -gt 1) { $words[-1] } else { '' }\n\
         \x20   if ($wordToComplete -ne '' -and $words.Count -gt 1) { $prev = $words[-2] }\n\
         \x20   $commands = @(",
    );
    s.push_str(
        &Command::public()
            .map(|c| format!("'{}'", c.name()))
            .collect::<Vec<_>>()
            .join(", "),
    );
    s.push_str(")\n    $cmd = ''\n    foreach ($w in $words[1..($words.Count)]) { if ($commands -contains $w) { $cmd = $w; break } }\n    $candidates = switch ($prev) {\n        '--profile' { @(sso-helper __complete profiles 2>$null) }\n        '--sso-session' { @(sso-helper __complete sso-sessions 2>$null) }\n");
    for f in FLAGS.iter().filter(|f| !f.choices.is_empty()) {
        s.push_str(&format!(
            "        '--{}' {{ @({}) }}\n",
            f.name,
            f.choices
                .iter()
                .map(|c| format!("'{c}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    s.push_str("        default {\n            switch ($cmd) {\n");
    s.push_str(&format!(
        "                '' {{ $commands + @({}) }}\n",
        flag_words(Command::Credentials)
            .split(' ')
            .map(|f| format!("'{f}'"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for c in Command::public() {
        let mut all: Vec<String> = flag_words(c).split(' ').map(str::to_string).collect();
        if c == Command::Completions {
            all.extend(SHELLS.iter().map(|s| s.to_string()));
        }
        s.push_str(&format!(
            "                '{}' {{ @({}) }}\n",
            c.name(),
            all.iter()
                .map(|f| format!("'{f}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    s.push_str(
        "            }\n        }\n    }\n    $candidates | Where-Object { $_ -like \"$wordToComplete*\" } | ForEach-Object {\n        [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)\n    }\n}\n",
    );
    s
}
