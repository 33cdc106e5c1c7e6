//! Builds the tantivy index of a library, in memory or in `<root>/.coe/index/`, and knows
//! when the one on disk is stale.

use super::schema::{self, Fields};
use crate::content::Coe;
use crate::content::markdown::{Section, SectionKind};
use crate::library::{Library, TaxonomyKind};
use crate::slug::slugify;
use std::path::Path;
use tantivy::schema::Facet;
use tantivy::{Index, IndexWriter, TantivyDocument};

/// The text of a COE split the way the index weights it.
pub struct CoeText {
    pub title: String,
    pub summary: String,
    pub analysis: String,
    pub body: String,
    pub actions: String,
    /// Tags, services and root causes, a value a line.
    pub taxonomy: String,
}

pub fn coe_text(coe: &Coe) -> CoeText {
    let mut body = String::new();
    for s in coe.sections.iter().filter(|s| !is_analysis(s.kind)) {
        for piece in section_pieces(s) {
            body.push_str(piece);
        }
    }
    CoeText {
        title: coe.title.clone(),
        summary: coe.summary.clone(),
        analysis: analysis_pieces(coe).collect(),
        body,
        actions: coe
            .action_items
            .iter()
            .map(|a| a.title.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        taxonomy: [
            TaxonomyKind::Tags,
            TaxonomyKind::Services,
            TaxonomyKind::RootCauses,
        ]
        .iter()
        .flat_map(|k| k.values(coe))
        .collect::<Vec<_>>()
        .join("\n"),
    }
}

/// Sections weighted as analysis: five whys, root cause, lessons learned, timeline.
fn is_analysis(kind: Option<SectionKind>) -> bool {
    matches!(
        kind,
        Some(
            SectionKind::FiveWhys
                | SectionKind::RootCause
                | SectionKind::LessonsLearned
                | SectionKind::Timeline
        )
    )
}

fn section_pieces(s: &Section) -> [&str; 4] {
    [s.title.as_str(), "\n\n", s.text.as_str(), "\n\n"]
}

/// The pieces [`CoeText::analysis`] is made of, in order: for what needs only its start.
pub fn analysis_pieces(coe: &Coe) -> impl Iterator<Item = &str> {
    coe.sections
        .iter()
        .filter(|s| is_analysis(s.kind))
        .flat_map(section_pieces)
        .chain(coe.customer_impact.as_deref())
}

/// Facet paths of a COE: `/tag/config-change`, `/severity/sev2`, `/year/2024` …
pub fn facets(coe: &Coe) -> Vec<String> {
    let mut out = Vec::new();
    for (root, kind) in [
        ("tag", TaxonomyKind::Tags),
        ("service", TaxonomyKind::Services),
        ("root_cause", TaxonomyKind::RootCauses),
        ("team", TaxonomyKind::Teams),
        ("severity", TaxonomyKind::Severity),
    ] {
        for v in kind.values(coe) {
            let slug = slugify(&v);
            if !slug.is_empty() {
                out.push(format!("/{root}/{slug}"));
            }
        }
    }
    out.push(format!("/year/{}", coe.date.year()));
    out.sort();
    out.dedup();
    out
}

pub fn date_number(d: jiff::civil::Date) -> i64 {
    i64::from(d.year()) * 10000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

/// A hash of what `document` puts in the index for COE `coe` at position `i`.
pub fn digest(i: usize, coe: &Coe) -> u64 {
    digest_of(i, coe, &coe_text(coe))
}

fn digest_of(i: usize, coe: &Coe, t: &CoeText) -> u64 {
    let mut bytes = Vec::with_capacity(
        t.title.len()
            + t.summary.len()
            + t.analysis.len()
            + t.body.len()
            + t.actions.len()
            + t.taxonomy.len()
            + 256,
    );
    let date = date_number(coe.date).to_string();
    let severity = crate::library::severity_label(coe.severity);
    let position = i.to_string();
    let facets = facets(coe).join("\n");
    for part in [
        position.as_str(),
        &coe.id,
        &t.title,
        &t.summary,
        &t.analysis,
        &t.body,
        &t.actions,
        &t.taxonomy,
        &facets,
        &date,
        &severity,
        &coe.source,
    ] {
        bytes.extend_from_slice(&(part.len() as u64).to_le_bytes());
        bytes.extend_from_slice(part.as_bytes());
    }
    crate::output::content_hash(&bytes)
}

fn document(f: &Fields, i: usize, coe: &Coe) -> TantivyDocument {
    let t = coe_text(coe);
    let mut doc = TantivyDocument::default();
    doc.add_u64(f.idx, i as u64);
    doc.add_text(f.id, &coe.id);
    doc.add_text(f.title, &t.title);
    doc.add_text(f.summary, &t.summary);
    doc.add_text(f.analysis, &t.analysis);
    doc.add_text(f.body, &t.body);
    doc.add_text(f.actions, &t.actions);
    doc.add_text(f.taxonomy, &t.taxonomy);
    for facet in facets(coe) {
        doc.add_facet(f.facet, Facet::from(facet.as_str()));
    }
    doc.add_i64(f.date, date_number(coe.date));
    doc.add_text(f.severity, crate::library::severity_label(coe.severity));
    doc.add_text(f.source, &coe.source);
    doc.add_u64(f.digest, digest_of(i, coe, &t));
    doc
}

/// Indexes every COE of the library. `dir`: write the index there (replacing what was there);
/// `None`: keep it in memory.
pub fn build(lib: &Library, dir: Option<&Path>) -> tantivy::Result<(Index, Fields)> {
    let (schema, fields) = schema::build();
    let index = match dir {
        Some(dir) => {
            if dir.exists() {
                std::fs::remove_dir_all(dir)?;
            }
            std::fs::create_dir_all(dir)?;
            Index::create_in_dir(dir, schema)?
        }
        None => Index::create_in_ram(schema),
    };
    super::stem::register(&index);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 4);
    let mut writer: IndexWriter = index.writer_with_num_threads(threads, 64_000_000 * threads)?;
    // A few segments search as fast as one here; merging them cost more than the indexing.
    writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    for (i, coe) in lib.coes.iter().enumerate() {
        writer.add_document(document(&fields, i, coe))?;
    }
    writer.commit()?;
    writer.wait_merging_threads()?;
    Ok((index, fields))
}

/// Segments of at most this many documents are merged once there are `SMALL_SEGMENTS` of them.
const SMALL_SEGMENT_DOCS: u32 = 256;
const SMALL_SEGMENTS: usize = 8;

/// Updates an index in place (`coe serve`'s, in memory) after COEs were edited: for each
/// `(position, id in the index)`, its document is deleted by that id and the library's COE at
/// that position is added. Positions must be the ones the index was built with.
pub fn update(
    index: &Index,
    fields: &Fields,
    lib: &Library,
    edited: &[(usize, String)],
) -> tantivy::Result<()> {
    let mut writer: IndexWriter = index.writer_with_num_threads(1, 16_000_000)?;
    writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    // Every delete before any add: a delete applies to the documents added before it, so a COE
    // that moved to another position (re-added there) would otherwise be deleted by the entry
    // of the position it left.
    for (i, old_id) in edited {
        writer.delete_term(tantivy::Term::from_field_text(fields.id, old_id));
        if let Some(coe) = lib.coes.get(*i)
            && coe.id != *old_id
        {
            writer.delete_term(tantivy::Term::from_field_text(fields.id, &coe.id));
        }
    }
    for (i, _) in edited {
        if let Some(coe) = lib.coes.get(*i) {
            writer.add_document(document(fields, *i, coe))?;
        }
    }
    writer.commit()?;
    // Each update adds a segment of its own: merge the small ones now and then.
    let small: Vec<tantivy::index::SegmentId> = index
        .searchable_segment_metas()?
        .iter()
        .filter(|m| m.num_docs() <= SMALL_SEGMENT_DOCS)
        .map(|m| m.id())
        .collect();
    if small.len() >= SMALL_SEGMENTS {
        writer.merge(&small).wait()?;
    }
    writer.wait_merging_threads()
}

/// The positions whose documents differ from the library's COEs, with the id each has in the
/// index, when the index holds exactly one live document per position of `lib` and at most
/// `limit` differ; `None` otherwise (then the index is rebuilt).
pub fn changed(
    index: &Index,
    fields: &Fields,
    lib: &Library,
    limit: usize,
) -> Option<Vec<(usize, String)>> {
    use rayon::prelude::*;
    let searcher = super::searcher(index).ok()?;
    let n = lib.coes.len();
    let mut stored: Vec<Option<(u64, tantivy::DocAddress)>> = vec![None; n];
    // Deleted documents still count in tantivy's own statistics (`coe search`'s ranking): past
    // a tenth of the index, start afresh.
    let deleted: u32 = searcher
        .segment_readers()
        .iter()
        .map(|s| s.num_deleted_docs())
        .sum();
    if deleted as usize > n / 10 {
        return None;
    }
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let idx = segment.fast_fields().u64("idx").ok()?;
        let digest = segment.fast_fields().u64("digest").ok()?;
        for d in 0..segment.max_doc() {
            if segment.is_deleted(d) {
                continue;
            }
            let i = usize::try_from(idx.first(d)?).ok()?;
            let slot = stored.get_mut(i)?;
            if slot.is_some() {
                return None;
            }
            *slot = Some((digest.first(d)?, tantivy::DocAddress::new(ord as u32, d)));
        }
    }
    let now: Vec<u64> = lib
        .coes
        .par_iter()
        .enumerate()
        .map(|(i, c)| digest(i, c))
        .collect();
    let mut out = Vec::new();
    for (i, (slot, now)) in stored.iter().zip(&now).enumerate() {
        let (was, addr) = (*slot)?;
        if was != *now {
            if out.len() == limit {
                return None;
            }
            let doc: TantivyDocument = searcher.doc(addr).ok()?;
            let id = tantivy::schema::Value::as_str(&doc.get_first(fields.id)?)?.to_owned();
            out.push((i, id));
        }
    }
    Some(out)
}
