//! Rendering: Tera templates from the theme, one small view per page, pages rendered in
//! parallel and handed to the output sink as they are done.

pub mod charts;
pub mod learning;
pub mod theme;
pub mod views;

use crate::config::Config;
use crate::content::Coe;
use crate::diag::Diagnostic;
use crate::library::weeks::IsoWeek;
use crate::library::{Library, TaxonomyKind};
use crate::output::Sink;
use learning::ActionIndex;
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;
use tera::{Context, Tera};
use views::{TermCount, coe_page, severity, term_count};

pub struct Renderer {
    tera: Tera,
    /// A template uses `c.card_html` (and `partials/coe_card.html` exists): card lists then
    /// carry each card rendered once (`views::CardValues`).
    card_html: bool,
}

/// What every page gets as `site`.
#[derive(Serialize)]
struct SiteView<'a> {
    title: &'a str,
    description: &'a str,
    base_url: &'a str,
    language: &'a str,
    nav: Vec<views::Link>,
    today: String,
    extra: &'a toml::Table,
}

impl Renderer {
    /// Loads the templates (default theme, `themes/<theme>/`, the site's `templates/`).
    pub fn new(
        root: &Path,
        config: &Config,
        lib_today: jiff::civil::Date,
    ) -> Result<Renderer, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let files = theme::layered_files(root, &config.theme, "templates", &mut diags);
        let mut templates = Vec::new();
        // `new.md` (any `.md`) is `coe new`'s plain-text COE template, not a Tera template.
        for (name, bytes) in files.into_iter().filter(|(n, _)| !n.ends_with(".md")) {
            match String::from_utf8(bytes) {
                Ok(s) => templates.push((name, s)),
                Err(_) => diags.push(Diagnostic::error(
                    format!("templates/{name}"),
                    0,
                    0,
                    "template is not valid UTF-8",
                )),
            }
        }
        // The card template itself mentions `card_html` (in its comment): a theme whose own
        // lists never show it must not pay for rendering it.
        let card = "partials/coe_card.html";
        let card_html = templates.iter().any(|(n, _)| n == card)
            && templates
                .iter()
                .any(|(n, s)| n != card && s.contains("card_html"));
        let mut tera = Tera::new();
        tera.autoescape_on(vec![".html", ".xml"]);
        if let Err(e) = tera.add_raw_templates(templates) {
            diags.push(Diagnostic::error(
                "templates",
                0,
                0,
                format!("template error:\n{e}"),
            ));
        }
        let labels = &config.taxonomies;
        let nav = [
            ("All COEs", "coe/".to_owned()),
            (labels.tags.as_str(), "tags/".to_owned()),
            (labels.services.as_str(), "services/".to_owned()),
            (labels.root_causes.as_str(), "root-causes/".to_owned()),
            (labels.teams.as_str(), "teams/".to_owned()),
            (labels.authors.as_str(), "authors/".to_owned()),
            (labels.severity.as_str(), "severity/".to_owned()),
            ("Years", crate::urls::YEARS.to_owned()),
            ("Digest", crate::urls::DIGEST.to_owned()),
            ("Action items", crate::urls::ACTIONS.to_owned()),
            ("Metrics", crate::urls::METRICS.to_owned()),
        ]
        .into_iter()
        .map(|(name, url)| views::Link {
            name: name.to_owned(),
            url,
        })
        .collect();
        let site = SiteView {
            title: &config.title,
            description: &config.description,
            base_url: &config.base_url,
            language: &config.language,
            nav,
            today: lib_today.to_string(),
            extra: &config.extra,
        };
        tera.global_context().insert("site", &site);
        if diags.iter().any(Diagnostic::is_error) {
            Err(diags)
        } else {
            Ok(Renderer { tera, card_html })
        }
    }

    fn render(&self, template: &str, ctx: &Context) -> Result<String, Diagnostic> {
        self.tera.render(template, ctx).map_err(|e| {
            Diagnostic::error(
                format!("templates/{template}"),
                0,
                0,
                format!("cannot render:\n{e}"),
            )
        })
    }
}

#[derive(Clone, Copy)]
enum Job {
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
    Actions(ActionScope),
    Metrics,
    TermAtom(TaxonomyKind, usize),
}

#[derive(Clone, Copy)]
enum ActionScope {
    All,
    Owner(usize),
    Team(usize),
}

