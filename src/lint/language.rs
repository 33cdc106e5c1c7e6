//! Blameless language: no "human error" as a root cause, no counterfactuals or blaming words in
//! the analysis, no people named in the five whys or the root cause.

use super::Sink;
use super::source::{Source, Span};
use crate::content::Coe;
use crate::content::markdown::SectionKind;

/// The sections where the analysis is: what the blameless rules read.
const ANALYSIS: [SectionKind; 4] = [
    SectionKind::FiveWhys,
    SectionKind::RootCause,
    SectionKind::LessonsLearned,
    SectionKind::IncidentQuestions,
];

const COUNTERFACTUALS: [&str; 10] = [
    "should have",
    "should've",
    "should not have",
    "shouldn't have",
    "could have",
    "could've",
    "failed to",
    "if only",
    "ought to have",
    "would not have happened if",
];

const BLAME_WORDS: [&str; 18] = [
    "careless",
    "carelessly",
    "carelessness",
    "negligent",
    "negligently",
    "negligence",
    "sloppy",
    "lazy",
    "laziness",
    "reckless",
    "recklessly",
    "incompetent",
    "incompetence",
    "irresponsible",
    "stupid",
    "inattentive",
    "lack of attention",
    "not paying attention",
];

const HUMAN_ERROR: [&str; 6] = [
    "human error",
    "operator error",
    "user error",
    "engineer error",
    "pilot error",
    "human mistake",
];

/// Words that, just before "human error", say it is not the cause.
const NEGATORS: [&str; 9] = [
    "not", "no", "never", "beyond", "than", "of", "past", "isn't", "wasn't",
];

pub(crate) fn check(coe: &Coe, src: &Source, sink: &mut Sink) {
    human_error_field(coe, src, sink);
    let names = people(coe);
    for kind in ANALYSIS {
        for span in src.sections_of(kind) {
            scan_section(src, span, kind, &names, sink);
        }
    }
}

fn human_error_field(coe: &Coe, src: &Source, sink: &mut Sink) {
    let keys = ["root_cause", "root_causes", "root-cause"];
    for value in &coe.root_causes {
        let norm: String = value
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let is_human = HUMAN_ERROR.iter().any(|p| p.replace(' ', "") == norm)
            || matches!(norm.as_str(), "mistake" | "carelessness" | "pebkac");
        if !is_human {
            continue;
        }
        let (line, column) = src
            .field(&keys)
            .map(|(line, col)| find_value(src, line, value).unwrap_or((line, col)))
            .unwrap_or((1, 1));
        sink.add(
            "human-error",
            line,
            column,
            format!("root_cause \"{value}\": human error is not a root cause"),
        );
    }
}

/// Where `value` is written in a front-matter list starting on `line`.
fn find_value(src: &Source, line: usize, value: &str) -> Option<(usize, usize)> {
    // ASCII lowercase keeps byte offsets, so `i` is an offset into `text` too.
    let value = value.to_ascii_lowercase();
    let mut n = line;
    while let Some(text) = src.front_matter_line(n) {
        if n > line && !text.starts_with([' ', '\t', '-']) {
            return None;
        }
        if let Some(i) = text.to_ascii_lowercase().find(&value) {
            return Some((n, text[..i].chars().count() + 1));
        }
        n += 1;
    }
    None
}

