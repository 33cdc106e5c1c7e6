//! The weekly digest pages: one week (the latest at `/digest/`) and the archive of weeks.

use crate::incremental::deps::{Deps, Key, Kind};
use crate::library::Library;
use crate::library::weeks::IsoWeek;
use crate::render::learning;
use tera::Context;

/// Week `week`'s digest; `None` is the latest week, if there is one.
pub(super) fn week(
    lib: &Library,
    search: Option<&crate::search::SearchData>,
    week: Option<IsoWeek>,
    ctx: &mut Context,
    deps: &Deps,
) -> &'static str {
    // Which week is the latest, and the weeks before and after this one.
    deps.add(Key::all(Kind::Weeks));
    let Some(w) = week.or_else(|| crate::digest::latest_week(lib)) else {
        ctx.insert("digest", &None::<crate::digest::Digest>);
        ctx.insert("latest", &true);
        return "digest.html";
    };
    let (prev, next) = learning::neighbours(lib, w);
    ctx.insert("digest", &Some(learning::digest_for(lib, search, w, deps)));
    ctx.insert("latest", &week.is_none());
    ctx.insert("prev", &prev);
    ctx.insert("next", &next);
    "digest.html"
}

pub(super) fn archive(lib: &Library, ctx: &mut Context, deps: &Deps) -> &'static str {
    deps.add(Key::all(Kind::Weeks));
    let weeks: Vec<learning::WeekLink> = lib
        .weeks
        .keys()
        .rev()
        .map(|&w| learning::week_link(lib, w))
        .collect();
    ctx.insert("weeks", &weeks);
    "digest_archive.html"
}
