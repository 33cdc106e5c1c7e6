pub mod actions;
pub mod build;
pub mod check;
pub mod digest;
pub mod init;
pub mod new;
pub mod schema;
pub mod search;
pub mod serve;
pub mod similar;

/// `--format` of the commands that print results: text for people, json for scripts
/// (`--json` is its shorthand).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutFormat {
    Text,
    Json,
}

/// A severity as the front matter takes it (`SEV2`, `sev2`, `2`), as `SEV2`.
pub fn parse_severity(s: &str) -> Result<String, String> {
    coe::new::parse_severity(s).map(|n| format!("SEV{n}"))
}

use std::path::Path;
use std::process::ExitCode;

/// Every command checks its `--root` first: a folder that does not exist is a usage error
/// (exit 2), reported before anything is read or created.
pub fn check_root(root: &Path) -> Result<(), ExitCode> {
    if root.is_dir() {
        return Ok(());
    }
    let what = if root.exists() {
        "is not a folder"
    } else {
        "does not exist"
    };
    coe::errln!(
        "error: the site root {} {what}: expected a folder holding content/ (use --root DIR, or `coe init DIR` to start a library)",
        root.display()
    );
    Err(ExitCode::from(2))
}
