//! What each COE's similar lists are computed from, as one number per COE (its input key).
//! When a rebuild finds a COE's key equal to the last build's, the COE's lists are the same
//! as then: they are not computed again.
//!
//! COE `i`'s lists come from its own top terms and metadata, and from the inverted lists of its
//! heaviest terms that [`SimilarityIndex::ranked`] reads. Those lists name every candidate,
//! and each candidate's key covers all that the lists take from it: its top terms and their
//! weights, its metadata, its date (for "earlier"), and, per term, the stem, its readable
//! word and whether reasons may show it. Term *ids* are left out (they shift when a word
//! enters or leaves the library); their order, which breaks ties, follows the stems' order.

use super::{BONUS_KINDS, SimilarityIndex, key_id, rank_key};
use crate::library::Library;
use rayon::prelude::*;
use std::hash::{BuildHasher, Hash, Hasher};

/// How a COE's lists were found, kept from one build to the next: with it, a rebuild can
/// tell that a COE's lists cannot have changed even when its input key did, because the few
/// COEs that changed stay out of its candidates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    /// Its input key ([`InputKeys::of`]).
    pub key: u64,
    /// How many inverted lists were read.
    pub read: u32,
    /// Its own key: what other COEs' lists take from it.
    pub doc: u64,
    /// How many COEs had a candidate score once the lists were read (a lower bound once the
    /// lists were reused).
    pub touched: u32,
    /// The candidate key of the last candidate kept (`None`: every candidate was kept).
    pub cutoff: Option<u64>,
    /// The candidates kept and scored exactly, as [`rank_key`]s of their candidate scores,
    /// sorted (best first).
    pub candidates: Vec<u64>,
}

/// What a rebuild does with a COE's lists (see [`SimilarityIndex::reusable`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reuse {
    /// They are the last build's; this is the trace to keep.
    Same(Trace),
    /// The lists read and their candidate scores are known: score these candidates again
    /// (some of them changed), as the last build would have with this library.
    Rescore {
        candidates: Vec<u64>,
        read: u32,
        touched: u32,
    },
    /// Compute them.
    Compute,
}

/// More changed COEs than this: only input keys decide.
const MAX_CHANGED: usize = 2048;

/// Keys of every COE and of every inverted list, from which a COE's input key is made.
pub struct InputKeys {
    /// Per COE (library position): what other COEs' lists take from it.
    docs: Vec<u64>,
    /// Per term: the key of its inverted list (each member's position and key).
    lists: Vec<u64>,
}

fn hasher() -> impl Hasher {
    foldhash::quality::FixedState::with_seed(0x7369_6d69_6c61).build_hasher()
}

impl SimilarityIndex {
    /// The keys of this library (~10 ms at 10,000 COEs, in parallel).
    pub fn input_keys(&self, lib: &Library) -> InputKeys {
        let v = &self.vectors;
        let n = v.docs.len();
        let terms: Vec<u64> = (0..v.terms.len())
            .into_par_iter()
            .with_min_len(4096)
            .map(|t| {
                let mut h = hasher();
                v.terms[t].hash(&mut h);
                self.surface[t].hash(&mut h);
                // Reasons leave out words most COEs use.
                ((v.df[t] as usize) * 4 <= n.max(8)).hash(&mut h);
                h.finish()
            })
            .collect();
        let mut terms = terms;
        let first_pseudo = v.terms.len();
        terms.extend((first_pseudo..self.n_ids).map(|t| {
            // A taxonomy dimension: its number among them (names are in the global key). Not
            // its id, which moves whenever a new word enters the library: every COE's key
            // would change with it, and no list would be reused.
            let mut h = hasher();
            (t - first_pseudo).hash(&mut h);
            h.finish()
        }));
        // Taxonomy names (reasons name shared ones by their number) and the library's size.
        let mut h = hasher();
        n.hash(&mut h);
        for (kind, _) in BONUS_KINDS {
            for t in &lib.taxonomy(kind).terms {
                t.name.hash(&mut h);
            }
        }
        let global = h.finish();
        let docs: Vec<u64> = (0..n)
            .into_par_iter()
            .with_min_len(256)
            .map(|d| {
                let mut h = hasher();
                global.hash(&mut h);
                d.hash(&mut h);
                lib.coes[d].date.hash(&mut h);
                self.meta[d].ids.hash(&mut h);
                self.meta[d].ends.hash(&mut h);
                for &(t, w) in &self.top[d] {
                    terms[t as usize].hash(&mut h);
                    w.to_bits().hash(&mut h);
                }
                h.finish()
            })
            .collect();
        let lists = self
            .lists
            .par_iter()
            .with_min_len(1024)
            .map(|list| {
                let mut h = hasher();
                list.len().hash(&mut h);
                for &(d, _) in list {
                    // The weight is the member's own (in its key).
                    docs[d as usize].hash(&mut h);
                }
                h.finish()
            })
            .collect();
        InputKeys { docs, lists }
    }
}

impl InputKeys {
    /// COE `i`'s own key.
    pub fn doc(&self, i: usize) -> u64 {
        self.docs[i]
    }

