//! `coe check [PATH...]`: lint COEs; exit 1 on errors (or warnings with --strict; suggestions
//! never fail), 2 on usage.

use coe::lint::{self, Finding, Settings, report};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// COE files or folders to check (default: <root>/content)
    paths: Vec<PathBuf>,
    /// Site root: holds content/ and coe.toml (with the [lint.rules] settings)
    #[arg(long, short = 'r', default_value = ".")]
    root: PathBuf,
    /// Output: text for people, json for tools, github for workflow annotations
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Fail (exit 1) on warnings too
    #[arg(long)]
    strict: bool,
    /// The date to treat as today (overdue action items)
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = super::build::parse_date)]
    today: Option<jiff::civil::Date>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Github,
}

/// A file to check: where it is, its path relative to content/, and how it is shown.
struct Target {
    path: PathBuf,
    source: String,
    display: String,
}

pub fn run(args: Args) -> ExitCode {
    if let Err(code) = super::check_root(&args.root) {
        return code;
    }
    let today = coe::dates::today(args.today);
    let (settings, mut findings) = settings(&args.root);
    let targets = match targets(&args) {
        Ok(t) => t,
        Err(message) => {
            coe::errln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    for t in &targets {
        match std::fs::read(&t.path) {
            Ok(bytes) => findings.extend(lint::check_bytes(
                &bytes, &t.source, &t.display, &settings, today,
            )),
            Err(e) => findings.push(Finding {
                file: t.display.clone(),
                line: 1,
                column: 1,
                rule: "parse",
                severity: lint::Severity::Error,
                message: format!("cannot read file: {e}"),
                hint: "check the file's permissions".to_owned(),
            }),
        }
    }
    // Checking the whole library: also what only the set of COEs shows (two COEs with one id,
    // a `related` id no COE has), as `coe build` reports it.
    if args.paths.is_empty() {
        let shown: std::collections::HashMap<String, &str> = targets
            .iter()
            .map(|t| (format!("content/{}", t.source), t.display.as_str()))
            .collect();
        findings.extend(
            library_findings(&args.root, today)
                .into_iter()
                .map(|mut f| {
                    // Named as the file's other findings are.
                    if let Some(display) = shown.get(&f.file) {
                        f.file = (*display).to_owned();
                    }
                    f
                }),
        );
    }
    lint::sort(&mut findings);
    match args.format {
        Format::Text => coe::out!("{}", report::text(&findings, targets.len())),
        Format::Json => coe::outln!("{}", report::json(&findings)),
        Format::Github => {
            coe::out!("{}", report::github(&findings));
            coe::errln!("{}", report::summary(&findings, targets.len()));
        }
    }
    let errors = report::count(&findings, lint::Severity::Error);
    let warnings = report::count(&findings, lint::Severity::Warning);
    let failed = errors > 0 || (args.strict && warnings > 0);
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `[lint]` of `<root>/coe.toml`; a broken file is a `config` finding and the defaults apply.
fn settings(root: &Path) -> (Settings, Vec<Finding>) {
    let (config, diags) = coe::config::load(root);
    let mut findings: Vec<Finding> = diags
        .iter()
        .filter(|d| d.is_error())
        .map(|d| Finding {
            file: shown(root, "coe.toml"),
            line: d.line.max(1),
            column: d.column.max(1),
            rule: "config",
            severity: lint::Severity::Error,
            message: d.message.clone(),
            hint: "fix coe.toml; docs/lint.md shows the [lint.rules] settings".to_owned(),
        })
        .collect();
    let text = std::fs::read_to_string(root.join("coe.toml")).unwrap_or_default();
    let (settings, more) = Settings::from_config(&config.lint, &text, &shown(root, "coe.toml"));
    findings.extend(more);
    (settings, findings)
}

/// `rel` under the root as the user would type it (`content/x.md` when the root is `.`).
fn shown(root: &Path, rel: &str) -> String {
    if root == Path::new(".") || root.as_os_str().is_empty() {
        rel.to_owned()
    } else {
        format!("{}/{rel}", root.display().to_string().trim_end_matches('/'))
    }
}

fn targets(args: &Args) -> Result<Vec<Target>, String> {
    let content = args.root.join("content");
    let mut out = Vec::new();
    let mut diags = Vec::new();
    if args.paths.is_empty() {
        if !content.is_dir() {
            return Err(format!(
                "no content folder at {}: give COE files or folders to check, or --root",
                content.display()
            ));
        }
        for (path, rel) in coe::load::find_files(&content, &mut diags) {
            out.push(Target {
                path,
                display: shown(&args.root, &format!("content/{rel}")),
                source: rel,
            });
        }
    }
    for given in &args.paths {
        if given.is_dir() {
            let files = coe::load::find_files(given, &mut diags);
            for (path, rel) in files {
                let display = format!(
                    "{}/{rel}",
                    given.display().to_string().trim_end_matches('/')
                );
                out.push(Target {
                    source: source_of(&content, &path),
                    display,
                    path,
                });
            }
        } else if given.is_file() {
            out.push(Target {
                source: source_of(&content, given),
                display: given.display().to_string(),
                path: given.clone(),
            });
        } else {
            return Err(format!("{}: no such file or folder", given.display()));
        }
    }
    if let Some(d) = diags.first() {
        return Err(d.to_string());
    }
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out.dedup_by(|a, b| a.display == b.display);
    Ok(out)
}

/// The path relative to content/ when the file is in it, else its file name: the file name
/// gives a COE its default id and date.
fn source_of(content: &Path, path: &Path) -> String {
    let absolute = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (content, path) = (absolute(content), absolute(path));
    let rel = path
        .strip_prefix(&content)
        .unwrap_or_else(|_| Path::new(path.file_name().unwrap_or(path.as_os_str())));
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The library's own diagnostics (duplicate ids, unknown related COEs, broken links between
/// COEs), drafts included, as findings of the rule `library`.
fn library_findings(root: &Path, today: jiff::civil::Date) -> Vec<Finding> {
    let (coes, _parse_diagnostics) = coe::load::load_all(&root.join("content"));
    let (_, diags) = coe::library::Library::build(coes, true, today);
    diags
        .into_iter()
        .map(|d| Finding {
            file: d.path.clone(),
            line: d.line.max(1),
            column: d.column.max(1),
            rule: "library",
            severity: if d.is_error() {
                lint::Severity::Error
            } else {
                lint::Severity::Warning
            },
            message: d.message,
            hint: "see docs/format.md#links-between-coes".to_owned(),
        })
        .collect()
}
