//! What the last build of an output folder rendered, kept in `.coe/` beside its manifest, so
//! that the next build can render only the pages an edit changes.
//!
//! The state is trusted only when everything a page depends on, apart from the COEs, is the
//! same: the render key covers the configuration, the templates and static files, today's
//! date, the drafts flag and the coe binary itself. The COEs are compared through the parse
//! cache: the state names the parse cache generation it was built from, so the previous
//! version of an edited COE is exactly the one the output shows.

use super::plan::Shape;
use crate::incremental::deps::{Key, Kind, PageDeps};
use crate::load::codec::{Reader, Writer};
use crate::search::similar::{Similar, Trace};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::path::Path;

const HEADER: &str = "coe build state v3";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildState {
    /// Hash of every input of the pages apart from the COEs (see [`render_key`]).
    pub key: u64,
    /// The generation of the parse cache the build left (see `load::Loaded::generation`).
    pub parsed: i64,
    /// Per library position: the COE's source and hashes of what its page shows of its
    /// similar COEs and what a digest shows of its earlier similar COEs.
    pub coes: Vec<CoeState>,
    /// Per library position, how its similar lists were found (kept in a binary file beside
    /// the state; empty when that is missing or damaged: the lists are then computed).
    pub traces: Vec<Trace>,
    /// What the pages showed: read only when a rebuild needs it ([`read_record`]); `None`
    /// when not read, and then [`write`] leaves the file as it is.
    pub record: Option<Record>,
}

/// What each page of the output showed when it was rendered, and what the library made of the
/// COEs then (see `site::plan`). Kept in its own file beside the state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    pub shape: Shape,
    pub deps: PageDeps,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CoeState {
    pub source: String,
    pub similar: u64,
    pub earlier: u64,
}

fn hasher() -> impl Hasher {
    foldhash::quality::FixedState::with_seed(0x636f_6573_7461).build_hasher()
}

/// A hash of everything the pages depend on besides the COEs and their similar lists.
pub fn render_key(parts: &[&[u8]], drafts: bool, today: jiff::civil::Date) -> u64 {
    let mut h = hasher();
    for p in parts {
        p.hash(&mut h);
    }
    drafts.hash(&mut h);
    today.to_string().hash(&mut h);
    // The running binary (size and modification time): a rebuilt coe renders afresh.
    crate::load::exe_identity().hash(&mut h);
    h.finish()
}

/// What a COE page shows of its similar COEs: who, the rounded score, why.
pub fn similar_view(list: &[Similar]) -> u64 {
    let mut h = hasher();
    for s in list {
        s.idx.hash(&mut h);
        ((s.score * 100.0).round() as i64).hash(&mut h);
        s.reasons.hash(&mut h);
    }
    h.finish()
}

/// What a digest shows of a COE's earlier similar COEs, and whether it shows each at all.
pub fn earlier_view(list: &[Similar]) -> u64 {
    let mut h = hasher();
    for s in list {
        s.idx.hash(&mut h);
        ((s.score * 100.0).round() as i64).hash(&mut h);
        (s.score >= crate::digest::EARLIER_MIN_SCORE).hash(&mut h);
        s.reasons.hash(&mut h);
    }
    h.finish()
}

pub fn write(path: &Path, state: &BuildState) -> std::io::Result<()> {
    let s = text(state);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let traces = path.with_extension("traces");
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, encode_traces(&state.traces))?;
    std::fs::rename(&tmp, traces)?;
    if let Some(record) = &state.record {
        std::fs::write(&tmp, encode_deps(&record.shape, &record.deps))?;
        std::fs::rename(&tmp, path.with_extension("deps"))?;
    }
    std::fs::write(&tmp, s)?;
    std::fs::rename(tmp, path)
}

/// The state's text (its traces and record go to their own files). Public for fuzz/.
#[doc(hidden)]
pub fn text(state: &BuildState) -> String {
    let mut s = String::with_capacity(64 + state.coes.len() * 64);
    s.push_str(HEADER);
    s.push('\n');
    s.push_str(&format!("{:016x} {}\n", state.key, state.parsed));
    for c in &state.coes {
        s.push_str(&format!(
            "{:016x} {:016x} {}\n",
            c.similar, c.earlier, c.source
        ));
    }
    s
}

const TRACES_FORMAT: &str = "coe similar traces v3";

