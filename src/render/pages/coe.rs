//! A COE's own page (its view is `views::coe_page`).

use super::Shared;
use crate::incremental::deps::Deps;
use crate::library::Library;
use crate::render::views::coe_page;
use tera::Context;

pub(super) fn view(
    lib: &Library,
    search: Option<&crate::search::SearchData>,
    shared: &Shared,
    i: usize,
    root: &str,
    ctx: &mut Context,
    deps: &Deps,
) -> &'static str {
    ctx.insert(
        "coe",
        &coe_page(
            lib,
            &shared.cards,
            i,
            root,
            search.map(|s| s.similar[i].as_slice()),
            deps,
        ),
    );
    "coe.html"
}
