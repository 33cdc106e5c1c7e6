//! The one pipeline: **load → library → index → similar → render → export → commit**, each
//! stage a method of [`Pipeline`], timed into its [`BuildReport`]. `coe build` runs them all
//! ([`Pipeline::build`]); `coe serve` runs load, index and render into memory; the commands
//! that read the library (`coe search`, `similar`, `digest`, `actions`) run load and index
//! (`site::open`). No other place strings the stages together.

use super::attachments::{self, Attachment};
use super::plan;
use super::selective::{self, Edits};
use super::state::{self, BuildState};
use super::{BuildOptions, BuildReport};
use crate::config::{self, Config};
use crate::content::missing_sections;
use crate::diag::{self, Diagnostic};
use crate::incremental::deps::{Key, PageDeps};
use crate::library::Library;
use crate::load::Parses;
use crate::output::{self, DiskSink, OutputLock, Sink};
use crate::render::{self, Renderer, theme};
use crate::search::{self, SearchData};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One run of the stages over one site root.
pub struct Pipeline {
    pub opts: BuildOptions,
    pub report: BuildReport,
    /// Keep every parsed COE, drafts included, and the parse stage's own diagnostics in
    /// [`Loaded`] (`coe serve` starts its incremental rebuilds from them).
    pub keep_parsed: bool,
}

/// What the load and library stages made.
pub struct Loaded {
    pub config: Config,
    pub lib: Library,
    pub edits: Edits,
    /// With [`Pipeline::keep_parsed`]: every parsed COE in load order, drafts included.
    pub parsed: Vec<crate::content::Coe>,
    /// With [`Pipeline::keep_parsed`]: the parse stage's diagnostics (each file's own).
    pub parse_diagnostics: Vec<Diagnostic>,
    /// The files the COEs reference, to publish next to their pages (not for `lenient` loads).
    pub attachments: Vec<Attachment>,
}

/// Where the index stage keeps the search index.
pub enum IndexAt<'a> {
    /// In `<root>/.coe/index/`, marked with the content's `fingerprint` (taken before the
    /// content was read); the similar lists in `reuse` (per library position, from the last
    /// build) are kept where their inputs did not change.
    Disk {
        fingerprint: &'a str,
        reuse: Option<&'a [crate::search::similar::Trace]>,
    },
    /// In memory only.
    Memory,
}

/// What a selective rebuild renders: the pages an edit changes, and the library positions of
/// the edited COEs (for the search fragments).
pub struct Selection {
    pub pages: HashSet<String>,
    pub edited: Vec<usize>,
}

impl Pipeline {
    pub fn new(opts: BuildOptions) -> Pipeline {
        Pipeline {
            opts,
            report: BuildReport::default(),
            keep_parsed: false,
        }
    }

