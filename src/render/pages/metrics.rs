//! The metrics page (its views and charts are in `learning` and `charts`).

use crate::incremental::deps::{Deps, Key, Kind};
use crate::library::Library;
use crate::render::learning;
use tera::Context;

pub(super) fn view(lib: &Library, ctx: &mut Context, deps: &Deps) -> &'static str {
    // Counts, medians and rates over every COE and action item.
    deps.add(Key::all(Kind::AllShown));
    for k in crate::library::TaxonomyKind::ALL {
        deps.add(k.taxonomy_key());
    }
    ctx.insert("metrics", &learning::metric_views(lib));
    ctx.insert("total", &lib.coes.len());
    "metrics.html"
}
