//! Search: the tantivy index, queries, similar COEs and the static index for the browser.

pub mod analysis;
pub mod bm25f;
pub mod export;
pub mod freshness;
pub mod index;
pub mod lengths;
pub mod prefix;

pub mod query;
pub mod schema;
pub mod similar;
pub mod stem;
pub mod store;

use crate::library::Library;
use schema::Fields;
use similar::{Reuse, Similar, SimilarityIndex, Trace, Vectors, Work};
use std::sync::atomic::{AtomicUsize, Ordering};
use tantivy::Index;

/// How many similar COEs each COE page shows.
pub const SIMILAR_PER_COE: usize = 5;
/// How many earlier similar COEs a digest shows ("this happened before").
pub const EARLIER_PER_COE: usize = 3;

/// What the index stage hands to rendering.
pub struct SearchData {
    pub index: Index,
    pub fields: Fields,
    pub similarity: SimilarityIndex,
    /// Per COE (library position), its most similar COEs.
    pub similar: Vec<Vec<Similar>>,
    /// Per COE, its most similar COEs among those that happened before it.
    pub earlier: Vec<Vec<Similar>>,
    /// Per COE, how its lists were found (see [`similar::Trace`]): what the next build
    /// compares to reuse them.
    pub traces: Vec<Trace>,
    /// Per COE, whether `similar` and `earlier` hold its lists. `false`: they are those of the
    /// last build (same input key), not computed yet (see [`SearchData::complete`]).
    pub computed: Vec<bool>,
}

impl SearchData {
    /// Builds everything from an index that holds exactly the library's COEs.
    pub fn from_index(lib: &Library, index: Index, fields: Fields) -> tantivy::Result<SearchData> {
        SearchData::from_index_reusing(lib, index, fields, None)
    }

    /// [`SearchData::from_index`], leaving out the lists of COEs that are the ones `previous`
    /// (per library position, from the last build) describes.
    pub fn from_index_reusing(
        lib: &Library,
        index: Index,
        fields: Fields,
        previous: Option<&[Trace]>,
    ) -> tantivy::Result<SearchData> {
        let Similarities {
            similarity,
            similar,
            earlier,
            traces,
            computed,
        } = Similarities::compute_reusing(lib, &index, &fields, previous, &|| false)?
            .ok_or_else(|| tantivy::TantivyError::InternalError("stopped".to_owned()))?;
        Ok(SearchData {
            index,
            fields,
            similarity,
            similar,
            earlier,
            traces,
            computed,
        })
    }

    /// COE `i`'s similar lists, from its new text (`coe serve` after a save); the other COEs
    /// keep theirs, and the index keeps `i`'s old terms, until the catch-up.
    pub fn update_one(
        &mut self,
        analyzer: &mut tantivy::tokenizer::TextAnalyzer,
        lib: &Library,
        i: usize,
    ) {
        let coe = &lib.coes[i];
        let q = self.similarity.vector_for(lib, analyzer, coe, &self.fields);
        // Not excluded by position: its old vector is still in the index, so skip it by hand.
        let mut ranked = self.similarity.similar_to(lib, &q, Some(coe), None, 64);
        ranked.retain(|s| s.idx != i);
        self.earlier[i] = ranked
            .iter()
            .filter(|s| lib.coes[s.idx].date < coe.date)
            .take(EARLIER_PER_COE)
            .cloned()
            .collect();
        ranked.truncate(SIMILAR_PER_COE);
        self.similar[i] = ranked;
    }

    /// Computes the lists of the COEs at `positions` that were left out as unchanged.
    pub fn complete(&mut self, lib: &Library, positions: &[usize]) {
        let missing: Vec<usize> = positions
            .iter()
            .copied()
            .filter(|&i| self.computed.get(i) == Some(&false))
            .collect();
        let lists = self
            .similarity
            .lists_for(lib, &missing, SIMILAR_PER_COE, EARLIER_PER_COE);
        for (i, l) in missing.into_iter().zip(lists) {
            self.similar[i] = l.similar;
            self.earlier[i] = l.earlier;
            self.computed[i] = true;
        }
    }
}

/// The similarity data of a library: what [`SearchData`] holds beside the index.
pub struct Similarities {
    pub similarity: SimilarityIndex,
    pub similar: Vec<Vec<Similar>>,
    pub earlier: Vec<Vec<Similar>>,
    pub traces: Vec<Trace>,
    pub computed: Vec<bool>,
}

impl Similarities {
    /// Reads the index (which holds exactly the library's COEs, deleted documents aside) and
    /// computes every COE's similar COEs; `None` as soon as `stop` says so.
    pub fn compute(
        lib: &Library,
        index: &Index,
        fields: &Fields,
        stop: similar::Stop,
    ) -> tantivy::Result<Option<Similarities>> {
        Similarities::compute_reusing(lib, index, fields, None, stop)
    }

