//! Rule-level tests on small COEs in strings; the binary's behaviour is tested in tests/check.rs.

use super::*;

fn today() -> Date {
    Date::constant(2026, 11, 26)
}

fn lint(text: &str) -> Vec<Finding> {
    check_file(text, "x.md", "content/x.md", &Settings::default(), today())
}

fn rules(findings: &[Finding]) -> Vec<(&'static str, usize)> {
    findings.iter().map(|f| (f.rule, f.line)).collect()
}

#[test]
fn every_rule_has_an_id_hint_and_description() {
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), RULES.len(), "duplicate rule id");
    for r in RULES {
        assert!(!r.hint.is_empty() && !r.description.is_empty(), "{}", r.id);
    }
}

#[test]
fn parse_errors_are_findings() {
    let f = lint("just text\n");
    assert!(f.iter().all(|f| f.rule == "parse"), "{f:?}");
    assert_eq!(f.len(), 2, "no title, no date: {f:?}");
}

#[test]
fn time_order_points_at_the_field() {
    let f = lint(
        "---\ntitle: T\ndate: 2024-01-02\nstarted: 2024-01-02T10:00:00Z\ndetected: 2024-01-02T09:00:00Z\n---\n",
    );
    let t: Vec<_> = f.iter().filter(|f| f.rule == "time-order").collect();
    assert_eq!(t.len(), 1, "{f:?}");
    assert_eq!((t[0].line, t[0].column), (5, 11));
}

#[test]
fn timeline_events_out_of_order() {
    let f = lint(
        "---\ntitle: T\ndate: 2024-01-02\n---\n## Timeline\n\n- 09:00 — a\n- 10:00 — b\n- 09:30 — c\n",
    );
    assert!(rules(&f).contains(&("timeline-order", 9)), "{f:?}");
}

#[test]
fn no_panic_on_odd_input() {
    for text in [
        "---\n---\n",
        "---\ntitle: x\n",
        "# T\n\n## Five Whys\n\n1.\n2. Why? \n",
        "---\ntitle: é\ndate: 2024-01-01\naction_items:\n  - title: Investigate\n---\n## Root Cause\n\n\"unclosed @ “ human error\n",
        "\u{feff}# é\n## Timeline\n- 2024-01-01 25:99 x\n| 09:00 |\n",
    ] {
        let _ = lint(text);
    }
}

#[test]
fn docs_list_every_rule_with_its_default_severity() {
    let docs = include_str!("../../docs/lint.md");
    for r in RULES {
        let row = format!("| `{}` | {} |", r.id, r.severity.as_str());
        assert!(docs.contains(&row), "docs/lint.md lacks the row {row}");
    }
}

#[test]
fn no_panic_on_any_truncation_or_mangling_of_a_coe() {
    let text = include_str!("../../tests/fixtures/lint/content/person-named.md");
    let cuts: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .filter(|i| i % 5 == 0)
        .collect();
    for &i in &cuts {
        let _ = lint(&text[..i]);
        let mangled = format!("{}“é\"@ <!-- `{}", &text[..i], &text[i..]);
        let _ = lint(&mangled);
    }
}

#[test]
fn what_was_read_from_the_body_is_a_suggestion() {
    let f = lint(
        "# Outage\n\n**Date:** 2024-03-14\nSeverity: SEV2\n\n## Action Items\n\n- Add a canary @ana due 2024-04-01\n- Fix the alarm\n",
    );
    let body: Vec<&Finding> = f.iter().filter(|f| f.rule.starts_with("body-")).collect();
    assert_eq!(
        rules(&body.iter().map(|f| (*f).clone()).collect::<Vec<_>>()),
        [
            ("body-metadata", 3),
            ("body-metadata", 4),
            ("body-action-items", 8)
        ]
    );
    assert!(body.iter().all(|f| f.severity == Severity::Suggestion));
    assert_eq!(
        body[1].message,
        "severity \"SEV2\" read from the body (line 4): move it into the front matter"
    );
    assert_eq!(
        body[2].message,
        "2 action items read from the body (line 8): move them into `action_items:` in the front matter"
    );
    // The body's items are checked like the front matter's.
    assert!(
        f.iter().any(|f| f.rule == "action-no-owner" && f.line == 9),
        "{f:?}"
    );
    assert!(
        f.iter().any(|f| f.rule == "action-overdue" && f.line == 8),
        "{f:?}"
    );
    // The date came from the body: no `missing-field` about it.
    assert!(
        !f.iter()
            .any(|f| f.rule == "missing-field" && f.message.contains("date")),
        "{f:?}"
    );
}
