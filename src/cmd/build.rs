//! `coe build`

use coe::diag::Level;
use coe::site::{self, BuildOptions};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Site root: holds content/, and optionally coe.toml, templates/, static/, themes/
    #[arg(long, short = 'r', default_value = ".")]
    root: PathBuf,
    /// Output folder (default: <root>/public)
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// Publish draft and in-review COEs too
    #[arg(long)]
    drafts: bool,
    /// The date to treat as today (overdue action items, reproducible builds)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    today: Option<jiff::civil::Date>,
    /// Absolute URL the site is served from (for feeds and the sitemap)
    #[arg(long, short = 'u', value_name = "URL", value_parser = parse_base_url)]
    base_url: Option<String>,
    /// Print the time spent in each stage, and every warning
    #[arg(long, short)]
    verbose: bool,
}

/// An absolute URL (`https://coe.example.com/`, `http://localhost:8080/sub/`): feeds and the
/// sitemap need one.
pub fn parse_base_url(s: &str) -> Result<String, String> {
    let absolute = s.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
            && rest.split('/').next().is_some_and(|host| !host.is_empty())
            && !rest.contains(char::is_whitespace)
    });
    if absolute {
        Ok(s.to_owned())
    } else {
        Err("expected an absolute URL such as https://coe.example.com/".to_owned())
    }
}

/// The section of the format reference (`docs/format.md`) that explains a problem in a COE.
fn format_section(d: &coe::diag::Diagnostic) -> Option<&'static str> {
    if !d.path.starts_with("content/") {
        return None;
    }
    coe::content::docs::section_for(&d.message)
}

/// "1 COE", "17 COEs".
pub fn coes(n: usize) -> String {
    if n == 1 {
        "1 COE".to_owned()
    } else {
        format!("{n} COEs")
    }
}

pub fn parse_date(s: &str) -> Result<jiff::civil::Date, String> {
    coe::content::time::parse_date(s)
}

pub fn run(args: Args) -> ExitCode {
    if let Err(code) = super::check_root(&args.root) {
        return code;
    }
    let opts = BuildOptions {
        root: args.root,
        output: args.output,
        drafts: args.drafts,
        today: args.today,
        base_url: args.base_url,
    };
    let started = std::time::Instant::now();
    let mut report = site::build(&opts);
    // The parse cache was written while the site was built; make sure it is in place. Its time
    // (spent in the background) is shown with the stages.
    if let Some(t) = report.parse_cache_write.take().and_then(|w| w.wait()) {
        report.stages.push(("parse cache", t));
    }
    let errors = report
        .diagnostics
        .iter()
        .filter(|d| d.level == Level::Error)
        .count();
    let warnings = report.diagnostics.len() - errors;
    const SHOWN_WARNINGS: usize = 20;
    let mut shown = 0;
    for d in &report.diagnostics {
        if d.level == Level::Warning {
            shown += 1;
            if !args.verbose && shown > SHOWN_WARNINGS {
                continue;
            }
        }
        coe::errln!("{d}");
        if let Some(section) = format_section(d) {
            coe::errln!("    see docs/format.md#{section}");
        }
    }
    if !args.verbose && warnings > SHOWN_WARNINGS {
        coe::errln!(
            "... and {} more warnings (--verbose shows them all)",
            warnings - SHOWN_WARNINGS
        );
    }
    if args.verbose {
        for (stage, t) in &report.stages {
            coe::errln!("  {stage:<14} {:>8.1} ms", t.as_secs_f64() * 1000.0);
        }
    }
    if errors > 0 {
        coe::errln!(
            "build failed: {errors} error{}, {warnings} warning{}; {} left unchanged",
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
            report.output.display()
        );
        return ExitCode::FAILURE;
    }
    let changed = report
        .changed
        .map(|n| format!(", {n} changed"))
        .unwrap_or_default();
    let drafts = match report.drafts_skipped {
        0 => String::new(),
        1 => "; 1 draft or in-review COE not published (--drafts publishes it)".to_owned(),
        n => format!("; {n} draft or in-review COEs not published (--drafts publishes them)"),
    };
    coe::errln!(
        "built {} into {} ({} files{changed}, {warnings} warning{}{drafts}) in {:.0} ms",
        coes(report.coes),
        report.output.display(),
        report.files,
        if warnings == 1 { "" } else { "s" },
        started.elapsed().as_secs_f64() * 1000.0
    );
    ExitCode::SUCCESS
}
