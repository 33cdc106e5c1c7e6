//! Queries as a person types them: words (all-words matches rank first), `"exact phrase"`,
//! `-exclude`, and `field:value` for facets. Never fails on odd input: it says what it did.

use super::analysis::{Alt, Group, Thesaurus};
use super::index::date_number;
use super::schema::{Fields, weighted_text_fields};
use crate::slug::slugify;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;
use tantivy::collector::{Collector, DocSetCollector, FacetCollector, SegmentCollector};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Facet, IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};
use tantivy::{DocAddress, Index, Score, TantivyDocument, Term};

/// Longest query read; the rest is ignored (and the user told).
const MAX_QUERY_CHARS: usize = 1000;
const MAX_TERMS: usize = 32;

/// Facet names a query and the CLI flags accept, and the facet root they search.
pub const FACETS: [(&str, &str); 6] = [
    ("tag", "tag"),
    ("service", "service"),
    ("root_cause", "root_cause"),
    ("team", "team"),
    ("severity", "severity"),
    ("year", "year"),
];

fn facet_root(field: &str) -> Option<&'static str> {
    let n: String = field
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Some(match n.as_str() {
        "tag" | "tags" => "tag",
        "service" | "services" => "service",
        "rootcause" | "rootcauses" | "cause" => "root_cause",
        "team" | "teams" => "team",
        "severity" | "sev" => "severity",
        "year" => "year",
        _ => return None,
    })
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Parsed {
    /// Each word or phrase, as written (a phrase has spaces).
    pub required: Vec<String>,
    /// Words and phrases a COE must not have, as written.
    pub excluded: Vec<String>,
    /// (facet root, slug) a COE must not have (`-tag:dns`).
    pub excluded_filters: Vec<(String, String)>,
    /// (facet root, slug)
    pub filters: Vec<(String, String)>,
    /// Things the user should know (unknown field, truncated query …).
    pub notes: Vec<String>,
    /// The query's last word, when it ends the query (no space after it) and is neither a
    /// phrase, an exclusion nor a filter: the word that may be unfinished.
    pub last: Option<String>,
}

