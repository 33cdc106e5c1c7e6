//! `coe new`

use coe::new::{self, NewOptions};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The COE's title: what failed and how it showed
    title: String,
    /// SEV1 (worst) .. SEV5
    #[arg(long, value_name = "SEVn")]
    severity: Option<String>,
    /// An affected service (repeat for more)
    #[arg(long = "service", value_name = "S")]
    services: Vec<String>,
    /// The day the incident started (default: today, UTC)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = super::build::parse_date)]
    date: Option<jiff::civil::Date>,
    /// Make a COE folder (content/<year>/<id>/index.md): pictures put beside index.md are
    /// published with it
    #[arg(long)]
    folder: bool,
    /// Site root: where content/ is
    #[arg(long, short = 'r', default_value = ".")]
    root: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    if let Err(code) = super::check_root(&args.root) {
        return code;
    }
    let opts = NewOptions {
        root: args.root.clone(),
        title: args.title,
        severity: args.severity,
        services: args.services,
        date: coe::dates::today(args.date),
        folder: args.folder,
    };
    match new::create(&opts) {
        Ok(path) => {
            coe::outln!("{}", path.display());
            coe::errln!(
                "note: the new COE is a draft: `coe build` publishes it once its status is `published` (or with --drafts)"
            );
            if !opts.root.join("coe.toml").exists() {
                coe::errln!(
                    "note: {} has no coe.toml: `coe init` adds one, with a .gitignore and an example COE",
                    opts.root.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            coe::errln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
