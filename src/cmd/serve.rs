//! `coe serve`

use coe::serve::{self, ServeOptions};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Site root: holds content/, and optionally coe.toml, templates/, static/, themes/
    #[arg(long, short = 'r', default_value = ".")]
    root: PathBuf,
    /// Port to listen on, or the next free one (0: any free port)
    #[arg(long, short = 'p', default_value_t = 1111)]
    port: u16,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Serve draft and in-review COEs too
    #[arg(long)]
    drafts: bool,
    /// Open the site in a browser
    #[arg(long)]
    open: bool,
}

pub fn run(args: Args) -> ExitCode {
    if let Err(code) = super::check_root(&args.root) {
        return code;
    }
    let opts = ServeOptions {
        root: args.root,
        bind: args.bind,
        port: args.port,
        drafts: args.drafts,
        open: args.open,
    };
    match serve::run(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            coe::errln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
