//! The builder thread: when to build, and what the reader sees. One build at a time, into
//! memory; a failed build keeps the last good site and reports its errors.
//!
//! What a build does is the pipeline's (`site::Pipeline`): a full build is
//! `Pipeline::build_live`; after edits to existing COE files, `Pipeline::update` and
//! `render_live` (`site/live.rs`) give the edited pages first (`incremental.rs`), the other pages
//! that show the edits after, and the catch-up (`catchup.rs`) the search index, every COE's
//! similar lists and the search files once nothing is waiting. Anything the live site cannot
//! take (config, templates, a file added or removed, an id changed…) is a full build.

mod catchup;
mod incremental;

use super::watch::{Changes, Watch};
use super::{Event, State, Status};
use crate::diag::{self, Diagnostic};
use crate::output::Memory;
use crate::site::{BuildOptions, BuildReport, Built, Live, Pipeline};
use axum::body::Bytes;
use catchup::Behind;
use notify_debouncer_full::DebounceEventResult;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Instant;

pub struct Builder {
    opts: BuildOptions,
    state: Arc<State>,
    generation: u64,
    timings: bool,
    /// The site served, kept to update it after edits (`None`: the next build is full).
    live: Option<Live>,
    /// Files of a failed incremental build: they are re-read by the next one.
    pending: BTreeSet<PathBuf>,
    parsed: crate::load::MemoryCache,
    /// Pages an incremental build has not re-rendered yet (see `followup`).
    stale: HashSet<String>,
    /// Changes received while finishing a build, for the next one.
    early: Vec<DebounceEventResult>,
    /// What incremental builds left for later: the search index, similar lists, search files.
    behind: Behind,
    /// Set by the watcher when a change arrives: the catch-up gives way.
    waiting: Arc<AtomicBool>,
    /// The site being served: its COEs and warnings (per file), shown in the status also
    /// while a later build fails.
    served: Served,
    /// The parse stage's diagnostics of the full build under way (for `served`).
    parse_diagnostics: Vec<Diagnostic>,
}

#[derive(Default)]
struct Served {
    coes: usize,
    drafts_skipped: usize,
    /// Warnings of the library as a whole (from the last full build).
    library_warnings: usize,
    /// Each file's own warnings (from parsing it).
    file_warnings: HashMap<String, usize>,
}

impl Served {
    /// After a full build: `parsed` holds the parse stage's diagnostics, `report` all of them.
    fn full(report: &BuildReport, parsed: &[Diagnostic]) -> Served {
        let mut file_warnings = HashMap::new();
        for d in parsed.iter().filter(|d| !d.is_error()) {
            *file_warnings.entry(d.path.clone()).or_default() += 1;
        }
        let own: usize = file_warnings.values().sum();
        Served {
            coes: report.coes,
            drafts_skipped: report.drafts_skipped,
            library_warnings: report.diagnostics.len().saturating_sub(own),
            file_warnings,
        }
    }

    /// After an incremental build: the edited files' warnings replace theirs.
    fn edited(&mut self, coes: usize, files: impl IntoIterator<Item = (String, usize)>) {
        self.coes = coes;
        self.file_warnings.extend(files);
    }

    fn warnings(&self) -> usize {
        self.library_warnings + self.file_warnings.values().sum::<usize>()
    }
}

impl Builder {
    pub fn new(root: PathBuf, drafts: bool, state: Arc<State>) -> Builder {
        let root = std::path::absolute(&root).unwrap_or(root);
        Builder {
            opts: BuildOptions {
                root,
                output: None,
                drafts,
                today: None,
                base_url: None,
            },
            state,
            generation: 0,
            timings: crate::timing::enabled(),
            live: None,
            pending: BTreeSet::new(),
            parsed: crate::load::MemoryCache::default(),
            stale: HashSet::new(),
            early: Vec::new(),
            behind: Behind::default(),
            waiting: Arc::new(AtomicBool::new(false)),
            served: Served::default(),
            parse_diagnostics: Vec::new(),
        }
    }