/// In the parse cache's codec (`load::codec`), then a hash of all of it.
#[doc(hidden)]
pub fn encode_traces(traces: &[Trace]) -> Vec<u8> {
    let mut w = Writer::default();
    w.str(TRACES_FORMAT);
    w.varint(traces.len() as u64);
    for t in traces {
        w.u64_le(t.key);
        w.varint(t.read.into());
        w.u64_le(t.doc);
        w.varint(t.touched.into());
        match t.cutoff {
            None => w.byte(0),
            Some(cutoff) => {
                w.byte(1);
                w.u64_le(cutoff);
            }
        }
        w.varint(t.candidates.len() as u64);
        for &c in &t.candidates {
            w.u64_le(c);
        }
    }
    seal(w.finish())
}

/// `body` followed by its checksum, as the decoders want it. Public for fuzz/, whose inputs
/// would otherwise never get past the checksum.
#[doc(hidden)]
pub fn seal(mut body: Vec<u8>) -> Vec<u8> {
    let check = checksum(&body);
    body.extend_from_slice(&check.to_le_bytes());
    body
}

fn checksum(bytes: &[u8]) -> u64 {
    let mut h = hasher();
    h.write(bytes);
    h.finish()
}

/// The traces `encode_traces` wrote; `None` when anything is off. Public for fuzz/.
#[doc(hidden)]
pub fn decode_traces(b: &[u8]) -> Option<Vec<Trace>> {
    let (body, check) = b.split_last_chunk::<8>()?;
    if checksum(body).to_le_bytes() != *check {
        return None;
    }
    let mut r = Reader::new(body)?;
    if r.str()? != TRACES_FORMAT {
        return None;
    }
    let n = r.varint()?;
    let mut traces = Vec::new();
    for _ in 0..n {
        let key = r.u64_le()?;
        let read = u32::try_from(r.varint()?).ok()?;
        let doc = r.u64_le()?;
        let touched = u32::try_from(r.varint()?).ok()?;
        let cutoff = match r.byte()? {
            0 => None,
            1 => Some(r.u64_le()?),
            _ => return None,
        };
        let count = r.varint()?;
        let candidates = (0..count)
            .map(|_| r.u64_le())
            .collect::<Option<Vec<u64>>>()?;
        traces.push(Trace {
            key,
            read,
            doc,
            touched,
            cutoff,
            candidates,
        });
    }
    r.is_empty().then_some(traces)
}

/// The state at `path`; `None` when missing or unreadable (the next build renders everything).
pub fn read(path: &Path) -> Option<BuildState> {
    let mut state = parse(&std::fs::read_to_string(path).ok()?)?;
    state.traces = std::fs::read(path.with_extension("traces"))
        .ok()
        .and_then(|b| decode_traces(&b))
        .filter(|t| t.len() == state.coes.len())
        .unwrap_or_default();
    Some(state)
}

/// The state's text (without its traces); `None` when anything is off. Public for fuzz/.
#[doc(hidden)]
pub fn parse(text: &str) -> Option<BuildState> {
    // Not `lines()`: it would take a `\r` ending a source (a legal file name) for a line end.
    let mut lines = text.split_terminator('\n');
    if lines.next()? != HEADER {
        return None;
    }
    let (key, parsed) = lines.next()?.split_once(' ')?;
    let hex = |s: &str| u64::from_str_radix(s, 16).ok();
    let mut coes = Vec::new();
    for line in lines {
        let mut parts = line.splitn(3, ' ');
        coes.push(CoeState {
            similar: hex(parts.next()?)?,
            earlier: hex(parts.next()?)?,
            source: parts.next()?.to_owned(),
        });
    }
    Some(BuildState {
        key: hex(key)?,
        parsed: parsed.parse().ok()?,
        coes,
        traces: Vec::new(),
        record: None,
    })
}

/// What the pages of the output showed, beside the state at `path`; `None` when missing or
/// damaged (nothing can then be rendered selectively).
pub fn read_record(path: &Path) -> Option<Record> {
    let (shape, deps) = decode_deps(&std::fs::read(path.with_extension("deps")).ok()?)?;
    Some(Record { shape, deps })
}

/// Removes the state at `path` and its companions (before a commit: a stale state must never
/// describe a new output).
pub fn remove(path: &Path) {
    for p in [
        path.to_path_buf(),
        path.with_extension("deps"),
        path.with_extension("traces"),
    ] {
        let _ = std::fs::remove_file(p);
    }
}

const DEPS_FORMAT: &str = "coe page deps v1";

