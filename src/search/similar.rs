//! "Similar past failures": TF-IDF vectors read from the index's postings, compared by
//! cosine over each COE's most distinctive terms, plus shared services, root causes and tags.
//! Text dominates, so two incidents with different tags but the same story find each other.

use super::index::{CoeText, coe_text};
use super::schema::{ANALYZER, Fields, weighted_text_fields};
use crate::content::Coe;
use crate::library::{Library, TaxonomyKind};
use crate::slug::slugify;
use foldhash::HashMapExt;
use rayon::prelude::*;
use std::borrow::Cow;
use tantivy::schema::IndexRecordOption;
use tantivy::termdict::TermStreamer;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{Index, InvertedIndexReader, SegmentReader};

mod inputs;
pub use inputs::{InputKeys, Reuse, Trace};

/// Asked now and then during long computations: `true` gives them up.
pub type Stop<'a> = &'a (dyn Fn() -> bool + Sync);

/// Terms kept per COE for similarity: enough for the story, few enough to stay fast.
const TOP_TERMS: usize = 40;
/// How many of a COE's heaviest terms find candidates, and how many candidates are scored
/// exactly: bounds the work per COE whatever the size of the library.
const RERANK: usize = 64;

/// A dense score accumulator, reused across queries on one thread.
struct Scratch {
    /// Per COE, its candidate score so far (0: none; every weight is positive).
    acc: Vec<f32>,
    /// Room for the candidates' keys, one slot per COE, reused.
    keys: Vec<u64>,
    /// Per term, its weight in the query (0: not in it), while candidates are scored.
    query: Vec<f32>,
    /// Per term, one bit: is it in the query? (Small enough to stay in the L1 cache, where
    /// most lookups end: few of a candidate's terms are the query's.)
    in_query: Vec<u64>,
}

impl Scratch {
    fn new(n_docs: usize, n_terms: usize) -> Scratch {
        Scratch {
            acc: vec![0.0; n_docs],
            keys: vec![0; n_docs],
            query: vec![0.0; n_terms],
            in_query: vec![0; n_terms.div_ceil(64)],
        }
    }

    /// Adds `wq × wd` to the score of each COE `d` of `list`, and nothing else: the COEs that
    /// got a score are found afterwards by one pass over the scores. Noting each COE as it
    /// was first scored (as this did before) cost more than that pass: a COE reads ~22,000
    /// list entries at 10,000 COEs (`COE_TIMINGS` prints the total), the pass is 10,000
    /// scores. The sums are the same, added in the same order.
    fn accumulate(&mut self, list: &[(u32, f32)], wq: f32) {
        for &(d, wd) in list {
            if let Some(slot) = self.acc.get_mut(d as usize) {
                *slot += wq * wd;
            }
        }
    }

    /// The COEs with a score, as [`rank_key`]s (so that picking the best is comparing
    /// numbers), in COE order; the scores are reset.
    fn take_candidates(&mut self) -> Vec<u64> {
        let mut n = 0;
        // Without a branch on whether a COE has a score (about half of them do, and a branch
        // would be mispredicted that often): every key is written, and kept by moving on.
        for (d, &score) in self.acc.iter().enumerate() {
            if let Some(key) = self.keys.get_mut(n) {
                *key = rank_key(score, d as u32);
            }
            n += usize::from(score != 0.0);
        }
        let cands = self.keys[..n].to_vec();
        self.acc.fill(0.0);
        cands
    }

    fn set_query(&mut self, q: &[(u32, f32)]) {
        for &(t, w) in q {
            self.query[t as usize] = w;
            self.in_query[t as usize / 64] |= 1 << (t % 64);
        }
    }

    fn clear_query(&mut self, q: &[(u32, f32)]) {
        for &(t, _) in q {
            self.query[t as usize] = 0.0;
            self.in_query[t as usize / 64] = 0;
        }
    }

    /// Dot product of the query and a vector sorted by term id: the products of their common
    /// terms added up in term order.
    fn dot(&self, b: &[(u32, f32)]) -> f32 {
        let mut sum = 0.0;
        for &(t, w) in b {
            if self.in_query[t as usize / 64] & (1 << (t % 64)) != 0 {
                sum += self.query[t as usize] * w;
            }
        }
        sum
    }
}

