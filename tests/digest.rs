//! The weekly digest, the action-item tracker, metrics and feeds, as a reader and a
//! community-of-practice lead would use them.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

/// Wednesday of 2026-W12: the last complete week is 2026-W11.
const TODAY: &str = "2026-03-18";

fn digest_json(args: &[&str]) -> Value {
    let site = copy_fixture("digest");
    let mut all = vec!["digest", "--format", "json", "--today", TODAY];
    all.extend_from_slice(args);
    let run = coe(&all, site.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn ids(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn digest_defaults_to_the_last_complete_week_and_lists_its_coes() {
    let d = digest_json(&[]);
    assert_eq!(d["week"], "2026-W11");
    assert_eq!(
        (d["from"].as_str(), d["to"].as_str()),
        (Some("2026-03-09"), Some("2026-03-15"))
    );
    assert_eq!(ids(&d["new_coes"]), set(&["COE-2026-011", "COE-2026-012"]));
    let c = d["new_coes"]
        .as_array()
        .expect("coes")
        .iter()
        .find(|c| c["id"] == "COE-2026-011")
        .expect("011");
    assert_eq!(c["time_to_detect_minutes"], 10);
    assert_eq!(c["time_to_mitigate_minutes"], 40);
    assert_eq!(c["severity"], "SEV2");
    // Lessons: what went wrong before what went well.
    assert_eq!(
        c["lessons"][0],
        "A fix for one certificate is not a fix for certificate expiry."
    );
    assert_eq!(c["similar_earlier"][0]["id"], "COE-2025-040");
    assert!(
        c["similar_earlier"][0]["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r.as_str().is_some_and(|r| r.contains("certificate-expiry"))),
        "{c}"
    );
}

#[test]
fn recurrence_is_flagged_only_when_the_earlier_fix_was_done() {
    let d = digest_json(&["--week", "2026-W11"]);
    let rec = d["recurrences"].as_array().expect("recurrences");
    // COE-2026-011 repeats COE-2025-040, whose two action items were both done.
    // COE-2026-012 repeats COE-2025-041 too, but that fix was never built: not a recurrence.
    assert_eq!(rec.len(), 1, "{rec:?}");
    assert_eq!(rec[0]["id"], "COE-2026-011");
    assert_eq!(rec[0]["earlier"]["id"], "COE-2025-040");
    assert_eq!(rec[0]["earlier"]["action_items_done"], 2);
    let prompts = d["prompts"].as_array().expect("prompts");
    assert!((2..=3).contains(&prompts.len()), "{prompts:?}");
    assert!(
        prompts[0]
            .as_str()
            .is_some_and(|p| p.starts_with("COE-2026-011 looks like COE-2025-040")),
        "{prompts:?}"
    );
}

#[test]
fn action_items_closed_due_soon_and_overdue_as_of_the_end_of_the_week() {
    let d = digest_json(&["--week", "2026-W11"]);
    assert_eq!(d["as_of"], "2026-03-16");
    let a = &d["action_items"];
    let titles = |k: &str| -> Vec<String> {
        a[k].as_array()
            .expect(k)
            .iter()
            .map(|i| i["title"].as_str().expect("title").to_owned())
            .collect()
    };
    assert_eq!(
        titles("closed"),
        ["List every certificate on every load balancer in the expiry dashboard"]
    );
    assert_eq!(
        titles("due_soon"),
        ["Move the partner load balancer certificate to automatic renewal"]
    );
    // Most late first, with how many days late on the Monday after the week.
    let overdue = a["overdue"].as_array().expect("overdue");
    assert_eq!(a["overdue_total"], 2);
    assert_eq!(overdue[0]["coe"], "COE-2025-041");
    assert_eq!(overdue[0]["days_overdue"], 258);
    assert_eq!(overdue[0]["owner"], "streaming-oncall");
    assert_eq!(overdue[1]["coe"], "COE-2026-012");
    assert_eq!(overdue[1]["days_overdue"], 15);
}

#[test]
fn a_week_spanning_new_year_is_one_digest() {
    let d = digest_json(&["--week", "2020-W53"]);
    assert_eq!(
        (d["from"].as_str(), d["to"].as_str()),
        (Some("2020-12-28"), Some("2021-01-03"))
    );
    assert_eq!(ids(&d["new_coes"]), set(&["COE-2020-050", "COE-2021-001"]));
    // COE-2021-001 says it was detected before it started: left out of the median.
    assert_eq!(d["themes"]["time_to_detect"]["week_count"], 1);
    assert_eq!(d["themes"]["time_to_detect"]["week_minutes"], 60);

    let site = copy_fixture("digest");
    let bad = coe(&["digest", "--week", "2021-W53"], site.path());
    assert_ne!(bad.status, 0);
    assert!(
        bad.stderr.contains("2021 has no ISO week 53"),
        "{}",
        bad.stderr
    );
}

#[test]
fn markdown_and_email_formats_escape_what_authors_wrote() {
    let site = copy_fixture("digest");
    let md = coe(&["digest", "--today", TODAY], site.path());
    assert_eq!(md.status, 0, "{}", md.stderr);
    assert!(
        md.stdout
            .contains("weekly digest 2026-W11 (2026-03-09 to 2026-03-15)")
    );
    assert!(md.stdout.contains("## Recurrences: the fix did not hold"));
    assert!(md.stdout.contains("**COE-2026-011**"));
    // Markdown that would render as HTML is escaped.
    assert!(
        md.stdout.contains("\\<img src=x onerror=alert(1)\\>"),
        "raw HTML in Markdown:\n{}",
        md.stdout
    );

    let html = coe(
        &["digest", "--today", TODAY, "--format", "html"],
        site.path(),
    );
    assert_eq!(html.status, 0, "{}", html.stderr);
    let h = html.stdout.to_ascii_lowercase();
    assert!(h.starts_with("<!doctype html>") && h.contains("<style>"));
    assert!(!h.contains("<script") && !h.contains("<img") && !h.contains("<link"));
    assert!(
        h.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{}",
        html.stdout
    );
}

#[test]
fn build_writes_digest_pages_archive_and_feed() {
    let (_t, out, run) = build(&fixture("digest"), &["--today", TODAY]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // Negative durations are reported, naming the file.
    assert!(
        run.stderr.contains("COE-2021-001.md") && run.stderr.contains("before started"),
        "{}",
        run.stderr
    );
    let week = read(&out, "digest/2026-w11/index.html");
    assert!(week.contains("id=\"recurrences\""));
    assert!(week.contains("COE-2026-011") && week.contains("COE-2026-012"));
    assert!(week.contains("This happened before"));
    let boundary = read(&out, "digest/2020-w53/index.html");
    assert!(boundary.contains("COE-2020-050") && boundary.contains("COE-2021-001"));
    // The latest week with a COE is the front page of the digest.
    let latest = read(&out, "digest/index.html");
    assert!(latest.contains("Weekly digest 2026-W11"), "{latest}");
    let archive = read(&out, "digest/archive/index.html");
    for w in ["2026-w11", "2025-w45", "2025-w23", "2020-w53"] {
        assert!(
            archive.contains(&format!("digest/{w}/")),
            "{w} missing from the archive"
        );
    }
    let feed = read(&out, "digest/atom.xml");
    assert_eq!(feed.matches("<entry>").count(), 4, "one entry per week");
    assert!(feed.contains("Weekly digest 2026-W11: 2 new COEs"));
    // Escaped once for HTML, once for XML.
    assert!(!feed.contains("<img"));
    assert!(broken_links(&out).is_empty(), "{:?}", broken_links(&out));
}

#[test]
fn action_item_tracker_pages_and_cli() {
    let (_t, out, run) = build(&fixture("digest"), &["--today", TODAY]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let page = read(&out, "action-items/index.html");
    let closed = read(&out, "action-items/closed/index.html");
    let rows = |p: &str| p.matches("<tr data-status=\"").count();
    assert_eq!(rows(&page) + rows(&closed), 6, "every action item");
    // Pending items on the tracker's first page, the closed history on its own page.
    assert!(!page.contains("data-status=\"done\"") && !page.contains("data-status=\"wont-do\""));
    assert!(
        !closed.contains("data-status=\"open\"") && !closed.contains("data-status=\"in-progress\"")
    );
    assert!(
        page.contains("href=\"../action-items/closed/\""),
        "a link to the closed items"
    );
    assert_eq!(page.matches("data-overdue=\"1\"").count(), 2);
    // Overdue items come first.
    let first = page.split("<tr data-status=").nth(1).unwrap_or("");
    assert!(first.contains("data-overdue=\"1\""), "{first}");
    assert!(
        page.contains("17 days overdue"),
        "COE-2026-012's item on {TODAY}"
    );
    assert!(
        page.split("<form class=\"item-filters\" id=\"item-filters\"")
            .nth(1)
            .and_then(|f| f.split('>').next())
            .is_some_and(|tag| tag.ends_with(" hidden")),
        "filters appear only with JavaScript"
    );
    let owner = read(&out, "action-items/owners/mei-lin/index.html");
    assert!(owner.contains("Set a retention limit on every topic by default"));
    assert!(!owner.contains("Move the partner load balancer certificate"));
    let team = read(&out, "action-items/teams/edge/index.html");
    let team_closed = read(&out, "action-items/teams/edge/closed/index.html");
    assert_eq!(rows(&team) + rows(&team_closed), 4);

    let site = copy_fixture("digest");
    let run = coe(
        &["actions", "--overdue", "--json", "--today", TODAY],
        site.path(),
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    let items = v["items"].as_array().expect("items");
    let got: Vec<(String, i64)> = items
        .iter()
        .map(|i| {
            (
                i["coe"].as_str().expect("coe").to_owned(),
                i["days_overdue"].as_i64().expect("days"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("COE-2025-041".to_owned(), 260),
            ("COE-2026-012".to_owned(), 17)
        ]
    );

    let run = coe(
        &["actions", "--owner", "Li.Wei", "--json", "--today", TODAY],
        site.path(),
    );
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(1));
    let run = coe(
        &["actions", "--status", "done", "--json", "--today", TODAY],
        site.path(),
    );
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(3));
    // On the due date itself an item is not overdue yet.
    let run = coe(
        &["actions", "--overdue", "--json", "--today", "2026-03-01"],
        site.path(),
    );
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(
        v["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        run.stdout
    );
    let text = coe(
        &["actions", "--team", "streaming", "--today", TODAY],
        site.path(),
    );
    assert!(text.stdout.contains("COE-2025-041") && text.stdout.contains("260 days overdue"));
}

#[test]
fn metrics_page_draws_charts_with_their_numbers_and_term_feeds() {
    let (_t, out, run) = build(&fixture("digest"), &["--today", TODAY]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let m = read(&out, "metrics/index.html");
    assert_eq!(m.matches("<svg role=\"img\"").count(), 6, "six charts");
    assert_eq!(m.matches("<table>").count(), 6, "a table under each chart");
    assert!(m.contains("<title id=") && m.contains("COEs per month, by severity"));
    assert!(!m.to_ascii_lowercase().contains("<script"));
    // 2025-Q4 has one COE: 20 minutes to detect.
    assert!(
        m.contains("<th scope=\"row\">2025-Q4</th><td>20 min</td><td>48 min</td>"),
        "{m}"
    );

    let feed = read(&out, "services/load-balancer/atom.xml");
    assert_eq!(feed.matches("<entry>").count(), 2);
    assert!(
        feed.contains("<title>COE Library · Services: load-balancer</title>"),
        "{feed}"
    );
    let term = read(&out, "services/load-balancer/index.html");
    assert!(term.contains("href=\"../../services/load-balancer/atom.xml\""));
}

#[test]
fn digest_of_a_generated_library_lists_exactly_that_weeks_coes() {
    let Some(tmp) = generated_library(1000) else {
        return;
    };
    // What a reader of the files expects: published COEs by the ISO week of `published`
    // (default `date`), computed here independently of coe.
    let mut by_week: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
    for entry in walkdir::WalkDir::new(tmp.path().join("content"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        let text = std::fs::read_to_string(entry.path()).expect("read");
        let fm = text.split("\n---").next().unwrap_or("");
        let field = |k: &str| {
            fm.lines()
                .find_map(|l| l.strip_prefix(k))
                .map(|v| v.trim().trim_matches('"').to_owned())
        };
        if matches!(field("status: ").as_deref(), Some("draft" | "in-review")) {
            continue;
        }
        let id = field("id: ").expect("id");
        let day = field("published: ")
            .or_else(|| field("date: "))
            .expect("date");
        let date: jiff::civil::Date = day[..10].parse().expect("date");
        let w = date.iso_week_date();
        by_week
            .entry(format!("{:04}-W{:02}", w.year(), w.week()))
            .or_default()
            .insert(id);
    }
    let (busiest, expected) = by_week
        .iter()
        .max_by_key(|(w, ids)| (ids.len(), (*w).clone()))
        .expect("weeks");
    let run = coe(
        &[
            "digest",
            "--week",
            busiest,
            "--format",
            "json",
            "--today",
            "2026-11-26",
        ],
        tmp.path(),
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let d: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(&ids(&d["new_coes"]), expected, "week {busiest}");
    // A week at a year boundary, too.
    if let Some((w, expected)) = by_week.iter().find(|(w, _)| w.ends_with("-W01")) {
        let run = coe(&["digest", "--week", w, "--format", "json"], tmp.path());
        let d: Value = serde_json::from_str(&run.stdout).expect("json");
        assert_eq!(&ids(&d["new_coes"]), expected, "week {w}");
    }
}

#[test]
fn missing_response_times_are_reported_naming_the_file() {
    let (_t, _out, run) = build(&fixture("plain"), &["--verbose"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr.lines().any(|l| l.contains("content/")
            && l.contains(".md")
            && l.contains("no `started`, `detected`, `mitigated` time")),
        "{}",
        run.stderr
    );
}

/// `--base-url` gives the e-mail and the Markdown absolute links without editing coe.toml.
#[test]
fn base_url_on_the_command_line_makes_links_absolute() {
    let site = copy_fixture("digest");
    let root = site.path().to_path_buf();
    let html = coe(
        &[
            "digest",
            "--root",
            root.to_str().expect("utf8"),
            "--today",
            "2026-11-26",
            "--week",
            "2026-W47",
            "--format",
            "html",
            "-u",
            "https://coe.example.com/lib",
        ],
        &root,
    );
    assert_eq!(html.status, 0, "{}", html.stderr);
    assert!(
        html.stdout
            .contains("href=\"https://coe.example.com/lib/digest/2026-w47/\""),
        "{}",
        html.stdout
    );
    let bad = coe(
        &[
            "digest",
            "--root",
            root.to_str().expect("utf8"),
            "-u",
            "notaurl",
        ],
        &root,
    );
    assert_eq!(bad.status, 2, "{}", bad.stderr);
}
