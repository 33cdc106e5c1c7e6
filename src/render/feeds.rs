//! Atom feeds: the site's (`/atom.xml`), one per term of the feed taxonomies and the weekly
//! digest's (`/digest/atom.xml`).

use super::jobs::root_for;
use super::{learning, pages, views};
use crate::config::Config;
use crate::incremental::deps::{Deps, Key, Kind};
use crate::library::{Library, TaxonomyKind};
use serde::Serialize;
use tera::Context;

/// `/atom.xml`: every COE, newest first.
pub(super) fn site_atom(
    lib: &Library,
    config: &Config,
    ctx: &mut Context,
    deps: &Deps,
) -> &'static str {
    let all: Vec<usize> = (0..lib.coes.len()).collect();
    ctx.insert(
        "feed",
        &feed(
            lib,
            config,
            &all,
            config.title.clone(),
            "atom.xml",
            "",
            deps,
        ),
    );
    "atom.xml"
}

/// The feed of term `t` of taxonomy `k`, beside the term's page.
pub(super) fn term_atom(
    lib: &Library,
    config: &Config,
    k: TaxonomyKind,
    t: usize,
    ctx: &mut Context,
    deps: &Deps,
) -> &'static str {
    let term = &lib.taxonomy(k).terms[t];
    deps.add(k.key(Kind::TermList, &term.slug));
    deps.add(k.key(Kind::Term, &term.slug));
    let url = crate::urls::term(k.path(), &term.slug);
    let title = format!(
        "{} · {}: {}",
        config.title,
        pages::label(config, k),
        term.name
    );
    ctx.insert(
        "feed",
        &feed(
            lib,
            config,
            &term.coes,
            title,
            &format!("{url}atom.xml"),
            &url,
            deps,
        ),
    );
    "atom.xml"
}

pub(super) fn digest_atom(
    lib: &Library,
    config: &Config,
    search: Option<&crate::search::SearchData>,
    ctx: &mut Context,
    deps: &Deps,
) -> &'static str {
    ctx.insert("feed", &digest_feed(lib, config, search, deps));
    "digest_atom.xml"
}

#[derive(Serialize)]
struct FeedEntry {
    id: String,
    title: String,
    url: String,
    published: String,
    updated: String,
    summary: String,
    authors: Vec<String>,
    categories: Vec<String>,
    severity: String,
}

#[derive(Serialize)]
struct Feed {
    title: String,
    id: String,
    url: String,
    site_url: String,
    updated: String,
    entries: Vec<FeedEntry>,
}

fn rfc3339(d: jiff::civil::Date) -> String {
    format!("{d}T00:00:00Z")
}

/// Links and ids in a feed: absolute with the site's `base_url`; without one, links are
/// relative to the feed's own place (feed readers resolve them against the feed's URL) and
/// ids are `urn:coe:` names, so the feed stays valid Atom.
struct Linker<'a> {
    base: &'a str,
    from_root: String,
}

impl Linker<'_> {
    fn new<'a>(config: &'a Config, feed_path: &str) -> Linker<'a> {
        Linker {
            base: config.base_url.trim_end_matches('/'),
            from_root: root_for(feed_path),
        }
    }

    fn link(&self, rel: &str) -> String {
        if self.base.is_empty() {
            format!("{}{rel}", self.from_root)
        } else {
            format!("{}/{rel}", self.base)
        }
    }

    fn id(&self, rel: &str) -> String {
        if !self.base.is_empty() {
            return self.link(rel);
        }
        match rel.trim_end_matches('/') {
            "" => "urn:coe:site".to_owned(),
            rel => format!("urn:coe:{rel}"),
        }
    }
}

fn feed(
    lib: &Library,
    config: &Config,
    coes: &[usize],
    title: String,
    self_rel: &str,
    site_rel: &str,
    deps: &Deps,
) -> Feed {
    // The newest entries by publication date: which they are depends on every date.
    deps.add(Key::all(Kind::AllDates));
    let links = Linker::new(config, self_rel);
    let mut order: Vec<usize> = coes.to_vec();
    order.sort_by(|&a, &b| {
        lib.coes[b]
            .published
            .cmp(&lib.coes[a].published)
            .then(a.cmp(&b))
    });
    order.truncate(config.feed_limit);
    let entries: Vec<FeedEntry> = order
        .iter()
        .map(|&i| {
            deps.coe(Kind::Shown, i);
            let c = &lib.coes[i];
            FeedEntry {
                id: links.id(&crate::urls::coe(&c.slug)),
                title: c.title.clone(),
                url: links.link(&crate::urls::coe(&c.slug)),
                published: rfc3339(c.published),
                updated: rfc3339(c.published),
                summary: c.summary.clone(),
                authors: c.authors.clone(),
                categories: c.tags.clone(),
                severity: views::severity(c.severity).label,
            }
        })
        .collect();
    Feed {
        title,
        id: links.id(site_rel),
        url: links.link(self_rel),
        site_url: links.link(site_rel),
        updated: entries
            .first()
            .map_or_else(|| rfc3339(lib.today), |e| e.updated.clone()),
        entries,
    }
}

#[derive(Serialize)]
struct DigestEntry {
    id: String,
    week: String,
    url: String,
    updated: String,
    coes: Vec<views::Link>,
    recurrences: usize,
    overdue: usize,
    prompts: Vec<String>,
}

/// `/digest/atom.xml`: one entry per week, newest first.
fn digest_feed(
    lib: &Library,
    config: &Config,
    search: Option<&crate::search::SearchData>,
    deps: &Deps,
) -> serde_json::Value {
    deps.add(Key::all(Kind::Weeks));
    let feed_path = crate::urls::feed(crate::urls::DIGEST);
    let links = Linker::new(config, &feed_path);
    let entries: Vec<DigestEntry> = lib
        .weeks
        .keys()
        .rev()
        .take(config.feed_limit)
        .map(|&w| {
            let d = learning::digest_for(lib, search, w, deps);
            DigestEntry {
                id: links.id(&d.url),
                url: links.link(&d.url),
                week: d.week.clone(),
                // A week's entry is complete when the week is over.
                updated: rfc3339(w.sunday().min(lib.today)),
                coes: d
                    .new_coes
                    .iter()
                    .map(|c| views::Link {
                        name: format!("{} {}", c.id, c.title),
                        url: links.link(&c.url),
                    })
                    .collect(),
                recurrences: d.recurrences.len(),
                overdue: d.action_items.overdue_total,
                prompts: d.prompts,
            }
        })
        .collect();
    serde_json::json!({
        "title": format!("{} · weekly digest", config.title),
        "id": links.id(&feed_path),
        "url": links.link(&feed_path),
        "site_url": links.link(crate::urls::DIGEST),
        "updated": entries.first().map_or_else(|| rfc3339(lib.today), |e| e.updated.clone()),
        "entries": entries,
    })
}
