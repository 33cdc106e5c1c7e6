//! The one write sink: pages go to a staging folder that replaces the output only when the
//! whole build succeeded, or to memory (for `coe serve` and tests).
//!
//! When the output folder is one this tool wrote (its manifest of paths, sizes and hashes
//! matches what is on disk), a build keeps only the files whose bytes changed (in memory, or
//! staged on disk past 64 MB) and puts them in place at the end: a rebuild writes (and a
//! re-deploy uploads) only what changed, and a failed build still leaves the output untouched.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::io;
use std::path::{Path, PathBuf};
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
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    if lines.next()? != MANIFEST_HEADER {
        return None;
    }
    let mut files = Manifest::new();
    for line in lines {
        let mut parts = line.splitn(3, ' ');
        let hash = u64::from_str_radix(parts.next()?, 16).ok()?;
        let len: u64 = parts.next()?.parse().ok()?;
        let rel = parts.next()?;
        files.insert(rel.to_owned(), (hash, len));
    }
    let intact = files.par_iter().all(|(rel, (_, len))| {
        std::fs::metadata(target.join(rel)).is_ok_and(|m| m.is_file() && m.len() == *len)
    });
    intact.then_some(files)
}

pub trait Sink: Sync {
    /// Writes `bytes` at `rel` (`coe/x/index.html`), creating folders.
    fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()>;

    /// Writes the file made of the `pieces` one after the other, each made when it is needed:
    /// a large file (`coes.json`, 28 MB at 10,000 COEs) need not be in memory at once.
    fn write_pieces(&self, rel: &str, pieces: &mut dyn Iterator<Item = Vec<u8>>) -> io::Result<()> {
        self.write(rel, &pieces.collect::<Vec<_>>().concat())
    }
}

/// Stages only changed files for an output folder described by `previous`; moves them in on
/// commit and deletes what the build no longer makes.
pub struct Incremental {
    staging: PathBuf,
    target: PathBuf,
    previous: Manifest,
    written: Mutex<Manifest>,
    changed: Mutex<Vec<String>>,
    /// Changed files kept in memory until the commit, up to [`HELD_BYTES`] in all; the rest
    /// go to the staging folder. Creating files is slow right after many were deleted
    /// (ext4 scans past recently freed inodes), and a rewrite in place creates none.
    held: Mutex<Held>,
    dirs: MadeDirs,
    committed: bool,
}

#[derive(Default)]
struct Held {
    bytes: usize,
    files: Vec<(String, Vec<u8>)>,
}

/// How much a rebuild keeps in memory before it stages changed files on disk.
const HELD_BYTES: usize = 64 << 20;

fn staging_path(target: &Path, suffix: &str) -> io::Result<PathBuf> {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = target
        .file_name()
        .map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{name}.coe-{suffix}-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    std::fs::create_dir_all(&staging)?;
    Ok(staging)
}

impl Incremental {
    pub fn new(target: &Path, previous: Manifest) -> io::Result<Incremental> {
        Ok(Incremental {
            staging: staging_path(target, "changes")?,
            target: target.to_path_buf(),
            previous,
            written: Mutex::default(),
            changed: Mutex::default(),
            held: Mutex::default(),
            dirs: MadeDirs::default(),
            committed: false,
        })
    }

    /// How many files differ from the previous build.
    pub fn changed(&self) -> usize {
        self.changed.lock().map_or(0, |c| c.len())
    }

