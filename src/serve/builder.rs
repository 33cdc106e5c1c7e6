//! The builder thread: one build at a time, into memory; a failed build keeps the last good
//! site and reports its errors.

use super::watch::{Changes, Watch};
use super::{Event, State, Status};
use crate::diag::{self, Diagnostic};
use crate::output::Memory;
use crate::site::{self, BuildOptions, BuildReport};
use axum::body::Bytes;
use notify_debouncer_full::DebounceEventResult;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::Instant;

pub struct Builder {
    opts: BuildOptions,
    state: Arc<State>,
    generation: u64,
    timings: bool,
}

impl Builder {
    pub fn new(root: PathBuf, drafts: bool, state: Arc<State>) -> Builder {
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
            timings: std::env::var_os("COE_TIMINGS").is_some(),
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
            let started = Instant::now();
            self.full(&[]);
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
            }
        }
    }

    /// Loads, indexes and renders everything into memory.
    pub fn full(&mut self, _changed: &[PathBuf]) {
        let t = Instant::now();
        let mut report = BuildReport::default();
        let Some((config, lib)) = site::load_library(&self.opts, &mut report) else {
            self.failed(report, t);
            return;
        };
        let search = match crate::search::index::build(&lib, None)
            .and_then(|(index, fields)| crate::search::SearchData::from_index(&lib, index, fields))
        {
            Ok(s) => Some(s),
            Err(e) => {
                report.diagnostics.push(Diagnostic::error(
                    "search",
                    0,
                    0,
                    format!("cannot build the search index: {e}"),
                ));
                None
            }
        };
        let sink = Memory::default();
        site::render_into(
            &self.opts,
            &config,
            &lib,
            search.as_ref(),
            &sink,
            &mut report,
        );
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
        self.succeeded(&report, "full", t, lib.coes.len());
    }

    fn succeeded(&mut self, report: &BuildReport, kind: &'static str, t: Instant, coes: usize) {
        self.generation += 1;
        let status = Status {
            generation: self.generation,
            ok: true,
            errors: Vec::new(),
            warnings: report.diagnostics.len(),
            kind,
            millis: t.elapsed().as_millis() as u64,
            coes,
        };
        if self.timings {
            for (stage, d) in &report.stages {
                eprintln!("  {stage:<14} {:>8.1} ms", d.as_secs_f64() * 1000.0);
            }
        }
        self.set_status(status);
        let _ = self.state.events.send(Event::Reload(self.generation));
    }

    fn failed(&mut self, mut report: BuildReport, t: Instant) {
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
