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

/// Asked now and then during long computations: `true` gives them up.
pub type Stop<'a> = &'a (dyn Fn() -> bool + Sync);

/// Terms kept per COE for similarity: enough for the story, few enough to stay fast.
const TOP_TERMS: usize = 48;
/// How many of a COE's heaviest terms find candidates, and how many candidates are scored
/// exactly: bounds the work per COE whatever the size of the library.
const CANDIDATE_TERMS: usize = 16;
const RERANK: usize = 64;

/// A dense score accumulator, reused across queries on one thread.
struct Scratch {
    acc: Vec<f32>,
    touched: Vec<u32>,
}

impl Scratch {
    fn new(n: usize) -> Scratch {
        Scratch {
            acc: vec![0.0; n],
            touched: Vec::new(),
        }
    }
}

/// Dot product of two vectors sorted by term id.
fn dot(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

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
        Vectors::from_index_until(index, fields, n_docs, &|| false)?
            .ok_or_else(|| tantivy::TantivyError::InternalError("stopped".to_owned()))
    }

    /// [`Vectors::from_index`], given up (`None`) as soon as `stop` says so. Deleted documents
    /// (an index updated in place) are skipped. Term ids follow the terms' byte order, and
    /// terms no live document has are left out: the vectors depend only on what the index
    /// holds, not on how tantivy split it into segments.
    pub fn from_index_until(
        index: &Index,
        fields: &Fields,
        n_docs: usize,
        stop: Stop,
    ) -> tantivy::Result<Option<Vectors>> {
        let searcher = super::searcher(index)?;
        let mut term_ids: HashMap<String, u32> = HashMap::new();
        let mut terms: Vec<String> = Vec::new();
        let mut docs: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n_docs];
        let mut seen = 0usize;
        for segment in searcher.segment_readers() {
            let idx_col = segment.fast_fields().u64("idx")?;
            let to_lib: Vec<usize> = (0..segment.max_doc())
                .map(|d| {
                    if segment.is_deleted(d) {
                        usize::MAX
                    } else {
                        idx_col.first(d).unwrap_or(u64::MAX) as usize
                    }
                })
                .collect();
            for (field, weight) in weighted_text_fields(fields) {
                let inverted = segment.inverted_index(field)?;
                let mut stream = inverted.terms().stream()?;
                while stream.advance() {
                    seen += 1;
                    if seen.is_multiple_of(1024) && stop() {
                        return Ok(None);
                    }
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
        if stop() {
            return Ok(None);
        }
        docs.par_iter_mut().for_each(merge_terms);
        if stop() {
            return Ok(None);
        }
        let mut df = vec![0u32; terms.len()];
        for d in &docs {
            for &(t, _) in d {
                df[t as usize] += 1;
            }
        }
        if stop() {
            return Ok(None);
        }
        // Canonical ids: the live terms in byte order.
        let mut live: Vec<u32> = (0..terms.len() as u32)
            .filter(|&t| df[t as usize] > 0)
            .collect();
        live.par_sort_unstable_by(|&a, &b| terms[a as usize].cmp(&terms[b as usize]));
        let mut remap = vec![u32::MAX; terms.len()];
        for (new, &old) in live.iter().enumerate() {
            remap[old as usize] = new as u32;
        }
        docs.par_iter_mut().for_each(|d| {
            for x in d.iter_mut() {
                x.0 = remap[x.0 as usize];
            }
            d.sort_unstable_by_key(|x| x.0);
        });
        if stop() {
            return Ok(None);
        }
        let df: Vec<u32> = live.iter().map(|&t| df[t as usize]).collect();
        let mut old_terms: Vec<Option<String>> = terms.into_iter().map(Some).collect();
        let terms: Vec<String> = live
            .iter()
            .map(|&t| old_terms[t as usize].take().unwrap_or_default())
            .collect();
        let term_ids: HashMap<String, u32> = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        Ok(Some(Vectors {
            terms,
            term_ids,
            df,
            docs,
        }))
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
    meta: Vec<MetaIds>,
}

impl SimilarityIndex {
    pub fn new(vectors: Vectors, lib: &Library, analyzer: &TextAnalyzer) -> SimilarityIndex {
        match SimilarityIndex::new_until(vectors, lib, analyzer, &|| false) {
            Some(s) => s,
            None => unreachable!("never stopped"),
        }
    }

    /// [`SimilarityIndex::new`], given up (`None`) as soon as `stop` says so.
    pub fn new_until(
        vectors: Vectors,
        lib: &Library,
        analyzer: &TextAnalyzer,
        stop: Stop,
    ) -> Option<SimilarityIndex> {
        let top: Vec<Vec<(u32, f32)>> = vectors
            .docs
            .par_iter()
            .map(|d| {
                if stop() {
                    Vec::new()
                } else {
                    vectors.top_terms(d)
                }
            })
            .collect();
        if stop() {
            return None;
        }
        let mut lists: Vec<Vec<(u32, f32)>> = vec![Vec::new(); vectors.terms.len()];
        let common = (vectors.docs.len() / 4).max(20) as u32;
        for (doc, terms) in top.iter().enumerate() {
            if doc.is_multiple_of(1024) && stop() {
                return None;
            }
            for &(t, w) in terms {
                // Terms in a quarter of the library say little and cost a lot.
                if vectors.df[t as usize] <= common {
                    lists[t as usize].push((doc as u32, w));
                }
            }
        }
        let surface = surface_forms(lib, &vectors, analyzer, stop)?;
        let meta = lib.coes.par_iter().map(|c| meta_ids(lib, c)).collect();
        if stop() {
            return None;
        }
        Some(SimilarityIndex {
            vectors,
            top,
            lists,
            surface,
            meta,
        })
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
        let mut scratch = Scratch::new(lib.coes.len());
        self.similar_with(&mut scratch, lib, q, of, exclude, k)
    }

    /// Candidates come from the inverted lists of the query's heaviest terms (a dense
    /// accumulator, no hashing); the best of them are then scored exactly on all their terms.
    fn similar_with(
        &self,
        s: &mut Scratch,
        lib: &Library,
        q: &[(u32, f32)],
        of: Option<&Coe>,
        exclude: Option<usize>,
        k: usize,
    ) -> Vec<Similar> {
        let of_meta = self.meta_of(lib, of, exclude);
        let ranked = self.ranked(s, q, of_meta.as_ref(), exclude, k);
        self.finish(lib, q, of_meta.as_ref(), ranked.into_iter().take(k))
    }

    fn meta_of(&self, lib: &Library, of: Option<&Coe>, exclude: Option<usize>) -> Option<MetaIds> {
        of.map(|c| match exclude {
            Some(i) => self.meta[i].clone(),
            None => meta_ids(lib, c),
        })
    }

    /// The best candidates for `q`, best first, scored exactly.
    fn ranked(
        &self,
        s: &mut Scratch,
        q: &[(u32, f32)],
        of_meta: Option<&MetaIds>,
        exclude: Option<usize>,
        k: usize,
    ) -> Vec<(usize, f32)> {
        let mut heavy: Vec<(u32, f32)> = q.to_vec();
        heavy.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        for (n, (t, wq)) in heavy.into_iter().enumerate() {
            // Past the heaviest terms, go on only while there are too few candidates
            // (small libraries).
            if n >= CANDIDATE_TERMS && s.touched.len() >= RERANK {
                break;
            }
            for &(d, wd) in self.lists.get(t as usize).map_or(&[][..], Vec::as_slice) {
                let slot = &mut s.acc[d as usize];
                if *slot == 0.0 {
                    s.touched.push(d);
                }
                *slot += wq * wd;
            }
        }
        let mut cands: Vec<(u32, f32)> =
            s.touched.iter().map(|&d| (d, s.acc[d as usize])).collect();
        for &d in &s.touched {
            s.acc[d as usize] = 0.0;
        }
        s.touched.clear();
        cands.retain(|&(d, _)| Some(d as usize) != exclude);
        let keep = RERANK.max(k);
        if cands.len() > keep {
            cands.select_nth_unstable_by(keep - 1, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            cands.truncate(keep);
        }
        let mut scored: Vec<(usize, f32)> = cands
            .into_iter()
            .map(|(d, _)| {
                let d = d as usize;
                let bonus = of_meta.map_or(0.0, |m| metadata_bonus(m, &self.meta[d]));
                (d, dot(q, &self.top[d]) + bonus)
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored
    }

    fn finish(
        &self,
        lib: &Library,
        q: &[(u32, f32)],
        of_meta: Option<&MetaIds>,
        chosen: impl Iterator<Item = (usize, f32)>,
    ) -> Vec<Similar> {
        chosen
            .map(|(d, score)| Similar {
                idx: d,
                score,
                reasons: self.reasons(lib, q, of_meta, d),
            })
            .collect()
    }

    /// For every COE of the library, in parallel: its `k` most similar COEs, and its
    /// `k_earlier` most similar among the incidents that happened before it
    /// ("this happened before", recurrences).
    pub fn all(
        &self,
        lib: &Library,
        k: usize,
        k_earlier: usize,
    ) -> Vec<(Vec<Similar>, Vec<Similar>)> {
        self.all_until(lib, k, k_earlier, &|| false)
            .unwrap_or_default()
    }

    /// [`SimilarityIndex::all`], given up (`None`) as soon as `stop` says so.
    pub fn all_until(
        &self,
        lib: &Library,
        k: usize,
        k_earlier: usize,
        stop: Stop,
    ) -> Option<Vec<(Vec<Similar>, Vec<Similar>)>> {
        let n = lib.coes.len();
        let all: Vec<(Vec<Similar>, Vec<Similar>)> = (0..n)
            .into_par_iter()
            .map_init(
                || Scratch::new(n),
                |s, i| {
                    if stop() {
                        return (Vec::new(), Vec::new());
                    }
                    let q = &self.top[i];
                    let meta = Some(&self.meta[i]);
                    let ranked = self.ranked(s, q, meta, Some(i), k);
                    let date = lib.coes[i].date;
                    let earlier = ranked
                        .iter()
                        .copied()
                        .filter(|&(d, _)| lib.coes[d].date < date)
                        .take(k_earlier);
                    let earlier = self.finish(lib, q, meta, earlier);
                    (
                        self.finish(lib, q, meta, ranked.into_iter().take(k)),
                        earlier,
                    )
                },
            )
            .collect();
        if stop() { None } else { Some(all) }
    }

    /// COE `i`'s most similar COEs among the incidents that happened before it.
    pub fn earlier_than(&self, lib: &Library, i: usize, k: usize) -> Vec<Similar> {
        let mut s = Scratch::new(lib.coes.len());
        let q = &self.top[i];
        let meta = Some(&self.meta[i]);
        let date = lib.coes[i].date;
        let ranked = self.ranked(&mut s, q, meta, Some(i), k);
        let earlier = ranked
            .into_iter()
            .filter(|&(d, _)| lib.coes[d].date < date)
            .take(k);
        self.finish(lib, q, meta, earlier)
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

    fn reasons(
        &self,
        lib: &Library,
        q: &[(u32, f32)],
        of_meta: Option<&MetaIds>,
        d: usize,
    ) -> Vec<String> {
        let mut reasons = Vec::new();
        if let Some(mine) = of_meta {
            let labels = ["same service", "same root cause", "shared tag"];
            for (k, ((kind, _), label)) in BONUS_KINDS.iter().zip(labels).enumerate() {
                let terms = &lib.taxonomy(*kind).terms;
                let shared: Vec<&str> = mine[k]
                    .iter()
                    .filter(|id| self.meta[d][k].binary_search(id).is_ok())
                    .filter_map(|&id| terms.get(id as usize).map(|t| t.name.as_str()))
                    .collect();
                if !shared.is_empty() {
                    let plural = if shared.len() > 1 { "s" } else { "" };
                    reasons.push(format!("{label}{plural}: {}", shared.join(", ")));
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

const BONUS_KINDS: [(TaxonomyKind, f32); 3] = [
    (TaxonomyKind::Services, 0.04),
    (TaxonomyKind::RootCauses, 0.05),
    (TaxonomyKind::Tags, 0.02),
];

/// A COE's services, root causes and tags as sorted taxonomy term numbers.
type MetaIds = [Vec<u32>; 3];

fn meta_ids(lib: &Library, coe: &Coe) -> MetaIds {
    BONUS_KINDS.map(|(kind, _)| {
        let tax = lib.taxonomy(kind);
        let mut ids: Vec<u32> = kind
            .values(coe)
            .iter()
            .filter_map(|v| tax.by_slug.get(&slugify(v)).map(|&i| i as u32))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    })
}

/// Shared services, root causes and tags add a little (at most 0.2) to the text similarity.
fn metadata_bonus(a: &MetaIds, b: &MetaIds) -> f32 {
    let shared =
        |x: &[u32], y: &[u32]| x.iter().filter(|v| y.binary_search(v).is_ok()).count() as f32;
    BONUS_KINDS
        .iter()
        .enumerate()
        .map(|(i, (_, w))| w * shared(&a[i], &b[i]))
        .sum::<f32>()
        .min(0.2)
}

/// A readable word for each stem (`notif` → `notification`), from titles, summaries, whys
/// and action items. Words are counted first and each distinct word is stemmed once.
fn surface_forms(
    lib: &Library,
    vectors: &Vectors,
    analyzer: &TextAnalyzer,
    stop: Stop,
) -> Option<HashMap<u32, String>> {
    let chunks: Vec<HashMap<String, u32>> = lib
        .coes
        .par_chunks(256)
        .map(|chunk| {
            let mut counts: HashMap<String, u32> = HashMap::new();
            if stop() {
                return counts;
            }
            for coe in chunk {
                let whys = coe
                    .whys
                    .iter()
                    .flat_map(|w| [w.question.as_str(), w.answer.as_str()]);
                let actions = coe.action_items.iter().map(|a| a.title.as_str());
                let texts = [coe.title.as_str(), coe.summary.as_str()]
                    .into_iter()
                    .chain(whys)
                    .chain(actions);
                for text in texts {
                    for word in text
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                    {
                        *counts.entry(word.to_lowercase()).or_default() += 1;
                    }
                }
            }
            counts
        })
        .collect();
    if stop() {
        return None;
    }
    let mut words: HashMap<String, u32> = HashMap::new();
    for c in chunks {
        if stop() {
            return None;
        }
        for (w, n) in c {
            *words.entry(w).or_default() += n;
        }
    }
    let mut a = analyzer.clone();
    let mut best: HashMap<u32, (u32, String)> = HashMap::new();
    for (k, (word, n)) in words.into_iter().enumerate() {
        if k.is_multiple_of(1024) && stop() {
            return None;
        }
        let stem = {
            let mut stream = a.token_stream(&word);
            if !stream.advance() {
                continue;
            }
            stream.token().text.clone()
        };
        let Some(&t) = vectors.term_ids.get(&stem) else {
            continue;
        };
        let better = match best.get(&t) {
            None => true,
            Some((m, w)) => n > *m || (n == *m && word < *w),
        };
        if better {
            best.insert(t, (n, word));
        }
    }
    Some(best.into_iter().map(|(t, (_, w))| (t, w)).collect())
}

pub fn analyzer(index: &Index) -> tantivy::Result<TextAnalyzer> {
    index
        .tokenizers()
        .get(ANALYZER)
        .ok_or_else(|| tantivy::TantivyError::InvalidArgument(format!("no {ANALYZER} tokenizer")))
}
