//! Where a build's files go: a [`Sink`], to disk ([`disk::DiskSink`]: assembled beside the
//! output folder and swapped in whole) or to memory ([`Memory`], for `coe serve` and tests).
//! Each output folder is described by a manifest (path → hash, length) kept in `.coe/`, so a
//! rebuild knows which files it changes.

pub mod disk;
mod hooks;

pub use disk::{DiskSink, OutputLock};
pub use hooks::abort_point;

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::io;
use std::path::Path;
use std::sync::Mutex;

/// A 64-bit hash of a file's bytes (fixed seed: the same bytes hash the same in every run).
pub fn content_hash(bytes: &[u8]) -> u64 {
    FILE_HASH_STATE.hash_one(bytes)
}

/// The hash of a written file, given as one or more consecutive pieces (the same for any way
/// the bytes are cut).
pub fn file_hash(parts: &[&[u8]]) -> u64 {
    let mut h = FileHasher::default();
    for part in parts {
        h.update(part);
    }
    h.finish()
}

/// [`file_hash`] fed piece by piece: the bytes go to the hasher in fixed blocks of
/// [`HASH_BLOCK`], whatever the pieces.
pub struct FileHasher {
    hasher: foldhash::quality::FoldHasher<'static>,
    block: Vec<u8>,
    len: usize,
}

impl Default for FileHasher {
    fn default() -> FileHasher {
        FileHasher {
            hasher: FILE_HASH_STATE.build_hasher(),
            block: Vec::new(),
            len: 0,
        }
    }
}

impl FileHasher {
    pub fn update(&mut self, part: &[u8]) {
        use std::hash::Hasher;
        self.len += part.len();
        let mut rest = part;
        if !self.block.is_empty() {
            let take = (HASH_BLOCK - self.block.len()).min(rest.len());
            self.block.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.block.len() < HASH_BLOCK {
                return;
            }
            self.hasher.write(&self.block);
            self.block.clear();
        }
        let whole = rest.len() - rest.len() % HASH_BLOCK;
        for chunk in rest[..whole].chunks(HASH_BLOCK) {
            self.hasher.write(chunk);
        }
        self.block.extend_from_slice(&rest[whole..]);
    }

    /// How many bytes were hashed so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(mut self) -> u64 {
        use std::hash::Hasher;
        self.hasher.write(&self.block);
        self.hasher.write_usize(self.len);
        self.hasher.finish()
    }
}

const HASH_BLOCK: usize = 64 * 1024;

static FILE_HASH_STATE: foldhash::quality::FixedState =
    foldhash::quality::FixedState::with_seed(0x636f_6521);

/// What a build wrote: path → (hash, length).
pub type Manifest = HashMap<String, (u64, u64)>;

const MANIFEST_HEADER: &str = "coe output manifest v2";

pub fn write_manifest(path: &Path, files: &Manifest) -> io::Result<()> {
    let mut rows: Vec<_> = files.iter().collect();
    rows.sort();
    let mut s = String::with_capacity(rows.len() * 64);
    s.push_str(MANIFEST_HEADER);
    s.push('\n');
    for (rel, (hash, len)) in rows {
        s.push_str(&format!("{hash:016x} {len} {rel}\n"));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, s)?;
    std::fs::rename(tmp, path)
}

/// The manifest at `path` if it describes `target` as it is on disk (every file there, with
/// its size); `None` otherwise, and the next build writes everything.
pub fn read_manifest(path: &Path, target: &Path) -> Option<Manifest> {
    use rayon::prelude::*;
    let files = parse_manifest(&std::fs::read_to_string(path).ok()?)?;
    let intact = files.par_iter().all(|(rel, (_, len))| {
        std::fs::metadata(target.join(rel)).is_ok_and(|m| m.is_file() && m.len() == *len)
    });
    intact.then_some(files)
}

/// A manifest's text; `None` when anything is off. Every path must stay inside the output
/// folder: a commit removes the spare's files that the new build did not make, and a damaged
/// manifest naming `../x` or `/x` would otherwise remove a file outside it.
pub fn parse_manifest(text: &str) -> Option<Manifest> {
    // Not `lines()`: it would take a `\r` ending a path (a legal file name) for a line end.
    let mut lines = text.split_terminator('\n');
    if lines.next()? != MANIFEST_HEADER {
        return None;
    }
    let mut files = Manifest::new();
    for line in lines {
        let mut parts = line.splitn(3, ' ');
        let hash = u64::from_str_radix(parts.next()?, 16).ok()?;
        let len: u64 = parts.next()?.parse().ok()?;
        let rel = parts.next()?;
        if !inside(rel) {
            return None;
        }
        files.insert(rel.to_owned(), (hash, len));
    }
    Some(files)
}

/// Whether `rel` names a file below a folder: only plain names, no `..`, root or prefix.
pub fn inside(rel: &str) -> bool {
    let path = Path::new(rel);
    path.components().next().is_some()
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

pub trait Sink: Sync {
    /// Writes `bytes` at `rel` (`coe/x/index.html`), creating folders.
    fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()>;

    /// The writes that failed, as one report: how many, and the first one's path and error.
    /// Callers need not report each failed write: the build reports this once.
    fn failures(&self) -> Option<WriteFailures> {
        None
    }

    /// Writes the file made of the `pieces` one after the other, each made when it is needed:
    /// a large file (`coes.json`, 28 MB at 10,000 COEs) need not be in memory at once.
    fn write_pieces(&self, rel: &str, pieces: &mut dyn Iterator<Item = Vec<u8>>) -> io::Result<()> {
        self.write(rel, &pieces.collect::<Vec<_>>().concat())
    }
}

/// Failed writes of one build, reported once (a full disk fails every write that follows).
#[derive(Debug, Clone)]
pub struct WriteFailures {
    pub count: usize,
    pub first_path: String,
    pub first_error: String,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzz/ (target `manifest`): a path ending in `\r` read back without it.
    #[test]
    fn a_manifest_reads_back_what_was_written_and_only_paths_inside() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("m.manifest");
        let files: Manifest = [
            ("a/x.html\r".to_owned(), (1, 2)),
            ("b c.css".to_owned(), (3, 4)),
        ]
        .into_iter()
        .collect();
        write_manifest(&path, &files).expect("write");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(parse_manifest(&text), Some(files));
        for bad in ["../x", "/etc/x", "a/../../x", "", "./a"] {
            let text = format!("{MANIFEST_HEADER}\n0000000000000001 2 {bad}\n");
            assert_eq!(parse_manifest(&text), None, "{bad:?}");
        }
    }

    #[test]
    fn a_file_hashes_the_same_however_its_bytes_are_cut() {
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole = file_hash(&[&bytes]);
        for cuts in [
            vec![0, 200_000],
            vec![1, 65_535, 65_536, 65_537, 131_072],
            vec![10, 20, 30, 199_999],
            vec![100_000],
        ] {
            let mut parts: Vec<&[u8]> = Vec::new();
            let mut at = 0;
            for cut in cuts {
                parts.push(&bytes[at..cut]);
                at = cut;
            }
            parts.push(&bytes[at..]);
            assert_eq!(file_hash(&parts), whole);
        }
        assert_ne!(file_hash(&[&bytes[..199_999]]), whole);
        assert_ne!(file_hash(&[b"ab", b""]), file_hash(&[b"a"]));
    }
}
