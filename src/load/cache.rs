//! The parse cache file, `<root>/.coe/parsed.bin`: every content file's size, modification
//! time and parse, so that a rebuild parses only the files that changed.
//!
//! Layout:
//!
//! ```text
//! "COEPARSE"  version: u32 LE  table length: u64 LE
//! table, encoded with `codec`: exe_len exe_mtime_ns scanned_at_ns, the number of rows, and
//!     one row per file: source len mtime_ns (0 | 1 checksum:u64 offset length)
//! blobs: the encoded parses the rows point at (offsets from the end of the table)
//! ```
//!
//! The table is small and read first; each parse is then read on its own (a positioned read)
//! and decoded in parallel, checked against its checksum, so the file (~16 KB a COE) is never
//! held in memory whole. The table names the executable that wrote the file (size and
//! modification time): a rebuilt `coe`, whose parser may differ, never trusts an old cache.
//! A new file copies the unchanged parses from the old one, byte for byte.

use super::codec::{self, Decode, Encode, Parse, Reader, Writer};
use std::cell::RefCell;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, Read, Write};
use std::ops::Range;
use std::path::Path;
use std::time::SystemTime;

const MAGIC: &[u8; 8] = b"COEPARSE";
/// Change whenever the layout or the codec changes.
const VERSION: u32 = 1;

/// A file's size and modification time (ns since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub len: u64,
    pub mtime_ns: i64,
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Option<Stamp> {
        Some(Stamp {
            len: meta.len(),
            mtime_ns: nanos(meta.modified().ok()?)?,
        })
    }
}

pub fn nanos(t: SystemTime) -> Option<i64> {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_nanos()).ok(),
        Err(e) => i64::try_from(e.duration().as_nanos()).ok().map(|n| -n),
    }
}

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

/// A cache file read back. Only its table is read at first; each parse is read (with a
/// positioned read, in parallel) and decoded on demand, so the file is never held in memory
/// whole.
pub struct Cache {
    /// Open from `read` on: a newer cache renamed over the path does not change what it reads.
    file: File,
    blobs_start: u64,
    /// Files were stat'ed after this moment (ns since the Unix epoch) when the cache was made.
    pub scanned_at_ns: i64,
    pub rows: Vec<Row>,
}

/// Magic, version, table length.
const HEAD_LEN: u64 = MAGIC.len() as u64 + 4 + 8;