    /// [`Similarities::compute`], except for the COEs whose lists are the ones `previous`
    /// describes ([`SimilarityIndex::reusable`]).
    pub fn compute_reusing(
        lib: &Library,
        index: &Index,
        fields: &Fields,
        previous: Option<&[Trace]>,
        stop: similar::Stop,
    ) -> tantivy::Result<Option<Similarities>> {
        let timing = crate::timing::enabled();
        let t = std::time::Instant::now();
        let Some(vectors) = Vectors::from_index_until(index, fields, lib.coes.len(), stop)? else {
            return Ok(None);
        };
        let analyzer = similar::analyzer(index)?;
        let t1 = t.elapsed();
        let Some(similarity) = SimilarityIndex::new_until(vectors, lib, &analyzer, stop) else {
            return Ok(None);
        };
        let t2 = t.elapsed();
        let keys = similarity.input_keys(lib);
        let reuse = match previous {
            Some(p) => similarity.reusable(&keys, p),
            None => vec![Reuse::Compute; lib.coes.len()],
        };
        let t3 = t.elapsed();
        let Some(all) = similarity.all_until(
            lib,
            &keys,
            SIMILAR_PER_COE,
            EARLIER_PER_COE,
            &|i| match reuse.get(i) {
                Some(Reuse::Same(_)) => Work::Skip,
                Some(Reuse::Rescore {
                    candidates,
                    read,
                    touched,
                }) => Work::Rescore {
                    candidates,
                    read: *read,
                    touched: *touched,
                },
                Some(Reuse::Compute) | None => Work::Compute,
            },
            stop,
        ) else {
            return Ok(None);
        };
        let n = all.len();
        let (mut similar, mut earlier) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut traces, mut computed) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let mut rescored = 0;
        for (lists, reuse) in all.into_iter().zip(reuse) {
            match (lists, reuse) {
                (Some(l), reuse) => {
                    rescored += usize::from(matches!(reuse, Reuse::Rescore { .. }));
                    traces.push(l.trace);
                    similar.push(l.similar);
                    earlier.push(l.earlier);
                    computed.push(true);
                }
                (None, reuse) => {
                    traces.push(match reuse {
                        Reuse::Same(trace) => trace,
                        _ => Trace::default(),
                    });
                    similar.push(Vec::new());
                    earlier.push(Vec::new());
                    computed.push(false);
                }
            }
        }
        if timing {
            let fresh = computed.iter().filter(|&&c| c).count();
            crate::errln!(
                "similar: vectors {t1:?}, prepare {:?}, keys {:?} ({} COEs changed), lists of {fresh} COEs ({rescored} from their last candidates) {:?}",
                t2 - t1,
                t3 - t2,
                previous.map_or(0, |p| p
                    .iter()
                    .enumerate()
                    .filter(|(i, tr)| tr.doc != keys.doc(*i))
                    .count()),
                t.elapsed() - t3
            );
        }
        Ok(Some(Similarities {
            similarity,
            similar,
            earlier,
            traces,
            computed,
        }))
    }
}

/// Runs `f`, which reads an index from disk, and turns a panic inside tantivy (an index
/// written by another build of coe, or damaged on disk) into `None`, silently: the caller
/// rebuilds the index instead of crashing.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    QUIET_PANICS.fetch_add(1, Ordering::SeqCst);
    install_quiet_hook();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET_PANICS.fetch_sub(1, Ordering::SeqCst);
    result.ok()
}

/// How many [`guarded`] calls are running. While any is, panics are not printed: the panic
/// may come from a pool thread working for the guarded call, so the guard is process-wide.
static QUIET_PANICS: AtomicUsize = AtomicUsize::new(0);

/// Installs, once, a panic hook that stays quiet while a [`guarded`] call runs and otherwise
/// prints as the hook before it did. Installed once and never swapped back, so overlapping
/// guarded calls (on several threads) cannot leave the wrong hook in place.
fn install_quiet_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET_PANICS.load(Ordering::SeqCst) == 0 {
                previous(info);
            }
        }));
    });
}

/// A searcher without the file watcher tantivy starts by default: a short-lived process
/// (`coe search`) should not pay for a thread it never uses.
pub fn searcher(index: &Index) -> tantivy::Result<tantivy::Searcher> {
    let reader: tantivy::IndexReader = index
        .reader_builder()
        .reload_policy(tantivy::ReloadPolicy::Manual)
        .try_into()?;
    Ok(reader.searcher())
}
