//! `coe check` on the lint fixtures (tests/fixtures/lint/content/): every rule fires on its
//! fixture, at the right line, and stays quiet on a near miss; exit codes, formats, settings.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeMap;

const TODAY: &str = "2026-11-26";
const FIXTURES: &str = "tests/fixtures/lint/content";

#[derive(Debug)]
struct Found {
    rule: String,
    line: u64,
    column: u64,
    severity: String,
    message: String,
}

fn check(args: &[&str]) -> Run {
    let mut all = vec!["check", "--today", TODAY];
    all.extend_from_slice(args);
    coe(&all, &repo_root())
}

fn parse_json(run: &Run) -> Vec<Found> {
    let v: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", run.stdout, run.stderr));
    v["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| Found {
            rule: f["rule"].as_str().expect("rule").to_owned(),
            line: f["line"].as_u64().expect("line"),
            column: f["column"].as_u64().expect("column"),
            severity: f["severity"].as_str().expect("severity").to_owned(),
            message: f["message"].as_str().expect("message").to_owned(),
        })
        .collect()
}

/// The findings for one fixture file.
fn findings(file: &str) -> Vec<Found> {
    let path = format!("{FIXTURES}/{file}");
    parse_json(&check(&["--format", "json", &path]))
}

/// (fixture, rule, line, column, words in the message): each rule fires where it should.
const FIRES: &[(&str, &str, u64, u64, &str)] = &[
    ("parse.md", "parse", 6, 11, "severity: expected SEV1..SEV5"),
    (
        "body-metadata.md",
        "body-metadata",
        37,
        1,
        "severity \"SEV2\" read from the body (line 37): move it into the front matter",
    ),
    (
        "body-action-items.md",
        "body-action-items",
        80,
        1,
        "2 action items read from the body (line 80)",
    ),
    (
        "parse-warning.md",
        "parse-warning",
        42,
        1,
        "points outside content/",
    ),
    (
        "missing-field 2024-03-01.md",
        "missing-field",
        36,
        1,
        "the title \"Checkout returned errors after a config push\" is taken from the `#` heading",
    ),
    (
        "missing-field 2024-03-01.md",
        "missing-field",
        1,
        1,
        "the date 2024-03-01 is taken from the file name",
    ),
    (
        "missing-section.md",
        "missing-section",
        1,
        1,
        "no `## Lessons Learned` section",
    ),
    (
        "empty-section.md",
        "empty-section",
        44,
        1,
        "section `Impact` is empty",
    ),
    (
        "template-text.md",
        "template-text",
        47,
        1,
        "`<!-- coe: ... -->`",
    ),
    ("template-text.md", "template-text", 48, 2, "\"Describe\""),
    ("template-text.md", "template-text", 50, 1, "`TODO`"),
    (
        "template-text.md",
        "template-text",
        31,
        13,
        "placeholder value `TBD`",
    ),
    (
        "time-order.md",
        "time-order",
        14,
        11,
        "detected (2024-03-01T22:50:00Z) is before started",
    ),
    (
        "time-order.md",
        "time-order",
        16,
        11,
        "resolved (2024-03-02T00:10:00Z) is before mitigated",
    ),
    (
        "timeline-order.md",
        "timeline-order",
        55,
        3,
        "2024-03-01 00:05 is earlier than the event before it",
    ),
    (
        "action-no-owner.md",
        "action-no-owner",
        24,
        12,
        "has no owner",
    ),
    (
        "action-no-owner.md",
        "action-no-owner",
        28,
        12,
        "placeholder owner \"TBD\"",
    ),
    (
        "action-no-due.md",
        "action-no-due",
        24,
        12,
        "has no due date",
    ),
    (
        "action-overdue.md",
        "action-overdue",
        30,
        10,
        "due 2024-06-30, 879 days ago, still in-progress",
    ),
    (
        "action-vague.md",
        "action-vague",
        24,
        12,
        "\"Investigate the retry storm\" is vague",
    ),
    (
        "action-vague.md",
        "action-vague",
        28,
        12,
        "\"Be more careful with config pushes\" is vague",
    ),
    (
        "action-none.md",
        "action-none",
        6,
        11,
        "a SEV2 COE with no action items",
    ),
    ("whys-too-few.md", "whys-too-few", 65, 1, "2 whys"),
    (
        "whys-end-in-person.md",
        "whys-end-in-person",
        73,
        34,
        "(\"engineer\")",
    ),
    // A name from the front matter, wrapped onto the next line.
    (
        "whys-end-in-named-person.md",
        "whys-end-in-person",
        74,
        4,
        "(\"ana.souza\")",
    ),
    (
        "human-error.md",
        "human-error",
        9,
        36,
        "root_cause \"Human Error\"",
    ),
    (
        "human-error.md",
        "human-error",
        77,
        20,
        "\"human error\" given as a root cause",
    ),
    // Wrapped across two lines: found where it starts.
    (
        "counterfactual.md",
        "counterfactual",
        78,
        79,
        "\"could have\" in Root Cause",
    ),
    (
        "counterfactual.md",
        "counterfactual",
        84,
        14,
        "\"should have\" in Lessons Learned",
    ),
    (
        "blame-word.md",
        "blame-word",
        79,
        18,
        "\"careless\" in Root Cause",
    ),
    (
        "person-named.md",
        "person-named",
        73,
        35,
        "reviewer \"li.wei\" is named in Five Whys",
    ),
    (
        "person-named.md",
        "person-named",
        79,
        86,
        "author \"ana.souza\" is named in Root Cause",
    ),
    (
        "person-named.md",
        "person-named",
        80,
        1,
        "handle \"@sam.k\"",
    ),
    (
        "impact-no-number.md",
        "impact-no-number",
        17,
        18,
        "\"Many customers could not check out\"",
    ),
];