#[derive(Clone, Copy, PartialEq)]
enum Sort {
    Date,
    Severity,
    TimeToMitigate,
}

impl Sort {
    const ALL: [Sort; 3] = [Sort::Date, Sort::Severity, Sort::TimeToMitigate];
    fn path(self) -> &'static str {
        match self {
            Sort::Date => "coe/",
            Sort::Severity => "coe/by-severity/",
            Sort::TimeToMitigate => "coe/by-time-to-mitigate/",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Sort::Date => "Date",
            Sort::Severity => "Severity",
            Sort::TimeToMitigate => "Time to mitigate",
        }
    }
}

impl Job {
    /// Output path of the page, relative to the output folder.
    fn path(self, lib: &Library, actions: &ActionIndex) -> String {
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
            Job::Actions(ActionScope::All) => urls::page(urls::ACTIONS),
            Job::Actions(ActionScope::Owner(g)) => {
                urls::page(&urls::actions_of_owner(&actions.owners[g].slug))
            }
            Job::Actions(ActionScope::Team(g)) => {
                urls::page(&urls::actions_of_team(&actions.teams[g].slug))
            }
            Job::Metrics => urls::page(urls::METRICS),
            Job::TermAtom(k, t) => {
                urls::feed(&urls::term(k.path(), &lib.taxonomy(k).terms[t].slug))
            }
        }
    }
}

/// `../../` for `coe/x/index.html`; `./` at the top.
fn root_for(path: &str) -> String {
    let depth = path.matches('/').count();
    if depth == 0 {
        "./".to_owned()
    } else {
        "../".repeat(depth)
    }
}

/// The path part of `base_url` (`/lib/` for `https://x.com/lib`), `/` when there is none.
fn base_path(config: &Config) -> String {
    let url = config.base_url.trim();
    let after_host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
    let path = after_host.trim_matches('/');
    if path.is_empty() {
        "/".to_owned()
    } else {
        format!("/{path}/")
    }
}

/// `page/3/` for the third page of a list; nothing for the first.
fn page_count(items: usize, per_page: usize) -> usize {
    items.div_ceil(per_page.max(1)).max(1)
}

fn jobs(lib: &Library, per_page: usize, actions: &ActionIndex) -> Vec<Job> {
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
        Job::Actions(ActionScope::All),
        Job::Metrics,
    ];
    jobs.extend(lib.weeks.keys().map(|&w| Job::Digest(Some(w))));
    jobs.extend((0..actions.owners.len()).map(|g| Job::Actions(ActionScope::Owner(g))));
    jobs.extend((0..actions.teams.len()).map(|g| Job::Actions(ActionScope::Team(g))));
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

/// Renders every page into `sink`. Returns the number of files written and every problem.
pub fn render_site(
    lib: &Library,
    config: &Config,
    renderer: &Renderer,
    search: Option<&crate::search::SearchData>,
    sink: &dyn Sink,
) -> (usize, Vec<Diagnostic>) {
    render_selected(lib, config, renderer, search, sink, &|_| true)
}

/// The output path of every page `render_site` writes, in order (not `coes.json`).
pub fn page_paths(lib: &Library, config: &Config) -> Vec<String> {
    let actions = ActionIndex::new(lib);
    jobs(lib, config.paginate_by, &actions)
        .into_iter()
        .map(|j| j.path(lib, &actions))
        .collect()
}

/// Every paginated list COE `i` is on, as (path of the list's first page, the page it is on,
/// the list's number of pages): `/coe/` in its three orders, its year, each of its terms.
pub fn lists_of(lib: &Library, config: &Config, i: usize) -> Vec<(String, usize, usize)> {
    let per = config.paginate_by.max(1);
    let mut out = Vec::new();
    let mut push = |base: String, list: &[usize]| {
        if let Some(p) = list.iter().position(|&j| j == i) {
            out.push((base, p / per, page_count(list.len(), per)));
        }
    };
    for (s, order) in Sort::ALL.iter().zip(sorted_orders(lib)) {
        push(s.path().to_owned(), &order);
    }
    if let Some(c) = lib.coes.get(i) {
        let y = c.date.year();
        if let Some(list) = lib.years.get(&y) {
            push(crate::urls::year(y), list);
        }
    }
    for tax in &lib.taxonomies {
        for term in &tax.terms {
            push(crate::urls::term(tax.kind.path(), &term.slug), &term.coes);
        }
    }
    out
}

