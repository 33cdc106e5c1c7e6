//! Views for the learning pages: weekly digests, the action-item tracker and metrics.

use super::charts;
use crate::content::front_matter::ItemStatus;
use crate::digest::{self, Digest};
use crate::library::actions::{self, ItemRef};
use crate::library::metrics::{ChartKind, Metric};
use crate::library::weeks::IsoWeek;
use crate::library::{Library, TaxonomyKind};
use crate::search::SearchData;
use crate::slug::slugify;
use serde::Serialize;
use std::collections::BTreeMap;

/// The digest of `week`, with "this happened before" from the build's similar COEs.
pub fn digest_for(
    lib: &Library,
    search: Option<&SearchData>,
    week: IsoWeek,
    deps: &crate::incremental::deps::Deps,
) -> Digest {
    let earlier = |i: usize| search.map(|s| s.earlier[i].clone()).unwrap_or_default();
    digest::build(lib, week, &earlier, deps)
}

#[derive(Serialize)]
pub struct WeekLink {
    pub week: String,
    pub url: String,
    pub from: String,
    pub to: String,
    pub count: usize,
}

pub fn week_link(lib: &Library, w: IsoWeek) -> WeekLink {
    WeekLink {
        week: w.to_string(),
        url: crate::urls::digest_week(&w.slug()),
        from: w.monday().to_string(),
        to: w.sunday().to_string(),
        count: lib.weeks.get(&w).map_or(0, Vec::len),
    }
}

/// The weeks before and after `w` that have a digest.
pub fn neighbours(lib: &Library, w: IsoWeek) -> (Option<WeekLink>, Option<WeekLink>) {
    let prev = lib.weeks.range(..w).next_back().map(|(k, _)| *k);
    let next = lib
        .weeks
        .range((std::ops::Bound::Excluded(w), std::ops::Bound::Unbounded))
        .next()
        .map(|(k, _)| *k);
    (
        prev.map(|p| week_link(lib, p)),
        next.map(|n| week_link(lib, n)),
    )
}

/// Rows on one page of the tracker: a page stays well under 1 MB (a row is about 400 bytes).
pub const ITEMS_PER_PAGE: usize = 500;

/// Every action item with its owner's and team's pages, computed once per build.
pub struct ActionIndex {
    /// Overdue (most late first), then open by due date, then closed (latest first).
    pub items: Vec<ItemRef>,
    /// How many of `items` are pending (open or in progress): they come first.
    pub pending: usize,
    /// `0..items.len()`: the positions of the whole tracker's items.
    all: Vec<usize>,
    pub owners: Vec<Group>,
    pub teams: Vec<Group>,
}

pub struct Group {
    pub name: String,
    pub slug: String,
    /// Positions in `ActionIndex::items`.
    pub items: Vec<usize>,
    /// How many of `items` are pending: they come first, as in `ActionIndex::items`.
    pub pending: usize,
}

impl ActionIndex {
    pub fn new(lib: &Library) -> ActionIndex {
        let today = lib.today;
        let mut items = actions::all(lib);
        let rank = |r: &ItemRef| {
            let a = r.get(lib);
            match (actions::days_overdue(a, today), a.status.is_pending()) {
                (Some(d), _) => (0, -i64::from(d), a.due, None),
                (None, true) => (1, 0, a.due.or(Some(jiff::civil::Date::MAX)), None),
                (None, false) => (2, 0, None, Some(std::cmp::Reverse(a.closed))),
            }
        };
        // Ranked once per item, not once per comparison (date arithmetic, 30,000 items).
        items.sort_by_cached_key(|r| (rank(r), r.coe, r.item));
        let pending = items.partition_point(|r| r.get(lib).status.is_pending());
        let mut owners = groups(&items, |r| r.get(lib).owner.as_deref());
        let mut teams = groups(&items, |r| {
            lib.coes[r.coe].teams.first().map(String::as_str)
        });
        for g in owners.iter_mut().chain(teams.iter_mut()) {
            g.pending = g.items.partition_point(|&n| n < pending);
        }
        ActionIndex {
            all: (0..items.len()).collect(),
            items,
            pending,
            owners,
            teams,
        }
    }

    /// The positions of a scope's items (every item, an owner's, a team's) and how many of
    /// them are pending.
    pub fn scope<'a>(&'a self, group: Option<&'a Group>) -> (&'a [usize], usize) {
        match group {
            Some(g) => (&g.items, g.pending),
            None => (&self.all, self.pending),
        }
    }
}

