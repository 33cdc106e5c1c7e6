//! The home page: recent COEs, counts by severity, top terms, taxonomies and years.

use super::{Shared, taxonomy_views, top_terms, year_counts};
use crate::config::Config;
use crate::diag::Diagnostic;
use crate::incremental::deps::{Deps, Key, Kind};
use crate::library::{Library, TaxonomyKind};
use crate::render::views::severity;
use serde::Serialize;
use tera::Context;

pub(super) fn view(
    lib: &Library,
    config: &Config,
    shared: &Shared,
    root: &str,
    ctx: &mut Context,
    deps: &Deps,
) -> Result<&'static str, Diagnostic> {
    let n = config.home_limit.min(lib.coes.len());
    deps.add(Key::new(Kind::Sort, 0));
    ctx.insert(
        "recent",
        &shared
            .cards
            .list_with_html(&shared.sorted[0][..n], root, deps)?,
    );
    ctx.insert("total", &lib.coes.len());
    ctx.insert("severities", &severity_counts(lib, deps));
    ctx.insert("top_tags", &top_terms(lib, TaxonomyKind::Tags, 12, deps));
    ctx.insert(
        "top_services",
        &top_terms(lib, TaxonomyKind::Services, 12, deps),
    );
    ctx.insert("taxonomies", &taxonomy_views(lib, config, deps));
    ctx.insert("years", &year_counts(lib, deps));
    Ok("index.html")
}

#[derive(Serialize)]
struct SeverityCount {
    label: String,
    class: String,
    url: String,
    count: usize,
}

fn severity_counts(lib: &Library, deps: &Deps) -> Vec<SeverityCount> {
    deps.add(TaxonomyKind::Severity.taxonomy_key());
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
