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
use rayon::prelude::*;
use serde::Serialize;

/// Shards are cut after this many bytes (a term is never split).
const SHARD_BYTES: usize = 6 * 1024;

use super::lengths::{TF_SCALE, tf_units};
use crate::load::codec::put_varint as varint;

/// JavaScript compares strings by UTF-16 code units; shards must be ordered the same way.
fn js_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

#[derive(Serialize)]
struct Manifest<'a> {
    version: u32,
    docs: usize,
    /// Full precision: the browser must divide by the very number `coe search` does.
    avg_len: f64,
    tf_scale: f32,
    /// First term of each shard; shard n is `t/<n>.bin`.
    shards: Vec<&'a str>,
    /// Facet kinds in meta.bin order, each with `[slug, name]` pairs indexed by id.
    facets: Vec<FacetList>,
    /// How queries are read and scored, as `coe search` does (docs/search.md).
    analysis: Analysis,
}

#[derive(Serialize)]
struct Analysis {
    stop_words: &'static [&'static str],
    /// Groups of equivalent terms (the built-in thesaurus and `[search.synonyms]`), as written.
    synonyms: Vec<Vec<String>>,
    synonym_weight: f64,
    k1: f64,
    b: f64,
    coord_base: f64,
    prefix_weight: f64,
    max_expansions: usize,
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

/// The first `n` characters of the text made of `pieces`, white space runs made one space,
/// trimmed (what collecting `n` chars, splitting on white space and joining with spaces
/// gives), copied a word at a time.
fn truncate_chars<'a>(pieces: impl IntoIterator<Item = &'a str>, n: usize) -> String {
    let mut out = String::new();
    let mut space = false;
    let mut left = n;
    for piece in pieces {
        if left == 0 {
            break;
        }
        let (piece, chars) = first_chars(piece, left);
        left -= chars;
        // Words here are separated by one white space character each.
        for (i, word) in piece.split(char::is_whitespace).enumerate() {
            if i > 0 {
                space = !out.is_empty();
            }
            if !word.is_empty() {
                if space {
                    out.push(' ');
                    space = false;
                }
                out.push_str(word);
            }
        }
    }
    out
}

/// The first `n` characters of `s` (all of it when shorter) and how many characters that is.
fn first_chars(s: &str, n: usize) -> (&str, usize) {
    if s.len() <= n {
        // Never more characters than bytes.
        return (s, s.chars().count());
    }
    match s.char_indices().nth(n) {
        Some((end, _)) => (&s[..end], n),
        None => (s, s.chars().count()),
    }
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
            let severity = crate::library::severity_label(coe.severity);
            let sev = crate::slug::slugify(&severity);
            Fragment {
                id: &coe.id,
                title: &coe.title,
                url: crate::urls::coe(&coe.slug),
                date: coe.date.to_string(),
                severity,
                sev,
                summary: truncate_chars([coe.summary.as_str()], 400),
                // Only the start of the analysis text is shown: it is not made whole.
                text: truncate_chars(super::index::analysis_pieces(coe), 1200),
            }
        })
        .collect();
    let json = serde_json::to_vec(&frags).map_err(std::io::Error::other)?;
    Ok((format!("search/d/{chunk}.json"), json))
}

pub fn export(lib: &Library, data: &SearchData, sink: &dyn Sink) -> std::io::Result<Stats> {
    export_until(lib, data, sink, &|| false, None)
}

/// The fragment files (`search/d/<c>.json`, by `c`) that hold a COE at one of the `edited`
/// library positions.
fn fragment_files_of(edited: &[usize]) -> std::collections::BTreeSet<usize> {
    edited.iter().map(|&i| i / FRAGMENTS_PER_FILE).collect()
}

/// The paths of the fragment files of a library of `n` COEs that hold none of the `edited`
/// positions: what an export given `edited` leaves as they are.
pub fn unchanged_fragment_paths(n: usize, edited: &[usize]) -> Vec<String> {
    let made = fragment_files_of(edited);
    (0..n.div_ceil(FRAGMENTS_PER_FILE))
        .filter(|c| !made.contains(c))
        .map(|c| format!("search/d/{c}.json"))
        .collect()
}

