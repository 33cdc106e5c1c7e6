//! `coe init`

use coe::init::{self, Deploy};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The folder to start the library in (created if missing; must not hold one already)
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Also write a deploy file: netlify.toml, a GitHub Pages workflow or a GitLab Pages job
    #[arg(long, value_enum)]
    deploy: Option<Deploy>,
}

pub fn run(args: Args) -> ExitCode {
    match init::create(&args.dir, args.deploy, coe::dates::today(None)) {
        Ok(files) => {
            for f in &files {
                coe::outln!("{}", args.dir.join(f).display());
            }
            let dir = args.dir.display();
            coe::errln!(
                "started a COE library in {dir}. Next: `cd {dir}`, `coe new \"Title\"` for a COE, `coe serve` to see the site, `coe build` to publish it into public/"
            );
            if args.deploy.is_some() {
                coe::errln!(
                    "the deploy file installs coe with `cargo install --git {}`: edit it if your team keeps coe elsewhere",
                    init::GIT_URL
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
