//! Hints inside the text of an action item written in the body: `@owner`, `Owner: name`,
//! `due 2024-04-01`, `(by 2024-04-01)`, `ETA: …`, ticket keys (`OPS-123`) and tracker URLs,
//! `[P1]`, `(high)`, `(done)`. A hint that was read is cut out of the text, which is then tidied.
//!
//! Every matcher looks at a bounded window after the place it starts, and the scan moves past
//! what it matched: the whole is linear in the text's length, whatever the text holds.

use super::front_matter::{ItemStatus, Priority, normal};
use super::time::loose_date_at;
use jiff::civil::Date;

/// What the hints of one item said. Fields already set are never overwritten.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Found {
    pub owner: Option<String>,
    pub due: Option<Date>,
    pub status: Option<ItemStatus>,
    pub priority: Option<Priority>,
    pub ticket: Option<String>,
}

/// The longest value a labelled hint may have (`Owner: …`), in bytes.
const MAX_VALUE: usize = 80;
/// The longest `(…)` or `[…]` group read as hints.
const MAX_GROUP: usize = 120;

const OWNER_LABELS: &[&str] = &[
    "owner",
    "owners",
    "owned by",
    "assignee",
    "assigned to",
    "assigned",
    "dri",
    "responsible",
    "who",
];
const DUE_LABELS: &[&str] = &[
    "due date",
    "due by",
    "due on",
    "due",
    "eta",
    "deadline",
    "target date",
    "target",
    "by",
    "before",
];
const TICKET_LABELS: &[&str] = &[
    "ticket",
    "tickets",
    "jira",
    "bug",
    "issue",
    "tracking",
    "tracked in",
    "tracked by",
    "tracker",
    "ref",
    "link",
];

/// Words that look like ticket keys but are not (`UTF-8`, `SHA-256`, `COVID-19`).
const NOT_TICKETS: &[&str] = &[
    "UTF", "ISO", "SHA", "RFC", "CVE", "TLS", "SSL", "HTTP", "HTTPS", "IPV", "AES", "RSA", "COVID",
    "SEV", "PCI", "SOC", "MD", "ES", "EC", "TCP", "UDP", "GPT", "CWE", "NIST", "IEEE", "ECMA",
    "WCAG", "GDPR", "HIPAA", "FIPS", "ANSI", "EN", "IEC", "AWS", "GCP", "K", "X",
];

/// Item status words beyond the front matter's spellings (a body cannot be wrong: these map
/// sensibly instead of being errors).
pub const BODY_DONE: &[&str] = &[
    "finished",
    "shipped",
    "merged",
    "deployed",
    "implemented",
    "yes",
];
pub const BODY_IN_PROGRESS: &[&str] = &[
    "ongoing",
    "inflight",
    "underway",
    "active",
    "inreview",
    "working",
    "progress",
    "partial",
    "partiallydone",
];
pub const BODY_OPEN: &[&str] = &[
    "notstarted",
    "planned",
    "pending",
    "backlog",
    "blocked",
    "tbd",
    "notdone",
    "unassigned",
    "proposed",
];
pub const BODY_WONT_DO: &[&str] = &[
    "wontdo",
    "obsolete",
    "notplanned",
    "rejected",
    "declined",
    "duplicate",
    "abandoned",
];

/// An item status as written in the body, or `None` when the words are not a status.
pub fn item_status(text: &str) -> Option<ItemStatus> {
    use super::front_matter::{ITEM_DONE, ITEM_IN_PROGRESS, ITEM_OPEN, ITEM_WONT_DO};
    if text.contains('✅') || text.contains('✔') {
        return Some(ItemStatus::Done);
    }
    let n = normal(text);
    let n = n.as_str();
    if ITEM_DONE.contains(&n) || BODY_DONE.contains(&n) {
        Some(ItemStatus::Done)
    } else if ITEM_IN_PROGRESS.contains(&n) || BODY_IN_PROGRESS.contains(&n) {
        Some(ItemStatus::InProgress)
    } else if ITEM_WONT_DO.contains(&n) || BODY_WONT_DO.contains(&n) {
        Some(ItemStatus::WontDo)
    } else if ITEM_OPEN.contains(&n) || BODY_OPEN.contains(&n) {
        Some(ItemStatus::Open)
    } else {
        None
    }
}