    /// Stages 1 and 2, **load** and **library**: the configuration, every COE (parsed again
    /// only where its file changed since `parses` last saw it) and the library made of them,
    /// checked. Also says what changed since the parse cache was written ([`Edits`]). `None`
    /// when there are errors, unless `lenient`: then COEs with errors are left out (the
    /// commands that read the library go on while someone fixes a COE), and the per-COE
    /// advice (missing sections, missing times) is not given.
    pub fn load(&mut self, parses: Parses, lenient: bool) -> Option<Loaded> {
        let t = Instant::now();
        let (mut config, diags) = config::load(&self.opts.root);
        self.report.diagnostics.extend(diags);
        if let Some(url) = &self.opts.base_url {
            config.base_url = url.clone();
        }
        self.report.stage(("config", t.elapsed()));

        let t = Instant::now();
        let loaded = crate::load::load(&self.opts.root.join("content"), parses);
        let (coes, diags) = (loaded.coes, loaded.diagnostics);
        self.report.parse_cache_write = loaded.cache_write;
        let edits = Edits {
            read: loaded.read_generation,
            written: loaded.generation,
            same_files: loaded.same_files,
            reparsed: loaded.reparsed,
        };
        let (parsed, parse_diagnostics) = if self.keep_parsed {
            (coes.clone(), diags.clone())
        } else {
            (Vec::new(), Vec::new())
        };
        self.report.diagnostics.extend(diags);
        self.report.stage(("load", t.elapsed()));

        let t = Instant::now();
        if !self.opts.drafts {
            self.report.drafts_skipped = coes
                .iter()
                .filter(|c| c.status != crate::content::front_matter::Status::Published)
                .count();
        }
        if coes.is_empty() && !self.report.has_errors() {
            self.report
                .diagnostics
                .push(nothing_to_publish(&self.opts.root.join("content")));
        }
        let (mut lib, diags) =
            Library::build(coes, self.opts.drafts, crate::dates::today(self.opts.today));
        lib.synonyms = config.search.synonym_groups();
        self.report.diagnostics.extend(diags);
        for coe in lib.coes.iter().filter(|_| !lenient) {
            let missing = missing_sections(coe);
            if !missing.is_empty() {
                self.report.diagnostics.push(Diagnostic::warning(
                    &coe.display_path,
                    0,
                    0,
                    format!("missing recommended sections: {}", missing.join(", ")),
                ));
            }
            let absent: Vec<&str> = [
                ("started", coe.started.is_none()),
                ("detected", coe.detected.is_none()),
                ("mitigated", coe.mitigated.is_none()),
            ]
            .into_iter()
            .filter_map(|(name, missing)| missing.then_some(name))
            .collect();
            if !absent.is_empty() {
                self.report.diagnostics.push(Diagnostic::warning(
                    &coe.display_path,
                    0,
                    0,
                    format!(
                        "no `{}` time: its time to detect or mitigate is unknown and left out of the medians",
                        absent.join("`, `")
                    ),
                ));
            }
        }
        let attachments = if lenient {
            Vec::new()
        } else {
            attachments::find(
                &self.opts.root.join("content"),
                &lib,
                &mut self.report.diagnostics,
            )
        };
        self.report.coes = lib.coes.len();
        self.report.stage(("library", t.elapsed()));
        if self.report.has_errors() && !lenient {
            None
        } else {
            Some(Loaded {
                config,
                lib,
                edits,
                parsed,
                parse_diagnostics,
                attachments,
            })
        }
    }

    /// Stages 3 and 4, **index** and **similar**: the search index of the library and every
    /// COE's similar COEs. [`IndexAt::Disk`] keeps the index in `<root>/.coe/index/` (reused or
    /// updated in place when it can be; in memory when it cannot be written) and reuses the
    /// similar lists whose inputs did not change; [`IndexAt::Memory`] (`coe serve`) never
    /// touches the disk.
    pub fn index(&mut self, lib: &Library, at: IndexAt) -> Option<SearchData> {
        let IndexAt::Disk {
            fingerprint,
            reuse: previous,
        } = at
        else {
            return self.index_in_memory(lib);
        };
        if let Some(data) = self.index_on_disk(lib, fingerprint, previous) {
            return Some(data);
        }
        let t = Instant::now();
        let on_disk = search::store::fresh_dir(&self.opts.root).ok();
        let built = match search::index::build(lib, on_disk.as_deref()) {
            Ok(b) => Ok(b),
            Err(e) if on_disk.is_some() => {
                self.report.diagnostics.push(Diagnostic::warning(
                    ".coe/index",
                    0,
                    0,
                    format!("cannot write the search index ({e}); kept in memory"),
                ));
                search::index::build(lib, None)
            }
            Err(e) => Err(e),
        };
        let (index, fields) = match built {
            Ok(b) => b,
            Err(e) => {
                self.report.diagnostics.push(Diagnostic::error(
                    ".coe/index",
                    0,
                    0,
                    format!("cannot build the search index: {e}"),
                ));
                return None;
            }
        };
        self.report.stage(("index", t.elapsed()));
        let t = Instant::now();
        let data = match SearchData::from_index_reusing(lib, index, fields, previous) {
            Ok(d) => d,
            Err(e) => {
                self.report.diagnostics.push(Diagnostic::error(
                    ".coe/index",
                    0,
                    0,
                    format!("cannot read the search index: {e}"),
                ));
                return None;
            }
        };
        self.report.stage(("similar", t.elapsed()));
        if let Some(dir) = on_disk
            && let Err(e) = search::store::install(&self.opts.root, &dir, fingerprint)
        {
            let _ = std::fs::remove_dir_all(&dir);
            self.report.diagnostics.push(Diagnostic::warning(
                ".coe/index",
                0,
                0,
                format!("search index not saved: {e}"),
            ));
        }
        Some(data)
    }

