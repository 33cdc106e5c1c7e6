//! Writing a site to disk so that the output folder is, at every instant, the whole old site
//! or the whole new one: also when the build fails, is killed or fills the disk.
//!
//! A build never writes into the output folder (`public/`). It assembles the new site in a
//! folder beside it and swaps the two with one atomic exchange (`renameat2(RENAME_EXCHANGE)`
//! on Linux). Elsewhere, or on a file system without exchange, the swap is two renames, and a
//! build killed between them leaves the old site as `.public.coe-old`, which the next build
//! puts back before anything else.
//!
//! - A clean build ([`DiskSink::full`]) writes every file into `.public.coe-staging`; after the
//!   swap the old site is deleted.
//! - A rebuild over its own previous output ([`DiskSink::changes`]) assembles the new site in
//!   the spare folder `.public.coe-spare`, which holds the site of the build before last (its
//!   manifest is kept in `.coe/`): only the files that differ from what the spare holds are
//!   written, files unchanged since the last build are hard-linked from the output folder, and
//!   after the swap the old site becomes the next spare. A one-page edit thus writes a few
//!   files, however large the site. Files of the spare may share their inode with the
//!   output's (hard links): they are always replaced, never rewritten in place.
//!
//! One build of an output folder runs at a time ([`OutputLock`]); what a killed build left
//! beside the output is removed by the next one, and a spare whose manifest is missing (its
//! build did not finish) is discarded.

use super::hooks::{self, abort_point};
use super::{FileHasher, Manifest, Sink, WriteFailures, file_hash, read_manifest, write_manifest};
use rayon::prelude::*;
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The lock of one output folder: held for a whole build, so that two builds of the same
/// output never assemble into the same spare at once (the second waits).
pub struct OutputLock {
    _file: File,
    target: PathBuf,
}

impl OutputLock {
    /// Takes the lock (a file in `.coe/`), waiting for another build of `target` to finish,
    /// then cleans up what a killed build left beside `target`.
    pub fn acquire(lock_path: &Path, target: &Path) -> io::Result<OutputLock> {
        if let Some(dir) = lock_path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path)?;
        file.lock()?;
        clean_leftovers(target);
        Ok(OutputLock {
            _file: file,
            target: target.to_path_buf(),
        })
    }
}

/// `<parent>/.<name>.coe-<what>`: the folders a build keeps beside its output.
fn sibling(target: &Path, what: &str) -> PathBuf {
    let parent = parent_of(target);
    parent.join(format!("{}{what}", sibling_prefix(target)))
}

fn parent_of(target: &Path) -> &Path {
    target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn sibling_prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .map_or_else(|| "public".into(), |n| n.to_string_lossy().into_owned());
    format!(".{name}.coe-")
}

/// Removes the folders a killed build left beside `target` (staging folders, the old site of
/// an interrupted swap), except the spare. When `target` itself is missing because a build
/// was killed between the two renames of a swap, the old site is put back first.
fn clean_leftovers(target: &Path) {
    let prefix = sibling_prefix(target);
    let Ok(entries) = std::fs::read_dir(parent_of(target)) else {
        return;
    };
    let mut leftovers: Vec<(PathBuf, bool)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let what = name.strip_prefix(&prefix)?.to_owned();
            (what != "spare").then(|| (e.path(), what == "old" || what.ends_with("-old")))
        })
        .collect();
    // An old site first, so that it is the one put back.
    leftovers.sort_by_key(|(_, old)| !old);
    for (path, old) in leftovers {
        if old && !target.exists() && std::fs::rename(&path, target).is_ok() {
            continue;
        }
        let _ = std::fs::remove_dir_all(&path);
    }
}

enum Mode {
    /// Every file is written into an empty staging folder.
    Full,
    /// Only files that differ from the spare's are written; the rest come from the output.
    Changes {
        /// What the output folder holds (its manifest, checked against the files).
        previous: Manifest,
        /// What the spare holds before this build (empty when it was discarded).
        spare: Manifest,
        /// Where the spare's manifest is kept.
        spare_manifest: PathBuf,
    },
}

