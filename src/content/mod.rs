//! One COE from one file: front matter, Markdown structure, timeline, five whys.
//! Pure functions of the file's bytes; the only I/O is `load_file`.

pub mod body_actions;
pub mod body_meta;
pub mod docs;
pub mod front_matter;
pub mod hints;
pub mod markdown;
pub mod sanitize;
pub mod time;
pub mod timeline;
pub mod yaml;
mod yaml_events;

use crate::diag::Diagnostic;
use crate::slug::slugify;
use body_meta::{BodyField, Field};
use front_matter::{ActionItem, FrontMatter, Located, Status};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use markdown::{Attachment, FileLink, Section, SectionKind, Why};
use std::collections::BTreeMap;
use std::path::Path;
use timeline::Event;

/// A parsed COE. Everything here comes from its own file.
#[derive(Debug, Clone)]
pub struct Coe {
    /// Path relative to `content/`, with `/` separators (`2024/COE-2024-017.md`).
    pub source: String,
    /// Path as shown in messages (`content/2024/COE-2024-017.md`).
    pub display_path: String,
    pub id: String,
    pub slug: String,
    pub title: String,
    pub date: Date,
    pub published: Date,
    pub status: Status,
    pub severity: Option<u8>,
    /// Plain text made from the Markdown of the front matter's `summary`, a `Summary:` line
    /// of the body or the first paragraph of the Summary section.
    pub summary: String,
    pub services: Vec<String>,
    pub tags: Vec<String>,
    pub root_causes: Vec<String>,
    pub teams: Vec<String>,
    pub authors: Vec<String>,
    pub reviewers: Vec<String>,
    pub started: Option<Timestamp>,
    pub detected: Option<Timestamp>,
    pub mitigated: Option<Timestamp>,
    pub resolved: Option<Timestamp>,
    pub customer_impact: Option<String>,
    pub action_items: Vec<ActionItem>,
    /// Where `action_items` came from: the front matter, or (when it has none) the body's
    /// Action Items section.
    pub action_items_source: ItemsSource,
    /// Metadata read from lines of the body (`**Date:** …`) because the front matter lacks it.
    pub body_metadata: Vec<BodyField>,
    pub related: Vec<Located<String>>,
    pub extra: BTreeMap<String, serde_json::Value>,
    pub sections: Vec<Section>,
    pub timeline: Vec<Event>,
    pub whys: Vec<Why>,
    pub links: Vec<FileLink>,
    /// Local files its body shows or links to (published next to its page).
    pub attachments: Vec<Attachment>,
}

/// Where a COE's action items were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ItemsSource {
    #[default]
    FrontMatter,
    Body,
}

impl Coe {
    pub fn time_to_detect(&self) -> Option<SignedDuration> {
        duration(self.started, self.detected)
    }
    pub fn time_to_mitigate(&self) -> Option<SignedDuration> {
        duration(self.started, self.mitigated)
    }
    pub fn time_to_resolve(&self) -> Option<SignedDuration> {
        duration(self.started, self.resolved)
    }
    pub fn section(&self, kind: SectionKind) -> Option<&Section> {
        self.sections.iter().find(|s| s.kind == Some(kind))
    }
}

/// Negative durations (detected before started) are not durations: the build warns about them.
fn duration(from: Option<Timestamp>, to: Option<Timestamp>) -> Option<SignedDuration> {
    let d = to?.duration_since(from?);
    (!d.is_negative()).then_some(d)
}

/// Reads one file. Bytes that are not UTF-8, a BOM and CRLF line endings are handled here.
pub fn load_file(
    path: &Path,
    source: &str,
    display_path: &str,
) -> Result<(Coe, Vec<Diagnostic>), Vec<Diagnostic>> {
    let bytes = std::fs::read(path).map_err(|e| {
        vec![Diagnostic::error(
            display_path,
            0,
            0,
            format!("cannot read file: {e}"),
        )]
    })?;
    let text = decode(&bytes, display_path)?;
    parse(&text, source, display_path)
}

