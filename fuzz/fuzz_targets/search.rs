//! A query run the way `coe search` runs it (`search::query::search`) on a small fixed index:
//! no panic and no error; every hit is a COE of the library, once; every snippet is escaped
//! HTML whose only tags are the `<b>` highlights; facet counts are facets of the library, no
//! larger than the COEs matched; `field:value` filters and `-field:value` exclusions hold.
#![no_main]
use coe::search::query::{Options, Results, search};
use coe::search::schema::Fields;
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::OnceLock;
use tantivy::Index;

/// Markup and character classes a snippet must escape or must not split: HTML in code
/// spans and text, entities, and letters whose lowercase has another length.
const ODD: &str = r#"---
id: COE-2026-900
title: Escaping <b>bold</b> & <mark>marked</mark> text
date: 2026-02-03
severity: SEV3
services: [snippet-service]
tags: ["<img src=x onerror=alert(1)>", escaping]
root_cause: [unicode]
team: "Q&A"
summary: "Snippets show `<b>`, `</b>`, `&amp;` and \"quotes\" as text: a < b && c > d."
---

## Summary

Snippets show `<b>`, `</b>`, `<mark>`, `&amp;`, `&#39;` and 'quotes' as text: a < b && c > d.
Text with İstanbul, STRASSE straße, ﬁle ﬂow, naïve cafe\u{301}, 🚀 rocket, عربى and 日本語 words.

## Root Cause

The bold <b>tag</b>, <script>alert(2)</script> and x<y>z were pasted from chat, and
`<b>bold</b>`, `a < b && c > d` and `<script>` pasted from chat are code.
"#;

struct Fixed {
    index: Index,
    fields: Fields,
    /// Each COE's id and its facet paths (`/tag/dns`, `/year/2024` …).
    coes: BTreeMap<String, BTreeSet<String>>,
    opts: Options,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        let files = [
            ("odd.md", ODD),
            (
                "hostile.md",
                include_str!("../../tests/fixtures/hostile/content/COE-2024-666.md"),
            ),
            (
                "small.md",
                include_str!("../../tests/fixtures/small/content/2024/COE-2024-001.md"),
            ),
            (
                "e.md",
                include_str!("../../content/2026/COE-2026-004.md"),
            ),
            (
                "a.md",
                include_str!("../../content/2023/COE-2023-004.md"),
            ),
            (
                "b.md",
                include_str!("../../content/2025/COE-2025-014.md"),
            ),
            (
                "c.md",
                include_str!("../../content/2025/COE-2025-023.md"),
            ),
            (
                "d.md",
                include_str!("../../content/2022/COE-2022-003.md"),
            ),
        ];
        let parsed: Vec<_> = files
            .iter()
            .map(|(name, text)| {
                coe::content::parse(text, name, name)
                    .unwrap_or_else(|e| panic!("fixture {name}: {e:?}"))
                    .0
            })
            .collect();
        let today = jiff::civil::date(2026, 6, 1);
        let (lib, _) = coe::library::Library::build(parsed, false, today);
        assert_eq!(lib.coes.len(), files.len(), "every fixture is in the library");
        let (index, fields) = coe::search::index::build(&lib, None).expect("index in memory");
        let coes = lib
            .coes
            .iter()
            .map(|c| {
                let facets = coe::search::index::facets(c).into_iter().collect();
                (c.id.clone(), facets)
            })
            .collect();
        let opts = Options {
            limit: 10, // `coe search`'s default
            synonyms: vec![vec!["snippet".into(), "excerpt".into(), "extract".into()]],
            ..Options::default()
        };
        let fixed = Fixed {
            index,
            fields,
            coes,
            opts,
        };
        // The fixture does what it is for: a snippet with markup in its text.
        let r = run(&fixed, "pasted chat code");
        assert!(
            r.hits.iter().any(|h| h.snippet.contains("&lt;") && h.snippet.contains("<b>")),
            "no snippet with escaped markup: {r:?}"
        );
        fixed
    })
}

fn run(f: &Fixed, q: &str) -> Results {
    search(&f.index, &f.fields, q, &f.opts, "")
        .unwrap_or_else(|e| panic!("search {q:?} failed: {e}"))
}

/// `html` is text escaped the way `html::escape` and tantivy do, with `<b>…</b>` around the
/// matched words (not nested), and nothing else as markup.
fn assert_escaped(html: &str) {
    let mut open = false;
    let mut rest = html;
    while let Some(i) = rest.find(['<', '>', '"', '\'', '&']) {
        let at = &rest[i..];
        let len = if at.starts_with("<b>") {
            assert!(!open, "nested <b> in {html:?}");
            open = true;
            3
        } else if at.starts_with("</b>") {
            assert!(open, "</b> without <b> in {html:?}");
            open = false;
            4
        } else if at.starts_with('&') {
            let entity = at[1..].split(';').next().unwrap_or_default();
            let ok = at[1..].contains(';')
                && (["amp", "lt", "gt", "quot", "#39", "#x27"].contains(&entity));
            assert!(ok, "bare & in {html:?}");
            entity.len() + 2
        } else {
            panic!("unescaped {:?} in {html:?}", &at[..1]);
        };
        rest = &at[len..];
    }
    assert!(!open, "unclosed <b> in {html:?}");
}

fuzz_target!(|data: &[u8]| {
    let Ok(q) = std::str::from_utf8(data) else {
        return;
    };
    let f = fixed();
    let r = run(f, q);
    let parsed = coe::search::query::parse(q);
    assert!(r.total <= f.coes.len(), "{} matches of {}", r.total, f.coes.len());
    assert!(r.hits.len() <= r.total.min(f.opts.limit));
    let mut seen = HashSet::new();
    for h in &r.hits {
        let facets = f
            .coes
            .get(&h.id)
            .unwrap_or_else(|| panic!("hit {:?} is no COE of the library", h.id));
        assert!(seen.insert(&h.id), "{:?} found twice", h.id);
        assert_eq!(h.url, format!("coe/{}/", coe::slug::slugify(&h.id)));
        assert!(h.score.is_finite(), "score {} for {q:?}", h.score);
        assert_escaped(&h.snippet);
        for (root, slug) in &parsed.filters {
            let facet = format!("/{root}/{slug}");
            assert!(facets.contains(&facet), "{:?} lacks {facet} ({q:?})", h.id);
        }
        for e in &parsed.excluded_filters {
            let facet = format!("/{}/{}", e.0, e.1);
            assert!(!facets.contains(&facet), "{:?} has excluded {facet}", h.id);
        }
    }
    for (root, counts) in &r.facets {
        for c in counts {
            let facet = format!("/{root}/{}", c.value);
            let with = f.coes.values().filter(|s| s.contains(&facet)).count();
            assert!(
                c.count >= 1 && c.count as usize <= with.min(r.total),
                "{facet}: {} (COEs with it {with}, matched {})",
                c.count,
                r.total
            );
        }
    }
});