/// A priority as written in the body (`P1`, `high`, `SEV2`), or `None`.
pub fn priority(text: &str) -> Option<Priority> {
    use super::front_matter::{PRIORITY_HIGH, PRIORITY_LOW, PRIORITY_MEDIUM};
    let n = normal(text);
    let n = n.as_str();
    if PRIORITY_HIGH.contains(&n) || ["hi", "sev0", "sev1", "sev2", "crit", "blocker"].contains(&n)
    {
        Some(Priority::High)
    } else if PRIORITY_MEDIUM.contains(&n) || ["sev3", "moderate", "mid"].contains(&n) {
        Some(Priority::Medium)
    } else if PRIORITY_LOW.contains(&n) || ["lo", "sev4", "sev5", "minor", "trivial"].contains(&n) {
        Some(Priority::Low)
    } else {
        None
    }
}

/// An `http(s)` URL that points at an issue tracker (Jira, GitHub/GitLab issues, Linear, …).
pub fn is_tracker_url(url: &str) -> bool {
    let l = url.to_ascii_lowercase();
    if !(l.starts_with("http://") || l.starts_with("https://")) {
        return false;
    }
    let host = l
        .split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or("");
    [
        "jira",
        "atlassian.net",
        "linear.app",
        "youtrack",
        "issuetracker",
        "bugzilla",
        "bugs.",
        "redmine",
        "shortcut.com",
        "clubhouse.io",
        "pivotaltracker",
        "trello.com",
        "asana.com",
        "servicenow",
        "monday.com",
    ]
    .iter()
    .any(|h| host.contains(h))
        || [
            "/issues/",
            "/-/issues/",
            "/browse/",
            "/pull/",
            "/merge_requests/",
            "/tickets/",
            "/ticket/",
            "/bugs/",
            "/bug/",
            "show_bug.cgi",
            "/work_packages/",
            "/_workitems/",
            "/workitems/",
            "/tasks/",
        ]
        .iter()
        .any(|p| l.contains(p))
}

/// A ticket key (`OPS-123`, `INFRA-42`) at the start of `s`: its length in bytes.
pub fn ticket_key_at(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let letters = b
        .iter()
        .take(16)
        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == b'_')
        .count();
    if !(2..=15).contains(&letters) || !b[0].is_ascii_uppercase() || b.get(letters) != Some(&b'-') {
        return None;
    }
    let prefix = &s[..letters];
    if !prefix.bytes().any(|c| c.is_ascii_uppercase()) || NOT_TICKETS.contains(&prefix) {
        return None;
    }
    let digits = b[letters + 1..]
        .iter()
        .take(11)
        .take_while(|c| c.is_ascii_digit())
        .count();
    let end = letters + 1 + digits;
    let clean_end = b.get(end).is_none_or(|c| {
        !c.is_ascii_alphanumeric() && *c != b'-' && *c != b'_'
            || (*c == b'-' && !next_digit(b, end))
    });
    ((1..=10).contains(&digits) && clean_end).then_some(end)
}

fn next_digit(b: &[u8], i: usize) -> bool {
    b.get(i + 1).is_some_and(u8::is_ascii_digit)
}

/// A ticket reference as a whole value: a key, `#123`, or a URL.
fn ticket_value(v: &str) -> Option<String> {
    let v = v.trim();
    if v.is_empty() || v.len() > MAX_VALUE * 4 || v.contains(char::is_whitespace) {
        return None;
    }
    let lower = v.to_ascii_lowercase();
    if ticket_key_at(v) == Some(v.len())
        || (v.starts_with('#') && v.len() > 1 && v[1..].bytes().all(|c| c.is_ascii_digit()))
        || lower.starts_with("http://")
        || lower.starts_with("https://")
    {
        return Some(v.to_owned());
    }
    None
}

