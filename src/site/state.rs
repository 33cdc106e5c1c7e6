//! What the last build of an output folder rendered, kept in `.coe/` beside its manifest, so
//! that the next build can render only the pages an edit changes.
//!
//! The state is trusted only when everything a page depends on, apart from the COEs, is the
//! same: the render key covers the configuration, the templates and static files, today's
//! date, the drafts flag and the coe binary itself. The COEs are compared through the parse
//! cache: the state names the parse cache generation it was built from, so the previous
//! version of an edited COE is exactly the one the output shows.

use crate::search::similar::Similar;
use std::hash::{BuildHasher, Hash, Hasher};
use std::path::Path;

const HEADER: &str = "coe build state v2";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildState {
    /// Hash of every input of the pages apart from the COEs (see [`render_key`]).
    pub key: u64,
    /// The generation of the parse cache the build left (see `load::Loaded::generation`).
    pub parsed: i64,
    /// Per library position: the COE's source and hashes of what its page shows of its
    /// similar COEs and what a digest shows of its earlier similar COEs.
    pub coes: Vec<CoeState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CoeState {
    pub source: String,
    pub similar: u64,
    pub earlier: u64,
    /// The input key of its similar lists and how many inverted lists they read
    /// (`search::similar::InputKeys`): the same key next time, the same lists.
    pub inputs: (u64, usize),
    /// Library positions of the COEs in its similar list, then in its earlier list.
    pub similar_ids: Vec<u32>,
    pub earlier_ids: Vec<u32>,
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
    let mut s = String::with_capacity(64 + state.coes.len() * 64);
    s.push_str(HEADER);
    s.push('\n');
    s.push_str(&format!("{:016x} {}\n", state.key, state.parsed));
    let ids = |ids: &[u32]| {
        if ids.is_empty() {
            "-".to_owned()
        } else {
            ids.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
        }
    };
    for c in &state.coes {
        s.push_str(&format!(
            "{:016x} {:016x} {:016x} {} {} {} {}\n",
            c.similar,
            c.earlier,
            c.inputs.0,
            c.inputs.1,
            ids(&c.similar_ids),
            ids(&c.earlier_ids),
            c.source
        ));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, s)?;
    std::fs::rename(tmp, path)
}

/// The state at `path`; `None` when missing or unreadable (the next build renders everything).
pub fn read(path: &Path) -> Option<BuildState> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let (key, parsed) = lines.next()?.split_once(' ')?;
    let hex = |s: &str| u64::from_str_radix(s, 16).ok();
    let ids = |s: &str| -> Option<Vec<u32>> {
        if s == "-" {
            return Some(Vec::new());
        }
        s.split(',').map(|n| n.parse().ok()).collect()
    };
    let mut coes = Vec::new();
    for line in lines {
        let mut parts = line.splitn(7, ' ');
        coes.push(CoeState {
            similar: hex(parts.next()?)?,
            earlier: hex(parts.next()?)?,
            inputs: (hex(parts.next()?)?, parts.next()?.parse().ok()?),
            similar_ids: ids(parts.next()?)?,
            earlier_ids: ids(parts.next()?)?,
            source: parts.next()?.to_owned(),
        });
    }
    Some(BuildState {
        key: hex(key)?,
        parsed: parsed.parse().ok()?,
        coes,
    })
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
                    inputs: (u64::MAX, 16),
                    similar_ids: vec![3, 0, 9999],
                    earlier_ids: vec![],
                },
                CoeState {
                    source: "c.md".to_owned(),
                    earlier_ids: vec![7],
                    ..CoeState::default()
                },
            ],
        };
        write(&path, &state).expect("written");
        assert_eq!(read(&path), Some(state));
        std::fs::write(&path, format!("{HEADER}\n12 zz\n")).expect("written");
        assert_eq!(read(&path), None);
    }
}
