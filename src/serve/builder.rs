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

use super::pages::{self, Before};
use super::parsed::Parsed;
use super::watch::{Changes, Watch};
use super::{Event, State, Status};
use crate::config::Config;
use crate::content::Coe;
use crate::diag::{self, Diagnostic};
use crate::library::Library;
use crate::output::Memory;
use crate::render::{self, Renderer};
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
    parsed: Parsed,
    /// Pages an incremental build has not re-rendered yet (see `followup`).
    stale: HashSet<String>,
    /// Changes received while finishing a build, for the next one.
    early: Vec<DebounceEventResult>,
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
            parsed: Parsed::default(),
            stale: HashSet::new(),
            early: Vec::new(),
        }
    }

    /// Waits for changes and rebuilds. Whatever arrives during a build is coalesced into the
    /// next one, so the last build always sees the latest state of the files.
    pub fn run(mut self, changes: Receiver<DebounceEventResult>, mut watch: Watch) {
        loop {
            let mut batch = Changes::default();
            if self.early.is_empty() {
                match changes.recv() {
                    Ok(first) => batch.add(watch.root(), first),
                    Err(_) => return,
                }
            }
            for event in std::mem::take(&mut self.early) {
                batch.add(watch.root(), event);
            }
            while let Ok(more) = changes.try_recv() {
                batch.add(watch.root(), more);
            }
            watch.ensure();
            if batch.is_empty() {
                // Nothing to rebuild (an editor's swap file): finish what is stale.
                if !self.stale.is_empty() {
                    self.followup(&changes);
                }
                continue;
            }
            batch.coes.extend(std::mem::take(&mut self.pending));
            let started = Instant::now();
            self.parsed.forget(&batch.coes);
            if batch.full || !self.incremental(&batch.coes, &changes) {
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
        self.stale.clear();
        let mut report = BuildReport::default();
        let (config, diags) = crate::config::load(&self.opts.root);
        report.diagnostics.extend(diags);
        let (coes, diags) = self.parsed.load_all(&self.content);
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
        let t_load = t.elapsed();
        report.stages.push(("load+library", t_load));
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
        report.stages.push(("index+similar", t.elapsed() - t_load));
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
        let previous = match self.state.files.write() {
            Ok(mut site) => std::mem::replace(&mut *site, files),
            Err(_) => HashMap::new(),
        };
        // Freed outside the lock: the old site can be hundreds of megabytes.
        drop(previous);
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
    fn incremental(
        &mut self,
        files: &BTreeSet<PathBuf>,
        changes: &Receiver<DebounceEventResult>,
    ) -> bool {
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
            report.coes = cache.lib.coes.len();
            self.pending.extend(files.iter().cloned());
            self.failed_keep_cache(report, t);
            return true;
        }
        let t_parse = t.elapsed();
        // Library positions of the edited COEs (drafts not served have none), and what their
        // pages showed before.
        let published = |lib: &Library, c: &Coe| {
            lib.by_slug
                .get(&c.slug)
                .copied()
                .filter(|&i| lib.coes[i].source == c.source)
        };
        let befores: Vec<Before> = parsed
            .iter()
            .filter_map(|(_, c)| published(&cache.lib, c))
            .map(|i| Before::of(&cache.lib, &cache.config, i))
            .collect();
        let in_place = parsed
            .iter()
            .all(|(n, c)| pages::same_structure(&cache.all[*n], c));
        let keeps_places = parsed.iter().all(|(n, c)| {
            let o = &cache.all[*n];
            o.date == c.date && o.published == c.published && o.status == c.status
        });
        let mut how = "in place";
        if !in_place && keeps_places {
            // Taxonomies, links or owners changed, every position stays: the library takes
            // the new COEs and rebuilds what derives from them.
            how = "replaced";
            let terms_before = pages::term_pages(&cache.lib, cache.config.paginate_by);
            let groups_changed = parsed
                .iter()
                .any(|(n, c)| !pages::same_action_groups(&cache.all[*n], c));
            let mut positions = Vec::new();
            for (n, coe) in &parsed {
                cache.all[*n] = coe.clone();
                positions.push(published(&cache.lib, coe));
            }
            for ((_, coe), i) in parsed.into_iter().zip(positions) {
                let Some(i) = i else { continue };
                match cache.lib.replace(i, coe, &cache.all) {
                    Some(diags) => report.diagnostics.extend(diags),
                    None => {
                        self.cache = None;
                        return false;
                    }
                }
            }
            report.coes = cache.lib.coes.len();
            let same_pages = if groups_changed {
                render::page_paths(&cache.lib, &cache.config) == cache.paths
            } else {
                pages::term_pages(&cache.lib, cache.config.paginate_by) == terms_before
            };
            if !same_pages {
                self.cache = None;
                return false;
            }
        } else if in_place {
            // The library's structure is unchanged: the new COEs take the old ones' places.
            for (n, coe) in parsed {
                if let Some(i) = published(&cache.lib, &coe) {
                    cache.lib.coes[i] = coe.clone();
                }
                cache.all[n] = coe;
            }
            report.coes = cache.lib.coes.len();
        } else {
            how = "library rebuilt";
            let mut all = cache.all.clone();
            for (n, coe) in &parsed {
                all[*n] = coe.clone();
            }
            let (lib, diags) = Library::build(all, self.opts.drafts, today);
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
            if !same_order || render::page_paths(&lib, &cache.config) != cache.paths {
                return false;
            }
            cache.lib = lib;
            for (n, coe) in parsed {
                cache.all[n] = coe;
            }
        }
        let lib = &cache.lib;
        let t_lib = t.elapsed();

        let (mut first, mut then) = (HashSet::new(), HashSet::new());
        for before in &befores {
            pages::affected(
                before,
                lib,
                &cache.config,
                &cache.search,
                &cache.paths,
                &mut first,
                &mut then,
            );
        }
        for before in &befores {
            pages::update_similar(&mut cache.search, &mut cache.analyzer, lib, before.i);
        }
        let t_similar = t.elapsed();

        // First what the author is looking at, served and reloaded at once...
        let sink = Memory::default();
        let (_, diags) = render::render_selected(
            lib,
            &cache.config,
            &cache.renderer,
            Some(&cache.search),
            &sink,
            &|p| first.contains(p),
        );
        report.diagnostics.extend(diags);
        if report.has_errors() {
            // The library may already hold the new COEs: the next build starts afresh.
            self.failed(report, t);
            return true;
        }
        // Not complete from the moment new pages are served until the follow-up is done.
        if let Ok(mut s) = self.state.status.write() {
            s.complete = false;
        }
        let first_pages = publish(&self.state, sink, self.timings);
        let t_first = t.elapsed();
        self.generation += 1;
        let status = Status {
            generation: self.generation,
            ok: true,
            errors: Vec::new(),
            warnings: report.diagnostics.len(),
            kind: "incremental",
            millis: t_first.as_millis() as u64,
            followup_millis: 0,
            complete: false,
            coes: report.coes,
        };
        set_status(&self.state, status);
        let _ = self
            .state
            .events
            .send(Event::Reload(self.generation, Some(first_pages.clone())));

        // ...then every other page that shows the edited COEs.
        for before in &befores {
            match search::export::fragment(lib, before.i) {
                Ok((path, json)) => {
                    if let Ok(mut site) = self.state.files.write() {
                        site.insert(path, Bytes::from(json));
                    }
                }
                Err(e) => eprintln!("warning: cannot write the search index: {e}"),
            }
        }
        then.retain(|p| !first.contains(p));
        let then_count = then.len();
        self.stale.extend(then);
        let t_then = Instant::now();
        self.followup(changes);
        if self.timings {
            eprintln!(
                "incremental ({}): parse {t_parse:?}, library {:?}, similar {:?}, first {} pages {:?}, then {} pages {:?}",
                how,
                t_lib - t_parse,
                t_similar - t_lib,
                first_pages.len(),
                t_first - t_similar,
                then_count,
                t_then.elapsed()
            );
        }
        true
    }

    /// Renders the pages left stale by incremental builds: the cheap ones, then the
    /// library-wide ones one at a time. Stops when a change is waiting (it is kept for the next
    /// build, which renders what is left), so a new save never waits for them.
    fn followup(&mut self, changes: &Receiver<DebounceEventResult>) {
        const HEAVY: [&str; 4] = [
            "coes.json",
            "action-items/index.html",
            "sitemap.xml",
            "digest/atom.xml",
        ];
        let t = Instant::now();
        let Some(cache) = self.cache.as_ref() else {
            self.stale.clear();
            return;
        };
        let (heavy, light): (Vec<String>, Vec<String>) = std::mem::take(&mut self.stale)
            .into_iter()
            .partition(|p| HEAVY.contains(&p.as_str()));
        let mut chunks: Vec<Vec<String>> = vec![light];
        chunks.extend(heavy.into_iter().map(|p| vec![p]));
        let mut done = Vec::new();
        for (k, chunk) in chunks.iter().enumerate() {
            if let Ok(event) = changes.try_recv() {
                self.early.push(event);
                self.stale.extend(chunks[k..].iter().flatten().cloned());
                break;
            }
            if chunk.is_empty() {
                continue;
            }
            let wanted: HashSet<&str> = chunk.iter().map(String::as_str).collect();
            let sink = Memory::default();
            let (_, diags) = render::render_selected(
                &cache.lib,
                &cache.config,
                &cache.renderer,
                Some(&cache.search),
                &sink,
                &|p| wanted.contains(p),
            );
            if diags.iter().any(Diagnostic::is_error) {
                let report = BuildReport {
                    diagnostics: diags,
                    ..BuildReport::default()
                };
                self.failed(report, t);
                return;
            }
            done.extend(publish(&self.state, sink, self.timings));
        }
        // The same generation: a page loaded in between must not reload for nothing (its
        // own page was in the first set).
        if let Ok(mut s) = self.state.status.write() {
            s.followup_millis += t.elapsed().as_millis() as u64;
            s.complete = self.stale.is_empty();
        }
        if !done.is_empty() {
            let _ = self
                .state
                .events
                .send(Event::Reload(self.generation, Some(done)));
        }
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
            followup_millis: 0,
            complete: true,
            coes: report.coes,
        };
        if self.timings {
            for (stage, d) in &report.stages {
                eprintln!("  {stage:<14} {:>8.1} ms", d.as_secs_f64() * 1000.0);
            }
        }
        set_status(&self.state, status);
        let _ = self.state.events.send(Event::Reload(self.generation, None));
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
            followup_millis: 0,
            complete: self.stale.is_empty(),
            coes: report.coes,
        };
        let json = serde_json::to_string(&status).unwrap_or_default();
        set_status(&self.state, status);
        let _ = self.state.events.send(Event::Status(json));
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

fn set_status(state: &State, status: Status) {
    if let Ok(mut s) = state.status.write() {
        *s = status;
    }
}

/// Puts rendered files into the served site; returns their paths.
fn publish(state: &State, sink: Memory, timings: bool) -> Vec<String> {
    let rendered = sink.files.into_inner().unwrap_or_default();
    if timings {
        let mut sizes: Vec<(usize, &String)> = rendered.iter().map(|(k, v)| (v.len(), k)).collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        eprintln!("largest: {:?}", &sizes[..sizes.len().min(5)]);
    }
    let paths: Vec<String> = rendered.keys().cloned().collect();
    if let Ok(mut site) = state.files.write() {
        for (k, v) in rendered {
            site.insert(k, Bytes::from(v));
        }
    }
    paths
}
