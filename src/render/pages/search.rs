//! The search page: the taxonomies to filter by (results come from the static search export).

use super::taxonomy_views;
use crate::config::Config;
use crate::incremental::deps::Deps;
use crate::library::Library;
use tera::Context;

pub(super) fn view(lib: &Library, config: &Config, ctx: &mut Context, deps: &Deps) -> &'static str {
    ctx.insert("taxonomies", &taxonomy_views(lib, config, deps));
    "search.html"
}