/// One edit of the text: bytes `start..end` replaced by `with`. A ticket key or tracker URL
/// found in the running text is a candidate (`ticket`): one of them becomes the ticket, and is
/// only cut out when nothing but separators is before or after it.
struct Edit {
    start: usize,
    end: usize,
    with: String,
    ticket: Option<String>,
}

/// At most this many ticket candidates are weighed in one text.
const MAX_CANDIDATES: usize = 4;

/// Reads the hints of `text` into `found` (fields already set stay) and returns the text
/// with the hints that were read cut out.
pub fn extract(text: &str, found: &mut Found) -> String {
    let lower = text.to_ascii_lowercase();
    let b = text.as_bytes();
    let mut edits: Vec<Edit> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let word_start = i == 0 || !b[i - 1].is_ascii_alphanumeric() && b[i - 1] != b'@';
        if !word_start || !text.is_char_boundary(i) {
            i += 1;
            continue;
        }
        if c == b'(' || c == b'[' {
            if let Some((end, edit)) = group(text, i, found) {
                if let Some(e) = edit {
                    edits.push(e);
                }
                i = end;
                continue;
            }
            i += 1;
            continue;
        }
        if let Some((end, edit)) = at_word(text, &lower, i, found) {
            let candidates = edits.iter().filter(|e| e.ticket.is_some()).count();
            if edit.ticket.is_none() || candidates < MAX_CANDIDATES {
                edits.push(edit);
            }
            i = end.max(i + 1);
            continue;
        }
        i += 1;
    }
    // The ticket: the first candidate at the start or end of the text (cut out), else the
    // first candidate (left in the sentence it belongs to).
    let candidates: Vec<usize> = (0..edits.len())
        .filter(|&k| edits[k].ticket.is_some())
        .collect();
    let mut cut_ticket = None;
    if found.ticket.is_none() {
        let edge = candidates
            .iter()
            .copied()
            .find(|&k| at_edge(text, &edits, k));
        if let Some(k) = edge.or(candidates.first().copied()) {
            found.ticket = edits[k].ticket.clone();
            cut_ticket = edge;
        }
    }
    let edits: Vec<Edit> = edits
        .into_iter()
        .enumerate()
        .filter(|(k, e)| e.start < e.end && (e.ticket.is_none() || cut_ticket == Some(*k)))
        .map(|(_, e)| e)
        .collect();
    apply(text, &edits)
}

/// Whether only separators and other cut hints are before, or after, candidate `k`.
fn at_edge(text: &str, edits: &[Edit], k: usize) -> bool {
    let e = &edits[k];
    let others = || {
        edits
            .iter()
            .filter(|o| o.ticket.is_none() && o.start < o.end)
    };
    let mut pos = 0;
    let mut before = false;
    for o in others().filter(|o| o.end <= e.start) {
        before |= text[pos..o.start].chars().any(|c| !is_separator(c));
        pos = o.end;
    }
    before |= text[pos..e.start]
        .chars()
        .any(|c| !is_separator(c) && c != '(');
    if !before {
        return true;
    }
    let mut pos = e.end;
    for o in others().filter(|o| o.start >= e.end) {
        if text[pos..o.start].chars().any(|c| !is_separator(c)) {
            return false;
        }
        pos = o.end;
    }
    !text[pos..]
        .chars()
        .any(|c| !is_separator(c) && c != '.' && c != ')')
}

