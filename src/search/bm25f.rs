//! BM25F scores of a query's groups (docs/search.md#weighting), for `coe search`. The same
//! formula and numbers as `search.js`; this file only decides how the work is laid out.
//!
//! Each term of the query is given a number up front, and its weighted frequencies and idf
//! are kept in vectors by that number: scoring a COE reads slices, with no hashing of terms
//! and no allocation per COE. Only COEs that have one of the terms are scored (the others
//! score nothing), and only their lengths are read.

use super::analysis::Group;
use super::lengths::{self, Norms};
use super::query::{B, COORD_BASE, K1, alt_score, idf};
use std::collections::HashSet;
use tantivy::postings::Postings;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Searcher, Term};

/// A scored COE: its score, its library position (ties: newest first) and its address.
pub type Scored = (f64, u64, DocAddress);

/// One term of the query: per segment, per document, its weighted frequency (Σ field weight ×
/// frequency), and its idf over all fields.
struct TermTf {
    per_segment: Vec<Vec<f32>>,
    idf: f64,
}

/// Scores every COE that `allowed` lets through (all of them when `None`) against `groups`,
/// whose terms are all among `stems` (sorted, without duplicates). With no groups, every
/// allowed COE is returned with score 0; otherwise only those matching a group. In segment
/// and document order.
pub fn score(
    searcher: &Searcher,
    weighted: &[(Field, f32)],
    groups: &[Group],
    stems: &[&str],
    allowed: Option<&HashSet<DocAddress>>,
) -> tantivy::Result<Vec<Scored>> {
    let segments = searcher.segment_readers();
    // The average weighted length of the live COEs and their number, as `index.json` has them.
    let (avg_len, n) = lengths::average(searcher, weighted)?;
    let n = n as f64;
    // Per segment, per document: does it have any of the terms?
    let mut matching: Vec<Vec<bool>> = segments
        .iter()
        .map(|seg| vec![false; seg.max_doc() as usize])
        .collect();
    let mut terms: Vec<TermTf> = Vec::with_capacity(stems.len());
    for &t in stems {
        let mut per_segment = Vec::with_capacity(segments.len());
        let mut df = 0u32;
        for (seg, matching) in segments.iter().zip(&mut matching) {
            let mut tf = vec![0.0f32; seg.max_doc() as usize];
            for &(field, w) in weighted {
                let inverted = seg.inverted_index(field)?;
                let term = Term::from_field_text(field, t);
                if let Some(mut p) = inverted.read_postings(&term, IndexRecordOption::WithFreqs)? {
                    let mut d = p.doc();
                    while d != tantivy::TERMINATED {
                        if let (Some(slot), Some(m)) =
                            (tf.get_mut(d as usize), matching.get_mut(d as usize))
                        {
                            // First seen in this term's fields: one more COE has it.
                            if *slot == 0.0 && !seg.is_deleted(d) {
                                df += 1;
                            }
                            *slot += w * p.term_freq() as f32;
                            *m = true;
                        }
                        d = p.advance();
                    }
                }
            }
            per_segment.push(tf);
        }
        terms.push(TermTf {
            per_segment,
            idf: idf(f64::from(df), n),
        });
    }
    // Each alternative's terms, by number (`None`: not among the stems, never the case).
    let alt_terms: Vec<Vec<Vec<Option<usize>>>> = groups
        .iter()
        .map(|g| {
            g.alts
                .iter()
                .map(|a| {
                    a.terms
                        .iter()
                        .map(|t| stems.binary_search(&t.as_str()).ok())
                        .collect()
                })
                .collect()
        })
        .collect();
    let typed_lens: Vec<usize> = groups.iter().map(Group::typed_len).collect();
    let mut scored: Vec<Scored> = Vec::new();
    // Per term, its score in the COE being scored; one alternative's terms' scores.
    let mut term_scores: Vec<Option<f64>> = vec![None; terms.len()];
    let mut alt_scores: Vec<Option<f64>> = Vec::new();
    for (s, seg) in segments.iter().enumerate() {
        let norms = Norms::of(seg, weighted)?;
        let positions = seg.fast_fields().u64("idx")?;
        for d in 0..seg.max_doc() {
            let matches = matching[s].get(d as usize).copied().unwrap_or(false);
            if seg.is_deleted(d) || !(matches || groups.is_empty()) {
                continue;
            }
            let addr = DocAddress::new(s as u32, d);
            if allowed.is_some_and(|a| !a.contains(&addr)) {
                continue;
            }
            let position = positions.first(d).unwrap_or(u64::MAX);
            if groups.is_empty() {
                scored.push((0.0, position, addr));
                continue;
            }
            // Its weighted length and the terms' frequencies as the browser's index has them
            // (one byte; half units), in the browser's order of operations.
            let len = lengths::len_of_byte(lengths::len_byte(norms.len_tenths(d)));
            let norm = K1 * (1.0 - B + B * len / avg_len);
            for (slot, t) in term_scores.iter_mut().zip(&terms) {
                let weighted_tf = t.per_segment[s].get(d as usize).copied().unwrap_or(0.0);
                *slot = (weighted_tf > 0.0).then(|| {
                    let tf = lengths::tf(weighted_tf);
                    t.idf * tf * (K1 + 1.0) / (tf + norm)
                });
            }
            let mut sum = 0.0;
            let mut matched = 0u32;
            for ((g, alts), &typed_len) in groups.iter().zip(&alt_terms).zip(&typed_lens) {
                let mut best = 0.0f64;
                for (a, ids) in g.alts.iter().zip(alts) {
                    alt_scores.clear();
                    alt_scores.extend(
                        ids.iter()
                            .map(|id| id.and_then(|i| term_scores.get(i).copied().flatten())),
                    );
                    best = best.max(alt_score(a, &alt_scores, typed_len));
                }
                if best > 0.0 {
                    matched += 1;
                    sum += best;
                }
            }
            if matched > 0 {
                let coord =
                    COORD_BASE + (1.0 - COORD_BASE) * f64::from(matched) / groups.len() as f64;
                scored.push((sum * coord, position, addr));
            }
        }
    }
    Ok(scored)
}
