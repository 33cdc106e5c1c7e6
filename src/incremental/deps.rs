//! What each page showed, recorded while it was rendered: the planner of incremental rebuilds
//! renders again exactly the pages whose recorded keys changed.
//!
//! The code that builds a page's view records a [`Key`] wherever it reads something of the
//! library into the view: a COE's own page (`Page`), what lists, feeds and rows show of a COE
//! (`Shown`), a term's list of COEs, a week, a sort order, a COE's similar lists... A change
//! is described with the same keys (see `site::plan`), and [`PageDeps::showing`] answers which
//! pages showed any of them. Nothing here knows what a page is made of: a new page kind, or a
//! theme template showing more of a view, stays correct as long as the view records what it
//! reads.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

/// What kind of thing a page read. The `id` of a key says which one (a library position, a
/// year, a hash of a slug); `All*` kinds have id 0 and stand for the whole library.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[repr(u8)]
pub enum Kind {
    /// Everything about COE `id` (its own page, a digest's summary of it).
    Page = 0,
    /// What other pages show of COE `id`: its front matter, summary, times, action items.
    Shown = 1,
    /// COE `id`'s similar COEs, as its page shows them.
    Similar = 2,
    /// COE `id`'s earlier similar COEs, as a digest shows them.
    Earlier = 3,
    /// A term's existence and name (`id`: [`Key::term`]).
    Term = 4,
    /// A term's list of COEs (its pages, its count).
    TermList = 5,
    /// The terms of a taxonomy and their counts (`id`: the taxonomy).
    Taxonomy = 6,
    /// A year's list of COEs.
    Year = 7,
    /// Every year and its count.
    Years = 8,
    /// A week's COEs (`id`: year × 100 + week).
    Week = 9,
    /// Every week and its count.
    Weeks = 10,
    /// An owner's action items (`id`: hash of the owner's slug).
    Owner = 11,
    /// A team's action items.
    Team = 12,
    /// One of the orders of `/coe/`.
    Sort = 13,
    /// What other pages show of every COE (metrics, `coes.json`).
    AllShown = 14,
    /// Every action item.
    AllItems = 15,
    /// Every COE's dates.
    AllDates = 16,
    /// Every COE's related COEs and links.
    AllLinks = 17,
}

impl Kind {
    const ALL: [Kind; 18] = [
        Kind::Page,
        Kind::Shown,
        Kind::Similar,
        Kind::Earlier,
        Kind::Term,
        Kind::TermList,
        Kind::Taxonomy,
        Kind::Year,
        Kind::Years,
        Kind::Week,
        Kind::Weeks,
        Kind::Owner,
        Kind::Team,
        Kind::Sort,
        Kind::AllShown,
        Kind::AllItems,
        Kind::AllDates,
        Kind::AllLinks,
    ];

    pub fn from_u8(b: u8) -> Option<Kind> {
        Kind::ALL.get(usize::from(b)).copied()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Key {
    pub kind: Kind,
    pub id: u64,
}

impl Key {
    pub fn new(kind: Kind, id: u64) -> Key {
        Key { kind, id }
    }

    /// A key about the COE at library position `i`.
    pub fn coe(kind: Kind, i: usize) -> Key {
        Key::new(kind, i as u64)
    }

    /// A key about the whole library.
    pub fn all(kind: Kind) -> Key {
        Key::new(kind, 0)
    }

    /// A key about something named: an owner's or a team's slug.
    pub fn named(kind: Kind, name: &str) -> Key {
        Key::new(kind, hash(&(0u8, name)))
    }

    /// A key about term `slug` of taxonomy number `taxonomy`.
    pub fn term(kind: Kind, taxonomy: u8, slug: &str) -> Key {
        Key::new(kind, hash(&(taxonomy, slug)))
    }

    /// The library position of a key about one COE.
    pub fn position(self) -> Option<usize> {
        matches!(
            self.kind,
            Kind::Page | Kind::Shown | Kind::Similar | Kind::Earlier
        )
        .then(|| usize::try_from(self.id).ok())
        .flatten()
    }
}

fn hash(v: &impl std::hash::Hash) -> u64 {
    foldhash::quality::FixedState::with_seed(0x6465_7073).hash_one(v)
}

/// One page's recorder. Shared by reference through the view code of one page (which runs on
/// one thread): recording never needs `&mut` in closures and iterators.
#[derive(Default, Debug)]
pub struct Deps {
    keys: RefCell<Vec<Key>>,
}

impl Deps {
    pub fn add(&self, key: Key) {
        self.keys.borrow_mut().push(key);
    }

    pub fn coe(&self, kind: Kind, i: usize) {
        self.add(Key::coe(kind, i));
    }

    pub fn coes(&self, kind: Kind, positions: &[usize]) {
        self.keys
            .borrow_mut()
            .extend(positions.iter().map(|&i| Key::coe(kind, i)));
    }

    /// The keys, sorted, each once.
    pub fn finish(self) -> Box<[Key]> {
        let mut keys = self.keys.into_inner();
        keys.sort_unstable();
        keys.dedup();
        keys.into_boxed_slice()
    }
}

/// Every page's recorded keys, by output path.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
pub struct PageDeps {
    pages: HashMap<String, Box<[Key]>>,
}

impl PageDeps {
    /// What `path` showed when it was last rendered.
    pub fn record(&mut self, path: String, keys: Box<[Key]>) {
        self.pages.insert(path, keys);
    }

    pub fn get(&self, path: &str) -> Option<&[Key]> {
        self.pages.get(path).map(|k| &k[..])
    }

    pub fn len(&self) -> usize {
        self.pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &[Key])> {
        self.pages.iter().map(|(p, k)| (p, &k[..]))
    }

    /// Forgets the pages the site no longer has.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.pages.retain(|p, _| keep(p));
    }

    /// The pages that showed any of `changed`.
    pub fn showing(&self, changed: &HashSet<Key>) -> HashSet<String> {
        if changed.is_empty() {
            return HashSet::new();
        }
        self.pages
            .iter()
            .filter(|(_, keys)| keys.iter().any(|k| changed.contains(k)))
            .map(|(p, _)| p.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_showing_a_changed_key_and_only_those() {
        let mut deps = PageDeps::default();
        let a = Deps::default();
        a.coe(Kind::Shown, 3);
        a.coe(Kind::Shown, 3);
        a.add(Key::term(Kind::TermList, 1, "dns"));
        let a = a.finish();
        assert_eq!(a.len(), 2, "each key once");
        deps.record("tags/dns/index.html".into(), a);
        let b = Deps::default();
        b.coe(Kind::Page, 3);
        deps.record("coe/x/index.html".into(), b.finish());
        let changed = HashSet::from([Key::coe(Kind::Shown, 3)]);
        assert_eq!(
            deps.showing(&changed),
            HashSet::from(["tags/dns/index.html".to_owned()])
        );
        let other = HashSet::from([Key::term(Kind::TermList, 2, "dns")]);
        assert!(deps.showing(&other).is_empty(), "another taxonomy's term");
        assert_eq!(Key::coe(Kind::Similar, 7).position(), Some(7));
        assert_eq!(Key::all(Kind::AllItems).position(), None);
        for k in Kind::ALL {
            assert_eq!(Kind::from_u8(k as u8), Some(k));
        }
    }
}
