//! A query's last word taken as unfinished when it is in no COE (`thumbn`, or `else` where no
//! COE says "else"): it also matches the terms it continues into, and the terms it is a
//! slightly longer form of, at a lower weight, the most common first. The search page does
//! the same with the terms of its shards (`search.js`), so both rank alike.

use super::analysis::{Alt, Group};
use super::query::{MAX_EXPANSIONS, PREFIX_WEIGHT};
use std::ops::ControlFlow;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Searcher, Term};

/// Adds to the group of `last` (the query's last word, `stem` its last token) an alternative
/// for each term it may be the start of, when `stem` is in no live COE. Returns those terms.
pub fn expand(
    searcher: &Searcher,
    weighted: &[(Field, f32)],
    groups: &mut [Group],
    last: &str,
    stem: &str,
) -> tantivy::Result<Vec<String>> {
    let raw = last.to_lowercase();
    let raw16: Vec<u16> = raw.encode_utf16().collect();
    if raw16.len() < 2 || !raw.chars().all(|c| c.is_alphabetic() || c.is_numeric()) {
        return Ok(Vec::new());
    }
    let Some(group) = groups.iter_mut().rev().find(|g| {
        !g.phrase
            && g.alts
                .first()
                .is_some_and(|a| a.terms.iter().any(|t| t == stem))
    }) else {
        return Ok(Vec::new());
    };
    if in_a_live_coe(searcher, weighted, stem)? {
        return Ok(Vec::new());
    }
    // The terms `raw` continues into, and the forms of it a few letters shorter (lengths in
    // UTF-16 units, as JavaScript counts them).
    let mut candidates: Vec<String> = Vec::new();
    for seg in searcher.segment_readers() {
        for &(field, _) in weighted {
            let inverted = seg.inverted_index(field)?;
            let mut stream = inverted.terms().range().ge(raw.as_bytes()).into_stream()?;
            while stream.advance() && stream.key().starts_with(raw.as_bytes()) {
                if let Ok(t) = std::str::from_utf8(stream.key()) {
                    candidates.push(t.to_owned());
                }
            }
        }
    }
    for k in 3.max(raw16.len().saturating_sub(3))..raw16.len() {
        if let Ok(shorter) = String::from_utf16(&raw16[..k]) {
            candidates.push(shorter);
        }
    }
    candidates.sort_unstable();
    candidates.dedup();
    let have: Vec<String> = group.alts.iter().map(|a| a.terms.join(" ")).collect();
    let mut found: Vec<(String, u32)> = Vec::new();
    for t in candidates {
        if have.contains(&t) {
            continue;
        }
        let df = doc_freq(searcher, weighted, &t)?;
        if df > 0 {
            found.push((t, df));
        }
    }
    found.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then_with(|| a.0.encode_utf16().cmp(b.0.encode_utf16()))
    });
    let terms: Vec<String> = found
        .into_iter()
        .take(MAX_EXPANSIONS)
        .map(|(t, _)| t)
        .collect();
    for t in &terms {
        group.alts.push(Alt {
            terms: vec![t.clone()],
            weight: PREFIX_WEIGHT,
            typed: true,
        });
    }
    Ok(terms)
}

/// How many live COEs have `term` in any of the fields.
fn doc_freq(searcher: &Searcher, weighted: &[(Field, f32)], term: &str) -> tantivy::Result<u32> {
    let mut seen: Vec<Vec<bool>> = searcher
        .segment_readers()
        .iter()
        .map(|seg| vec![false; seg.max_doc() as usize])
        .collect();
    let mut df = 0;
    live_postings(searcher, weighted, term, |s, d| {
        if let Some(slot) = seen[s].get_mut(d as usize)
            && !*slot
        {
            *slot = true;
            df += 1;
        }
        ControlFlow::Continue(())
    })?;
    Ok(df)
}

/// Whether a live COE has `term` in any of the fields: the first one found answers.
fn in_a_live_coe(
    searcher: &Searcher,
    weighted: &[(Field, f32)],
    term: &str,
) -> tantivy::Result<bool> {
    let mut found = false;
    live_postings(searcher, weighted, term, |_, _| {
        found = true;
        ControlFlow::Break(())
    })?;
    Ok(found)
}

/// Calls `visit` with (segment, document) for each live document having `term` in each of
/// the fields (a document once per field it has it in), until it says to stop.
fn live_postings(
    searcher: &Searcher,
    weighted: &[(Field, f32)],
    term: &str,
    mut visit: impl FnMut(usize, DocId) -> ControlFlow<()>,
) -> tantivy::Result<()> {
    for (s, seg) in searcher.segment_readers().iter().enumerate() {
        for &(field, _) in weighted {
            let inverted = seg.inverted_index(field)?;
            let t = Term::from_field_text(field, term);
            if let Some(mut p) = inverted.read_postings(&t, IndexRecordOption::Basic)? {
                let mut d = p.doc();
                while d != tantivy::TERMINATED {
                    if !seg.is_deleted(d) && visit(s, d).is_break() {
                        return Ok(());
                    }
                    d = p.advance();
                }
            }
        }
    }
    Ok(())
}