/// [`export`], given up (an `Interrupted` error) as soon as `stop` says so. Files are made
/// and written in parallel. With `edited`, only the fragment files holding those library
/// positions are made: a fragment shows only its own COEs' parsed text, so over an output
/// whose COEs kept their positions the others are as they were (the caller keeps them, see
/// [`unchanged_fragment_paths`]); they were ~75 ms of a one-edit rebuild at 10,000 COEs.
pub fn export_until(
    lib: &Library,
    data: &SearchData,
    sink: &dyn Sink,
    stop: super::similar::Stop,
    edited: Option<&[usize]>,
) -> std::io::Result<Stats> {
    let stopped = || std::io::Error::new(std::io::ErrorKind::Interrupted, "stopped");
    let v = &data.similarity.vectors;
    let n = lib.coes.len();
    let write = |path: String, bytes: &[u8]| -> std::io::Result<usize> {
        sink.write(&path, bytes)?;
        Ok(bytes.len())
    };

    let postings = Postings::of(v);
    if stop() {
        return Err(stopped());
    }
    let mut order: Vec<u32> = (0..v.terms.len() as u32)
        .filter(|&t| !postings.of_term(t).is_empty())
        .collect();
    // Term ids follow byte order, the same as UTF-16 order but for characters beyond the
    // BMP: the (stable) sort finds the list almost sorted.
    order.sort_by(|&a, &b| js_order(&v.terms[a as usize], &v.terms[b as usize]));
    if stop() {
        return Err(stopped());
    }

    let shards = encode_shards(v, &postings, &order);
    let mut stats = Stats {
        shards: shards.len(),
        terms: order.len(),
        bytes: 0,
    };
    stats.bytes += shards
        .par_iter()
        .enumerate()
        .map(|(i, shard)| {
            if stop() {
                return Err(stopped());
            }
            write(format!("search/t/{i}.bin"), &shard.bytes)
        })
        .sum::<std::io::Result<usize>>()?;

    // Lengths, log-quantised to a byte each (what BM25 needs; like Lucene's norms).
    // Taken from the index's field norms, as `coe search` reads them (search/lengths.rs).
    stats.bytes += write("search/meta.bin".to_owned(), &v.lengths)?;

    // One file per facet, fetched only when the page shows or uses that facet: for each value
    // (by id), its COEs as a count and doc-number deltas. COEs are numbered newest first.
    let facets: Vec<FacetList> = FACET_KINDS
        .iter()
        .map(|&(key, label, kind)| FacetList {
            key,
            label,
            values: facet_values(lib, kind),
        })
        .collect();
    for (key, _, kind) in FACET_KINDS {
        let mut buf = Vec::new();
        for list in facet_members(lib, kind) {
            varint(&mut buf, list.len() as u64);
            let mut prev = 0;
            for &d in list {
                varint(&mut buf, (d - prev) as u64);
                prev = d;
            }
        }
        stats.bytes += write(format!("search/facets/{key}.bin"), &buf)?;
    }

    let files: Vec<usize> = match edited {
        Some(edited) => fragment_files_of(edited)
            .into_iter()
            .map(|c| c * FRAGMENTS_PER_FILE)
            .filter(|&d| d < n)
            .collect(),
        None => (0..n).step_by(FRAGMENTS_PER_FILE).collect(),
    };
    stats.bytes += files
        .into_par_iter()
        .map(|d| {
            if stop() {
                return Err(stopped());
            }
            let (path, json) = fragment(lib, d)?;
            write(path, &json)
        })
        .sum::<std::io::Result<usize>>()?;

    let thesaurus = super::analysis::Thesaurus::new(&lib.synonyms);
    let manifest = Manifest {
        version: 2,
        docs: n,
        avg_len: v.avg_len,
        tf_scale: TF_SCALE,
        shards: shards.iter().map(|s| s.first_term).collect(),
        facets,
        analysis: Analysis {
            stop_words: super::analysis::STOP_WORDS,
            synonyms: thesaurus.raw,
            synonym_weight: super::analysis::SYNONYM_WEIGHT,
            k1: super::query::K1,
            b: super::query::B,
            coord_base: super::query::COORD_BASE,
            prefix_weight: super::query::PREFIX_WEIGHT,
            max_expansions: super::query::MAX_EXPANSIONS,
        },
    };
    let json = serde_json::to_vec(&manifest).map_err(std::io::Error::other)?;
    stats.bytes += write("search/index.json".to_owned(), &json)?;
    Ok(stats)
}

