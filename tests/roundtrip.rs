//! Property test: whatever the words, a COE's timeline events, five whys and action items
//! (in its front matter or in its body's Action Items list) are all read by the parser and
//! all shown on its page: none is dropped, merged or cut.

mod common;
use common::*;
use proptest::prelude::*;

/// Words that need escaping in HTML, or look like Markdown or dates, among plain ones. No
/// `?` (it ends a why's question), `/`, quotes or Markdown emphasis (their rendering is
/// tested elsewhere): the point here is the counting.
const WORDS: [&str; 16] = [
    "database",
    "pool",
    "&",
    "<",
    ">",
    "(canary)",
    "10:45",
    "2024-03-01",
    "p99",
    "DNS",
    "über",
    "rollback",
    "1,120",
    "5%",
    "-",
    "naïve",
];

fn text() -> impl Strategy<Value = String> {
    words(&WORDS)
}

/// An action item's words: no dates, times or dashes, which a body's item reads as its due
/// date or owner (`hints.rs`) and takes out of its title.
fn item_text() -> impl Strategy<Value = String> {
    const ITEM_WORDS: [&str; 12] = [
        "database", "pool", "&", "<", ">", "(canary)", "p99", "DNS", "über", "rollback", "5%",
        "naïve",
    ];
    words(&ITEM_WORDS)
}

fn words(list: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(list), 1..8).prop_map(|w| {
        // A letter first: a leading `-`, `>` or number would be Markdown (list, quote).
        format!("Zx {}", w.join(" "))
    })
}

#[derive(Debug, Clone)]
struct Spec {
    events: Vec<String>,
    whys: Vec<(String, String)>,
    items: Vec<String>,
    /// Action items in the front matter (else in the body's Action Items section).
    items_in_front_matter: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        proptest::collection::vec(text(), 1..7),
        proptest::collection::vec((text(), text()), 1..6),
        proptest::collection::vec(item_text(), 0..5),
        any::<bool>(),
    )
        .prop_map(|(events, whys, items, items_in_front_matter)| Spec {
            events,
            whys,
            items,
            items_in_front_matter,
        })
}

fn file(spec: &Spec, n: usize) -> String {
    let mut s = format!(
        "---\nid: COE-2024-{n:03}\ntitle: Round trip {n}\ndate: 2024-03-{:02}\nseverity: 2\n",
        n + 1
    );
    if spec.items_in_front_matter && !spec.items.is_empty() {
        s.push_str("action_items:\n");
        for (i, t) in spec.items.iter().enumerate() {
            s.push_str(&format!(
                "  - title: \"{t}\"\n    owner: ana\n    due: 2024-05-{:02}\n",
                i + 1
            ));
        }
    }
    s.push_str("---\n\n## Summary\n\nA summary.\n\n## Timeline\n\n");
    for (i, e) in spec.events.iter().enumerate() {
        s.push_str(&format!(
            "- 2024-03-01 {:02}:{:02} — {e}\n",
            9 + i / 60,
            i % 60
        ));
    }
    s.push_str("\n## Five Whys\n\n");
    for (i, (q, a)) in spec.whys.iter().enumerate() {
        s.push_str(&format!("{}. Why {q}? {a}\n", i + 1));
    }
    if !spec.items_in_front_matter && !spec.items.is_empty() {
        s.push_str("\n## Action Items\n\n");
        for t in &spec.items {
            s.push_str(&format!("- [ ] {t} (@ana, due 2024-05-01)\n"));
        }
    }
    s
}

/// As the page shows text: `&`, `<`, `>` as entities (the words hold no quote or `/`).
fn shown(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

proptest! {
    // Each case is one build of up to four COEs: bounded for CI.
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_event_why_or_action_item_is_lost_between_the_file_and_its_page(
        specs in proptest::collection::vec(spec(), 1..5)
    ) {
        let site = tempfile::tempdir().expect("tempdir");
        let content = site.path().join("content");
        std::fs::create_dir_all(&content).expect("mkdir");
        for (n, spec) in specs.iter().enumerate() {
            let text = file(spec, n);
            let source = format!("COE-2024-{n:03}.md");
            let (coe, _) = coe::content::parse(&text, &source, &source)
                .unwrap_or_else(|e| panic!("{text}\n{e:?}"));
            prop_assert_eq!(coe.timeline.len(), spec.events.len(), "events of\n{}", text);
            prop_assert_eq!(coe.whys.len(), spec.whys.len(), "whys of\n{}", text);
            prop_assert_eq!(coe.action_items.len(), spec.items.len(), "items of\n{}", text);
            std::fs::write(content.join(&source), text).expect("write");
        }
        let run = coe(&["build", "--root", ".", "--today", "2026-11-26"], site.path());
        prop_assert_eq!(run.status, 0, "{}", run.stderr);
        for (n, spec) in specs.iter().enumerate() {
            let page = read(&site.path().join("public"), &format!("coe/coe-2024-{n:03}/index.html"));
            let timeline = page.split("<ol class=\"timeline\">").nth(1).expect("a timeline");
            let timeline = &timeline[..timeline.find("</ol>").expect("its end")];
            prop_assert_eq!(timeline.matches("<li class=\"event\">").count(), spec.events.len());
            for e in &spec.events {
                prop_assert!(timeline.contains(&shown(e)), "event {:?} not on the page", e);
            }
            let whys = page.split("<ol class=\"whys\">").nth(1).expect("the whys");
            let whys = &whys[..whys.find("</ol>").expect("their end")];
            prop_assert_eq!(whys.matches("<li>").count(), spec.whys.len());
            for (q, a) in &spec.whys {
                prop_assert!(whys.contains(&shown(q)), "why {:?} not on the page", q);
                prop_assert!(whys.contains(&shown(a)), "answer {:?} not on the page", a);
            }
            if !spec.items.is_empty() {
                let table = page.split("<tbody>").nth(1).expect("the action items");
                let table = &table[..table.find("</tbody>").expect("their end")];
                prop_assert_eq!(table.matches("<tr").count(), spec.items.len());
                for t in &spec.items {
                    prop_assert!(table.contains(&format!("<td>{}", shown(t))), "item {:?} not on the page", t);
                }
            }
        }
    }
}
