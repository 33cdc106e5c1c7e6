//! Which pages an edit to one COE changes, for incremental rebuilds (`coe build` after a few
//! edits, `coe serve` after each save).

use crate::config::Config;
use crate::content::Coe;
use crate::library::weeks::IsoWeek;
use crate::library::{Library, TaxonomyKind};
use crate::render;
use crate::search::{self, SearchData};
use crate::urls;
use std::collections::{BTreeSet, HashMap, HashSet};

/// What the pages showed of COE `i` before the edit.
pub struct Before {
    pub i: usize,
    pub coe: Coe,
    /// Every paginated list it was on: first page's path → (its page, the list's pages).
    lists: HashMap<String, (usize, usize)>,
    /// COEs whose pages showed it: related, referencing, linked.
    neighbours: BTreeSet<usize>,
}

impl Before {
    pub fn of(lib: &Library, config: &Config, i: usize) -> Before {
        Before {
            i,
            coe: lib.coes[i].clone(),
            lists: lists(lib, config, i),
            neighbours: neighbours(lib, i),
        }
    }
}

/// What the pages showed of each edited COE before the edits. `edits` are (library position,
/// previous version) and the library holds the new versions, whose structure is the same
/// ([`same_structure`]): the previous versions are swapped in while the lists are read.
pub fn befores(lib: &mut Library, config: &Config, mut edits: Vec<(usize, Coe)>) -> Vec<Before> {
    for (i, old) in &mut edits {
        std::mem::swap(&mut lib.coes[*i], old);
    }
    let out = edits
        .iter()
        .map(|&(i, _)| Before::of(lib, config, i))
        .collect();
    for (i, old) in &mut edits {
        std::mem::swap(&mut lib.coes[*i], old);
    }
    out
}

fn lists(lib: &Library, config: &Config, i: usize) -> HashMap<String, (usize, usize)> {
    render::lists_of(lib, config, i)
        .into_iter()
        .map(|(b, p, n)| (b, (p, n)))
        .collect()
}

fn neighbours(lib: &Library, i: usize) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    out.extend(&lib.related[i]);
    out.extend(&lib.referenced_by[i]);
    out.extend(lib.link_targets[i].iter().flatten());
    out
}

/// Nothing the `Library` derives from a COE changed: same id, dates, status, taxonomy values
/// (as written: the first spelling names a term), related ids, links and action-item owners
/// (owner pages). The library can then take the new COE in place.
pub fn same_structure(a: &Coe, b: &Coe) -> bool {
    let related = |c: &Coe| {
        c.related
            .iter()
            .map(|r| r.value.clone())
            .collect::<Vec<_>>()
    };
    let links = |c: &Coe| c.links.iter().map(|l| l.target.clone()).collect::<Vec<_>>();
    a.slug == b.slug
        && a.id == b.id
        && a.source == b.source
        && a.date == b.date
        && a.published == b.published
        && a.status == b.status
        && a.severity == b.severity
        && a.services == b.services
        && a.tags == b.tags
        && a.root_causes == b.root_causes
        && a.teams == b.teams
        && a.authors == b.authors
        && a.reviewers == b.reviewers
        && related(a) == related(b)
        && links(a) == links(b)
        && owners(a) == owners(b)
}

/// Each action item's owner, in order.
fn owners(c: &Coe) -> Vec<Option<String>> {
    c.action_items.iter().map(|a| a.owner.clone()).collect()
}

/// The same action-item owners and team: the same owner and team pages.
pub fn same_action_groups(a: &Coe, b: &Coe) -> bool {
    owners(a) == owners(b)
        && ((a.action_items.is_empty() && b.action_items.is_empty())
            || a.teams.first() == b.teams.first())
}

/// Every term of every taxonomy with its number of list pages: the term pages that exist.
pub fn term_pages(lib: &Library, per_page: usize) -> Vec<(TaxonomyKind, String, usize)> {
    let per_page = per_page.max(1);
    lib.taxonomies
        .iter()
        .flat_map(|tax| {
            tax.terms
                .iter()
                .map(move |t| (tax.kind, t.slug.clone(), t.coes.len().div_ceil(per_page)))
        })
        .collect()
}

/// COE `i`'s similar COEs, from its new text; the other COEs keep theirs (and the index keeps
/// `i`'s old terms) until the next full build.
pub fn update_similar(
    search: &mut SearchData,
    analyzer: &mut tantivy::tokenizer::TextAnalyzer,
    lib: &Library,
    i: usize,
) {
    let coe = &lib.coes[i];
    let q = search
        .similarity
        .vector_for(lib, analyzer, coe, &search.fields);
    // Not excluded by position: its old vector is still in the index, so skip it by hand.
    let mut ranked = search.similarity.similar_to(lib, &q, Some(coe), None, 64);
    ranked.retain(|s| s.idx != i);
    search.earlier[i] = ranked
        .iter()
        .filter(|s| lib.coes[s.idx].date < coe.date)
        .take(search::EARLIER_PER_COE)
        .cloned()
        .collect();
    ranked.truncate(search::SIMILAR_PER_COE);
    search.similar[i] = ranked;
}

/// Whether COE `j`'s similar list, and its earlier list, in `search` show COE `i`.
pub fn shown_in(search: &SearchData, j: usize, i: usize) -> (bool, bool) {
    let has = |lists: &[Vec<crate::search::similar::Similar>]| {
        lists.get(j).is_some_and(|l| l.iter().any(|s| s.idx == i))
    };
    (has(&search.similar), has(&search.earlier))
}

