//! Incremental rebuilds: edits to existing COEs, the edited pages first, the rest after.

use super::{Builder, publish, set_status, source_of};
use crate::content::Coe;
use crate::diag::Diagnostic;
use crate::library::Library;
use crate::output::Memory;
use crate::render;
use crate::search;
use crate::serve::{Event, Status};
use crate::site::BuildReport;
use crate::site::plan;
use axum::body::Bytes;
use notify_debouncer_full::DebounceEventResult;
use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::Instant;

/// Follow-up pages rendered between two looks for a waiting change.
const LIGHT_CHUNK: usize = 64;

/// More changed files than this in one batch: a full build.
const MAX_INCREMENTAL_FILES: usize = 16;

impl Builder {
    /// Rebuilds after edits to existing COE files. `false`: a full build is needed.
    pub(super) fn incremental(
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
        let today = crate::dates::today(None);
        if today != cache.lib.today {
            return false;
        }
        // Re-parse the changed files; each must be a COE of the last build, same id.
        let mut parsed = Vec::new();
        let mut report = BuildReport::default();
        // Each edited file's own warnings, for the status.
        let mut file_warnings = Vec::new();
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
                    // Its attachments are found and published by a full build.
                    if coe.slug != cache.all[n].slug
                        || !coe.attachments.is_empty()
                        || !cache.all[n].attachments.is_empty()
                    {
                        return false;
                    }
                    file_warnings.push((format!("content/{rel}"), warnings.len()));
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
        // Library positions of the edited COEs (drafts not served have none), with the
        // versions the pages show now.
        let published = |lib: &Library, c: &Coe| {
            lib.by_slug
                .get(&c.slug)
                .copied()
                .filter(|&i| lib.coes[i].source == c.source)
        };
        let olds: Vec<(usize, Coe)> = parsed
            .iter()
            .filter_map(|(_, c)| published(&cache.lib, c))
            .map(|i| (i, cache.lib.coes[i].clone()))
            .collect();
        let in_place = parsed
            .iter()
            .all(|(n, c)| same_structure(&cache.all[*n], c));
        let keeps_places = parsed.iter().all(|(n, c)| {
            let o = &cache.all[*n];
            o.date == c.date && o.published == c.published && o.status == c.status
        });
        let mut how = "in place";
        if !in_place && keeps_places {
            // Taxonomies, links or owners changed, every position stays: the library takes
            // the new COEs and rebuilds what derives from them.
            how = "replaced";
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
            if render::page_paths(&cache.lib, &cache.config) != cache.paths {
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
            let (mut lib, diags) = Library::build(all, self.opts.drafts, today);
            lib.synonyms = cache.lib.synonyms.clone();
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

        // The pages that showed what changed (`site::plan`, as `coe build` plans its rebuilds).
        let edited: Vec<(usize, &Coe)> = olds.iter().map(|(i, c)| (*i, c)).collect();
        let shape = plan::Shape::of(lib);
        let keys = plan::changes(&cache.shape, &shape, lib, &edited);
        let mut then = plan::pages(&cache.deps, &keys, &cache.paths);
        cache.shape = shape;
        // First what the author is looking at: the edited COEs' pages and the home page.
        let mut first: HashSet<String> = olds
            .iter()
            .map(|(i, _)| crate::urls::page(&crate::urls::coe(&lib.coes[*i].slug)))
            .chain([crate::urls::page("")])
            .filter(|p| then.contains(p))
            .collect();
        for (i, _) in &olds {
            cache.search.update_one(&mut cache.analyzer, lib, *i);
        }
        let t_similar = t.elapsed();

        // ...served and reloaded at once...
        let sink = Memory::default();
        let rendered = render::render_selected(
            lib,
            &cache.config,
            &cache.renderer,
            Some(&cache.search),
            &sink,
            &|p| first.contains(p),
        );
        report.diagnostics.extend(rendered.diagnostics);
        for (path, keys) in rendered.deps {
            cache.deps.record(path, keys);
        }
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
        self.served.edited(report.coes, file_warnings);
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
        self.behind.edited(&olds, t);
        for (i, _) in &olds {
            match search::export::fragment(lib, *i) {
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
            crate::errln!(
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
    pub(super) fn followup(&mut self, changes: &Receiver<DebounceEventResult>) {
        const HEAVY: [&str; 4] = [
            "coes.json",
            "action-items/index.html",
            "sitemap.xml",
            "digest/atom.xml",
        ];
        let t = Instant::now();
        let Some(cache) = self.cache.as_mut() else {
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
            let rendered = render::render_selected(
                &cache.lib,
                &cache.config,
                &cache.renderer,
                Some(&cache.search),
                &sink,
                &|p| wanted.contains(p),
            );
            for (path, keys) in rendered.deps {
                cache.deps.record(path, keys);
            }
            if rendered.diagnostics.iter().any(Diagnostic::is_error) {
                let report = BuildReport {
                    diagnostics: rendered.diagnostics,
                    ..BuildReport::default()
                };
                self.failed(report, t);
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

/// Nothing the `Library` derives from a COE changed: same id, dates, status, taxonomy values
/// (as written: the first spelling names a term), related ids, links and action-item owners.
/// The library can then take the new COE in place.
fn same_structure(a: &Coe, b: &Coe) -> bool {
    let related = |c: &Coe| {
        c.related
            .iter()
            .map(|r| r.value.clone())
            .collect::<Vec<_>>()
    };
    let links = |c: &Coe| c.links.iter().map(|l| l.target.clone()).collect::<Vec<_>>();
    let owners = |c: &Coe| {
        c.action_items
            .iter()
            .map(|a| a.owner.clone())
            .collect::<Vec<_>>()
    };
    a.slug == b.slug
        && a.id == b.id
        && a.source == b.source
        && a.date == b.date
        && a.published == b.published
        && a.status == b.status
        && a.severity == b.severity
        && a.services == b.services
        && a.tags == b.tags
        && a.root_causes == b.root_causes
        && a.teams == b.teams
        && a.authors == b.authors
        && a.reviewers == b.reviewers
        && related(a) == related(b)
        && links(a) == links(b)
        && owners(a) == owners(b)
}