/// Every COE's terms with their weighted frequency (title ×3, summary ×2, analysis ×1.5 …).
pub struct Vectors {
    /// Term id → stem.
    pub terms: Vec<String>,
    /// Number of COEs with the term in any field.
    pub df: Vec<u32>,
    /// Per term, its inverse document frequency (computed once, not per use).
    idf: Vec<f32>,
    /// Per COE (by library position): (term id, weighted tf), sorted by term id.
    pub docs: Vec<Vec<(u32, f32)>>,
    /// Per COE (by library position), its weighted length as one byte, and the average
    /// length: what BM25F reads (search/lengths.rs), for the browser's index.
    pub lengths: Vec<u8>,
    pub avg_len: f64,
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
    ///
    /// The term dictionaries of every text field of every segment are read side by side, in
    /// byte order (each is sorted): a term gets its id when it is first met, and each COE's
    /// vector comes out sorted by term id, with no hashing of terms and no sort.
    pub fn from_index_until(
        index: &Index,
        fields: &Fields,
        n_docs: usize,
        stop: Stop,
    ) -> tantivy::Result<Option<Vectors>> {
        let searcher = super::searcher(index)?;
        let mut segments = Vec::new();
        for segment in searcher.segment_readers() {
            let mut readers = Vec::new();
            for (field, weight) in weighted_text_fields(fields) {
                readers.push((segment.inverted_index(field)?, weight));
            }
            segments.push((library_positions(segment)?, readers));
        }
        // The term space in byte ranges, read in parallel and joined in order: the ids are
        // those of one pass over all terms in byte order.
        let bounds: Vec<Option<&[u8]>> = std::iter::once(None)
            .chain(SPLITS.iter().map(|b| Some(*b)))
            .chain(std::iter::once(None))
            .collect();
        let parts: Vec<tantivy::Result<Option<TermRange>>> = bounds
            .par_windows(2)
            .map(|w| TermRange::read(&segments, w[0], w[1], n_docs, stop))
            .collect();
        let mut ranges = Vec::with_capacity(parts.len());
        for part in parts {
            match part? {
                Some(r) => ranges.push(r),
                None => return Ok(None),
            }
        }
        if stop() {
            return Ok(None);
        }
        let mut offsets = Vec::with_capacity(ranges.len());
        let mut terms: Vec<String> = Vec::new();
        let mut df: Vec<u32> = Vec::new();
        for r in &mut ranges {
            offsets.push(terms.len() as u32);
            terms.append(&mut r.terms);
            df.append(&mut r.df);
        }
        let docs: Vec<Vec<(u32, f32)>> = (0..n_docs)
            .into_par_iter()
            .map(|d| {
                let len = ranges.iter().map(|r| r.docs[d].len()).sum();
                let mut v = Vec::with_capacity(len);
                for (r, &offset) in ranges.iter().zip(&offsets) {
                    v.extend(r.docs[d].iter().map(|&(t, w)| (t + offset, w)));
                }
                v
            })
            .collect();
        let idf = idf_of(&df, docs.len());
        let (lengths, avg_len) =
            super::lengths::per_position(&searcher, &weighted_text_fields(fields), n_docs)?;
        Ok(Some(Vectors {
            terms,
            df,
            idf,
            docs,
            lengths,
            avg_len,
        }))
    }

    /// The id of a term (a stem), if a live document has it.
    pub fn term_id(&self, term: &str) -> Option<u32> {
        self.terms
            .binary_search_by(|t| t.as_str().cmp(term))
            .ok()
            .map(|t| t as u32)
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
            &text.taxonomy,
        ];
        for ((_, weight), part) in weighted_text_fields(fields).iter().zip(parts) {
            let mut stream = analyzer.token_stream(part);
            while stream.advance() {
                if let Some(t) = self.term_id(&stream.token().text) {
                    out.push((t, *weight));
                }
            }
        }
        merge_terms(&mut out);
        out
    }

    /// The most distinctive terms of a vector of (term, weighted tf, factor), TF-IDF weighted
    /// times the factor and L2-normalised.
    pub fn top_terms(&self, v: &[(u32, f32, f32)]) -> Vec<(u32, f32)> {
        let mut w: Vec<(u32, f32)> = v
            .iter()
            .map(|&(t, tf, f)| (t, (1.0 + tf.max(1.0).ln()) * self.idf[t as usize] * f))
            .collect();
        // The heaviest terms first: only those kept are sorted (term ids are unique, so the
        // order is total and the result the same as sorting them all).
        if w.len() > TOP_TERMS {
            w.select_nth_unstable_by(TOP_TERMS - 1, heaviest_first);
            w.truncate(TOP_TERMS);
        }
        w.sort_by(heaviest_first);
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

/// Where the term space is split to be read in parallel (stems are mostly lower-case ASCII).
const SPLITS: [&[u8]; 3] = [b"f", b"m", b"s"];

/// The terms of one byte range of every field of every segment, with local ids (in byte
/// order from 0) and each COE's part of its vector.
struct TermRange {
    terms: Vec<String>,
    df: Vec<u32>,
    docs: Vec<Vec<(u32, f32)>>,
}

type Segments = [(Vec<usize>, Vec<(std::sync::Arc<InvertedIndexReader>, f32)>)];

impl TermRange {
    /// Terms from `from` (included) to `to` (excluded); `None` as soon as `stop` says so.
    fn read(
        segments: &Segments,
        from: Option<&[u8]>,
        to: Option<&[u8]>,
        n_docs: usize,
        stop: Stop,
    ) -> tantivy::Result<Option<TermRange>> {
        // Segment by segment, field by field: for one COE (in one segment) a term's weights
        // are added up in field order, as they always were.
        let mut streams = Vec::new();
        for (to_lib, readers) in segments {
            for (inverted, weight) in readers {
                let mut range = inverted.terms().range();
                if let Some(from) = from {
                    range = range.ge(from);
                }
                if let Some(to) = to {
                    range = range.lt(to);
                }
                let mut terms = range.into_stream()?;
                let live = terms.advance();
                streams.push(FieldTerms {
                    inverted,
                    terms,
                    weight: *weight,
                    to_lib,
                    live,
                });
            }
        }
        let mut terms: Vec<String> = Vec::new();
        let mut df: Vec<u32> = Vec::new();
        let mut docs: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n_docs];
        let mut key: Vec<u8> = Vec::new();
        let mut seen = 0usize;
        while let Some(smallest) = streams
            .iter()
            .filter(|s| s.live)
            .map(|s| s.terms.key())
            .min()
        {
            seen += 1;
            if seen.is_multiple_of(1024) && stop() {
                return Ok(None);
            }
            key.clear();
            key.extend_from_slice(smallest);
            let text = std::str::from_utf8(&key).ok();
            let tid = terms.len() as u32;
            let mut count = 0;
            for s in streams
                .iter_mut()
                .filter(|s| s.live && s.terms.key() == key)
            {
                if text.is_some() {
                    count += s.add_postings(tid, &mut docs)?;
                }
                s.live = s.terms.advance();
            }
            if let Some(text) = text.filter(|_| count > 0) {
                terms.push(text.to_owned());
                df.push(count);
            }
        }
        Ok(Some(TermRange { terms, df, docs }))
    }
}