/// UTF-8 with an optional BOM, CRLF or CR line endings normalised to LF.
pub fn decode(bytes: &[u8], display_path: &str) -> Result<String, Vec<Diagnostic>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(if s.contains('\r') {
            s.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            s.to_owned()
        }),
        Err(e) => {
            let valid = &bytes[..e.valid_up_to()];
            let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
            let column =
                valid.len() - valid.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
            Err(vec![Diagnostic::error(
                display_path,
                line,
                column,
                format!(
                    "file is not valid UTF-8 (byte offset {}): expected UTF-8 text; re-save the file as UTF-8",
                    e.valid_up_to()
                ),
            )])
        }
    }
}

/// Parses a COE from text. `source` is the path relative to `content/`.
/// Returns the COE and its warnings, or every error found.
pub fn parse(
    text: &str,
    source: &str,
    display_path: &str,
) -> Result<(Coe, Vec<Diagnostic>), Vec<Diagnostic>> {
    parse_with(text, source, display_path, None)
}

/// Parses a draft being written: a missing title or date is not an error, `fallback_date`
/// stands in (for `coe similar` on a paste-in draft).
pub fn parse_draft(
    text: &str,
    source: &str,
    display_path: &str,
    fallback_date: Date,
) -> Result<(Coe, Vec<Diagnostic>), Vec<Diagnostic>> {
    parse_with(text, source, display_path, Some(fallback_date))
}

fn parse_with(
    text: &str,
    source: &str,
    display_path: &str,
    draft_date: Option<Date>,
) -> Result<(Coe, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut diags = Vec::new();
    if text.trim().is_empty() {
        return Err(vec![Diagnostic::error(
            display_path,
            1,
            1,
            "empty file: expected front matter or a `# Title` heading, and a date",
        )]);
    }
    let split = match front_matter::split(text) {
        Ok(s) => s,
        Err(msg) => return Err(vec![Diagnostic::error(display_path, 1, 1, msg)]),
    };
    let fm = match split.yaml {
        Some(yaml) => front_matter::parse(yaml, split.yaml_line, display_path, &mut diags),
        None => FrontMatter::default(),
    };
    // When the front matter itself is broken, "no title"/"no date" would only be noise.
    let front_matter_broken = diags.iter().any(Diagnostic::is_error);
    let source_dir = source.rsplit_once('/').map_or("", |(d, _)| d);
    // Action items in the body are read only when the front matter has none.
    let mut body = markdown::parse_body(
        split.body,
        source_dir,
        split.body_line,
        fm.action_items.is_empty(),
    );
    for (line, msg) in &body.warnings {
        diags.push(Diagnostic::warning(display_path, *line, 0, msg.clone()));
    }

    let stem = Path::new(source)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(source);
    // A COE folder (`2024/coe-x/index.md` with its pictures) is named by its folder.
    let stem = if stem.eq_ignore_ascii_case("index") || stem.eq_ignore_ascii_case("readme") {
        Path::new(source)
            .parent()
            .and_then(Path::file_name)
            .and_then(|s| s.to_str())
            .filter(|s| !s.is_empty())
            .unwrap_or(stem)
    } else {
        stem
    };
    let meta = body_metadata(&fm, &body, split.body, split.body_line);
    let title = fm.title.clone().or_else(|| {
        body.title
            .as_ref()
            .map(|t| t.0.clone())
            .filter(|t| !t.is_empty())
    });
    let date = fm
        .date
        .or(meta.date)
        .or_else(|| date_from_name(stem, display_path, &mut diags))
        .or_else(|| timeline::first_day(&body.timeline))
        .or(draft_date);
    let title = title.or_else(|| draft_date.map(|_| stem.to_owned()));

    let id = fm.id.clone().unwrap_or_else(|| stem.to_owned());
    let slug = slugify(&id);
    if slug.is_empty() {
        diags.push(Diagnostic::error(
            display_path,
            0,
            0,
            format!("id \"{id}\" has no letters or digits: expected an id like COE-2024-017"),
        ));
    }
    if title.is_none() && !front_matter_broken {
        diags.push(Diagnostic::error(
            display_path,
            1,
            1,
            "no title: expected a `title:` field in the front matter or a `# Title` heading",
        ));
    }
    if date.is_none()
        && !front_matter_broken
        && !diags
            .iter()
            .any(|d| d.is_error() && d.message.starts_with("date:"))
    {
        diags.push(Diagnostic::error(
            display_path,
            1,
            1,
            "no date: expected a `date: YYYY-MM-DD` field, a YYYY-MM-DD in the file name, or a dated timeline entry",
        ));
    }
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    let (Some(title), Some(date)) = (title, date) else {
        return Err(diags);
    };

    for (name, at) in [
        ("detected", &fm.detected),
        ("mitigated", &fm.mitigated),
        ("resolved", &fm.resolved),
    ] {
        if let (Some(start), Some(at)) = (&fm.started, at)
            && at.value < start.value
        {
            diags.push(Diagnostic::warning(
                display_path,
                at.line,
                at.column,
                format!(
                    "{name} ({}) is before started ({}): left out of the time-to metrics",
                    at.value, start.value
                ),
            ));
        }
    }

    // Plain text wherever it came from: it is shown as text (cards, feeds, snippets).
    let summary = fm
        .summary
        .as_deref()
        .or(meta.summary.as_deref())
        .map(markdown::inline_text)
        .unwrap_or_else(|| {
            body.sections
                .iter()
                .find(|s| s.kind == Some(SectionKind::Summary))
                .map(|s| s.text.split("\n\n").next().unwrap_or("").to_owned())
                .unwrap_or_default()
        });
    let timeline = timeline::resolve(&body.timeline, Some(date));
    let (action_items, action_items_source) =
        if fm.action_items.is_empty() && !body.actions.is_empty() {
            (std::mem::take(&mut body.actions), ItemsSource::Body)
        } else {
            (fm.action_items, ItemsSource::FrontMatter)
        };
    let or = |fm: Vec<String>, body: Option<Vec<String>>| {
        if fm.is_empty() {
            body.unwrap_or_default()
        } else {
            fm
        }
    };
    let coe = Coe {
        source: source.to_owned(),
        display_path: display_path.to_owned(),
        slug,
        id,
        title,
        published: fm.published.unwrap_or(date),
        date,
        status: meta.status.unwrap_or(fm.status),
        severity: fm.severity.or(meta.severity),
        summary,
        services: or(fm.services, meta.services),
        tags: or(fm.tags, meta.tags),
        root_causes: fm.root_causes,
        teams: or(fm.teams, meta.teams),
        authors: or(fm.authors, meta.authors),
        reviewers: or(fm.reviewers, meta.reviewers),
        started: fm.started.map(|l| l.value),
        detected: fm.detected.map(|l| l.value),
        mitigated: fm.mitigated.map(|l| l.value),
        resolved: fm.resolved.map(|l| l.value),
        customer_impact: fm.customer_impact.or(meta.impact),
        action_items,
        action_items_source,
        body_metadata: meta.read,
        related: fm.related,
        extra: fm.extra,
        sections: body.sections,
        timeline,
        whys: body.whys,
        links: body.links,
        attachments: body.attachments,
    };
    Ok((coe, diags))
}