/// The path of page `page` (0-based) of the list whose first page is at `base`.
pub fn list_page_path(base: &str, page: usize) -> String {
    crate::urls::page(&crate::urls::paginated(base, page))
}

/// Where one template's pages spent their time (`COE_TIMINGS=1`), summed over threads.
#[derive(Default)]
struct TemplateTime {
    pages: usize,
    all: std::time::Duration,
    views: std::time::Duration,
    write: std::time::Duration,
}

/// Renders the pages whose output path `select` accepts (and `coes.json` when it accepts
/// that): what `coe serve` re-renders after a small change.
pub fn render_selected(
    lib: &Library,
    config: &Config,
    renderer: &Renderer,
    search: Option<&crate::search::SearchData>,
    sink: &dyn Sink,
    select: &(dyn Fn(&str) -> bool + Sync),
) -> (usize, Vec<Diagnostic>) {
    let actions = ActionIndex::new(lib);
    let jobs: Vec<Job> = jobs(lib, config.paginate_by, &actions)
        .into_iter()
        .filter(|j| select(&j.path(lib, &actions)))
        .collect();
    let shared = Shared {
        sorted: sorted_orders(lib),
        actions,
        cards: views::CardValues::new(lib, Some(renderer)),
    };
    let timings = std::env::var_os("COE_TIMINGS").is_some();
    let by_kind: std::sync::Mutex<std::collections::BTreeMap<&'static str, TemplateTime>> =
        Default::default();
    let results: Vec<Result<(), Diagnostic>> = jobs
        .par_iter()
        .map(|&job| {
            let started = std::time::Instant::now();
            let path = job.path(lib, &shared.actions);
            // The 404 page is served at whatever URL was missing, so relative links would
            // break there: it links from the site's root path instead.
            let root = if matches!(job, Job::NotFound) {
                base_path(config)
            } else {
                root_for(&path)
            };
            let (template, ctx) = context(lib, config, search, &shared, job, &root)?;
            let views_done = started.elapsed();
            let html = renderer.render(template, &ctx)?;
            let rendered = started.elapsed();
            let written = sink
                .write(&path, html.as_bytes())
                .map_err(|e| Diagnostic::error(&path, 0, 0, format!("cannot write: {e}")));
            if timings && let Ok(mut m) = by_kind.lock() {
                let all = started.elapsed();
                let e = m.entry(template).or_default();
                e.pages += 1;
                e.all += all;
                e.views += views_done;
                e.write += all - rendered;
            }
            written
        })
        .collect();
    if timings && let Ok(m) = by_kind.lock() {
        for (template, t) in m.iter() {
            let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
            let (n, ms, c, w) = (t.pages, ms(t.all), ms(t.views), ms(t.write));
            crate::errln!(
                "render {template:<20} {n:>6} pages {ms:>9.1} ms (summed over threads; views {c:.1} ms, write {w:.1} ms)"
            );
        }
    }
    let mut diags: Vec<Diagnostic> = results.into_iter().filter_map(Result::err).collect();
    if !select("coes.json") {
        return (jobs.len(), diags);
    }
    if let Err(e) = sink.write_pieces("coes.json", &mut coes_json_pieces(lib)) {
        diags.push(Diagnostic::error(
            "coes.json",
            0,
            0,
            format!("cannot write: {e}"),
        ));
    }
    (jobs.len() + 1, diags)
}

#[derive(Serialize)]
struct SortLink {
    label: &'static str,
    url: &'static str,
    active: bool,
}

#[derive(Serialize)]
struct YearCount {
    year: i16,
    url: String,
    count: usize,
}

#[derive(Serialize)]
struct TaxonomyView {
    label: String,
    url: String,
    count: usize,
}

fn label(config: &Config, k: TaxonomyKind) -> String {
    let l = &config.taxonomies;
    match k {
        TaxonomyKind::Tags => &l.tags,
        TaxonomyKind::Services => &l.services,
        TaxonomyKind::RootCauses => &l.root_causes,
        TaxonomyKind::Teams => &l.teams,
        TaxonomyKind::Authors => &l.authors,
        TaxonomyKind::Severity => &l.severity,
    }
    .clone()
}

fn taxonomy_view(lib: &Library, config: &Config, k: TaxonomyKind) -> TaxonomyView {
    TaxonomyView {
        label: label(config, k),
        url: format!("{}/", k.path()),
        count: lib.taxonomy(k).terms.len(),
    }
}

