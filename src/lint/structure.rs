//! Structure: parse errors, title and date only inferred, missing or empty sections, and
//! template text left in.

use super::Sink;
use super::source::{Source, list_item_content};
use crate::content::{Coe, time::find_iso_date};
use crate::diag::Diagnostic;

/// A file that is not a COE: every parse error is a `parse` finding.
pub(crate) fn parse_errors(diags: &[Diagnostic], sink: &mut Sink) {
    for d in diags {
        let rule = if d.is_error() {
            "parse"
        } else {
            "parse-warning"
        };
        add_parse_finding(rule, d, sink);
    }
}

/// Warnings of a file that parsed. Times out of order are the `time-order` rule's.
pub(crate) fn parse_warnings(diags: &[Diagnostic], sink: &mut Sink) {
    for d in diags
        .iter()
        .filter(|d| !d.message.contains("is before started"))
    {
        let rule = if d.is_error() {
            "parse"
        } else {
            "parse-warning"
        };
        add_parse_finding(rule, d, sink);
    }
}

/// A parse finding, its hint naming the section of the format reference that explains it.
fn add_parse_finding(rule: &'static str, d: &Diagnostic, sink: &mut Sink) {
    let standard = super::rules::rule(rule).map_or("", |r| r.hint);
    let hint = match crate::content::docs::section_for(&d.message) {
        Some(section) if rule == "parse" => {
            format!("fix the value at this position; see docs/format.md#{section}")
        }
        Some(section) => format!("{standard}; see docs/format.md#{section}"),
        None => standard.to_owned(),
    };
    sink.add_with_hint(rule, d.line, d.column, d.message.clone(), hint);
}

pub(crate) fn check(coe: &Coe, src: &Source, sink: &mut Sink) {
    missing_fields(coe, src, sink);
    missing_sections(coe, sink);
    empty_sections(src, sink);
    template_text(src, sink);
}

fn missing_fields(coe: &Coe, src: &Source, sink: &mut Sink) {
    if src.field(&["title"]).is_none() {
        let heading = src.first_heading_line().unwrap_or(1);
        sink.add(
            "missing-field",
            heading,
            1,
            format!(
                "no `title:` in the front matter: the title \"{}\" is taken from the `#` heading",
                coe.title
            ),
        );
    }
    // A date read from a body line is the `body-metadata` rule's.
    if src.field(&["date"]).is_none() && !coe.body_metadata.iter().any(|f| f.field == "date") {
        let stem = coe.source.rsplit('/').next().unwrap_or(&coe.source);
        let from = if find_iso_date(stem).is_some() {
            "the file name"
        } else {
            "the first dated timeline entry"
        };
        sink.add(
            "missing-field",
            1,
            1,
            format!(
                "no `date:` in the front matter: the date {} is taken from {from}",
                coe.date
            ),
        );
    }
}

fn missing_sections(coe: &Coe, sink: &mut Sink) {
    let missing = crate::content::missing_sections(coe);
    if missing.is_empty() {
        return;
    }
    let list: Vec<String> = missing.iter().map(|l| format!("`## {l}`")).collect();
    sink.add(
        "missing-section",
        1,
        1,
        format!(
            "no {} section{}",
            list.join(", "),
            if list.len() == 1 { "" } else { "s" }
        ),
    );
}

fn empty_sections(src: &Source, sink: &mut Sink) {
    for span in src.sections().iter().filter(|s| !s.title.is_empty()) {
        let has_content = src.prose_lines(span).any(|(n, prose)| {
            let t = prose.trim();
            src.is_code(n) || (!t.is_empty() && !t.starts_with('#') && template(prose).is_none())
        });
        if !has_content {
            sink.add(
                "empty-section",
                span.heading,
                1,
                format!("section `{}` is empty", span.title),
            );
        }
    }
}

fn template_text(src: &Source, sink: &mut Sink) {
    for span in src.sections() {
        for n in span.first..=span.last {
            if src.is_code(n) {
                continue;
            }
            let raw = src.line(n);
            if let Some(i) = raw.find("<!-- coe:") {
                let column = raw[..i].chars().count() + 1;
                sink.add(
                    "template-text",
                    n,
                    column,
                    "template comment `<!-- coe: ... -->` left in".to_owned(),
                );
                continue;
            }
            if let Some((column, what)) = template(src.prose(n)) {
                sink.add(
                    "template-text",
                    n,
                    column,
                    format!("template text left in: a line starting with {what}"),
                );
            }
        }
    }
    front_matter_placeholders(src, sink);
}

/// The column and name of the placeholder a body line starts with, if any.
fn template(line: &str) -> Option<(usize, String)> {
    let body = list_item_content(line).unwrap_or(line);
    let body = body.trim_start_matches(['#', '>', ' ', '\t', '_', '*', '[']);
    let column = line[..line.len() - body.len()].chars().count() + 1;
    for word in ["TODO", "TBD", "FIXME", "XXX"] {
        if starts_with_word(body, word) {
            return Some((column, format!("`{word}`")));
        }
    }
    for phrase in ["Answer:", "Describe "] {
        if body.starts_with(phrase) {
            return Some((column, format!("\"{}\"", phrase.trim_end())));
        }
    }
    None
}

fn starts_with_word(s: &str, word: &str) -> bool {
    s.strip_prefix(word)
        .is_some_and(|rest| !rest.starts_with(|c: char| c.is_alphanumeric()))
}

/// `owner: TBD`, `- TODO` and the like in the front matter.
fn front_matter_placeholders(src: &Source, sink: &mut Sink) {
    if !src.has_front_matter() {
        return;
    }
    let mut n = 2;
    while let Some(line) = src.front_matter_line(n) {
        let value = match line.split_once(':') {
            Some((key, v)) if !key.contains(['"', '\'']) => v,
            _ => list_item_content(line).unwrap_or(""),
        };
        let trimmed = value.trim_start();
        let unquoted = trimmed.trim_start_matches(['"', '\'']);
        if ["TODO", "TBD", "FIXME"]
            .iter()
            .any(|w| starts_with_word(unquoted, w))
        {
            let column = line[..line.len() - trimmed.len()].chars().count() + 1;
            sink.add(
                "template-text",
                n,
                column,
                format!(
                    "placeholder value `{}` left in the front matter",
                    trimmed.trim()
                ),
            );
        }
        n += 1;
    }
}
