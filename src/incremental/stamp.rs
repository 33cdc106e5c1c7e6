//! The one answer to "did this file change since it was last read": its size, modification
//! time, status-change time (ctime) and inode. Every incremental question asks it: the parse
//! cache of `coe build`, the one `coe serve` keeps in memory, and the freshness check of the
//! search index.
//!
//! Size and mtime alone miss an edit that keeps both: `cp -p`, `rsync -t`, `touch -r` and a
//! restore from backup set the mtime back, and a one-word fix often keeps the length. The
//! ctime cannot be set from user space (any write, rename or `touch` moves it to now) and a
//! file replaced by another (an editor's save-by-rename, a restore) has a new inode, so the
//! four together see such edits. Where the system has no ctime or inode (not Unix), they are
//! 0 and the stamp is the portable size and mtime.
//!
//! File times are coarse on some file systems (a second on some network and FAT file
//! systems; the kernel's clock tick on ext4): a file changed just before or while it was read
//! can keep its stamp through a second change. A stamp is therefore trusted only once the file
//! has [`settled`](FileStamp::settled_at): its mtime is [`SETTLE_NS`] older than the moment it
//! was looked at.

use std::time::SystemTime;

/// How long after its last change a file's stamp is trusted (see the module documentation).
pub const SETTLE_NS: i64 = 3_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FileStamp {
    pub len: u64,
    /// Nanoseconds since the Unix epoch (negative before it).
    pub mtime_ns: i64,
    /// Nanoseconds since the Unix epoch; 0 where the system does not tell.
    pub ctime_ns: i64,
    /// 0 where the system does not tell.
    pub ino: u64,
}

impl FileStamp {
    pub fn of(meta: &std::fs::Metadata) -> Option<FileStamp> {
        let mtime_ns = nanos(meta.modified().ok()?)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(FileStamp {
                len: meta.len(),
                mtime_ns,
                ctime_ns: from_parts(meta.ctime(), meta.ctime_nsec()),
                ino: meta.ino(),
            })
        }
        #[cfg(not(unix))]
        {
            Some(FileStamp {
                len: meta.len(),
                mtime_ns,
                ctime_ns: 0,
                ino: 0,
            })
        }
    }

    /// The stamp of the file at `path` (following links), if it can be read.
    pub fn of_path(path: &std::path::Path) -> Option<FileStamp> {
        FileStamp::of(&std::fs::metadata(path).ok()?)
    }

    /// Whether this stamp, taken no earlier than `looked_at_ns`, can stand for the file's
    /// bytes: its mtime is at least [`SETTLE_NS`] before then. As in git's "racy" rule, the
    /// window is on the mtime only (a file fresh from `git clone` or `cp` would otherwise be
    /// parsed again on every build for a while); the ctime and inode still take part in the
    /// comparison, so a settled mtime set back by `touch -r` is no disguise.
    pub fn settled_at(&self, looked_at_ns: i64) -> bool {
        self.mtime_ns <= looked_at_ns.saturating_sub(SETTLE_NS)
    }
}

/// Nanoseconds since the Unix epoch (negative before it); `None` past the range of `i64`.
pub fn nanos(t: SystemTime) -> Option<i64> {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).ok(),
        Err(e) => i64::try_from(e.duration().as_nanos()).ok().map(|n| -n),
    }
}

/// Now, in nanoseconds since the Unix epoch.
pub fn now_ns() -> i64 {
    nanos(SystemTime::now()).unwrap_or(0)
}

/// Seconds and nanoseconds (as `stat` gives them) in nanoseconds, saturating.
pub fn from_parts(secs: i64, nanos: i64) -> i64 {
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_that_keeps_size_and_mtime_changes_the_stamp() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("a.md");
        std::fs::write(&path, "title: one").expect("write");
        let before = FileStamp::of_path(&path).expect("stamp");
        let mtime = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime");
        // Let the clock move past the first write's ctime.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&path, "title: two").expect("write");
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(mtime))
            .expect("set mtime");
        let after = FileStamp::of_path(&path).expect("stamp");
        assert_eq!((before.len, before.mtime_ns), (after.len, after.mtime_ns));
        if cfg!(unix) {
            assert_ne!(before, after, "ctime must tell the edit");
        }
    }

    #[test]
    fn a_stamp_settles_after_the_window() {
        let s = FileStamp {
            len: 1,
            mtime_ns: 5_000_000_000,
            ctime_ns: 5_000_000_000,
            ino: 1,
        };
        assert!(!s.settled_at(7_000_000_000));
        assert!(s.settled_at(8_000_000_000));
        assert!(!s.settled_at(i64::MIN));
    }
}
