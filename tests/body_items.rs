//! Post-mortems written before coe (issue 17): plain Markdown with metadata lines in the body
//! and action items as lists, task lists and tables. The fixture library
//! `tests/fixtures/real-postmortems/` holds them in the styles of public post-mortems; every
//! action item must reach `coe actions`, `coes.json` and `/action-items/` with its owner, due
//! date, status and ticket.

mod common;

use common::*;
use serde_json::Value;

/// (COE id, title, owner, due, status, ticket, priority) of every action item of the fixtures.
type Expected = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

const EXPECTED: &[Expected] = &[
    // Google SRE book style: a table with Action Item | Type | Owner | Bug.
    (
        "2024-03-14 checkout latency",
        "Add a canary stage to the config pipeline",
        Some("ana.souza"),
        None,
        "open",
        Some("https://jira.example.com/browse/OPS-1401"),
        None,
    ),
    (
        "2024-03-14 checkout latency",
        "Alarm on payment-client pool saturation above 90%",
        Some("payments-oncall"),
        None,
        "open",
        Some("OPS-1402"),
        None,
    ),
    (
        "2024-03-14 checkout latency",
        "Document the pool sizing rules in the runbook",
        Some("li.wei"),
        None,
        "open",
        None,
        None,
    ),
    (
        "2024-03-14 checkout latency",
        "Load-test checkout with the spring sale traffic profile",
        None,
        None,
        "done",
        Some("https://jira.example.com/browse/OPS-1404"),
        None,
    ),
    // GitLab style: a task list with @handles and issue URLs.
    (
        "2024-01-22 database replication lag",
        "Add alerting on replica lag above 30 s",
        Some("jdoe"),
        None,
        "open",
        Some("https://gitlab.com/acme/infra/-/issues/5512"),
        None,
    ),
    (
        "2024-01-22 database replication lag",
        "Raise max_wal_senders on the primary",
        Some("msmith"),
        None,
        "done",
        Some("https://gitlab.com/acme/infra/-/issues/5513"),
        None,
    ),
    (
        "2024-01-22 database replication lag",
        "Runbook: how to take a lagging replica out of the load balancer",
        Some("ops-team"),
        Some("2024-02-15"),
        "open",
        None,
        None,
    ),
    (
        "2024-01-22 database replication lag",
        "Evaluate logical replication for the reporting replica",
        Some("jdoe"),
        None,
        "in-progress",
        None,
        None,
    ),
    // Bullets with @owner, due, ETA and Owner: hints.
    (
        "2023-11-02 search index corruption",
        "Verify index checksums before promoting a new segment",
        Some("kchen"),
        Some("2023-12-01"),
        "open",
        None,
        Some("high"),
    ),
    (
        "2023-11-02 search index corruption",
        "Keep two days of index snapshots instead of one",
        Some("storage-team"),
        Some("2023-11-20"),
        "done",
        None,
        None,
    ),
    (
        "2023-11-02 search index corruption",
        "Page the search on-call when shard count drops, not only when queries fail",
        Some("priya"),
        Some("2023-12-15"),
        "open",
        Some("SRCH-88"),
        None,
    ),
    (
        "2023-11-02 search index corruption",
        "Write a restore drill into the quarterly game day",
        Some("kchen"),
        Some("2024-01-31"),
        "open",
        None,
        None,
    ),
    // A numbered list with hints in brackets, over two lines, struck out.
    (
        "2023-08-09 dns resolver outage",
        "Roll out a second resolver pool in each region",
        Some("net-infra"),
        Some("2023-09-30"),
        "open",
        None,
        Some("high"),
    ),
    (
        "2023-08-09 dns resolver outage",
        "Cap the negative-cache TTL at 60 seconds.",
        Some("ravi"),
        None,
        "in-progress",
        Some("https://linear.app/acme/issue/NET-311"),
        None,
    ),
    (
        "2023-08-09 dns resolver outage",
        "Add a synthetic DNS check for every internal zone",
        Some("Rahul Mehta"),
        Some("2023-10-15"),
        "open",
        None,
        Some("medium"),
    ),
    (
        "2023-08-09 dns resolver outage",
        "Move the resolvers to the new kernel (superseded by item 1)",
        None,
        None,
        "done",
        None,
        None,
    ),
    // A key/value table under the title; the actions' table in another column order.
    (
        "payments-webhook-backlog",
        "Drain the backlog with a one-off job",
        Some("dana"),
        Some("2024-06-10"),
        "done",
        Some("https://acme.atlassian.net/browse/PAY-210"),
        None,
    ),
    (
        "payments-webhook-backlog",
        "Bound the retry queue and shed the oldest events",
        None,
        Some("2024-07-01"),
        "in-progress",
        Some("PAY-214"),
        None,
    ),
    (
        "payments-webhook-backlog",
        "Replay webhooks from the ledger instead of the queue",
        Some("Payments on-call"),
        None,
        "open",
        None,
        None,
    ),
    (
        "payments-webhook-backlog",
        "Move webhooks to a separate cluster",
        Some("dana"),
        None,
        "wont-do",
        Some("PAY-199"),
        None,
    ),
    // **Date:** lines; items over two lines with their hints in sub-bullets.
    (
        "cdn-certificate-expiry",
        "Automate renewal of the static-assets certificate with the ACME client the API domains already use",
        Some("marta.k"),
        Some("2025-03-01"),
        "open",
        Some("https://github.com/acme/edge/issues/77"),
        None,
    ),
    (
        "cdn-certificate-expiry",
        "Alert 30 days before any certificate in the inventory expires",
        Some("sre-platform"),
        Some("2025-02-20"),
        "done",
        None,
        None,
    ),
    (
        "cdn-certificate-expiry",
        "Add every CDN hostname to the certificate inventory; see the inventory spreadsheet for the current list",
        Some("jo.lee"),
        Some("2025-02-28"),
        "open",
        None,
        None,
    ),
    // Front matter and body: the front matter wins, the body's list is not added.
    (
        "COE-2025-101",
        "Invalidate the suggestion cache on every index publish",
        Some("kchen"),
        Some("2025-05-01"),
        "in-progress",
        Some("SRCH-140"),
        None,
    ),
    // Atlassian style: Preventive Actions with a priority column and links as tickets.
    (
        "2022-09-19 build cache poisoning",
        "Key the build cache on the lockfile hash",
        Some("Sam Okafor"),
        Some("2022-10-01"),
        "open",
        Some("https://acme.atlassian.net/browse/BUILD-77"),
        Some("high"),
    ),
    (
        "2022-09-19 build cache poisoning",
        "Sign cache entries and verify them on read",
        Some("Ines Duarte"),
        Some("2022-11-15"),
        "open",
        Some("https://acme.atlassian.net/browse/BUILD-78"),
        Some("medium"),
    ),
    (
        "2022-09-19 build cache poisoning",
        "Alert on bundle hash mismatch between build and deploy",
        None,
        Some("2022-10-10"),
        "open",
        None,
        Some("high"),
    ),
    // An Action Plan with struck-out, bracketed and URL hints; the date only in the body.
    (
        "queue-consumer-stall",
        "Pin the client library to 4.2 until the leak is fixed",
        Some("omar"),
        None,
        "done",
        None,
        None,
    ),
    (
        "queue-consumer-stall",
        "Add a heartbeat metric to every consumer",
        Some("messaging"),
        Some("2023-06-01"),
        "open",
        Some("MSG-401"),
        None,
    ),
    (
        "queue-consumer-stall",
        "Contribute the leak fix upstream",
        None,
        None,
        "open",
        Some("https://github.com/acme-oss/amqp-client/pull/913"),
        Some("low"),
    ),
    (
        "queue-consumer-stall",
        "Review consumer dashboards with the on-call rotation",
        None,
        None,
        "done",
        None,
        None,
    ),
];

