//! Rendering: Tera templates from the theme, one small view per page kind (`pages/`), pages
//! rendered in parallel and handed to the output sink as they are done.
//!
//! `jobs` lists the pages and their paths; `pages` builds each page kind's view; `feeds`,
//! `sitemap`, `coes_json` and `email` the other outputs.

pub mod charts;
mod coes_json;
mod email;
mod feeds;
mod jobs;
pub mod learning;
mod pages;
mod sitemap;
pub mod theme;
pub mod views;

pub use coes_json::coes_json_entry;
pub use email::digest_email;
pub use jobs::{page_paths, sorted_orders};

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::incremental::deps::{Deps, Key, Kind};
use crate::library::Library;
use crate::output::Sink;
use jobs::{Job, jobs, root_for};
use learning::ActionIndex;
use pages::{Shared, context};
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;
use tera::{Context, Tera};

pub struct Renderer {
    tera: Tera,
    /// A template uses `c.card_html` (and `partials/coe_card.html` exists): card lists then
    /// carry each card rendered once (`views::CardValues`).
    card_html: bool,
}

/// What every page gets as `site`.
#[derive(Serialize)]
struct SiteView<'a> {
    title: &'a str,
    description: &'a str,
    base_url: &'a str,
    language: &'a str,
    nav: Vec<views::Link>,
    today: String,
    extra: &'a toml::Table,
}

impl Renderer {
    /// Loads the templates (default theme, `themes/<theme>/`, the site's `templates/`).
    pub fn new(
        root: &Path,
        config: &Config,
        lib_today: jiff::civil::Date,
    ) -> Result<Renderer, Vec<Diagnostic>> {
        let mut diags = Vec::new();
        let files = theme::layered_files(root, &config.theme, "templates", &mut diags);
        let mut templates = Vec::new();
        // `new.md` (any `.md`) is `coe new`'s plain-text COE template, not a Tera template.
        for (name, bytes) in files.into_iter().filter(|(n, _)| !n.ends_with(".md")) {
            match String::from_utf8(bytes) {
                Ok(s) => templates.push((name, s)),
                Err(_) => diags.push(Diagnostic::error(
                    format!("templates/{name}"),
                    0,
                    0,
                    "template is not valid UTF-8",
                )),
            }
        }
        // The card template itself mentions `card_html` (in its comment): a theme whose own
        // lists never show it must not pay for rendering it.
        let card = "partials/coe_card.html";
        let card_html = templates.iter().any(|(n, _)| n == card)
            && templates
                .iter()
                .any(|(n, s)| n != card && without_comments(s).contains("card_html"));
        let mut tera = Tera::new();
        tera.autoescape_on(vec![".html", ".xml"]);
        if let Err(e) = tera.add_raw_templates(templates) {
            diags.push(Diagnostic::error(
                "templates",
                0,
                0,
                format!("template error:\n{e}"),
            ));
        }
        let labels = &config.taxonomies;
        let nav = [
            ("All COEs", "coe/".to_owned()),
            (labels.tags.as_str(), "tags/".to_owned()),
            (labels.services.as_str(), "services/".to_owned()),
            (labels.root_causes.as_str(), "root-causes/".to_owned()),
            (labels.teams.as_str(), "teams/".to_owned()),
            (labels.authors.as_str(), "authors/".to_owned()),
            (labels.severity.as_str(), "severity/".to_owned()),
            ("Years", crate::urls::YEARS.to_owned()),
            ("Digest", crate::urls::DIGEST.to_owned()),
            ("Action items", crate::urls::ACTIONS.to_owned()),
            ("Metrics", crate::urls::METRICS.to_owned()),
        ]
        .into_iter()
        .map(|(name, url)| views::Link {
            name: name.to_owned(),
            url,
        })
        .collect();
        let site = SiteView {
            title: &config.title,
            description: &config.description,
            base_url: &config.base_url,
            language: &config.language,
            nav,
            today: lib_today.to_string(),
            extra: &config.extra,
        };
        tera.global_context().insert("site", &site);
        if diags.iter().any(Diagnostic::is_error) {
            Err(diags)
        } else {
            Ok(Renderer { tera, card_html })
        }
    }

    fn render(&self, template: &str, ctx: &Context) -> Result<String, Diagnostic> {
        self.tera.render(template, ctx).map_err(|e| {
            Diagnostic::error(
                format!("templates/{template}"),
                0,
                0,
                format!("cannot render:\n{e}"),
            )
        })
    }
}