/// (fixture, rule, the near miss it holds): the rule must not fire there.
const QUIET: &[(&str, &str, &str)] = &[
    ("clean.md", "parse", "every field well formed"),
    (
        "clean.md",
        "body-metadata",
        "every field in the front matter, `Questions about…` prose in a section",
    ),
    (
        "clean.md",
        "body-action-items",
        "front-matter items, prose in the Action Items section",
    ),
    (
        "action-none-sev3.md",
        "parse",
        "`severity: Sev 3` spelled loosely",
    ),
    ("clean.md", "parse-warning", "a link to a sibling COE file"),
    (
        "clean.md",
        "missing-field",
        "title and date in the front matter",
    ),
    (
        "whys-end-in-person-ok.md",
        "missing-section",
        "`5 Whys` and `Learnings` headings",
    ),
    (
        "clean.md",
        "empty-section",
        "a Metrics section holding only an image",
    ),
    (
        "clean.md",
        "template-text",
        "`# TODO` inside a fenced code block",
    ),
    ("clean.md", "time-order", "times in order across midnight"),
    (
        "clean.md",
        "timeline-order",
        "a timeline crossing midnight under ### day headings",
    ),
    ("clean.md", "action-no-owner", "a team as owner"),
    (
        "clean.md",
        "action-no-due",
        "a done item without a due date",
    ),
    (
        "clean.md",
        "action-overdue",
        "a done item whose due date has passed",
    ),
    (
        "clean.md",
        "action-vague",
        "\"Investigate ... and write up a fix\"; \"Improve monitoring by alarming ...\"",
    ),
    (
        "action-none-sev3.md",
        "action-none",
        "a SEV3 with no action items",
    ),
    (
        "whys-end-in-person-ok.md",
        "whys-too-few",
        "exactly three whys",
    ),
    (
        "whys-end-in-person-ok.md",
        "whys-end-in-person",
        "the engineer did not check *because* the tool could not",
    ),
    (
        "clean.md",
        "whys-end-in-person",
        "the on-call engineer in a middle why",
    ),
    (
        "clean.md",
        "human-error",
        "\"human error\" in quotes, \"not operator error\"",
    ),
    (
        "clean.md",
        "counterfactual",
        "\"should have\" quoted in the Timeline and a blockquote; \"would have\"",
    ),
    ("clean.md", "blame-word", "\"careless\" quoted"),
    (
        "clean.md",
        "person-named",
        "an e-mail address and \"the on-call engineer\"",
    ),
    (
        "impact-none.md",
        "impact-no-number",
        "`customer_impact: None, ...`",
    ),
];

#[test]
fn every_rule_fires_on_its_fixture_at_the_right_position() {
    let mut by_file: BTreeMap<&str, Vec<Found>> = BTreeMap::new();
    for (file, rule, line, column, words) in FIRES {
        let found = by_file.entry(file).or_insert_with(|| findings(file));
        assert!(
            found.iter().any(|f| f.rule == *rule
                && f.line == *line
                && f.column == *column
                && f.message.contains(words)),
            "{file}: expected {rule} at {line}:{column} with {words:?}, found:\n{found:#?}"
        );
    }
    for rule in coe::lint::RULES {
        assert!(
            FIRES.iter().any(|f| f.1 == rule.id),
            "no fixture triggers {}",
            rule.id
        );
    }
}

#[test]
fn each_fixture_triggers_only_its_own_rule() {
    // Companions: a `TBD` owner is also template text; a named person is also named.
    let allowed: &[(&str, &str)] = &[
        ("action-no-owner.md", "template-text"),
        ("whys-end-in-named-person.md", "person-named"),
    ];
    for (file, rule, ..) in FIRES {
        for f in findings(file) {
            assert!(
                f.rule == *rule || allowed.contains(&(file, f.rule.as_str())),
                "{file}: unexpected {f:?}"
            );
        }
    }
}

