//! End-to-end tests: the real binary, a temp HOME, a cleared environment, and the
//! project's IAM Identity Center stand-in on 127.0.0.1.

mod beyond;
mod commands;
mod compat;
mod concurrency;
mod config_diff;
mod config_errors;
mod configure;
mod credentials;
mod docs;
mod doctor;
mod hints;
mod hostile;
mod keychain;
mod real_browser;
mod soak;
mod support;
mod terminal;
mod writers;