/// What rendering did: the number of files written, every problem, and what each page
/// rendered showed (its recorded dependencies, by output path).
pub struct Rendered {
    pub files: usize,
    pub diagnostics: Vec<Diagnostic>,
    pub deps: Vec<(String, Box<[Key]>)>,
}

/// Renders every page into `sink`.
pub fn render_site(
    lib: &Library,
    config: &Config,
    renderer: &Renderer,
    search: Option<&crate::search::SearchData>,
    sink: &dyn Sink,
) -> Rendered {
    render_selected(lib, config, renderer, search, sink, &|_| true)
}

/// Where one template's pages spent their time (`COE_TIMINGS=1`), summed over threads.
#[derive(Default)]
struct TemplateTime {
    pages: usize,
    all: std::time::Duration,
    views: std::time::Duration,
    write: std::time::Duration,
}

/// Renders the pages whose output path `select` accepts (and `coes.json` when it accepts
/// that): what `coe serve` re-renders after a small change.
pub fn render_selected(
    lib: &Library,
    config: &Config,
    renderer: &Renderer,
    search: Option<&crate::search::SearchData>,
    sink: &dyn Sink,
    select: &(dyn Fn(&str) -> bool + Sync),
) -> Rendered {
    let actions = ActionIndex::new(lib);
    let jobs: Vec<Job> = jobs(lib, config, &actions)
        .into_iter()
        .filter(|j| select(&j.path(lib, &actions)))
        .collect();
    let shared = Shared {
        sorted: sorted_orders(lib),
        actions,
        cards: views::CardValues::new(lib, Some(renderer)),
    };
    let timings = crate::timing::enabled();
    let by_kind: std::sync::Mutex<std::collections::BTreeMap<&'static str, TemplateTime>> =
        Default::default();
    // A template error, with the page it broke (reported once per template below).
    type Done = Result<(String, Box<[Key]>), (Diagnostic, Option<String>)>;
    let results: Vec<Done> = jobs
        .par_iter()
        .map(|&job| {
            let started = std::time::Instant::now();
            let path = job.path(lib, &shared.actions);
            // The 404 page is served at whatever URL was missing: it links from the site's
            // root path, not relative to its own.
            let root = if matches!(job, Job::NotFound) {
                pages::not_found::root(config)
            } else {
                root_for(&path)
            };
            let deps = Deps::default();
            let (template, ctx) =
                context(lib, config, search, &shared, job, &root, &deps).map_err(|d| (d, None))?;
            let views_done = started.elapsed();
            let html = renderer
                .render(template, &ctx)
                .map_err(|d| (d, Some(path.clone())))?;
            let rendered = started.elapsed();
            let written = sink.write(&path, html.as_bytes()).map_err(|e| {
                let d = Diagnostic::error(&path, 0, 0, format!("cannot write: {e}"));
                (d, None)
            });
            if timings && let Ok(mut m) = by_kind.lock() {
                let all = started.elapsed();
                let e = m.entry(template).or_default();
                e.pages += 1;
                e.all += all;
                e.views += views_done;
                e.write += all - rendered;
            }
            written.map(|()| (path, deps.finish()))
        })
        .collect();
    if timings && let Ok(m) = by_kind.lock() {
        for (template, t) in m.iter() {
            let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
            let (n, ms, c, w) = (t.pages, ms(t.all), ms(t.views), ms(t.write));
            crate::errln!(
                "render {template:<20} {n:>6} pages {ms:>9.1} ms (summed over threads; views {c:.1} ms, write {w:.1} ms)"
            );
        }
    }
    let mut deps = Vec::with_capacity(results.len() + 1);
    let mut failures = Vec::new();
    for r in results {
        match r {
            Ok(done) => deps.push(done),
            Err(failed) => failures.push(failed),
        }
    }
    let mut diagnostics = once_per_template(failures.into_iter());
    if !select("coes.json") {
        return Rendered {
            files: jobs.len(),
            diagnostics,
            deps,
        };
    }
    if let Err(e) = sink.write_pieces("coes.json", &mut coes_json::pieces(lib)) {
        diagnostics.push(Diagnostic::error(
            "coes.json",
            0,
            0,
            format!("cannot write: {e}"),
        ));
    }
    // Every COE's entry: what pages show of it, its related COEs and links, its items'
    // owners (linked when they are authors).
    let json = Deps::default();
    json.add(Key::all(Kind::AllShown));
    json.add(Key::all(Kind::AllLinks));
    json.add(crate::library::TaxonomyKind::Authors.taxonomy_key());
    deps.push(("coes.json".to_owned(), json.finish()));
    Rendered {
        files: jobs.len() + 1,
        diagnostics,
        deps,
    }
}

