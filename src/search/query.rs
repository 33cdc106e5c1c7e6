//! Queries as a person types them: words (all-words matches rank first), `"exact phrase"`,
//! `-exclude`, and `field:value` for facets. Never fails on odd input: it says what it did.

use super::index::date_number;
use super::schema::{Fields, weighted_text_fields};
use crate::slug::slugify;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;
use tantivy::collector::{Count, FacetCollector, TopDocs};
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
    pub excluded: Vec<String>,
    /// (facet root, slug)
    pub filters: Vec<(String, String)>,
    /// Things the user should know (unknown field, truncated query …).
    pub notes: Vec<String>,
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
                                p.excluded.push(format!("{root}:{slug}"));
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
            p.required.push(text.to_owned())
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

/// Runs a query: all-words matches first, then any-word matches, with snippets and facet counts.
pub fn search(
    index: &Index,
    f: &Fields,
    query: &str,
    opts: &Options,
    url_base: &str,
) -> tantivy::Result<Results> {
    let mut parsed = parse(query);
    parsed.filters.extend(opts.filters.iter().cloned());
    let mut analyzer = super::similar::analyzer(index)?;

    let mut words: Vec<Box<dyn Query>> = Vec::new();
    for w in parsed.required.iter().take(MAX_TERMS) {
        if let Some(q) = text_query(f, &tokens(&mut analyzer, w)) {
            words.push(q);
        }
    }
    if parsed.required.len() > MAX_TERMS {
        parsed
            .notes
            .push(format!("only the first {MAX_TERMS} words were used"));
    }
    if !parsed.required.is_empty() && words.is_empty() {
        parsed
            .notes
            .push("the query has no searchable words (only punctuation?)".to_owned());
    }
    let mut constraints: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for e in &parsed.excluded {
        let q = match e.split_once(':') {
            Some((root, slug)) if FACETS.iter().any(|(_, r)| *r == root) => {
                Some(facet_query(f, root, slug))
            }
            _ => text_query(f, &tokens(&mut analyzer, e)),
        };
        if let Some(q) = q {
            constraints.push((Occur::MustNot, q));
        }
    }
    for (root, slug) in &parsed.filters {
        constraints.push((Occur::Must, facet_query(f, root, slug)));
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
    let build = |occur: Occur,
                 words: &[Box<dyn Query>],
                 constraints: &[(Occur, Box<dyn Query>)]|
     -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            words.iter().map(|q| (occur, q.box_clone())).collect();
        clauses.extend(constraints.iter().map(|(o, q)| (*o, q.box_clone())));
        if words.is_empty() {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        Box::new(BooleanQuery::new(clauses))
    };
    let all_words = build(Occur::Must, &words, &constraints);
    let any_word = build(Occur::Should, &words, &constraints);
    let nothing_to_search = !parsed.required.is_empty() && words.is_empty();

    let searcher = super::searcher(index)?;
    let limit = opts.limit.max(1);
    let mut hits_addr: Vec<(Score, DocAddress)> = Vec::new();
    let mut total = 0;
    let mut facet_counts = BTreeMap::new();
    if !nothing_to_search {
        let mut facets = FacetCollector::for_field("facet");
        for (name, _) in FACETS {
            facets.add_facet(Facet::from(format!("/{name}").as_str()));
        }
        let (top_all, count_all) = searcher.search(
            &*all_words,
            &(TopDocs::with_limit(limit).order_by_score(), Count),
        )?;
        let (top_any, count_any, facet_result) = searcher.search(
            &*any_word,
            &(
                TopDocs::with_limit(limit + top_all.len()).order_by_score(),
                Count,
                facets,
            ),
        )?;
        total = count_any.max(count_all);
        let seen: HashSet<DocAddress> = top_all.iter().map(|(_, a)| *a).collect();
        // All-words matches rank first; any-word matches fill the rest.
        hits_addr.extend(top_all);
        hits_addr.extend(top_any.into_iter().filter(|(_, a)| !seen.contains(a)));
        hits_addr.truncate(limit);
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
    Ok(Results {
        query: query.to_owned(),
        total,
        hits,
        facets: facet_counts,
        notes: parsed.notes,
    })
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
