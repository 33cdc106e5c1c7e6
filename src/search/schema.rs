//! The tantivy schema: text fields weighted as a searcher would want, facets for filters.

use tantivy::schema::{
    FAST, FacetOptions, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema,
    TextFieldIndexing, TextOptions,
};

/// The analyzer every text field uses: simple tokens, lowercased, English (Porter2) stemming.
pub const ANALYZER: &str = "en_stem";

#[derive(Clone, Copy)]
pub struct Fields {
    /// Position in `Library::coes` at index time (fast field).
    pub idx: Field,
    pub id: Field,
    pub title: Field,
    pub summary: Field,
    /// Five whys, root cause, lessons learned, timeline, customer impact.
    pub analysis: Field,
    /// Every other section.
    pub body: Field,
    pub actions: Field,
    /// Tags, services and root causes as words (a modest weight: they are also filters).
    pub taxonomy: Field,
    /// `/tag/<slug>`, `/service/<slug>`, `/root_cause/<slug>`, `/team/<slug>`, `/severity/sev2`, `/year/2024`.
    pub facet: Field,
    /// `YYYYMMDD` as a number, for `--since`/`--until`.
    pub date: Field,
    /// `SEV2` or `Unrated`, for display.
    pub severity: Field,
    /// Path under `content/`.
    pub source: Field,
    /// A hash of everything the document holds and its position (fast field): how `coe build`
    /// finds the documents an edit changed (`index::changed`).
    pub digest: Field,
}

/// Text fields and their weights, used by queries (BM25F: a COE's weighted term frequency
/// is the sum over fields of weight × frequency), the browser's index and the similarity
/// vectors.
pub fn weighted_text_fields(f: &Fields) -> [(Field, f32); 6] {
    [
        (f.title, 3.0),
        (f.summary, 2.0),
        (f.analysis, 1.5),
        (f.body, 1.0),
        (f.actions, 1.2),
        (f.taxonomy, 1.0),
    ]
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Stored too: `coe search` cuts its snippets from them.
    let text = || {
        let indexing = TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions);
        TextOptions::default()
            .set_indexing_options(indexing)
            .set_stored()
    };
    let fields = Fields {
        idx: b.add_u64_field("idx", FAST | STORED),
        id: b.add_text_field("id", STRING | STORED),
        title: b.add_text_field("title", text()),
        summary: b.add_text_field("summary", text()),
        analysis: b.add_text_field("analysis", text()),
        body: b.add_text_field("body", text()),
        actions: b.add_text_field("actions", text()),
        taxonomy: b.add_text_field("taxonomy", text()),
        facet: b.add_facet_field("facet", FacetOptions::default()),
        date: b.add_i64_field("date", INDEXED | FAST | STORED),
        severity: b.add_text_field("severity", STRING | STORED),
        source: b.add_text_field("source", STRING | STORED),
        digest: b.add_u64_field("digest", FAST),
    };
    (b.build(), fields)
}

pub fn fields_of(schema: &Schema) -> tantivy::Result<Fields> {
    Ok(Fields {
        idx: schema.get_field("idx")?,
        id: schema.get_field("id")?,
        title: schema.get_field("title")?,
        summary: schema.get_field("summary")?,
        analysis: schema.get_field("analysis")?,
        body: schema.get_field("body")?,
        actions: schema.get_field("actions")?,
        taxonomy: schema.get_field("taxonomy")?,
        facet: schema.get_field("facet")?,
        date: schema.get_field("date")?,
        severity: schema.get_field("severity")?,
        source: schema.get_field("source")?,
        digest: schema.get_field("digest")?,
    })
}