/// One text field of one segment, for [`Vectors::from_index_until`]: its terms in byte
/// order, read alongside those of every other field and segment.
struct FieldTerms<'a> {
    inverted: &'a InvertedIndexReader,
    terms: TermStreamer<'a>,
    weight: f32,
    /// Segment document → library position (`usize::MAX` when deleted).
    to_lib: &'a [usize],
    /// `false` once every term was read.
    live: bool,
}

impl FieldTerms<'_> {
    /// Adds the current term's weighted frequencies (as term `tid`) to the vectors of the live
    /// documents that have it; returns how many COEs got the term for the first time.
    fn add_postings(&self, tid: u32, docs: &mut [Vec<(u32, f32)>]) -> std::io::Result<u32> {
        let mut postings = self
            .inverted
            .read_block_postings_from_terminfo(self.terms.value(), IndexRecordOption::WithFreqs)?;
        let mut added = 0;
        while !postings.docs().is_empty() {
            for (&doc, &freq) in postings.docs().iter().zip(postings.freqs()) {
                let Some(d) = self.to_lib.get(doc as usize).and_then(|&i| docs.get_mut(i)) else {
                    continue;
                };
                let tf = self.weight * freq as f32;
                match d.last_mut() {
                    // The same term in an earlier field: added up in field order.
                    Some(last) if last.0 == tid => last.1 += tf,
                    _ => {
                        d.push((tid, tf));
                        added += 1;
                    }
                }
            }
            postings.advance();
        }
        Ok(added)
    }
}

/// Per document of a segment, its position in the library (`usize::MAX` when deleted).
fn library_positions(segment: &SegmentReader) -> tantivy::Result<Vec<usize>> {
    let idx_col = segment.fast_fields().u64("idx")?;
    Ok((0..segment.max_doc())
        .map(|d| {
            if segment.is_deleted(d) {
                usize::MAX
            } else {
                idx_col.first(d).unwrap_or(u64::MAX) as usize
            }
        })
        .collect())
}

/// Inverse document frequencies of terms found in `df[t]` of `n_docs` COEs.
fn idf_of(df: &[u32], n_docs: usize) -> Vec<f32> {
    let n = n_docs.max(1) as f32;
    df.iter()
        .map(|&df| (1.0 + n / df.max(1) as f32).ln())
        .collect()
}

/// A number whose order is [`heaviest_first`]'s for `(id, score)` pairs: the higher score
/// first (in `f32::total_cmp`'s order), then the lower id. Sorting and selecting numbers is
/// cheaper than comparing floats and then ids.
fn rank_key(score: f32, id: u32) -> u64 {
    let bits = score.to_bits();
    // total_cmp's order as unsigned numbers: negative floats below positive ones, reversed.
    let ascending = if bits >> 31 == 1 {
        !bits
    } else {
        bits | 0x8000_0000
    };
    (u64::from(!ascending) << 32) | u64::from(id)
}

fn key_id(key: u64) -> u32 {
    key as u32
}

/// Heaviest weight first, then lowest term id.
fn heaviest_first(a: &(u32, f32), b: &(u32, f32)) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))
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

/// What [`SimilarityIndex::all_until`] does for one COE.
pub enum Work<'a> {
    /// Nothing: its lists are the last build's.
    Skip,
    /// Everything.
    Compute,
    /// Score these candidates (by [`rank_key`], sorted) and make the lists from them; the
    /// lists they were found in and the COEs touched are the last build's.
    Rescore {
        candidates: &'a [u64],
        read: u32,
        touched: u32,
    },
}