/// Splits a query into words, phrases, exclusions and filters.
pub fn parse(q: &str) -> Parsed {
    let mut p = Parsed::default();
    let mut q: &str = q;
    if q.chars().count() > MAX_QUERY_CHARS {
        let cut = q
            .char_indices()
            .nth(MAX_QUERY_CHARS)
            .map_or(q.len(), |(i, _)| i);
        q = &q[..cut];
        p.notes.push(format!(
            "query is longer than {MAX_QUERY_CHARS} characters; the rest was ignored"
        ));
    }
    let mut chars = q.char_indices().peekable();
    while let Some(&(_, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let negate = c == '-';
        if negate {
            chars.next();
        }
        let Some(&(s, c)) = chars.peek() else { break };
        let (text, quoted) = if c == '"' {
            chars.next();
            let from = s + 1;
            let mut end = q.len();
            let mut closed = false;
            for (i, c) in chars.by_ref() {
                if c == '"' {
                    end = i;
                    closed = true;
                    break;
                }
            }
            if !closed {
                p.notes
                    .push("unbalanced quote: read to the end of the query as a phrase".to_owned());
            }
            (&q[from..end], true)
        } else {
            let mut end = q.len();
            while let Some(&(i, c)) = chars.peek() {
                if c.is_whitespace() {
                    end = i;
                    break;
                }
                chars.next();
            }
            (&q[s..end], false)
        };
        if !quoted
            && let Some((field, value)) = text.split_once(':')
            && !field.is_empty()
            && !value.is_empty()
        {
            match facet_root(field) {
                        Some(root) => {
                            let value = value.trim_matches('"');
                            let slug = if root == "severity" { severity_slug(value) } else { slugify(value) };
                            if negate {
                                p.excluded_filters.push((root.to_owned(), slug));
                            } else {
                                p.filters.push((root.to_owned(), slug));
                            }
                            continue;
                        }
                        None => p.notes.push(format!(
                            "unknown field \"{field}\" (fields: tag, service, root_cause, team, severity, year): searched as words"
                        )),
                    }
        }
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if negate {
            p.excluded.push(text.to_owned())
        } else {
            p.required.push(text.to_owned());
            if !quoted && chars.peek().is_none() {
                p.last = Some(text.to_owned());
            }
        }
    }
    p
}

/// `SEV2`, `sev 2`, `2` → `sev2`.
pub fn severity_slug(v: &str) -> String {
    let s = slugify(v).replace('-', "");
    if s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty() {
        format!("sev{s}")
    } else {
        s
    }
}

#[derive(Debug, Default, Clone)]
pub struct Options {
    pub filters: Vec<(String, String)>,
    pub since: Option<jiff::civil::Date>,
    pub until: Option<jiff::civil::Date>,
    pub limit: usize,
    /// The library's own thesaurus groups (`[search.synonyms]`).
    pub synonyms: Vec<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub date: String,
    pub severity: String,
    pub url: String,
    pub score: f32,
    /// HTML: the matched words in `<b>`, everything else escaped.
    pub snippet: String,
    #[serde(skip)]
    pub snippet_plain: String,
}

#[derive(Debug, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Serialize)]
pub struct Results {
    pub query: String,
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: BTreeMap<String, Vec<FacetCount>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The tokens of a word or phrase, as the index has them.
fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// One word or phrase, matched in any text field, weighted by field.
fn text_query(f: &Fields, toks: &[String]) -> Option<Box<dyn Query>> {
    if toks.is_empty() {
        return None;
    }
    let mut per_field: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, boost) in weighted_text_fields(f) {
        let q: Box<dyn Query> = if toks.len() == 1 {
            Box::new(TermQuery::new(
                Term::from_field_text(field, &toks[0]),
                IndexRecordOption::WithFreqs,
            ))
        } else {
            Box::new(PhraseQuery::new(
                toks.iter()
                    .map(|t| Term::from_field_text(field, t))
                    .collect(),
            ))
        };
        per_field.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
    }
    Some(Box::new(BooleanQuery::new(per_field)))
}

fn facet_query(f: &Fields, root: &str, slug: &str) -> Box<dyn Query> {
    let facet = Facet::from(format!("/{root}/{slug}").as_str());
    Box::new(TermQuery::new(
        Term::from_facet(f.facet, &facet),
        IndexRecordOption::Basic,
    ))
}

/// BM25 parameters, the same in the browser (`search.js` reads them from `index.json`). k1 is
/// higher than BM25's usual 1.2 because frequencies here are weighted by field (1 to 3):
/// measured on the relevance set with 1,000 synthetic COEs beside it (docs/search.md), 2.0
/// ranked better than 1.2 and as well as 3.0.
pub const K1: f64 = 2.0;
pub const B: f64 = 0.75;
/// A COE matching `m` of a query's `g` groups has its score multiplied by
/// `COORD_BASE + (1 - COORD_BASE) × m / g`: COEs with more of the query's words rank first,
/// without the all-or-nothing of requiring every word (long, pasted queries).
pub const COORD_BASE: f64 = 0.8;
/// The weight of a term the query's last word continues into, when that word is in no COE
/// (`thumbn` → `thumbnail`), and how many such terms are tried (the most common first).
pub const PREFIX_WEIGHT: f64 = 0.6;
pub const MAX_EXPANSIONS: usize = 8;

/// BM25's inverse document frequency (never negative), rounded to 2⁻²⁰: `ln` may differ in
/// its last bit between Rust and JavaScript (it did for 7.5 % of the values tried), the
/// rounded value did not, so the browser and the CLI add up the same numbers.
pub fn idf(df: f64, n: f64) -> f64 {
    let x = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
    (x * 1_048_576.0).round() / 1_048_576.0
}

/// The score of alternative `alt` of a group, given each of its terms' BM25F score in a COE
/// (`None`: not in it); `typed_len` is how many terms the words typed have. The browser adds
/// and multiplies in the same order.
pub fn alt_score(alt: &Alt, scores: &[Option<f64>], typed_len: usize) -> f64 {
    let weight = alt.weight;
    if alt.typed {
        return weight * scores.iter().flatten().sum::<f64>();
    }
    if scores.iter().any(Option::is_none) || scores.is_empty() {
        return 0.0;
    }
    let sum: f64 = scores.iter().flatten().sum();
    weight * sum / scores.len() as f64 * typed_len as f64
}

/// The groups of a parsed query: its words analysed, then its phrases.
pub fn query_groups(parsed: &Parsed, thesaurus: &Thesaurus) -> (Vec<Group>, Vec<String>) {
    let mut groups = Vec::new();
    let mut phrases = Vec::new();
    let mut free = String::new();
    for w in parsed.required.iter().take(MAX_TERMS) {
        if w.contains(char::is_whitespace) {
            if let Some(g) = super::analysis::phrase(w) {
                groups.push(g);
                phrases.push(w.clone());
            }
        } else {
            free.push_str(w);
            free.push(' ');
        }
    }
    let mut words = super::analysis::analyse(&free, thesaurus);
    if words.is_empty() && groups.is_empty() {
        // Only stop words ("the who"): search them after all.
        words = super::analysis::words(&free)
            .into_iter()
            .map(|(_, s)| Group {
                alts: vec![Alt {
                    terms: vec![s],
                    weight: 1.0,
                    typed: true,
                }],
                phrase: false,
            })
            .collect();
    }
    words.extend(groups);
    (words, phrases)
}

/// Runs a query: BM25F over the text fields (title, summary, analysis, body, action items,
/// taxonomy terms), each group of the query scored by its best alternative (the words typed,
/// or their thesaurus equivalents at [`super::analysis::SYNONYM_WEIGHT`]), with snippets and
/// facet counts.
pub fn search(
    index: &Index,
    f: &Fields,
    query: &str,
    opts: &Options,
    url_base: &str,
) -> tantivy::Result<Results> {
    let t0 = std::time::Instant::now();
    let mut parsed = parse(query);
    parsed.filters.extend(opts.filters.iter().cloned());
    let mut analyzer = super::similar::analyzer(index)?;
    let thesaurus = Thesaurus::new(&opts.synonyms);
    let (mut groups, phrases) = query_groups(&parsed, &thesaurus);
    let searcher = super::searcher(index)?;
    if let Some(last) = &parsed.last
        && let Some(stem) = tokens(&mut analyzer, last).pop()
    {
        let more = super::prefix::expand(
            &searcher,
            &weighted_text_fields(f),
            &mut groups,
            last,
            &stem,
        )?;
        if !more.is_empty() {
            parsed.notes.push(format!(
                "\"{last}\" is in no COE: matched words that begin like it ({}…)",
                more.join("…, ")
            ));
        }
    }
    if parsed.required.len() > MAX_TERMS {
        parsed
            .notes
            .push(format!("only the first {MAX_TERMS} words were used"));
    }
    let nothing_to_search = !parsed.required.is_empty() && groups.is_empty();
    if nothing_to_search {
        parsed
            .notes
            .push("the query has no searchable words (only punctuation?)".to_owned());
    }
    let mut constraints: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    // Excluded phrases are searched for on their own and their COEs taken out, not made
    // `MustNot` clauses: tantivy 0.27's phrase scorer, as an exclusion, can be asked for a
    // document behind the one it stands on, which its debug assertion rejects (a debug build
    // panicked on `-"CA intermediate"` when a COE had both words, in one field, not in that
    // order; found by fuzz/search; quickwit-oss/tantivy#2811).
    let mut excluded_phrases: Vec<Box<dyn Query>> = Vec::new();
    for (root, slug) in &parsed.excluded_filters {
        constraints.push((Occur::MustNot, facet_query(f, root, slug)));
    }
    // Text, also when it looks like a filter (`-"tag:dns"` is the words "tag" and "dns").
    for e in &parsed.excluded {
        let toks = tokens(&mut analyzer, e);
        if let Some(q) = text_query(f, &toks) {
            if toks.len() > 1 {
                excluded_phrases.push(q);
            } else {
                constraints.push((Occur::MustNot, q));
            }
        }
    }
    for (root, slug) in &parsed.filters {
        constraints.push((Occur::Must, facet_query(f, root, slug)));
    }
    for p in &phrases {
        if let Some(q) = text_query(f, &tokens(&mut analyzer, p)) {
            constraints.push((Occur::Must, q));
        }
    }
    if opts.since.is_some() || opts.until.is_some() {
        let lo = opts.since.map_or(Bound::Unbounded, |d| {
            Bound::Included(Term::from_field_i64(f.date, date_number(d)))
        });
        let hi = opts.until.map_or(Bound::Unbounded, |d| {
            Bound::Included(Term::from_field_i64(f.date, date_number(d)))
        });
        constraints.push((Occur::Must, Box::new(RangeQuery::new(lo, hi))));
    }
    // Every term of every alternative, in any text field: for facet counts and snippets.
    let mut stems: Vec<&str> = groups
        .iter()
        .flat_map(|g| {
            g.alts
                .iter()
                .flat_map(|a| a.terms.iter().map(String::as_str))
        })
        .collect();
    stems.sort_unstable();
    stems.dedup();
    let weighted = weighted_text_fields(f);
    // The COEs a query can score: any word typed or single-word equivalent, or all the words
    // of an equivalent of several words (for facet counts and snippets).
    let any_field = |t: &str| -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            weighted
                .iter()
                .map(|(field, _)| -> (Occur, Box<dyn Query>) {
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_text(*field, t),
                            IndexRecordOption::WithFreqs,
                        )),
                    )
                })
                .collect(),
        ))
    };
    let mut any_clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for alt in groups.iter().flat_map(|g| &g.alts) {
        if alt.typed || alt.terms.len() == 1 {
            any_clauses.extend(alt.terms.iter().map(|t| (Occur::Should, any_field(t))));
        } else {
            let all: Vec<(Occur, Box<dyn Query>)> = alt
                .terms
                .iter()
                .map(|t| (Occur::Must, any_field(t)))
                .collect();
            any_clauses.push((Occur::Should, Box::new(BooleanQuery::new(all))));
        }
    }
    let any_term: Box<dyn Query> = Box::new(BooleanQuery::new(any_clauses));

    let t_analysed = t0.elapsed();
    let limit = opts.limit.max(1);
    let mut hits_addr: Vec<(Score, DocAddress)> = Vec::new();
    let mut total = 0;
    let mut facet_counts = BTreeMap::new();
    if !nothing_to_search {
        // Which documents the filters, exclusions, phrases and dates let through.
        let allowed: Option<HashSet<DocAddress>> =
            if constraints.is_empty() && excluded_phrases.is_empty() {
                None
            } else {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = constraints
                    .iter()
                    .map(|(o, q)| (*o, q.box_clone()))
                    .collect();
                clauses.push((Occur::Must, Box::new(AllQuery)));
                let mut allowed = searcher.search(&BooleanQuery::new(clauses), &DocSetCollector)?;
                for q in &excluded_phrases {
                    for doc in searcher.search(&**q, &DocSetCollector)? {
                        allowed.remove(&doc);
                    }
                }
                Some(allowed)
            };
        let mut scored =
            super::bm25f::score(&searcher, &weighted, &groups, &stems, allowed.as_ref())?;
        crate::timing!(
            "search: analysis {t_analysed:?}, BM25F of {} COEs {:?}",
            scored.len(),
            t0.elapsed() - t_analysed
        );
        total = scored.len();
        // The facet counts are those of the COEs scored: they are the ones the filters let
        // through that have any word of the query (or every word of an equivalent), as
        // running the query again for a facet collector would find (~1.5-4 ms at 10,000).
        let facet_result = count_facets(&searcher, &scored)?;
        // Best first; ties (and filters alone) in library order, newest first.
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(limit);
        hits_addr = scored
            .into_iter()
            .map(|(s, _, a)| (s as Score, a))
            .collect();
        for (name, _) in FACETS {
            let top: Vec<FacetCount> = facet_result
                .top_k(format!("/{name}").as_str(), 10)
                .into_iter()
                .map(|(facet, count)| FacetCount {
                    value: facet
                        .to_path()
                        .last()
                        .map_or_else(String::new, |s| (*s).to_owned()),
                    count,
                })
                .collect();
            facet_counts.insert(name.to_owned(), top);
        }
    }
    let any_word = any_term;
    let t_facets = t0.elapsed();

    let snippet_fields = [f.analysis, f.body, f.summary, f.actions];
    let generators: Vec<SnippetGenerator> = snippet_fields
        .iter()
        .filter_map(|&field| {
            let mut g = SnippetGenerator::create(&searcher, &*any_word, field).ok()?;
            g.set_max_num_chars(180);
            Some(g)
        })
        .collect();
    // Snippets are cut from the texts stored in the index (reading and parsing each hit's file
    // instead cost ~6 ms of a 10,000-COE query).
    let hits = hits_addr
        .into_par_iter()
        .map(|(score, addr)| -> tantivy::Result<Hit> {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_owned()
            };
            let texts = [
                text(f.analysis),
                text(f.body),
                text(f.summary),
                text(f.actions),
            ];
            let best = generators
                .iter()
                .zip(&texts)
                .map(|(g, t)| g.snippet(t))
                .max_by_key(|s| s.highlighted().len())
                .filter(|s| !s.highlighted().is_empty());
            let (snippet, snippet_plain) = match best {
                Some(s) => (s.to_html(), bracketed(&s)),
                None => {
                    let summary: String = text(f.summary).chars().take(180).collect();
                    (crate::html::escape(&summary), summary)
                }
            };
            let date = doc.get_first(f.date).and_then(|v| v.as_i64()).unwrap_or(0);
            let id = text(f.id);
            Ok(Hit {
                url: format!("{url_base}coe/{}/", slugify(&id)),
                id,
                title: text(f.title),
                date: format!(
                    "{:04}-{:02}-{:02}",
                    date / 10000,
                    (date / 100) % 100,
                    date % 100
                ),
                severity: text(f.severity),
                score,
                snippet,
                snippet_plain,
            })
        })
        .collect::<tantivy::Result<Vec<Hit>>>()?;
    crate::timing!(
        "search: up to facet counts {t_facets:?}, snippets {:?}",
        t0.elapsed() - t_facets
    );
    Ok(Results {
        query: query.to_owned(),
        total,
        hits,
        facets: facet_counts,
        notes: parsed.notes,
    })
}