/// A [`Sink`] that assembles a site beside its output folder and swaps it in on
/// [`commit`](DiskSink::commit).
pub struct DiskSink {
    target: PathBuf,
    /// The folder being assembled: the staging folder, or the spare.
    work: PathBuf,
    mode: Mode,
    /// The new site: path → (hash, length).
    written: Mutex<Manifest>,
    /// Files written into `work` by this build (for [`Mode::Changes`]).
    fresh: Mutex<HashSet<String>>,
    /// Files whose bytes differ from the output's.
    changed: AtomicUsize,
    dirs: MadeDirs,
    failures: Mutex<Option<WriteFailures>>,
    committed: bool,
}

impl DiskSink {
    /// A clean build: every file written into an empty staging folder. A spare of an
    /// earlier build (no longer matched by a manifest of the output) is removed.
    pub fn full(lock: &OutputLock, spare_manifest: &Path) -> io::Result<DiskSink> {
        remove_if_present(spare_manifest)?;
        let spare = sibling(&lock.target, "spare");
        if spare.exists() {
            std::fs::remove_dir_all(&spare)?;
        }
        let work = sibling(&lock.target, "staging");
        if work.exists() {
            std::fs::remove_dir_all(&work)?;
        }
        std::fs::create_dir_all(&work)?;
        Ok(DiskSink::new(lock, work, Mode::Full))
    }

    /// A rebuild of an output folder that holds `previous` (its manifest): assembled in the
    /// spare, whose manifest is at `spare_manifest`. The spare's manifest is removed before
    /// anything is written into it and written again only after the swap.
    pub fn changes(
        lock: &OutputLock,
        previous: Manifest,
        spare_manifest: &Path,
    ) -> io::Result<DiskSink> {
        let work = sibling(&lock.target, "spare");
        let spare = read_manifest(spare_manifest, &work);
        match std::fs::remove_file(spare_manifest) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let spare = match spare {
            Some(spare) => spare,
            None => {
                if work.exists() {
                    std::fs::remove_dir_all(&work)?;
                }
                std::fs::create_dir_all(&work)?;
                Manifest::new()
            }
        };
        Ok(DiskSink::new(
            lock,
            work,
            Mode::Changes {
                previous,
                spare,
                spare_manifest: spare_manifest.to_path_buf(),
            },
        ))
    }

    fn new(lock: &OutputLock, work: PathBuf, mode: Mode) -> DiskSink {
        DiskSink {
            target: lock.target.clone(),
            work,
            mode,
            written: Mutex::default(),
            fresh: Mutex::default(),
            changed: AtomicUsize::new(0),
            dirs: MadeDirs::default(),
            failures: Mutex::default(),
            committed: false,
        }
    }

    /// Whether this build started from its previous output (only changed files written).
    pub fn is_incremental(&self) -> bool {
        matches!(self.mode, Mode::Changes { .. })
    }

    /// How many files differ from the previous build's (every file, for a clean build).
    pub fn changed(&self) -> usize {
        match self.mode {
            Mode::Full => self.written.lock().map_or(0, |w| w.len()),
            Mode::Changes { .. } => self.changed.load(Ordering::Relaxed),
        }
    }

