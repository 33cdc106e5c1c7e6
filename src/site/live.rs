//! A site kept in memory between builds (`coe serve`): the last good build's inputs and
//! products ([`Live`]), and the pipeline's stages for changing it after edits to existing
//! COEs, in the same order as a build: **load** the edited files, update the **library**, plan
//! the pages (`plan.rs`, as `coe build` does), update the edited COEs' **similar** lists,
//! **render** chosen pages. What an update leaves behind (the search index, the other COEs'
//! similar lists, the search files) is caught up by [`Live::update_index`],
//! [`Live::similar_again`] and [`Live::export`]. `coe serve` decides only when each runs.

use super::{IndexAt, Loaded, Pipeline, plan, state};
use crate::config::Config;
use crate::content::Coe;
use crate::diag::Diagnostic;
use crate::incremental::deps::PageDeps;
use crate::library::Library;
use crate::load::{MemoryCache, Parses};
use crate::output::Sink;
use crate::render::{self, Renderer};
use crate::search::{self, SearchData, Similarities};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// More edited files than this in one update: build everything.
const MAX_EDITED_FILES: usize = 16;

/// A built site's inputs and products, kept to update it.
pub struct Live {
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
    /// What each page showed when it was rendered (the planner's input).
    deps: PageDeps,
    /// What the library made of the COEs (the planner's other input).
    shape: plan::Shape,
}

/// What [`Pipeline::build_live`] made besides the pages.
pub struct Built {
    /// `None` when the templates or the index cannot serve updates: the next change is a
    /// full build.
    pub live: Option<Live>,
    /// The parse stage's own diagnostics (each file's).
    pub parse_diagnostics: Vec<Diagnostic>,
}

/// What [`Pipeline::update`] did with some edited files.
pub enum Update {
    /// Not edits a live site can take (a new, removed or renamed COE, a new id, attachments,
    /// another day, an order or a set of pages changed): build everything again. The live site
    /// may hold part of the edits: drop it.
    Rebuild,
    /// The edits have errors (in the pipeline's report); the live site is unchanged.
    Failed,
    /// The library took the edits.
    Edited(Edited),
}

pub struct Edited {
    /// The edited COEs that are published: (library position, the version shown before).
    pub olds: Vec<(usize, Coe)>,
    /// Every page the edits change.
    pub pages: HashSet<String>,
    /// Each edited file's own warning count, by its display path.
    pub file_warnings: Vec<(String, usize)>,
    /// How the library took the edits: "in place", "replaced" or "library rebuilt".
    pub how: &'static str,
}

impl Pipeline {
    /// Every stage but commit, into `sink` (memory), keeping the parses in `parses` and what
    /// updates need in [`Built::live`]. `None` when the build has errors (in the report).
    pub fn build_live(&mut self, parses: &mut MemoryCache, sink: &dyn Sink) -> Option<Built> {
        self.keep_parsed = true;
        let Loaded {
            config,
            lib,
            parsed: all,
            parse_diagnostics,
            attachments,
            ..
        } = self.load(Parses::Memory(parses), false)?;
        let search = self.index(&lib, IndexAt::Memory)?;
        let renderer = self.renderer(&config, &lib)?;
        let rendered = self.render_using(
            &renderer,
            &config,
            &lib,
            Some(&search),
            sink,
            None,
            &attachments,
        );
        if self.report.has_errors() {
            return None;
        }
        let analyzer = search::similar::analyzer(&search.index).ok();
        let live = analyzer.map(|analyzer| {
            let mut deps = PageDeps::default();
            for (path, keys) in rendered {
                deps.record(path, keys);
            }
            Live {
                paths: render::page_paths(&lib, &config),
                deps,
                shape: plan::Shape::of(&lib),
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
            }
        });
        Some(Built {
            live,
            parse_diagnostics,
        })
    }