/// A `(…)` or `[…]` group at `i` whose parts are hints: the byte after it and the edit (the
/// group removed, or rewritten with the parts that were not hints).
fn group(text: &str, i: usize, found: &mut Found) -> Option<(usize, Option<Edit>)> {
    let b = text.as_bytes();
    let close = if b[i] == b'(' { b')' } else { b']' };
    let len = b[i + 1..]
        .iter()
        .take(MAX_GROUP)
        .position(|&c| c == close || c == b'(' || c == b'[')?;
    let end = i + 1 + len;
    if b[end] != close {
        return None;
    }
    let inner = text.get(i + 1..end)?;
    let mut kept: Vec<&str> = Vec::new();
    let mut any = false;
    for part in inner.split([',', ';', '|']) {
        if hint_part(part.trim(), found) {
            any = true;
        } else if !part.trim().is_empty() {
            kept.push(part.trim());
        }
    }
    if !any {
        // Not a group of hints: its words are read like the rest of the text.
        return None;
    }
    let with = if kept.is_empty() {
        String::new()
    } else {
        format!("{}{}{}", b[i] as char, kept.join(", "), close as char)
    };
    Some((
        end + 1,
        Some(Edit {
            start: i,
            end: end + 1,
            with,
            ticket: None,
        }),
    ))
}

/// One part of a bracketed group read as a hint: a status or priority word, a date, an
/// owner, a ticket, or a labelled value (`owner: x`, `due 2024-04-01`).
fn hint_part(part: &str, found: &mut Found) -> bool {
    if part.is_empty() {
        return false;
    }
    if let Some(s) = item_status(part) {
        if normal(part).is_empty() && !part.contains(['✅', '✔']) {
            return false;
        }
        found.status.get_or_insert(s);
        return true;
    }
    if let Some(p) = priority(part) {
        found.priority.get_or_insert(p);
        return true;
    }
    if let Some((d, n)) = loose_date_at(part)
        && n == part.len()
    {
        found.due.get_or_insert(d);
        return true;
    }
    if let Some(t) = ticket_value(part) {
        found.ticket.get_or_insert(t);
        return true;
    }
    if let Some(h) = part.strip_prefix('@')
        && is_handle(h)
    {
        found.owner.get_or_insert_with(|| h.to_owned());
        return true;
    }
    let lower = part.to_ascii_lowercase();
    // `(done the same day)`: done, and the words stay.
    if let Some((first, _)) = part.split_once(' ')
        && item_status(first) == Some(ItemStatus::Done)
    {
        found.status.get_or_insert(ItemStatus::Done);
        return false;
    }
    match at_word(part, &lower, 0, found) {
        Some((end, e)) if end >= part.len() => {
            if let Some(t) = e.ticket {
                found.ticket.get_or_insert(t);
            }
            true
        }
        _ => false,
    }
}

fn is_handle(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 40
        && h.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'/'))
}