    /// The index on disk, when it can serve: used as it is when the content is unchanged since it
    /// was built, updated in place when it holds the library's COEs at the same positions and only
    /// a few of them changed. The similar COEs and the search export skip deleted documents, so
    /// the site is byte-identical to one from a fresh index. `None`: rebuild it (a damaged index
    /// can make tantivy panic: that is caught here too).
    fn index_on_disk(
        &mut self,
        lib: &Library,
        fingerprint: &str,
        previous: Option<&[crate::search::similar::Trace]>,
    ) -> Option<SearchData> {
        let t = Instant::now();
        let (index, fields, stored) = search::store::open_stored(&self.opts.root)?;
        let unchanged = stored == fingerprint
            && search::searcher(&index).is_ok_and(|s| s.num_docs() == lib.coes.len() as u64);
        let stage = if unchanged {
            "index (reused)"
        } else {
            let limit = (lib.coes.len() / 20).max(16);
            let edited = search::guarded(|| search::index::changed(&index, &fields, lib, limit))??;
            search::guarded(|| search::index::update(&index, &fields, lib, &edited))?.ok()?;
            search::store::mark_fresh(&self.opts.root, fingerprint).ok()?;
            "index (updated in place)"
        };
        self.report.stage((stage, t.elapsed()));
        let t = Instant::now();
        let data =
            search::guarded(|| SearchData::from_index_reusing(lib, index, fields, previous))?
                .ok()?;
        self.report.stage(("similar", t.elapsed()));
        Some(data)
    }

    /// The index and similar lists in memory only.
    fn index_in_memory(&mut self, lib: &Library) -> Option<SearchData> {
        let t = Instant::now();
        let built = search::index::build(lib, None)
            .and_then(|(index, fields)| SearchData::from_index(lib, index, fields));
        match built {
            Ok(data) => {
                self.report.stage(("index+similar", t.elapsed()));
                Some(data)
            }
            Err(e) => {
                self.report.diagnostics.push(Diagnostic::error(
                    "search",
                    0,
                    0,
                    format!("cannot build the search index: {e}"),
                ));
                None
            }
        }
    }

    /// Stages 5 and 6, **render** and **export**: every page (or only those in `select`), the
    /// static search index and the static files, into any sink (disk or memory). Returns what
    /// each rendered page showed (see `incremental::deps`).
    pub fn render(
        &mut self,
        config: &Config,
        lib: &Library,
        search: Option<&SearchData>,
        sink: &dyn Sink,
        select: Option<&Selection>,
        attachments: &[Attachment],
    ) -> Vec<(String, Box<[Key]>)> {
        let Some(renderer) = self.renderer(config, lib) else {
            return Vec::new();
        };
        self.render_using(&renderer, config, lib, search, sink, select, attachments)
    }

    /// The templates, loaded and checked (errors into the report).
    pub(super) fn renderer(&mut self, config: &Config, lib: &Library) -> Option<Renderer> {
        let t = Instant::now();
        let renderer = match Renderer::new(&self.opts.root, config, lib.today) {
            Ok(r) => r,
            Err(diags) => {
                self.report.diagnostics.extend(diags);
                return None;
            }
        };
        self.report.stage(("templates", t.elapsed()));
        Some(renderer)
    }