    /// Stages load, library, plan and similar for edits to existing COE files (`files`, under
    /// `<root>/content/`): the live site takes them, and says which pages they change.
    pub fn update(&mut self, live: &mut Live, files: &[PathBuf]) -> Update {
        if files.is_empty() || files.len() > MAX_EDITED_FILES {
            return Update::Rebuild;
        }
        if crate::dates::today(self.opts.today) != live.lib.today {
            return Update::Rebuild;
        }
        let t = Instant::now();
        let content = self.opts.root.join("content");
        let Some((parsed, file_warnings)) = self.reparse(live, &content, files) else {
            return Update::Rebuild;
        };
        self.report.stage(("load", t.elapsed()));
        if self.report.has_errors() {
            self.report.coes = live.lib.coes.len();
            return Update::Failed;
        }

        let t = Instant::now();
        // Library positions of the edited COEs (drafts not published have none), with the
        // versions the pages show now.
        let olds: Vec<(usize, Coe)> = parsed
            .iter()
            .filter_map(|(_, c)| published(&live.lib, c))
            .map(|i| (i, live.lib.coes[i].clone()))
            .collect();
        let how = match self.take_edits(live, parsed) {
            Some(Ok(how)) => how,
            Some(Err(())) => return Update::Failed,
            None => return Update::Rebuild,
        };
        self.report.coes = live.lib.coes.len();
        self.report.stage(("library", t.elapsed()));

        // The pages that showed what changed, as `coe build` plans its rebuilds.
        let t = Instant::now();
        let edited: Vec<(usize, &Coe)> = olds.iter().map(|(i, c)| (*i, c)).collect();
        let shape = plan::Shape::of(&live.lib);
        let keys = plan::changes(&live.shape, &shape, &live.lib, &edited);
        let pages = plan::pages(&live.deps, &keys, &live.paths);
        live.shape = shape;
        self.report.stage(("plan", t.elapsed()));

        // The edited COEs' similar lists from their new text; the index and the other COEs'
        // lists are caught up later.
        let t = Instant::now();
        for (i, _) in &olds {
            live.search.update_one(&mut live.analyzer, &live.lib, *i);
        }
        self.report.stage(("similar", t.elapsed()));
        Update::Edited(Edited {
            olds,
            pages,
            file_warnings,
            how,
        })
    }

    /// The edited files parsed again: (position in `live.all`, the new COE), and each file's
    /// warning count; their errors go to the report. `None`: a file is not one of the live
    /// site's COEs as it was (same id, no attachments).
    #[allow(clippy::type_complexity)]
    fn reparse(
        &mut self,
        live: &Live,
        content: &Path,
        files: &[PathBuf],
    ) -> Option<(Vec<(usize, Coe)>, Vec<(String, usize)>)> {
        let mut parsed = Vec::new();
        let mut file_warnings = Vec::new();
        for path in files {
            let rel = source_of(content, path)?;
            let &n = live.by_source.get(&rel)?;
            if !path.is_file() {
                return None;
            }
            let shown = format!("content/{rel}");
            match crate::content::load_file(path, &rel, &shown) {
                Ok((coe, warnings)) => {
                    // Attachments are found and published by a full build.
                    let was = &live.all[n];
                    if coe.slug != was.slug
                        || !coe.attachments.is_empty()
                        || !was.attachments.is_empty()
                    {
                        return None;
                    }
                    file_warnings.push((shown, warnings.len()));
                    self.report.diagnostics.extend(warnings);
                    parsed.push((n, coe));
                }
                Err(errors) => self.report.diagnostics.extend(errors),
            }
        }
        Some((parsed, file_warnings))
    }

    /// The library takes the new COEs: in place when nothing it derives from them changed,
    /// replacing them when every position stays, else built again (same order and pages
    /// required). `None`: rebuild everything; `Some(Err)`: errors, in the report.
    fn take_edits(
        &mut self,
        live: &mut Live,
        parsed: Vec<(usize, Coe)>,
    ) -> Option<Result<&'static str, ()>> {
        let in_place = parsed.iter().all(|(n, c)| same_structure(&live.all[*n], c));
        if in_place {
            for (n, coe) in parsed {
                if let Some(i) = published(&live.lib, &coe) {
                    live.lib.coes[i] = coe.clone();
                }
                live.all[n] = coe;
            }
            return Some(Ok("in place"));
        }
        let keeps_places = parsed.iter().all(|(n, c)| {
            let o = &live.all[*n];
            o.date == c.date && o.published == c.published && o.status == c.status
        });
        if keeps_places {
            // Taxonomies, links or owners changed, every position stays: the library takes
            // the new COEs and rebuilds what derives from them.
            let mut positions = Vec::new();
            for (n, coe) in &parsed {
                live.all[*n] = coe.clone();
                positions.push(published(&live.lib, coe));
            }
            for ((_, coe), i) in parsed.into_iter().zip(positions) {
                let Some(i) = i else { continue };
                let diags = live.lib.replace(i, coe, &live.all)?;
                self.report.diagnostics.extend(diags);
            }
            if render::page_paths(&live.lib, &live.config) != live.paths {
                return None;
            }
            return Some(Ok("replaced"));
        }
        let mut all = live.all.clone();
        for (n, coe) in &parsed {
            all[*n] = coe.clone();
        }
        let (mut lib, diags) = Library::build(all, self.opts.drafts, live.lib.today);
        lib.synonyms = live.lib.synonyms.clone();
        self.report.diagnostics.extend(diags);
        if self.report.has_errors() {
            self.report.coes = lib.coes.len();
            return Some(Err(()));
        }
        let same_order = lib.coes.len() == live.lib.coes.len()
            && lib
                .coes
                .iter()
                .zip(&live.lib.coes)
                .all(|(a, b)| a.slug == b.slug);
        if !same_order || render::page_paths(&lib, &live.config) != live.paths {
            return None;
        }
        live.lib = lib;
        for (n, coe) in parsed {
            live.all[n] = coe;
        }
        Some(Ok("library rebuilt"))
    }

    /// Stage render, for the live site's pages that `wanted` picks, into `sink`; what they
    /// show is recorded for the next plan.
    pub fn render_live(
        &mut self,
        live: &mut Live,
        sink: &dyn Sink,
        wanted: &(dyn Fn(&str) -> bool + Sync),
    ) {
        let t = Instant::now();
        let rendered = render::render_selected(
            &live.lib,
            &live.config,
            &live.renderer,
            Some(&live.search),
            sink,
            wanted,
        );
        self.report.diagnostics.extend(rendered.diagnostics);
        self.report.files += rendered.files;
        for (path, keys) in rendered.deps {
            live.deps.record(path, keys);
        }
        self.report.stage(("render", t.elapsed()));
    }
}

