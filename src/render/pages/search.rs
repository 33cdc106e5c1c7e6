//! The search page: the taxonomies to filter by (results come from the static search export).

use super::taxonomy_views;
use crate::config::Config;
use crate::library::Library;
use tera::Context;

pub(super) fn view(lib: &Library, config: &Config, ctx: &mut Context) -> &'static str {
    ctx.insert("taxonomies", &taxonomy_views(lib, config));
    "search.html"
}