fn year_counts(lib: &Library) -> Vec<YearCount> {
    lib.years
        .iter()
        .rev()
        .map(|(&y, v)| YearCount {
            year: y,
            url: crate::urls::year(y),
            count: v.len(),
        })
        .collect()
}

/// Terms by count (most first), then name.
fn top_terms(lib: &Library, k: TaxonomyKind, n: usize) -> Vec<TermCount> {
    let mut terms: Vec<_> = lib.taxonomy(k).terms.iter().collect();
    terms.sort_by(|a, b| {
        b.coes
            .len()
            .cmp(&a.coes.len())
            .then_with(|| a.slug.cmp(&b.slug))
    });
    terms
        .into_iter()
        .take(n)
        .map(|t| term_count(k, t))
        .collect()
}

/// COE orders for the three sorts of `/coe/`, computed once.
fn sorted_orders(lib: &Library) -> [Vec<usize>; 3] {
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

#[derive(Serialize)]
struct PageLink {
    number: usize,
    url: String,
    current: bool,
}

/// Where a paginated list is: `pages` holds every page's link (relative to the site root).
#[derive(Serialize)]
struct Paginator {
    current: usize,
    total_pages: usize,
    total_items: usize,
    first_item: usize,
    prev_url: Option<String>,
    next_url: Option<String>,
    pages: Vec<PageLink>,
}

/// The slice of `items` on `page`, and the paginator for a list whose first page is `base`.
fn paginate<'a>(
    items: &'a [usize],
    page: usize,
    per_page: usize,
    base: &str,
) -> (&'a [usize], Paginator) {
    let per_page = per_page.max(1);
    let total_pages = page_count(items.len(), per_page);
    let start = (page * per_page).min(items.len());
    let end = (start + per_page).min(items.len());
    let url = |p: usize| crate::urls::paginated(base, p);
    let pager = Paginator {
        current: page + 1,
        total_pages,
        total_items: items.len(),
        first_item: start + 1,
        prev_url: (page > 0).then(|| url(page - 1)),
        next_url: (page + 1 < total_pages).then(|| url(page + 1)),
        pages: (0..total_pages)
            .map(|p| PageLink {
                number: p + 1,
                url: url(p),
                current: p == page,
            })
            .collect(),
    };
    (&items[start..end], pager)
}

/// What many pages use, computed once per build.
struct Shared<'a> {
    sorted: [Vec<usize>; 3],
    actions: ActionIndex,
    cards: views::CardValues<'a>,
}