    /// Keeps the files at these paths as the previous build wrote them (pages this build knows
    /// are unchanged and does not render). Only for a rebuild: a clean build has no previous
    /// files.
    pub fn keep<'a>(&self, paths: impl IntoIterator<Item = &'a str>) -> io::Result<()> {
        let Mode::Changes { previous, .. } = &self.mode else {
            return Ok(());
        };
        let mut written = self.written.lock().map_err(|_| poisoned())?;
        for rel in paths {
            if let Some(entry) = previous.get(rel)
                && !written.contains_key(rel)
            {
                written.insert(rel.to_owned(), *entry);
            }
        }
        Ok(())
    }

    /// Completes the new site (unchanged files linked from the output, files no longer made
    /// removed) and swaps it in; returns its manifest.
    pub fn commit(mut self) -> io::Result<Manifest> {
        abort_point("staged");
        if let Some(f) = self.failures() {
            return Err(io::Error::other(format!(
                "{} files could not be written",
                f.count
            )));
        }
        let written = std::mem::take(&mut *self.written.lock().map_err(|_| poisoned())?);
        if let Mode::Changes { spare, .. } = &self.mode {
            let fresh = std::mem::take(&mut *self.fresh.lock().map_err(|_| poisoned())?);
            let carried: Vec<&String> = written
                .iter()
                .filter(|(rel, entry)| !fresh.contains(*rel) && spare.get(*rel) != Some(entry))
                .map(|(rel, _)| rel)
                .collect();
            carried.par_iter().try_for_each(|rel| self.carry(rel))?;
            for rel in spare.keys().filter(|rel| !written.contains_key(*rel)) {
                remove_file_and_empty_dirs(&self.work, rel)?;
            }
        }
        abort_point("assembled");
        swap(&self.work, &self.target)?;
        self.committed = true;
        abort_point("swapped");
        match &self.mode {
            // The old site: unknown to any manifest, so not worth keeping.
            Mode::Full => {
                if self.work.exists() {
                    let _ = std::fs::remove_dir_all(&self.work);
                }
            }
            // The old site is the next build's spare. If its manifest cannot be written, the
            // next build discards it.
            Mode::Changes {
                previous,
                spare_manifest,
                ..
            } => {
                let _ = write_manifest(spare_manifest, previous);
            }
        }
        Ok(written)
    }

    /// The output's file at `rel` (unchanged by this build) into the new site: a hard link,
    /// or a copy where links cannot be made.
    fn carry(&self, rel: &str) -> io::Result<()> {
        let from = self.target.join(rel);
        let to = self.work.join(rel);
        if let Some(dir) = to.parent() {
            self.dirs.ensure(dir)?;
        }
        remove_if_present(&to)?;
        if std::fs::hard_link(&from, &to).is_err() {
            std::fs::copy(&from, &to)?;
        }
        Ok(())
    }

    /// Records a failed write (reported once for the whole build) and hands the error back.
    fn fail(&self, rel: &str, e: io::Error) -> io::Error {
        if let Ok(mut failures) = self.failures.lock() {
            let f = failures.get_or_insert_with(|| WriteFailures {
                count: 0,
                first_path: rel.to_owned(),
                first_error: e.to_string(),
            });
            f.count += 1;
        }
        e
    }

    /// Where `rel` goes in the folder being assembled, its folder made.
    fn work_path(&self, rel: &str) -> io::Result<PathBuf> {
        let path = self.work.join(rel);
        if let Some(dir) = path.parent() {
            self.dirs.ensure(dir)?;
        }
        Ok(path)
    }

    /// Whether `rel` with this hash and length must be written into the folder being
    /// assembled (and notes that it differs from the output's, if it does). A file the
    /// output already has is not written: it is linked at the commit, and keeps its
    /// modification time (deploy tools that compare times upload only what changed).
    fn needs_writing(&self, rel: &str, entry: (u64, u64)) -> bool {
        match &self.mode {
            Mode::Full => true,
            Mode::Changes {
                previous, spare, ..
            } => {
                if previous.get(rel) == Some(&entry) {
                    return false;
                }
                self.changed.fetch_add(1, Ordering::Relaxed);
                spare.get(rel) != Some(&entry)
            }
        }
    }

    fn record(&self, rel: &str, entry: (u64, u64), wrote: bool) -> io::Result<()> {
        self.written
            .lock()
            .map_err(|_| poisoned())?
            .insert(rel.to_owned(), entry);
        if wrote && self.is_incremental() {
            self.fresh
                .lock()
                .map_err(|_| poisoned())?
                .insert(rel.to_owned());
        }
        Ok(())
    }

    fn write_file(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        let entry = (file_hash(&[bytes]), bytes.len() as u64);
        let wrote = self.needs_writing(rel, entry);
        if wrote {
            hooks::charge(bytes.len())?;
            let path = self.work_path(rel)?;
            if self.is_incremental() {
                remove_if_present(&path)?;
            }
            let mut file = File::create(path)?;
            if hooks::dies_while_writing() {
                let _ = file.write_all(&bytes[..bytes.len() / 2]);
                std::process::abort();
            }
            file.write_all(bytes)?;
        }
        self.record(rel, entry, wrote)
    }

    fn write_pieces_file(
        &self,
        rel: &str,
        pieces: &mut dyn Iterator<Item = Vec<u8>>,
    ) -> io::Result<()> {
        let path = self.work_path(rel)?;
        // Its bytes are known only once written: a rebuild writes beside the spare's file and
        // keeps what it wrote only if the output does not already have those bytes.
        let written_at = if self.is_incremental() {
            path.with_file_name(format!(
                "{}.coe-new",
                path.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
            ))
        } else {
            path.clone()
        };
        let mut file = io::BufWriter::with_capacity(1 << 20, File::create(&written_at)?);
        let mut hash = FileHasher::default();
        for piece in pieces {
            hooks::charge(piece.len())?;
            hash.update(&piece);
            file.write_all(&piece)?;
        }
        file.into_inner().map_err(io::IntoInnerError::into_error)?;
        let len = hash.len() as u64;
        let entry = (hash.finish(), len);
        let wrote = self.needs_writing(rel, entry);
        if written_at != path {
            if wrote {
                std::fs::rename(&written_at, &path)?;
            } else {
                std::fs::remove_file(&written_at)?;
            }
        }
        self.record(rel, entry, wrote)
    }
}

