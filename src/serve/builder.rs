//! The builder thread: one build at a time, into memory; a failed build keeps the last good
//! site and reports its errors.
//!
//! A full build loads, indexes and renders everything. When the only change is to existing
//! COE files whose ids stay the same, an incremental build re-parses just those files, rebuilds
//! the `Library` (cheap), keeps the search index and every other COE's similarity data,
//! recomputes the changed COEs' similar COEs, and re-renders only the pages that show them
//! (see `affected`). Anything else falls back to a full build: config, templates, themes,
//! static files, a file added, removed or renamed, an id changed, an order or a set of pages
//! changed.

use super::watch::{Changes, Watch};
use super::{Event, State, Status};
use crate::config::Config;
use crate::content::Coe;
use crate::diag::{self, Diagnostic};
use crate::library::{Library, TaxonomyKind};
use crate::output::Memory;
use crate::render::{self, Renderer, views};
use crate::search::{self, SearchData};
use crate::site::{self, BuildOptions, BuildReport};
use axum::body::Bytes;
use notify_debouncer_full::DebounceEventResult;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Instant;

/// More changed files than this in one batch: a full build.
const MAX_INCREMENTAL_FILES: usize = 16;

/// What an incremental build starts from: the last good build's inputs and products.
struct Cache {
    config: Config,
    /// Every parsed COE, drafts included, in load order.
    all: Vec<Coe>,
    /// `source` (path under content/) → position in `all`.
    by_source: HashMap<String, usize>,
    lib: Library,
    search: SearchData,
    analyzer: tantivy::tokenizer::TextAnalyzer,
    renderer: Renderer,
    /// Every page's output path, in render order.
    paths: Vec<String>,
}

pub struct Builder {
    opts: BuildOptions,
    content: PathBuf,
    state: Arc<State>,
    generation: u64,
    timings: bool,
    cache: Option<Cache>,
    /// Files of a failed incremental build: they are re-read by the next one.
    pending: BTreeSet<PathBuf>,
}

impl Builder {
    pub fn new(root: PathBuf, drafts: bool, state: Arc<State>) -> Builder {
        let root = std::path::absolute(&root).unwrap_or(root);
        Builder {
            content: root.join("content"),
            opts: BuildOptions {
                root,
                output: None,
                drafts,
                today: None,
                base_url: None,
            },
            state,
            generation: 0,
            timings: std::env::var_os("COE_TIMINGS").is_some(),
            cache: None,
            pending: BTreeSet::new(),
        }
    }

    /// Waits for changes and rebuilds. Whatever arrives during a build is coalesced into the
    /// next one, so the last build always sees the latest state of the files.
    pub fn run(mut self, changes: Receiver<DebounceEventResult>, mut watch: Watch) {
        while let Ok(first) = changes.recv() {
            let mut batch = Changes::default();
            batch.add(watch.root(), first);
            while let Ok(more) = changes.try_recv() {
                batch.add(watch.root(), more);
            }
            watch.ensure();
            if batch.is_empty() {
                continue;
            }
            batch.coes.extend(std::mem::take(&mut self.pending));
            let started = Instant::now();
            if batch.full || !self.incremental(&batch.coes) {
                self.full();
            }
            let status = self.state.status();
            if status.ok {
                eprintln!(
                    "rebuilt ({}, {} ms)",
                    status.kind,
                    started.elapsed().as_millis()
                );
            } else {
                eprintln!(
                    "build failed: {} error{}; serving the last good build",
                    status.errors.len(),
                    if status.errors.len() == 1 { "" } else { "s" }
                );
                for e in status.errors.iter().take(5) {
                    eprintln!("  {e}");
                }
            }
        }
    }

