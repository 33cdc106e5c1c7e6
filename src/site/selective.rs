//! A rebuild after a few edits renders only the pages those edits change.
//!
//! The pages an edited COE appears on come from [`affected`](super::affected) (the same
//! reasoning `coe serve` uses after a save); the pages whose similar lists changed come from
//! comparing what each page shows of its similar COEs with what the last build's state
//! recorded. Everything else a full build would write is kept as it is. A test compares the
//! result with a clean build, byte for byte.

use super::affected::{self, Before};
use super::state::{self, BuildState, CoeState};
use crate::config::Config;
use crate::content::Coe;
use crate::library::Library;
use crate::library::weeks::IsoWeek;
use crate::search::SearchData;
use std::collections::{BTreeSet, HashSet};

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

/// What the previous versions of the edited COEs showed, when only pages need updating.
pub struct Plan {
    befores: Vec<Before>,
}

impl Plan {
    /// Nothing a page shows can have changed.
    pub fn is_empty(&self) -> bool {
        self.befores.is_empty()
    }

    /// The library positions of the edited COEs (the others kept their parse and position).
    pub fn edited(&self) -> Vec<usize> {
        self.befores.iter().map(|b| b.i).collect()
    }
}

/// A plan, when the last build's `state` still describes the output and every edited COE
/// keeps its structure (same id, dates, status, taxonomies, links, owners); `None`: render
/// everything.
pub fn plan(
    lib: &mut Library,
    config: &Config,
    previous: Option<&BuildState>,
    key: u64,
    edits: &Edits,
) -> Option<Plan> {
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
    let mut olds = Vec::new();
    for (source, old) in &edits.reparsed {
        let old = old.as_ref()?;
        // Not in the library now, nor in the last build's (it listed the same sources): a
        // COE no page shows.
        let Some(i) = lib.coes.iter().position(|c| &c.source == source) else {
            continue;
        };
        if !affected::same_structure(old, &lib.coes[i]) {
            return None;
        }
        olds.push((i, old.clone()));
    }
    Some(Plan {
        befores: affected::befores(lib, config, olds),
    })
}

/// Every page the plan's edits change, similar lists included. A COE whose lists were not
/// computed again (same input key) shows what it showed: its lists are read from `previous`.
pub fn pages(
    plan: &Plan,
    lib: &Library,
    config: &Config,
    search: &SearchData,
    previous: &[CoeState],
    all_paths: &[String],
) -> HashSet<String> {
    let (mut first, mut then) = (HashSet::new(), HashSet::new());
    let shows = |j: usize, i: usize| {
        if search.computed.get(j) == Some(&true) {
            affected::shown_in(search, j, i)
        } else {
            let was = previous.get(j);
            let has = |ids: Option<&Vec<u32>>| ids.is_some_and(|l| l.contains(&(i as u32)));
            (
                has(was.map(|w| &w.similar_ids)),
                has(was.map(|w| &w.earlier_ids)),
            )
        }
    };
    for before in &plan.befores {
        affected::affected(
            before, lib, config, &shows, all_paths, &mut first, &mut then,
        );
    }
    first.extend(then);
    let mut weeks = BTreeSet::new();
    for (j, coe) in lib.coes.iter().enumerate() {
        if search.computed.get(j) != Some(&true) {
            continue;
        }
        let was = previous.get(j);
        let similar = search.similar.get(j).map(|l| state::similar_view(l));
        if was.map(|w| w.similar) != similar {
            first.insert(crate::urls::page(&crate::urls::coe(&coe.slug)));
        }
        let earlier = search.earlier.get(j).map(|l| state::earlier_view(l));
        if was.map(|w| w.earlier) != earlier {
            weeks.insert(IsoWeek::of(coe.published));
        }
    }
    affected::digest_pages(lib, config, &weeks, &mut first);
    first
}

/// The COEs whose similar lists the `pages` show: a COE's page shows its similar list, a
/// digest its week's earlier lists (the latest week's on `digest/`, the feed's weeks in its
/// feed).
pub fn lists_shown(lib: &Library, config: &Config, pages: &HashSet<String>) -> Vec<usize> {
    let mut shown = Vec::new();
    let mut weeks = BTreeSet::new();
    for (i, coe) in lib.coes.iter().enumerate() {
        if pages.contains(&crate::urls::page(&crate::urls::coe(&coe.slug))) {
            shown.push(i);
        }
    }
    for w in lib.weeks.keys() {
        if pages.contains(&crate::urls::page(&crate::urls::digest_week(&w.slug()))) {
            weeks.insert(*w);
        }
    }
    if pages.contains("digest/index.html")
        && let Some(w) = crate::digest::latest_week(lib)
    {
        weeks.insert(w);
    }
    if pages.contains("digest/atom.xml") {
        weeks.extend(lib.weeks.keys().rev().take(config.feed_limit));
    }
    for w in weeks {
        shown.extend(lib.weeks.get(&w).into_iter().flatten().copied());
    }
    shown.sort_unstable();
    shown.dedup();
    shown
}

/// The state a build leaves for the next one. The lists of a COE not computed again are the
/// last build's: so is what the state says of them.
pub fn new_state(
    key: u64,
    parsed: i64,
    lib: &Library,
    search: &SearchData,
    previous: Option<&[CoeState]>,
) -> BuildState {
    let ids = |l: &[crate::search::similar::Similar]| l.iter().map(|s| s.idx as u32).collect();
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
                _ => CoeState {
                    source: c.source.clone(),
                    similar: search.similar.get(j).map_or(0, |l| state::similar_view(l)),
                    earlier: search.earlier.get(j).map_or(0, |l| state::earlier_view(l)),
                    similar_ids: search.similar.get(j).map_or_else(Vec::new, |l| ids(l)),
                    earlier_ids: search.earlier.get(j).map_or_else(Vec::new, |l| ids(l)),
                },
            })
            .collect(),
        traces: search.traces.clone(),
    }
}
