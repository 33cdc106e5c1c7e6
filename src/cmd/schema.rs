//! `coe schema`

use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> ExitCode {
    coe::out!("{}", coe::schema::text_form());
    ExitCode::SUCCESS
}