fn scan_section(
    src: &Source,
    span: &Span,
    kind: SectionKind,
    names: &[(String, &'static str)],
    sink: &mut Sink,
) {
    let section = if span.title.is_empty() {
        kind.label().to_owned()
    } else {
        span.title.clone()
    };
    let prose = src.running_text(span, true);
    let text = prose.text.as_str();
    let mut report = |rule: &'static str, i: usize, message: String| {
        let (line, column) = prose.position(i);
        sink.add(rule, line, column, message);
    };
    for phrase in COUNTERFACTUALS {
        for i in find_all(text, phrase) {
            report(
                "counterfactual",
                i,
                format!("counterfactual \"{phrase}\" in {section}"),
            );
        }
    }
    for word in BLAME_WORDS {
        for i in find_all(text, word) {
            report(
                "blame-word",
                i,
                format!("blaming word \"{word}\" in {section}"),
            );
        }
    }
    if kind == SectionKind::RootCause {
        for phrase in HUMAN_ERROR {
            for i in find_all(text, phrase)
                .into_iter()
                .filter(|&i| !negated(&text[..i]))
            {
                report(
                    "human-error",
                    i,
                    format!("\"{phrase}\" given as a root cause"),
                );
            }
        }
    }
    if !matches!(kind, SectionKind::FiveWhys | SectionKind::RootCause) {
        return;
    }
    // Names count in quotes too: quoting someone by name still names them.
    let prose = src.running_text(span, false);
    let text = prose.text.as_str();
    let mut report = |i: usize, message: String| {
        let (line, column) = prose.position(i);
        sink.add("person-named", line, column, message);
    };
    let mut rest = 0;
    let words = names_only(names);
    while let Some((i, who)) = find_person(&text[rest..], &words) {
        let at = rest + i;
        let role = names.iter().find(|(n, _)| *n == who).map_or("", |(_, r)| r);
        // Point at the `@` of `@ana.souza`.
        let at_sign = usize::from(text[..at].ends_with('@'));
        report(
            at - at_sign,
            format!("{role} \"{who}\" is named in {section}"),
        );
        rest = at + who.len();
    }
    for (i, handle) in handles(text) {
        if !names.iter().any(|(n, _)| handle[1..] == *n) {
            report(i, format!("handle \"{handle}\" is named in {section}"));
        }
    }
}

fn names_only(names: &[(String, &'static str)]) -> Vec<String> {
    names.iter().map(|(n, _)| n.clone()).collect()
}

fn negated(before: &str) -> bool {
    before
        .split_whitespace()
        .rev()
        .take(3)
        .any(|w| NEGATORS.contains(&w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')))
}

/// Byte indexes of `phrase` at word boundaries in `text` (lowercase).
fn find_all(text: &str, phrase: &str) -> Vec<usize> {
    text.match_indices(phrase)
        .filter(|(i, _)| bounded(text, *i, phrase.len()))
        .map(|(i, _)| i)
        .collect()
}

fn bounded(text: &str, start: usize, len: usize) -> bool {
    let before = text[..start].chars().next_back();
    let mut after = text[start + len..].chars();
    let next = after.next();
    let word_char = |c: char| c.is_alphanumeric() || c == '_';
    if before.is_some_and(word_char) {
        return false;
    }
    match next {
        // `ana.souza.` ends a sentence; `ana.souza.bot` is another name.
        Some('.' | '-') => !after.next().is_some_and(word_char),
        Some(c) => !word_char(c),
        None => true,
    }
}

/// The first of `words` in `text` (lowercase) at word boundaries: (byte index, word).
pub(crate) fn find_person(text: &str, words: &[String]) -> Option<(usize, String)> {
    words
        .iter()
        .filter(|w| !w.is_empty())
        .filter_map(|w| {
            text.match_indices(w.as_str())
                .find(|(i, _)| bounded(text, *i, w.len()))
                .map(|(i, _)| (i, w.clone()))
        })
        .min_by_key(|(i, w)| (*i, std::cmp::Reverse(w.len())))
}

/// `@handle`s in `text` (not e-mail addresses): (byte index, handle with its `@`).
fn handles(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices('@') {
        if text[..i]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
        {
            continue;
        }
        let handle: String = text[i + 1..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .collect();
        let handle = handle.trim_end_matches(['.', '-']);
        if handle.chars().count() >= 2 && handle.chars().any(char::is_alphabetic) {
            out.push((i, format!("@{handle}")));
        }
    }
    out
}

/// People named in the front matter, lowercase, with what they are: authors, reviewers and
/// action item owners (not owners that are teams). `ana.souza` is also found as `ana souza`.
pub(crate) fn people(coe: &Coe) -> Vec<(String, &'static str)> {
    let teams: Vec<String> = coe.teams.iter().map(|t| t.to_lowercase()).collect();
    let mut out: Vec<(String, &'static str)> = Vec::new();
    let owners = coe.action_items.iter().filter_map(|a| a.owner.as_ref());
    let all = coe
        .authors
        .iter()
        .map(|a| (a, "author"))
        .chain(coe.reviewers.iter().map(|r| (r, "reviewer")))
        .chain(owners.map(|o| (o, "action item owner")));
    for (name, role) in all {
        let name = name.trim().trim_start_matches('@').to_lowercase();
        let team_like = teams.contains(&name)
            || [
                "team", "oncall", "on-call", "sre", "ops", "squad", "group", "platform",
            ]
            .iter()
            .any(|t| name.contains(t));
        if name.chars().count() < 3 || (role == "action item owner" && team_like) {
            continue;
        }
        let spaced = name.replace(['.', '_'], " ");
        for variant in [name, spaced] {
            if !out.iter().any(|(n, _)| *n == variant) {
                out.push((variant, role));
            }
        }
    }
    out
}
