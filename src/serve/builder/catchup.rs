//! The catch-up after incremental builds: once no change is waiting, the search index takes
//! the edited COEs' new text, every COE's similar lists are computed again from it, the pages
//! whose similar lists changed are rendered again (as follow-up pages) and the search files
//! are exported again. Only files whose bytes changed are published and reloaded, so the site
//! ends up as a full build of the same files would make it.
//!
//! Every step after the index update gives way as soon as a change is waiting (the watcher's
//! flag, polled inside the long loops): a save is never held up by it, and the catch-up starts
//! again, from where it was, when the builder is idle again.

use super::Builder;
use crate::output::{Memory, Sink};
use crate::search;
use crate::serve::Event;
use axum::body::Bytes;
use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// What incremental builds have left behind the files being served.
#[derive(Default)]
pub struct Behind {
    /// Library position → the id its document has in the search index: documents to replace.
    index: BTreeMap<usize, String>,
    /// Every COE's similar and earlier COEs (and the pages that show them).
    similar: bool,
    /// The search files under `search/`.
    export: bool,
    /// When the last incremental build started.
    since: Option<Instant>,
}

impl Behind {
    /// Something is left to catch up.
    pub fn any(&self) -> bool {
        !self.index.is_empty() || self.similar || self.export
    }

    /// An incremental build served new versions of these COEs: (library position, the
    /// version served before).
    pub fn edited(&mut self, olds: &[(usize, crate::content::Coe)], started: Instant) {
        for (i, old) in olds {
            // Edited twice before a catch-up: the index still has the first version's id.
            self.index.entry(*i).or_insert_with(|| old.id.clone());
        }
        self.similar = true;
        self.export = true;
        self.since = Some(started);
    }
}

/// A sink that refuses writes once `stop` says so (the export then gives up).
struct Stoppable<'a> {
    sink: Memory,
    stop: search::similar::Stop<'a>,
}

impl Sink for Stoppable<'_> {
    fn write(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
        if (self.stop)() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "a change is waiting",
            ));
        }
        self.sink.write(rel, bytes)
    }
}

impl Builder {
    /// One step of the catch-up, or all of them when no change arrives meanwhile. The pages
    /// whose similar lists changed go to `stale`, for `followup`.
    pub(super) fn catch_up(&mut self) {
        let t = Instant::now();
        let waiting = self.waiting.clone();
        let stop = move || waiting.load(Ordering::Relaxed);
        let Some(live) = self.live.as_mut() else {
            self.behind = Behind::default();
            return;
        };
        let mut steps = Vec::new();

        // The index: the edited COEs' documents replaced (a few milliseconds).
        if !self.behind.index.is_empty() {
            let edited: Vec<(usize, String)> =
                std::mem::take(&mut self.behind.index).into_iter().collect();
            if let Err(e) = live.update_index(&edited) {
                crate::errln!(
                    "warning: cannot update the search index ({e}): rebuilding everything"
                );
                self.full();
                return;
            }
            self.behind.similar = true;
            self.behind.export = true;
            steps.push(("index", t.elapsed()));
        }

        // Every COE's similar COEs, from the index as it is now; the pages that showed a list
        // that changed are rendered again.
        if self.behind.similar {
            let t = Instant::now();
            match live.similar_again(&stop) {
                Ok(Some(pages)) => self.stale.extend(pages),
                Ok(None) => return,
                Err(e) => {
                    crate::errln!(
                        "warning: cannot read the search index ({e}): rebuilding everything"
                    );
                    self.full();
                    return;
                }
            }
            self.behind.similar = false;
            steps.push(("similar", t.elapsed()));
        }

        // The search files, exported again; the ones that changed are published together.
        if self.behind.export {
            let t = Instant::now();
            let sink = Stoppable {
                sink: Memory::default(),
                stop: &stop,
            };
            if let Err(e) = live.export(&sink, &stop) {
                if !stop() {
                    crate::errln!("warning: cannot write the search index: {e}");
                    self.behind.export = false;
                }
                return;
            }
            let written = sink.sink.files.into_inner().unwrap_or_default();
            let mut changed = Vec::new();
            if let Ok(mut site) = self.state.files.write() {
                // Shards past the new last one (the terms moved) are gone from a full build.
                let kept: HashSet<&String> = written.keys().collect();
                let gone: Vec<String> = site
                    .keys()
                    .filter(|k| {
                        ["search/t/", "search/d/", "search/facets/"]
                            .iter()
                            .any(|p| k.starts_with(p))
                            && !kept.contains(k)
                    })
                    .cloned()
                    .collect();
                for k in gone {
                    site.remove(&k);
                    changed.push(k);
                }
                for (k, v) in written {
                    if site.get(&k).is_some_and(|old| old[..] == v[..]) {
                        continue;
                    }
                    changed.push(k.clone());
                    site.insert(k, Bytes::from(v));
                }
            }
            if !changed.is_empty() {
                // An open search page has the old index.json: it reloads too.
                changed.push("search/index.html".to_owned());
                let _ = self
                    .state
                    .events
                    .send(Event::Reload(self.generation, Some(changed)));
            }
            self.behind.export = false;
            steps.push(("export", t.elapsed()));
        }
        if self.timings && !steps.is_empty() {
            crate::errln!(
                "catch-up: {steps:?}, {} pages to render again",
                self.stale.len()
            );
        }
        self.progress(0);
    }

    /// Updates the status after follow-up or catch-up work (`millis` spent on follow-up pages).
    pub(super) fn progress(&mut self, millis: u64) {
        let complete = self.stale.is_empty();
        let caught_up = complete && !self.behind.any();
        let since = if caught_up {
            self.behind.since.take()
        } else {
            None
        };
        if let Ok(mut s) = self.state.status.write() {
            s.followup_millis += millis;
            s.complete = complete;
            if caught_up && !s.caught_up {
                s.catchup_millis = since.map_or(0, |t| t.elapsed().as_millis() as u64);
            }
            s.caught_up = caught_up;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behind_until_caught_up() {
        let mut b = Behind::default();
        assert!(!b.any());
        b.similar = true;
        assert!(b.any());
    }
}
