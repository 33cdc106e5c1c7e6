//! "Similar past failures": TF-IDF vectors read from the index's postings, compared by
//! cosine over each COE's most distinctive terms, plus shared services, root causes and tags.
//! Text dominates, so two incidents with different tags but the same story find each other.

use super::index::{CoeText, coe_text};
use super::schema::{ANALYZER, Fields, weighted_text_fields};
use crate::content::Coe;
use crate::library::{Library, TaxonomyKind};
use crate::slug::slugify;
use rayon::prelude::*;
use std::collections::HashMap;
use tantivy::postings::Postings;
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{DocSet, Index, TERMINATED};

/// Terms kept per COE for similarity: enough for the story, few enough to stay fast.
const TOP_TERMS: usize = 48;

/// Every COE's terms with their weighted frequency (title ×3, summary ×2, analysis ×1.5 …).
pub struct Vectors {
    /// Term id → stem.
    pub terms: Vec<String>,
    pub term_ids: HashMap<String, u32>,
    /// Number of COEs with the term in any field.
    pub df: Vec<u32>,
    /// Per COE (by library position): (term id, weighted tf), sorted by term id.
    pub docs: Vec<Vec<(u32, f32)>>,
}

impl Vectors {
    /// Reads the postings of every text field of every segment.
    pub fn from_index(index: &Index, fields: &Fields, n_docs: usize) -> tantivy::Result<Vectors> {
        let searcher = index.reader()?.searcher();
        let mut term_ids: HashMap<String, u32> = HashMap::new();
        let mut terms: Vec<String> = Vec::new();
        let mut docs: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n_docs];
        for segment in searcher.segment_readers() {
            let idx_col = segment.fast_fields().u64("idx")?;
            let to_lib: Vec<usize> = (0..segment.max_doc())
                .map(|d| idx_col.first(d).unwrap_or(u64::MAX) as usize)
                .collect();
            for (field, weight) in weighted_text_fields(fields) {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted.terms().stream()?;
                while stream.advance() {
                    let Ok(text) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    let tid = match term_ids.get(text) {
                        Some(&t) => t,
                        None => {
                            let t = terms.len() as u32;
                            terms.push(text.to_owned());
                            term_ids.insert(text.to_owned(), t);
                            t
                        }
                    };
                    let mut postings = inverted.read_postings_from_terminfo(
                        stream.value(),
                        IndexRecordOption::WithFreqs,
                    )?;
                    while postings.doc() != TERMINATED {
                        if let Some(d) = to_lib
                            .get(postings.doc() as usize)
                            .and_then(|&i| docs.get_mut(i))
                        {
                            d.push((tid, weight * postings.term_freq() as f32));
                        }
                        postings.advance();
                    }
                }
            }
        }
        docs.par_iter_mut().for_each(merge_terms);
        let mut df = vec![0u32; terms.len()];
        for d in &docs {
            for &(t, _) in d {
                df[t as usize] += 1;
            }
        }
        Ok(Vectors {
            terms,
            term_ids,
            df,
            docs,
        })
    }

    /// A vector for text that is not in the index (a draft), with the index's statistics.
    pub fn vector_for_text(
        &self,
        analyzer: &mut TextAnalyzer,
        text: &CoeText,
        fields: &Fields,
    ) -> Vec<(u32, f32)> {
        let mut out = Vec::new();
        let parts = [
            &text.title,
            &text.summary,
            &text.analysis,
            &text.body,
            &text.actions,
        ];
        for ((_, weight), part) in weighted_text_fields(fields).iter().zip(parts) {
            let mut stream = analyzer.token_stream(part);
            while stream.advance() {
                if let Some(&t) = self.term_ids.get(&stream.token().text) {
                    out.push((t, *weight));
                }
            }
        }
        merge_terms(&mut out);
        out
    }

    fn idf(&self, term: u32) -> f32 {
        let n = self.docs.len().max(1) as f32;
        (1.0 + n / self.df[term as usize].max(1) as f32).ln()
    }

    /// The most distinctive terms of a vector, TF-IDF weighted and L2-normalised.
    pub fn top_terms(&self, v: &[(u32, f32)]) -> Vec<(u32, f32)> {
        let mut w: Vec<(u32, f32)> = v
            .iter()
            .map(|&(t, tf)| (t, (1.0 + tf.ln()) * self.idf(t)))
            .collect();
        w.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        w.truncate(TOP_TERMS);
        let norm = w
            .iter()
            .map(|x| x.1 * x.1)
            .sum::<f32>()
            .sqrt()
            .max(f32::EPSILON);
        for x in &mut w {
            x.1 /= norm;
        }
        w.sort_by_key(|x| x.0);
        w
    }
}

