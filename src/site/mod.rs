//! The site: the options and report of a run, and the one [`Pipeline`] of stages that every
//! command uses (`pipeline.rs`); the planner of incremental rebuilds (`plan.rs`, also used by
//! `coe serve`) and selective rebuilds (`selective.rs`, `state.rs`); the entry of the commands
//! that read the library (`open.rs`).

mod attachments;
mod live;
pub mod open;
mod pipeline;
pub mod plan;
mod selective;
pub mod state;

use crate::diag::Diagnostic;
pub use live::{Built, Edited, Live, Update};
pub use pipeline::{IndexAt, Loaded, Pipeline, Selection};
use std::path::PathBuf;
use std::time::Duration;

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
    /// Draft and in-review COEs left out (published with `--drafts`).
    pub drafts_skipped: usize,
    /// The parse cache (`.coe/parsed.idx`) being written in the background: wait for it before
    /// the process exits (dropping the report waits too).
    pub parse_cache_write: Option<crate::load::CacheWrite>,
}

impl BuildReport {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Records a stage's time (and, with `COE_TIMINGS`, prints the memory after it).
    pub(crate) fn stage(&mut self, (name, took): (&'static str, Duration)) {
        self.stages.push((name, took));
        crate::timing::memory_after(name);
    }
}

/// `coe build`: [`Pipeline::build`].
pub fn build(opts: &BuildOptions) -> BuildReport {
    Pipeline::new(opts.clone()).build()
}