/// The items read from bodies: all but the front-matter one.
const BODY_ITEMS: usize = 30;

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

fn sorted(mut rows: Vec<Expected>) -> Vec<Expected> {
    rows.sort();
    rows
}

#[test]
fn coe_actions_lists_every_item_written_in_the_body() {
    assert_eq!(
        EXPECTED.iter().filter(|e| e.0 != "COE-2025-101").count(),
        BODY_ITEMS
    );
    let site = copy_fixture("real-postmortems");
    let run = coe(
        &[
            "actions",
            "--json",
            "--today",
            "2026-11-26",
            "--root",
            site.path().to_str().expect("utf8"),
        ],
        site.path(),
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let items = json["items"].as_array().expect("items");
    let got: Vec<Expected> = items
        .iter()
        .map(|i| {
            // Leak: the test compares against 'static expectations.
            let leak = |v: &Value| s(v).map(|x| &*Box::leak(x.to_owned().into_boxed_str()));
            (
                leak(&i["coe"]).unwrap_or(""),
                leak(&i["title"]).unwrap_or(""),
                leak(&i["owner"]),
                leak(&i["due"]),
                leak(&i["status"]).unwrap_or(""),
                leak(&i["ticket"]),
                leak(&i["priority"]),
            )
        })
        .collect();
    let expected = sorted(EXPECTED.to_vec());
    let got = sorted(got);
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e);
    }
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    assert_eq!(json["total"], EXPECTED.len());
}

