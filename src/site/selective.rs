//! A rebuild after a few edits renders only the pages those edits change.
//!
//! Which pages those are comes from the planner (`plan.rs`, shared with `coe serve`): what
//! each page recorded while the last build rendered it, against the keys the edits changed,
//! the similar lists that changed included. Everything else a full build would write is kept
//! as it is. A test compares the result with a clean build, byte for byte.

use super::plan;
use super::state::{self, BuildState, CoeState, Record};
use crate::content::Coe;
use crate::incremental::deps::PageDeps;
use crate::library::Library;
use crate::search::SearchData;
use std::collections::HashSet;

/// More edited files than this: render everything.
const MAX_EDITED: usize = 16;

/// What the loader saw change since the parse cache was written.
#[derive(Debug, Default)]
pub struct Edits {
    /// The generation of the parse cache the COEs were loaded with (`None`: no usable cache).
    pub read: Option<i64>,
    /// The generation of the parse cache on disk once it is written.
    pub written: Option<i64>,
    /// The same files as the parse cache listed, none added or removed.
    pub same_files: bool,
    /// Sources parsed again, with their previous parse when the cache had one.
    pub reparsed: Vec<(String, Option<Coe>)>,
}

/// The edited COEs: (library position, the version the last build rendered).
pub struct Plan {
    edited: Vec<(usize, Coe)>,
}

impl Plan {
    /// No COE the pages show was edited.
    pub fn is_empty(&self) -> bool {
        self.edited.is_empty()
    }

    /// The library positions of the edited COEs (the others kept their parse and position).
    pub fn edited(&self) -> Vec<usize> {
        self.edited.iter().map(|(i, _)| *i).collect()
    }
}

/// A plan, when the last build's `state` still describes the output: same inputs besides the
/// COEs, the same COEs at the same positions, each edited COE at the same address. `None`:
/// render everything.
pub fn plan(lib: &Library, previous: Option<&BuildState>, key: u64, edits: &Edits) -> Option<Plan> {
    let previous = previous?;
    let trusted = previous.key == key
        && edits.read == Some(previous.parsed)
        && edits.same_files
        && edits.reparsed.len() <= MAX_EDITED
        && previous.coes.len() == lib.coes.len()
        && previous
            .coes
            .iter()
            .zip(&lib.coes)
            .all(|(s, c)| s.source == c.source);
    if !trusted {
        return None;
    }
    let mut edited = Vec::new();
    for (source, old) in &edits.reparsed {
        let old = old.as_ref()?;
        // Not in the library now, nor in the last build's (it listed the same sources): a
        // COE no page shows.
        let Some(i) = lib.coes.iter().position(|c| &c.source == source) else {
            continue;
        };
        if old.slug != lib.coes[i].slug {
            return None;
        }
        edited.push((i, old.clone()));
    }
    Some(Plan { edited })
}

/// Every page the plan's edits change, similar lists included. A COE whose lists were not
/// computed again (same inputs) shows what it showed.
pub fn pages(
    plan: &Plan,
    lib: &Library,
    search: &SearchData,
    previous: &BuildState,
    record: &Record,
    (shape, paths): (&plan::Shape, &[String]),
) -> HashSet<String> {
    let edited: Vec<(usize, &Coe)> = plan.edited.iter().map(|(i, c)| (*i, c)).collect();
    let mut keys = plan::changes(&record.shape, shape, lib, &edited);
    keys.extend(plan::similar_changes(
        lib.coes.len(),
        |j| previous.coes.get(j).map(|c| (c.similar, c.earlier)),
        |j| (search.computed.get(j) == Some(&true)).then(|| views(search, j)),
    ));
    plan::pages(&record.deps, &keys, paths)
}

/// What COE `j`'s page and digest show of its similar lists (see `state::similar_view`).
fn views(search: &SearchData, j: usize) -> (u64, u64) {
    (
        search.similar.get(j).map_or(0, |l| state::similar_view(l)),
        search.earlier.get(j).map_or(0, |l| state::earlier_view(l)),
    )
}

/// The state a build leaves for the next one: `deps` what every page of the output showed.
/// The lists of a COE not computed again are the last build's: so is what the state says of
/// them.
pub fn new_state(
    key: u64,
    parsed: i64,
    lib: &Library,
    search: &SearchData,
    previous: Option<&[CoeState]>,
    (shape, deps): (plan::Shape, PageDeps),
) -> BuildState {
    BuildState {
        key,
        parsed,
        coes: lib
            .coes
            .iter()
            .enumerate()
            .map(|(j, c)| match previous.and_then(|p| p.get(j)) {
                Some(was) if search.computed.get(j) == Some(&false) => CoeState {
                    source: c.source.clone(),
                    ..was.clone()
                },
                _ => {
                    let (similar, earlier) = views(search, j);
                    CoeState {
                        source: c.source.clone(),
                        similar,
                        earlier,
                    }
                }
            })
            .collect(),
        traces: search.traces.clone(),
        record: Some(Record { shape, deps }),
    }
}
