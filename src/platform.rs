//! `Platform`: which operating system's rules apply. Rules that differ by platform
//! (how a `credential_process` line splits, keychain entry sizes, renames) take
//! it as a parameter, so each one's Windows and macOS behaviour is tested on any
//! machine; only [`Platform::current`] asks the build.

/// The operating system a platform rule is for. `Linux` stands for Linux and every
/// other Unix but macOS (the BSDs): the Secret Service, POSIX renames, POSIX shell
/// words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Linux,
    MacOs,
    Windows,
}

impl Platform {
    pub const ALL: [Platform; 3] = [Platform::Linux, Platform::MacOs, Platform::Windows];

    /// The platform this binary was built for.
    pub const fn current() -> Platform {
        if cfg!(windows) {
            Platform::Windows
        } else if cfg!(target_os = "macos") {
            Platform::MacOs
        } else {
            Platform::Linux
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Platform;

    #[test]
    fn the_platform_is_the_build_target() {
        let expected = if cfg!(windows) {
            Platform::Windows
        } else if cfg!(target_os = "macos") {
            Platform::MacOs
        } else {
            Platform::Linux
        };
        assert_eq!(Platform::current(), expected);
    }
}
