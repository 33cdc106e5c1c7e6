//! The planner of incremental rebuilds, shared by `coe build` and `coe serve`: which pages
//! to render again after some COEs were edited, from what each page recorded while it was
//! rendered (`incremental::deps`).
//!
//! A change is described in the keys pages record: for each edited COE, its own page
//! (`Page`), what other pages show of it (`Shown`), and the library-wide facts it feeds
//! (every item, every date, every link); then what the library made of all COEs, compared
//! with the last build's [`Shape`]: terms that came, went, were renamed or whose lists
//! changed, years, weeks, owners' and teams' items, backlinks, sort orders. The pages that
//! recorded any of those keys are rendered again, and so are pages the last build did not
//! have. Positions in the library must be the same as the last build's (the callers check);
//! anything else is a full render.

use crate::content::Coe;
use crate::incremental::deps::{Key, Kind, PageDeps};
use crate::library::{Library, TaxonomyKind};
use crate::render;
use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, Hash};

/// What the library made of its COEs, in the terms pages record, as hashes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shape {
    /// (taxonomy, slug) → (name, hash of its COEs).
    pub terms: BTreeMap<(u8, String), (String, u64)>,
    /// Year → hash of its COEs.
    pub years: BTreeMap<i16, u64>,
    /// Week key → hash of its COEs.
    pub weeks: BTreeMap<u64, u64>,
    /// Owner's slug → hash of their items, in the tracker's order.
    pub owners: BTreeMap<String, u64>,
    pub teams: BTreeMap<String, u64>,
    /// Per library position: hash of its related COEs, links and backlinks.
    pub links: Vec<u64>,
    /// Each order of `/coe/`.
    pub sorts: Vec<u64>,
}

fn hash(v: &impl Hash) -> u64 {
    foldhash::quality::FixedState::with_seed(0x0073_6861_7065).hash_one(v)
}

impl Shape {
    pub fn of(lib: &Library) -> Shape {
        let mut terms = BTreeMap::new();
        for tax in &lib.taxonomies {
            for t in &tax.terms {
                terms.insert(
                    (tax.kind as u8, t.slug.clone()),
                    (t.name.clone(), hash(&t.coes)),
                );
            }
        }
        let actions = render::learning::ActionIndex::new(lib);
        let groups = |groups: &[render::learning::Group]| {
            groups
                .iter()
                .map(|g| {
                    let items: Vec<(usize, usize)> = g
                        .items
                        .iter()
                        .map(|&n| (actions.items[n].coe, actions.items[n].item))
                        .collect();
                    (g.slug.clone(), hash(&(&g.name, items)))
                })
                .collect()
        };
        Shape {
            terms,
            years: lib.years.iter().map(|(y, l)| (*y, hash(l))).collect(),
            weeks: lib
                .weeks
                .iter()
                .map(|(w, l)| (crate::digest::week_key(*w), hash(l)))
                .collect(),
            owners: groups(&actions.owners),
            teams: groups(&actions.teams),
            links: (0..lib.coes.len())
                .map(|i| hash(&(&lib.related[i], &lib.referenced_by[i], &lib.link_targets[i])))
                .collect(),
            sorts: render::sorted_orders(lib).iter().map(hash).collect(),
        }
    }
}

/// Everything of a COE that pages other than its own show: all but its body's sections,
/// timeline, five whys and links (a field added to `Coe` is shown until said otherwise).
fn shown(c: &Coe) -> u64 {
    let mut c = c.clone();
    c.sections.clear();
    c.timeline.clear();
    c.whys.clear();
    c.links.clear();
    c.display_path.clear();
    hash(&format!("{c:?}"))
}

fn whole(c: &Coe) -> u64 {
    hash(&format!("{c:?}"))
}

/// The keys an edit changed: `edited` holds (library position, previous version) of each
/// edited COE, `lib` the new versions; `old` is the shape of the library the last build
/// rendered, `new` the shape of `lib` (made once by the caller, who keeps it for next time).
pub fn changes(old: &Shape, new: &Shape, lib: &Library, edited: &[(usize, &Coe)]) -> HashSet<Key> {
    let mut keys = HashSet::new();
    for &(i, was) in edited {
        let Some(now) = lib.coes.get(i) else { continue };
        if whole(was) != whole(now) {
            keys.insert(Key::coe(Kind::Page, i));
        }
        if shown(was) != shown(now) {
            keys.insert(Key::coe(Kind::Shown, i));
            keys.insert(Key::all(Kind::AllShown));
        }
        if format!("{:?}", was.action_items) != format!("{:?}", now.action_items)
            || was.teams.first() != now.teams.first()
        {
            keys.insert(Key::all(Kind::AllItems));
        }
        if was.date != now.date || was.published != now.published {
            keys.insert(Key::all(Kind::AllDates));
        }
    }
    shape_changes(old, new, lib, &mut keys);
    keys
}