    /// Waits for changes and rebuilds. Whatever arrives during a build is coalesced into the
    /// next one, so the last build always sees the latest state of the files.
    /// Between changes, finishes what incremental builds left: stale pages, then the catch-up.
    pub fn run(mut self, changes: Receiver<DebounceEventResult>, mut watch: Watch) {
        self.waiting = watch.waiting();
        loop {
            let mut batch = Changes::default();
            if self.early.is_empty() {
                let first = if self.stale.is_empty() && !self.behind.any() {
                    changes.recv().map_err(|_| ())
                } else {
                    // Cleared before looking: set again by any change that arrives after.
                    self.waiting.store(false, Ordering::SeqCst);
                    match changes.try_recv() {
                        Ok(first) => Ok(first),
                        Err(TryRecvError::Empty) => {
                            if self.stale.is_empty() {
                                self.catch_up();
                            } else {
                                self.followup(&changes);
                            }
                            continue;
                        }
                        Err(TryRecvError::Disconnected) => Err(()),
                    }
                };
                match first {
                    Ok(first) => batch.add(watch.root(), first),
                    Err(()) => return,
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
                // Nothing to rebuild (an editor's swap file): what is stale is finished next.
                continue;
            }
            // Files beside the COEs that no page shows: nothing to build.
            let content = watch.root().join("content");
            let others = std::mem::take(&mut batch.others);
            if !others.is_empty() {
                match &self.live {
                    // A path gone without an extension was most likely a folder (of COEs
                    // that did not parse, perhaps): build.
                    Some(live)
                        if others.iter().all(|p| {
                            !live.uses(&content, p) && (p.extension().is_some() || p.exists())
                        }) => {}
                    _ => batch.full = true,
                }
            }
            if batch.is_empty() {
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
                crate::errln!(
                    "rebuilt ({}, {} ms)",
                    status.kind,
                    started.elapsed().as_millis()
                );
            } else {
                crate::errln!(
                    "build failed: {} error{}; serving the last good build",
                    status.errors.len(),
                    if status.errors.len() == 1 { "" } else { "s" }
                );
                for e in status.errors.iter().take(5) {
                    crate::errln!("  {e}");
                }
            }
        }
    }

    /// Loads, indexes and renders everything into memory.
    pub fn full(&mut self) {
        let t = Instant::now();
        self.live = None;
        self.pending.clear();
        self.stale.clear();
        self.behind = Behind::default();
        // The pipeline's stages, into memory: the parses kept between builds, the index in
        // memory (`coe serve` never touches `.coe/`).
        let mut pipeline = Pipeline::new(BuildOptions {
            today: None,
            ..self.opts.clone()
        });
        let sink = Memory::default();
        let Some(Built {
            live,
            parse_diagnostics,
        }) = pipeline.build_live(&mut self.parsed, &sink)
        else {
            self.failed(pipeline.report, t);
            return;
        };
        self.parse_diagnostics = parse_diagnostics;
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
        self.succeeded(&pipeline.report, "full", t);
        self.live = live;
    }

    fn succeeded(&mut self, report: &BuildReport, kind: &'static str, t: Instant) {
        self.generation += 1;
        self.served = Served::full(report, &std::mem::take(&mut self.parse_diagnostics));
        let status = Status {
            generation: self.generation,
            ok: true,
            warnings: self.served.warnings(),
            kind,
            millis: t.elapsed().as_millis() as u64,
            complete: true,
            caught_up: true,
            coes: report.coes,
            drafts_skipped: self.served.drafts_skipped,
            ..Status::default()
        };
        if self.timings {
            for (stage, d) in &report.stages {
                crate::errln!("  {stage:<14} {:>8.1} ms", d.as_secs_f64() * 1000.0);
            }
        }
        set_status(&self.state, status);
        let _ = self.state.events.send(Event::Reload(self.generation, None));
    }

    /// A failed full build: the next build is full too.
    fn failed(&mut self, report: BuildReport, t: Instant) {
        self.live = None;
        self.behind = Behind::default();
        self.failed_keep_site(report, t);
    }

    fn failed_keep_site(&mut self, mut report: BuildReport, t: Instant) {
        diag::sort(&mut report.diagnostics);
        let errors: Vec<Diagnostic> = report
            .diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        // The counts are those of the site still served; the errors, the failed build's.
        let status = Status {
            generation: self.generation,
            ok: false,
            errors,
            warnings: self.served.warnings(),
            kind: "failed",
            millis: t.elapsed().as_millis() as u64,
            complete: self.stale.is_empty(),
            caught_up: self.stale.is_empty() && !self.behind.any(),
            coes: self.served.coes,
            drafts_skipped: self.served.drafts_skipped,
            ..Status::default()
        };
        let json = serde_json::to_string(&status).unwrap_or_default();
        set_status(&self.state, status);
        let _ = self.state.events.send(Event::Status(json));
    }
}

fn set_status(state: &State, status: Status) {
    if let Ok(mut s) = state.status.write() {
        *s = status;
    }
}

/// Puts rendered files into the served site; returns the paths of those whose bytes changed.
fn publish(state: &State, sink: Memory, timings: bool) -> Vec<String> {
    let rendered = sink.files.into_inner().unwrap_or_default();
    if timings {
        let mut sizes: Vec<(usize, &String)> = rendered.iter().map(|(k, v)| (v.len(), k)).collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        crate::errln!("largest: {:?}", &sizes[..sizes.len().min(5)]);
    }
    let mut changed = Vec::new();
    if let Ok(mut site) = state.files.write() {
        for (k, v) in rendered {
            if site.get(&k).is_some_and(|old| old[..] == v[..]) {
                continue;
            }
            changed.push(k.clone());
            site.insert(k, Bytes::from(v));
        }
    }
    changed
}
