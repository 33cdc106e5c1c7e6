//! The build pipeline: load → library → render → write, each stage timed.

pub mod affected;
mod selective;
pub mod state;

use crate::config::{self, Config};
use crate::content::missing_sections;
use crate::diag::{self, Diagnostic};
use crate::library::Library;
use crate::output::{self, DiskSink, OutputLock, Sink};
use crate::render::{self, Renderer, theme};
use crate::search::{self, SearchData};
use selective::Edits;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub root: PathBuf,
    /// Defaults to `<root>/public`.
    pub output: Option<PathBuf>,
    pub drafts: bool,
    pub today: Option<jiff::civil::Date>,
    pub base_url: Option<String>,
}

#[derive(Debug, Default)]
pub struct BuildReport {
    pub diagnostics: Vec<Diagnostic>,
    pub coes: usize,
    pub files: usize,
    pub stages: Vec<(&'static str, Duration)>,
    pub output: PathBuf,
    /// Whether the build updated its own previous output in place (only changed files).
    pub incremental: bool,
    /// Files whose bytes changed, for an incremental build.
    pub changed: Option<usize>,
    /// The parse cache (`.coe/parsed.idx`) being written in the background: wait for it before
    /// the process exits (dropping the report waits too).
    pub parse_cache_write: Option<crate::load::CacheWrite>,
}

impl BuildReport {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Records a stage's time (and, with `COE_TIMINGS`, prints the memory after it).
    fn stage(&mut self, (name, took): (&'static str, Duration)) {
        self.stages.push((name, took));
        crate::timing::memory_after(name);
    }
}

/// Loads and checks everything up to a library, without writing anything.
/// Also says what changed since the parse cache was written ([`Edits`]).
pub fn load_library(
    opts: &BuildOptions,
    report: &mut BuildReport,
) -> Option<(Config, Library, Edits)> {
    let t = Instant::now();
    let (mut config, diags) = config::load(&opts.root);
    report.diagnostics.extend(diags);
    if let Some(url) = &opts.base_url {
        config.base_url = url.clone();
    }
    report.stage(("config", t.elapsed()));

    let t = Instant::now();
    let cache_file = opts.root.join(".coe/parsed.idx");
    let loaded = crate::load::load_all_cached(&opts.root.join("content"), Some(&cache_file));
    let (coes, diags) = (loaded.coes, loaded.diagnostics);
    report.parse_cache_write = loaded.cache_write;
    let edits = Edits {
        read: loaded.read_generation,
        written: loaded.generation,
        same_files: loaded.same_files,
        reparsed: loaded.reparsed,
    };
    report.diagnostics.extend(diags);
    report.stage(("load", t.elapsed()));

    let t = Instant::now();
    let (lib, diags) = Library::build(coes, opts.drafts, crate::dates::today(opts.today));
    report.diagnostics.extend(diags);
    for coe in &lib.coes {
        let missing = missing_sections(coe);
        if !missing.is_empty() {
            report.diagnostics.push(Diagnostic::warning(
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
            report.diagnostics.push(Diagnostic::warning(
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
    report.coes = lib.coes.len();
    report.stage(("library", t.elapsed()));
    if report.has_errors() {
        None
    } else {
        Some((config, lib, edits))
    }
}

/// Indexes the library (in `<root>/.coe/index/`, or in memory when that cannot be written)
/// and computes every COE's similar COEs, except those whose input key is the one in
/// `previous` (per library position, from the last build's state).
pub fn index_library(
    opts: &BuildOptions,
    lib: &Library,
    fingerprint: &str,
    previous: Option<&[crate::search::similar::Trace]>,
    report: &mut BuildReport,
) -> Option<SearchData> {
    if let Some(data) = index_on_disk(opts, lib, fingerprint, previous, report) {
        return Some(data);
    }
    let t = Instant::now();
    let on_disk = search::store::fresh_dir(&opts.root).ok();
    let built = match search::index::build(lib, on_disk.as_deref()) {
        Ok(b) => Ok(b),
        Err(e) if on_disk.is_some() => {
            report.diagnostics.push(Diagnostic::warning(
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
            report.diagnostics.push(Diagnostic::error(
                ".coe/index",
                0,
                0,
                format!("cannot build the search index: {e}"),
            ));
            return None;
        }
    };
    report.stage(("index", t.elapsed()));
    let t = Instant::now();
    let data = match SearchData::from_index_reusing(lib, index, fields, previous) {
        Ok(d) => d,
        Err(e) => {
            report.diagnostics.push(Diagnostic::error(
                ".coe/index",
                0,
                0,
                format!("cannot read the search index: {e}"),
            ));
            return None;
        }
    };
    report.stage(("similar", t.elapsed()));
    if let Some(dir) = on_disk
        && let Err(e) = search::store::install(&opts.root, &dir, fingerprint)
    {
        let _ = std::fs::remove_dir_all(&dir);
        report.diagnostics.push(Diagnostic::warning(
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
    opts: &BuildOptions,
    lib: &Library,
    fingerprint: &str,
    previous: Option<&[crate::search::similar::Trace]>,
    report: &mut BuildReport,
) -> Option<SearchData> {
    let t = Instant::now();
    let (index, fields, stored) = search::store::open_stored(&opts.root)?;
    let unchanged = stored == fingerprint
        && search::searcher(&index).is_ok_and(|s| s.num_docs() == lib.coes.len() as u64);
    let stage = if unchanged {
        "index (reused)"
    } else {
        let limit = (lib.coes.len() / 20).max(16);
        let edited = search::guarded(|| search::index::changed(&index, &fields, lib, limit))??;
        search::guarded(|| search::index::update(&index, &fields, lib, &edited))?.ok()?;
        search::store::mark_fresh(&opts.root, fingerprint).ok()?;
        "index (updated in place)"
    };
    report.stage((stage, t.elapsed()));
    let t = Instant::now();
    let data =
        search::guarded(|| SearchData::from_index_reusing(lib, index, fields, previous))?.ok()?;
    report.stage(("similar", t.elapsed()));
    Some(data)
}

/// What a selective rebuild renders: the pages an edit changes, and the library positions of
/// the edited COEs (for the search fragments).
pub struct Selection {
    pub pages: HashSet<String>,
    pub edited: Vec<usize>,
}

/// Renders a loaded library into any sink (disk staging or memory): every page, or only those
/// in `select` (the search files and static files are always written).
pub fn render_into(
    opts: &BuildOptions,
    config: &Config,
    lib: &Library,
    search: Option<&SearchData>,
    sink: &dyn Sink,
    select: Option<&Selection>,
    report: &mut BuildReport,
) {
    let t = Instant::now();
    let renderer = match Renderer::new(&opts.root, config, lib.today) {
        Ok(r) => r,
        Err(diags) => {
            report.diagnostics.extend(diags);
            return;
        }
    };
    report.stage(("templates", t.elapsed()));

    let t = Instant::now();
    let (files, diags) = match select {
        Some(selection) => render::render_selected(lib, config, &renderer, search, sink, &|p| {
            selection.pages.contains(p)
        }),
        None => render::render_site(lib, config, &renderer, search, sink),
    };
    report.diagnostics.extend(diags);
    report.files += files;
    report.stage(("render+write", t.elapsed()));

    if let Some(search) = search {
        let t = Instant::now();
        // On a pool thread: it reuses the memory the render threads freed (the allocator
        // keeps freed pages per thread), which cut the peak of a 10,000-COE build.
        let edited = select.map(|s| s.edited.as_slice());
        let exported =
            rayon::scope(|_| search::export::export_until(lib, search, sink, &|| false, edited));
        match exported {
            Ok(stats) => {
                report.files +=
                    stats.shards + lib.coes.len().div_ceil(search::export::FRAGMENTS_PER_FILE) + 2
            }
            Err(e) => report.diagnostics.push(Diagnostic::error(
                "search/",
                0,
                0,
                format!("cannot write the search index: {e}"),
            )),
        }
        report.stage(("search export", t.elapsed()));
    }

    let t = Instant::now();
    let statics =
        theme::layered_files(&opts.root, &config.theme, "static", &mut report.diagnostics);
    for (rel, bytes) in &statics {
        if let Err(e) = sink.write(rel, bytes) {
            report.diagnostics.push(Diagnostic::error(
                format!("static/{rel}"),
                0,
                0,
                format!("cannot write: {e}"),
            ));
        }
    }
    report.files += statics.len();
    report.stage(("static", t.elapsed()));
}

/// `coe build`: everything into a staging folder, swapped in only if there were no errors.
/// Over its own previous output, only changed files are written, and after a few edits only
/// the pages they change are rendered (`selective.rs`).
pub fn build(opts: &BuildOptions) -> BuildReport {
    let mut report = BuildReport::default();
    let output = opts
        .output
        .clone()
        .unwrap_or_else(|| opts.root.join("public"));
    report.output = output.clone();
    if let Err(msg) = check_output_dir(&opts.root, &output) {
        report
            .diagnostics
            .push(Diagnostic::error(output.display().to_string(), 0, 0, msg));
        return report;
    }
    // The content's stamp is taken before the content is read: a file edited during the build
    // then leaves the index marked as older than the content, to be updated next time. (Taken
    // beside the reading, it could see an edit that the reading missed.)
    let fingerprint = search::store::fingerprint(&opts.root, opts.drafts);
    let Some((config, mut lib, edits)) = load_library(opts, &mut report) else {
        diag::sort(&mut report.diagnostics);
        return report;
    };
    let manifest_path = manifest_path(&opts.root, &output);
    let state_path = manifest_path.with_extension("state");
    let t = Instant::now();
    // One build of an output folder at a time; what a killed build left beside it goes.
    let lock = match OutputLock::acquire(&manifest_path.with_extension("lock"), &output) {
        Ok(lock) => lock,
        Err(e) => {
            report.diagnostics.push(Diagnostic::error(
                manifest_path.display().to_string(),
                0,
                0,
                format!("cannot lock the output folder: {e}"),
            ));
            return report;
        }
    };
    let previous = output::read_manifest(&manifest_path, &output);
    report.incremental = previous.is_some();
    let key = render_key(opts, &config, &lib);
    let last = previous.as_ref().and_then(|_| state::read(&state_path));
    let plan = selective::plan(&mut lib, &config, last.as_ref(), key, &edits);
    report.stage(("plan", t.elapsed()));
    if plan.as_ref().is_some_and(selective::Plan::is_empty)
        && let Some(previous) = &previous
    {
        // Nothing a page shows changed since the last build of this output. A rewritten parse
        // cache (files touched but not changed) gets the state to name it.
        if let (Some(write), Some(mut last), Some(written)) =
            (report.parse_cache_write.take(), last, edits.written)
            && write.wait().is_some()
        {
            last.parsed = written;
            let _ = state::write(&state_path, &last);
        }
        report.changed = Some(0);
        report.files = previous.len();
        diag::sort(&mut report.diagnostics);
        return report;
    }
    let spare_manifest = manifest_path.with_extension("spare");
    let sink = match previous {
        Some(previous) => DiskSink::changes(&lock, previous, &spare_manifest),
        None => DiskSink::full(&lock, &spare_manifest),
    };
    let sink = match sink {
        Ok(s) => s,
        Err(e) => {
            report.diagnostics.push(Diagnostic::error(
                output.display().to_string(),
                0,
                0,
                format!("cannot create the output folder: {e}"),
            ));
            return report;
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
    let mut search = index_library(opts, &lib, &fingerprint, reuse, &mut report);
    let selected = match (&plan, &mut search, &last, sink.is_incremental()) {
        (Some(plan), Some(search), Some(last), true) => {
            let t = Instant::now();
            let paths = render::page_paths(&lib, &config);
            let pages = selective::pages(plan, &lib, &config, search, &last.coes, &paths);
            let t1 = t.elapsed();
            let shown = selective::lists_shown(&lib, &config, &pages);
            let t2 = t.elapsed();
            search.complete(&lib, &shown);
            crate::timing!(
                "pages {t1:?}, shown {:?} ({}), complete {:?}",
                t2 - t1,
                shown.len(),
                t.elapsed() - t2
            );
            report.stage(("pages to render", t.elapsed()));
            let edited = plan.edited();
            Some((Selection { pages, edited }, paths))
        }
        _ => None,
    };
    render_into(
        opts,
        &config,
        &lib,
        search.as_ref(),
        &sink,
        selected.as_ref().map(|(selection, _)| selection),
        &mut report,
    );
    if let Some((selection, paths)) = &selected {
        let fragments = search::export::unchanged_fragment_paths(lib.coes.len(), &selection.edited);
        let kept = paths
            .iter()
            .map(String::as_str)
            .chain(["coes.json"])
            .filter(|p| !selection.pages.contains(*p))
            .chain(fragments.iter().map(String::as_str));
        if let Err(e) = sink.keep(kept) {
            report.diagnostics.push(Diagnostic::error(
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
        report
            .diagnostics
            .retain(|d| !(d.is_error() && d.message.starts_with("cannot write")));
        report.diagnostics.push(Diagnostic::error(
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
    if !report.has_errors() {
        let t = Instant::now();
        if sink.is_incremental() {
            report.changed = Some(sink.changed());
        }
        // A stale manifest or state must never survive a half-done commit.
        let _ = std::fs::remove_file(&manifest_path);
        let _ = std::fs::remove_file(&state_path);
        match sink.commit() {
            Ok(manifest) => {
                report.files = manifest.len();
                if let Err(e) = output::write_manifest(&manifest_path, &manifest) {
                    report.diagnostics.push(Diagnostic::warning(
                        manifest_path.display().to_string(),
                        0,
                        0,
                        format!("cannot save the output manifest ({e}): the next build writes every file"),
                    ));
                } else if let (Some(search), Some(parsed)) = (&search, edits.written) {
                    // The state names the parse cache it was built from: once that is on disk.
                    let cached = match report.parse_cache_write.take() {
                        None => true,
                        Some(write) => write
                            .wait()
                            .inspect(|t| report.stage(("parse cache", *t)))
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
                            ),
                        );
                    }
                }
            }
            Err(e) => report.diagnostics.push(Diagnostic::error(
                output.display().to_string(),
                0,
                0,
                format!("cannot replace the output folder: {e}"),
            )),
        }
        report.stage(("swap", t.elapsed()));
    }
    // Freeing a 10,000-COE library and its search data takes ~60 ms: done on another thread,
    // which a `coe build` process does not wait for (its memory goes back when it exits).
    let _ = std::thread::Builder::new()
        .name("coe-free".into())
        .spawn(move || drop((search, lib)));
    diag::sort(&mut report.diagnostics);
    report
}

/// What every page depends on besides the COEs: configuration, templates, static files, the
/// drafts flag, today (see [`state::render_key`]).
fn render_key(opts: &BuildOptions, config: &Config, lib: &Library) -> u64 {
    let mut ignored = Vec::new();
    let config_text = format!("{config:?}");
    let mut parts: Vec<Vec<u8>> = vec![config_text.into_bytes()];
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
