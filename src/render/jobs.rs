//! The pages a build writes: one `Job` per output file, its path, the lists COEs are on and
//! where a page's links start from.

use super::learning::{self, ActionIndex};
use crate::config::Config;
use crate::library::weeks::IsoWeek;
use crate::library::{Library, TaxonomyKind};

#[derive(Clone, Copy)]
pub(super) enum Job {
    Home,
    AllCoes(Sort, usize),
    Coe(usize),
    Years,
    Year(i16, usize),
    Taxonomy(TaxonomyKind),
    Term(TaxonomyKind, usize, usize),
    NotFound,
    Search,
    Atom,
    Sitemap,
    /// A week's digest; `None` is `/digest/`, the latest.
    Digest(Option<IsoWeek>),
    DigestArchive,
    DigestAtom,
    /// Page `n` of a scope's pending or closed action items.
    Actions(ActionScope, ItemsPart, usize),
    Metrics,
    TermAtom(TaxonomyKind, usize),
}

#[derive(Clone, Copy)]
pub(super) enum ActionScope {
    All,
    Owner(usize),
    Team(usize),
}

/// The tracker's two lists: pending items (overdue first), and the closed history.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum ItemsPart {
    Pending,
    Closed,
}

impl ActionScope {
    /// The scope's group of items (`None`: every item).
    pub(super) fn group(self, actions: &ActionIndex) -> Option<&learning::Group> {
        match self {
            ActionScope::All => None,
            ActionScope::Owner(g) => actions.owners.get(g),
            ActionScope::Team(g) => actions.teams.get(g),
        }
    }

    /// The URL of the scope's first page of pending items, relative to the site root.
    pub(super) fn url(self, actions: &ActionIndex) -> String {
        match self {
            ActionScope::All => crate::urls::ACTIONS.to_owned(),
            ActionScope::Owner(g) => crate::urls::actions_of_owner(&actions.owners[g].slug),
            ActionScope::Team(g) => crate::urls::actions_of_team(&actions.teams[g].slug),
        }
    }

    /// The URL of the first page of `part`.
    pub(super) fn part_url(self, actions: &ActionIndex, part: ItemsPart) -> String {
        match part {
            ItemsPart::Pending => self.url(actions),
            ItemsPart::Closed => crate::urls::actions_closed(&self.url(actions)),
        }
    }

    /// The number of pages of `part`.
    pub(super) fn pages(self, actions: &ActionIndex, part: ItemsPart) -> usize {
        let (items, pending) = actions.scope(self.group(actions));
        let n = match part {
            ItemsPart::Pending => pending,
            ItemsPart::Closed => items.len() - pending,
        };
        page_count(n, learning::ITEMS_PER_PAGE)
    }
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Sort {
    Date,
    Severity,
    TimeToMitigate,
}

impl Sort {
    pub(super) const ALL: [Sort; 3] = [Sort::Date, Sort::Severity, Sort::TimeToMitigate];
    pub(super) fn path(self) -> &'static str {
        match self {
            Sort::Date => "coe/",
            Sort::Severity => "coe/by-severity/",
            Sort::TimeToMitigate => "coe/by-time-to-mitigate/",
        }
    }
    pub(super) fn label(self) -> &'static str {
        match self {
            Sort::Date => "Date",
            Sort::Severity => "Severity",
            Sort::TimeToMitigate => "Time to mitigate",
        }
    }
}

impl Job {
    /// Output path of the page, relative to the output folder.
    pub(super) fn path(self, lib: &Library, actions: &ActionIndex) -> String {
        use crate::urls;
        match self {
            Job::Home => urls::page(""),
            Job::AllCoes(s, page) => urls::page(&urls::paginated(s.path(), page)),
            Job::Coe(i) => urls::page(&urls::coe(&lib.coes[i].slug)),
            Job::Years => urls::page(urls::YEARS),
            Job::Year(y, page) => urls::page(&urls::paginated(&urls::year(y), page)),
            Job::Taxonomy(k) => urls::page(&urls::taxonomy(k.path())),
            Job::Term(k, t, page) => urls::page(&urls::paginated(
                &urls::term(k.path(), &lib.taxonomy(k).terms[t].slug),
                page,
            )),
            Job::NotFound => "404.html".to_owned(),
            Job::Search => urls::page(urls::SEARCH),
            Job::Atom => urls::feed(""),
            Job::Sitemap => "sitemap.xml".to_owned(),
            Job::Digest(None) => urls::page(urls::DIGEST),
            Job::Digest(Some(w)) => urls::page(&urls::digest_week(&w.slug())),
            Job::DigestArchive => urls::page(urls::DIGEST_ARCHIVE),
            Job::DigestAtom => urls::feed(urls::DIGEST),
            Job::Actions(scope, part, page) => {
                urls::page(&urls::paginated(&scope.part_url(actions, part), page))
            }
            Job::Metrics => urls::page(urls::METRICS),
            Job::TermAtom(k, t) => {
                urls::feed(&urls::term(k.path(), &lib.taxonomy(k).terms[t].slug))
            }
        }
    }
}