/// Every term's postings (COE, weighted tf) in COE order, in one array: the per-COE vectors
/// turned around.
struct Postings {
    /// Term `t`'s postings are `list[start[t]..start[t + 1]]`.
    start: Vec<usize>,
    list: Vec<(u32, f32)>,
}

impl Postings {
    fn of(v: &super::similar::Vectors) -> Postings {
        // Each term is in `df` COEs: its room in the array is known before filling it.
        let mut start = Vec::with_capacity(v.df.len() + 1);
        let mut total = 0;
        start.push(0);
        for &df in &v.df {
            total += df as usize;
            start.push(total);
        }
        let mut next = start.clone();
        let mut list = vec![(0, 0.0); total];
        for (d, terms) in v.docs.iter().enumerate() {
            for &(t, tf) in terms {
                let at = &mut next[t as usize];
                list[*at] = (d as u32, tf);
                *at += 1;
            }
        }
        Postings { start, list }
    }

    fn of_term(&self, t: u32) -> &[(u32, f32)] {
        &self.list[self.start[t as usize]..self.start[t as usize + 1]]
    }
}

struct Shard<'a> {
    first_term: &'a str,
    bytes: Vec<u8>,
}

/// Terms (in `order`) with their postings, cut into shards after [`SHARD_BYTES`].
fn encode_shards<'a>(
    v: &'a super::similar::Vectors,
    postings: &Postings,
    order: &[u32],
) -> Vec<Shard<'a>> {
    let mut shards: Vec<Shard> = Vec::new();
    let mut buf: Vec<u8> = Vec::new();
    let mut first_term = "";
    for &t in order {
        let term = v.terms[t as usize].as_str();
        if buf.is_empty() {
            first_term = term;
        }
        varint(&mut buf, term.len() as u64);
        buf.extend_from_slice(term.as_bytes());
        let list = postings.of_term(t);
        varint(&mut buf, list.len() as u64);
        let mut prev = 0u32;
        for &(d, tf) in list {
            varint(&mut buf, u64::from(d - prev));
            varint(&mut buf, tf_units(tf));
            prev = d;
        }
        if buf.len() >= SHARD_BYTES {
            shards.push(Shard {
                first_term,
                bytes: std::mem::take(&mut buf),
            });
        }
    }
    if !buf.is_empty() {
        shards.push(Shard {
            first_term,
            bytes: buf,
        });
    }
    shards
}

/// A facet's `[slug, name]` pairs, by id.
fn facet_values(lib: &Library, kind: Option<TaxonomyKind>) -> Vec<(String, String)> {
    match kind {
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
    }
}

/// Per facet value (by id), its COEs in library order: what the library's taxonomies and
/// years already hold.
fn facet_members(lib: &Library, kind: Option<TaxonomyKind>) -> Vec<&[usize]> {
    match kind {
        Some(k) => lib
            .taxonomy(k)
            .terms
            .iter()
            .map(|t| t.coes.as_slice())
            .collect(),
        None => lib.years.values().map(Vec::as_slice).collect(),
    }
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
    fn truncation_keeps_words_and_collapses_white_space() {
        let old = |s: &str, n: usize| {
            let t: String = s.chars().take(n).collect();
            t.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        let texts = [
            "",
            "  a  b\n\nc\t d ",
            "été   à\u{3000}Zürich  ",
            "one two three four five six",
        ];
        for text in texts {
            for n in 0..=text.chars().count() + 1 {
                assert_eq!(truncate_chars([text], n), old(text, n), "{text:?} {n}");
                // Split anywhere into pieces: the same.
                for (cut, _) in text.char_indices() {
                    let pieces = [&text[..cut], &text[cut..]];
                    assert_eq!(
                        truncate_chars(pieces, n),
                        old(text, n),
                        "{text:?} {cut} {n}"
                    );
                }
            }
        }
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
