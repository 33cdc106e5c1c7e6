//! The parse cache, `<root>/.coe/parsed.idx` and the blobs file it names: every content file's
//! size, modification time and parse, so that a rebuild parses only the files that changed.
//!
//! Layout:
//!
//! ```text
//! parsed.idx:           "COEPARSE" version: u32 LE, then the table, encoded with `codec`:
//!                       exe_len exe_mtime_ns scanned_at_ns blobs_id, the number of rows, and
//!                       one row per file: source len mtime_ns ctime_ns inode
//!                       (0 | 1 checksum:u64 offset length)
//! parsed-<id>.blobs:    the encoded parses the rows point at
//! ```
//!
//! The index is small and read first; each parse is then read on its own (a positioned read)
//! and decoded in parallel, checked against its checksum, so the blobs (~16 KB a COE) are
//! never held in memory whole. The index names the executable that wrote it (size and
//! modification time): a rebuilt `coe`, whose parser may differ, never trusts an old cache.
//!
//! The blobs file only grows: a rebuild appends the parses of the files that changed and
//! writes a new index (a few hundred KB at 10,000 COEs, instead of the whole 160 MB). Once
//! less than half of it is still in use, the parses in use are copied into a new blobs file.
//! A parse whose bytes do not match their checksum (two builds appending at once, a damaged
//! file) is parsed again.

use super::codec::{self, Decode, Encode, Parse, Reader, Writer};
use std::cell::RefCell;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, Write};
use std::ops::Range;
use std::path::Path;

const MAGIC: &[u8; 8] = b"COEPARSE";
/// Change whenever the layout or the codec changes. 4: a COE's `action_items_source` and
/// `body_metadata` (issue 17). 5: a COE's `attachments`. 6: `summary` is plain text, tables
/// in sections scroll in a focusable box. 7: so do code blocks (`<pre tabindex="0">`).
const VERSION: u32 = 7;

pub use crate::incremental::FileStamp as Stamp;

/// The running executable, as its stamp.
pub fn exe_identity() -> Option<Stamp> {
    let exe = std::env::current_exe().ok()?;
    Stamp::of(&std::fs::metadata(exe).ok()?)
}

/// Where a parse is in the cache file (from the start of the blobs), and the checksum of
/// its bytes.
#[derive(Debug, Clone)]
pub struct Blob {
    checksum: u64,
    range: Range<u64>,
}

impl Blob {
    fn len(&self) -> u64 {
        self.range.end - self.range.start
    }
}

/// One file as the cache lists it. `parse` is `None` for a file that did not parse.
#[derive(Debug)]
pub struct Row {
    pub source: String,
    pub stamp: Stamp,
    pub parse: Option<Blob>,
}

/// A cache read back. Only its index is read at first; each parse is read (with a positioned
/// read, in parallel) and decoded on demand.
pub struct Cache {
    /// The blobs file, open from `read` on: a newer cache does not change what it reads.
    file: File,
    blobs_id: u64,
    blobs_len: u64,
    /// Files were stat'ed after this moment (ns since the Unix epoch) when the cache was made.
    pub scanned_at_ns: i64,
    pub rows: Vec<Row>,
}

/// The blobs file with this id, next to the index at `path`.
fn blobs_path(path: &Path, id: u64) -> std::path::PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(|| "parsed".into(), |s| s.to_string_lossy());
    path.with_file_name(format!("{stem}-{id:016x}.blobs"))
}