/// What the body's metadata lines said, for the fields the front matter lacks.
#[derive(Default)]
struct Meta {
    date: Option<Date>,
    status: Option<Status>,
    severity: Option<u8>,
    summary: Option<String>,
    impact: Option<String>,
    authors: Option<Vec<String>>,
    services: Option<Vec<String>>,
    teams: Option<Vec<String>>,
    tags: Option<Vec<String>>,
    reviewers: Option<Vec<String>>,
    read: Vec<BodyField>,
}

/// Reads `label: value` lines between the title and the first section, for the fields the
/// front matter does not set. Nothing is scanned when it sets them all.
fn body_metadata(fm: &FrontMatter, body: &markdown::Body, text: &str, body_line: usize) -> Meta {
    let mut meta = Meta::default();
    let wanted = |f: Field| match f {
        Field::Date => fm.date.is_none(),
        Field::Authors => fm.authors.is_empty(),
        Field::Status => !fm.status_given,
        Field::Severity => !fm.severity_given,
        Field::Impact => fm.customer_impact.is_none(),
        Field::Services => fm.services.is_empty(),
        Field::Teams => fm.teams.is_empty(),
        Field::Tags => fm.tags.is_empty(),
        Field::Reviewers => fm.reviewers.is_empty(),
        Field::Summary => fm.summary.is_none(),
    };
    const ALL: [Field; 10] = [
        Field::Date,
        Field::Authors,
        Field::Status,
        Field::Severity,
        Field::Impact,
        Field::Services,
        Field::Teams,
        Field::Tags,
        Field::Reviewers,
        Field::Summary,
    ];
    if !ALL.iter().any(|f| wanted(*f)) {
        return meta;
    }
    let to = body
        .sections
        .iter()
        .find(|s| !s.title.is_empty())
        .map_or(usize::MAX, |s| s.line);
    let from = match &body.title {
        Some((_, line)) if *line < to => line + 1,
        _ => body_line,
    };
    if from >= to {
        return meta;
    }
    for pair in body_meta::scan(text, body_line, from, to) {
        if !wanted(pair.field) || meta.read.iter().any(|r| r.field == pair.field.key()) {
            continue;
        }
        let v = pair.value.as_str();
        let list = || Some(body_meta::list(v)).filter(|l| !l.is_empty());
        let read = match pair.field {
            Field::Date => body_meta::date(v).map(|d| meta.date = Some(d)),
            Field::Status => body_meta::status(v).map(|s| meta.status = Some(s)),
            Field::Severity => body_meta::severity(v).map(|s| meta.severity = Some(s)),
            Field::Summary => {
                meta.summary = Some(v.to_owned());
                Some(())
            }
            Field::Impact => {
                meta.impact = Some(v.to_owned());
                Some(())
            }
            Field::Authors => list().map(|l| meta.authors = Some(l)),
            Field::Services => list().map(|l| meta.services = Some(l)),
            Field::Teams => list().map(|l| meta.teams = Some(l)),
            Field::Tags => list().map(|l| meta.tags = Some(l)),
            Field::Reviewers => list().map(|l| meta.reviewers = Some(l)),
        };
        if read.is_some() {
            meta.read.push(BodyField {
                field: pair.field.key().to_owned(),
                value: pair.value,
                line: pair.line,
            });
        }
    }
    meta
}