impl Sink for DiskSink {
    fn write(&self, rel: &str, bytes: &[u8]) -> io::Result<()> {
        self.write_file(rel, bytes).map_err(|e| self.fail(rel, e))
    }

    fn write_pieces(&self, rel: &str, pieces: &mut dyn Iterator<Item = Vec<u8>>) -> io::Result<()> {
        self.write_pieces_file(rel, pieces)
            .map_err(|e| self.fail(rel, e))
    }

    fn failures(&self) -> Option<WriteFailures> {
        self.failures.lock().ok().and_then(|f| f.clone())
    }
}

impl Drop for DiskSink {
    fn drop(&mut self) {
        // A staging folder not swapped in is of no use. A spare is left as it is: its
        // manifest is gone, so the next build discards it.
        if !self.committed && matches!(self.mode, Mode::Full) {
            let _ = std::fs::remove_dir_all(&self.work);
        }
    }
}

/// Puts `new` in the place of `target`, atomically, and the old `target` (if any) at `new`.
fn swap(new: &Path, target: &Path) -> io::Result<()> {
    if !target.exists() {
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        return std::fs::rename(new, target);
    }
    if std::env::var_os("COE_TEST_NO_EXCHANGE").is_none() {
        match exchange(new, target) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() != io::ErrorKind::Unsupported => return Err(e),
            Err(_) => {}
        }
    }
    // Two renames: a build killed between them leaves the old site at `old`, which the next
    // build puts back (`clean_leftovers`).
    let old = sibling(target, "old");
    if old.exists() {
        std::fs::remove_dir_all(&old)?;
    }
    std::fs::rename(target, &old)?;
    abort_point("half-swapped");
    if let Err(e) = std::fs::rename(new, target) {
        let _ = std::fs::rename(&old, target);
        return Err(e);
    }
    std::fs::rename(&old, new)
}