thread_local! {
    /// One parse's bytes, reused by each thread.
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl Cache {
    /// `None` when the index or its blobs file is missing, was written by another executable,
    /// or is corrupt.
    pub fn read(path: &Path, exe: Stamp) -> Option<Cache> {
        let index = std::fs::read(path).ok()?;
        let rest = index.strip_prefix(MAGIC)?;
        let (version, table) = rest.split_first_chunk::<4>()?;
        if u32::from_le_bytes(*version) != VERSION {
            return None;
        }
        let (blobs_id, scanned_at_ns, rows) = read_table(table, exe)?;
        let file = File::open(blobs_path(path, blobs_id)).ok()?;
        let blobs_len = file.metadata().ok()?.len();
        let inside = rows
            .iter()
            .filter_map(|r| r.parse.as_ref())
            .all(|b| b.range.end <= blobs_len);
        inside.then_some(Cache {
            file,
            blobs_id,
            blobs_len,
            scanned_at_ns,
            rows,
        })
    }

    /// The parse a row points at; `None` when it cannot be read, its bytes do not match their
    /// checksum, or they do not decode.
    pub fn parse(&self, blob: &Blob) -> Option<Parse> {
        BUFFER.with_borrow_mut(|buf| {
            buf.resize(usize::try_from(blob.len()).ok()?, 0);
            read_at(&self.file, buf, blob.range.start).ok()?;
            if checksum(buf) != blob.checksum {
                return None;
            }
            codec::decode_parse(buf)
        })
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(not(any(unix, windows)))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

fn read_table(table: &[u8], exe: Stamp) -> Option<(u64, i64, Vec<Row>)> {
    let mut r = Reader::new(table)?;
    let written_by = read_stamp(&mut r)?;
    if written_by != exe {
        return None;
    }
    let scanned_at_ns = i64::decode(&mut r)?;
    let blobs_id = r.u64_le()?;
    let count = usize::decode(&mut r)?;
    let mut rows = Vec::with_capacity(count.min(table.len()));
    for _ in 0..count {
        let source = String::decode(&mut r)?;
        let stamp = read_stamp(&mut r)?;
        let parse = match r.byte()? {
            0 => None,
            1 => {
                let checksum = r.u64_le()?;
                let start = r.varint()?;
                let end = start.checked_add(r.varint()?)?;
                Some(Blob {
                    checksum,
                    range: start..end,
                })
            }
            _ => return None,
        };
        rows.push(Row {
            source,
            stamp,
            parse,
        });
    }
    r.is_empty().then_some((blobs_id, scanned_at_ns, rows))
}

/// The index's table read from arbitrary bytes, as if this executable had written it (the
/// stamp it names is taken as ours): the number of rows, or `None`. For fuzz/.
#[doc(hidden)]
pub fn decode_index(table: &[u8]) -> Option<usize> {
    let exe = read_stamp(&mut Reader::new(table)?)?;
    read_table(table, exe).map(|(_, _, rows)| rows.len())
}

fn read_stamp(r: &mut Reader) -> Option<Stamp> {
    Some(Stamp {
        len: r.varint()?,
        mtime_ns: i64::decode(r)?,
        ctime_ns: i64::decode(r)?,
        ino: r.varint()?,
    })
}

fn write_stamp(stamp: &Stamp, table: &mut Writer) {
    stamp.len.encode(table);
    stamp.mtime_ns.encode(table);
    stamp.ctime_ns.encode(table);
    stamp.ino.encode(table);
}

fn checksum(bytes: &[u8]) -> u64 {
    foldhash::quality::FixedState::with_seed(0x7061_7273_6564).hash_one(bytes)
}

/// A file's parse in the cache file to be written.
pub enum Saved {
    /// Not parsed successfully: parsed again every time.
    None,
    /// Unchanged: copied from the previous cache file's bytes.
    Old(Blob),
    /// Parsed this time: its encoding.
    New(Vec<u8>),
}

pub struct NewRow {
    pub source: String,
    pub stamp: Stamp,
    pub parse: Saved,
}

/// Writes the cache: the new parses appended to the old blobs file (or every parse in use
/// copied into a new one, when less than half of the old one would be in use), then a new
/// index, written to a temporary file and renamed over `path`. `old` is the previous cache,
/// which `Saved::Old` rows point into. Each new parse's bytes are freed once written (150 MB
/// at 10,000 COEs, written while the build goes on: held to the end, they added to its peak).
pub fn write(
    path: &Path,
    exe: Stamp,
    scanned_at_ns: i64,
    rows: &mut [NewRow],
    old: Option<&Cache>,
) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let size = |p: &Saved| match p {
        Saved::None => 0,
        Saved::Old(blob) => blob.len(),
        Saved::New(bytes) => bytes.len() as u64,
    };
    let live: u64 = rows.iter().map(|r| size(&r.parse)).sum();
    let added: u64 = rows
        .iter()
        .filter(|r| matches!(r.parse, Saved::New(_)))
        .map(|r| size(&r.parse))
        .sum();
    let append = old.filter(|o| o.blobs_len + added <= 2 * live);
    let (blobs_id, blobs) = match append {
        Some(old) => (old.blobs_id, append_blobs(path, old, rows)?),
        None => {
            let id = fresh_id(scanned_at_ns);
            let fresh = blobs_path(path, id);
            match copy_blobs(&fresh, old, rows) {
                Ok(blobs) => (id, blobs),
                Err(e) => {
                    let _ = std::fs::remove_file(&fresh);
                    return Err(e);
                }
            }
        }
    };

    let mut table = Writer::default();
    write_stamp(&exe, &mut table);
    scanned_at_ns.encode(&mut table);
    table.u64_le(blobs_id);
    rows.len().encode(&mut table);
    for (row, blob) in rows.iter().zip(&blobs) {
        row.source.encode(&mut table);
        write_stamp(&row.stamp, &mut table);
        match blob {
            None => table.byte(0),
            Some(blob) => {
                table.byte(1);
                table.u64_le(blob.checksum);
                blob.range.start.encode(&mut table);
                blob.len().encode(&mut table);
            }
        }
    }
    let table = table.finish();
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let written = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(MAGIC)?;
        file.write_all(&VERSION.to_le_bytes())?;
        file.write_all(&table)?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    if append.is_none() {
        remove_other_blobs(path, blobs_id);
    }
    Ok(())
}

/// A new blobs file's id: the scan time, mixed with the process id (two builds at once).
fn fresh_id(scanned_at_ns: i64) -> u64 {
    foldhash::quality::FixedState::with_seed(0x626c_6f62)
        .hash_one((scanned_at_ns, std::process::id()))
}

/// Appends the new parses to the old blobs file; returns where every row's parse is.
fn append_blobs(path: &Path, old: &Cache, rows: &mut [NewRow]) -> io::Result<Vec<Option<Blob>>> {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(blobs_path(path, old.blobs_id))?;
    let mut at = file.metadata()?.len();
    let mut out = io::BufWriter::with_capacity(1 << 20, &mut file);
    let mut blobs = Vec::with_capacity(rows.len());
    for row in rows {
        blobs.push(match &mut row.parse {
            Saved::None => None,
            Saved::Old(blob) => Some(blob.clone()),
            Saved::New(bytes) => {
                out.write_all(bytes)?;
                let start = at;
                at += bytes.len() as u64;
                let sum = checksum(bytes);
                drop(std::mem::take(bytes));
                Some(Blob {
                    checksum: sum,
                    range: start..at,
                })
            }
        });
    }
    out.flush()?;
    Ok(blobs)
}

/// Writes every parse in use into a new blobs file at `to`, unchanged ones copied from the
/// old file (adjacent ones in one run); returns where every row's parse is.
fn copy_blobs(
    to: &Path,
    old: Option<&Cache>,
    rows: &mut [NewRow],
) -> io::Result<Vec<Option<Blob>>> {
    let mut file = io::BufWriter::with_capacity(1 << 20, File::create(to)?);
    let mut blobs = Vec::with_capacity(rows.len());
    let mut at = 0u64;
    let mut run: Option<Range<u64>> = None;
    let mut buf = Vec::new();
    for row in rows {
        let (sum, len) = match &mut row.parse {
            Saved::None => {
                blobs.push(None);
                continue;
            }
            Saved::Old(blob) => {
                match &mut run {
                    Some(r) if r.end == blob.range.start => r.end = blob.range.end,
                    _ => copy_run(old, run.replace(blob.range.clone()), &mut buf, &mut file)?,
                }
                (blob.checksum, blob.len())
            }
            Saved::New(bytes) => {
                copy_run(old, run.take(), &mut buf, &mut file)?;
                file.write_all(bytes)?;
                let written = (checksum(bytes), bytes.len() as u64);
                drop(std::mem::take(bytes));
                written
            }
        };
        blobs.push(Some(Blob {
            checksum: sum,
            range: at..at + len,
        }));
        at += len;
    }
    copy_run(old, run, &mut buf, &mut file)?;
    file.into_inner().map_err(io::IntoInnerError::into_error)?;
    Ok(blobs)
}

/// Deletes the blobs files the index at `path` no longer names (left by earlier caches).
fn remove_other_blobs(path: &Path, keep: u64) {
    let Some(dir) = path.parent() else { return };
    let keep = blobs_path(path, keep);
    let stem = path
        .file_stem()
        .map_or_else(|| "parsed".into(), |s| s.to_string_lossy());
    let prefix = format!("{stem}-");
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix) && name.ends_with(".blobs") && entry.path() != keep {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Copies a range of the old cache's blobs to `out`, a MiB at a time through `buf`.
fn copy_run(
    old: Option<&Cache>,
    run: Option<Range<u64>>,
    buf: &mut Vec<u8>,
    out: &mut impl Write,
) -> io::Result<()> {
    let Some(mut run) = run else {
        return Ok(());
    };
    let old = old.ok_or(io::ErrorKind::NotFound)?;
    buf.resize(1 << 20, 0);
    while run.start < run.end {
        let n = (run.end - run.start).min(buf.len() as u64) as usize;
        let chunk = buf.get_mut(..n).ok_or(io::ErrorKind::InvalidData)?;
        read_at(&old.file, chunk, run.start)?;
        out.write_all(chunk)?;
        run.start += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXE: Stamp = Stamp {
        len: 1234,
        mtime_ns: 5678,
        ctime_ns: 5678,
        ino: 7,
    };

    fn parse_of(title: &str) -> Vec<u8> {
        let text =
            format!("---\ntitle: {title}\ndate: 2024-01-02\n---\n\n## Summary\n\nText — a dash.\n");
        let parse = crate::content::parse(&text, "a.md", "content/a.md").expect("parses");
        codec::encode_parse(&parse)
    }

    fn row(source: &str, mtime_ns: i64, parse: Saved) -> NewRow {
        NewRow {
            source: source.into(),
            stamp: Stamp {
                len: 10,
                mtime_ns,
                ctime_ns: mtime_ns,
                ino: 3,
            },
            parse,
        }
    }

    /// A cache of two rows, one with a parse; the index's path and bytes.
    fn sample(dir: &Path) -> (std::path::PathBuf, Vec<u8>) {
        let mut rows = [
            row("a.md", 1, Saved::New(parse_of("T"))),
            row("b/broken.md", -2, Saved::None),
        ];
        let path = dir.join("parsed.idx");
        write(&path, EXE, 99, &mut rows, None).expect("write");
        let bytes = std::fs::read(&path).expect("read");
        (path, bytes)
    }

    /// The rows of a cache read back, each parse kept as it is.
    fn unchanged(rows: &[Row]) -> Vec<NewRow> {
        rows.iter()
            .map(|r| {
                let parse = Saved::Old(r.parse.clone().expect("parse"));
                row(&r.source, r.stamp.mtime_ns, parse)
            })
            .collect()
    }

    fn blobs_files(dir: &Path) -> Vec<std::path::PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .expect("dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "blobs"))
            .collect();
        files.sort();
        files
    }

    #[test]
    fn reads_back_what_was_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, _) = sample(dir.path());
        let cache = Cache::read(&path, EXE).expect("reads");
        assert_eq!(cache.scanned_at_ns, 99);
        assert_eq!(cache.rows.len(), 2);
        assert_eq!(
            cache.rows[1].stamp,
            Stamp {
                len: 10,
                mtime_ns: -2,
                ctime_ns: -2,
                ino: 3,
            }
        );
        let blob = cache.rows[0].parse.as_ref().expect("a parse");
        assert_eq!(cache.parse(blob).expect("decodes").0.title, "T");
        assert!(cache.rows[1].parse.is_none());
        // Another executable wrote it: not trusted.
        let other = Stamp {
            mtime_ns: 5679,
            ..EXE
        };
        assert!(Cache::read(&path, other).is_none());
    }

    #[test]
    fn an_edit_appends_its_parse_and_a_mostly_unused_blobs_file_is_replaced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("parsed.idx");
        let mut many: Vec<NewRow> = (0..20)
            .map(|n| {
                row(
                    &format!("{n}.md"),
                    n,
                    Saved::New(parse_of(&format!("T{n}"))),
                )
            })
            .collect();
        write(&path, EXE, 1, &mut many, None).expect("write");
        let first = blobs_files(dir.path());
        assert_eq!(first.len(), 1);
        let size = std::fs::metadata(&first[0]).expect("blobs").len();

        // One file edited: its parse is appended to the same blobs file.
        let old = Cache::read(&path, EXE).expect("reads");
        let mut rows = unchanged(&old.rows);
        rows[3] = row("3.md", 100, Saved::New(parse_of("Edited")));
        write(&path, EXE, 2, &mut rows, Some(&old)).expect("write");
        assert_eq!(blobs_files(dir.path()), first);
        let grown = std::fs::metadata(&first[0]).expect("blobs").len();
        assert!(
            grown > size && grown < size + size / 10,
            "{size} -> {grown}"
        );
        let cache = Cache::read(&path, EXE).expect("reads");
        let title = |c: &Cache, n: usize| {
            let blob = c.rows[n].parse.as_ref().expect("parse");
            c.parse(blob).expect("decodes").0.title
        };
        assert_eq!(title(&cache, 3), "Edited");
        assert_eq!(title(&cache, 4), "T4");

        // Only two files left: most of the blobs file is unused, so a new one replaces it.
        let mut rows = unchanged(&cache.rows[..2]);
        write(&path, EXE, 3, &mut rows, Some(&cache)).expect("write");
        drop(cache);
        let now = blobs_files(dir.path());
        assert_eq!(now.len(), 1);
        assert_ne!(now, first);
        let cache = Cache::read(&path, EXE).expect("reads");
        assert_eq!(title(&cache, 1), "T1");
    }

    #[test]
    fn truncated_or_garbage_files_read_as_none_without_panicking() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, good) = sample(dir.path());
        for n in 0..good.len() {
            std::fs::write(&path, &good[..n]).expect("write");
            assert!(Cache::read(&path, EXE).is_none(), "truncated to {n}");
        }
        // Any one byte of the index or of the blobs overwritten: no panic, and never a parse
        // other than the true one.
        let blobs = blobs_files(dir.path()).remove(0);
        let good_blobs = std::fs::read(&blobs).expect("blobs");
        let check = || {
            if let Some(cache) = Cache::read(&path, EXE) {
                for row in &cache.rows {
                    if let Some(parse) = row.parse.as_ref().and_then(|b| cache.parse(b)) {
                        assert_eq!(parse.0.title, "T");
                    }
                }
            }
        };
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0xa5;
            std::fs::write(&path, &bad).expect("write");
            check();
        }
        std::fs::write(&path, &good).expect("write");
        for i in 0..good_blobs.len() {
            let mut bad = good_blobs.clone();
            bad[i] ^= 0xa5;
            std::fs::write(&blobs, &bad).expect("write");
            check();
        }
        std::fs::write(&blobs, &good_blobs[..good_blobs.len() / 2]).expect("write");
        assert!(Cache::read(&path, EXE).is_none(), "blobs cut short");
        std::fs::remove_file(&blobs).expect("rm");
        assert!(Cache::read(&path, EXE).is_none(), "blobs missing");
        for garbage in [
            vec![0xff; 100],
            b"COEPARSE\x02\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
        ] {
            std::fs::write(&path, &garbage).expect("write");
            assert!(Cache::read(&path, EXE).is_none());
        }
        assert!(Cache::read(&dir.path().join("missing.idx"), EXE).is_none());
    }
}
