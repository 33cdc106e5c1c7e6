//! `/coes.json`: every published COE's metadata for other tools, written in pieces, and one
//! COE's entry (which tells selective rebuilds whether an edit changes the file).

use super::views;
use crate::content::Coe;
use crate::library::Library;
use rayon::prelude::*;
use serde::Serialize;

/// `/coes.json`: every published COE's metadata, for other tools, in pieces of a few hundred
/// entries, each made (in parallel) when it is written: neither a tree of every COE's values
/// nor the whole 28 MB file is in memory at once at 10,000 COEs (both added to the peak).
pub(super) fn pieces(lib: &Library) -> impl Iterator<Item = Vec<u8>> + '_ {
    const PER_PIECE: usize = 512;
    let n = lib.coes.len();
    let head = std::iter::once(b"{\n  \"coes\": [".to_vec());
    let body = (0..n).step_by(PER_PIECE).map(move |start| {
        let entries: Vec<String> = (start..(start + PER_PIECE).min(n))
            .into_par_iter()
            .map(|i| coes_json_entry(lib, i, &lib.coes[i]))
            .collect();
        let mut piece = Vec::with_capacity(entries.iter().map(|e| e.len() + 2).sum());
        for (k, entry) in entries.iter().enumerate() {
            piece.extend_from_slice(if start + k == 0 { b"\n" } else { b",\n" });
            piece.extend_from_slice(entry.as_bytes());
        }
        piece
    });
    let tail: &[u8] = if n == 0 { b"]\n}\n" } else { b"\n  ]\n}\n" };
    head.chain(body).chain(std::iter::once(tail.to_vec()))
}

/// One COE in `coes.json`. Fields in name order: the file was first written from a
/// `serde_json::Value`, whose maps sort their keys, and stays byte for byte the same.
#[derive(Serialize)]
struct CoeJson<'a> {
    action_items: Vec<ActionJson<'a>>,
    /// Where `action_items` came from: `front_matter`, or `body` (the Action Items section,
    /// read because the front matter has no `action_items`).
    action_items_source: &'static str,
    authors: &'a [String],
    customer_impact: Option<&'a str>,
    date: String,
    detected: Option<String>,
    extra: &'a std::collections::BTreeMap<String, serde_json::Value>,
    id: &'a str,
    mitigated: Option<String>,
    published: String,
    referenced_by: Vec<&'a str>,
    related: Vec<&'a str>,
    resolved: Option<String>,
    reviewers: &'a [String],
    root_cause: &'a [String],
    services: &'a [String],
    severity: Option<String>,
    source: String,
    started: Option<String>,
    status: &'a str,
    summary: &'a str,
    tags: &'a [String],
    team: &'a [String],
    time_to_detect_minutes: Option<i64>,
    time_to_mitigate_minutes: Option<i64>,
    time_to_resolve_minutes: Option<i64>,
    title: &'a str,
    url: String,
}

#[derive(Serialize)]
struct ActionJson<'a> {
    closed: Option<String>,
    due: Option<String>,
    extra: &'a std::collections::BTreeMap<String, serde_json::Value>,
    overdue: bool,
    owner: Option<&'a str>,
    priority: Option<&'static str>,
    status: &'static str,
    ticket: Option<&'a str>,
    title: &'a str,
}

/// The entry of `coes.json` for `c` at library position `i` (indented for its place): `c` is
/// the library's COE there, or an earlier version of it (to tell whether an edit changes
/// the file).
pub fn coes_json_entry(lib: &Library, i: usize, c: &Coe) -> String {
    let mins = |d: Option<jiff::SignedDuration>| d.map(|d| d.as_secs() / 60);
    let ids = |list: Option<&Vec<usize>>| {
        list.map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&j| lib.coes[j].id.as_str())
            .collect()
    };
    let value = CoeJson {
        action_items: c
            .action_items
            .iter()
            .map(|a| {
                // Recorded for the whole file instead (see `render_selected`).
                let v = views::action_item(lib, a, lib.today, &Default::default());
                ActionJson {
                    closed: v.closed,
                    due: v.due,
                    extra: &a.extra,
                    overdue: v.overdue,
                    owner: a.owner.as_deref(),
                    priority: v.priority,
                    status: v.status,
                    ticket: a.ticket.as_deref(),
                    title: &a.title,
                }
            })
            .collect(),
        action_items_source: match c.action_items_source {
            crate::content::ItemsSource::FrontMatter => "front_matter",
            crate::content::ItemsSource::Body => "body",
        },
        authors: &c.authors,
        customer_impact: c.customer_impact.as_deref(),
        date: c.date.to_string(),
        detected: c.detected.map(|t| t.to_string()),
        extra: &c.extra,
        id: &c.id,
        mitigated: c.mitigated.map(|t| t.to_string()),
        published: c.published.to_string(),
        referenced_by: ids(lib.referenced_by.get(i)),
        related: ids(lib.related.get(i)),
        resolved: c.resolved.map(|t| t.to_string()),
        reviewers: &c.reviewers,
        root_cause: &c.root_causes,
        services: &c.services,
        severity: c.severity.map(|s| format!("SEV{s}")),
        source: format!("content/{}", c.source),
        started: c.started.map(|t| t.to_string()),
        status: c.status.as_str(),
        summary: &c.summary,
        tags: &c.tags,
        team: &c.teams,
        time_to_detect_minutes: mins(c.time_to_detect()),
        time_to_mitigate_minutes: mins(c.time_to_mitigate()),
        time_to_resolve_minutes: mins(c.time_to_resolve()),
        title: &c.title,
        url: crate::urls::coe(&c.slug),
    };
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (n, line) in text.lines().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        out.push_str("    ");
        out.push_str(line);
    }
    out
}