    /// [`Pipeline::render`] with templates already loaded.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn render_using(
        &mut self,
        renderer: &Renderer,
        config: &Config,
        lib: &Library,
        search: Option<&SearchData>,
        sink: &dyn Sink,
        select: Option<&Selection>,
        attachments: &[Attachment],
    ) -> Vec<(String, Box<[Key]>)> {
        let t = Instant::now();
        let rendered = match select {
            Some(selection) => render::render_selected(lib, config, renderer, search, sink, &|p| {
                selection.pages.contains(p)
            }),
            None => render::render_site(lib, config, renderer, search, sink),
        };
        self.report.diagnostics.extend(rendered.diagnostics);
        self.report.files += rendered.files;
        self.report.stage(("render+write", t.elapsed()));

        if let Some(search) = search {
            let t = Instant::now();
            // On a pool thread: it reuses the memory the render threads freed (the allocator
            // keeps freed pages per thread), which cut the peak of a 10,000-COE build.
            let edited = select.map(|s| s.edited.as_slice());
            let exported = rayon::scope(|_| {
                search::export::export_until(lib, search, sink, &|| false, edited)
            });
            match exported {
                Ok(stats) => {
                    self.report.files += stats.shards
                        + lib.coes.len().div_ceil(search::export::FRAGMENTS_PER_FILE)
                        + 2
                }
                Err(e) => self.report.diagnostics.push(Diagnostic::error(
                    "search/",
                    0,
                    0,
                    format!("cannot write the search index: {e}"),
                )),
            }
            self.report.stage(("search export", t.elapsed()));
        }

        let t = Instant::now();
        let statics = theme::layered_files(
            &self.opts.root,
            &config.theme,
            "static",
            &mut self.report.diagnostics,
        );
        for (rel, bytes) in &statics {
            if let Err(e) = sink.write(rel, bytes) {
                self.report.diagnostics.push(Diagnostic::error(
                    format!("static/{rel}"),
                    0,
                    0,
                    format!("cannot write: {e}"),
                ));
            }
        }
        self.report.files += statics.len();
        // The edited COEs' attachments after an edit (the others are kept: a changed file
        // changes the render key, and everything is rendered).
        let publish = attachments
            .iter()
            .filter(|a| select.is_none_or(|s| s.edited.contains(&a.coe)));
        for a in publish {
            let written = std::fs::read(&a.from).and_then(|bytes| sink.write(&a.to, &bytes));
            match written {
                Ok(()) => self.report.files += 1,
                Err(e) => self.report.diagnostics.push(Diagnostic::error(
                    a.from.display().to_string(),
                    0,
                    0,
                    format!("cannot write: cannot publish it as {}: {e}", a.to),
                )),
            }
        }
        self.report.stage(("static", t.elapsed()));
        rendered.deps
    }

    /// `coe build`: every stage, then stage 7, **commit**: the new site assembled beside the
    /// output and swapped in, only if there were no errors. Over its own previous output, only
    /// changed files are written, and after a few edits only the pages they change are rendered
    /// (`selective.rs`).
    pub fn build(mut self) -> BuildReport {
        let output = self
            .opts
            .output
            .clone()
            .unwrap_or_else(|| self.opts.root.join("public"));
        self.report.output = output.clone();
        if let Err(msg) = check_output_dir(&self.opts.root, &output) {
            self.report.diagnostics.push(Diagnostic::error(
                output.display().to_string(),
                0,
                0,
                msg,
            ));
            return self.report;
        }
        // The content's stamp is taken before the content is read: a file edited during the build
        // then leaves the index marked as older than the content, to be updated next time. (Taken
        // beside the reading, it could see an edit that the reading missed.)
        let fingerprint = search::store::fingerprint(&self.opts.root, self.opts.drafts);
        let parse_cache = self.opts.root.join(".coe/parsed.idx");
        let loaded = self.load(Parses::Disk(&parse_cache), false);
        if loaded
            .as_ref()
            .is_some_and(|l| l.config.base_url.is_empty())
        {
            self.report.diagnostics.push(Diagnostic::warning(
                "coe.toml",
                0,
                0,
                "no base_url: the site's address is unknown, so sitemap.xml is left out and the Atom feeds link relative to themselves; set base_url in coe.toml or pass --base-url https://…",
            ));
        }
        let Some(Loaded {
            config,
            lib,
            edits,
            attachments,
            ..
        }) = loaded
        else {
            diag::sort(&mut self.report.diagnostics);
            return self.report;
        };
        let manifest_path = manifest_path(&self.opts.root, &output);
        let state_path = manifest_path.with_extension("state");
        let t = Instant::now();
        // One build of an output folder at a time; what a killed build left beside it goes.
        let lock = match OutputLock::acquire(&manifest_path.with_extension("lock"), &output) {
            Ok(lock) => lock,
            Err(e) => {
                self.report.diagnostics.push(Diagnostic::error(
                    manifest_path.display().to_string(),
                    0,
                    0,
                    format!("cannot lock the output folder: {e}"),
                ));
                return self.report;
            }
        };
        let previous = output::read_manifest(&manifest_path, &output);
        self.report.incremental = previous.is_some();
        let key = render_key(&self.opts, &config, &lib, &attachments);
        let mut last = previous.as_ref().and_then(|_| state::read(&state_path));
        let mut plan = selective::plan(&lib, last.as_ref(), key, &edits);
        // What the pages showed: read only when some must be rendered again.
        if let (Some(p), Some(last)) = (&plan, last.as_mut())
            && !p.is_empty()
        {
            last.record = state::read_record(&state_path);
            if last.record.is_none() {
                plan = None;
            }
        }
        self.report.stage(("plan", t.elapsed()));
        if plan.as_ref().is_some_and(selective::Plan::is_empty)
            && let Some(previous) = &previous
        {
            // Nothing a page shows changed since the last build of this output. A rewritten parse
            // cache (files touched but not changed) gets the state to name it.
            if let (Some(write), Some(mut last), Some(written)) =
                (self.report.parse_cache_write.take(), last, edits.written)
                && write.wait().is_some()
            {
                last.parsed = written;
                let _ = state::write(&state_path, &last);
            }
            self.report.changed = Some(0);
            self.report.files = previous.len();
            diag::sort(&mut self.report.diagnostics);
            return self.report;
        }
        let spare_manifest = manifest_path.with_extension("spare");
        let sink = match previous {
            Some(previous) => DiskSink::changes(&lock, previous, &spare_manifest),
            None => DiskSink::full(&lock, &spare_manifest),
        };
        let sink = match sink {
            Ok(s) => s,
            Err(e) => {
                self.report.diagnostics.push(Diagnostic::error(
                    output.display().to_string(),
                    0,
                    0,
                    format!("cannot create the output folder: {e}"),
                ));
                return self.report;
            }
        };
        // Similar lists whose inputs did not change are not computed again: only when pages are
        // rendered selectively, under the same conditions as `selected` below (the others need
        // every list; with search data, those conditions are the same).
        let reuse = match (&plan, &last, sink.is_incremental()) {
            (Some(_), Some(last), true) if last.traces.len() == lib.coes.len() => {
                Some(last.traces.as_slice())
            }
            _ => None,
        };
        let mut search = self.index(
            &lib,
            IndexAt::Disk {
                fingerprint: &fingerprint,
                reuse,
            },
        );
        // What the library makes of the COEs: compared with the last build's to plan, and kept
        // for the next one (made once).
        let shape = plan::Shape::of(&lib);
        let selected = match (&plan, &mut search, &last, sink.is_incremental()) {
            (
                Some(plan),
                Some(search),
                Some(
                    last @ BuildState {
                        record: Some(record),
                        ..
                    },
                ),
                true,
            ) => {
                let t = Instant::now();
                let paths = render::page_paths(&lib, &config);
                let pages = selective::pages(plan, &lib, search, last, record, (&shape, &paths));
                let t1 = t.elapsed();
                // A page the last build did not have may show any COE's lists.
                let shown = plan::lists_shown(&record.deps, &pages)
                    .unwrap_or_else(|| (0..lib.coes.len()).collect());
                let t2 = t.elapsed();
                search.complete(&lib, &shown);
                crate::timing!(
                    "pages {t1:?}, shown {:?} ({}), complete {:?}",
                    t2 - t1,
                    shown.len(),
                    t.elapsed() - t2
                );
                self.report.stage(("pages to render", t.elapsed()));
                let edited = plan.edited();
                Some((Selection { pages, edited }, paths))
            }
            _ => None,
        };
        let rendered = self.render(
            &config,
            &lib,
            search.as_ref(),
            &sink,
            selected.as_ref().map(|(selection, _)| selection),
            &attachments,
        );
        // What every page of the new output shows: the pages rendered now, the others as the
        // last build recorded them.
        let mut deps = match (&selected, last.as_mut().and_then(|l| l.record.as_mut())) {
            (Some((_, paths)), Some(record)) => {
                let mut deps = std::mem::take(&mut record.deps);
                let now: HashSet<&str> = paths
                    .iter()
                    .map(String::as_str)
                    .chain(["coes.json"])
                    .collect();
                deps.retain(|p| now.contains(p));
                deps
            }
            _ => PageDeps::default(),
        };
        for (path, keys) in rendered {
            deps.record(path, keys);
        }
        if let Some((selection, paths)) = &selected {
            let fragments =
                search::export::unchanged_fragment_paths(lib.coes.len(), &selection.edited);
            let kept = paths
                .iter()
                .map(String::as_str)
                .chain(["coes.json"])
                .filter(|p| !selection.pages.contains(*p))
                .chain(fragments.iter().map(String::as_str))
                .chain(
                    attachments
                        .iter()
                        .filter(|a| !selection.edited.contains(&a.coe))
                        .map(|a| a.to.as_str()),
                );
            if let Err(e) = sink.keep(kept) {
                self.report.diagnostics.push(Diagnostic::error(
                    output.display().to_string(),
                    0,
                    0,
                    format!("cannot keep the unchanged pages: {e}"),
                ));
            }
        }
        if let Some(failed) = sink.failures() {
            // Reported once, instead of once per file: a full disk fails every write after the
            // first. (Each writer reports its failure as "cannot write…"; the sink counted them.)
            self.report
                .diagnostics
                .retain(|d| !(d.is_error() && d.message.starts_with("cannot write")));
            self.report.diagnostics.push(Diagnostic::error(
                output.display().to_string(),
                0,
                0,
                format!(
                    "cannot write {} file{} of the new site (first: {}: {})",
                    failed.count,
                    if failed.count == 1 { "" } else { "s" },
                    failed.first_path,
                    failed.first_error
                ),
            ));
        }
        if !self.report.has_errors() {
            let t = Instant::now();
            if sink.is_incremental() {
                self.report.changed = Some(sink.changed());
            }
            // A stale manifest or state must never survive a half-done commit.
            let _ = std::fs::remove_file(&manifest_path);
            state::remove(&state_path);
            match sink.commit() {
                Ok(manifest) => {
                    self.report.files = manifest.len();
                    if let Err(e) = output::write_manifest(&manifest_path, &manifest) {
                        self.report.diagnostics.push(Diagnostic::warning(
                            manifest_path.display().to_string(),
                            0,
                            0,
                            format!("cannot save the output manifest ({e}): the next build writes every file"),
                        ));
                    } else if let (Some(search), Some(parsed)) = (&search, edits.written) {
                        // The state names the parse cache it was built from: once that is on disk.
                        let cached = match self.report.parse_cache_write.take() {
                            None => true,
                            Some(write) => write
                                .wait()
                                .inspect(|t| self.report.stage(("parse cache", *t)))
                                .is_some(),
                        };
                        if cached {
                            // Not fatal: the next build renders every page.
                            let _ = state::write(
                                &state_path,
                                &selective::new_state(
                                    key,
                                    parsed,
                                    &lib,
                                    search,
                                    last.as_ref().map(|l| l.coes.as_slice()),
                                    (shape, deps),
                                ),
                            );
                        }
                    }
                }
                Err(e) => self.report.diagnostics.push(Diagnostic::error(
                    output.display().to_string(),
                    0,
                    0,
                    format!("cannot replace the output folder: {e}"),
                )),
            }
            self.report.stage(("swap", t.elapsed()));
        }
        // Freeing a 10,000-COE library and its search data takes ~60 ms: done on another thread,
        // which a `coe build` process does not wait for (its memory goes back when it exits).
        let _ = std::thread::Builder::new()
            .name("coe-free".into())
            .spawn(move || drop((search, lib)));
        diag::sort(&mut self.report.diagnostics);
        self.report
    }
}

