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
const INDEX_FORMAT: &str = "tantivy-0.27/lz4/no-zstd/schema-4";

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
/// each file through its folder's handle (`DirEntry::metadata`, no path lookup), and each
/// file's (path, size, mtime) hashed on its own; the hashes are summed, so no list of paths is
/// built or sorted. At 10,000 COEs the listing and the stats are ~25 ms of kernel time on one core.
pub fn fingerprint(content_dir: &Path, drafts: bool) -> String {
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    h.write(env!("CARGO_PKG_VERSION").as_bytes());
    h.write(INDEX_FORMAT.as_bytes());
    h.write(&[u8::from(drafts)]);
    let (files, sum) = stamps(content_dir, "");
    h.write(&files.to_le_bytes());
    h.write(&sum.to_le_bytes());
    format!("{:016x}", h.finish())
}

/// How many files are below `dir` (hidden ones left out) and the wrapping sum of the hashes of
/// their (path under `dir`, size, mtime). Symbolic links are followed for the stamp, not for
/// listing.
fn stamps(dir: &Path, rel: &str) -> (u64, u64) {
    use rayon::prelude::*;
    let Ok(listing) = std::fs::read_dir(dir) else {
        return (0, 0);
    };
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for entry in listing.flatten() {
        let name = entry.file_name();
        if name.as_encoded_bytes().first() == Some(&b'.') {
            continue;
        }
        match entry.file_type() {
            Ok(t) if t.is_dir() => {
                let name = name.to_string_lossy();
                let nested = if rel.is_empty() {
                    name.into_owned()
                } else {
                    format!("{rel}/{name}")
                };
                dirs.push((entry.path(), nested));
            }
            _ => files.push(entry),
        }
    }
    let (n, sum) = files
        .par_iter()
        .with_min_len(256)
        .map(|entry| {
            let meta = match entry.file_type() {
                Ok(t) if t.is_symlink() => std::fs::metadata(entry.path()),
                _ => entry.metadata(),
            };
            let (len, mtime) = meta.map_or((0, 0), |m| {
                let mtime = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                (m.len(), mtime)
            });
            let mut h = Fnv(0xcbf2_9ce4_8422_2325);
            h.write(rel.as_bytes());
            h.write(b"/");
            h.write(entry.file_name().as_encoded_bytes());
            h.write(&len.to_le_bytes());
            h.write(&mtime.to_le_bytes());
            (1u64, mix(h.finish()))
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1.wrapping_add(b.1)));
    let (m, nested) = dirs
        .par_iter()
        .map(|(path, rel)| stamps(path, rel))
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1.wrapping_add(b.1)));
    (n + m, sum.wrapping_add(nested))
}

/// Spreads a hash's bits (splitmix64's finaliser) before it is summed with others.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
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

/// Records that the index in place now holds the content with this fingerprint (after it was
/// updated in place).
pub fn mark_fresh(root: &Path, fingerprint: &str) -> std::io::Result<()> {
    let dir = index_dir(root);
    let tmp = dir.join(format!("{FINGERPRINT_FILE}.tmp{}", std::process::id()));
    std::fs::write(&tmp, fingerprint)?;
    std::fs::rename(tmp, dir.join(FINGERPRINT_FILE))
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

#[cfg(test)]
mod tests {
    use super::fingerprint;

    #[test]
    fn fingerprint_changes_with_every_kind_of_change_and_only_then() {
        let dir = tempfile::tempdir().expect("tempdir");
        let content = dir.path().join("content");
        std::fs::create_dir_all(content.join("2024")).expect("mkdir");
        std::fs::write(content.join("2024/a.md"), "alpha").expect("write");
        std::fs::write(content.join("2024/b.md"), "beta").expect("write");
        std::fs::write(content.join("top.md"), "top").expect("write");
        let mut seen = vec![fingerprint(&content, false)];
        assert_eq!(fingerprint(&content, false), seen[0], "nothing changed");
        assert_ne!(fingerprint(&content, true), seen[0], "drafts");
        let mut check = |what: &str| {
            let f = fingerprint(&content, false);
            assert!(!seen.contains(&f), "{what}: fingerprint did not change");
            seen.push(f);
        };
        std::fs::write(content.join("2024/a.md"), "alphA").expect("write");
        let past = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        std::fs::File::options()
            .write(true)
            .open(content.join("2024/a.md"))
            .and_then(|f| f.set_modified(past))
            .expect("mtime");
        check("same size, other mtime");
        std::fs::rename(content.join("2024/b.md"), content.join("2024/c.md")).expect("mv");
        check("renamed");
        std::fs::create_dir_all(content.join("2025")).expect("mkdir");
        std::fs::rename(content.join("2024/c.md"), content.join("2025/c.md")).expect("mv");
        check("moved to another folder");
        std::fs::write(content.join("2025/d.md"), "delta").expect("write");
        check("added");
        std::fs::remove_file(content.join("top.md")).expect("rm");
        check("removed");
        std::fs::write(content.join(".hidden.md"), "x").expect("write");
        assert_eq!(
            fingerprint(&content, false),
            *seen.last().expect("seen"),
            "hidden files are not content"
        );
    }
}