fn context(
    lib: &Library,
    config: &Config,
    search: Option<&crate::search::SearchData>,
    shared: &Shared,
    job: Job,
    root: &str,
) -> Result<(&'static str, Context), Diagnostic> {
    let sorted = &shared.sorted;
    let mut ctx = Context::new();
    ctx.insert("root", root);
    let per_page = config.paginate_by;
    let template = match job {
        Job::Home => {
            let n = config.home_limit.min(lib.coes.len());
            ctx.insert(
                "recent",
                &shared.cards.list_with_html(&sorted[0][..n], root)?,
            );
            ctx.insert("total", &lib.coes.len());
            ctx.insert("severities", &severity_counts(lib));
            ctx.insert("top_tags", &top_terms(lib, TaxonomyKind::Tags, 12));
            ctx.insert("top_services", &top_terms(lib, TaxonomyKind::Services, 12));
            let taxes: Vec<TaxonomyView> = TaxonomyKind::ALL
                .iter()
                .map(|&k| taxonomy_view(lib, config, k))
                .collect();
            ctx.insert("taxonomies", &taxes);
            ctx.insert("years", &year_counts(lib));
            "index.html"
        }
        Job::AllCoes(sort, page) => {
            let order = &sorted[Sort::ALL.iter().position(|&s| s == sort).unwrap_or(0)];
            let (slice, pager) = paginate(order, page, per_page, sort.path());
            let sorts: Vec<SortLink> = Sort::ALL
                .iter()
                .map(|&s| SortLink {
                    label: s.label(),
                    url: s.path(),
                    active: s == sort,
                })
                .collect();
            ctx.insert("coes", &shared.cards.list(slice));
            ctx.insert("paginator", &pager);
            ctx.insert("total", &lib.coes.len());
            ctx.insert("sorts", &sorts);
            ctx.insert("sort", sort.label());
            "coe_list.html"
        }
        Job::Coe(i) => {
            ctx.insert(
                "coe",
                &coe_page(
                    lib,
                    &shared.cards,
                    i,
                    root,
                    search.map(|s| s.similar[i].as_slice()),
                ),
            );
            "coe.html"
        }
        Job::Years => {
            ctx.insert("years", &year_counts(lib));
            "years.html"
        }
        Job::Year(y, page) => {
            let coes = lib.years.get(&y).map_or(&[][..], Vec::as_slice);
            let (slice, pager) = paginate(coes, page, per_page, &crate::urls::year(y));
            ctx.insert("year", &y);
            ctx.insert("coes", &shared.cards.list_with_html(slice, root)?);
            ctx.insert("paginator", &pager);
            ctx.insert("years", &year_counts(lib));
            "year.html"
        }
        Job::Taxonomy(k) => {
            let tax = lib.taxonomy(k);
            let mut terms: Vec<TermCount> = tax.terms.iter().map(|t| term_count(k, t)).collect();
            if k == TaxonomyKind::Severity {
                terms.sort_by(|a, b| a.url.cmp(&b.url));
            }
            ctx.insert("taxonomy", &taxonomy_view(lib, config, k));
            ctx.insert("terms", &terms);
            ctx.insert("by_count", &top_terms(lib, k, usize::MAX));
            "taxonomy.html"
        }
        Job::Term(k, t, page) => {
            let term = &lib.taxonomy(k).terms[t];
            let (slice, pager) = paginate(
                &term.coes,
                page,
                per_page,
                &crate::urls::term(k.path(), &term.slug),
            );
            ctx.insert("taxonomy", &taxonomy_view(lib, config, k));
            ctx.insert("term", &term_count(k, term));
            ctx.insert("coes", &shared.cards.list_with_html(slice, root)?);
            ctx.insert("paginator", &pager);
            "term.html"
        }
        Job::NotFound => "404.html",
        Job::Search => {
            let taxes: Vec<TaxonomyView> = TaxonomyKind::ALL
                .iter()
                .map(|&k| taxonomy_view(lib, config, k))
                .collect();
            ctx.insert("taxonomies", &taxes);
            "search.html"
        }
        Job::Atom => {
            let all: Vec<usize> = (0..lib.coes.len()).collect();
            ctx.insert(
                "feed",
                &feed(lib, config, &all, config.title.clone(), "atom.xml", ""),
            );
            "atom.xml"
        }
        Job::TermAtom(k, t) => {
            let term = &lib.taxonomy(k).terms[t];
            let url = crate::urls::term(k.path(), &term.slug);
            let title = format!("{} · {}: {}", config.title, label(config, k), term.name);
            ctx.insert(
                "feed",
                &feed(
                    lib,
                    config,
                    &term.coes,
                    title,
                    &format!("{url}atom.xml"),
                    &url,
                ),
            );
            "atom.xml"
        }
        Job::Digest(week) => {
            let Some(w) = week.or_else(|| crate::digest::latest_week(lib)) else {
                ctx.insert("digest", &None::<crate::digest::Digest>);
                ctx.insert("latest", &true);
                return Ok(("digest.html", ctx));
            };
            let (prev, next) = learning::neighbours(lib, w);
            ctx.insert("digest", &Some(learning::digest_for(lib, search, w)));
            ctx.insert("latest", &week.is_none());
            ctx.insert("prev", &prev);
            ctx.insert("next", &next);
            "digest.html"
        }
        Job::DigestArchive => {
            let weeks: Vec<learning::WeekLink> = lib
                .weeks
                .keys()
                .rev()
                .map(|&w| learning::week_link(lib, w))
                .collect();
            ctx.insert("weeks", &weeks);
            "digest_archive.html"
        }
        Job::DigestAtom => {
            ctx.insert("feed", &digest_feed(lib, config, search));
            "digest_atom.xml"
        }
        Job::Actions(scope) => {
            let idx = &shared.actions;
            let (title, positions): (String, Vec<usize>) = match scope {
                ActionScope::All => ("Action items".to_owned(), (0..idx.items.len()).collect()),
                ActionScope::Owner(g) => (
                    format!("Action items owned by {}", idx.owners[g].name),
                    idx.owners[g].items.clone(),
                ),
                ActionScope::Team(g) => (
                    format!("Action items of team {}", idx.teams[g].name),
                    idx.teams[g].items.clone(),
                ),
            };
            let refs: Vec<_> = positions.iter().map(|&n| idx.items[n]).collect();
            let rows: Vec<crate::digest::ActionRow> = refs
                .iter()
                .map(|&r| {
                    let late = crate::library::actions::days_overdue(r.get(lib), lib.today);
                    crate::digest::action_row(lib, r, late)
                })
                .collect();
            ctx.insert("title", &title);
            let all = matches!(scope, ActionScope::All);
            ctx.insert("all", &all);
            // Links to owner and team pages, relative to this page.
            let base = if all {
                String::new()
            } else {
                format!("{root}action-items/")
            };
            ctx.insert("base", &base);
            ctx.insert("counts", &learning::action_counts(lib, &refs));
            ctx.insert("items", &rows);
            // The per-owner and per-team indexes are on the main page only.
            if all {
                ctx.insert(
                    "owners",
                    &learning::group_links(lib, idx, &idx.owners, "owners"),
                );
                ctx.insert(
                    "teams",
                    &learning::group_links(lib, idx, &idx.teams, "teams"),
                );
            }
            "actions.html"
        }
        Job::Metrics => {
            ctx.insert("metrics", &learning::metric_views(lib));
            ctx.insert("total", &lib.coes.len());
            "metrics.html"
        }
        Job::Sitemap => {
            ctx.insert("urls", &sitemap(lib, config, &shared.actions));
            "sitemap.xml"
        }
    };
    Ok((template, ctx))
}