/// Exchanges two folders in one step; `Unsupported` where the system or file system cannot.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(()),
        Err(e)
            if e == rustix::io::Errno::INVAL
                || e == rustix::io::Errno::NOSYS
                || e == rustix::io::Errno::OPNOTSUPP =>
        {
            Err(io::ErrorKind::Unsupported.into())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Removes `root/rel` and the folders it leaves empty (up to `root`).
fn remove_file_and_empty_dirs(root: &Path, rel: &str) -> io::Result<()> {
    let path = root.join(rel);
    remove_if_present(&path)?;
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| *d != root) {
        if std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}

/// Folders this build has already made: `create_dir_all` costs a `mkdir` and a `stat` even
/// when the folder exists, for each of 20,000 files.
#[derive(Default)]
struct MadeDirs(Mutex<HashSet<PathBuf>>);

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

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(dir).expect("under").to_string_lossy();
                (rel.into_owned(), std::fs::read(e.path()).expect("read"))
            })
            .collect();
        files.sort();
        files
    }

    fn siblings(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_damaged_spare_manifest_never_removes_a_file_outside_the_spare() {
        let dir = tempfile::tempdir().expect("tmp");
        let target = dir.path().join("public");
        let lock_path = dir.path().join(".coe/out.lock");
        let spare_manifest = dir.path().join(".coe/out.spare");
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, b"keep me").expect("write");
        let lock = OutputLock::acquire(&lock_path, &target).expect("lock");
        let sink = DiskSink::full(&lock, &spare_manifest).expect("sink");
        sink.write("a.html", b"A1").expect("write");
        let mut previous = sink.commit().expect("commit");
        let sink = DiskSink::changes(&lock, previous.clone(), &spare_manifest).expect("sink");
        sink.write("a.html", b"A2").expect("write");
        previous = sink.commit().expect("commit");
        // The spare's manifest, damaged: it names a file beside the spare, with its size.
        let spare_dir = dir.path().join(".public.coe-spare");
        let mut spare = read_manifest(&spare_manifest, &spare_dir).expect("spare manifest");
        spare.insert("../victim.txt".to_owned(), (0, 7));
        write_manifest(&spare_manifest, &spare).expect("write");
        let sink = DiskSink::changes(&lock, previous, &spare_manifest).expect("sink");
        sink.write("a.html", b"A3").expect("write");
        sink.commit().expect("commit");
        assert_eq!(std::fs::read(&victim).expect("victim kept"), b"keep me");
        assert_eq!(tree(&target), [("a.html".to_owned(), b"A3".to_vec())]);
    }

    #[test]
    fn rebuilds_assemble_beside_the_output_and_keep_one_spare() {
        let dir = tempfile::tempdir().expect("tmp");
        let target = dir.path().join("public");
        let lock_path = dir.path().join(".coe/out.lock");
        let spare_manifest = dir.path().join(".coe/out.spare");

        // A clean build.
        let lock = OutputLock::acquire(&lock_path, &target).expect("lock");
        let sink = DiskSink::full(&lock, &spare_manifest).expect("sink");
        sink.write("a/index.html", b"A1").expect("write");
        sink.write("b.html", b"B1").expect("write");
        let mut pieces = [&b"{\"x\": "[..], b"1", b"}\n"]
            .into_iter()
            .map(<[u8]>::to_vec);
        sink.write_pieces("c.json", &mut pieces).expect("write");
        let first = sink.commit().expect("commit");
        assert_eq!(first["c.json"], (file_hash(&[b"{\"x\": 1}\n"]), 9));
        assert_eq!(siblings(dir.path()), [".coe", "public"]);

        // Rebuilds: one file changed, one kept, one gone, one new.
        let mut previous = first;
        for (round, text) in [(2, &b"A2"[..]), (3, b"A3"), (4, b"A2")] {
            let sink = DiskSink::changes(&lock, previous.clone(), &spare_manifest).expect("sink");
            sink.write("a/index.html", text).expect("write");
            sink.keep(["c.json"]).expect("keep");
            if round == 2 {
                sink.write("b.html", b"B1").expect("write");
            } else {
                sink.write("d/e.html", b"E").expect("write");
            }
            assert_eq!(sink.changed(), if round == 3 { 2 } else { 1 });
            previous = sink.commit().expect("commit");
            let mut want = vec![
                ("a/index.html".to_owned(), text.to_vec()),
                ("c.json".to_owned(), b"{\"x\": 1}\n".to_vec()),
            ];
            if round == 2 {
                want.push(("b.html".to_owned(), b"B1".to_vec()));
            } else {
                want.push(("d/e.html".to_owned(), b"E".to_vec()));
            }
            want.sort();
            assert_eq!(tree(&target), want, "round {round}");
            assert_eq!(
                siblings(dir.path()),
                [".coe", ".public.coe-spare", "public"]
            );
        }
    }

    #[test]
    fn a_killed_builds_leftovers_are_cleaned_and_a_half_swap_is_undone() {
        let dir = tempfile::tempdir().expect("tmp");
        let target = dir.path().join("public");
        let lock_path = dir.path().join(".coe/out.lock");
        // Killed between the two renames of a swap: no output, the old site beside it, a
        // staging folder and an older version's leftovers.
        std::fs::create_dir_all(dir.path().join(".public.coe-old")).expect("mkdir");
        std::fs::write(dir.path().join(".public.coe-old/index.html"), "old").expect("write");
        std::fs::create_dir_all(dir.path().join(".public.coe-staging/x")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join(".public.coe-changes-123")).expect("mkdir");
        let _lock = OutputLock::acquire(&lock_path, &target).expect("lock");
        assert_eq!(siblings(dir.path()), [".coe", "public"]);
        assert_eq!(
            std::fs::read_to_string(target.join("index.html")).expect("read"),
            "old"
        );
    }
}
