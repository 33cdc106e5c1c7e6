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
        let timing = std::env::var_os("COE_TIMINGS").is_some();
        let t = std::time::Instant::now();
        let vectors = Vectors::from_index(&index, &fields, lib.coes.len())?;
        let analyzer = similar::analyzer(&index)?;
        let t1 = t.elapsed();
        let similarity = SimilarityIndex::new(vectors, lib, &analyzer);
        let t2 = t.elapsed();
        let (similar, earlier) = similarity
            .all(lib, SIMILAR_PER_COE, EARLIER_PER_COE)
            .into_iter()
            .unzip();
        if timing {
            eprintln!(
                "similar: vectors {t1:?}, prepare {:?}, all {:?}",
                t2 - t1,
                t.elapsed() - t2
            );
        }
        Ok(SearchData {
            index,
            fields,
            similarity,
            similar,
            earlier,
        })
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