#[derive(Serialize)]
struct SeverityCount {
    label: String,
    class: String,
    url: String,
    count: usize,
}

fn severity_counts(lib: &Library) -> Vec<SeverityCount> {
    let tax = lib.taxonomy(TaxonomyKind::Severity);
    let mut out: Vec<SeverityCount> = tax
        .terms
        .iter()
        .map(|t| {
            let s = severity(t.slug.strip_prefix("sev").and_then(|d| d.parse().ok()));
            SeverityCount {
                label: s.label,
                class: s.class,
                url: s.url,
                count: t.coes.len(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.class.cmp(&b.class));
    out
}

fn absolute(config: &Config, rel: &str) -> String {
    format!("{}/{}", config.base_url.trim_end_matches('/'), rel)
}

#[derive(Serialize)]
struct FeedEntry {
    id: String,
    title: String,
    url: String,
    published: String,
    updated: String,
    summary: String,
    authors: Vec<String>,
    categories: Vec<String>,
    severity: String,
}

#[derive(Serialize)]
struct Feed {
    title: String,
    url: String,
    site_url: String,
    updated: String,
    entries: Vec<FeedEntry>,
}

fn rfc3339(d: jiff::civil::Date) -> String {
    format!("{d}T00:00:00Z")
}

fn feed(
    lib: &Library,
    config: &Config,
    coes: &[usize],
    title: String,
    self_rel: &str,
    site_rel: &str,
) -> Feed {
    let mut order: Vec<usize> = coes.to_vec();
    order.sort_by(|&a, &b| {
        lib.coes[b]
            .published
            .cmp(&lib.coes[a].published)
            .then(a.cmp(&b))
    });
    order.truncate(config.feed_limit);
    let entries: Vec<FeedEntry> = order
        .iter()
        .map(|&i| {
            let c = &lib.coes[i];
            FeedEntry {
                id: absolute(config, &crate::urls::coe(&c.slug)),
                title: c.title.clone(),
                url: absolute(config, &crate::urls::coe(&c.slug)),
                published: rfc3339(c.published),
                updated: rfc3339(c.published),
                summary: c.summary.clone(),
                authors: c.authors.clone(),
                categories: c.tags.clone(),
                severity: views::severity(c.severity).label,
            }
        })
        .collect();
    Feed {
        title,
        url: absolute(config, self_rel),
        site_url: absolute(config, site_rel),
        updated: entries
            .first()
            .map_or_else(|| rfc3339(lib.today), |e| e.updated.clone()),
        entries,
    }
}

#[derive(Serialize)]
struct DigestEntry {
    week: String,
    url: String,
    updated: String,
    coes: Vec<views::Link>,
    recurrences: usize,
    overdue: usize,
    prompts: Vec<String>,
}

/// `/digest/atom.xml`: one entry per week, newest first.
fn digest_feed(
    lib: &Library,
    config: &Config,
    search: Option<&crate::search::SearchData>,
) -> serde_json::Value {
    let entries: Vec<DigestEntry> = lib
        .weeks
        .keys()
        .rev()
        .take(config.feed_limit)
        .map(|&w| {
            let d = learning::digest_for(lib, search, w);
            DigestEntry {
                url: absolute(config, &d.url),
                week: d.week.clone(),
                // A week's entry is complete when the week is over.
                updated: rfc3339(w.sunday().min(lib.today)),
                coes: d
                    .new_coes
                    .iter()
                    .map(|c| views::Link {
                        name: format!("{} {}", c.id, c.title),
                        url: absolute(config, &c.url),
                    })
                    .collect(),
                recurrences: d.recurrences.len(),
                overdue: d.action_items.overdue_total,
                prompts: d.prompts,
            }
        })
        .collect();
    serde_json::json!({
        "title": format!("{} · weekly digest", config.title),
        "url": absolute(config, &crate::urls::feed(crate::urls::DIGEST)),
        "site_url": absolute(config, crate::urls::DIGEST),
        "updated": entries.first().map_or_else(|| rfc3339(lib.today), |e| e.updated.clone()),
        "entries": entries,
    })
}

#[derive(Serialize)]
struct SitemapUrl {
    loc: String,
    lastmod: Option<String>,
}

fn sitemap(lib: &Library, config: &Config, actions: &ActionIndex) -> Vec<SitemapUrl> {
    let mut urls = Vec::new();
    for job in jobs(lib, config.paginate_by, actions) {
        if matches!(
            job,
            Job::NotFound | Job::Atom | Job::Sitemap | Job::DigestAtom | Job::TermAtom(..)
        ) {
            continue;
        }
        let path = job.path(lib, actions);
        let rel = path.strip_suffix("index.html").unwrap_or(&path);
        let lastmod = match job {
            Job::Coe(i) => Some(lib.coes[i].published.to_string()),
            _ => None,
        };
        urls.push(SitemapUrl {
            loc: absolute(config, rel),
            lastmod,
        });
    }
    urls
}

/// `/coes.json`: every published COE's metadata, for other tools, in pieces of a few hundred
/// entries, each made (in parallel) when it is written: neither a tree of every COE's values
/// nor the whole 28 MB file is in memory at once at 10,000 COEs (both added to the peak).
fn coes_json_pieces(lib: &Library) -> impl Iterator<Item = Vec<u8>> + '_ {
    const PER_PIECE: usize = 512;
    let n = lib.coes.len();
    let head = std::iter::once(b"{\n  \"coes\": [".to_vec());
    let body = (0..n).step_by(PER_PIECE).map(move |start| {
        let entries: Vec<String> = (start..(start + PER_PIECE).min(n))
            .into_par_iter()
            .map(|i| coes_json_entry(lib, i, &lib.coes[i]))
            .collect();
        let mut piece = Vec::with_capacity(entries.iter().map(|e| e.len() + 2).sum());
        for (k, entry) in entries.iter().enumerate() {
            piece.extend_from_slice(if start + k == 0 { b"\n" } else { b",\n" });
            piece.extend_from_slice(entry.as_bytes());
        }
        piece
    });
    let tail: &[u8] = if n == 0 { b"]\n}\n" } else { b"\n  ]\n}\n" };
    head.chain(body).chain(std::iter::once(tail.to_vec()))
}

/// One COE in `coes.json`. Fields in name order: the file was first written from a
/// `serde_json::Value`, whose maps sort their keys, and stays byte for byte the same.
#[derive(Serialize)]
struct CoeJson<'a> {
    action_items: Vec<ActionJson<'a>>,
    authors: &'a [String],
    customer_impact: Option<&'a str>,
    date: String,
    detected: Option<String>,
    extra: &'a std::collections::BTreeMap<String, serde_json::Value>,
    id: &'a str,
    mitigated: Option<String>,
    published: String,
    referenced_by: Vec<&'a str>,
    related: Vec<&'a str>,
    resolved: Option<String>,
    reviewers: &'a [String],
    root_cause: &'a [String],
    services: &'a [String],
    severity: Option<String>,
    source: String,
    started: Option<String>,
    status: &'a str,
    summary: &'a str,
    tags: &'a [String],
    team: &'a [String],
    time_to_detect_minutes: Option<i64>,
    time_to_mitigate_minutes: Option<i64>,
    time_to_resolve_minutes: Option<i64>,
    title: &'a str,
    url: String,
}

#[derive(Serialize)]
struct ActionJson<'a> {
    closed: Option<String>,
    due: Option<String>,
    extra: &'a std::collections::BTreeMap<String, serde_json::Value>,
    overdue: bool,
    owner: Option<&'a str>,
    priority: Option<&'static str>,
    status: &'static str,
    ticket: Option<&'a str>,
    title: &'a str,
}

