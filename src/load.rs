//! Finds the COE files under `content/` (any depth) and parses them in parallel, optionally
//! reusing the parses of unchanged files from a cache on disk (`load_all_cached`).

mod cache;
// Public for the fuzz target that reads records from arbitrary bytes (fuzz/).
#[doc(hidden)]
pub mod codec;
#[cfg(test)]
mod codec_bench;
mod memory;

pub use memory::MemoryCache;

use crate::content::{self, Coe};
use crate::diag::Diagnostic;
#[doc(hidden)]
pub use cache::decode_index;
pub use cache::exe_identity;
use cache::{Cache, NewRow, Saved, Stamp};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Markdown files under `content_dir`, sorted, as (absolute path, path relative to content/).
/// Hidden files and folders and `_index.md`-style files (names starting with `_`) are skipped.
pub fn find_files(content_dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<(PathBuf, String)> {
    walk(content_dir, diags)
        .into_iter()
        .map(|(entry, rel)| (entry.into_path(), rel))
        .collect()
}

/// Whether a file of this name is read as a COE: Markdown (`.md`, `.markdown`), not `_index.md`
/// and the like. (Hidden files are left out before.)
pub fn is_source_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.ends_with(".md") || lower.ends_with(".markdown")) && !name.starts_with('_')
}

/// `find_files` with each file's directory entry (which can stat it without another lookup
/// of a followed link).
fn walk(content_dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<(walkdir::DirEntry, String)> {
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(content_dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    let walker = walker
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| display(content_dir, p))
                    .unwrap_or_else(|| "content".to_owned());
                let msg = if e.loop_ancestor().is_some() {
                    "symbolic link loop: this folder links back to one of its parents; skipped"
                        .to_owned()
                } else {
                    format!(
                        "cannot read: {}",
                        e.io_error()
                            .map_or_else(|| e.to_string(), ToString::to_string)
                    )
                };
                diags.push(Diagnostic::error(path, 0, 0, msg));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        if !is_source_name(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(content_dir)
            .unwrap_or(entry.path());
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        files.push((entry, rel));
    }
    files
}

fn display(content_dir: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(content_dir).unwrap_or(p);
    format!("content/{}", rel.to_string_lossy())
}

/// Parses every file; returns the COEs that parsed and all diagnostics.
pub fn load_all(content_dir: &Path) -> (Vec<Coe>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    if !content_dir.is_dir() {
        diags.push(Diagnostic::error(
            content_dir.display().to_string(),
            0,
            0,
            "no content folder: expected COE Markdown files under content/ in the site root (use --root)",
        ));
        return (Vec::new(), diags);
    }
    let files = find_files(content_dir, &mut diags);
    let results: Vec<_> = files
        .par_iter()
        .map(|(path, rel)| content::load_file(path, rel, &format!("content/{rel}")))
        .collect();
    let mut coes = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok((coe, warnings)) => {
                diags.extend(warnings);
                coes.push(coe);
            }
            Err(errors) => diags.extend(errors),
        }
    }
    (coes, diags)
}

/// What `load_all_cached` found.
#[derive(Debug)]
pub struct Loaded {
    /// Exactly what `load_all` returns, in the same order.
    pub coes: Vec<Coe>,
    /// Exactly what `load_all` returns, in the same order.
    pub diagnostics: Vec<Diagnostic>,
    /// Sources parsed again this time (changed, added, or not cached), each with its previous
    /// parse when the cache had one (the previous version of an edited file).
    pub reparsed: Vec<(String, Option<Coe>)>,
    /// The cache was usable and listed exactly the same files (none added or removed).
    pub same_files: bool,
    /// When the cache that was read was made: what a later build compares with to know the
    /// previous parses in `reparsed` are the ones it rendered.
    pub read_generation: Option<i64>,
    /// When the cache on disk was made, once `cache_write` is done (`None`: no cache).
    pub generation: Option<i64>,
    /// The cache file being written on another thread, when anything differed from it.
    /// Wait for it (`CacheWrite::wait`, or drop it: dropping waits too) before the process
    /// exits, or the cache is not saved.
    pub cache_write: Option<CacheWrite>,
}

/// The parse cache being written on another thread: encoding is done, writing the file is not.
#[derive(Debug)]
pub struct CacheWrite(Option<JoinHandle<Option<Duration>>>);

impl CacheWrite {
    /// Blocks until the cache file is in place (or failed to be: that is never an error).
    /// Returns how long writing it took, `None` when it could not be written.
    pub fn wait(mut self) -> Option<Duration> {
        self.0.take()?.join().ok().flatten()
    }
}