/// A template's text without its `{# … #}` comments (an unclosed one runs to the end).
fn without_comments(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{#") {
        out.push_str(&rest[..start]);
        rest = rest[start + 2..]
            .find("#}")
            .map_or("", |end| &rest[start + 2 + end + 2..]);
    }
    out.push_str(rest);
    out
}

/// One diagnostic per template error, instead of one per page it broke: how many pages it
/// broke and the first one's path are added to the message. Errors are grouped by their
/// message, which names the template file and line at fault (a mistake in `base.html` breaks
/// pages of every template that extends it: one error). The same error without a page (a
/// card partial, rendered while the views are built) is reported once with its count.
fn once_per_template(
    failures: impl Iterator<Item = (Diagnostic, Option<String>)>,
) -> Vec<Diagnostic> {
    let mut out: Vec<Diagnostic> = Vec::new();
    // message → (position in `out`, pages or times, first page)
    let mut seen: std::collections::HashMap<String, (usize, usize, Option<String>)> =
        std::collections::HashMap::new();
    for (d, page) in failures {
        if d.message.starts_with("cannot write") {
            out.push(d);
            continue;
        }
        // The variables a page has differ by page kind: not part of what the error is.
        let key = match d.message.find(". Available variables:") {
            Some(i) => {
                let end = d.message[i..].find('\n').map_or(d.message.len(), |e| i + e);
                format!("{}{}", &d.message[..i], &d.message[end..])
            }
            None => d.message.clone(),
        };
        match seen.get_mut(&key) {
            Some((_, n, _)) => *n += 1,
            None => {
                seen.insert(key, (out.len(), 1, page));
                out.push(d);
            }
        }
    }
    for (_, (at, n, first)) in seen {
        let message = out[at].message.clone();
        // Tera names the file and place at fault (`--> base.html:12:10`): the error is there,
        // not in the page's own template when that extends or includes another.
        if let Some((file, line, column)) = fault_location(&message) {
            out[at].path = format!("templates/{file}");
            out[at].line = line;
            out[at].column = column;
        }
        match first {
            Some(first) => {
                let rest = message.strip_prefix("cannot render:").unwrap_or(&message);
                out[at].message = format!(
                    "cannot render {n} page{} (the first: {first}):{rest}",
                    if n == 1 { "" } else { "s" }
                );
            }
            None if n > 1 => out[at].message = format!("{message} ({n} times)"),
            None => {}
        }
    }
    out
}

/// `(file, line, column)` from the `--> file:line:column` line of a Tera error.
fn fault_location(message: &str) -> Option<(String, usize, usize)> {
    let at = message
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("--> "))?;
    let mut parts = at.trim().rsplitn(3, ':');
    let column = parts.next()?.parse().ok()?;
    let line = parts.next()?.parse().ok()?;
    Some((parts.next()?.to_owned(), line, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn renderer(site: &Path) -> Renderer {
        let today = jiff::civil::date(2026, 11, 26);
        Renderer::new(site, &Config::default(), today).unwrap_or_else(|_| panic!("templates load"))
    }

    #[test]
    fn cards_are_rendered_once_only_for_templates_that_show_card_html() {
        let site = tempfile::tempdir().expect("tempdir");
        assert!(
            renderer(site.path()).card_html,
            "the default theme shows it"
        );
        // A site's own card list that lays cards out itself: the card template's own mention
        // of `card_html` must not make every build render cards nobody shows.
        let partials = site.path().join("templates/partials");
        std::fs::create_dir_all(&partials).expect("mkdir");
        std::fs::write(
            partials.join("coe_table.html"),
            "{% for c in coes %}<li>{{ c.title }}</li>{% endfor %}",
        )
        .expect("write");
        assert!(!renderer(site.path()).card_html);
        // Nor does a comment that mentions it.
        std::fs::write(
            partials.join("coe_table.html"),
            "{# c.card_html is not used here #}{% for c in coes %}<li>{{ c.title }}</li>{% endfor %}",
        )
        .expect("write");
        assert!(!renderer(site.path()).card_html);
        assert_eq!(without_comments("a{# b #}c{# d"), "ac");
    }
}