fn shape_changes(old: &Shape, new: &Shape, lib: &Library, keys: &mut HashSet<Key>) {
    let kind_of = |k: u8| TaxonomyKind::ALL.into_iter().find(|t| *t as u8 == k);
    let all_terms: std::collections::BTreeSet<&(u8, String)> =
        old.terms.keys().chain(new.terms.keys()).collect();
    for key in all_terms {
        let Some(kind) = kind_of(key.0) else { continue };
        let slug = &key.1;
        match (old.terms.get(key), new.terms.get(key)) {
            (Some(a), Some(b)) if a == b => {}
            (Some((name_a, list_a)), Some((name_b, list_b))) => {
                if list_a != list_b {
                    keys.insert(kind.key(Kind::TermList, slug));
                    keys.insert(kind.taxonomy_key());
                }
                if name_a != name_b {
                    // A term's name is shown wherever its COEs are (their cards' chips).
                    keys.insert(kind.key(Kind::Term, slug));
                    keys.insert(kind.taxonomy_key());
                    if let Some(t) = lib.taxonomy(kind).by_slug.get(slug.as_str()) {
                        for &j in &lib.taxonomy(kind).terms[*t].coes {
                            keys.insert(Key::coe(Kind::Page, j));
                            keys.insert(Key::coe(Kind::Shown, j));
                        }
                        keys.insert(Key::all(Kind::AllShown));
                    }
                }
            }
            _ => {
                keys.insert(kind.key(Kind::Term, slug));
                keys.insert(kind.key(Kind::TermList, slug));
                keys.insert(kind.taxonomy_key());
            }
        }
    }
    diff_maps(&old.years, &new.years, |y| {
        keys.insert(Key::new(Kind::Year, *y as u64));
        keys.insert(Key::all(Kind::Years));
    });
    diff_maps(&old.weeks, &new.weeks, |w| {
        keys.insert(Key::new(Kind::Week, *w));
        keys.insert(Key::all(Kind::Weeks));
    });
    diff_maps(&old.owners, &new.owners, |o| {
        keys.insert(Key::named(Kind::Owner, o));
        keys.insert(Key::all(Kind::AllItems));
    });
    diff_maps(&old.teams, &new.teams, |t| {
        keys.insert(Key::named(Kind::Team, t));
        keys.insert(Key::all(Kind::AllItems));
    });
    for (j, (a, b)) in old.links.iter().zip(&new.links).enumerate() {
        if a != b {
            keys.insert(Key::coe(Kind::Page, j));
            keys.insert(Key::all(Kind::AllLinks));
        }
    }
    for (s, (a, b)) in old.sorts.iter().zip(&new.sorts).enumerate() {
        if a != b {
            keys.insert(Key::new(Kind::Sort, s as u64));
        }
    }
}

/// Calls `changed` with every key whose value differs between `a` and `b`, or is in one only.
fn diff_maps<K: Ord, V: PartialEq>(
    a: &BTreeMap<K, V>,
    b: &BTreeMap<K, V>,
    mut changed: impl FnMut(&K),
) {
    for (k, v) in a {
        if b.get(k) != Some(v) {
            changed(k);
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            changed(k);
        }
    }
}

/// The pages to render: those that showed a changed key, and those the last render did not
/// have (`paths`: every page of the site now).
pub fn pages(deps: &PageDeps, keys: &HashSet<Key>, paths: &[String]) -> HashSet<String> {
    let mut pages = deps.showing(keys);
    pages.extend(paths.iter().filter(|p| deps.get(p).is_none()).cloned());
    if deps.get("coes.json").is_none() {
        pages.insert("coes.json".to_owned());
    }
    pages
}

/// The COEs whose similar lists `pages` show (they must be complete before rendering):
/// `None` when a page to render has no record (it may show any).
pub fn lists_shown(deps: &PageDeps, pages: &HashSet<String>) -> Option<Vec<usize>> {
    let mut shown = Vec::new();
    for p in pages {
        let keys = deps.get(p)?;
        shown.extend(
            keys.iter()
                .filter(|k| matches!(k.kind, Kind::Similar | Kind::Earlier))
                .filter_map(|k| k.position()),
        );
    }
    shown.sort_unstable();
    shown.dedup();
    Some(shown)
}

/// The keys of the similar lists that changed: COE `j`'s list as its page shows it
/// (`Similar`), its earlier list as a digest shows it (`Earlier`). `before` and `after` give
/// each COE's two view hashes (`state::similar_view`, `state::earlier_view`), `None` when
/// unknown.
pub fn similar_changes(
    n: usize,
    before: impl Fn(usize) -> Option<(u64, u64)>,
    after: impl Fn(usize) -> Option<(u64, u64)>,
) -> HashSet<Key> {
    let mut keys = HashSet::new();
    for j in 0..n {
        let (Some(a), Some(b)) = (before(j), after(j)) else {
            continue;
        };
        if a.0 != b.0 {
            keys.insert(Key::coe(Kind::Similar, j));
        }
        if a.1 != b.1 {
            keys.insert(Key::coe(Kind::Earlier, j));
        }
    }
    keys
}
