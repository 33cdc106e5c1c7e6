//! Metadata written in the body, as postmortem templates have it: `**Date:** 2024-03-14`,
//! `Severity: SEV2`, `Authors: a, b`, or a two-column table right under the title. Only the
//! lines between the title and the first section are read, and only for fields the front
//! matter does not set (the caller decides that).

use super::front_matter::{STATUS_DRAFT, STATUS_IN_REVIEW, STATUS_PUBLISHED, Status, normal};
use super::time::find_loose_date;
use jiff::civil::Date;

/// A field read from the body: which front-matter field, the value as written and its line.
/// Kept on the COE so that `coe check` can suggest moving it into the front matter.
#[derive(Debug, Clone, PartialEq)]
pub struct BodyField {
    /// The front-matter key it stands for (`date`, `severity`, `customer_impact`…).
    pub field: String,
    pub value: String,
    pub line: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Date,
    Authors,
    Status,
    Severity,
    Impact,
    Services,
    Teams,
    Tags,
    Reviewers,
    Summary,
}

impl Field {
    /// The front-matter key.
    pub fn key(self) -> &'static str {
        match self {
            Field::Date => "date",
            Field::Authors => "authors",
            Field::Status => "status",
            Field::Severity => "severity",
            Field::Impact => "customer_impact",
            Field::Services => "services",
            Field::Teams => "team",
            Field::Tags => "tags",
            Field::Reviewers => "reviewers",
            Field::Summary => "summary",
        }
    }

    /// The field a label names (`Incident Date`, `Authors`, `Owner`…), compared as [`normal`].
    pub fn from_label(label: &str) -> Option<Field> {
        Some(match normal(label).as_str() {
            "date" | "incidentdate" | "dateofincident" | "eventdate" | "incidentday" => Field::Date,
            "author" | "authors" | "writtenby" | "postmortemauthor" | "postmortemauthors"
            | "owner" | "owners" | "postmortemowner" | "documentowner" | "reportowner" => {
                Field::Authors
            }
            "status" | "postmortemstatus" | "documentstatus" | "reportstatus" | "reviewstatus" => {
                Field::Status
            }
            "severity" | "sev" | "incidentseverity" | "severitylevel" | "incidentlevel"
            | "incidentpriority" => Field::Severity,
            "impact" | "customerimpact" | "userimpact" | "businessimpact" => Field::Impact,
            "service" | "services" | "affectedservice" | "affectedservices"
            | "servicesaffected" | "systemsaffected" | "affectedsystems" | "systems"
            | "components" | "affectedcomponents" | "component" => Field::Services,
            "team" | "teams" | "owningteam" | "responsibleteam" => Field::Teams,
            "tags" | "tag" | "labels" | "keywords" | "categories" | "category" => Field::Tags,
            "reviewers" | "reviewer" | "reviewedby" | "approvers" | "approver" | "approvedby" => {
                Field::Reviewers
            }
            "summary" | "tldr" | "executivesummary" => Field::Summary,
            _ => return None,
        })
    }
}

/// One `label: value` read from the body.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    pub field: Field,
    pub value: String,
    pub line: usize,
}

/// The `label: value` lines (and two-column table rows) of the body's lines `from..to` (file
/// lines; `body_line` is the body's first line in the file). Code blocks are skipped.
pub fn scan(body: &str, body_line: usize, from: usize, to: usize) -> Vec<Pair> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for (k, raw) in body.split('\n').enumerate() {
        let line = body_line + k;
        if line >= to {
            break;
        }
        if line < from {
            continue;
        }
        let t = raw.trim();
        if let Some(f) = fence {
            if t.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if t.starts_with("```") || t.starts_with("~~~") {
            fence = Some(&t[..3]);
            continue;
        }
        if let Some((label, value)) = pair(t)
            && let Some(field) = Field::from_label(&label)
            && !value.is_empty()
        {
            out.push(Pair { field, value, line });
        }
    }
    out
}

/// A `label: value` line, a `- **Label:** value` bullet or a `| Label | Value |` row.
fn pair(t: &str) -> Option<(String, String)> {
    if let Some(row) = t.strip_prefix('|') {
        let mut cells = row.trim_end_matches('|').split('|').map(str::trim);
        let (label, value) = (cells.next()?, cells.next()?);
        if label.len() > 48 {
            return None;
        }
        return Some((plain(label), plain(value)));
    }
    let t = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .or_else(|| t.strip_prefix("+ "))
        .or_else(|| t.strip_prefix("> "))
        .unwrap_or(t);
    let colon = t.bytes().take(48).position(|c| c == b':')?;
    let (label, value) = (&t[..colon], &t[colon + 1..]);
    let label = plain(label);
    if label.is_empty() || label.split_whitespace().count() > 4 {
        return None;
    }
    Some((label, plain(value)))
}

/// Markdown taken out of a short value: emphasis, code marks, links (their text kept), a
/// trailing hard break.
fn plain(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '`' => {}
            '_' if chars.peek() == Some(&'_') => {
                chars.next();
            }
            '[' => {}
            ']' if chars.peek() == Some(&'(') => {
                // Skip the URL of `[text](url)`.
                for u in chars.by_ref() {
                    if u == ')' {
                        break;
                    }
                }
            }
            '\\' if chars.peek().is_none() => {}
            c => out.push(c),
        }
    }
    let out = out.replace("<br>", " ").replace("<br/>", " ");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The date in a value (`2024-03-14`, `March 14, 2024`, `Thursday, 14 March 2024`).