/// A hint starting at word start `i`: `@handle`, a labelled value, a ticket key, a tracker
/// URL, a leading `P1:`. Returns the byte after it and the edit that cuts it out.
fn at_word(text: &str, lower: &str, i: usize, found: &mut Found) -> Option<(usize, Edit)> {
    let b = text.as_bytes();
    let cut = |end: usize| Edit {
        start: i,
        end,
        with: String::new(),
        ticket: None,
    };
    // @handle
    if b[i] == b'@' {
        let n = b[i + 1..]
            .iter()
            .take(41)
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'/'))
            .count();
        let handle = text[i + 1..i + 1 + n].trim_end_matches(['.', '-', '_', '/']);
        if handle.is_empty() || n > 40 || found.owner.is_some() {
            return None;
        }
        found.owner = Some(handle.to_owned());
        return Some((i + 1 + handle.len(), cut(i + 1 + handle.len())));
    }
    let rest = &lower[i..];
    // Labelled values.
    if let Some((after, strong)) = label(rest, OWNER_LABELS) {
        if !strong || found.owner.is_some() {
            return None;
        }
        let (value, len) = owner_value(&text[i + after..]);
        if value.is_empty() {
            return None;
        }
        found.owner = Some(value);
        return Some((i + after + len, cut(i + after + len)));
    }
    if let Some((after, _)) = label(rest, DUE_LABELS) {
        let (d, n) = loose_date_at(&text[i + after..])?;
        if found.due.is_some() {
            return None;
        }
        found.due = Some(d);
        return Some((i + after + n, cut(i + after + n)));
    }
    if let Some((after, true)) = label(rest, &["status", "state"]) {
        let (value, len) = word_value(&text[i + after..]);
        let s = item_status(value)?;
        found.status.get_or_insert(s);
        return Some((i + after + len, cut(i + after + len)));
    }
    if let Some((after, true)) = label(rest, &["priority", "pri"]) {
        let (value, len) = word_value(&text[i + after..]);
        let p = priority(value)?;
        found.priority.get_or_insert(p);
        return Some((i + after + len, cut(i + after + len)));
    }
    if let Some((after, strong)) = label(rest, TICKET_LABELS) {
        let tail = &text[i + after..];
        let len = tail
            .bytes()
            .take(MAX_VALUE * 4)
            .take_while(|c| !c.is_ascii_whitespace() && !matches!(c, b',' | b';' | b')' | b']'))
            .count();
        let v = ticket_value(tail.get(..len)?.trim_end_matches('.'))?;
        let tracked = rest.starts_with("tracked");
        if !(strong || tracked) || found.ticket.is_some() {
            return None;
        }
        found.ticket = Some(v);
        return Some((i + after + len, cut(i + after + len)));
    }
    // A ticket key or a tracker URL: cut out only at the start or the end of the text.
    if let Some(n) = ticket_key_at(&text[i..]) {
        if found.ticket.is_some() {
            return None;
        }
        let key = text[i..i + n].to_owned();
        return Some((
            i + n,
            Edit {
                ticket: Some(key),
                ..cut(i + n)
            },
        ));
    }
    if rest.starts_with("http://") || rest.starts_with("https://") {
        let n = b[i..]
            .iter()
            .take_while(|c| !c.is_ascii_whitespace() && !matches!(c, b')' | b']' | b'>' | b'<'))
            .count();
        let url = text[i..i + n].trim_end_matches(['.', ',', ';']);
        if found.ticket.is_some() || !is_tracker_url(url) {
            // Skipped whole: nothing inside a URL is a hint.
            return Some((i + n, cut(i)));
        }
        return Some((
            i + url.len(),
            Edit {
                ticket: Some(url.to_owned()),
                ..cut(i + url.len())
            },
        ));
    }
    // `P1:` / `P2 -` before the text.
    if i == 0
        && b.len() > 2
        && b[0].eq_ignore_ascii_case(&b'p')
        && b[1].is_ascii_digit()
        && let Some(p) = priority(&text[..2])
    {
        let after = skip_separators(text, 2);
        if after > 2 && b.get(2).is_some_and(|c| !c.is_ascii_alphanumeric()) {
            found.priority.get_or_insert(p);
            return Some((after, cut(after)));
        }
    }
    None
}

/// A label from `labels` at the start of `rest` (lowercase), followed by `:`, ` -`, `=` (a
/// strong label: any value may follow) or a space (a weak one: only a date or ticket may).
/// Returns the byte after the label and its separator, and whether it was strong.
fn label(rest: &str, labels: &[&str]) -> Option<(usize, bool)> {
    for l in labels {
        let Some(after) = rest.strip_prefix(l) else {
            continue;
        };
        let b = after.as_bytes();
        if b.first().is_some_and(u8::is_ascii_alphanumeric) {
            continue;
        }
        let spaces = b.iter().take_while(|c| **c == b' ').count();
        let sep = after[spaces..].chars().next();
        // `owner-facing` is a word, `owner - x` a label.
        let strong =
            matches!(sep, Some(':' | '=')) || (spaces > 0 && matches!(sep, Some('-' | '–' | '—')));
        let mut n = l.len() + spaces;
        if strong {
            n += sep.map_or(0, char::len_utf8);
            n += after[n - l.len()..]
                .bytes()
                .take_while(|c| *c == b' ')
                .count();
        } else if spaces == 0 {
            continue;
        }
        return Some((n, strong));
    }
    None
}