    /// COE `i`'s input key when its similar lists read the inverted lists of its `read`
    /// heaviest terms (as [`SimilarityIndex::ranked`] reported).
    pub fn of(&self, index: &SimilarityIndex, i: usize, read: usize) -> u64 {
        let mut heavy: Vec<(u32, f32)> = index.top[i].clone();
        heavy.sort_unstable_by_key(|&(t, w)| rank_key(w, t));
        let mut h = hasher();
        self.docs[i].hash(&mut h);
        read.hash(&mut h);
        for &(t, _) in heavy.iter().take(read) {
            self.lists.get(t as usize).hash(&mut h);
        }
        h.finish()
    }
}

impl SimilarityIndex {
    /// Per COE, what to do with its lists given how the last build found them (`previous`,
    /// per library position).
    ///
    /// They are the same when its input key is the same. When the key changed only because a
    /// few other COEs changed (their own keys differ) and the number of lists read cannot
    /// change, the candidate scores of the unchanged COEs are the last build's: the changed
    /// ones' are added up again, as [`SimilarityIndex::ranked`] does and in the same order (so
    /// exactly), and when at least as many candidates as are kept score at or above the last
    /// kept one, the kept candidates are known without reading the lists. They are the same
    /// lists when those are the same candidates and none of them changed; otherwise only they
    /// are scored again.
    pub fn reusable(&self, keys: &InputKeys, previous: &[Trace]) -> Vec<Reuse> {
        let n = self.top.len();
        if previous.len() != n {
            return vec![Reuse::Compute; n];
        }
        let changed: Vec<u32> = (0..n)
            .filter(|&d| previous[d].doc != keys.docs[d])
            .map(|d| d as u32)
            .collect();
        let bounded = !changed.is_empty() && changed.len() <= MAX_CHANGED;
        let mut is_changed = Vec::new();
        // The changed COEs' entries of the inverted lists, by term.
        let mut lists_of_changed: Vec<Vec<(usize, f32)>> = Vec::new();
        if bounded {
            is_changed = vec![false; n];
            lists_of_changed = vec![Vec::new(); self.lists.len()];
            for (slot, &d) in changed.iter().enumerate() {
                is_changed[d as usize] = true;
                for &(t, w) in &self.top[d as usize] {
                    // In the inverted list only when the term is not too common.
                    if !self.lists[t as usize].is_empty() {
                        lists_of_changed[t as usize].push((slot, w));
                    }
                }
            }
        }
        (0..n)
            .into_par_iter()
            .with_min_len(64)
            .map(|i| {
                let was = &previous[i];
                let key = keys.of(self, i, was.read as usize);
                if key == was.key {
                    return Reuse::Same(was.clone());
                }
                if !bounded || is_changed[i] {
                    return Reuse::Compute;
                }
                let Some(candidates) =
                    self.kept_candidates(i, was, &changed, &is_changed, &lists_of_changed)
                else {
                    return Reuse::Compute;
                };
                let touched = was.touched.saturating_sub(changed.len() as u32);
                let same = candidates == was.candidates
                    && candidates.iter().all(|&c| !is_changed[key_id(c) as usize]);
                if same {
                    Reuse::Same(Trace {
                        key,
                        touched,
                        ..was.clone()
                    })
                } else {
                    Reuse::Rescore {
                        candidates,
                        read: was.read,
                        touched,
                    }
                }
            })
            .collect()
    }

    /// The candidates COE `i` (unchanged itself) keeps now, sorted, when they can be told
    /// from the last build's (`was`) and the changed COEs' entries of the inverted lists.
    fn kept_candidates(
        &self,
        i: usize,
        was: &Trace,
        changed: &[u32],
        is_changed: &[bool],
        lists_of_changed: &[Vec<(usize, f32)>],
    ) -> Option<Vec<u64>> {
        let cutoff = was.cutoff?;
        let read = was.read as usize;
        let q = &self.top[i];
        // Every term's list is read: the reading is the same when the terms are.
        let same_reading = read == q.len();
        if !same_reading {
            return None;
        }
        let mut heavy: Vec<(u32, f32)> = q.clone();
        heavy.sort_unstable_by_key(|&(t, w)| rank_key(w, t));
        let mut acc: Vec<Option<f32>> = vec![None; changed.len()];
        for &(t, wq) in heavy.iter().take(read) {
            for &(slot, wd) in &lists_of_changed[t as usize] {
                *acc[slot].get_or_insert(0.0) += wq * wd;
            }
        }
        // Every COE outside the pool scores below the last kept candidate.
        let mut pool: Vec<u64> = was
            .candidates
            .iter()
            .copied()
            .filter(|&c| !is_changed[key_id(c) as usize])
            .collect();
        pool.extend(
            acc.iter()
                .zip(changed)
                .filter_map(|(score, &d)| score.map(|s| rank_key(s, d)))
                .filter(|&key| key <= cutoff),
        );
        if pool.len() < was.candidates.len() {
            return None;
        }
        pool.sort_unstable();
        pool.truncate(was.candidates.len());
        Some(pool)
    }
}