/// The warning for a `content/` with no COE in it, saying what is there instead.
fn nothing_to_publish(content: &Path) -> Diagnostic {
    let mut others: Vec<String> = walkdir::WalkDir::new(content)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    others.sort();
    let found = match others.len() {
        0 => "it is empty".to_owned(),
        n => {
            let shown: Vec<&str> = others.iter().take(3).map(String::as_str).collect();
            format!(
                "it holds {n} other file{} ({}{})",
                if n == 1 { "" } else { "s" },
                shown.join(", "),
                if n > 3 { ", …" } else { "" }
            )
        }
    };
    Diagnostic::warning(
        "content",
        0,
        0,
        format!(
            "no COE to publish: {found}; a COE is a Markdown file (.md) anywhere under content/ (`coe new \"Title\"` writes one)"
        ),
    )
}

/// What every page depends on besides the COEs: configuration, templates, static files, the
/// drafts flag, today (see [`state::render_key`]).
fn render_key(
    opts: &BuildOptions,
    config: &Config,
    lib: &Library,
    attachments: &[Attachment],
) -> u64 {
    let mut ignored = Vec::new();
    let config_text = format!("{config:?}");
    let mut parts: Vec<Vec<u8>> = vec![config_text.into_bytes(), attachments::stamps(attachments)];
    for prefix in ["templates", "static"] {
        for (rel, bytes) in theme::layered_files(&opts.root, &config.theme, prefix, &mut ignored) {
            parts.push(rel.into_bytes());
            parts.push(bytes);
        }
    }
    let parts: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    state::render_key(&parts, opts.drafts, lib.today)
}

/// Where the manifest of an output folder is kept: `<root>/.coe/output-<hash of its path>`.
fn manifest_path(root: &Path, output: &Path) -> PathBuf {
    let abs = std::path::absolute(output).unwrap_or_else(|_| output.to_path_buf());
    let id = output::content_hash(abs.to_string_lossy().as_bytes());
    root.join(".coe").join(format!("output-{id:016x}.manifest"))
}

/// Refuses an output folder that would replace the site itself or its content.
fn check_output_dir(root: &Path, output: &Path) -> Result<(), String> {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (root, out) = (abs(root), abs(output));
    let content = root.join("content");
    if out == root || content.starts_with(&out) || out.starts_with(&content) {
        return Err("the output folder would replace the site root or content/: expected a folder of its own like public/".to_owned());
    }
    if out.is_file() {
        return Err("the output path is a file: expected a folder".to_owned());
    }
    Ok(())
}
