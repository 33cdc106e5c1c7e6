//! What the index's freshness is judged by: a stamp of every COE file under `content/` (its
//! path, size, mtime, ctime and inode), taken before every `coe search`. The ctime and inode
//! catch what keeps the mtime: `cp -p`, `rsync -t`, `touch -r`, a save that replaces the file.
//!
//! Listing a folder costs about as much as a third of stat'ing its files (ext4 builds a hash
//! tree of the names for every listing), so each folder's names are remembered in
//! `<root>/.coe/content-listing` and the folder is listed again only when its ctime or inode
//! changed (adding, removing or renaming an entry changes the folder's ctime, which, unlike the
//! mtime, no program can set back). Every file is still stat'ed every time: an edit in place
//! changes only the file.
//!
//! Only what `coe build` reads counts: Markdown files (`load::is_source_name`), in folders and
//! in folders reached through symbolic links (a link back to a parent is not followed).

use rayon::prelude::*;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::path::Path;
use std::time::{Duration, SystemTime};

const LISTING_FILE: &str = "content-listing";
/// Names that `coe build` does not read are left out of the listing: another version of coe
/// (which might read other names) starts a new one.
const LISTING_HEADER: &str = concat!("coe-content-listing 2 ", env!("CARGO_PKG_VERSION"));

/// A folder's listing is remembered only once its ctime is this much older than the moment it
/// was listed: a second change within the same clock tick (coarse on some file systems) would
/// otherwise leave the ctime as it was, and the remembered names would be wrong. (A file server
/// whose clock is more than this behind ours could still defeat it.)
const SETTLED: Duration = Duration::from_secs(2);

/// Folders deeper than this are not stamped (a guard against link loops where a folder's
/// identity is unknown).
const MAX_DEPTH: usize = 256;

/// Each file's (path under content/, size, mtime, ctime, inode) is hashed on its own with this (foldhash's
/// quality hasher: its output is well mixed, so the hashes can simply be summed).
static FILE_STAMP: foldhash::quality::FixedState =
    foldhash::quality::FixedState::with_seed(0x0073_7461_6d70);

/// How many COE files are below `content` and the wrapping sum of the hashes of their (path
/// under `content`, size, mtime, ctime, inode): each hashed on its own, so no list of paths is
/// built or sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub files: u64,
    pub sum: u64,
    /// Folders listed (the others came from the remembered listing).
    pub listed: usize,
}

/// The stamp of `<root>/content`, using and updating `<root>/.coe/content-listing`.
pub fn stamp(root: &Path) -> Stamp {
    stamp_with(root, SETTLED)
}

fn stamp_with(root: &Path, min_age: Duration) -> Stamp {
    let cache_path = root.join(".coe").join(LISTING_FILE);
    let text = std::fs::read(&cache_path).unwrap_or_default();
    let remembered = parse(&text).unwrap_or_default();
    let by_rel: HashMap<&[u8], &Folder> = remembered.iter().map(|f| (&f.rel[..], f)).collect();
    let mut seen = Vec::new();
    let (files, sum) = visit(&root.join("content"), b"", &[], &by_rel, min_age, &mut seen);
    let listed = seen
        .iter()
        .filter(|l| matches!(l, Listing::Listed(_)))
        .count();
    let newly_settled = seen
        .iter()
        .any(|l| matches!(l, Listing::Listed(f) if f.settled));
    let folders: Vec<&Folder> = seen
        .iter()
        .filter_map(|l| match l {
            Listing::Remembered(f) => Some(*f),
            Listing::Listed(f) => f.settled.then_some(f),
        })
        .collect();
    if newly_settled || folders.len() != remembered.len() {
        // Best effort: without it the next check lists every folder again.
        let _ = write(&cache_path, &folders);
    }
    Stamp { files, sum, listed }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    File,
    Link,
    Dir,
}

#[derive(Debug, PartialEq)]
struct Folder {
    /// Path under content/ ("" for content/ itself, "/"-separated).
    rel: Vec<u8>,
    /// The folder's ctime, device and inode when it was listed.
    changed: Changed,
    entries: Entries,
    /// Listed long enough after its last change to be remembered, and every name fits on a line.
    settled: bool,
}

enum Listing<'a> {
    Remembered(&'a Folder),
    Listed(Folder),
}