impl Live {
    /// The search fragments of the edited COEs (what the search page shows of them).
    pub fn fragments(&self, olds: &[(usize, Coe)]) -> Vec<std::io::Result<(String, Vec<u8>)>> {
        olds.iter()
            .map(|(i, _)| search::export::fragment(&self.lib, *i))
            .collect()
    }

    /// The index takes the edited COEs' new text: (library position, the id its document has
    /// in the index).
    pub fn update_index(&mut self, edited: &[(usize, String)]) -> tantivy::Result<()> {
        search::index::update(&self.search.index, &self.search.fields, &self.lib, edited)
    }

    /// Every COE's similar lists from the index as it is now; returns the pages that showed a
    /// list that changed, or `None` when `stop` said so first.
    pub fn similar_again(
        &mut self,
        stop: search::similar::Stop,
    ) -> tantivy::Result<Option<HashSet<String>>> {
        let Some(new) =
            Similarities::compute(&self.lib, &self.search.index, &self.search.fields, stop)?
        else {
            return Ok(None);
        };
        let shows =
            |s: &[Vec<search::similar::Similar>], e: &[Vec<search::similar::Similar>], j: usize| {
                Some((
                    state::similar_view(s.get(j)?),
                    state::earlier_view(e.get(j)?),
                ))
            };
        let keys = plan::similar_changes(
            self.lib.coes.len(),
            |j| shows(&self.search.similar, &self.search.earlier, j),
            |j| shows(&new.similar, &new.earlier, j),
        );
        let pages = self.deps.showing(&keys);
        self.search.similarity = new.similarity;
        self.search.similar = new.similar;
        self.search.earlier = new.earlier;
        Ok(Some(pages))
    }

    /// Stage export: the search files into `sink`, until `stop` says so.
    pub fn export(&self, sink: &dyn Sink, stop: search::similar::Stop) -> std::io::Result<()> {
        search::export::export_until(&self.lib, &self.search, sink, stop, None).map(|_| ())
    }

    /// The COEs served.
    pub fn coes(&self) -> usize {
        self.lib.coes.len()
    }

    /// Whether the site depends on `path` under `content/`, which is not a COE file: a file a
    /// COE shows or links to, or a folder holding COEs or such files (renamed or removed).
    /// Other files (a picture not referenced yet, notes) change nothing the site shows.
    pub fn uses(&self, content: &Path, path: &Path) -> bool {
        let Some(rel) = source_of(content, path) else {
            return true;
        };
        let at_or_under = |p: &str| {
            p.strip_prefix(rel.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        self.all
            .iter()
            .any(|c| at_or_under(&c.source) || c.attachments.iter().any(|a| at_or_under(&a.target)))
    }
}

/// The position of `c` in the library, when it is published there.
fn published(lib: &Library, c: &Coe) -> Option<usize> {
    lib.by_slug
        .get(&c.slug)
        .copied()
        .filter(|&i| lib.coes[i].source == c.source)
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