/// The entry of `coes.json` for `c` at library position `i` (indented for its place): `c` is
/// the library's COE there, or an earlier version of it (to tell whether an edit changes
/// the file).
pub fn coes_json_entry(lib: &Library, i: usize, c: &Coe) -> String {
    let mins = |d: Option<jiff::SignedDuration>| d.map(|d| d.as_secs() / 60);
    let ids = |list: Option<&Vec<usize>>| {
        list.map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|&j| lib.coes[j].id.as_str())
            .collect()
    };
    let value = CoeJson {
        action_items: c
            .action_items
            .iter()
            .map(|a| {
                let v = views::action_item(lib, a, lib.today);
                ActionJson {
                    closed: v.closed,
                    due: v.due,
                    extra: &a.extra,
                    overdue: v.overdue,
                    owner: a.owner.as_deref(),
                    priority: v.priority,
                    status: v.status,
                    ticket: a.ticket.as_deref(),
                    title: &a.title,
                }
            })
            .collect(),
        authors: &c.authors,
        customer_impact: c.customer_impact.as_deref(),
        date: c.date.to_string(),
        detected: c.detected.map(|t| t.to_string()),
        extra: &c.extra,
        id: &c.id,
        mitigated: c.mitigated.map(|t| t.to_string()),
        published: c.published.to_string(),
        referenced_by: ids(lib.referenced_by.get(i)),
        related: ids(lib.related.get(i)),
        resolved: c.resolved.map(|t| t.to_string()),
        reviewers: &c.reviewers,
        root_cause: &c.root_causes,
        services: &c.services,
        severity: c.severity.map(|s| format!("SEV{s}")),
        source: format!("content/{}", c.source),
        started: c.started.map(|t| t.to_string()),
        status: c.status.as_str(),
        summary: &c.summary,
        tags: &c.tags,
        team: &c.teams,
        time_to_detect_minutes: mins(c.time_to_detect()),
        time_to_mitigate_minutes: mins(c.time_to_mitigate()),
        time_to_resolve_minutes: mins(c.time_to_resolve()),
        title: &c.title,
        url: crate::urls::coe(&c.slug),
    };
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (n, line) in text.lines().enumerate() {
        if n > 0 {
            out.push('\n');
        }
        out.push_str("    ");
        out.push_str(line);
    }
    out
}

