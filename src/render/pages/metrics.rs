//! The metrics page (its views and charts are in `learning` and `charts`).

use crate::library::Library;
use crate::render::learning;
use tera::Context;

pub(super) fn view(lib: &Library, ctx: &mut Context) -> &'static str {
    ctx.insert("metrics", &learning::metric_views(lib));
    ctx.insert("total", &lib.coes.len());
    "metrics.html"
}