fn date_from_name(stem: &str, display_path: &str, diags: &mut Vec<Diagnostic>) -> Option<Date> {
    let found = time::find_iso_date(stem)?;
    match found.parse::<Date>() {
        Ok(d) => Some(d),
        Err(e) => {
            diags.push(Diagnostic::error(
                display_path,
                0,
                0,
                format!("date: the file name has \"{found}\", which is not a valid date ({e})"),
            ));
            None
        }
    }
}

/// Recommended sections this COE lacks, for a build warning.
pub fn missing_sections(coe: &Coe) -> Vec<&'static str> {
    SectionKind::RECOMMENDED
        .iter()
        .filter(|k| coe.section(**k).is_none())
        .map(|k| k.label())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_front_matter_uses_heading_and_file_name() {
        let (coe, _) = parse(
            "# Regex outage\n\n## Summary\n\nCPU hit 100%.\n",
            "2019-07-02 Cloudflare.md",
            "content/x.md",
        )
        .expect("ok");
        assert_eq!(coe.title, "Regex outage");
        assert_eq!(coe.date.to_string(), "2019-07-02");
        assert_eq!(coe.id, "2019-07-02 Cloudflare");
        assert_eq!(coe.slug, "2019-07-02-cloudflare");
        assert_eq!(coe.summary, "CPU hit 100%.");
    }

    #[test]
    fn date_from_timeline() {
        let (coe, _) = parse(
            "# T\n\n## Timeline\n\n- 2021-01-04 15:00 UTC — x\n",
            "slack.md",
            "content/slack.md",
        )
        .expect("ok");
        assert_eq!(coe.date.to_string(), "2021-01-04");
    }

    #[test]
    fn missing_title_and_date_are_errors() {
        let errs = parse("just text\n", "x.md", "content/x.md").expect_err("no title");
        assert_eq!(errs.len(), 2);
        assert!(errs.iter().all(|e| e.path == "content/x.md"));
    }

    #[test]
    fn bom_and_crlf() {
        let text = decode(
            b"\xEF\xBB\xBF---\r\ntitle: A\r\ndate: 2024-01-02\r\n---\r\nbody\r\n",
            "x",
        )
        .expect("utf8");
        let (coe, _) = parse(&text, "x.md", "x.md").expect("ok");
        assert_eq!(coe.title, "A");
    }

    #[test]
    fn non_utf8_names_line() {
        let e = decode(b"---\ntitle: \xff\n", "content/x.md").expect_err("bad");
        assert!(
            e[0].to_string()
                .starts_with("error: content/x.md:2:8: file is not valid UTF-8"),
            "{}",
            e[0]
        );
    }
}
