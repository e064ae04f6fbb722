//! End-to-end tests: the real binary, a temp HOME, a cleared environment, and the
//! project's IAM Identity Center stand-in on 127.0.0.1.
//!
//! They need a Unix machine: a POSIX shell and scripts on `PATH` (the test
//! browser), Unix file modes, signals, a private D-Bus with gnome-keyring, setsid
//! and script. Elsewhere (Windows) the suite is one ignored test that says so;
//! the platform rules themselves are unit tests in the library, which run on every
//! platform (`cargo test --lib`).

#[cfg(not(unix))]
#[test]
#[ignore = "the end-to-end suite needs a Unix machine (POSIX shell scripts on PATH, file modes, signals, D-Bus); the library's unit tests cover the platform rules"]
fn end_to_end_suite_needs_unix() {}

#[cfg(unix)]
mod beyond;
#[cfg(unix)]
mod commands;
#[cfg(unix)]
mod compat;
#[cfg(unix)]
mod concurrency;
#[cfg(unix)]
mod config_diff;
#[cfg(unix)]
mod config_errors;
#[cfg(unix)]
mod configure;
#[cfg(unix)]
mod credentials;
#[cfg(unix)]
mod docs;
#[cfg(unix)]
mod doctor;
#[cfg(unix)]
mod hints;
#[cfg(unix)]
mod home_diff;
#[cfg(unix)]
mod hostile;
#[cfg(unix)]
mod keychain;
#[cfg(unix)]
mod process_line_diff;
#[cfg(unix)]
mod real_browser;
#[cfg(unix)]
mod soak;
#[cfg(unix)]
mod support;
#[cfg(unix)]
mod terminal;
#[cfg(unix)]
mod writers;
