//! Random edits to a library's files, for the property tests of the incremental engine
//! (`tests/incremental.rs` for `coe build`, `tests/serve.rs` for `coe serve`).

use proptest::prelude::*;
use std::path::Path;

/// One edit to one COE's file (by its position in the sorted file list).
#[derive(Debug, Clone)]
pub enum Edit {
    Title(u8),
    SummaryText(u8),
    AddTag(u8),
    DropTags,
    Severity(u8),
    Owner(u8),
    Related(u8),
    Date(u8),
    ItemStatus,
}

pub fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<u8>().prop_map(Edit::Title),
        any::<u8>().prop_map(Edit::SummaryText),
        (0u8..4).prop_map(Edit::AddTag),
        Just(Edit::DropTags),
        (1u8..6).prop_map(Edit::Severity),
        (0u8..3).prop_map(Edit::Owner),
        any::<u8>().prop_map(Edit::Related),
        (1u8..28).prop_map(Edit::Date),
        Just(Edit::ItemStatus),
    ]
}

/// Replaces the first line starting with `key` by `line` (or adds it after the front matter's
/// first line when there is none); only in the front matter.
pub fn set_line(text: &str, key: &str, line: &str) -> String {
    let Some(rest) = text.strip_prefix("---\n") else {
        return text.to_owned();
    };
    let Some(end) = rest.find("\n---") else {
        return text.to_owned();
    };
    let (fm, body) = rest.split_at(end);
    let mut lines: Vec<String> = fm.lines().map(str::to_owned).collect();
    match lines.iter().position(|l| l.starts_with(key)) {
        Some(i) => lines[i] = line.to_owned(),
        None => lines.insert(1.min(lines.len()), line.to_owned()),
    }
    format!("---\n{}{body}", lines.join("\n"))
}

pub fn apply(text: &str, edit: &Edit, ids: &[String]) -> String {
    const TAGS: [&str; 4] = ["zorblax", "dns", "Deployment", "capacity"];
    const OWNERS: [&str; 3] = ["zorb.owner", "ana.souza", "ravi.iyer"];
    match edit {
        Edit::Title(n) => set_line(text, "title:", &format!("title: Zorblax title {n}")),
        Edit::SummaryText(n) => text.replacen(
            "## Summary\n",
            &format!("## Summary\n\nZorblax sentence {n}.\n"),
            1,
        ),
        Edit::AddTag(t) => set_line(text, "tags:", &format!("tags: [{}]", TAGS[*t as usize])),
        Edit::DropTags => set_line(text, "tags:", "tags: []"),
        Edit::Severity(s) => set_line(text, "severity:", &format!("severity: {s}")),
        Edit::Owner(o) => match text.find("    owner: ") {
            Some(at) => {
                let end = text[at..].find('\n').map_or(text.len(), |e| at + e);
                format!(
                    "{}    owner: {}{}",
                    &text[..at],
                    OWNERS[*o as usize],
                    &text[end..]
                )
            }
            None => text.to_owned(),
        },
        Edit::Related(n) => {
            let id = &ids[*n as usize % ids.len()];
            set_line(text, "related:", &format!("related: [{id}]"))
        }
        Edit::Date(d) => set_line(text, "date:", &format!("date: 2024-02-{d:02}")),
        Edit::ItemStatus => text.replacen("status: done", "status: open", 1),
    }
}

/// One change to the library's set of files (by position in the current file list).
#[derive(Debug, Clone)]
pub enum FileOp {
    /// A copy of a file as a new COE (its own id), in the file's folder or in a new one.
    Create(usize, bool),
    /// The file moved to another name (its id kept), in its folder or in a new one.
    Rename(usize, bool),
    Delete(usize),
}

pub fn file_op_strategy() -> impl Strategy<Value = FileOp> {
    prop_oneof![
        (0usize..64, any::<bool>()).prop_map(|(f, d)| FileOp::Create(f, d)),
        (0usize..64, any::<bool>()).prop_map(|(f, d)| FileOp::Rename(f, d)),
        (0usize..64).prop_map(FileOp::Delete),
    ]
}

/// Applies `op` under `content`, keeping `sources` (paths under content/) the files there.
/// `n` makes new names unique.
pub fn apply_file_op(content: &Path, sources: &mut Vec<String>, op: &FileOp, n: usize) {
    let folder = |src: &str, elsewhere: bool| {
        if elsewhere {
            "2031".to_owned()
        } else {
            src.rsplit_once('/').map_or("", |(d, _)| d).to_owned()
        }
    };
    match *op {
        FileOp::Create(f, elsewhere) => {
            let src = sources[f % sources.len()].clone();
            let id = format!("COE-2031-{n:03}");
            let text = std::fs::read_to_string(content.join(&src)).expect("read");
            let rel = format!("{}/{id}.md", folder(&src, elsewhere));
            std::fs::create_dir_all(content.join(&rel).parent().expect("folder")).expect("mkdir");
            std::fs::write(
                content.join(&rel),
                set_line(&text, "id:", &format!("id: {id}")),
            )
            .expect("write");
            sources.push(rel);
        }
        FileOp::Rename(f, elsewhere) => {
            let i = f % sources.len();
            let rel = format!("{}/moved-{n}.md", folder(&sources[i], elsewhere));
            std::fs::create_dir_all(content.join(&rel).parent().expect("folder")).expect("mkdir");
            std::fs::rename(content.join(&sources[i]), content.join(&rel)).expect("rename");
            sources[i] = rel;
        }
        // Keep a library: related lists and digests need a few COEs.
        FileOp::Delete(_) if sources.len() <= 3 => {}
        FileOp::Delete(f) => {
            let rel = sources.remove(f % sources.len());
            std::fs::remove_file(content.join(rel)).expect("delete");
        }
    }
    sources.sort();
}

/// The files under `content` (paths relative to it, sorted) and the COE ids their names give:
/// what the edits pick from.
pub fn sources_and_ids(content: &Path) -> (Vec<String>, Vec<String>) {
    let mut sources: Vec<String> = super::files(content).into_iter().collect();
    sources.sort();
    let ids = sources
        .iter()
        .filter_map(|s| s.rsplit('/').next()?.strip_suffix(".md").map(str::to_owned))
        .collect();
    (sources, ids)
}