#[test]
fn near_misses_do_not_fire() {
    for (file, rule, near_miss) in QUIET {
        let found = findings(file);
        assert!(
            !found.iter().any(|f| f.rule == *rule),
            "{file}: {rule} fired on a near miss ({near_miss}): {found:#?}"
        );
    }
    for rule in coe::lint::RULES {
        assert!(
            QUIET.iter().any(|q| q.1 == rule.id),
            "no near miss for {}",
            rule.id
        );
    }
    for file in [
        "clean.md",
        "whys-end-in-person-ok.md",
        "action-none-sev3.md",
        "impact-none.md",
    ] {
        let found = findings(file);
        assert!(found.is_empty(), "{file}: {found:#?}");
    }
}

#[test]
fn exit_codes() {
    let clean = format!("{FIXTURES}/clean.md");
    let warning_only = format!("{FIXTURES}/counterfactual.md");
    let error = format!("{FIXTURES}/time-order.md");
    assert_eq!(check(&[&clean]).status, 0);
    assert_eq!(check(&["--strict", &clean]).status, 0);
    assert_eq!(check(&[&warning_only]).status, 0, "warnings alone pass");
    assert_eq!(check(&["--strict", &warning_only]).status, 1);
    assert_eq!(check(&[&error]).status, 1);
    let missing = check(&["tests/fixtures/lint/no-such-file.md"]);
    assert_eq!(missing.status, 2, "{}", missing.stderr);
    assert!(
        missing
            .stderr
            .contains("no-such-file.md: no such file or folder")
    );
    assert_eq!(check(&["--format", "xml", &clean]).status, 2);
    assert_eq!(check(&["--today", "tomorrow", &clean]).status, 2);
}

#[test]
fn text_format_has_position_rule_hint_and_summary() {
    let run = check(&[
        &format!("{FIXTURES}/time-order.md"),
        &format!("{FIXTURES}/clean.md"),
    ]);
    assert_eq!(run.status, 1);
    let mut lines = run.stdout.lines();
    assert_eq!(
        lines.next(),
        Some(
            "tests/fixtures/lint/content/time-order.md:14:11: error[time-order]: detected (2024-03-01T22:50:00Z) is before started (2024-03-01T23:40:00Z)"
        )
    );
    assert!(
        lines.next().is_some_and(|l| l.starts_with("    hint: ")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("2 errors, 0 warnings in 1 of 2 files checked\n"),
        "{}",
        run.stdout
    );
    let clean = check(&[&format!("{FIXTURES}/clean.md")]);
    assert_eq!(clean.stdout, "1 file checked, no problems found\n");
}

#[test]
fn json_format_has_every_field() {
    let run = check(&[
        "--format",
        "json",
        &format!("{FIXTURES}/impact-no-number.md"),
    ]);
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    let f = &v["findings"][0];
    assert_eq!(f["file"], "tests/fixtures/lint/content/impact-no-number.md");
    assert_eq!(f["line"], 17);
    assert_eq!(f["column"], 18);
    assert_eq!(f["rule"], "impact-no-number");
    assert_eq!(f["severity"], "warning");
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("no number"))
    );
    assert!(f["hint"].as_str().is_some_and(|h| h.contains("quantify")));
    let clean = check(&["--format", "json", &format!("{FIXTURES}/clean.md")]);
    let v: Value = serde_json::from_str(&clean.stdout).expect("json");
    assert_eq!(v, serde_json::json!({"findings": []}));
}

#[test]
fn github_format_is_workflow_annotations() {
    let run = check(&["--format", "github", &format!("{FIXTURES}/time-order.md")]);
    assert_eq!(run.status, 1);
    let first = run.stdout.lines().next().expect("a line");
    assert!(
        first.starts_with(
            "::error file=tests/fixtures/lint/content/time-order.md,line=14,col=11,title=time-order::detected (2024-03-01T22:50:00Z)"
        ),
        "{first}"
    );
    assert!(first.contains("%0Ahint: "), "{first}");
    let warning = check(&["--format", "github", &format!("{FIXTURES}/blame-word.md")]);
    assert!(
        warning.stdout.starts_with("::warning file="),
        "{}",
        warning.stdout
    );
}

