//! Opening the index for `coe search` and `coe similar`: use the one on disk when it matches
//! the content, otherwise (missing, stale or corrupt) rebuild it.

use super::schema::Fields;
use super::store;
use crate::diag::Diagnostic;
use crate::library::Library;
use std::path::Path;
use tantivy::Index;

pub struct Opened {
    pub index: Index,
    pub fields: Fields,
    pub rebuilt: bool,
}

/// Loads the library for indexing. Files with errors are left out (and reported as warnings):
/// search should still work while someone is fixing a COE.
pub fn load_library(
    root: &Path,
    drafts: bool,
    today: Option<jiff::civil::Date>,
) -> (Library, Vec<Diagnostic>) {
    let (coes, mut diags) = crate::load::load_all(&root.join("content"));
    let (lib, more) = Library::build(coes, drafts, crate::dates::today(today));
    diags.extend(more);
    (lib, diags)
}

/// Answers a question (`ask`) from the index on disk while checking, at the same time, that
/// the index is fresh (the check stats every COE file: ~14 ms of CPU at 10,000 COEs, so
/// it runs beside the query instead of before it). When the index is stale, missing or
/// unreadable (an error or even a panic in tantivy), it is rebuilt and asked again.
pub fn ask<T: Send>(
    root: &Path,
    drafts: bool,
    ask: impl Fn(&Opened) -> Result<T, String> + Sync,
) -> Result<(T, Opened, Vec<Diagnostic>), String> {
    let (fingerprint, early) = rayon::join(
        || {
            let t = std::time::Instant::now();
            let fingerprint = store::fingerprint(root, drafts);
            crate::timing!("staleness check (beside the query): {:?}", t.elapsed());
            fingerprint
        },
        || {
            let (index, fields, stored) = store::open_stored(root)?;
            let opened = Opened {
                index,
                fields,
                rebuilt: false,
            };
            let answer = super::guarded(|| ask(&opened))?.ok()?;
            Some((answer, opened, stored))
        },
    );
    if let Some((answer, opened, stored)) = early
        && stored == fingerprint
    {
        return Ok((answer, opened, Vec::new()));
    }
    let (opened, diags) = rebuild_from_content(root, drafts, &fingerprint)?;
    let answer = super::guarded(|| ask(&opened))
        .ok_or_else(|| "the search index could not be read".to_owned())??;
    Ok((answer, opened, diags))
}

fn rebuild_from_content(
    root: &Path,
    drafts: bool,
    fingerprint: &str,
) -> Result<(Opened, Vec<Diagnostic>), String> {
    let (lib, diags) = load_library(root, drafts, None);
    let (index, fields) = rebuild(root, &lib, fingerprint)?;
    Ok((
        Opened {
            index,
            fields,
            rebuilt: true,
        },
        diags,
    ))
}

/// Builds the index of `lib` on disk (in memory if the disk refuses) and installs it.
pub fn rebuild(root: &Path, lib: &Library, fingerprint: &str) -> Result<(Index, Fields), String> {
    if let Ok(dir) = store::fresh_dir(root) {
        if let Ok(built) = super::index::build(lib, Some(&dir)) {
            if store::install(root, &dir, fingerprint).is_ok()
                && let Some(reopened) = store::open_fresh(root, fingerprint)
            {
                return Ok(reopened);
            }
            // Still in use by `built`: left for the next build to replace.
            return Ok(built);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    super::index::build(lib, None).map_err(|e| format!("cannot build the search index: {e}"))
}

/// The similarity index of `lib`, from the index on disk when it is fresh (else rebuilt).
/// `fingerprint` is the content's, taken before `lib` was read (`store::fingerprint`).
pub fn similarity(
    root: &Path,
    lib: &Library,
    fingerprint: &str,
) -> Result<super::similar::SimilarityIndex, String> {
    let (index, _fields, vectors) = vectors_of(root, lib, fingerprint)?;
    let analyzer = super::similar::analyzer(&index).map_err(|e| e.to_string())?;
    Ok(super::similar::SimilarityIndex::new(
        vectors, lib, &analyzer,
    ))
}

/// The index (fresh from disk, else rebuilt) and the term vectors of every COE. An index on
/// disk that cannot be read (tantivy panics on some damaged files) is rebuilt.
pub fn vectors_of(
    root: &Path,
    lib: &Library,
    fingerprint: &str,
) -> Result<(Index, Fields, super::similar::Vectors), String> {
    if let Some((index, fields)) = store::open_fresh(root, fingerprint)
        && let Some(Ok(vectors)) =
            super::guarded(|| super::similar::Vectors::from_index(&index, &fields, lib.coes.len()))
    {
        return Ok((index, fields, vectors));
    }
    let (index, fields) = rebuild(root, lib, fingerprint)?;
    let vectors = super::similar::Vectors::from_index(&index, &fields, lib.coes.len())
        .map_err(|e| e.to_string())?;
    Ok((index, fields, vectors))
}
