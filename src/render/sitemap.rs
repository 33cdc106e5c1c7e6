//! `/sitemap.xml`: every HTML page but the 404 page, COE pages with their publication date.

use super::jobs::{Job, absolute, jobs};
use super::learning::ActionIndex;
use crate::config::Config;
use crate::incremental::deps::{Deps, Key, Kind};
use crate::library::Library;
use serde::Serialize;
use tera::Context;

pub(super) fn view(
    lib: &Library,
    config: &Config,
    actions: &ActionIndex,
    ctx: &mut Context,
    deps: &Deps,
) -> &'static str {
    // Every page's address (new pages come with new paths) and every COE's date.
    deps.add(Key::all(Kind::AllDates));
    ctx.insert("urls", &urls(lib, config, actions));
    "sitemap.xml"
}

#[derive(Serialize)]
struct SitemapUrl {
    loc: String,
    lastmod: Option<String>,
}

fn urls(lib: &Library, config: &Config, actions: &ActionIndex) -> Vec<SitemapUrl> {
    let mut urls = Vec::new();
    for job in jobs(lib, config, actions) {
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