/// Sorts by term and adds up duplicates.
fn merge_terms(d: &mut Vec<(u32, f32)>) {
    d.sort_by_key(|x| x.0);
    d.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 += b.1;
            true
        } else {
            false
        }
    });
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Similar {
    /// Position in `Library::coes`.
    #[serde(skip)]
    pub idx: usize,
    pub score: f32,
    /// Why: shared services, root causes, tags, and the distinctive words both use.
    pub reasons: Vec<String>,
}

/// Precomputed top-term vectors and their inverted lists.
pub struct SimilarityIndex {
    pub vectors: Vectors,
    top: Vec<Vec<(u32, f32)>>,
    lists: Vec<Vec<(u32, f32)>>,
    surface: HashMap<u32, String>,
}

impl SimilarityIndex {
    pub fn new(vectors: Vectors, lib: &Library, analyzer: &TextAnalyzer) -> SimilarityIndex {
        let top: Vec<Vec<(u32, f32)>> = vectors
            .docs
            .par_iter()
            .map(|d| vectors.top_terms(d))
            .collect();
        let mut lists: Vec<Vec<(u32, f32)>> = vec![Vec::new(); vectors.terms.len()];
        let common = (vectors.docs.len() / 4).max(20) as u32;
        for (doc, terms) in top.iter().enumerate() {
            for &(t, w) in terms {
                // Terms in a quarter of the library say little and cost a lot.
                if vectors.df[t as usize] <= common {
                    lists[t as usize].push((doc as u32, w));
                }
            }
        }
        let surface = surface_forms(lib, &vectors, analyzer);
        SimilarityIndex {
            vectors,
            top,
            lists,
            surface,
        }
    }