/// The shape and the pages' keys, in the parse cache's codec, then a hash of all of it. Each
/// distinct key is written once; a page lists the numbers of its keys.
#[doc(hidden)]
pub fn encode_deps(shape: &Shape, deps: &PageDeps) -> Vec<u8> {
    let mut w = Writer::default();
    w.str(DEPS_FORMAT);
    w.varint(shape.terms.len() as u64);
    for ((kind, slug), (name, list)) in &shape.terms {
        w.byte(*kind);
        w.str(slug);
        w.str(name);
        w.u64_le(*list);
    }
    w.varint(shape.years.len() as u64);
    for (y, h) in &shape.years {
        w.varint(u64::from(*y as u16));
        w.u64_le(*h);
    }
    w.varint(shape.weeks.len() as u64);
    for (k, h) in &shape.weeks {
        w.u64_le(*k);
        w.u64_le(*h);
    }
    for groups in [&shape.owners, &shape.teams] {
        w.varint(groups.len() as u64);
        for (slug, h) in groups {
            w.str(slug);
            w.u64_le(*h);
        }
    }
    for hashes in [&shape.links, &shape.sorts] {
        w.varint(hashes.len() as u64);
        for h in hashes {
            w.u64_le(*h);
        }
    }
    let mut table: HashMap<Key, u32> = HashMap::new();
    let mut keys: Vec<Key> = Vec::new();
    let mut pages: Vec<(&String, Vec<u32>)> = Vec::with_capacity(deps.len());
    for (path, page_keys) in deps.iter() {
        let mut numbers: Vec<u32> = page_keys
            .iter()
            .map(|k| {
                *table.entry(*k).or_insert_with(|| {
                    keys.push(*k);
                    (keys.len() - 1) as u32
                })
            })
            .collect();
        numbers.sort_unstable();
        pages.push((path, numbers));
    }
    w.varint(keys.len() as u64);
    for k in &keys {
        w.byte(k.kind as u8);
        w.varint(k.id);
    }
    w.varint(pages.len() as u64);
    for (path, numbers) in pages {
        w.str(path);
        w.varint(numbers.len() as u64);
        let mut last = 0;
        for n in numbers {
            w.varint(u64::from(n - last));
            last = n;
        }
    }
    seal(w.finish())
}

