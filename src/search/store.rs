//! The index on disk in `<root>/.coe/index/`: a build artefact, rebuilt when content changes.
//! Each build writes a fresh folder and swaps it in, so concurrent builds never see half an index.

use super::schema::{self, Fields};
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use tantivy::Index;

const FINGERPRINT_FILE: &str = "coe-fingerprint";

/// Part of every fingerprint: change it whenever the index's schema, tokenizers or tantivy
/// codecs change (e.g. zstd-compressed dictionaries, which this build cannot read), so an
/// index written by another build of coe is rebuilt rather than read.
const INDEX_FORMAT: &str = "tantivy-0.27/lz4/no-zstd/schema-2";

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
/// This runs before every `coe search`: folders are listed and their files stat'ed in parallel,
/// each file through its folder's handle (`DirEntry::metadata`, no path lookup); at 10,000 COEs
/// the listing and the stats are ~25 ms of kernel time on one core.
pub fn fingerprint(content_dir: &Path, drafts: bool) -> String {
    let mut files = stamps(content_dir, "");
    files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.write(env!("CARGO_PKG_VERSION").as_bytes());
    h.write(INDEX_FORMAT.as_bytes());
    h.write(&[u8::from(drafts)]);
    for (rel, len, mtime) in &files {
        h.write(rel.as_bytes());
        h.write(&len.to_le_bytes());
        h.write(&mtime.to_le_bytes());
    }
    format!("{:016x}", h.finish())
}

/// (path under `dir`, size, mtime in ns) of every file below `dir`, hidden ones left out.
/// Symbolic links are followed for the stamp, not for listing.
fn stamps(dir: &Path, rel: &str) -> Vec<(String, u64, u128)> {
    use rayon::prelude::*;
    let Ok(listing) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in listing.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = if rel.is_empty() {
            name.into_owned()
        } else {
            format!("{rel}/{name}")
        };
        match entry.file_type() {
            Ok(t) if t.is_dir() => dirs.push((entry.path(), path)),
            _ => files.push((entry, path)),
        }
    }
    let stamp = |m: std::fs::Metadata| {
        let mtime = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        (m.len(), mtime)
    };
    let mut out: Vec<(String, u64, u128)> = files
        .into_par_iter()
        .with_min_len(256)
        .map(|(entry, path)| {
            let meta = match entry.file_type() {
                Ok(t) if t.is_symlink() => std::fs::metadata(entry.path()),
                _ => entry.metadata(),
            };
            let (len, mtime) = meta.map_or((0, 0), stamp);
            (path, len, mtime)
        })
        .collect();
    let nested: Vec<Vec<(String, u64, u128)>> = dirs
        .par_iter()
        .map(|(path, rel)| stamps(path, rel))
        .collect();
    out.extend(nested.into_iter().flatten());
    out
}

/// Opens the index if it is there, readable and built from the same content.
pub fn open_fresh(root: &Path, fingerprint: &str) -> Option<(Index, Fields)> {
    let (index, fields, stored) = open_stored(root)?;
    (stored == fingerprint).then_some((index, fields))
}

/// Opens the index on disk, whatever content it was built from, with that content's
/// fingerprint.
pub fn open_stored(root: &Path) -> Option<(Index, Fields, String)> {
    let dir = index_dir(root);
    let stored = std::fs::read_to_string(dir.join(FINGERPRINT_FILE)).ok()?;
    let index = Index::open_in_dir(&dir).ok()?;
    super::stem::register(&index);
    let fields = schema::fields_of(&index.schema()).ok()?;
    // A corrupt index fails here rather than in the middle of a query.
    super::searcher(&index).ok()?;
    Some((index, fields, stored.trim().to_owned()))
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
