//! The static search index for the browser, exported from the tantivy index's own postings
//! (same tokenizer and stemming as the CLI). Sharded by term so a query fetches only the
//! shards of its words, Pagefind-style:
//!
//! - `search/index.json`: the first term of every shard, facet names, corpus statistics;
//! - `search/meta.bin`: per COE, its length as one byte (for BM25);
//! - `search/facets/<key>.bin`: per facet value, its COEs (fetched when a facet is shown or used);
//! - `search/t/<n>.bin`: terms in UTF-16 order with their postings (doc delta, weighted tf);
//! - `search/d/<c>.json`: the fragments (title, URL, date, severity, excerpt text) of COEs
//!   `8c` to `8c + 7`, as a JSON array: eight COEs a file, because every file costs a build
//!   more than its bytes (10,000 files took 3.7 s to write) and a query shows about ten.
//!
//! Binary numbers are LEB128 varints.

use super::SearchData;
use crate::library::{Library, TaxonomyKind};
use crate::output::Sink;
use crate::render::views;
use serde::Serialize;
use std::collections::HashMap;

/// Shards are cut after this many bytes (a term is never split).
const SHARD_BYTES: usize = 6 * 1024;
/// A document length as one byte: 16 steps per factor e (JS: `Math.exp(q / 16)`).
fn quantise_len(len: f32) -> u8 {
    (len.max(1.0).ln() * 16.0).round().clamp(0.0, 255.0) as u8
}

/// Weighted term frequencies are stored in half units.
const TF_SCALE: f32 = 2.0;

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// JavaScript compares strings by UTF-16 code units; shards must be ordered the same way.
fn js_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

#[derive(Serialize)]
struct Manifest<'a> {
    version: u32,
    docs: usize,
    avg_len: f32,
    tf_scale: f32,
    /// First term of each shard; shard n is `t/<n>.bin`.
    shards: Vec<&'a str>,
    /// Facet kinds in meta.bin order, each with `[slug, name]` pairs indexed by id.
    facets: Vec<FacetList>,
}

#[derive(Serialize)]
struct FacetList {
    key: &'static str,
    label: &'static str,
    values: Vec<(String, String)>,
}

#[derive(Serialize)]
struct Fragment<'a> {
    id: &'a str,
    title: &'a str,
    url: String,
    date: String,
    severity: String,
    sev: String,
    summary: String,
    text: String,
}

/// What the export wrote, for `--verbose` and the benchmark.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub shards: usize,
    pub terms: usize,
    pub bytes: usize,
}

const FACET_KINDS: [(&str, &str, Option<TaxonomyKind>); 6] = [
    ("tag", "Tag", Some(TaxonomyKind::Tags)),
    ("service", "Service", Some(TaxonomyKind::Services)),
    ("root_cause", "Root cause", Some(TaxonomyKind::RootCauses)),
    ("team", "Team", Some(TaxonomyKind::Teams)),
    ("severity", "Severity", Some(TaxonomyKind::Severity)),
    ("year", "Year", None),
];