thread_local! {
    /// One parse's bytes, reused by each thread.
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl Cache {
    /// `None` when the file is missing, was written by another executable, or is corrupt.
    pub fn read(path: &Path, exe: Stamp) -> Option<Cache> {
        let mut file = File::open(path).ok()?;
        let file_len = file.metadata().ok()?.len();
        let mut head = [0u8; HEAD_LEN as usize];
        file.read_exact(&mut head).ok()?;
        let rest = head.strip_prefix(MAGIC)?;
        let (version, rest) = rest.split_first_chunk::<4>()?;
        if u32::from_le_bytes(*version) != VERSION {
            return None;
        }
        let table_len = u64::from_le_bytes(rest.try_into().ok()?);
        let blobs_start = table_len.checked_add(HEAD_LEN)?;
        let blobs_len = file_len.checked_sub(blobs_start)?;
        let mut table = vec![0; usize::try_from(table_len).ok()?];
        file.read_exact(&mut table).ok()?;
        let (scanned_at_ns, rows) = read_table(&table, exe, blobs_len)?;
        Some(Cache {
            file,
            blobs_start,
            scanned_at_ns,
            rows,
        })
    }

    /// The parse a row points at; `None` when it cannot be read, its bytes do not match their
    /// checksum, or they do not decode.
    pub fn parse(&self, blob: &Blob) -> Option<Parse> {
        BUFFER.with_borrow_mut(|buf| {
            buf.resize(usize::try_from(blob.len()).ok()?, 0);
            read_at(&self.file, buf, self.blobs_start + blob.range.start).ok()?;
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

fn read_table(table: &[u8], exe: Stamp, blobs_len: u64) -> Option<(i64, Vec<Row>)> {
    let mut r = Reader::new(table)?;
    let written_by = Stamp {
        len: r.varint()?,
        mtime_ns: i64::decode(&mut r)?,
    };
    if written_by != exe {
        return None;
    }
    let scanned_at_ns = i64::decode(&mut r)?;
    let count = usize::decode(&mut r)?;
    let mut rows = Vec::with_capacity(count.min(table.len()));
    for _ in 0..count {
        let source = String::decode(&mut r)?;
        let stamp = Stamp {
            len: r.varint()?,
            mtime_ns: i64::decode(&mut r)?,
        };
        let parse = match r.byte()? {
            0 => None,
            1 => {
                let checksum = r.u64_le()?;
                let start = r.varint()?;
                let end = start.checked_add(r.varint()?)?;
                if end > blobs_len {
                    return None;
                }
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
    r.is_empty().then_some((scanned_at_ns, rows))
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

/// Writes the cache atomically: a temporary file next to `path`, then renamed over it.
/// `old` is the previous cache, which `Saved::Old` rows point into.
pub fn write(
    path: &Path,
    exe: Stamp,
    scanned_at_ns: i64,
    rows: &[NewRow],
    old: Option<&Cache>,
) -> io::Result<()> {
    let mut table = Writer::default();
    exe.len.encode(&mut table);
    exe.mtime_ns.encode(&mut table);
    scanned_at_ns.encode(&mut table);
    rows.len().encode(&mut table);
    let mut offset = 0u64;
    for row in rows {
        row.source.encode(&mut table);
        row.stamp.len.encode(&mut table);
        row.stamp.mtime_ns.encode(&mut table);
        let (sum, len) = match &row.parse {
            Saved::None => {
                table.byte(0);
                continue;
            }
            Saved::Old(blob) => (blob.checksum, blob.len()),
            Saved::New(bytes) => (checksum(bytes), bytes.len() as u64),
        };
        table.byte(1);
        table.u64_le(sum);
        offset.encode(&mut table);
        len.encode(&mut table);
        offset += len;
    }
    let table = table.finish();

    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(
        "{}.tmp-{}",
        name.as_deref().unwrap_or("parsed.bin"),
        std::process::id()
    ));
    let written = (|| {
        let mut file = io::BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        file.write_all(MAGIC)?;
        file.write_all(&VERSION.to_le_bytes())?;
        file.write_all(&(table.len() as u64).to_le_bytes())?;
        file.write_all(&table)?;
        // Unchanged parses are copied from the old file, adjacent ones in one run.
        let mut run: Option<Range<u64>> = None;
        let mut buf = Vec::new();
        for row in rows {
            match (&row.parse, &mut run) {
                (Saved::None, _) => {}
                (Saved::Old(blob), Some(r)) if r.end == blob.range.start => {
                    r.end = blob.range.end;
                }
                (Saved::Old(blob), _) => {
                    copy_run(old, run.replace(blob.range.clone()), &mut buf, &mut file)?;
                }
                (Saved::New(bytes), _) => {
                    copy_run(old, run.take(), &mut buf, &mut file)?;
                    file.write_all(bytes)?;
                }
            }
        }
        copy_run(old, run, &mut buf, &mut file)?;
        file.into_inner().map_err(io::IntoInnerError::into_error)?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
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
        read_at(&old.file, chunk, old.blobs_start + run.start)?;
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
    };

    /// A cache file of two rows, one with a parse.
    fn sample(dir: &Path) -> (std::path::PathBuf, Vec<u8>) {
        let (coe, warnings) = crate::content::parse(
            "---\ntitle: T\ndate: 2024-01-02\n---\n\n## Summary\n\nText — with a dash.\n",
            "a.md",
            "content/a.md",
        )
        .expect("parses");
        let rows = [
            NewRow {
                source: "a.md".into(),
                stamp: Stamp {
                    len: 10,
                    mtime_ns: 1,
                },
                parse: Saved::New(codec::encode_parse(&(coe, warnings))),
            },
            NewRow {
                source: "b/broken.md".into(),
                stamp: Stamp {
                    len: 3,
                    mtime_ns: -2,
                },
                parse: Saved::None,
            },
        ];
        let path = dir.join("parsed.bin");
        write(&path, EXE, 99, &rows, None).expect("write");
        let bytes = std::fs::read(&path).expect("read");
        (path, bytes)
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
                len: 3,
                mtime_ns: -2
            }
        );
        let blob = cache.rows[0].parse.as_ref().expect("a parse");
        assert_eq!(cache.parse(blob).expect("decodes").0.title, "T");
        assert!(cache.rows[1].parse.is_none());
        // Another executable wrote it: not trusted.
        let other = Stamp {
            len: 1234,
            mtime_ns: 5679,
        };
        assert!(Cache::read(&path, other).is_none());
    }

    #[test]
    fn truncated_or_garbage_files_read_as_none_without_panicking() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, good) = sample(dir.path());
        for n in 0..good.len() {
            std::fs::write(&path, &good[..n]).expect("write");
            assert!(Cache::read(&path, EXE).is_none(), "truncated to {n}");
        }
        // Any one byte overwritten: no panic, and never a parse other than the true one.
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0xa5;
            std::fs::write(&path, &bad).expect("write");
            if let Some(cache) = Cache::read(&path, EXE) {
                for row in &cache.rows {
                    if let Some(parse) = row.parse.as_ref().and_then(|b| cache.parse(b)) {
                        assert_eq!(parse.0.title, "T", "byte {i}");
                    }
                }
            }
        }
        for garbage in [
            vec![0xff; 100],
            b"COEPARSE\x01\0\0\0\xff\xff\xff\xff\xff\xff\xff\xff".to_vec(),
        ] {
            std::fs::write(&path, &garbage).expect("write");
            assert!(Cache::read(&path, EXE).is_none());
        }
        assert!(Cache::read(&dir.path().join("missing.bin"), EXE).is_none());
    }
}
