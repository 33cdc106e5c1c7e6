//! Search: the tantivy index, queries, similar COEs and the static index for the browser.

pub mod export;
pub mod index;
pub mod open;
pub mod query;
pub mod schema;
pub mod similar;
pub mod stem;
pub mod store;

use crate::library::Library;
use schema::Fields;
use similar::{Similar, SimilarityIndex, Vectors};
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
}

impl SearchData {
    /// Builds everything from an index that holds exactly the library's COEs.
    pub fn from_index(lib: &Library, index: Index, fields: Fields) -> tantivy::Result<SearchData> {
        let Similarities {
            similarity,
            similar,
            earlier,
        } = Similarities::compute(lib, &index, &fields, &|| false)?
            .ok_or_else(|| tantivy::TantivyError::InternalError("stopped".to_owned()))?;
        Ok(SearchData {
            index,
            fields,
            similarity,
            similar,
            earlier,
        })
    }
}

/// The similarity data of a library: what [`SearchData`] holds beside the index.
pub struct Similarities {
    pub similarity: SimilarityIndex,
    pub similar: Vec<Vec<Similar>>,
    pub earlier: Vec<Vec<Similar>>,
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
        let timing = std::env::var_os("COE_TIMINGS").is_some();
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
        let Some(all) = similarity.all_until(lib, SIMILAR_PER_COE, EARLIER_PER_COE, stop) else {
            return Ok(None);
        };
        let (similar, earlier) = all.into_iter().unzip();
        if timing {
            eprintln!(
                "similar: vectors {t1:?}, prepare {:?}, all {:?}",
                t2 - t1,
                t.elapsed() - t2
            );
        }
        Ok(Some(Similarities {
            similarity,
            similar,
            earlier,
        }))
    }
}

/// Runs `f`, which reads an index from disk, and turns a panic inside tantivy (an index
/// written by another build of coe, or damaged on disk) into `None`, silently: the caller
/// rebuilds the index instead of crashing.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    result.ok()
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