    /// Loads, indexes and renders everything into memory.
    pub fn full(&mut self) {
        let t = Instant::now();
        self.cache = None;
        self.pending.clear();
        let mut report = BuildReport::default();
        let (config, diags) = crate::config::load(&self.opts.root);
        report.diagnostics.extend(diags);
        let (coes, diags) = crate::load::load_all(&self.content);
        report.diagnostics.extend(diags);
        if report.has_errors() {
            self.failed(report, t);
            return;
        }
        let all = coes.clone();
        let (lib, diags) = Library::build(coes, self.opts.drafts, site::today(None));
        report.diagnostics.extend(diags);
        report.coes = lib.coes.len();
        if report.has_errors() {
            self.failed(report, t);
            return;
        }
        report.stages.push(("load", t.elapsed()));
        let search = match search::index::build(&lib, None)
            .and_then(|(index, fields)| SearchData::from_index(&lib, index, fields))
        {
            Ok(s) => s,
            Err(e) => {
                report.diagnostics.push(Diagnostic::error(
                    "search",
                    0,
                    0,
                    format!("cannot build the search index: {e}"),
                ));
                self.failed(report, t);
                return;
            }
        };
        report.stages.push(("index", t.elapsed()));
        let sink = Memory::default();
        site::render_into(&self.opts, &config, &lib, Some(&search), &sink, &mut report);
        if report.has_errors() {
            self.failed(report, t);
            return;
        }
        let files: HashMap<String, Bytes> = sink
            .files
            .into_inner()
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, Bytes::from(v)))
            .collect();
        if let Ok(mut site) = self.state.files.write() {
            *site = files;
        }
        self.succeeded(&report, "full", t);
        // What the next incremental build starts from.
        let renderer = Renderer::new(&self.opts.root, &config, lib.today).ok();
        let analyzer = search::similar::analyzer(&search.index).ok();
        if let (Some(renderer), Some(analyzer)) = (renderer, analyzer) {
            self.cache = Some(Cache {
                paths: render::page_paths(&lib, &config),
                by_source: all
                    .iter()
                    .enumerate()
                    .map(|(n, c)| (c.source.clone(), n))
                    .collect(),
                config,
                all,
                lib,
                search,
                analyzer,
                renderer,
            });
        }
    }

    /// Rebuilds after edits to existing COE files. `false`: a full build is needed.
    fn incremental(&mut self, files: &BTreeSet<PathBuf>) -> bool {
        let t = Instant::now();
        let Some(cache) = self.cache.as_mut() else {
            return false;
        };
        if files.is_empty() || files.len() > MAX_INCREMENTAL_FILES {
            return false;
        }
        let today = site::today(None);
        if today != cache.lib.today {
            return false;
        }
        // Re-parse the changed files; each must be a COE of the last build, same id.
        let mut parsed = Vec::new();
        let mut report = BuildReport::default();
        for path in files {
            let Some(rel) = source_of(&self.content, path) else {
                return false;
            };
            let Some(&n) = cache.by_source.get(&rel) else {
                return false;
            };
            if !path.is_file() {
                return false;
            }
            match crate::content::load_file(path, &rel, &format!("content/{rel}")) {
                Ok((coe, warnings)) => {
                    if coe.slug != cache.all[n].slug {
                        return false;
                    }
                    report.diagnostics.extend(warnings);
                    parsed.push((n, coe));
                }
                Err(errors) => report.diagnostics.extend(errors),
            }
        }
        if report.has_errors() {
            self.pending.extend(files.iter().cloned());
            self.failed_keep_cache(report, t);
            return true;
        }
        let mut all = cache.all.clone();
        for (n, coe) in parsed {
            all[n] = coe;
        }
        let t_parse = t.elapsed();
        let (lib, diags) = Library::build(all.clone(), self.opts.drafts, today);
        report.diagnostics.extend(diags);
        report.coes = lib.coes.len();
        if report.has_errors() {
            self.pending.extend(files.iter().cloned());
            self.failed_keep_cache(report, t);
            return true;
        }
        let same_order = lib.coes.len() == cache.lib.coes.len()
            && lib
                .coes
                .iter()
                .zip(&cache.lib.coes)
                .all(|(a, b)| a.slug == b.slug);
        if !same_order {
            return false;
        }
        let t_lib = t.elapsed();
        let paths = render::page_paths(&lib, &cache.config);
        if paths != cache.paths {
            return false;
        }
        let t_paths = t.elapsed();
        // Published COEs that changed, by library position.
        let changed: Vec<usize> = files
            .iter()
            .filter_map(|p| source_of(&self.content, p))
            .filter_map(|rel| lib.coes.iter().position(|c| c.source == rel))
            .collect();
        let mut selected = HashSet::new();
        for &i in &changed {
            affected(
                &cache.lib,
                &lib,
                &cache.config,
                &cache.search,
                &cache.paths,
                i,
                &mut selected,
            );
        }
        for &i in &changed {
            update_similar(&mut cache.search, &mut cache.analyzer, &lib, i);
        }
        let t_similar = t.elapsed();
        let sink = Memory::default();
        let (_, diags) = render::render_selected(
            &lib,
            &cache.config,
            &cache.renderer,
            Some(&cache.search),
            &sink,
            &|p| selected.contains(p),
        );
        report.diagnostics.extend(diags);
        for &i in &changed {
            match search::export::fragment(&lib, i) {
                Ok((path, json)) => {
                    let _ = crate::output::Sink::write(&sink, &path, &json);
                }
                Err(e) => report.diagnostics.push(Diagnostic::error(
                    "search/",
                    0,
                    0,
                    format!("cannot write the search index: {e}"),
                )),
            }
        }
        if report.has_errors() {
            self.pending.extend(files.iter().cloned());
            self.failed_keep_cache(report, t);
            return true;
        }
        let t_render = t.elapsed();
        let rendered = sink.files.into_inner().unwrap_or_default();
        let pages = rendered.len();
        if let Ok(mut site) = self.state.files.write() {
            for (k, v) in rendered {
                site.insert(k, Bytes::from(v));
            }
        }
        cache.lib = lib;
        cache.all = all;
        if self.timings {
            eprintln!(
                "incremental: parse {t_parse:?}, library {:?}, page set {:?}, similar {:?}, render {pages} pages {:?}, publish {:?}",
                t_lib - t_parse,
                t_paths - t_lib,
                t_similar - t_paths,
                t_render - t_similar,
                t.elapsed() - t_render
            );
        }
        self.succeeded(&report, "incremental", t);
        true
    }

    fn succeeded(&mut self, report: &BuildReport, kind: &'static str, t: Instant) {
        self.generation += 1;
        let status = Status {
            generation: self.generation,
            ok: true,
            errors: Vec::new(),
            warnings: report.diagnostics.len(),
            kind,
            millis: t.elapsed().as_millis() as u64,
            coes: report.coes,
        };
        if self.timings {
            for (stage, d) in &report.stages {
                eprintln!("  {stage:<14} {:>8.1} ms", d.as_secs_f64() * 1000.0);
            }
        }
        self.set_status(status);
        let _ = self.state.events.send(Event::Reload(self.generation));
    }

    /// A failed full build: the next build is full too.
    fn failed(&mut self, report: BuildReport, t: Instant) {
        self.cache = None;
        self.failed_keep_cache(report, t);
    }

    fn failed_keep_cache(&mut self, mut report: BuildReport, t: Instant) {
        diag::sort(&mut report.diagnostics);
        let (errors, warnings): (Vec<Diagnostic>, Vec<Diagnostic>) = report
            .diagnostics
            .into_iter()
            .partition(Diagnostic::is_error);
        let status = Status {
            generation: self.generation,
            ok: false,
            errors,
            warnings: warnings.len(),
            kind: "failed",
            millis: t.elapsed().as_millis() as u64,
            coes: report.coes,
        };
        let json = serde_json::to_string(&status).unwrap_or_default();
        self.set_status(status);
        let _ = self.state.events.send(Event::Status(json));
    }

    fn set_status(&self, status: Status) {
        if let Ok(mut s) = self.state.status.write() {
            *s = status;
        }
    }
}

