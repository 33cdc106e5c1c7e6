//! The entry of the commands that read the library (`coe search`, `similar`, `digest`,
//! `actions`): the pipeline's load stage, leniently, and the index on disk when it matches
//! the content, otherwise (missing, stale or corrupt) rebuilt.

use super::{BuildOptions, Pipeline};
use crate::diag::Diagnostic;
use crate::library::Library;
use crate::search::schema::Fields;
use crate::search::{guarded, store};
use std::path::Path;
use tantivy::Index;

pub struct Opened {
    pub index: Index,
    pub fields: Fields,
    pub rebuilt: bool,
}

/// The library, from the pipeline's load stage with the parse cache on disk. Files with
/// errors are left out (and returned with the diagnostics): the commands should still work
/// while someone is fixing a COE.
pub fn load_library(
    root: &Path,
    drafts: bool,
    today: Option<jiff::civil::Date>,
) -> (Library, Vec<Diagnostic>) {
    let mut pipeline = Pipeline::new(BuildOptions {
        root: root.to_path_buf(),
        drafts,
        today,
        ..BuildOptions::default()
    });
    let parse_cache = root.join(".coe/parsed.idx");
    let lib = pipeline
        .load(crate::load::Parses::Disk(&parse_cache), true)
        .map(|loaded| loaded.lib)
        .unwrap_or_else(|| Library::build(Vec::new(), drafts, crate::dates::today(today)).0);
    // The configuration's diagnostics are the caller's (it loads the configuration itself).
    let diags = std::mem::take(&mut pipeline.report.diagnostics)
        .into_iter()
        .filter(|d| d.path != "coe.toml")
        .collect();
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
            let answer = guarded(|| ask(&opened))?.ok()?;
            Some((answer, opened, stored))
        },
    );
    if let Some((answer, opened, stored)) = early
        && stored == fingerprint
    {
        return Ok((answer, opened, Vec::new()));
    }
    let (opened, diags) = rebuild_from_content(root, drafts, &fingerprint)?;
    let answer = guarded(|| ask(&opened))
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
        if let Ok(built) = crate::search::index::build(lib, Some(&dir)) {
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
    crate::search::index::build(lib, None)
        .map_err(|e| format!("cannot build the search index: {e}"))
}

/// The similarity index of `lib`, from the index on disk when it is fresh (else rebuilt).
/// `fingerprint` is the content's, taken before `lib` was read (`store::fingerprint`).
pub fn similarity(
    root: &Path,
    lib: &Library,
    fingerprint: &str,
) -> Result<crate::search::similar::SimilarityIndex, String> {
    let (index, _fields, vectors) = vectors_of(root, lib, fingerprint)?;
    let analyzer = crate::search::similar::analyzer(&index).map_err(|e| e.to_string())?;
    Ok(crate::search::similar::SimilarityIndex::new(
        vectors, lib, &analyzer,
    ))
}

/// The index (fresh from disk, else rebuilt) and the term vectors of every COE. An index on
/// disk that cannot be read (tantivy panics on some damaged files) is rebuilt.
pub fn vectors_of(
    root: &Path,
    lib: &Library,
    fingerprint: &str,
) -> Result<(Index, Fields, crate::search::similar::Vectors), String> {
    if let Some((index, fields)) = store::open_fresh(root, fingerprint)
        && let Some(Ok(vectors)) =
            guarded(|| crate::search::similar::Vectors::from_index(&index, &fields, lib.coes.len()))
    {
        return Ok((index, fields, vectors));
    }
    let (index, fields) = rebuild(root, lib, fingerprint)?;
    let vectors = crate::search::similar::Vectors::from_index(&index, &fields, lib.coes.len())
        .map_err(|e| e.to_string())?;
    Ok((index, fields, vectors))
}
