//! Incremental rebuilds: edits to existing COEs, the edited pages first, the rest after.
//! The stages are the pipeline's (`site/live.rs`); this file orders them for the reader.

use super::{Builder, publish, set_status};
use crate::output::Memory;
use crate::serve::{Event, Status};
use crate::site::{Pipeline, Update};
use axum::body::Bytes;
use notify_debouncer_full::DebounceEventResult;
use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::Instant;

/// Follow-up pages rendered between two looks for a waiting change.
const LIGHT_CHUNK: usize = 64;

impl Builder {
    /// Rebuilds after edits to existing COE files. `false`: a full build is needed.
    pub(super) fn incremental(
        &mut self,
        files: &BTreeSet<PathBuf>,
        changes: &Receiver<DebounceEventResult>,
    ) -> bool {
        let t = Instant::now();
        let Some(live) = self.live.as_mut() else {
            return false;
        };
        let mut pipeline = Pipeline::new(self.opts.clone());
        let files: Vec<PathBuf> = files.iter().cloned().collect();
        let edited = match pipeline.update(live, &files) {
            Update::Rebuild => return false,
            Update::Failed => {
                self.pending.extend(files);
                self.failed_keep_site(pipeline.report, t);
                return true;
            }
            Update::Edited(edited) => edited,
        };
        let t_update = t.elapsed();
        let mut then = edited.pages;
        // First what the author is looking at: the edited COEs' pages and the home page.
        let mut first: HashSet<String> = edited
            .olds
            .iter()
            .map(|(_, c)| crate::urls::page(&crate::urls::coe(&c.slug)))
            .chain([crate::urls::page("")])
            .filter(|p| then.contains(p))
            .collect();

        // ...served and reloaded at once...
        let sink = Memory::default();
        pipeline.render_live(live, &sink, &|p| first.contains(p));
        let fragments = live.fragments(&edited.olds);
        let report = pipeline.report;
        if report.has_errors() {
            // The live site may already hold the new COEs: the next build starts afresh.
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
        self.served.edited(report.coes, edited.file_warnings);
        // Neither complete nor caught up yet: the follow-up and the catch-up come after.
        let status = Status {
            generation: self.generation,
            ok: true,
            warnings: self.served.warnings(),
            kind: "incremental",
            millis: t_first.as_millis() as u64,
            coes: self.served.coes,
            drafts_skipped: self.served.drafts_skipped,
            ..Status::default()
        };
        set_status(&self.state, status);
        let _ = self
            .state
            .events
            .send(Event::Reload(self.generation, Some(first_pages.clone())));

        // ...then every other page that shows the edited COEs; the index, the other COEs'
        // similar lists and the search files catch up after that (`catchup.rs`).
        self.behind.edited(&edited.olds, t);
        for fragment in fragments {
            match fragment {
                Ok((path, json)) => {
                    if let Ok(mut site) = self.state.files.write() {
                        site.insert(path, Bytes::from(json));
                    }
                }
                Err(e) => crate::errln!("warning: cannot write the search index: {e}"),
            }
        }
        then.retain(|p| !first.contains(p));
        first.clear();
        let then_count = then.len();
        self.stale.extend(then);
        let t_then = Instant::now();
        self.followup(changes);
        if self.timings {
            let stages: Vec<String> = report
                .stages
                .iter()
                .map(|(name, took)| format!("{name} {took:?}"))
                .collect();
            crate::errln!(
                "incremental ({}): {} (update {t_update:?}), first {} pages {:?}, then {} pages {:?}",
                edited.how,
                stages.join(", "),
                first_pages.len(),
                t_first - t_update,
                then_count,
                t_then.elapsed()
            );
        }
        true
    }

    /// Renders the pages left stale by incremental builds: the cheap ones, then the
    /// library-wide ones one at a time. Stops when a change is waiting (it is kept for the next
    /// build, which renders what is left), so a new save never waits for them.
    pub(super) fn followup(&mut self, changes: &Receiver<DebounceEventResult>) {
        const HEAVY: [&str; 4] = [
            "coes.json",
            "action-items/index.html",
            "sitemap.xml",
            "digest/atom.xml",
        ];
        let t = Instant::now();
        let Some(live) = self.live.as_mut() else {
            self.stale.clear();
            return;
        };
        let (heavy, light): (Vec<String>, Vec<String>) = std::mem::take(&mut self.stale)
            .into_iter()
            .partition(|p| HEAVY.contains(&p.as_str()));
        // Light pages in chunks too: a catch-up can leave hundreds of COE pages.
        let mut chunks: Vec<Vec<String>> =
            light.chunks(LIGHT_CHUNK).map(<[String]>::to_vec).collect();
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
            let mut pipeline = Pipeline::new(self.opts.clone());
            pipeline.render_live(live, &sink, &|p| wanted.contains(p));
            if pipeline.report.has_errors() {
                self.failed(pipeline.report, t);
                return;
            }
            done.extend(publish(&self.state, sink, self.timings));
        }
        self.progress(t.elapsed().as_millis() as u64);
        // The same generation: a page loaded in between must not reload for nothing (its
        // own page was in the first set).
        if !done.is_empty() {
            let _ = self
                .state
                .events
                .send(Event::Reload(self.generation, Some(done)));
        }
    }
}
