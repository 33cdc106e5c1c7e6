//! The index on disk in `<root>/.coe/index/`: a build artefact, rebuilt when content changes.
//! Each build writes a fresh folder and swaps it in, so concurrent builds never see half an index.

use super::schema::{self, Fields};
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use tantivy::Index;

const FINGERPRINT_FILE: &str = "coe-fingerprint";

pub fn index_dir(root: &Path) -> PathBuf {
    root.join(".coe").join("index")
}

/// FNV-1a: stable across Rust versions, unlike `DefaultHasher`.
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x100_0000_01b3);
        }
    }
}

/// Changes whenever a content file is added, removed, renamed or modified, or the options differ.
pub fn fingerprint(content_dir: &Path, drafts: bool) -> String {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.write(env!("CARGO_PKG_VERSION").as_bytes());
    h.write(&[u8::from(drafts)]);
    let mut ignored = Vec::new();
    for (path, rel) in crate::load::find_files(content_dir, &mut ignored) {
        h.write(rel.as_bytes());
        if let Ok(meta) = std::fs::metadata(&path) {
            h.write(&meta.len().to_le_bytes());
            if let Ok(m) = meta.modified().and_then(|m| {
                m.duration_since(std::time::UNIX_EPOCH)
                    .map_err(std::io::Error::other)
            }) {
                h.write(&m.as_nanos().to_le_bytes());
            }
        }
    }
    format!("{:016x}", h.finish())
}

/// Opens the index if it is there, readable and built from the same content.
pub fn open_fresh(root: &Path, fingerprint: &str) -> Option<(Index, Fields)> {
    let dir = index_dir(root);
    let stored = std::fs::read_to_string(dir.join(FINGERPRINT_FILE)).ok()?;
    if stored.trim() != fingerprint {
        return None;
    }
    let index = Index::open_in_dir(&dir).ok()?;
    let fields = schema::fields_of(&index.schema()).ok()?;
    // A corrupt index fails here rather than in the middle of a query.
    super::searcher(&index).ok()?;
    Some((index, fields))
}

/// A new, empty folder for an index being built, next to where it will live.
pub fn fresh_dir(root: &Path) -> std::io::Result<PathBuf> {
    let base = root.join(".coe");
    std::fs::create_dir_all(&base)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = base.join(format!("index-new-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Marks a finished index with its fingerprint and moves it into place.
pub fn install(root: &Path, built: &Path, fingerprint: &str) -> std::io::Result<()> {
    std::fs::write(built.join(FINGERPRINT_FILE), fingerprint)?;
    let target = index_dir(root);
    let old = built.with_file_name(format!("index-old-{}", std::process::id()));
    if target.exists() {
        std::fs::rename(&target, &old)?;
    }
    let result = std::fs::rename(built, &target);
    if old.exists() {
        let _ = std::fs::remove_dir_all(&old);
    }
    result
}
