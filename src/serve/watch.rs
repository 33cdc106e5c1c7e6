//! Watching the site root: `content/`, `templates/`, `static/`, `themes/` and `coe.toml`,
//! debounced, with editors' temporary files ignored.

use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// Events closer together than this are one change.
pub const DEBOUNCE: Duration = Duration::from_millis(100);

const FOLDERS: [&str; 4] = ["content", "templates", "static", "themes"];

pub struct Watch {
    root: PathBuf,
    debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
    watched: HashSet<PathBuf>,
    waiting: Arc<AtomicBool>,
}

/// Starts watching `root`; events arrive on the receiver.
pub fn start(root: &Path) -> anyhow::Result<(Receiver<DebounceEventResult>, Watch)> {
    let (tx, rx) = channel();
    let root = std::path::absolute(root)?;
    let waiting = Arc::new(AtomicBool::new(false));
    let (flag, at) = (waiting.clone(), root.clone());
    let handler = move |result: DebounceEventResult| {
        // Sent first: whoever sees the flag finds the change in the channel.
        let relevant = Changes::relevant(&at, &result);
        let _ = tx.send(result);
        if relevant {
            flag.store(true, Ordering::SeqCst);
        }
    };
    let debouncer = new_debouncer(DEBOUNCE, None, handler)?;
    let mut watch = Watch {
        root: root.clone(),
        debouncer,
        watched: HashSet::new(),
        waiting,
    };
    // The root itself, not recursively: coe.toml (editors replace it, so watching the file
    // would lose it) and folders created later.
    watch
        .debouncer
        .watch(&root, RecursiveMode::NonRecursive)
        .map_err(|e| anyhow::anyhow!("cannot watch {}: {e}", root.display()))?;
    watch.ensure();
    Ok((rx, watch))
}

impl Watch {
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Set when a change that needs a build arrives (editors' files aside); whoever waits for
    /// changes clears it before looking at the channel. Long work polls it to give way.
    pub fn waiting(&self) -> Arc<AtomicBool> {
        self.waiting.clone()
    }

    /// Watches each folder that exists and is not watched yet (created since, or recreated).
    pub fn ensure(&mut self) {
        for name in FOLDERS {
            let dir = self.root.join(name);
            if !dir.is_dir() {
                self.watched.remove(&dir);
                continue;
            }
            if self.watched.contains(&dir) {
                continue;
            }
            match self.debouncer.watch(&dir, RecursiveMode::Recursive) {
                Ok(()) => {
                    self.watched.insert(dir);
                }
                Err(e) => crate::errln!("warning: cannot watch {}: {e}", dir.display()),
            }
        }
    }
}

/// What a batch of events means for the build.
#[derive(Debug, Default)]
pub struct Changes {
    /// Something only a full rebuild handles (config, templates, a folder, a watcher error).
    pub full: bool,
    /// COE files (absolute paths) saved, created or removed.
    pub coes: BTreeSet<PathBuf>,
    /// Other files under `content/` (absolute paths) saved, created or removed: a build is
    /// needed only when the site shows them (a COE's picture) or they were folders.
    pub others: BTreeSet<PathBuf>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        !self.full && self.coes.is_empty() && self.others.is_empty()
    }

    /// Whether these events need a build.
    pub fn relevant(root: &Path, result: &DebounceEventResult) -> bool {
        let Ok(events) = result else {
            return true;
        };
        let mut c = Changes::default();
        for event in events.iter().filter(|e| !e.kind.is_access()) {
            for path in &event.paths {
                c.add_path(root, path);
                if !c.is_empty() {
                    return true;
                }
            }
        }
        false
    }

    pub fn add(&mut self, root: &Path, result: DebounceEventResult) {
        match result {
            Ok(events) => {
                for event in events {
                    if event.kind.is_access() {
                        continue;
                    }
                    for path in &event.paths {
                        self.add_path(root, path);
                    }
                }
            }
            // Lost events (a full queue, a folder that went away): rebuild everything.
            Err(_) => self.full = true,
        }
    }

    fn add_path(&mut self, root: &Path, path: &Path) {
        let Ok(rel) = path.strip_prefix(root) else {
            return;
        };
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let Some(top) = parts.first() else {
            return;
        };
        if parts.iter().any(|p| ignored(p)) {
            return;
        }
        // vim's `4913` probe file (a folder named `2024` is a folder).
        if parts.len() > 1
            && parts
                .last()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            && !path.is_dir()
        {
            return;
        }
        match top.as_str() {
            "coe.toml" if parts.len() == 1 => self.full = true,
            "templates" | "static" | "themes" => self.full = true,
            "content" if parts.len() > 1 => {
                let name = parts.last().map_or("", String::as_str).to_ascii_lowercase();
                if name.ends_with(".md") || name.ends_with(".markdown") {
                    if !name.starts_with('_') {
                        self.coes.insert(path.to_path_buf());
                    }
                } else if path.is_dir() {
                    // A folder created or renamed here (its COEs moved with it).
                    self.full = true;
                } else {
                    // A file a COE may show (a picture beside it), or a folder renamed away
                    // or removed: the builder asks the live site whether it uses it.
                    self.others.insert(path.to_path_buf());
                }
            }
            "content" => self.full = true,
            _ => {}
        }
    }
}

/// Editors' temporary and backup files, and hidden files (which the build skips too):
/// `.foo.md.swp`, `foo.md~`, `#foo.md#`, `foo.md.tmp`.
pub fn ignored(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || [".swp", ".swx", ".swo", ".tmp", ".crswap", ".kate-swp"]
            .iter()
            .any(|ext| name.ends_with(ext))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_files_are_ignored() {
        for name in [".foo.md.swp", "foo.md~", "#foo.md#", "foo.md.tmp", ".git"] {
            assert!(ignored(name), "{name}");
        }
        for name in ["foo.md", "COE-2024-017.md", "2024", "coe.toml"] {
            assert!(!ignored(name), "{name}");
        }
    }

    #[test]
    fn changes_are_classified() {
        let root = Path::new("/site");
        let mut c = Changes::default();
        c.add_path(root, Path::new("/site/content/2024/a.md"));
        c.add_path(root, Path::new("/site/content/2024/.a.md.swp"));
        c.add_path(root, Path::new("/site/content/2024/4913"));
        c.add_path(root, Path::new("/site/public/index.html"));
        c.add_path(root, Path::new("/site/content/2024/_index.md"));
        assert!(!c.full);
        assert_eq!(c.coes.len(), 1);
        c.add_path(root, Path::new("/site/coe.toml"));
        assert!(c.full);
        let mut c = Changes::default();
        c.add_path(root, Path::new("/site/templates/coe.html"));
        assert!(c.full);
        let mut c = Changes::default();
        c.add_path(root, Path::new("/site/.coe/index/meta.json"));
        assert!(c.is_empty());
    }
}
