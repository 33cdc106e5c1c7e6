//! Paginated COE lists (all COEs in three orders, a year, a term) with their paginator, and
//! the indexes leading to them (years, a taxonomy's terms).

use super::{Shared, taxonomy_view, top_terms, year_counts};
use crate::config::Config;
use crate::diag::Diagnostic;
use crate::incremental::deps::{Deps, Key, Kind};
use crate::library::{Library, TaxonomyKind};
use crate::render::jobs::{Sort, page_count};
use crate::render::views::{TermCount, term_count};
use serde::Serialize;
use tera::Context;

#[derive(Serialize)]
struct SortLink {
    label: &'static str,
    url: &'static str,
    active: bool,
}

/// `/coe/` (and its other orders), page `page`.
pub(super) fn all_coes(
    lib: &Library,
    config: &Config,
    shared: &Shared,
    sort: Sort,
    page: usize,
    ctx: &mut Context,
    deps: &Deps,
) -> &'static str {
    let n = Sort::ALL.iter().position(|&s| s == sort).unwrap_or(0);
    deps.add(Key::new(Kind::Sort, n as u64));
    let order = &shared.sorted[n];
    let (slice, pager) = paginate(order, page, config.paginate_by, sort.path());
    let sorts: Vec<SortLink> = Sort::ALL
        .iter()
        .map(|&s| SortLink {
            label: s.label(),
            url: s.path(),
            active: s == sort,
        })
        .collect();
    ctx.insert("coes", &shared.cards.list(slice, deps));
    ctx.insert("paginator", &pager);
    ctx.insert("total", &lib.coes.len());
    ctx.insert("sorts", &sorts);
    ctx.insert("sort", sort.label());
    "coe_list.html"
}

pub(super) fn years(lib: &Library, ctx: &mut Context, deps: &Deps) -> &'static str {
    ctx.insert("years", &year_counts(lib, deps));
    "years.html"
}

/// Year `y`'s COEs, page `page`.
pub(super) fn year(
    lib: &Library,
    config: &Config,
    shared: &Shared,
    y: i16,
    (page, root): (usize, &str),
    ctx: &mut Context,
    deps: &Deps,
) -> Result<&'static str, Diagnostic> {
    deps.add(Key::new(Kind::Year, y as u64));
    let coes = lib.years.get(&y).map_or(&[][..], Vec::as_slice);
    let (slice, pager) = paginate(coes, page, config.paginate_by, &crate::urls::year(y));
    ctx.insert("year", &y);
    ctx.insert("coes", &shared.cards.list_with_html(slice, root, deps)?);
    ctx.insert("paginator", &pager);
    ctx.insert("years", &year_counts(lib, deps));
    Ok("year.html")
}

/// Taxonomy `k`'s terms, by name and by count.
pub(super) fn taxonomy(
    lib: &Library,
    config: &Config,
    k: TaxonomyKind,
    ctx: &mut Context,
    deps: &Deps,
) -> &'static str {
    let tax = lib.taxonomy(k);
    let mut terms: Vec<TermCount> = tax.terms.iter().map(|t| term_count(k, t, deps)).collect();
    if k == TaxonomyKind::Severity {
        terms.sort_by(|a, b| a.url.cmp(&b.url));
    }
    ctx.insert("taxonomy", &taxonomy_view(lib, config, k, deps));
    ctx.insert("terms", &terms);
    ctx.insert("by_count", &top_terms(lib, k, usize::MAX, deps));
    "taxonomy.html"
}

/// The COEs of term `t` of taxonomy `k`, page `page`.
pub(super) fn term(
    lib: &Library,
    config: &Config,
    shared: &Shared,
    (k, t): (TaxonomyKind, usize),
    (page, root): (usize, &str),
    ctx: &mut Context,
    deps: &Deps,
) -> Result<&'static str, Diagnostic> {
    let term = &lib.taxonomy(k).terms[t];
    deps.add(k.key(Kind::TermList, &term.slug));
    deps.add(k.key(Kind::Term, &term.slug));
    let (slice, pager) = paginate(
        &term.coes,
        page,
        config.paginate_by,
        &crate::urls::term(k.path(), &term.slug),
    );
    ctx.insert("taxonomy", &taxonomy_view(lib, config, k, deps));
    ctx.insert("term", &term_count(k, term, deps));
    ctx.insert("coes", &shared.cards.list_with_html(slice, root, deps)?);
    ctx.insert("paginator", &pager);
    Ok("term.html")
}

#[derive(Serialize)]
struct PageLink {
    number: usize,
    url: String,
    current: bool,
}

/// Where a paginated list is: `pages` holds every page's link (relative to the site root).
#[derive(Serialize)]
pub(super) struct Paginator {
    current: usize,
    total_pages: usize,
    total_items: usize,
    first_item: usize,
    prev_url: Option<String>,
    next_url: Option<String>,
    pages: Vec<PageLink>,
}

/// The slice of `items` on `page`, and the paginator for a list whose first page is `base`.
pub(super) fn paginate<'a>(
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