impl Drop for CacheWrite {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            let _ = handle.join();
        }
    }
}

/// One file's outcome.
struct Outcome {
    parse: Result<(Coe, Vec<Diagnostic>), Vec<Diagnostic>>,
    /// `Some(previous parse, if cached)` when parsed from source this time; `None` when taken
    /// from the cache.
    reparsed: Option<Option<Coe>>,
    /// The file's entry in the next cache; `None` when the file could not be stat'ed.
    row: Option<NewRow>,
    /// Same entry as in the previous cache (a cached parse, or the same failing file).
    unchanged: bool,
}

/// Where the parses of unchanged files are kept between builds: the parse cache on disk
/// (`coe build`, and the commands that read the library), in memory (`coe serve`), or
/// nowhere.
pub enum Parses<'a> {
    Disk(&'a Path),
    Memory(&'a mut MemoryCache),
    Off,
}

/// Every COE under `content_dir`, parsed again only where the file changed since `parses`
/// last saw it.
pub fn load(content_dir: &Path, parses: Parses) -> Loaded {
    match parses {
        Parses::Disk(cache_file) => load_all_cached(content_dir, Some(cache_file)),
        Parses::Memory(memory) => Loaded::uncached(memory.load_all(content_dir)),
        Parses::Off => Loaded::uncached(load_all(content_dir)),
    }
}

impl Loaded {
    /// What a load without the disk cache found: no generations, nothing to write.
    fn uncached((coes, diagnostics): (Vec<Coe>, Vec<Diagnostic>)) -> Loaded {
        Loaded {
            coes,
            diagnostics,
            reparsed: Vec::new(),
            same_files: false,
            read_generation: None,
            generation: None,
            cache_write: None,
        }
    }
}

/// `load_all`, taking the parse of each unchanged file from `cache_file` (when given, and
/// written by this same executable) and parsing only the others. Afterwards the cache is
/// written again on another thread when anything differs from it (see `Loaded::cache_write`);
/// a cache that cannot be read or written is ignored.
pub fn load_all_cached(content_dir: &Path, cache_file: Option<&Path>) -> Loaded {
    let exe = cache_file.and_then(|_| cache::exe_identity());
    if !content_dir.is_dir() || exe.is_none() {
        return Loaded::uncached(load_all(content_dir));
    }
    // Taken before any file is stat'ed: a file changed after its stat has a time after this.
    let scanned_at_ns = crate::incremental::stamp::now_ns();
    // Reading the cache file and listing the folders overlap.
    let (old, (files, mut diagnostics)) = rayon::join(
        || {
            cache_file
                .zip(exe)
                .and_then(|(path, exe)| Cache::read(path, exe))
        },
        || {
            let mut diagnostics = Vec::new();
            (walk(content_dir, &mut diagnostics), diagnostics)
        },
    );

    let rows: HashMap<&str, &cache::Row> = old
        .iter()
        .flat_map(|c| &c.rows)
        .map(|row| (row.source.as_str(), row))
        .collect();
    let same_files = old.as_ref().is_some_and(|c| {
        c.rows.len() == rows.len()
            && rows.len() == files.len()
            && files.iter().all(|(_, rel)| rows.contains_key(rel.as_str()))
    });
    let outcomes: Vec<Outcome> = files
        .par_iter()
        .map(|(entry, rel)| {
            let stamp = entry.metadata().ok().and_then(|m| Stamp::of(&m));
            let row = rows.get(rel.as_str()).copied();
            load_one(entry.path(), rel, stamp, row, old.as_ref())
        })
        .collect();
    drop(rows);

    let mut coes = Vec::with_capacity(outcomes.len());
    let mut reparsed = Vec::new();
    let mut new_rows = Vec::with_capacity(outcomes.len());
    let mut unchanged = same_files;
    for (outcome, (_, rel)) in outcomes.into_iter().zip(&files) {
        match outcome.parse {
            Ok((coe, warnings)) => {
                diagnostics.extend(warnings);
                coes.push(coe);
            }
            Err(errors) => diagnostics.extend(errors),
        }
        if let Some(previous) = outcome.reparsed {
            reparsed.push((rel.clone(), previous));
        }
        new_rows.extend(outcome.row);
        unchanged &= outcome.unchanged;
    }
    let read_generation = old.as_ref().map(|c| c.scanned_at_ns);
    let (cache_write, generation) = match (cache_file, exe) {
        (Some(path), Some(exe)) if !unchanged => {
            let write = save(path.to_path_buf(), exe, scanned_at_ns, new_rows, old);
            let generation = write.as_ref().map(|_| scanned_at_ns);
            (write, generation)
        }
        _ => (None, read_generation),
    };
    Loaded {
        coes,
        diagnostics,
        reparsed,
        same_files,
        read_generation,
        generation,
        cache_write,
    }
}

/// One file: its cached parse when the cache can be trusted with it, else parsed (and encoded
/// for the next cache).
fn load_one(
    path: &Path,
    rel: &str,
    stamp: Option<Stamp>,
    row: Option<&cache::Row>,
    old: Option<&Cache>,
) -> Outcome {
    let cached = row.zip(old);
    if let (Some(stamp), Some((row, old))) = (stamp, cached)
        && row.stamp == stamp
        && stamp.settled_at(old.scanned_at_ns)
    {
        match &row.parse {
            Some(blob) => {
                if let Some(parse) = old.parse(blob) {
                    return Outcome {
                        parse: Ok(parse),
                        reparsed: None,
                        row: Some(NewRow {
                            source: rel.to_owned(),
                            stamp,
                            parse: Saved::Old(blob.clone()),
                        }),
                        unchanged: true,
                    };
                }
            }
            // Did not parse last time and has not changed since: it fails again, but its
            // errors are not cached, so it is parsed again; the cache need not be rewritten.
            None => {
                let parse = content::load_file(path, rel, &format!("content/{rel}"));
                let unchanged = parse.is_err();
                return parsed(rel, Some(stamp), parse, None, unchanged);
            }
        }
    }
    let previous = cached
        .and_then(|(row, old)| old.parse(row.parse.as_ref()?))
        .map(|(coe, _)| coe);
    let parse = content::load_file(path, rel, &format!("content/{rel}"));
    parsed(rel, stamp, parse, previous, false)
}

fn parsed(
    rel: &str,
    stamp: Option<Stamp>,
    parse: Result<(Coe, Vec<Diagnostic>), Vec<Diagnostic>>,
    previous: Option<Coe>,
    unchanged: bool,
) -> Outcome {
    let row = stamp.map(|stamp| NewRow {
        source: rel.to_owned(),
        stamp,
        parse: match &parse {
            Ok(p) => Saved::New(codec::encode_parse(p)),
            Err(_) => Saved::None,
        },
    });
    Outcome {
        parse,
        reparsed: Some(previous),
        row,
        unchanged,
    }
}

/// Writes the cache on another thread; `None` when no thread could be started (the cache is
/// then not saved, which is never an error).
fn save(
    path: PathBuf,
    exe: Stamp,
    scanned_at_ns: i64,
    mut rows: Vec<NewRow>,
    old: Option<Cache>,
) -> Option<CacheWrite> {
    let handle = std::thread::Builder::new()
        .name("coe-parse-cache".into())
        .spawn(move || {
            let t = Instant::now();
            cache::write(&path, exe, scanned_at_ns, &mut rows, old.as_ref()).ok()?;
            Some(t.elapsed())
        })
        .ok()?;
    Some(CacheWrite(Some(handle)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    const HOUR: Duration = Duration::from_secs(3600);

    struct Site {
        _dir: tempfile::TempDir,
        content: PathBuf,
        cache: PathBuf,
    }

    /// A small library whose files were last modified an hour ago (old enough to be trusted),
    /// one of them broken.
    fn site() -> Site {
        let dir = tempfile::tempdir().expect("tempdir");
        let content = dir.path().join("content");
        for (rel, title) in [
            ("a.md", "Alpha"),
            ("2024/b.md", "Bravo"),
            ("2024/deep/c.md", "Charlie"),
        ] {
            write(
                &content.join(rel),
                &format!(
                    "---\ntitle: {title}\ndate: 2024-01-02\nextra_field: 1.5\n---\n\n## Summary\n\nThe word is apple.\n\n## Timeline\n\n- 09:00 UTC — began\n"
                ),
                SystemTime::now() - HOUR,
            );
        }
        write(
            &content.join("broken.md"),
            "no title, no date\n",
            SystemTime::now() - HOUR,
        );
        let cache = dir.path().join(".coe/parsed.idx");
        Site {
            _dir: dir,
            content,
            cache,
        }
    }

    fn write(path: &Path, text: &str, mtime: SystemTime) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
        set_mtime(path, mtime);
    }

    fn set_mtime(path: &Path, mtime: SystemTime) {
        std::fs::File::options()
            .write(true)
            .open(path)
            .and_then(|f| f.set_modified(mtime))
            .expect("set mtime");
    }

    /// Loads with the cache, checks the result is exactly `load_all`'s, and waits for the
    /// cache write.
    fn load(site: &Site) -> (Loaded, bool) {
        let mut loaded = load_all_cached(&site.content, Some(&site.cache));
        let (coes, diags) = load_all(&site.content);
        assert_eq!(format!("{:?}", loaded.coes), format!("{coes:?}"));
        assert_eq!(loaded.diagnostics, diags);
        let wrote = loaded
            .cache_write
            .take()
            .and_then(CacheWrite::wait)
            .is_some();
        (loaded, wrote)
    }

    fn sources(loaded: &Loaded) -> Vec<(&str, Option<&str>)> {
        loaded
            .reparsed
            .iter()
            .map(|(s, prev)| (s.as_str(), prev.as_ref().map(|c| c.title.as_str())))
            .collect()
    }

    #[test]
    fn only_changed_files_are_parsed_again() {
        let site = site();
        let (first, wrote) = load(&site);
        assert!(wrote && site.cache.is_file());
        assert!(!first.same_files);
        assert_eq!(first.reparsed.len(), 4, "everything parsed");
        assert_eq!(first.coes.len(), 3);

        // Nothing changed: nothing parsed but the broken file, and the cache is not rewritten.
        let (second, wrote) = load(&site);
        assert!(second.same_files && !wrote);
        assert_eq!(sources(&second), [("broken.md", None)]);

        // The same length, a later time (still older than the racy window).
        let b = site.content.join("2024/b.md");
        let text = std::fs::read_to_string(&b).expect("read");
        write(
            &b,
            &text.replace("apple", "mango"),
            SystemTime::now() - HOUR / 2,
        );
        let (third, wrote) = load(&site);
        assert!(third.same_files && wrote);
        assert_eq!(
            sources(&third),
            [("2024/b.md", Some("Bravo")), ("broken.md", None)]
        );
        assert!(third.coes[0].sections[0].text.contains("mango"));

        // A file added, another removed: both seen; the edited file is trusted again.
        write(
            &site.content.join("2024/d.md"),
            &text.replace("Bravo", "Delta"),
            SystemTime::now() - HOUR,
        );
        std::fs::remove_file(site.content.join("a.md")).expect("rm");
        let (fourth, wrote) = load(&site);
        assert!(!fourth.same_files && wrote);
        assert_eq!(sources(&fourth), [("2024/d.md", None), ("broken.md", None)]);
    }

    #[test]
    fn a_recent_file_is_not_trusted_even_with_the_same_size_and_time() {
        let site = site();
        let c = site.content.join("2024/deep/c.md");
        let mtime = SystemTime::now();
        set_mtime(&c, mtime);
        load(&site);
        // Edited again within one tick of the file system's clock: same size, same time.
        let text = std::fs::read_to_string(&c).expect("read");
        write(&c, &text.replace("apple", "mango"), mtime);
        let (again, _) = load(&site);
        assert!(again.same_files);
        assert_eq!(
            sources(&again),
            [("2024/deep/c.md", Some("Charlie")), ("broken.md", None)]
        );
        assert!(again.coes[1].sections[0].text.contains("mango"));
    }

    #[test]
    fn a_corrupt_or_truncated_cache_is_ignored() {
        let site = site();
        load(&site);
        let good = std::fs::read(&site.cache).expect("cache");
        let mut flipped = good.clone();
        let last = flipped.len() - 10;
        flipped[last] ^= 0x55;
        for bad in [
            Vec::new(),
            b"COEPARSE".to_vec(),
            good[..good.len() / 2].to_vec(),
            flipped,
            vec![0xff; 4096],
        ] {
            std::fs::write(&site.cache, &bad).expect("corrupt");
            let (loaded, wrote) = load(&site);
            assert!(wrote, "a good cache is written again");
            assert!(loaded.reparsed.len() >= 2, "{:?}", sources(&loaded));
        }
        let (loaded, _) = load(&site);
        assert_eq!(sources(&loaded), [("broken.md", None)]);
    }

    #[test]
    fn a_cache_that_cannot_be_written_is_no_error() {
        let site = site();
        // `.coe` is a file: the cache cannot be written under it.
        std::fs::write(site.cache.parent().expect("parent"), "").expect("write");
        let (loaded, _) = load(&site);
        assert_eq!(loaded.coes.len(), 3);
        assert!(!site.cache.exists());
    }
}