fn truncate_chars(s: &str, n: usize) -> String {
    let t: String = s.chars().take(n).collect();
    t.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How many COEs' fragments share a file.
pub const FRAGMENTS_PER_FILE: usize = 8;

/// The fragment file that holds COE `d`: its path (`search/d/<d / 8>.json`) and JSON.
pub fn fragment(lib: &Library, d: usize) -> std::io::Result<(String, Vec<u8>)> {
    let chunk = d / FRAGMENTS_PER_FILE;
    let first = chunk * FRAGMENTS_PER_FILE;
    let last = (first + FRAGMENTS_PER_FILE).min(lib.coes.len());
    let frags: Vec<Fragment> = lib.coes[first.min(last)..last]
        .iter()
        .map(|coe| {
            let text = super::index::coe_text(coe);
            let sev = views::severity(coe.severity);
            Fragment {
                id: &coe.id,
                title: &coe.title,
                url: views::coe_url(coe),
                date: coe.date.to_string(),
                severity: sev.label,
                sev: sev.class,
                summary: truncate_chars(&coe.summary, 400),
                text: truncate_chars(&text.analysis, 1200),
            }
        })
        .collect();
    let json = serde_json::to_vec(&frags).map_err(std::io::Error::other)?;
    Ok((format!("search/d/{chunk}.json"), json))
}

pub fn export(lib: &Library, data: &SearchData, sink: &dyn Sink) -> std::io::Result<Stats> {
    export_until(lib, data, sink, &|| false)
}

/// [`export`], given up (an `Interrupted` error) as soon as `stop` says so.
pub fn export_until(
    lib: &Library,
    data: &SearchData,
    sink: &dyn Sink,
    stop: super::similar::Stop,
) -> std::io::Result<Stats> {
    let stopped = || std::io::Error::new(std::io::ErrorKind::Interrupted, "stopped");
    let v = &data.similarity.vectors;
    let n = lib.coes.len();
    let mut stats = Stats::default();
    let mut write = |path: String, bytes: &[u8]| -> std::io::Result<()> {
        stats.bytes += bytes.len();
        sink.write(&path, bytes)
    };

    // Postings per term, from the per-COE vectors read out of the index.
    let mut postings: Vec<Vec<(u32, f32)>> = vec![Vec::new(); v.terms.len()];
    // Lengths are summed in whole half-units, as stored: the same in every run whatever
    // order the index hands the terms over in (f32 sums are not).
    let mut units = vec![0u64; n];
    for (d, terms) in v.docs.iter().enumerate() {
        if d.is_multiple_of(1024) && stop() {
            return Err(stopped());
        }
        for &(t, tf) in terms {
            postings[t as usize].push((d as u32, tf));
            units[d] += ((tf * TF_SCALE).round() as u64).max(1);
        }
    }
    let lengths: Vec<f32> = units.iter().map(|&u| u as f32 / TF_SCALE).collect();
    let mut order: Vec<u32> = (0..v.terms.len() as u32)
        .filter(|&t| !postings[t as usize].is_empty())
        .collect();
    if stop() {
        return Err(stopped());
    }
    // Term ids follow byte order, the same as UTF-16 order but for characters beyond the
    // BMP: the (stable) sort finds the list almost sorted.
    order.sort_by(|&a, &b| js_order(&v.terms[a as usize], &v.terms[b as usize]));
    if stop() {
        return Err(stopped());
    }

    let mut shards: Vec<&str> = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    for &t in &order {
        if buf.is_empty() {
            shards.push(&v.terms[t as usize]);
        }
        let term = v.terms[t as usize].as_bytes();
        varint(&mut buf, term.len() as u64);
        buf.extend_from_slice(term);
        let list = &postings[t as usize];
        varint(&mut buf, list.len() as u64);
        let mut prev = 0u32;
        for &(d, tf) in list {
            varint(&mut buf, u64::from(d - prev));
            varint(&mut buf, ((tf * TF_SCALE).round() as u64).max(1));
            prev = d;
        }
        if buf.len() >= SHARD_BYTES {
            write(format!("search/t/{}.bin", shards.len() - 1), &buf)?;
            buf.clear();
        }
    }
    if !buf.is_empty() {
        write(format!("search/t/{}.bin", shards.len() - 1), &buf)?;
    }
    stats.shards = shards.len();
    stats.terms = order.len();

    // Facet ids per COE, plus lengths and dates.
    let mut facets = Vec::new();
    let mut ids: Vec<HashMap<String, u32>> = Vec::new();
    for (key, label, kind) in FACET_KINDS {
        let values: Vec<(String, String)> = match kind {
            Some(k) => lib
                .taxonomy(k)
                .terms
                .iter()
                .map(|t| (t.slug.clone(), t.name.clone()))
                .collect(),
            None => lib
                .years
                .keys()
                .map(|y| (y.to_string(), y.to_string()))
                .collect(),
        };
        ids.push(
            values
                .iter()
                .enumerate()
                .map(|(i, (slug, _))| (slug.clone(), i as u32))
                .collect(),
        );
        facets.push(FacetList { key, label, values });
    }
    // Lengths, log-quantised to a byte each (what BM25 needs; like Lucene's norms).
    let meta: Vec<u8> = lengths.iter().map(|&l| quantise_len(l)).collect();
    write("search/meta.bin".to_owned(), &meta)?;

    // One file per facet, fetched only when the page shows or uses that facet: for each value
    // (by id), its COEs as a count and doc-number deltas. COEs are numbered newest first.
    for (k, (key, _, kind)) in FACET_KINDS.iter().enumerate() {
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); facets[k].values.len()];
        for (d, coe) in lib.coes.iter().enumerate() {
            let slugs: Vec<String> = match kind {
                Some(kind) => kind
                    .values(coe)
                    .iter()
                    .map(|s| crate::slug::slugify(s))
                    .collect(),
                None => vec![coe.date.year().to_string()],
            };
            for slug in slugs {
                if let Some(&id) = ids[k].get(&slug) {
                    let list = &mut members[id as usize];
                    if list.last() != Some(&(d as u32)) {
                        list.push(d as u32);
                    }
                }
            }
        }
        let mut buf = Vec::new();
        for list in members {
            varint(&mut buf, list.len() as u64);
            let mut prev = 0;
            for d in list {
                varint(&mut buf, u64::from(d - prev));
                prev = d;
            }
        }
        write(format!("search/facets/{key}.bin"), &buf)?;
    }

    for d in (0..lib.coes.len()).step_by(FRAGMENTS_PER_FILE) {
        let (path, json) = fragment(lib, d)?;
        write(path, &json)?;
    }

    let avg_len = if n == 0 {
        0.0
    } else {
        ((units.iter().sum::<u64>() as f64 / n as f64) * 1000.0).round() as f32 / 1000.0
    };
    let manifest = Manifest {
        version: 1,
        docs: n,
        avg_len,
        tf_scale: TF_SCALE,
        shards,
        facets,
    };
    let json = serde_json::to_vec(&manifest).map_err(std::io::Error::other)?;
    write("search/index.json".to_owned(), &json)?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints() {
        let mut v = Vec::new();
        varint(&mut v, 0);
        varint(&mut v, 127);
        varint(&mut v, 128);
        varint(&mut v, 300);
        assert_eq!(v, vec![0, 127, 0x80, 1, 0xac, 2]);
    }

    #[test]
    fn utf16_order() {
        assert_eq!(
            js_order("\u{ff61}", "\u{1f600}"),
            std::cmp::Ordering::Greater
        );
        assert_eq!(js_order("ab", "b"), std::cmp::Ordering::Less);
    }
}