/// A COE's similar lists.
#[derive(Debug, Clone, Default)]
pub struct Lists {
    pub similar: Vec<Similar>,
    /// The most similar among the incidents that happened before it.
    pub earlier: Vec<Similar>,
    /// How they were found.
    pub trace: Trace,
}

/// Precomputed top-term vectors and their inverted lists.
pub struct SimilarityIndex {
    pub vectors: Vectors,
    top: Vec<Vec<(u32, f32)>>,
    lists: Vec<Vec<(u32, f32)>>,
    /// Per term id, a readable word for it (`None`: seen nowhere readable).
    surface: Vec<Option<String>>,
    meta: Vec<MetaIds>,
    /// How the text vectors are adjusted before their top terms are taken.
    weights: TermWeights,
    /// Term ids and then one id per taxonomy term (see [`TermWeights::pseudo`]).
    n_ids: usize,
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
        let thesaurus = super::analysis::Thesaurus::new(&lib.synonyms);
        let weights = TermWeights::new(&vectors, lib, &thesaurus);
        let n_ids = vectors.terms.len() + weights.pseudo_weight.len();
        let top: Vec<Vec<(u32, f32)>> = (0..vectors.docs.len())
            .into_par_iter()
            .map(|d| {
                if stop() {
                    Vec::new()
                } else {
                    let own = weights.own_terms(&vectors, &lib.coes[d]);
                    let mut top = vectors.top_terms(&weights.adjust(&vectors.docs[d], &own));
                    top.extend(weights.pseudo_terms(&library_meta_ids(lib, d)));
                    top
                }
            })
            .collect();
        if stop() {
            return None;
        }
        let mut lists: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n_ids];
        for (doc, terms) in top.iter().enumerate() {
            if doc.is_multiple_of(1024) && stop() {
                return None;
            }
            for &(t, w) in terms {
                lists[t as usize].push((doc as u32, w));
            }
        }
        if crate::timing::enabled() {
            let entries: usize = lists.iter().map(Vec::len).sum();
            let read: usize = lists.iter().map(|l| l.len() * l.len()).sum();
            crate::errln!(
                "similar: {entries} entries in the inverted lists, {read} read for all COEs"
            );
        }
        let surface = surface_forms(lib, &vectors, analyzer, stop)?;
        let meta = (0..lib.coes.len())
            .map(|i| library_meta_ids(lib, i))
            .collect();
        if stop() {
            return None;
        }
        Some(SimilarityIndex {
            vectors,
            top,
            lists,
            surface,
            meta,
            weights,
            n_ids,
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
        let mut scratch = Scratch::new(lib.coes.len(), self.n_ids);
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
        let (ranked, _) = self.ranked(s, q, of_meta.as_ref(), exclude, k);
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
    ) -> (Vec<(usize, f32)>, Trace) {
        let mut heavy: Vec<(u32, f32)> = q.to_vec();
        heavy.sort_unstable_by_key(|&(t, w)| rank_key(w, t));
        let mut read = 0;
        // Every term's list: every COE that shares a term gets its exact score.
        for (t, wq) in heavy {
            read += 1;
            s.accumulate(
                self.lists.get(t as usize).map_or(&[][..], Vec::as_slice),
                wq,
            );
        }
        let mut cands = s.take_candidates();
        let touched = cands.len() as u32;
        cands.retain(|&key| Some(key_id(key) as usize) != exclude);
        let keep = RERANK.max(k);
        let mut cutoff = None;
        if cands.len() > keep {
            cands.select_nth_unstable(keep - 1);
            cands.truncate(keep);
            cutoff = Some(cands[keep - 1]);
        }
        let scored = self.rescore(s, q, of_meta, &cands);
        cands.sort_unstable();
        // Kept for the next build: without the room of every COE touched (~300 MB at 10,000).
        cands.shrink_to_fit();
        let trace = Trace {
            read: read as u32,
            touched,
            cutoff,
            candidates: cands,
            ..Trace::default()
        };
        (scored, trace)
    }

    /// The candidates (by [`rank_key`]) scored exactly, best first.
    fn rescore(
        &self,
        s: &mut Scratch,
        q: &[(u32, f32)],
        _of_meta: Option<&MetaIds>,
        cands: &[u64],
    ) -> Vec<(usize, f32)> {
        s.set_query(q);
        let mut scored: Vec<(usize, f32)> = cands
            .iter()
            .map(|&key| {
                let d = key_id(key) as usize;
                (d, s.dot(&self.top[d]))
            })
            .collect();
        s.clear_query(q);
        scored.sort_unstable_by_key(|&(d, score)| rank_key(score, d as u32));
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

    /// For the COEs `work` says to compute or rescore, in parallel: their [`Lists`], with
    /// complete traces (`keys` gives their input keys); `None` for the others, and as soon as
    /// `stop` says so.
    pub fn all_until<'w>(
        &self,
        lib: &Library,
        keys: &InputKeys,
        k: usize,
        k_earlier: usize,
        work: &(dyn Fn(usize) -> Work<'w> + Sync),
        stop: Stop,
    ) -> Option<Vec<Option<Lists>>> {
        let n = lib.coes.len();
        let all: Vec<Option<Lists>> = (0..n)
            .into_par_iter()
            .map_init(
                || Scratch::new(n, self.n_ids),
                |s, i| {
                    if stop() {
                        return None;
                    }
                    let mut lists = match work(i) {
                        Work::Skip => return None,
                        Work::Compute => self.lists_with(s, lib, i, None, k, k_earlier),
                        Work::Rescore {
                            candidates,
                            read,
                            touched,
                        } => {
                            let mut l = self.lists_with(s, lib, i, Some(candidates), k, k_earlier);
                            (l.trace.read, l.trace.touched) = (read, touched);
                            l
                        }
                    };
                    lists.trace.key = keys.of(self, i, lists.trace.read as usize);
                    lists.trace.doc = keys.doc(i);
                    Some(lists)
                },
            )
            .collect();
        if stop() { None } else { Some(all) }
    }

    /// The [`Lists`] of the COEs at `positions`, in parallel.
    pub fn lists_for(
        &self,
        lib: &Library,
        positions: &[usize],
        k: usize,
        k_earlier: usize,
    ) -> Vec<Lists> {
        let n = lib.coes.len();
        positions
            .par_iter()
            .map_init(
                || Scratch::new(n, self.n_ids),
                |s, &i| self.lists_with(s, lib, i, None, k, k_earlier),
            )
            .collect()
    }

    /// COE `i`'s `k` most similar COEs, and its `k_earlier` most similar among the incidents
    /// that happened before it ("this happened before", recurrences). With `given` candidates
    /// (by [`rank_key`], sorted), only those are scored (see [`Reuse::Rescore`]): the trace then
    /// names them and nothing else.
    fn lists_with(
        &self,
        s: &mut Scratch,
        lib: &Library,
        i: usize,
        given: Option<&[u64]>,
        k: usize,
        k_earlier: usize,
    ) -> Lists {
        let q = &self.top[i];
        let meta = Some(&self.meta[i]);
        let (ranked, trace) = match given {
            None => self.ranked(s, q, meta, Some(i), k),
            Some(cands) => (
                self.rescore(s, q, meta, cands),
                Trace {
                    cutoff: cands.last().copied(),
                    candidates: cands.to_vec(),
                    ..Trace::default()
                },
            ),
        };
        let similar = self.finish(lib, q, meta, ranked.iter().copied().take(k));
        let date = lib.coes[i].date;
        // Earlier COEs are often similar ones too: their reasons are made once.
        let earlier = ranked
            .iter()
            .filter(|&&(d, _)| lib.coes[d].date < date)
            .take(k_earlier)
            .map(|&(d, score)| match similar.iter().find(|s| s.idx == d) {
                Some(same) => same.clone(),
                None => Similar {
                    idx: d,
                    score,
                    reasons: self.reasons(lib, q, meta, d),
                },
            })
            .collect();
        Lists {
            similar,
            earlier,
            trace,
        }
    }

    /// COE `i`'s most similar COEs among the incidents that happened before it.
    pub fn earlier_than(&self, lib: &Library, i: usize, k: usize) -> Vec<Similar> {
        let mut s = Scratch::new(lib.coes.len(), self.n_ids);
        let q = &self.top[i];
        let meta = Some(&self.meta[i]);
        let date = lib.coes[i].date;
        let (ranked, _) = self.ranked(&mut s, q, meta, Some(i), k);
        let earlier = ranked
            .into_iter()
            .filter(|&(d, _)| lib.coes[d].date < date)
            .take(k);
        self.finish(lib, q, meta, earlier)
    }

    /// The query vector for a COE that is not in the index.
    pub fn vector_for(
        &self,
        lib: &Library,
        analyzer: &mut TextAnalyzer,
        coe: &Coe,
        fields: &Fields,
    ) -> Vec<(u32, f32)> {
        let v = self
            .vectors
            .vector_for_text(analyzer, &coe_text(coe), fields);
        let own = self.weights.own_terms(&self.vectors, coe);
        let mut top = self.vectors.top_terms(&self.weights.adjust(&v, &own));
        top.extend(self.weights.pseudo_terms(&meta_ids(lib, coe)));
        top
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
                let shared: Vec<&str> = mine
                    .kind(k)
                    .iter()
                    .filter(|id| self.meta[d].kind(k).binary_search(id).is_ok())
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
        let n_terms = self.vectors.terms.len() as u32;
        for &(t, w) in q.iter().filter(|x| x.0 < n_terms) {
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
            .filter_map(|(t, _)| self.surface[*t as usize].as_deref())
            .collect();
        if !words.is_empty() {
            reasons.push(format!("both mention: {}", words.join(", ")));
        }
        reasons
    }
}

/// Taxonomies whose shared terms count, and the weight of a term as rare as can be (a
/// term's weight falls with its share of the library: see [`TermWeights::pseudo`]).
const BONUS_KINDS: [(TaxonomyKind, f32); 3] = [
    (TaxonomyKind::Services, 0.15),
    (TaxonomyKind::RootCauses, 0.3),
    (TaxonomyKind::Tags, 0.3),
];

/// Words that say when or where, not how: never part of a similarity vector.
const WHEN_WHERE: &[&str] = &[
    "afternoon",
    "am",
    "apac",
    "apr",
    "april",
    "aug",
    "august",
    "central",
    "cet",
    "dec",
    "december",
    "east",
    "emea",
    "eu",
    "europe",
    "evening",
    "feb",
    "february",
    "fri",
    "friday",
    "gmt",
    "jan",
    "january",
    "jul",
    "july",
    "jun",
    "june",
    "mar",
    "march",
    "may",
    "mon",
    "monday",
    "morning",
    "night",
    "north",
    "nov",
    "november",
    "oct",
    "october",
    "pm",
    "pst",
    "quarter",
    "region",
    "sat",
    "saturday",
    "sep",
    "sept",
    "september",
    "south",
    "sun",
    "sunday",
    "thu",
    "thursday",
    "today",
    "tue",
    "tuesday",
    "us",
    "utc",
    "wed",
    "wednesday",
    "week",
    "weekend",
    "west",
    "yesterday",
];

/// How the similarity vectors weigh terms beyond TF-IDF (docs/search.md):
/// - stop words, numbers, dates and regions count nothing; so do terms in more than a quarter
///   of the library (they say nothing of a mechanism, and cost the most);
/// - words that cluster by team (a company's, product's or team's own words: found in far
///   fewer teams than words as common) count less, and a COE's own service, team and author
///   words count less in it;
/// - single-word equivalents of the thesaurus count as one term (`k8s` is `kubernetes`);
/// - each taxonomy term (tag, root cause, service) is one more dimension, weighted by rarity.
pub struct TermWeights {
    /// Per term: its factor (0: left out).
    factor: Vec<f32>,
    /// Per term: the term it counts as (itself, or its thesaurus group's first word).
    canonical: Vec<u32>,
    /// Id of the first taxonomy term of each kind of [`BONUS_KINDS`], after the text terms.
    pseudo_start: [u32; 3],
    /// Per taxonomy id (from 0): its weight.
    pseudo_weight: Vec<f32>,
}

/// Terms in more COEs than this count nothing in similarity: they say little of a mechanism
/// and their inverted lists are the longest (an eighth of the library, at least 20).
fn common_df(n: usize) -> u32 {
    (n / 8).max(20) as u32
}

/// A COE's own service, team and author words count this much in its vector.
const OWN_WORDS: f32 = 0.3;
/// The least a word that clusters by team counts.
const CLUSTERED_MIN: f32 = 0.3;

impl TermWeights {
    fn new(v: &Vectors, lib: &Library, thesaurus: &super::analysis::Thesaurus) -> TermWeights {
        let n_terms = v.terms.len();
        let n = v.docs.len();
        let common = common_df(n);
        let mut in_thesaurus = vec![false; n_terms];
        let mut canonical: Vec<u32> = (0..n_terms as u32).collect();
        for group in thesaurus.single_word_groups() {
            let ids: Vec<u32> = group.iter().filter_map(|w| v.term_id(w)).collect();
            for &t in &ids {
                in_thesaurus[t as usize] = true;
                // A word in several groups keeps its first.
                if canonical[t as usize] == t {
                    canonical[t as usize] = ids[0];
                }
            }
        }
        let mut factor: Vec<f32> = (0..n_terms)
            .map(|t| {
                let term = v.terms[t].as_str();
                let number = term.chars().any(|c| c.is_ascii_digit()) && !in_thesaurus[t];
                if v.df[t] > common || number { 0.0 } else { 1.0 }
            })
            .collect();
        for w in super::analysis::STOP_WORDS.iter().chain(WHEN_WHERE) {
            if let Some(t) = v.term_id(&super::stem::memo_stem(w)) {
                factor[t as usize] = 0.0;
            }
        }
        // Words that cluster by team: in how many teams (a COE's first team, or its first
        // author when it has none) each term is, against how many a term as common would be
        // in if COEs chose their words regardless of team.
        let teams = &lib.taxonomy(TaxonomyKind::Teams).of_coe;
        let authors = &lib.taxonomy(TaxonomyKind::Authors).of_coe;
        let n_teams_tax = lib.taxonomy(TaxonomyKind::Teams).terms.len();
        let owner: Vec<Option<usize>> = (0..n)
            .map(|i| {
                teams.get(i).and_then(|t| t.first().copied()).or_else(|| {
                    authors
                        .get(i)
                        .and_then(|a| a.first().map(|&x| n_teams_tax + x))
                })
            })
            .collect();
        let mut by_owner: Vec<(usize, usize)> = owner
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.map(|o| (o, i)))
            .collect();
        by_owner.sort_unstable();
        let mut owners = by_owner.iter().map(|x| x.0).collect::<Vec<_>>();
        owners.dedup();
        let n_owners = owners.len();
        if n_owners >= 3 {
            let mut distinct = vec![0u32; n_terms];
            let mut last = vec![usize::MAX; n_terms];
            for &(o, i) in &by_owner {
                for &(t, _) in &v.docs[i] {
                    if last[t as usize] != o {
                        last[t as usize] = o;
                        distinct[t as usize] += 1;
                    }
                }
            }
            let share = 1.0 - 1.0 / n_owners as f64;
            for t in 0..n_terms {
                let df = v.df[t];
                if df < 3 || factor[t] == 0.0 {
                    continue;
                }
                let expected = n_owners as f64 * (1.0 - share.powi(df as i32));
                let ratio = (f64::from(distinct[t]) / expected.max(1.0)) as f32;
                factor[t] *= ratio.clamp(CLUSTERED_MIN, 1.0);
            }
        }
        // Taxonomy terms: weight × idf / the highest idf.
        let mut pseudo_start = [0u32; 3];
        let mut pseudo_weight = Vec::new();
        let top_idf = (1.0 + n.max(1) as f32).ln();
        for (k, (kind, w)) in BONUS_KINDS.iter().enumerate() {
            pseudo_start[k] = (n_terms + pseudo_weight.len()) as u32;
            for term in &lib.taxonomy(*kind).terms {
                let df = term.coes.len() as u32;
                let weight = if df > common || df < 2 {
                    0.0
                } else {
                    w * (1.0 + n as f32 / df as f32).ln() / top_idf
                };
                pseudo_weight.push(weight);
            }
        }
        TermWeights {
            factor,
            canonical,
            pseudo_start,
            pseudo_weight,
        }
    }

    /// The term ids of a COE's own services, teams and authors.
    fn own_terms(&self, v: &Vectors, coe: &Coe) -> Vec<u32> {
        let mut out: Vec<u32> = [
            TaxonomyKind::Services,
            TaxonomyKind::Teams,
            TaxonomyKind::Authors,
        ]
        .iter()
        .flat_map(|k| k.values(coe))
        .flat_map(|value| super::stem::words(&value))
        .filter_map(|(_, stem)| v.term_id(&stem))
        .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// A COE's text vector with equivalents merged: (term, weighted tf, factor).
    fn adjust(&self, doc: &[(u32, f32)], own: &[u32]) -> Vec<(u32, f32, f32)> {
        let mut out: Vec<(u32, f32, f32)> = doc
            .iter()
            .filter_map(|&(t, tf)| {
                let mut f = self.factor.get(t as usize).copied().unwrap_or(0.0);
                if own.binary_search(&t).is_ok() {
                    f *= OWN_WORDS;
                }
                let c = self.canonical.get(t as usize).copied().unwrap_or(t);
                (f > 0.0).then_some((c, tf, f))
            })
            .collect();
        out.sort_by_key(|x| x.0);
        out.dedup_by(|b, a| {
            if a.0 == b.0 {
                a.1 += b.1;
                a.2 = a.2.max(b.2);
                true
            } else {
                false
            }
        });
        out
    }

    /// A COE's taxonomy dimensions, by id (after every text term), with their weights.
    fn pseudo_terms(&self, meta: &MetaIds) -> Vec<(u32, f32)> {
        let base = self.pseudo_start[0];
        let mut out = Vec::new();
        for k in 0..BONUS_KINDS.len() {
            for &id in meta.kind(k) {
                let t = self.pseudo_start[k] + id;
                let w = self
                    .pseudo_weight
                    .get((t - base) as usize)
                    .copied()
                    .unwrap_or(0.0);
                if w > 0.0 {
                    out.push((t, w));
                }
            }
        }
        out.sort_by_key(|x| x.0);
        out
    }
}

/// A COE's services, root causes and tags as sorted taxonomy term numbers, in one allocation
/// (candidates' are read by the thousand per COE: one cache miss each rather than three).
#[derive(Clone)]
struct MetaIds {
    ids: Vec<u32>,
    /// Where each kind's ids end in `ids` (they start where the previous kind's end).
    ends: [u32; 3],
}

impl MetaIds {
    fn new(kinds: [Vec<u32>; 3]) -> MetaIds {
        let mut ids = Vec::with_capacity(kinds.iter().map(Vec::len).sum());
        let mut ends = [0; 3];
        for (k, kind) in kinds.iter().enumerate() {
            ids.extend_from_slice(kind);
            ends[k] = ids.len() as u32;
        }
        MetaIds { ids, ends }
    }

    /// Kind `k`'s ids (in [`BONUS_KINDS`] order).
    fn kind(&self, k: usize) -> &[u32] {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.ids[start as usize..self.ends[k] as usize]
    }
}

fn meta_ids(lib: &Library, coe: &Coe) -> MetaIds {
    MetaIds::new(BONUS_KINDS.map(|(kind, _)| {
        let tax = lib.taxonomy(kind);
        let mut ids: Vec<u32> = kind
            .values(coe)
            .iter()
            .filter_map(|v| tax.by_slug.get(&slugify(v)).map(|&i| i as u32))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }))
}

/// [`meta_ids`] of COE `i` of the library, from its taxonomies (no slugs to make).
fn library_meta_ids(lib: &Library, i: usize) -> MetaIds {
    MetaIds::new(BONUS_KINDS.map(|(kind, _)| {
        let of_coe = &lib.taxonomy(kind).of_coe[i];
        of_coe.iter().map(|&t| t as u32).collect()
    }))
}

/// A readable word for each stem (`notif` → `notification`), from titles, summaries, whys
/// and action items, by term id. Words are counted first (in parallel) and each distinct word
/// is stemmed once; a stem's word is its most used one (ties: the first in byte order).
fn surface_forms(
    lib: &Library,
    vectors: &Vectors,
    analyzer: &TextAnalyzer,
    stop: Stop,
) -> Option<Vec<Option<String>>> {
    let counts = lib
        .coes
        .par_chunks(256)
        .map(|chunk| {
            if stop() {
                WordCounts::new()
            } else {
                count_words(chunk)
            }
        })
        .reduce(WordCounts::new, merge_counts);
    if stop() {
        return None;
    }
    let words: Vec<(Cow<str>, u32)> = counts.into_iter().collect();
    let stemmed: Vec<(u32, u32, &str)> = words
        .par_chunks(1024)
        .map_init(
            || analyzer.clone(),
            |a, chunk| {
                if stop() {
                    return Vec::new();
                }
                chunk
                    .iter()
                    .filter_map(|(word, n)| {
                        let mut stream = a.token_stream(word);
                        if !stream.advance() {
                            return None;
                        }
                        let t = vectors.term_id(&stream.token().text)?;
                        Some((t, *n, word.as_ref()))
                    })
                    .collect::<Vec<_>>()
            },
        )
        .flatten()
        .collect();
    if stop() {
        return None;
    }
    let mut best: Vec<Option<(u32, &str)>> = vec![None; vectors.terms.len()];
    for (t, n, word) in stemmed {
        let slot = &mut best[t as usize];
        let better = match *slot {
            None => true,
            Some((m, w)) => n > m || (n == m && word < w),
        };
        if better {
            *slot = Some((n, word));
        }
    }
    Some(
        best.into_iter()
            .map(|b| b.map(|(_, w)| w.to_owned()))
            .collect(),
    )
}

/// How often each lowercased word occurs; words already in lower case borrow the library.
type WordCounts<'a> = foldhash::HashMap<Cow<'a, str>, u32>;

fn count_words(coes: &[Coe]) -> WordCounts<'_> {
    let mut counts = WordCounts::new();
    for coe in coes {
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
                let word = lowercase(word);
                match counts.get_mut(word.as_ref()) {
                    Some(n) => *n += 1,
                    None => {
                        counts.insert(word, 1);
                    }
                }
            }
        }
    }
    counts
}

