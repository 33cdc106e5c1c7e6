//! `coe search`: ranked COEs for a query, from the terminal.

use coe::search::query::{self, Options};
use coe::site::open::ask;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Words, "exact phrases", -excluded words, field:value (tag, service, root_cause, team, severity, year)
    #[arg(required = true, num_args = 1..)]
    query: Vec<String>,
    /// Only COEs with this tag (repeat for any of several)
    #[arg(long)]
    tag: Vec<String>,
    /// Only COEs of this service (repeat for any of several)
    #[arg(long)]
    service: Vec<String>,
    /// Only COEs with this root cause (repeat for any of several)
    #[arg(long = "root-cause")]
    root_cause: Vec<String>,
    /// Only COEs of this team (repeat for any of several)
    #[arg(long)]
    team: Vec<String>,
    /// Only COEs of this severity: SEV1..SEV5 (repeat for any of several)
    #[arg(long, value_parser = super::parse_severity)]
    severity: Vec<String>,
    /// Only COEs that started on or after this date
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = super::build::parse_date)]
    since: Option<jiff::civil::Date>,
    /// Only COEs that started on or before this date
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = super::build::parse_date)]
    until: Option<jiff::civil::Date>,
    /// How many results to show
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = super::OutFormat::Text)]
    format: super::OutFormat,
    /// Print one JSON object (--format json)
    #[arg(long)]
    json: bool,
    /// Site root
    #[arg(long, short = 'r', default_value = ".")]
    root: PathBuf,
}

/// Lets `-word` exclusions stand anywhere in a `coe search` command line: known flags (and
/// their values) go first, every other argument after `--`, as a query word.
pub fn reorder_args(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let Some(pos) = args.iter().position(|a| a == "search") else {
        return args;
    };
    const WITH_VALUE: [&str; 11] = [
        "--tag",
        "--service",
        "--root-cause",
        "--team",
        "--severity",
        "--since",
        "--until",
        "--limit",
        "--root",
        "-r",
        "--format",
    ];
    const ALONE: [&str; 4] = ["--json", "--help", "-h", "--"];
    let mut flags = Vec::new();
    let mut words = Vec::new();
    let mut rest = args[pos + 1..].iter();
    while let Some(a) = rest.next() {
        let s = a.to_string_lossy();
        let name = s.split('=').next().unwrap_or("");
        if WITH_VALUE.contains(&name) {
            flags.push(a.clone());
            if !s.contains('=')
                && let Some(v) = rest.next()
            {
                flags.push(v.clone());
            }
        } else if s == "--" {
            words.extend(rest.by_ref().cloned());
        } else if ALONE.contains(&name) {
            flags.push(a.clone());
        } else {
            words.push(a.clone());
        }
    }
    let mut out: Vec<std::ffi::OsString> = args[..=pos].to_vec();
    out.extend(flags);
    if !words.is_empty() {
        out.push("--".into());
        out.extend(words);
    }
    out
}

pub fn run(args: Args) -> ExitCode {
    if let Err(code) = super::check_root(&args.root) {
        return code;
    }
    // A search touches a few MB: zeroing 2 MB transparent huge pages for it (mimalloc asks for
    // them) cost ~2 ms of CPU and, when two threads started at once, up to 6 ms of waiting.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    let q = args.query.join(" ");
    let mut filters = Vec::new();
    for (root, values) in [
        ("tag", &args.tag),
        ("service", &args.service),
        ("root_cause", &args.root_cause),
        ("team", &args.team),
        ("severity", &args.severity),
    ] {
        for v in values {
            let slug = if root == "severity" {
                query::severity_slug(v)
            } else {
                coe::slug::slugify(v)
            };
            filters.push((root.to_owned(), slug));
        }
    }
    let (config, _) = coe::config::load(&args.root);
    let base = if config.base_url.is_empty() {
        String::new()
    } else {
        format!("{}/", config.base_url.trim_end_matches('/'))
    };
    let opts = Options {
        filters,
        since: args.since,
        until: args.until,
        limit: args.limit,
        synonyms: config.search.synonym_groups(),
    };
    let asked = ask(&args.root, false, |o| {
        query::search(&o.index, &o.fields, &q, &opts, &base)
            .map_err(|e| format!("search failed: {e}"))
    });
    let (results, opened, diags) = match asked {
        Ok(answered) => answered,
        Err(e) => {
            coe::errln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        coe::errln!(
            "warning: {errors} COE file(s) have errors and are not searched (run `coe build` to see them)"
        );
    }
    if opened.rebuilt && !(args.json || args.format == super::OutFormat::Json) {
        coe::errln!("(search index rebuilt)");
    }
    if args.json || args.format == super::OutFormat::Json {
        match serde_json::to_string_pretty(&results) {
            Ok(s) => coe::outln!("{s}"),
            Err(e) => {
                coe::errln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
        return ExitCode::SUCCESS;
    }
    for note in &results.notes {
        coe::errln!("note: {note}");
    }
    // Bold titles only on a terminal, and never with NO_COLOR set (https://no-color.org).
    let tty = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    coe::outln!(
        "{} {} \"{}\"",
        results.total,
        if results.total == 1 {
            "COE matches"
        } else {
            "COEs match"
        },
        results.query
    );
    for (n, h) in results.hits.iter().enumerate() {
        coe::outln!();
        let title = if tty {
            format!("\x1b[1m{}\x1b[0m", h.title)
        } else {
            h.title.clone()
        };
        coe::outln!(
            "{:>2}. {}  {}  {:<7} {}",
            n + 1,
            h.id,
            h.date,
            h.severity,
            title
        );
        if !h.snippet_plain.is_empty() {
            coe::outln!("    {}", h.snippet_plain);
        }
    }
    let facet_lines: Vec<String> = results
        .facets
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            format!(
                "  {k}: {}",
                v.iter()
                    .map(|f| format!("{} ({})", f.value, f.count))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    if !facet_lines.is_empty() && !results.hits.is_empty() {
        coe::outln!("\nFacets:");
        for l in facet_lines {
            coe::outln!("{l}");
        }
    }
    ExitCode::SUCCESS
}