/// The items grouped by `key` (an owner, a team), groups in slug order.
fn groups<'a>(items: &[ItemRef], key: impl Fn(&ItemRef) -> Option<&'a str>) -> Vec<Group> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    // Names repeat across items: each is slugified once.
    let mut slugs: std::collections::HashMap<&str, String> = Default::default();
    for (n, r) in items.iter().enumerate() {
        let Some(name) = key(r) else { continue };
        let slug = slugs.entry(name).or_insert_with(|| slugify(name));
        if slug.is_empty() {
            continue;
        }
        if let Some(g) = groups.get_mut(slug.as_str()) {
            g.items.push(n);
        } else {
            groups.insert(
                slug.clone(),
                Group {
                    name: name.to_owned(),
                    slug: slug.clone(),
                    items: vec![n],
                    pending: 0,
                },
            );
        }
    }
    groups.into_values().collect()
}

#[derive(Serialize)]
pub struct GroupLink {
    pub name: String,
    pub slug: String,
    pub url: String,
    pub count: usize,
    pub overdue: usize,
}

pub fn group_links(
    lib: &Library,
    idx: &ActionIndex,
    groups: &[Group],
    kind: &str,
) -> Vec<GroupLink> {
    groups
        .iter()
        .map(|g| GroupLink {
            name: g.name.clone(),
            slug: g.slug.clone(),
            url: format!("action-items/{kind}/{}/", g.slug),
            count: g.items.len(),
            overdue: g
                .items
                .iter()
                .filter(|&&n| actions::days_overdue(idx.items[n].get(lib), lib.today).is_some())
                .count(),
        })
        .collect()
}

#[derive(Serialize, Default)]
pub struct ActionCounts {
    pub total: usize,
    pub open: usize,
    pub in_progress: usize,
    pub done: usize,
    pub wont_do: usize,
    pub overdue: usize,
}

pub fn action_counts(lib: &Library, items: &[ItemRef]) -> ActionCounts {
    let mut c = ActionCounts::default();
    for r in items {
        let a = r.get(lib);
        c.total += 1;
        match a.status {
            ItemStatus::Open => c.open += 1,
            ItemStatus::InProgress => c.in_progress += 1,
            ItemStatus::Done => c.done += 1,
            ItemStatus::WontDo => c.wont_do += 1,
        }
        if actions::days_overdue(a, lib.today).is_some() {
            c.overdue += 1;
        }
    }
    c
}

#[derive(Serialize)]
pub struct MetricRow {
    pub category: String,
    pub values: Vec<String>,
}

#[derive(Serialize)]
pub struct MetricView {
    pub id: &'static str,
    pub title: String,
    pub description: String,
    /// Inline SVG, built here with every label escaped.
    pub svg: String,
    pub category_label: &'static str,
    pub series: Vec<String>,
    pub rows: Vec<MetricRow>,
}

pub fn metric_views(lib: &Library) -> Vec<MetricView> {
    crate::library::metrics::all(lib)
        .into_iter()
        .map(|m| metric_view(&m))
        .collect()
}

fn metric_view(m: &Metric) -> MetricView {
    let chart = charts::Chart {
        title: m.title.clone(),
        description: m.description.clone(),
        categories: m.categories.clone(),
        series: m
            .series
            .iter()
            .map(|s| charts::Series {
                name: s.name.clone(),
                values: s.values.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
                class: s.class.clone(),
            })
            .collect(),
        y_label: m.y_label.clone(),
        unit: m.unit.clone(),
    };
    let svg = match m.kind {
        ChartKind::StackedBars => charts::stacked_bars(&chart),
        ChartKind::Lines => charts::lines(&chart),
    };
    let fmt = |v: Option<f64>| match v {
        None => "—".to_owned(),
        Some(x) if x.fract() == 0.0 => format!("{x:.0}{}", m.unit),
        Some(x) => format!("{x:.1}{}", m.unit),
    };
    MetricView {
        id: m.id,
        title: m.title.clone(),
        description: m.description.clone(),
        svg,
        category_label: m.category_label,
        series: m.series.iter().map(|s| s.name.clone()).collect(),
        rows: m
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| MetricRow {
                category: c.clone(),
                values: m
                    .series
                    .iter()
                    .map(|s| fmt(s.values.get(i).copied().flatten()))
                    .collect(),
            })
            .collect(),
    }
}

/// Which taxonomies get their own Atom feed (every term of each).
pub const FEED_TAXONOMIES: [TaxonomyKind; 6] = [
    TaxonomyKind::Authors,
    TaxonomyKind::Services,
    TaxonomyKind::Teams,
    TaxonomyKind::Tags,
    TaxonomyKind::RootCauses,
    TaxonomyKind::Severity,
];