/// The facet counts (under each of [`FACETS`]) of the COEs `scored`, which are in segment
/// order.
fn count_facets(
    searcher: &tantivy::Searcher,
    scored: &[super::bm25f::Scored],
) -> tantivy::Result<tantivy::collector::FacetCounts> {
    let mut facets = FacetCollector::for_field("facet");
    for (name, _) in FACETS {
        facets.add_facet(Facet::from(format!("/{name}").as_str()));
    }
    let mut fruits = Vec::new();
    for (s, seg) in searcher.segment_readers().iter().enumerate() {
        let mut collector = facets.for_segment(s as u32, seg)?;
        for (_, _, addr) in scored.iter().filter(|x| x.2.segment_ord == s as u32) {
            collector.collect(addr.doc_id, 0.0);
        }
        fruits.push(collector.harvest());
    }
    facets.merge_fruits(fruits)
}

/// The snippet with matched words in [brackets], for terminals.
fn bracketed(s: &tantivy::snippet::Snippet) -> String {
    let text = s.fragment();
    let mut out = String::new();
    let mut last = 0;
    for r in s.highlighted() {
        if r.start < last || r.end > text.len() {
            continue;
        }
        out.push_str(&text[last..r.start]);
        out.push('[');
        out.push_str(&text[r.start..r.end]);
        out.push(']');
        last = r.end;
    }
    out.push_str(&text[last..]);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_words_phrases_exclusions_and_fields() {
        let p = parse(r#"dns "connection pool" -retry tag:Config-Change severity:2 foo:bar"#);
        assert_eq!(p.required, vec!["dns", "connection pool", "foo:bar"]);
        assert_eq!(p.excluded, vec!["retry"]);
        assert_eq!(
            p.filters,
            vec![
                ("tag".into(), "config-change".into()),
                ("severity".into(), "sev2".into())
            ]
        );
        assert!(p.notes[0].contains("unknown field \"foo\""));
        // A left-out filter (any case); quoted, the same text is words.
        let p = parse("dns -tag:DNS -\"tag:ttl\"");
        assert_eq!(
            p.excluded_filters,
            vec![("tag".to_owned(), "dns".to_owned())]
        );
        assert_eq!(p.excluded, vec!["tag:ttl"]);
    }

    #[test]
    fn odd_input_never_fails() {
        for q in [
            "\"unbalanced",
            "!!! ??? ...",
            "-",
            "\"\"",
            "a:",
            ":b",
            "<script>alert(1)</script>",
            &"x".repeat(10_000),
        ] {
            let p = parse(q);
            assert!(p.required.len() <= MAX_QUERY_CHARS);
        }
        assert!(parse("\"unbalanced phrase").notes[0].contains("unbalanced"));
        assert!(
            parse(&"word ".repeat(3000))
                .notes
                .iter()
                .any(|n| n.contains("longer than"))
        );
    }
}