#[test]
fn config_turns_rules_off_changes_severity_and_reports_unknown_ids() {
    let site = copy_fixture("lint");
    let root = site.path().to_str().expect("utf8");
    std::fs::write(
        site.path().join("coe.toml"),
        "title = \"x\"\n\n[lint.rules]\ncounterfactual = \"off\"\nimpact-no-number = \"error\"\ncounterfactul = \"off\"\n",
    )
    .expect("write");
    let run = coe(
        &[
            "check", "--today", TODAY, "--format", "json", "--root", root,
        ],
        site.path(),
    );
    let found = parse_json(&run);
    assert!(!found.iter().any(|f| f.rule == "counterfactual"), "off");
    let impact: Vec<_> = found
        .iter()
        .filter(|f| f.rule == "impact-no-number")
        .collect();
    assert!(!impact.is_empty() && impact.iter().all(|f| f.severity == "error"));
    let config: Vec<_> = found.iter().filter(|f| f.rule == "config").collect();
    assert_eq!(config.len(), 1, "{found:#?}");
    assert_eq!(config[0].line, 6);
    assert!(
        config[0]
            .message
            .contains("unknown rule id `counterfactul`")
    );
    assert_eq!(run.status, 1);
    // The build accepts the [lint] table.
    let (_tmp, _out, build) = build(site.path(), &[]);
    assert!(
        !build.stderr.contains("unknown key `lint`"),
        "{}",
        build.stderr
    );
}

#[test]
fn default_paths_are_the_roots_content_and_files_are_not_modified() {
    let site = copy_fixture("lint");
    let before = snapshot(site.path());
    let run = coe(&["check", "--today", TODAY], site.path());
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(
        run.stdout.starts_with("content/"),
        "paths are shown as typed: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains(" of 27 files checked"),
        "{}",
        run.stdout
    );
    // A folder given as a path.
    let folder = coe(&["check", "--today", TODAY, "content"], site.path());
    assert_eq!(folder.stdout, run.stdout);
    assert_eq!(snapshot(site.path()), before, "check never writes");
}

fn snapshot(dir: &std::path::Path) -> BTreeMap<String, (Vec<u8>, std::time::SystemTime)> {
    files(dir)
        .into_iter()
        .map(|f| {
            let p = dir.join(&f);
            let bytes = std::fs::read(&p).expect("read");
            let modified = std::fs::metadata(&p)
                .and_then(|m| m.modified())
                .expect("mtime");
            (f, (bytes, modified))
        })
        .collect()
}

#[test]
fn sample_library_findings_are_genuine() {
    let run = coe(
        &["check", "--today", TODAY, "--format", "json"],
        &repo_root(),
    );
    let found = parse_json(&run);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &found {
        *counts.entry(f.rule.as_str()).or_default() += 1;
    }
    // Open items past their due date, items without a due date, and the TODO notes of the
    // draft COE-2026-019; nothing about the language of the analyses, no error.
    assert_eq!(
        counts.keys().copied().collect::<Vec<_>>(),
        vec!["action-no-due", "action-overdue", "template-text"],
        "{found:#?}"
    );
    let run_text = coe(&["check", "--today", TODAY], &repo_root());
    assert!(
        run_text
            .stdout
            .contains("content/2026/COE-2026-019.md:49:2: warning[template-text]"),
        "{}",
        run_text.stdout
    );
    assert_eq!(run.status, 0, "warnings only");
}

/// The repository's own sample library passes its own `coe check` (the CI snippet in the
/// README works out of the box).
#[test]
fn the_sample_library_passes_its_own_check() {
    let run = coe(&["check", "--root", "."], &repo_root());
    assert_eq!(run.status, 0, "{}{}", run.stdout, run.stderr);
}

/// What only the whole library shows is checked too: two COEs with one id is an error (exit 1),
/// a `related` id no COE has a warning, as `coe build` reports them.
#[test]
fn duplicate_ids_and_unknown_related_coes_are_reported_by_check() {
    let site = tempfile::tempdir().expect("tempdir");
    let content = site.path().join("content");
    std::fs::create_dir_all(&content).expect("mkdir");
    let coe_text = "---\nid: COE-1\ntitle: Checkout failed\ndate: 2024-01-01\nstatus: published\nrelated: [COE-404]\n---\n\n## Summary\n\nCheckout failed.\n";
    std::fs::write(content.join("a.md"), coe_text).expect("write");
    std::fs::write(content.join("b.md"), coe_text).expect("write");
    let run = coe(&["check", "--root", "."], site.path());
    assert_eq!(run.status, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("content/b.md:1:1: error[library]: duplicate id \"COE-1\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("content/a.md:6:11: warning[library]: related: no COE has id \"COE-404\""),
        "{}",
        run.stdout
    );
    // Checking one file alone cannot know the others: no library findings.
    let one = coe(&["check", "--root", ".", "content/a.md"], site.path());
    assert!(!one.stdout.contains("[library]"), "{}", one.stdout);
}
