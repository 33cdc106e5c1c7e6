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
use crate::render::views;
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

/// Every page the plan's edits change, similar lists included.
pub fn pages(
    plan: &Plan,
    lib: &Library,
    config: &Config,
    search: &SearchData,
    previous: &[CoeState],
    all_paths: &[String],
) -> HashSet<String> {
    let (mut first, mut then) = (HashSet::new(), HashSet::new());
    for before in &plan.befores {
        affected::affected(
            before, lib, config, search, all_paths, &mut first, &mut then,
        );
    }
    first.extend(then);
    let mut weeks = BTreeSet::new();
    for (j, coe) in lib.coes.iter().enumerate() {
        let was = previous.get(j);
        let similar = search.similar.get(j).map(|l| state::similar_view(l));
        if was.map(|w| w.similar) != similar {
            first.insert(format!("{}index.html", views::coe_url(coe)));
        }
        let earlier = search.earlier.get(j).map(|l| state::earlier_view(l));
        if was.map(|w| w.earlier) != earlier {
            weeks.insert(IsoWeek::of(coe.published));
        }
    }
    if !weeks.is_empty() {
        for w in &weeks {
            first.insert(format!("digest/{}/index.html", w.slug()));
        }
        first.insert("digest/index.html".to_owned());
        first.insert("digest/atom.xml".to_owned());
    }
    first
}

/// The state a build leaves for the next one.
pub fn new_state(key: u64, parsed: i64, lib: &Library, search: &SearchData) -> BuildState {
    BuildState {
        key,
        parsed,
        coes: lib
            .coes
            .iter()
            .enumerate()
            .map(|(j, c)| CoeState {
                source: c.source.clone(),
                similar: search.similar.get(j).map_or(0, |l| state::similar_view(l)),
                earlier: search.earlier.get(j).map_or(0, |l| state::earlier_view(l)),
            })
            .collect(),
    }
}