/// An owner's name after its label: up to a separator, at most four words; `@` dropped.
fn owner_value(s: &str) -> (String, usize) {
    let b = s.as_bytes();
    let mut end = 0;
    let mut words = 0;
    let mut in_word = false;
    while end < b.len() && end < MAX_VALUE {
        let c = b[end];
        if matches!(c, b',' | b';' | b'|' | b')' | b']' | b'(' | b'[')
            || s.get(end..).is_some_and(|r| r.starts_with(['—', '–', '·']))
            || b[end..].starts_with(b" - ")
        {
            break;
        }
        if c == b' ' {
            in_word = false;
            // Another hint starts here: the name ends.
            let next = &b[end + 1..];
            if [
                "due", "eta", "by ", "status", "priority", "ticket", "deadline", "target",
            ]
            .iter()
            .any(|k| {
                next.get(..k.len())
                    .is_some_and(|n| n.eq_ignore_ascii_case(k.as_bytes()))
            }) {
                break;
            }
        } else if !in_word {
            in_word = true;
            words += 1;
            if words > 4 {
                break;
            }
        }
        end += 1;
    }
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    let value = s[..end]
        .trim()
        .trim_start_matches('@')
        .trim_end_matches(['.', '-', '–', '—'])
        .trim();
    (value.to_owned(), end)
}

/// A short value after a label (`in progress`, `P1`): up to a separator, at most three words.
fn word_value(s: &str) -> (&str, usize) {
    let mut end = 0;
    let mut words = 0;
    for (j, c) in s.char_indices().take(40) {
        if matches!(c, ',' | ';' | '|' | ')' | ']' | '(' | '.') {
            break;
        }
        if c == ' ' && s[..j].trim_end().len() == j && j > 0 {
            words += 1;
            if words >= 3 {
                break;
            }
        }
        end = j + c.len_utf8();
    }
    (s[..end].trim(), end)
}

fn skip_separators(text: &str, mut i: usize) -> usize {
    let b = text.as_bytes();
    while i < b.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        if matches!(c, ' ' | ':' | '-' | '–' | '—' | '|') {
            i += c.len_utf8();
        } else {
            break;
        }
    }
    i
}

/// Separators around hints, dropped at the text's ends and when doubled.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | ',' | ';' | ':' | '-' | '–' | '—' | '|' | '/' | '·' | '•'
    )
}