/// A week's digest as a self-contained HTML e-mail (inline CSS, absolute links when the
/// site's `base_url` is set), from the theme's `digest_email.html`.
pub fn digest_email(
    root: &Path,
    config: &Config,
    today: jiff::civil::Date,
    digest: &crate::digest::Digest,
) -> Result<String, Vec<Diagnostic>> {
    let renderer = Renderer::new(root, config, today)?;
    let mut ctx = Context::new();
    let base = config.base_url.trim_end_matches('/');
    ctx.insert(
        "base",
        &if base.is_empty() {
            String::new()
        } else {
            format!("{base}/")
        },
    );
    ctx.insert("digest", digest);
    renderer
        .render("digest_email.html", &ctx)
        .map_err(|d| vec![d])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renderer(site: &Path) -> Renderer {
        let today = jiff::civil::date(2026, 11, 26);
        Renderer::new(site, &Config::default(), today).unwrap_or_else(|_| panic!("templates load"))
    }

    #[test]
    fn cards_are_rendered_once_only_for_templates_that_show_card_html() {
        let site = tempfile::tempdir().expect("tempdir");
        assert!(
            renderer(site.path()).card_html,
            "the default theme shows it"
        );
        // A site's own card list that lays cards out itself: the card template's own mention
        // of `card_html` must not make every build render cards nobody shows.
        let partials = site.path().join("templates/partials");
        std::fs::create_dir_all(&partials).expect("mkdir");
        std::fs::write(
            partials.join("coe_table.html"),
            "{% for c in coes %}<li>{{ c.title }}</li>{% endfor %}",
        )
        .expect("write");
        assert!(!renderer(site.path()).card_html);
    }
}
