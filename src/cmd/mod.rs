pub mod actions;
pub mod build;
pub mod check;
pub mod digest;
pub mod init;
pub mod new;
pub mod search;
pub mod serve;
pub mod similar;

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