/// `../../` for `coe/x/index.html`; `./` at the top.
pub(super) fn root_for(path: &str) -> String {
    let depth = path.matches('/').count();
    if depth == 0 {
        "./".to_owned()
    } else {
        "../".repeat(depth)
    }
}

/// The absolute URL of `rel` (a path relative to the site root), for feeds and the sitemap.
pub(super) fn absolute(config: &Config, rel: &str) -> String {
    format!("{}/{}", config.base_url.trim_end_matches('/'), rel)
}

/// The number of pages of a list of `items` (one at least, for an empty list).
pub(super) fn page_count(items: usize, per_page: usize) -> usize {
    items.div_ceil(per_page.max(1)).max(1)
}

/// Every page of the site. The sitemap needs absolute URLs: without a `base_url` it is left
/// out (the build warns).
pub(super) fn jobs(lib: &Library, config: &Config, actions: &ActionIndex) -> Vec<Job> {
    let per_page = config.paginate_by;
    let mut jobs = vec![
        Job::Home,
        Job::Years,
        Job::NotFound,
        Job::Search,
        Job::Atom,
        Job::Sitemap,
        Job::Digest(None),
        Job::DigestArchive,
        Job::DigestAtom,
        Job::Metrics,
    ];
    if config.base_url.is_empty() {
        jobs.retain(|j| !matches!(j, Job::Sitemap));
    }
    jobs.extend(lib.weeks.keys().map(|&w| Job::Digest(Some(w))));
    let scopes = std::iter::once(ActionScope::All)
        .chain((0..actions.owners.len()).map(ActionScope::Owner))
        .chain((0..actions.teams.len()).map(ActionScope::Team));
    for scope in scopes {
        for part in [ItemsPart::Pending, ItemsPart::Closed] {
            jobs.extend((0..scope.pages(actions, part)).map(|p| Job::Actions(scope, part, p)));
        }
    }
    for k in learning::FEED_TAXONOMIES {
        jobs.extend((0..lib.taxonomy(k).terms.len()).map(|t| Job::TermAtom(k, t)));
    }
    let all_pages = page_count(lib.coes.len(), per_page);
    jobs.extend(
        Sort::ALL
            .iter()
            .flat_map(|&s| (0..all_pages).map(move |p| Job::AllCoes(s, p))),
    );
    jobs.extend((0..lib.coes.len()).map(Job::Coe));
    for (&y, coes) in &lib.years {
        jobs.extend((0..page_count(coes.len(), per_page)).map(|p| Job::Year(y, p)));
    }
    for tax in &lib.taxonomies {
        jobs.push(Job::Taxonomy(tax.kind));
        for (t, term) in tax.terms.iter().enumerate() {
            jobs.extend(
                (0..page_count(term.coes.len(), per_page)).map(|p| Job::Term(tax.kind, t, p)),
            );
        }
    }
    jobs
}

/// The output path of every page `render_site` writes, in order (not `coes.json`).
pub fn page_paths(lib: &Library, config: &Config) -> Vec<String> {
    let actions = ActionIndex::new(lib);
    jobs(lib, config, &actions)
        .into_iter()
        .map(|j| j.path(lib, &actions))
        .collect()
}

/// COE orders for the three sorts of `/coe/`, computed once.
pub fn sorted_orders(lib: &Library) -> [Vec<usize>; 3] {
    let by_date: Vec<usize> = (0..lib.coes.len()).collect();
    let mut by_severity = by_date.clone();
    by_severity.sort_by_key(|&i| lib.coes[i].severity.unwrap_or(9));
    let mut by_ttm = by_date.clone();
    by_ttm.sort_by_key(|&i| {
        lib.coes[i]
            .time_to_mitigate()
            .map_or(i64::MAX, |d| d.as_secs())
    });
    [by_date, by_severity, by_ttm]
}