/// `2024/x.md` for `<content>/2024/x.md`.
fn source_of(content: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(content).ok()?;
    Some(
        rel.components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// COE `i`'s similar COEs, from its new text; the other COEs keep theirs (and the index keeps
/// `i`'s old terms) until the next full build.
fn update_similar(
    search: &mut SearchData,
    analyzer: &mut tantivy::tokenizer::TextAnalyzer,
    lib: &Library,
    i: usize,
) {
    let coe = &lib.coes[i];
    let q = search.similarity.vector_for(analyzer, coe, &search.fields);
    // Not excluded by position: its old vector is still in the index, so skip it by hand.
    let mut ranked = search.similarity.similar_to(lib, &q, Some(coe), None, 64);
    ranked.retain(|s| s.idx != i);
    search.earlier[i] = ranked
        .iter()
        .filter(|s| lib.coes[s.idx].date < coe.date)
        .take(search::EARLIER_PER_COE)
        .cloned()
        .collect();
    ranked.truncate(search::SIMILAR_PER_COE);
    search.similar[i] = ranked;
}

/// The output paths of every page that shows COE `i` (position in both libraries, whose
/// orders are the same): its page; the pages of COEs it links to, that link to it or list it
/// as similar; the list pages it is on (and those between its old and new place); its terms'
/// feeds; home, feed, metrics, the digests of its week and of weeks that recall it; action
/// items; `coes.json`, and the sitemap when its dates changed.
fn affected(
    old: &Library,
    new: &Library,
    config: &Config,
    search: &SearchData,
    all_paths: &[String],
    i: usize,
    out: &mut HashSet<String>,
) {
    let (o, n) = (&old.coes[i], &new.coes[i]);
    let page = |c: &Coe| format!("{}index.html", views::coe_url(c));
    let mut coes: BTreeSet<usize> = BTreeSet::from([i]);
    for lib in [old, new] {
        coes.extend(&lib.related[i]);
        coes.extend(&lib.referenced_by[i]);
        coes.extend(lib.link_targets[i].iter().flatten());
    }
    let mut weeks = BTreeSet::from([
        crate::library::weeks::IsoWeek::of(o.published),
        crate::library::weeks::IsoWeek::of(n.published),
    ]);
    for (j, (sim, earlier)) in search.similar.iter().zip(&search.earlier).enumerate() {
        if sim.iter().any(|s| s.idx == i) {
            coes.insert(j);
        }
        if earlier.iter().any(|s| s.idx == i) {
            coes.insert(j);
            weeks.insert(crate::library::weeks::IsoWeek::of(new.coes[j].published));
        }
    }
    out.extend(coes.iter().map(|&j| page(&new.coes[j])));

    // Lists: the page it is on in each, and every page between its old and new place.
    let before: HashMap<String, (usize, usize)> = render::lists_of(old, config, i)
        .into_iter()
        .map(|(b, p, n)| (b, (p, n)))
        .collect();
    let after: HashMap<String, (usize, usize)> = render::lists_of(new, config, i)
        .into_iter()
        .map(|(b, p, n)| (b, (p, n)))
        .collect();
    let bases: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for base in &bases {
        let range = match (before.get(*base), after.get(*base)) {
            (Some(&(a, _)), Some(&(b, _))) => a.min(b)..=a.max(b),
            // Joined or left the list: every page after its place shifts.
            (Some(&(p, total)), None) | (None, Some(&(p, total))) => p..=total,
            (None, None) => continue,
        };
        for p in range {
            out.insert(render::list_page_path(base, p));
        }
        out.insert(format!("{base}atom.xml"));
    }
    let terms_changed =
        before.len() != after.len() || before.keys().any(|b| !after.contains_key(b));
    if terms_changed {
        for k in TaxonomyKind::ALL {
            out.insert(format!("{}/index.html", k.path()));
        }
    }
    for p in ["index.html", "atom.xml", "metrics/index.html", "coes.json"] {
        out.insert(p.to_owned());
    }
    if o.date.year() != n.date.year() {
        out.insert("years/index.html".to_owned());
    }
    if o.published != n.published || o.date != n.date {
        out.insert("sitemap.xml".to_owned());
    }

    // Action items and digests: counts across the library change when the items do.
    let items_changed =
        format!("{:?}", o.action_items) != format!("{:?}", n.action_items) || o.teams != n.teams;
    if items_changed {
        out.extend(
            all_paths
                .iter()
                .filter(|p| p.starts_with("action-items/") || p.starts_with("digest/"))
                .cloned(),
        );
    } else {
        if !n.action_items.is_empty() {
            out.insert("action-items/index.html".to_owned());
            for a in &n.action_items {
                if let Some(owner) = &a.owner {
                    let slug = crate::slug::slugify(owner);
                    out.insert(format!("action-items/owners/{slug}/index.html"));
                }
            }
            if let Some(team) = n.teams.first() {
                let slug = crate::slug::slugify(team);
                out.insert(format!("action-items/teams/{slug}/index.html"));
            }
        }
        for w in weeks {
            out.insert(format!("digest/{}/index.html", w.slug()));
        }
        for p in [
            "digest/index.html",
            "digest/archive/index.html",
            "digest/atom.xml",
        ] {
            out.insert(p.to_owned());
        }
    }
}