/// Stamps the files of `dir` (`rel` under content/) and of its sub-folders, and pushes each
/// folder's listing to `seen`. `parents` are the (device, inode) of the folders above.
fn visit<'a>(
    dir: &Path,
    rel: &[u8],
    parents: &[(u64, u64)],
    remembered: &HashMap<&[u8], &'a Folder>,
    min_age: Duration,
    seen: &mut Vec<Listing<'a>>,
) -> (u64, u64) {
    if parents.len() > MAX_DEPTH {
        return (0, 0);
    }
    let Some(handle) = os::open(dir) else {
        return (0, 0);
    };
    let identity = os::identity(&handle);
    if let Some(id) = identity
        && parents.contains(&(id.dev, id.ino))
    {
        // A link back to a folder above: `coe build` reports it and does not follow it.
        return (0, 0);
    }
    let changed = identity.and_then(|id| {
        id.ctime.map(|ctime| Changed {
            ctime,
            dev: id.dev,
            ino: id.ino,
        })
    });
    let listing = match remembered.get(rel) {
        Some(f) if Some(f.changed) == changed => Listing::Remembered(f),
        _ => {
            let listed_at = SystemTime::now();
            let Some((mut entries, storable)) = os::list(&handle) else {
                return (0, 0);
            };
            entries.retain(|(name, kind)| *kind != Kind::File || is_source(name));
            let settled = storable
                && !rel.contains(&b'\n')
                && changed.is_some_and(|c| {
                    let (secs, nanos) = c.ctime;
                    let ctime = SystemTime::UNIX_EPOCH
                        .checked_add(Duration::from_secs(secs.max(0) as u64))
                        .and_then(|t| t.checked_add(Duration::from_nanos(nanos.max(0) as u64)));
                    ctime.is_some_and(|ctime| {
                        listed_at
                            .duration_since(ctime)
                            .is_ok_and(|age| age >= min_age)
                    })
                });
            Listing::Listed(Folder {
                rel: rel.to_owned(),
                changed: changed.unwrap_or_default(),
                entries,
                settled,
            })
        }
    };
    let folder = match &listing {
        Listing::Remembered(f) => f,
        Listing::Listed(f) => f,
    };
    let stamp = |name: &[u8], meta: Meta| FILE_STAMP.hash_one((rel, name, meta.stamp));
    let (mut n, mut sum) = folder
        .entries
        .par_iter()
        .with_min_len(256)
        .filter(|(_, kind)| *kind == Kind::File)
        .map(|(name, _)| {
            let meta = os::stat(&handle, name, false).unwrap_or_default();
            (1u64, stamp(name, meta))
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1.wrapping_add(b.1)));
    // Symbolic links (few) are followed, to a file or to a folder, as `coe build` does.
    let mut subdirs: Vec<&[u8]> = Vec::new();
    for (name, kind) in &folder.entries {
        match kind {
            Kind::Dir => subdirs.push(name),
            Kind::File => {}
            Kind::Link => match os::stat(&handle, name, true) {
                Some(meta) if meta.is_dir => subdirs.push(name),
                meta if is_source(name) => {
                    n += 1;
                    sum = sum.wrapping_add(stamp(name, meta.unwrap_or_default()));
                }
                _ => {}
            },
        }
    }
    let mut parents = parents.to_vec();
    // (Without an identity, as on Windows, only the depth limit stops a loop.)
    parents.push(identity.map_or((u64::MAX, u64::MAX), |id| (id.dev, id.ino)));
    let nested: Vec<((u64, u64), Vec<Listing<'a>>)> = subdirs
        .par_iter()
        .map(|name| {
            let mut nested_rel = rel.to_owned();
            if !nested_rel.is_empty() {
                nested_rel.push(b'/');
            }
            nested_rel.extend_from_slice(name);
            let mut below = Vec::new();
            let stamp = visit(
                &os::join(dir, name),
                &nested_rel,
                &parents,
                remembered,
                min_age,
                &mut below,
            );
            (stamp, below)
        })
        .collect();
    seen.push(listing);
    for ((m, s), below) in nested {
        n += m;
        sum = sum.wrapping_add(s);
        seen.extend(below);
    }
    (n, sum)
}

/// Whether `coe build` reads a file of this name.
fn is_source(name: &[u8]) -> bool {
    crate::load::is_source_name(&String::from_utf8_lossy(name))
}

/// The remembered listing: a header line, then per folder a line `d <ctime s> <ctime ns> <device>
/// <inode> <path under content/>` followed by one line per entry: `f`, `l` (symbolic link) or
/// `s` (sub-folder), a space and the name (bytes as they are). Anything unexpected discards it
/// all.
fn parse(text: &[u8]) -> Option<Vec<Folder>> {
    let mut lines = text.split(|b| *b == b'\n');
    if lines.next()? != LISTING_HEADER.as_bytes() {
        return None;
    }
    let mut folders: Vec<Folder> = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (tag, rest) = (line.first()?, line.get(2..)?);
        let kind = match tag {
            b'd' => {
                let mut parts = rest.splitn(5, |b| *b == b' ');
                let mut number =
                    || -> Option<i128> { std::str::from_utf8(parts.next()?).ok()?.parse().ok() };
                let secs = i64::try_from(number()?).ok()?;
                let nanos = i64::try_from(number()?).ok()?;
                let dev = u64::try_from(number()?).ok()?;
                let ino = u64::try_from(number()?).ok()?;
                folders.push(Folder {
                    rel: parts.next()?.to_owned(),
                    changed: Changed {
                        ctime: (secs, nanos),
                        dev,
                        ino,
                    },
                    entries: Vec::new(),
                    settled: true,
                });
                continue;
            }
            b'f' => Kind::File,
            b'l' => Kind::Link,
            b's' => Kind::Dir,
            _ => return None,
        };
        folders.last_mut()?.entries.push((rest.to_owned(), kind));
    }
    Some(folders)
}