pub fn date(value: &str) -> Option<Date> {
    find_loose_date(value).map(|(d, _)| d)
}

/// Write-up statuses: a postmortem that is `Complete`, `Final`, `Resolved` or `Closed` is a
/// finished write-up, so published; `Draft`, `WIP`, `In progress` a draft; `In review`,
/// `Pending review` in review. Any other word (an incident state such as `Mitigated`) is
/// not read.
pub fn status(value: &str) -> Option<Status> {
    let n = normal(value);
    let n = n.as_str();
    if STATUS_DRAFT.contains(&n)
        || [
            "wip",
            "inprogress",
            "incomplete",
            "notstarted",
            "todo",
            "writing",
            "beingwritten",
        ]
        .contains(&n)
    {
        Some(Status::Draft)
    } else if STATUS_IN_REVIEW.contains(&n)
        || [
            "pendingreview",
            "readyforreview",
            "awaitingreview",
            "inreview",
        ]
        .contains(&n)
    {
        Some(Status::InReview)
    } else if !n.is_empty()
        && (STATUS_PUBLISHED.contains(&n)
            || [
                "completed",
                "finished",
                "resolved",
                "closed",
                "approved",
                "reviewed",
                "finalized",
                "finalised",
                "signedoff",
            ]
            .contains(&n))
    {
        Some(Status::Published)
    } else {
        None
    }
}

/// A severity 1..=5: `SEV2`, `Sev 2 (major)`, `S2`, `severity::2`, `P1`, `2`, `Level 3`, or a word: critical 1,
/// high/major 2, medium/moderate 3, low/minor 4.
pub fn severity(value: &str) -> Option<u8> {
    let n = normal(value);
    for prefix in ["severity", "sev", "level", "p", "s", ""] {
        let Some(rest) = n.strip_prefix(prefix) else {
            continue;
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            continue;
        }
        return match (prefix, rest[..digits].parse::<u8>().ok()?) {
            ("p", 0) => Some(1),
            (_, level @ 1..=5) => Some(level),
            _ => None,
        };
    }
    let word = normal(value.split_whitespace().next().unwrap_or(""));
    Some(match word.as_str() {
        "critical" | "crit" | "blocker" | "emergency" => 1,
        "high" | "major" | "severe" => 2,
        "medium" | "moderate" | "med" => 3,
        "low" | "minor" => 4,
        "trivial" | "cosmetic" => 5,
        _ => return None,
    })
}

/// A list value: `a, b`, `a; b`, `a and b`; `@` dropped from handles.
pub fn list(value: &str) -> Vec<String> {
    value
        .split([',', ';'])
        .flat_map(|p| p.split(" and "))
        .flat_map(|p| p.split(" & "))
        .map(|p| {
            p.trim()
                .trim_start_matches('@')
                .trim_end_matches('.')
                .trim()
        })
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_lines_bullets_and_tables() {
        let body = "# Title\n\n**Date:** March 14, 2024  \n- **Authors**: @ana, Li Wei and Bo\nStatus: Complete\n| Severity | SEV2 |\n|---|---|\n| Services | [api](http://x), db |\nNot: a label because it is prose with: colons far along\n```\nTeam: in code\n```\n## Summary\nTeam: too late\n";
        let pairs = scan(body, 1, 2, 13);
        let got: Vec<(Field, &str, usize)> = pairs
            .iter()
            .map(|p| (p.field, p.value.as_str(), p.line))
            .collect();
        assert_eq!(
            got,
            [
                (Field::Date, "March 14, 2024", 3),
                (Field::Authors, "@ana, Li Wei and Bo", 4),
                (Field::Status, "Complete", 5),
                (Field::Severity, "SEV2", 6),
                (Field::Services, "api, db", 8),
            ]
        );
        assert_eq!(list(&pairs[1].value), ["ana", "Li Wei", "Bo"]);
        assert_eq!(
            date(&pairs[0].value).map(|d| d.to_string()).as_deref(),
            Some("2024-03-14")
        );
    }

    #[test]
    fn values() {
        assert_eq!(status("Complete"), Some(Status::Published));
        assert_eq!(status("Resolved"), Some(Status::Published));
        assert_eq!(status("Draft"), Some(Status::Draft));
        assert_eq!(status("In review"), Some(Status::InReview));
        assert_eq!(status("Mitigated"), None);
        assert_eq!(severity("SEV2"), Some(2));
        assert_eq!(severity("severity::2"), Some(2));
        assert_eq!(severity("S3"), Some(3));
        assert_eq!(severity("Sev 1 (critical)"), Some(1));
        assert_eq!(severity("P1"), Some(1));
        assert_eq!(severity("P0"), Some(1));
        assert_eq!(severity("High"), Some(2));
        assert_eq!(severity("9"), None);
        assert_eq!(severity("SEV-3 - minor"), Some(3));
        assert_eq!(severity("Critical - customers down"), Some(1));
        assert_eq!(severity("purple"), None);
    }
}
