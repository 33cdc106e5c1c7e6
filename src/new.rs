//! `coe new`: a new draft COE from a template, with the next free id of its year.
//!
//! The template is plain text with `{{ name }}` placeholders (not Tera): the built-in one below,
//! or the site's `templates/new.md` (or the theme's). Placeholders ready to follow `key: ` in
//! the front matter: `{{ title }}` (a quoted YAML string), `{{ id }}`, `{{ date }}`,
//! `{{ severity }}`, `{{ services }}` (a YAML flow list); for the body: `{{ title_text }}`.

use crate::content::front_matter;
use crate::diag::Diagnostic;
use jiff::civil::Date;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The built-in template. Every guiding question is a `<!-- coe: ... -->` comment: the linter's
/// `template-text` rule flags those left in, the build hides them (HTML comments).
pub const DEFAULT_TEMPLATE: &str = include_str!("new_template.md");

#[derive(Debug, Clone)]
pub struct NewOptions {
    pub root: PathBuf,
    pub title: String,
    pub severity: Option<String>,
    pub services: Vec<String>,
    pub date: Date,
    /// A COE folder, `content/<year>/<id>/index.md`, for its pictures to sit beside it.
    pub folder: bool,
}

/// Creates the COE file; returns its path. Never overwrites a file.
pub fn create(opts: &NewOptions) -> Result<PathBuf, String> {
    let title = one_line(&opts.title);
    if title.is_empty() {
        return Err(
            "the title is empty: expected a title like \"Checkout failed after a config push\""
                .to_owned(),
        );
    }
    let severity = match &opts.severity {
        Some(s) => Some(parse_severity(s)?),
        None => None,
    };
    let services: Vec<String> = opts
        .services
        .iter()
        .map(|s| one_line(s))
        .filter(|s| !s.is_empty())
        .collect();
    let content = opts.root.join("content");
    let year = opts.date.year();
    let id = next_id(&content, year);
    let template = site_template(&opts.root)?;
    let text = fill(
        &template,
        &[
            ("title", yaml_string(&title)),
            ("title_text", title.clone()),
            ("id", id.clone()),
            ("date", opts.date.to_string()),
            (
                "severity",
                severity.map_or_else(String::new, |s| format!("SEV{s}")),
            ),
            (
                "services",
                format!(
                    "[{}]",
                    services
                        .iter()
                        .map(|s| yaml_string(s))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        ],
    );
    let mut dir = content.join(year.to_string());
    if opts.folder {
        dir = dir.join(&id);
        if dir.exists() {
            return Err(format!("{} already exists: not overwritten", dir.display()));
        }
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = if opts.folder {
        dir.join("index.md")
    } else {
        dir.join(format!("{id}.md"))
    };
    // `content/2026/x.md`, not `./content/2026/x.md`, for the default root.
    let path = path
        .strip_prefix(".")
        .map_or_else(|_| path.clone(), Path::to_path_buf);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                format!("{} already exists: not overwritten", path.display())
            } else {
                format!("cannot create {}: {e}", path.display())
            }
        })?;
    file.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

/// Whitespace (newlines included) collapsed to single spaces: a title is one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A double-quoted YAML scalar: JSON's string syntax is valid YAML.
fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned())
}

/// `sev2`, `Sev 2`, `2` → 2, exactly as the front matter reads it.
pub fn parse_severity(s: &str) -> Result<u8, String> {
    let mut diags = Vec::new();
    let fm = front_matter::parse(
        &format!("severity: {}\n", yaml_string(s)),
        1,
        "--severity",
        &mut diags,
    );
    match (fm.severity, diags.first()) {
        (Some(level), None) => Ok(level),
        _ => Err(format!(
            "--severity {s:?}: expected SEV1..SEV5 (or 1..5, sev2, Sev 2)"
        )),
    }
}

/// The site's (or theme's) `templates/new.md`, else the built-in template.
fn site_template(root: &Path) -> Result<String, String> {
    let (config, _) = crate::config::load(root);
    let mut diags: Vec<Diagnostic> = Vec::new();
    let files = crate::render::theme::layered_files(root, &config.theme, "templates", &mut diags);
    match files.get("new.md") {
        Some(bytes) => String::from_utf8(bytes.clone())
            .map_err(|_| "templates/new.md is not valid UTF-8".to_owned()),
        None => Ok(DEFAULT_TEMPLATE.to_owned()),
    }
}

/// Replaces `{{ name }}` (spaces optional) with its value; unknown placeholders stay.
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = after[..end].trim();
        match values.iter().find(|(k, _)| *k == name) {
            Some((_, v)) => out.push_str(v),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// The next free `COE-<year>-NNN` across the whole library, whatever folder: ids come from
/// `id:` in the front matter, else the file name (any file, drafts and broken ones included).
pub fn next_id(content: &Path, year: i16) -> String {
    let mut diags = Vec::new();
    let mut max = 0u32;
    let files = if content.is_dir() {
        crate::load::find_files(content, &mut diags)
    } else {
        Vec::new()
    };
    for (path, rel) in files {
        let stem = rel
            .rsplit('/')
            .next()
            .unwrap_or(&rel)
            .rsplit_once('.')
            .map_or(rel.as_str(), |(s, _)| s)
            .to_owned();
        let mut ids = vec![stem];
        if let Ok(text) = std::fs::read_to_string(&path) {
            ids.extend(front_matter_id(&text));
        }
        for id in ids {
            if let Some(n) = number_of(&id, year) {
                max = max.max(n);
            }
        }
    }
    format!("COE-{year}-{:03}", max + 1)
}

/// The `id:` value of the front matter, read line by line (a file whose YAML is broken still
/// holds its id).
fn front_matter_id(text: &str) -> Option<String> {
    let mut lines = text.lines();
    if lines.next()?.trim_end() != "---" {
        return None;
    }
    for line in lines {
        if line.trim_end() == "---" {
            break;
        }
        if let Some(v) = line.strip_prefix("id:") {
            return Some(v.trim().trim_matches(['"', '\'']).to_owned());
        }
    }
    None
}

/// `COE-2026-014` (any case) → 14 when the year matches.
fn number_of(id: &str, year: i16) -> Option<u32> {
    let lower = id.to_ascii_lowercase();
    let rest = lower.strip_prefix("coe-")?;
    let (y, n) = rest.split_once('-')?;
    if y != year.to_string() || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        let out = fill(
            "a {{title}} b {{ id }} {{ other }} {{",
            &[("title", "T".into()), ("id", "X".into())],
        );
        assert_eq!(out, "a T b X {{ other }} {{");
    }

    #[test]
    fn ids_of_a_year() {
        assert_eq!(number_of("COE-2026-014", 2026), Some(14));
        assert_eq!(number_of("coe-2026-7", 2026), Some(7));
        assert_eq!(number_of("COE-2025-014", 2026), None);
        assert_eq!(number_of("COE-2026-01a", 2026), None);
    }

    #[test]
    fn severities() {
        assert_eq!(parse_severity("sev2"), Ok(2));
        assert_eq!(parse_severity("Sev 3"), Ok(3));
        assert_eq!(parse_severity("1"), Ok(1));
        assert!(parse_severity("urgent").is_err());
        assert!(parse_severity("9").is_err());
    }

    #[test]
    fn yaml_hostile_titles_stay_one_quoted_string() {
        let t = one_line("a: \"b\"\n # c \\ d");
        let mut diags = Vec::new();
        let fm = front_matter::parse(&format!("title: {}\n", yaml_string(&t)), 1, "x", &mut diags);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(fm.title.as_deref(), Some("a: \"b\" # c \\ d"));
    }
}