/// The remembered listing read from arbitrary bytes, written again and read back: the number
/// of folders when it is usable, `None` when not. For fuzz/, which checks that nothing panics
/// and that a usable listing reads back the same.
#[doc(hidden)]
pub fn reread_listing(text: &[u8]) -> Option<usize> {
    let folders = parse(text)?;
    let again = parse(&encode(&folders.iter().collect::<Vec<_>>()));
    assert!(
        again.as_ref() == Some(&folders),
        "listing reads back differently"
    );
    Some(folders.len())
}

fn write(path: &Path, folders: &[&Folder]) -> std::io::Result<()> {
    let text = encode(folders);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    // Unique per writer (processes and threads), then renamed over the old one whole.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

fn encode(folders: &[&Folder]) -> Vec<u8> {
    let mut text = Vec::with_capacity(64 * 1024);
    text.extend_from_slice(LISTING_HEADER.as_bytes());
    text.push(b'\n');
    for f in folders {
        let Changed {
            ctime: (secs, nanos),
            dev,
            ino,
        } = f.changed;
        text.extend_from_slice(format!("d {secs} {nanos} {dev} {ino} ").as_bytes());
        text.extend_from_slice(&f.rel);
        text.push(b'\n');
        for (name, kind) in &f.entries {
            text.push(match kind {
                Kind::File => b'f',
                Kind::Link => b'l',
                Kind::Dir => b's',
            });
            text.push(b' ');
            text.extend_from_slice(name);
            text.push(b'\n');
        }
    }
    text
}

/// A name that fits on one line of the remembered listing.
#[cfg(unix)]
fn storable(name: &[u8]) -> bool {
    !name.is_empty() && !name.contains(&b'\n')
}

/// A folder's entries: name (bytes as on disk) and kind.
type Entries = Vec<(Vec<u8>, Kind)>;

/// What tells whether a folder's entries changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
struct Changed {
    /// Seconds and nanoseconds.
    ctime: (i64, i64),
    dev: u64,
    ino: u64,
}

/// What identifies a folder (for loops) and, with its ctime, tells whether it changed.
#[derive(Clone, Copy)]
struct Identity {
    /// None where a folder's ctime is not known (then its listing is not remembered).
    ctime: Option<(i64, i64)>,
    dev: u64,
    ino: u64,
}

/// A directory entry as stat'ed: the same stamp as the parse caches take
/// (`incremental::stamp`), so search and site agree on what changed.
#[derive(Default, Clone, Copy)]
struct Meta {
    stamp: crate::incremental::FileStamp,
    is_dir: bool,
}

#[cfg(unix)]
// `stat` field types differ between platforms (e.g. 32-bit `st_mtime`): the casts are needed.
#[allow(clippy::unnecessary_cast)]
mod os {
    //! Folders are opened once; their files are stat'ed through the folder's handle (no path
    //! lookup from the root for each file).
    use super::{Identity, Kind, Meta};
    use crate::incremental::FileStamp;
    use crate::incremental::stamp::from_parts;
    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use std::ffi::OsStr;
    use std::os::fd::OwnedFd;
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Path, PathBuf};

    pub fn open(dir: &Path) -> Option<OwnedFd> {
        rustix::fs::open(
            dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()
    }

    pub fn join(dir: &Path, name: &[u8]) -> PathBuf {
        dir.join(OsStr::from_bytes(name))
    }

    /// The folder's ctime changes whenever an entry is added, removed or renamed.
    pub fn identity(dir: &OwnedFd) -> Option<Identity> {
        let st = rustix::fs::fstat(dir).ok()?;
        Some(Identity {
            ctime: Some((st.st_ctime as i64, st.st_ctime_nsec as i64)),
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
        })
    }

    /// The folder's entries, hidden ones (`.name`) left out, and whether every name can be
    /// remembered.
    pub fn list(dir: &OwnedFd) -> Option<(super::Entries, bool)> {
        let mut entries = Vec::new();
        let mut storable = true;
        for entry in rustix::fs::Dir::read_from(dir).ok()? {
            let entry = entry.ok()?;
            let name = entry.file_name().to_bytes();
            if name.first() == Some(&b'.') {
                continue;
            }
            storable &= super::storable(name);
            let file_type = match entry.file_type() {
                FileType::Unknown => rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
                    .map_or(FileType::Unknown, |st| FileType::from_raw_mode(st.st_mode)),
                t => t,
            };
            let kind = match file_type {
                FileType::Directory => Kind::Dir,
                FileType::Symlink => Kind::Link,
                _ => Kind::File,
            };
            entries.push((name.to_owned(), kind));
        }
        Some((entries, storable))
    }

    /// `name` in `dir`, through a symbolic link if asked.
    pub fn stat(dir: &OwnedFd, name: &[u8], follow: bool) -> Option<Meta> {
        let flags = if follow {
            AtFlags::empty()
        } else {
            AtFlags::SYMLINK_NOFOLLOW
        };
        let st = rustix::fs::statat(dir, name, flags).ok()?;
        Some(Meta {
            stamp: FileStamp {
                len: st.st_size as u64,
                mtime_ns: from_parts(st.st_mtime as i64, st.st_mtime_nsec as i64),
                ctime_ns: from_parts(st.st_ctime as i64, st.st_ctime_nsec as i64),
                ino: st.st_ino as u64,
            },
            is_dir: FileType::from_raw_mode(st.st_mode) == FileType::Directory,
        })
    }
}

#[cfg(not(unix))]
mod os {
    //! Without a folder's ctime nothing is remembered: every folder is listed every time. A
    //! folder's identity (to stop link loops) is a hash of its canonical path.
    use super::{Identity, Kind, Meta};
    use std::hash::BuildHasher;
    use std::path::{Path, PathBuf};

    pub fn open(dir: &Path) -> Option<PathBuf> {
        dir.is_dir().then(|| dir.to_owned())
    }

    pub fn join(dir: &Path, name: &[u8]) -> PathBuf {
        dir.join(String::from_utf8_lossy(name).as_ref())
    }

    pub fn identity(dir: &Path) -> Option<Identity> {
        let canonical = std::fs::canonicalize(dir).ok()?;
        Some(Identity {
            ctime: None,
            dev: 0,
            ino: super::FILE_STAMP.hash_one(canonical),
        })
    }

    pub fn list(dir: &Path) -> Option<(super::Entries, bool)> {
        let mut entries = Vec::new();
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let kind = match entry.file_type() {
                Ok(t) if t.is_dir() => Kind::Dir,
                Ok(t) if t.is_symlink() => Kind::Link,
                _ => Kind::File,
            };
            entries.push((name.into_bytes(), kind));
        }
        Some((entries, false))
    }

    pub fn stat(dir: &Path, name: &[u8], follow: bool) -> Option<Meta> {
        let path = join(dir, name);
        let m = if follow {
            std::fs::metadata(path)
        } else {
            std::fs::symlink_metadata(path)
        }
        .ok()?;
        Some(Meta {
            stamp: crate::incremental::FileStamp::of(&m).unwrap_or_default(),
            is_dir: m.is_dir(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{LISTING_FILE, Stamp, stamp, stamp_with};
    use std::path::Path;
    use std::time::Duration;

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    /// A change more than a clock tick after the last listing (ctimes are coarse on some file
    /// systems; remembering with no settling time is only safe across ticks).
    fn next_tick() {
        std::thread::sleep(Duration::from_millis(50));
    }

    fn without_cache(root: &Path) -> Stamp {
        let _ = std::fs::remove_file(root.join(".coe").join(LISTING_FILE));
        stamp_with(root, Duration::ZERO)
    }

    #[cfg(unix)]
    #[test]
    fn remembered_folders_are_not_listed_again_and_give_the_same_stamp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(&root.join("content/2024/a.md"), "alpha");
        write(&root.join("content/2025/b.md"), "beta");
        write(&root.join("content/top.md"), "top");
        next_tick();
        let first = stamp_with(root, Duration::ZERO);
        assert_eq!((first.files, first.listed), (3, 3));
        let second = stamp_with(root, Duration::ZERO);
        assert_eq!(
            second.listed, 0,
            "every folder came from the remembered listing"
        );
        assert_eq!((second.files, second.sum), (first.files, first.sum));
    }

    #[test]
    fn every_change_is_seen_through_the_remembered_listing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let content = root.join("content");
        write(&content.join("2024/a.md"), "alpha");
        write(&content.join("2024/b.md"), "beta");
        next_tick();
        let mut last = stamp_with(root, Duration::ZERO);
        let mut check = |what: &str, change: &dyn Fn()| {
            next_tick();
            change();
            let now = stamp_with(root, Duration::ZERO);
            assert_ne!(
                (now.files, now.sum),
                (last.files, last.sum),
                "{what}: not seen"
            );
            let fresh = without_cache(root);
            assert_eq!(
                (now.files, now.sum),
                (fresh.files, fresh.sum),
                "{what}: stale"
            );
            last = now;
        };
        check("edited in place", &|| {
            std::fs::write(content.join("2024/a.md"), "alphA, longer").expect("write")
        });
        check("same size, mtime set back (cp -p, rsync -t)", &|| {
            let path = content.join("2024/b.md");
            let mtime = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .expect("mtime");
            std::fs::write(&path, "betA").expect("write");
            std::fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(mtime))
                .expect("set mtime");
        });
        check("added", &|| write(&content.join("2024/c.md"), "gamma"));
        check("removed", &|| {
            std::fs::remove_file(content.join("2024/b.md")).expect("rm")
        });
        check("renamed", &|| {
            std::fs::rename(content.join("2024/c.md"), content.join("2024/d.md")).expect("mv")
        });
        check("new folder", &|| {
            write(&content.join("2025/e.md"), "epsilon")
        });
        check("folder removed", &|| {
            std::fs::remove_dir_all(content.join("2025")).expect("rm -r")
        });
    }

    #[test]
    fn a_folder_changed_just_before_its_listing_is_listed_again_next_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(&root.join("content/2024/a.md"), "alpha");
        assert_eq!(stamp(root).listed, 2);
        // Changed within the last two seconds: a change in the same clock tick could follow
        // unseen, so the names are not trusted yet.
        assert_eq!(stamp(root).listed, 2);
    }

    #[cfg(unix)]
    #[test]
    fn linked_folders_are_followed_once_and_only_coe_files_count() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let elsewhere = dir.path().join("elsewhere");
        write(&elsewhere.join("linked.md"), "linked");
        write(&root.join("content/2024/a.md"), "alpha");
        std::os::unix::fs::symlink(&elsewhere, root.join("content/2024/more")).expect("ln");
        std::os::unix::fs::symlink(root.join("content"), root.join("content/2024/loop"))
            .expect("ln");
        next_tick();
        let before = stamp_with(root, Duration::ZERO);
        assert_eq!(
            before.files, 2,
            "a.md and more/linked.md; the loop is not followed"
        );
        assert_eq!(stamp_with(root, Duration::ZERO).listed, 0);

        next_tick();
        std::fs::write(elsewhere.join("linked.md"), "linked, edited").expect("write");
        let edited = stamp_with(root, Duration::ZERO);
        assert_ne!(edited.sum, before.sum, "an edit behind a link is seen");

        for ignored in ["diagram.png", "_index.md", "notes.txt"] {
            write(&root.join("content/2024").join(ignored), "not a COE");
            let now = stamp_with(root, Duration::ZERO);
            assert_eq!(
                (now.files, now.sum),
                (edited.files, edited.sum),
                "{ignored}"
            );
        }
        write(&root.join("content/2024/b.MD"), "bravo");
        assert_eq!(stamp_with(root, Duration::ZERO).files, 3);
    }

    #[test]
    fn a_damaged_listing_is_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(&root.join("content/2024/a.md"), "alpha");
        next_tick();
        let good = stamp_with(root, Duration::ZERO);
        for junk in [
            "",
            "coe-content-listing 1\nf orphan.md\n",
            "coe-content-listing 1\nd x y z 2024\n",
            "coe-content-listing 1\nq what\n",
            "coe-content-listing 9\n",
        ] {
            write(&root.join(".coe").join(LISTING_FILE), junk);
            let s = stamp_with(root, Duration::ZERO);
            assert_eq!(
                (s.files, s.sum, s.listed),
                (good.files, good.sum, 2),
                "{junk:?}"
            );
        }
    }
}