/// Pages to re-render, in two sets: `first` what an author looks at (the COE's page, the list
/// pages it is on and those between its old and new place, home), `then` everything else
/// that shows it (pages of COEs linking to it or listing it as similar, term feeds, feed,
/// metrics, digests, action items, taxonomy indexes, `coes.json`, the sitemap when its dates
/// changed). `shows(j, i)` says whether COE `j`'s similar list, and its earlier list, show
/// COE `i` (see [`shown_in`]).
pub fn affected(
    before: &Before,
    new: &Library,
    config: &Config,
    shows: &dyn Fn(usize, usize) -> (bool, bool),
    all_paths: &[String],
    first: &mut HashSet<String>,
    then: &mut HashSet<String>,
) {
    let i = before.i;
    let (o, n) = (&before.coe, &new.coes[i]);
    first.insert(crate::urls::page(&crate::urls::coe(&n.slug)));
    first.insert("index.html".to_owned());

    let after = lists(new, config, i);
    let bases: BTreeSet<&String> = before.lists.keys().chain(after.keys()).collect();
    for base in &bases {
        let range = match (before.lists.get(*base), after.get(*base)) {
            (Some(&(a, _)), Some(&(b, _))) => a.min(b)..=a.max(b),
            // Joined or left the list: every page after its place shifts.
            (Some(&(p, total)), None) | (None, Some(&(p, total))) => p..=total,
            (None, None) => continue,
        };
        for p in range {
            first.insert(render::list_page_path(base, p));
        }
        then.insert(urls::feed(base));
    }
    if before.lists.len() != after.len() || before.lists.keys().any(|b| !after.contains_key(b)) {
        for k in TaxonomyKind::ALL {
            then.insert(urls::page(&urls::taxonomy(k.path())));
        }
    }

    let mut coes = before.neighbours.clone();
    coes.extend(neighbours(new, i));
    let mut weeks = BTreeSet::from([IsoWeek::of(o.published), IsoWeek::of(n.published)]);
    for j in 0..new.coes.len() {
        let (in_similar, in_earlier) = shows(j, i);
        if in_similar {
            coes.insert(j);
        }
        if in_earlier {
            coes.insert(j);
            weeks.insert(IsoWeek::of(new.coes[j].published));
        }
    }
    coes.remove(&i);
    then.extend(
        coes.iter()
            .map(|&j| crate::urls::page(&crate::urls::coe(&new.coes[j].slug))),
    );
    for p in [urls::feed(""), urls::page(urls::METRICS)] {
        then.insert(p.to_owned());
    }
    // Its entry, or (with another structure) other COEs' related and referencing lists.
    if !same_structure(o, n)
        || render::coes_json_entry(new, i, o) != render::coes_json_entry(new, i, n)
    {
        then.insert("coes.json".to_owned());
    }
    if o.date.year() != n.date.year() {
        then.insert(urls::page(urls::YEARS));
    }
    if o.published != n.published || o.date != n.date {
        then.insert("sitemap.xml".to_owned());
    }

    // Action items and digests: counts across the library change when the items do.
    let items_changed =
        format!("{:?}", o.action_items) != format!("{:?}", n.action_items) || o.teams != n.teams;
    if items_changed {
        then.extend(
            all_paths
                .iter()
                .filter(|p| p.starts_with(urls::ACTIONS) || p.starts_with(urls::DIGEST))
                .cloned(),
        );
        return;
    }
    // An action item's row shows its COE's id, title and link besides the item itself.
    let row_changed = o.title != n.title || o.id != n.id || o.slug != n.slug;
    if !n.action_items.is_empty() && row_changed {
        then.insert(urls::page(urls::ACTIONS));
        for a in &n.action_items {
            if let Some(owner) = &a.owner {
                let slug = crate::slug::slugify(owner);
                then.insert(urls::page(&urls::actions_of_owner(&slug)));
            }
        }
        if let Some(team) = n.teams.first() {
            let slug = crate::slug::slugify(team);
            then.insert(urls::page(&urls::actions_of_team(&slug)));
        }
    }
    // A week's digest compares its medians with the quarter before it.
    if o.time_to_detect() != n.time_to_detect() || o.time_to_mitigate() != n.time_to_mitigate() {
        let from = IsoWeek::of(o.published).min(IsoWeek::of(n.published));
        weeks.extend(new.weeks.range(from..).map(|(w, _)| *w));
    }
    then.insert(urls::page(urls::DIGEST_ARCHIVE));
    digest_pages(new, config, &weeks, then);
}

/// The pages that show the digests of `weeks`: each one's page, `digest/` when one of them is
/// the latest week, and the digest feed when one of them is among its weeks.
pub fn digest_pages(
    lib: &Library,
    config: &Config,
    weeks: &BTreeSet<IsoWeek>,
    pages: &mut HashSet<String>,
) {
    for w in weeks {
        pages.insert(crate::urls::page(&crate::urls::digest_week(&w.slug())));
    }
    if crate::digest::latest_week(lib).is_some_and(|w| weeks.contains(&w)) {
        pages.insert(urls::page(urls::DIGEST));
    }
    let mut in_feed = lib.weeks.keys().rev().take(config.feed_limit);
    if in_feed.any(|w| weeks.contains(w)) {
        pages.insert(urls::feed(urls::DIGEST));
    }
}
