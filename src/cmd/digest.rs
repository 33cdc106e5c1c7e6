//! `coe digest`: one week's digest on stdout, for chat (Markdown), e-mail (HTML) or tools (JSON).

use super::build::{parse_base_url, parse_date};
use coe::digest;
use coe::library::weeks::IsoWeek;
use coe::search::EARLIER_PER_COE;
use coe::site::open::{load_library, similarity};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Md,
    Html,
    Json,
}

#[derive(clap::Args)]
pub struct Args {
    /// ISO week, e.g. 2026-W14 (default: the last complete week)
    #[arg(long, value_name = "YYYY-Www", value_parser = IsoWeek::parse)]
    week: Option<IsoWeek>,
    #[arg(long, value_enum, default_value = "md")]
    format: Format,
    /// The date to treat as today (which week is the last complete one, overdue items)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    today: Option<jiff::civil::Date>,
    /// The site's address, for the links in Markdown and HTML (default: base_url in coe.toml)
    #[arg(long, short = 'u', value_name = "URL", value_parser = parse_base_url)]
    base_url: Option<String>,
    /// Site root
    #[arg(long, short = 'r', default_value = ".")]
    root: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    if let Err(code) = super::check_root(&args.root) {
        return code;
    }
    // The content's stamp, taken before reading it, for the similar COEs' index.
    let fingerprint = coe::search::store::fingerprint(&args.root, false);
    let (lib, diags) = load_library(&args.root, false, args.today);
    for d in diags.iter().filter(|d| d.is_error()) {
        coe::errln!("{d} (left out of the digest)");
    }
    let (mut config, cdiags) = coe::config::load(&args.root);
    for d in &cdiags {
        coe::errln!("{d}");
    }
    if let Some(url) = args.base_url {
        config.base_url = url;
    }
    let week = args.week.unwrap_or_else(|| digest::default_week(lib.today));
    let in_week = lib.weeks.get(&week).cloned().unwrap_or_default();
    // Similar COEs are only needed for this week's COEs.
    let sim = if in_week.is_empty() {
        None
    } else {
        match similarity(&args.root, &lib, &fingerprint) {
            Ok(s) => Some(s),
            Err(e) => {
                coe::errln!("warning: {e}: digest without \"this happened before\"");
                None
            }
        }
    };
    let earlier = |i: usize| {
        sim.as_ref()
            .map(|s| s.earlier_than(&lib, i, EARLIER_PER_COE))
            .unwrap_or_default()
    };
    let d = digest::build(&lib, week, &earlier, &Default::default());
    let text = match args.format {
        Format::Md => digest::markdown::render(&d, &config.title, &config.base_url),
        Format::Json => match serde_json::to_string_pretty(&d) {
            Ok(s) => s + "\n",
            Err(e) => {
                coe::errln!("error: {e}");
                return ExitCode::FAILURE;
            }
        },
        Format::Html => match coe::render::digest_email(&args.root, &config, lib.today, &d) {
            Ok(s) => s,
            Err(diags) => {
                for d in diags {
                    coe::errln!("{d}");
                }
                return ExitCode::FAILURE;
            }
        },
    };
    coe::out!("{text}");
    if in_week.is_empty() {
        coe::errln!("no COE was published in {week} ({} to {})", d.from, d.to);
    }
    ExitCode::SUCCESS
}
