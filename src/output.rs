//! The one write sink: pages go to a staging folder that replaces the output only when the
//! whole build succeeded, or to memory (for `coe serve` and tests).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub trait Sink: Sync {
    /// Writes `bytes` at `rel` (`coe/x/index.html`), creating folders.
    fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()>;
}

/// Builds beside the target folder, then swaps it in. A failed build leaves the target untouched.
pub struct Staging {
    staging: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl Staging {
    pub fn new(target: &Path) -> io::Result<Staging> {
        let parent = target
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)?;
        let name = target
            .file_name()
            .map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned());
        let staging = parent.join(format!(".{name}.coe-staging-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging)?;
        }
        std::fs::create_dir_all(&staging)?;
        Ok(Staging {
            staging,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.staging
    }

    /// Replaces the target with the staged output.
    pub fn commit(mut self) -> io::Result<()> {
        let old = self.staging.with_file_name(format!(
            "{}-old",
            self.staging
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        ));
        if self.target.exists() {
            std::fs::rename(&self.target, &old)?;
        }
        if let Err(e) = std::fs::rename(&self.staging, &self.target) {
            // Put the previous output back.
            if old.exists() {
                let _ = std::fs::rename(&old, &self.target);
            }
            return Err(e);
        }
        self.committed = true;
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

impl Sink for Staging {
    fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.staging.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, bytes)
    }
}

/// Keeps the site in memory.
#[derive(Default)]
pub struct Memory {
    pub files: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl Sink for Memory {
    fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        self.files
            .lock()
            .map_err(|_| io::Error::other("poisoned"))?
            .insert(rel.to_owned(), bytes.to_vec());
        Ok(())
    }
}