    /// Keeps the files at these paths as the previous build wrote them (pages this build knows
    /// are unchanged and does not render): they are neither rewritten nor deleted.
    pub fn keep<'a>(&self, paths: impl IntoIterator<Item = &'a str>) -> io::Result<()> {
        let mut written = self.written.lock().map_err(|_| poisoned())?;
        for rel in paths {
            if let Some(entry) = self.previous.get(rel)
                && !written.contains_key(rel)
            {
                written.insert(rel.to_owned(), *entry);
            }
        }
        Ok(())
    }

    /// Moves the changed files in, deletes files no longer made; returns the new manifest.
    pub fn commit(mut self) -> io::Result<Manifest> {
        let changed = std::mem::take(&mut *self.changed.lock().map_err(|_| poisoned())?);
        let written = std::mem::take(&mut *self.written.lock().map_err(|_| poisoned())?);
        let held = std::mem::take(&mut *self.held.lock().map_err(|_| poisoned())?);
        let in_memory: std::collections::HashSet<&str> =
            held.files.iter().map(|(rel, _)| rel.as_str()).collect();
        for rel in changed.iter().filter(|r| !in_memory.contains(r.as_str())) {
            let to = self.target.join(rel);
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::rename(self.staging.join(rel), to)?;
        }
        for (rel, bytes) in &held.files {
            let to = self.target.join(rel);
            if let Some(dir) = to.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(to, bytes)?;
        }
        for rel in self.previous.keys().filter(|r| !written.contains_key(*r)) {
            let path = self.target.join(rel);
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    // Leave no empty folders behind (stops at the first non-empty one).
                    let mut dir = path.parent();
                    while let Some(d) = dir.filter(|d| *d != self.target) {
                        if std::fs::remove_dir(d).is_err() {
                            break;
                        }
                        dir = d.parent();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        self.committed = true;
        let _ = std::fs::remove_dir_all(&self.staging);
        Ok(written)
    }
}

/// Folders this build has already made: `create_dir_all` costs a `mkdir` and a `stat` even
/// when the folder exists, for each of 20,000 files.
#[derive(Default)]
struct MadeDirs(Mutex<std::collections::HashSet<PathBuf>>);

impl MadeDirs {
    fn ensure(&self, dir: &Path) -> io::Result<()> {
        if self.0.lock().map_err(|_| poisoned())?.contains(dir) {
            return Ok(());
        }
        std::fs::create_dir_all(dir)?;
        self.0
            .lock()
            .map_err(|_| poisoned())?
            .insert(dir.to_path_buf());
        Ok(())
    }
}

fn poisoned() -> io::Error {
    io::Error::other("a writer thread panicked")
}

impl Drop for Incremental {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

impl Sink for Incremental {
    fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let entry = (file_hash(&[bytes]), bytes.len() as u64);
        let same = self.previous.get(rel) == Some(&entry);
        self.written
            .lock()
            .map_err(|_| poisoned())?
            .insert(rel.to_owned(), entry);
        if same {
            return Ok(());
        }
        let kept = {
            let mut held = self.held.lock().map_err(|_| poisoned())?;
            let fits = held.bytes + bytes.len() <= HELD_BYTES;
            if fits {
                held.bytes += bytes.len();
                held.files.push((rel.to_owned(), bytes.to_vec()));
            }
            fits
        };
        if !kept {
            let path = self.staging.join(rel);
            if let Some(dir) = path.parent() {
                self.dirs.ensure(dir)?;
            }
            std::fs::write(path, bytes)?;
        }
        self.changed
            .lock()
            .map_err(|_| poisoned())?
            .push(rel.to_owned());
        Ok(())
    }
}

/// Builds beside the target folder, then swaps it in. A failed build leaves the target untouched.
pub struct Staging {
    staging: PathBuf,
    target: PathBuf,
    written: Mutex<Manifest>,
    dirs: MadeDirs,
    committed: bool,
}

impl Staging {
    pub fn new(target: &Path) -> io::Result<Staging> {
        Ok(Staging {
            staging: staging_path(target, "staging")?,
            target: target.to_path_buf(),
            written: Mutex::default(),
            dirs: MadeDirs::default(),
            committed: false,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.staging
    }

    /// Replaces the target with the staged output; returns the manifest of what it holds.
    pub fn commit(mut self) -> io::Result<Manifest> {
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
        Ok(std::mem::take(
            &mut *self.written.lock().map_err(|_| poisoned())?,
        ))
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
            self.dirs.ensure(dir)?;
        }
        std::fs::write(path, bytes)?;
        self.record(rel, file_hash(&[bytes]), bytes.len())
    }

    fn write_pieces(&self, rel: &str, pieces: &mut dyn Iterator<Item = Vec<u8>>) -> io::Result<()> {
        use std::io::Write;
        let path = self.staging.join(rel);
        if let Some(dir) = path.parent() {
            self.dirs.ensure(dir)?;
        }
        let mut file = io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
        let mut hash = FileHasher::default();
        for piece in pieces {
            hash.update(&piece);
            file.write_all(&piece)?;
        }
        file.into_inner().map_err(io::IntoInnerError::into_error)?;
        let len = hash.len;
        self.record(rel, hash.finish(), len)
    }
}

impl Staging {
    /// Notes a written file in the manifest.
    fn record(&self, rel: &str, hash: u64, len: usize) -> io::Result<()> {
        self.written
            .lock()
            .map_err(|_| poisoned())?
            .insert(rel.to_owned(), (hash, len as u64));
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn parts_written_to_staging_make_the_file_and_its_manifest_entry() {
        let dir = std::env::temp_dir().join(format!("coe-parts-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let target = dir.join("public");
        let staging = Staging::new(&target).expect("staging");
        let mut pieces = [&b"{\"x\": "[..], b"1", b"}\n"]
            .into_iter()
            .map(<[u8]>::to_vec);
        staging
            .write_pieces("a/b.json", &mut pieces)
            .expect("write");
        staging.write("c.txt", b"{\"x\": 1}\n").expect("write");
        let manifest = staging.commit().expect("commit");
        assert_eq!(
            std::fs::read(target.join("a/b.json")).expect("read"),
            b"{\"x\": 1}\n"
        );
        assert_eq!(manifest["a/b.json"], manifest["c.txt"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