#[test]
fn the_built_site_tracks_body_items_and_metadata() {
    let (_tmp, out, run) = build(&fixture("real-postmortems"), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let coes: Value = serde_json::from_str(&read(&out, "coes.json")).expect("coes.json");
    let coes = coes
        .as_array()
        .or_else(|| coes["coes"].as_array())
        .expect("a list of COEs");
    let by_id = |id: &str| -> &Value {
        coes.iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id} in coes.json"))
    };
    for e in EXPECTED {
        let items = by_id(e.0)["action_items"].as_array().expect("items");
        let item = items
            .iter()
            .find(|i| i["title"] == e.1)
            .unwrap_or_else(|| panic!("{}: {} in coes.json: {items:#?}", e.0, e.1));
        assert_eq!(s(&item["owner"]), e.2, "{}", e.1);
        assert_eq!(s(&item["due"]), e.3, "{}", e.1);
        assert_eq!(s(&item["status"]), Some(e.4), "{}", e.1);
        assert_eq!(s(&item["ticket"]), e.5, "{}", e.1);
        assert_eq!(s(&item["priority"]), e.6, "{}", e.1);
    }
    let total: usize = coes
        .iter()
        .map(|c| c["action_items"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(total, EXPECTED.len());
    // Extra table columns are kept with the item; unreadable cells too.
    let payments = by_id("payments-webhook-backlog");
    assert_eq!(payments["action_items"][0]["extra"]["notes"], "ran twice");
    assert_eq!(payments["action_items"][2]["extra"]["due"], "Q3");
    assert_eq!(
        by_id("2024-03-14 checkout latency")["action_items"][0]["extra"]["type"],
        "prevent"
    );

    // Metadata from the body, field by field.
    assert_eq!(payments["date"], "2024-06-03");
    assert_eq!(payments["severity"], "SEV3");
    assert_eq!(payments["team"], serde_json::json!(["Payments"]));
    assert_eq!(
        payments["services"],
        serde_json::json!(["webhooks", "ledger"])
    );
    let cdn = by_id("cdn-certificate-expiry");
    assert_eq!(cdn["date"], "2025-02-06");
    assert_eq!(cdn["severity"], "SEV1");
    assert_eq!(cdn["authors"], serde_json::json!(["marta.k"]));
    assert_eq!(cdn["tags"], serde_json::json!(["certificates", "expiry"]));
    let build_cache = by_id("2022-09-19 build cache poisoning");
    assert_eq!(build_cache["status"], "published");
    assert_eq!(build_cache["severity"], "SEV1");
    assert_eq!(
        build_cache["authors"],
        serde_json::json!(["Sam Okafor", "Ines Duarte"])
    );
    assert!(
        s(&build_cache["customer_impact"]).is_some_and(|i| i.starts_with("For 2 hours, 30%")),
        "{build_cache}"
    );
    assert_eq!(by_id("queue-consumer-stall")["date"], "2023-05-05");
    assert_eq!(
        by_id("2024-01-22 database replication lag")["severity"],
        "SEV2"
    );
    // Front matter wins: its own fields, and no body items added.
    let fm = by_id("COE-2025-101");
    assert_eq!(fm["action_items"].as_array().map(Vec::len), Some(1));
    // coes.json says which source each COE's items came from.
    assert_eq!(fm["action_items_source"], "front_matter");
    assert_eq!(payments["action_items_source"], "body");
    assert_eq!(cdn["action_items_source"], "body");

    // The tracker lists every item with its owner and ticket.
    let tracker =
        read(&out, "action-items/index.html") + &read(&out, "action-items/closed/index.html");
    for e in EXPECTED {
        assert!(
            tracker.contains(&e.1.replace('&', "&amp;")),
            "{} not on /action-items/",
            e.1
        );
        if let Some(t) = e.5 {
            assert!(tracker.contains(t), "ticket {t} not on /action-items/");
        }
        if let Some(o) = e.2 {
            assert!(tracker.contains(o), "owner {o} not on /action-items/");
        }
    }
    // The COE page says where the items came from, and still shows the section as written.
    let page = read(&out, "coe/payments-webhook-backlog/index.html");
    assert!(page.contains("Read from the list above"), "{page}");
    assert!(page.contains("needs design"), "the section as written");
    let fm_page = read(&out, "coe/coe-2025-101/index.html");
    assert!(!fm_page.contains("Read from the list above"));
    assert!(fm_page.contains("Rebuild the suggestion cache nightly"));
}

#[test]
fn coe_check_suggests_moving_what_was_read_from_the_body() {
    let site = copy_fixture("real-postmortems");
    let run = coe(
        &[
            "check",
            "--format",
            "json",
            "--today",
            "2026-11-26",
            "--root",
            site.path().to_str().expect("utf8"),
        ],
        site.path(),
    );
    let json: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let findings = json["findings"].as_array().expect("findings");
    let suggestion = findings
        .iter()
        .find(|f| {
            f["rule"] == "body-metadata"
                && s(&f["file"]).is_some_and(|p| p.ends_with("cdn-certificate-expiry.md"))
                && f["line"] == 5
        })
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(suggestion["severity"], "suggestion");
    assert_eq!(
        suggestion["message"],
        "severity \"P1\" read from the body (line 5): move it into the front matter"
    );
    let items: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "body-action-items")
        .collect();
    assert_eq!(
        items.len(),
        8,
        "every COE but the one with front matter items"
    );
    // Body items are checked like front-matter ones: a missing owner at the item's line.
    assert!(findings.iter().any(|f| f["rule"] == "action-no-owner"
        && s(&f["file"]).is_some_and(|p| p.ends_with("payments-webhook-backlog.md"))
        && f["line"] == 22));
}