    /// The `k` COEs most similar to vector `q` (excluding `exclude`), with reasons.
    pub fn similar_to(
        &self,
        lib: &Library,
        q: &[(u32, f32)],
        of: Option<&Coe>,
        exclude: Option<usize>,
        k: usize,
    ) -> Vec<Similar> {
        let mut acc: HashMap<u32, f32> = HashMap::new();
        for &(t, wq) in q {
            for &(d, wd) in self.lists.get(t as usize).map_or(&[][..], Vec::as_slice) {
                *acc.entry(d).or_default() += wq * wd;
            }
        }
        let mut scored: Vec<(usize, f32)> = acc
            .into_iter()
            .filter(|&(d, _)| Some(d as usize) != exclude)
            .map(|(d, s)| {
                let d = d as usize;
                let bonus = of.map_or(0.0, |c| metadata_bonus(c, &lib.coes[d]));
                (d, s + bonus)
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(k);
        scored
            .into_iter()
            .map(|(d, score)| Similar {
                idx: d,
                score,
                reasons: self.reasons(lib, q, of, d),
            })
            .collect()
    }

    /// Similar COEs for every COE of the library, in parallel.
    pub fn all(&self, lib: &Library, k: usize) -> Vec<Vec<Similar>> {
        (0..lib.coes.len())
            .into_par_iter()
            .map(|i| self.similar_to(lib, &self.top[i], Some(&lib.coes[i]), Some(i), k))
            .collect()
    }

    /// The query vector for a COE that is not in the index.
    pub fn vector_for(
        &self,
        analyzer: &mut TextAnalyzer,
        coe: &Coe,
        fields: &Fields,
    ) -> Vec<(u32, f32)> {
        let v = self
            .vectors
            .vector_for_text(analyzer, &coe_text(coe), fields);
        self.vectors.top_terms(&v)
    }

    pub fn top_of(&self, i: usize) -> &[(u32, f32)] {
        &self.top[i]
    }

    fn reasons(&self, lib: &Library, q: &[(u32, f32)], of: Option<&Coe>, d: usize) -> Vec<String> {
        let other = &lib.coes[d];
        let mut reasons = Vec::new();
        if let Some(c) = of {
            for (label, kind) in [
                ("same service", TaxonomyKind::Services),
                ("same root cause", TaxonomyKind::RootCauses),
                ("shared tag", TaxonomyKind::Tags),
            ] {
                let shared = shared_terms(kind, c, other);
                if !shared.is_empty() {
                    let label = if shared.len() > 1 {
                        format!("{label}s")
                    } else {
                        label.to_owned()
                    };
                    reasons.push(format!("{label}: {}", shared.join(", ")));
                }
            }
        }
        let mut common: Vec<(u32, f32)> = Vec::new();
        let theirs = &self.top[d];
        for &(t, w) in q {
            if let Ok(j) = theirs.binary_search_by_key(&t, |x| x.0) {
                common.push((t, w * theirs[j].1));
            }
        }
        common.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let n = self.vectors.docs.len();
        let words: Vec<&str> = common
            .iter()
            // Words most COEs use explain nothing.
            .filter(|(t, _)| {
                (self.vectors.df[*t as usize] as usize) * 4 <= n.max(8)
                    && !self.vectors.terms[*t as usize]
                        .chars()
                        .all(|c| c.is_ascii_digit())
            })
            .take(5)
            // Stems are not words ("notif"); a term seen nowhere readable is left out.
            .filter_map(|(t, _)| self.surface.get(t).map(String::as_str))
            .collect();
        if !words.is_empty() {
            reasons.push(format!("both mention: {}", words.join(", ")));
        }
        reasons
    }
}

fn shared_terms(kind: TaxonomyKind, a: &Coe, b: &Coe) -> Vec<String> {
    let theirs: Vec<String> = kind.values(b).iter().map(|v| slugify(v)).collect();
    let mut out: Vec<String> = Vec::new();
    for v in kind.values(a) {
        if theirs.contains(&slugify(&v)) && !out.iter().any(|o| slugify(o) == slugify(&v)) {
            out.push(v);
        }
    }
    out
}

fn metadata_bonus(a: &Coe, b: &Coe) -> f32 {
    let n = |k: TaxonomyKind| shared_terms(k, a, b).len() as f32;
    (0.04 * n(TaxonomyKind::Services)
        + 0.05 * n(TaxonomyKind::RootCauses)
        + 0.02 * n(TaxonomyKind::Tags))
    .min(0.2)
}

/// A readable word for each stem (`notif` → `notification`), from titles and summaries.
fn surface_forms(
    lib: &Library,
    vectors: &Vectors,
    analyzer: &TextAnalyzer,
) -> HashMap<u32, String> {
    let chunks: Vec<HashMap<u32, HashMap<String, u32>>> = lib
        .coes
        .par_chunks(256)
        .map(|chunk| {
            let mut a = analyzer.clone();
            let mut counts: HashMap<u32, HashMap<String, u32>> = HashMap::new();
            for coe in chunk {
                let whys: String = coe
                    .whys
                    .iter()
                    .map(|w| format!("{} {} ", w.question, w.answer))
                    .collect();
                let actions: String = coe
                    .action_items
                    .iter()
                    .map(|a| format!("{} ", a.title))
                    .collect();
                for text in [&coe.title, &coe.summary, &whys, &actions] {
                    for word in text
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                    {
                        let lower = word.to_lowercase();
                        let mut stream = a.token_stream(&lower);
                        if stream.advance()
                            && let Some(&t) = vectors.term_ids.get(&stream.token().text)
                        {
                            *counts
                                .entry(t)
                                .or_default()
                                .entry(lower.clone())
                                .or_default() += 1;
                        }
                    }
                }
            }
            counts
        })
        .collect();
    let mut merged: HashMap<u32, HashMap<String, u32>> = HashMap::new();
    for c in chunks {
        for (t, words) in c {
            let e = merged.entry(t).or_default();
            for (w, n) in words {
                *e.entry(w).or_default() += n;
            }
        }
    }
    merged
        .into_iter()
        .filter_map(|(t, words)| {
            let best = words
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))?;
            Some((t, best.0))
        })
        .collect()
}

pub fn analyzer(index: &Index) -> tantivy::Result<TextAnalyzer> {
    index
        .tokenizers()
        .get(ANALYZER)
        .ok_or_else(|| tantivy::TantivyError::InvalidArgument(format!("no {ANALYZER} tokenizer")))
}
