//! One view per page kind: `context` hands each job to its kind's function, which fills the
//! template's context and names the template. Also the small views several kinds show.

mod actions;
mod coe;
mod digest;
mod home;
mod lists;
mod metrics;
pub(super) mod not_found;
mod search;

use super::jobs::Job;
use super::learning::ActionIndex;
use super::views::{self, TermCount, term_count};
use super::{feeds, sitemap};
use crate::config::Config;
use crate::diag::Diagnostic;
use crate::incremental::deps::{Deps, Key, Kind};
use crate::library::{Library, TaxonomyKind};
use serde::Serialize;
use tera::Context;

/// What many pages use, computed once per build.
pub(super) struct Shared<'a> {
    pub(super) sorted: [Vec<usize>; 3],
    pub(super) actions: ActionIndex,
    pub(super) cards: views::CardValues<'a>,
}

/// The template of `job`'s page and what it sees; `root` leads from the page to the site root.
pub(super) fn context(
    lib: &Library,
    config: &Config,
    search: Option<&crate::search::SearchData>,
    shared: &Shared,
    job: Job,
    root: &str,
    deps: &Deps,
) -> Result<(&'static str, Context), Diagnostic> {
    let mut ctx = Context::new();
    ctx.insert("root", root);
    let c = &mut ctx;
    let d = deps;
    let template = match job {
        Job::Home => home::view(lib, config, shared, root, c, d)?,
        Job::AllCoes(sort, page) => lists::all_coes(lib, config, shared, sort, page, c, d),
        Job::Coe(i) => coe::view(lib, search, shared, i, root, c, d),
        Job::Years => lists::years(lib, c, d),
        Job::Year(y, page) => lists::year(lib, config, shared, y, (page, root), c, d)?,
        Job::Taxonomy(k) => lists::taxonomy(lib, config, k, c, d),
        Job::Term(k, t, page) => lists::term(lib, config, shared, (k, t), (page, root), c, d)?,
        Job::NotFound => not_found::view(),
        Job::Search => search::view(lib, config, c, d),
        Job::Atom => feeds::site_atom(lib, config, c, d),
        Job::TermAtom(k, t) => feeds::term_atom(lib, config, k, t, c, d),
        Job::Digest(week) => digest::week(lib, search, week, c, d),
        Job::DigestArchive => digest::archive(lib, c, d),
        Job::DigestAtom => feeds::digest_atom(lib, config, search, c, d),
        Job::Actions(scope, part, page) => {
            actions::view(lib, &shared.actions, (scope, part, page), root, c, d)
        }
        Job::Metrics => metrics::view(lib, c, d),
        Job::Sitemap => sitemap::view(lib, config, &shared.actions, c, d),
    };
    Ok((template, ctx))
}

#[derive(Serialize)]
struct TaxonomyView {
    label: String,
    url: String,
    count: usize,
}

/// The site's name for taxonomy `k` (`coe.toml`'s `[taxonomies]`).
pub(super) fn label(config: &Config, k: TaxonomyKind) -> String {
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

fn taxonomy_view(lib: &Library, config: &Config, k: TaxonomyKind, deps: &Deps) -> TaxonomyView {
    deps.add(k.taxonomy_key());
    TaxonomyView {
        label: label(config, k),
        url: format!("{}/", k.path()),
        count: lib.taxonomy(k).terms.len(),
    }
}

/// Every taxonomy, in `TaxonomyKind::ALL`'s order (the home and search pages).
fn taxonomy_views(lib: &Library, config: &Config, deps: &Deps) -> Vec<TaxonomyView> {
    TaxonomyKind::ALL
        .iter()
        .map(|&k| taxonomy_view(lib, config, k, deps))
        .collect()
}

#[derive(Serialize)]
struct YearCount {
    year: i16,
    url: String,
    count: usize,
}

fn year_counts(lib: &Library, deps: &Deps) -> Vec<YearCount> {
    deps.add(Key::all(Kind::Years));
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
fn top_terms(lib: &Library, k: TaxonomyKind, n: usize, deps: &Deps) -> Vec<TermCount> {
    deps.add(k.taxonomy_key());
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
        .map(|t| term_count(k, t, deps))
        .collect()
}