fn apply(text: &str, edits: &[Edit]) -> String {
    if edits.is_empty() {
        return text.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for e in edits {
        out.push_str(&text[pos..e.start]);
        out.push_str(&e.with);
        out.push(' ');
        pos = e.end;
    }
    out.push_str(&text[pos..]);
    tidy(&out)
}

/// Spaces collapsed, separators left dangling by cut-out hints dropped, empty brackets gone.
pub fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_whitespace() { ' ' } else { c };
        match c {
            ' ' if out.ends_with(' ') || out.is_empty() => {}
            ',' | ';' => {
                let t = out.trim_end();
                if t.is_empty() || t.ends_with([',', ';', ':', '-', '–', '—', '|', '(', '[']) {
                    continue;
                }
                let n = t.len();
                out.truncate(n);
                out.push(c);
            }
            ')' | ']' => {
                let t = out.trim_end().len();
                out.truncate(t);
                if out.ends_with('(') || out.ends_with('[') {
                    out.pop();
                    let t = out.trim_end().len();
                    out.truncate(t);
                    continue;
                }
                out.push(c);
            }
            '.' => {
                let t = out.trim_end();
                if t.ends_with([',', ';']) {
                    let n = t.len() - 1;
                    out.truncate(n);
                } else {
                    let n = t.len();
                    out.truncate(n);
                }
                out.push('.');
            }
            c => out.push(c),
        }
    }
    let t = out
        .trim_matches(|c: char| is_separator(c) && c != '-' || c == ' ')
        .trim_end_matches(|c: char| is_separator(c));
    let t = t.trim_start_matches([' ', ',', ';', ':', '|']);
    t.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> (String, Found) {
        let mut f = Found::default();
        let t = extract(text, &mut f);
        (t, f)
    }

    #[test]
    fn owner_due_ticket_in_prose() {
        let (t, f) = run("Add an alarm on queue depth @maria.lopez due 2024-04-01 (OPS-1234)");
        assert_eq!(t, "Add an alarm on queue depth");
        assert_eq!(f.owner.as_deref(), Some("maria.lopez"));
        assert_eq!(f.due.map(|d| d.to_string()).as_deref(), Some("2024-04-01"));
        assert_eq!(f.ticket.as_deref(), Some("OPS-1234"));
    }

    #[test]
    fn labelled_hints() {
        let (t, f) = run("Rotate the keys. Owner: Jane Doe, ETA: March 3, 2024 [P1] (in progress)");
        assert_eq!(t, "Rotate the keys.");
        assert_eq!(f.owner.as_deref(), Some("Jane Doe"));
        assert_eq!(f.due.map(|d| d.to_string()).as_deref(), Some("2024-03-03"));
        assert_eq!(f.priority, Some(Priority::High));
        assert_eq!(f.status, Some(ItemStatus::InProgress));
        let (t, f) = run("Write the runbook - owner - sre-team (by 2024-05-01) [done]");
        assert_eq!(t, "Write the runbook");
        assert_eq!(f.owner.as_deref(), Some("sre-team"));
        assert_eq!(f.due.map(|d| d.to_string()).as_deref(), Some("2024-05-01"));
        assert_eq!(f.status, Some(ItemStatus::Done));
    }

    #[test]
    fn tracker_urls_and_keys_mid_sentence() {
        let (t, f) = run("Backport the OPS-12 fix to v2 https://github.com/acme/api/issues/881");
        // The URL at the end is the ticket; the key stays part of the sentence.
        assert_eq!(t, "Backport the OPS-12 fix to v2");
        assert_eq!(
            f.ticket.as_deref(),
            Some("https://github.com/acme/api/issues/881")
        );
        let (t, f) = run("Backport the OPS-12 fix to v2");
        assert_eq!(t, "Backport the OPS-12 fix to v2");
        assert_eq!(f.ticket.as_deref(), Some("OPS-12"));
        let (t, f) =
            run("Read https://example.com/blog first, then fix https://jira.acme.io/browse/DB-7");
        assert_eq!(t, "Read https://example.com/blog first, then fix");
        assert_eq!(
            f.ticket.as_deref(),
            Some("https://jira.acme.io/browse/DB-7")
        );
    }

    #[test]
    fn not_hints() {
        for text in [
            "Move to UTF-8 everywhere",
            "Ask who owns the cache (the platform team?)",
            "Email ops@example.com when the job fails",
            "Stand by for the vendor fix",
        ] {
            let (t, f) = run(text);
            assert_eq!(t, text);
            assert_eq!(f, Found::default(), "{text}");
        }
    }

    #[test]
    fn leading_priority_and_bracket_groups_keep_other_words() {
        let (t, f) = run("P2: Shard the index (see the design doc, INFRA-9)");
        assert_eq!(t, "Shard the index (see the design doc)");
        assert_eq!(f.priority, Some(Priority::Medium));
        assert_eq!(f.ticket.as_deref(), Some("INFRA-9"));
    }

    #[test]
    fn hostile_input_is_linear() {
        let long = "owner: (".repeat(200_000) + &"@a ".repeat(100_000) + &"x".repeat(2_000_000);
        let start = std::time::Instant::now();
        let (_, f) = run(&long);
        assert!(start.elapsed().as_secs() < 5);
        assert!(f.owner.is_some());
    }
}
