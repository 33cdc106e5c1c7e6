//! The index on disk in `<root>/.coe/index/`: a build artefact, rebuilt when content changes.
//! Each build writes a fresh folder and swaps it in, so concurrent builds never see half an index.

use super::schema::{self, Fields};
use std::path::{Path, PathBuf};
use tantivy::Index;

const FINGERPRINT_FILE: &str = "coe-fingerprint";

/// Part of every fingerprint: change it whenever the index's schema, tokenizers or tantivy
/// codecs change (e.g. zstd-compressed dictionaries, which this build cannot read), so an
/// index written by another build of coe is rebuilt rather than read.
const INDEX_FORMAT: &str = "tantivy-0.27/lz4/no-zstd/schema-5";

pub fn index_dir(root: &Path) -> PathBuf {
    root.join(".coe").join("index")
}

/// Changes whenever a COE file under `<root>/content` is added, removed, renamed or modified,
/// or the options differ. This runs before every `coe search` (see `freshness`: every COE file
/// is stat'ed, folders are listed again only when they changed).
pub fn fingerprint(root: &Path, drafts: bool) -> String {
    use std::hash::BuildHasher;
    let stamp = super::freshness::stamp(root);
    let parts = (
        env!("CARGO_PKG_VERSION"),
        INDEX_FORMAT,
        drafts,
        stamp.files,
        stamp.sum,
    );
    let hash = foldhash::quality::FixedState::with_seed(0x0066_696e_6765).hash_one(parts);
    format!("{hash:016x}")
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
        let mut seen = vec![fingerprint(dir.path(), false)];
        assert_eq!(fingerprint(dir.path(), false), seen[0], "nothing changed");
        assert_ne!(fingerprint(dir.path(), true), seen[0], "drafts");
        let mut check = |what: &str| {
            let f = fingerprint(dir.path(), false);
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
            fingerprint(dir.path(), false),
            *seen.last().expect("seen"),
            "hidden files are not content"
        );
    }
}