/// `word.to_lowercase()`, without a copy when the word is lower-case ASCII already.
fn lowercase(word: &str) -> Cow<'_, str> {
    if !word.is_ascii() {
        Cow::Owned(word.to_lowercase())
    } else if word.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(word.to_ascii_lowercase())
    } else {
        Cow::Borrowed(word)
    }
}

fn merge_counts<'a>(mut a: WordCounts<'a>, mut b: WordCounts<'a>) -> WordCounts<'a> {
    if a.len() < b.len() {
        std::mem::swap(&mut a, &mut b);
    }
    for (word, n) in b {
        *a.entry(word).or_default() += n;
    }
    a
}

pub fn analyzer(index: &Index) -> tantivy::Result<TextAnalyzer> {
    index
        .tokenizers()
        .get(ANALYZER)
        .ok_or_else(|| tantivy::TantivyError::InvalidArgument(format!("no {ANALYZER} tokenizer")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_keys_order_as_heaviest_first() {
        let scores = [
            f32::NEG_INFINITY,
            -2.5,
            -1.0,
            -f32::MIN_POSITIVE,
            -0.0,
            0.0,
            1e-30,
            0.25,
            0.5,
            3.0,
            f32::INFINITY,
            f32::NAN,
            -f32::NAN,
        ];
        let mut pairs = Vec::new();
        for (i, &s) in scores.iter().enumerate() {
            pairs.push((i as u32, s));
            pairs.push((100 + i as u32, s));
        }
        for a in &pairs {
            for b in &pairs {
                assert_eq!(
                    rank_key(a.1, a.0).cmp(&rank_key(b.1, b.0)),
                    heaviest_first(a, b),
                    "{a:?} {b:?}"
                );
                assert_eq!(key_id(rank_key(a.1, a.0)), a.0);
            }
        }
    }
}