/// What `encode_deps` wrote; `None` when anything is off. Public for fuzz/.
#[doc(hidden)]
pub fn decode_deps(b: &[u8]) -> Option<(Shape, PageDeps)> {
    let (body, check) = b.split_last_chunk::<8>()?;
    if checksum(body).to_le_bytes() != *check {
        return None;
    }
    let mut r = Reader::new(body)?;
    if r.str()? != DEPS_FORMAT {
        return None;
    }
    let mut shape = Shape::default();
    for _ in 0..r.varint()? {
        let kind = r.byte()?;
        let slug = r.str()?.to_owned();
        let name = r.str()?.to_owned();
        shape.terms.insert((kind, slug), (name, r.u64_le()?));
    }
    for _ in 0..r.varint()? {
        let y = u16::try_from(r.varint()?).ok()? as i16;
        shape.years.insert(y, r.u64_le()?);
    }
    for _ in 0..r.varint()? {
        let k = r.u64_le()?;
        shape.weeks.insert(k, r.u64_le()?);
    }
    for groups in [&mut shape.owners, &mut shape.teams] {
        for _ in 0..r.varint()? {
            let slug = r.str()?.to_owned();
            groups.insert(slug, r.u64_le()?);
        }
    }
    for hashes in [&mut shape.links, &mut shape.sorts] {
        for _ in 0..r.varint()? {
            hashes.push(r.u64_le()?);
        }
    }
    let n = usize::try_from(r.varint()?).ok()?;
    // Lengths come from the file: bounded by what is left of it before anything is reserved.
    let mut keys = Vec::with_capacity(n.min(body.len()));
    for _ in 0..n {
        let kind = Kind::from_u8(r.byte()?)?;
        keys.push(Key::new(kind, r.varint()?));
    }
    let mut deps = PageDeps::default();
    for _ in 0..r.varint()? {
        let path = r.str()?.to_owned();
        let count = usize::try_from(r.varint()?).ok()?;
        let mut page = Vec::with_capacity(count.min(keys.len()));
        let mut at = 0u64;
        for _ in 0..count {
            at = at.checked_add(r.varint()?)?;
            page.push(*keys.get(usize::try_from(at).ok()?)?);
        }
        page.sort_unstable();
        deps.record(path, page.into_boxed_slice());
    }
    r.is_empty().then_some((shape, deps))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim(idx: usize, score: f32) -> Similar {
        Similar {
            idx,
            score,
            reasons: vec!["both mention: dns".to_owned()],
        }
    }

    #[test]
    fn views_change_only_with_what_pages_show() {
        // A score moving in its third decimal changes nothing shown.
        assert_eq!(
            similar_view(&[sim(1, 0.4312)]),
            similar_view(&[sim(1, 0.4314)])
        );
        assert_ne!(similar_view(&[sim(1, 0.43)]), similar_view(&[sim(2, 0.43)]));
        // Crossing the digest's threshold does.
        assert_ne!(
            earlier_view(&[sim(1, crate::digest::EARLIER_MIN_SCORE - 0.0001)]),
            earlier_view(&[sim(1, crate::digest::EARLIER_MIN_SCORE + 0.0001)])
        );
    }

    #[test]
    fn state_round_trips_and_damage_reads_as_none() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("x.state");
        let state = BuildState {
            key: 7,
            parsed: i64::MIN,
            coes: vec![
                CoeState {
                    source: "2024/a b.md".to_owned(),
                    similar: 1,
                    earlier: 2,
                },
                CoeState {
                    // A name may end in `\r` (a line end to `lines()`).
                    source: "c.md\r".to_owned(),
                    ..CoeState::default()
                },
            ],
            traces: vec![
                Trace {
                    key: u64::MAX,
                    read: 16,
                    doc: 3,
                    touched: 900,
                    cutoff: Some(12),
                    candidates: vec![0, 5, u64::MAX],
                },
                Trace::default(),
            ],
            record: Some(Record {
                shape: Shape {
                    terms: [((0, "dns".to_owned()), ("DNS".to_owned(), 9))].into(),
                    years: [(-3, 1), (2024, 2)].into(),
                    weeks: [(202_401, 3)].into(),
                    owners: [("ana".to_owned(), 4)].into(),
                    teams: [("sre".to_owned(), 5)].into(),
                    links: vec![6, 7],
                    sorts: vec![8, 9, 10],
                },
                deps: {
                    let mut deps = PageDeps::default();
                    let mut keys = vec![
                        Key::coe(Kind::Shown, 1),
                        Key::named(Kind::Owner, "ana"),
                        Key::all(Kind::AllItems),
                    ];
                    keys.sort_unstable();
                    deps.record("coe/x/index.html".to_owned(), keys.into());
                    deps.record("empty.html".to_owned(), Box::new([]));
                    deps
                },
            }),
        };
        write(&path, &state).expect("written");
        let without_record = BuildState {
            record: None,
            ..state.clone()
        };
        assert_eq!(read(&path), Some(without_record.clone()));
        assert_eq!(read_record(&path).as_ref(), state.record.as_ref());
        // Damaged traces are left out, the rest of the state is read.
        let traces = path.with_extension("traces");
        let mut bytes = std::fs::read(&traces).expect("traces");
        for i in 0..bytes.len() {
            bytes[i] ^= 0x10;
            std::fs::write(&traces, &bytes).expect("written");
            assert_eq!(read(&path).map(|s| s.traces), Some(Vec::new()), "byte {i}");
            bytes[i] ^= 0x10;
        }
        std::fs::write(&traces, &bytes[..bytes.len() - 1]).expect("written");
        assert_eq!(read(&path).map(|s| s.traces), Some(Vec::new()));
        // Damaged page records read as none (nothing can be rendered selectively).
        std::fs::write(&traces, &bytes).expect("written");
        let deps = path.with_extension("deps");
        let mut bytes = std::fs::read(&deps).expect("deps");
        for i in 0..bytes.len() {
            bytes[i] ^= 0x01;
            std::fs::write(&deps, &bytes).expect("written");
            assert_eq!(read_record(&path), None, "byte {i}");
            bytes[i] ^= 0x01;
        }
        std::fs::write(&deps, &bytes).expect("written");
        assert_eq!(read_record(&path), state.record);
        // A state written without its record leaves the record file as it was.
        write(&path, &without_record).expect("written");
        assert_eq!(read_record(&path), state.record);
        std::fs::write(&path, format!("{HEADER}\n12 zz\n")).expect("written");
        assert_eq!(read(&path), None);
    }
}
