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

use super::{BONUS_KINDS, SimilarityIndex, rank_key};
use crate::library::Library;
use rayon::prelude::*;
use std::hash::{BuildHasher, Hash, Hasher};

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
