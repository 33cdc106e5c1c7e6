//! `coe search`, `coe similar` and the "similar past failures" section, on the sample library.

mod common;

use common::*;
use serde_json::Value;

fn search_json(site: &std::path::Path, args: &[&str]) -> Value {
    let mut all = vec!["search", "--json"];
    all.extend_from_slice(args);
    let run = coe(&all, site);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().expect("id").to_owned())
        .collect()
}

#[test]
fn natural_language_queries_find_the_right_coe_in_the_top_five() {
    let site = relevance_site();
    let set = relevance_set();
    assert!(set.len() >= 60);
    let mut misses = Vec::new();
    for (want, q) in &set {
        let got = ids(&search_json(site.path(), &["--limit", "5", q]));
        if !got.contains(want) {
            misses.push(format!("{want} not in top 5 for {q:?}: {got:?}"));
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

/// For every COE of every group of `tests/similar-groups.tsv`, `coe similar` names at least
/// one other member of its group among its top five; and the reasons name what both share.
#[test]
fn similar_finds_the_same_failure_mechanism_across_organisations() {
    let site = relevance_site();
    let groups = similar_groups();
    assert!(groups.len() >= 25);
    let (mut total, mut found) = (0, 0);
    let mut misses = Vec::new();
    for (name, ids) in &groups {
        for id in ids {
            let run = coe(&["similar", "--json", id], site.path());
            assert_eq!(run.status, 0, "{}", run.stderr);
            let v: Value = serde_json::from_str(&run.stdout).expect("json");
            let got: Vec<&str> = v["similar"]
                .as_array()
                .expect("similar")
                .iter()
                .filter_map(|s| s["id"].as_str())
                .collect();
            total += 1;
            if got
                .iter()
                .take(5)
                .any(|g| g != id && ids.iter().any(|m| m == g))
            {
                found += 1;
            } else {
                misses.push(format!("{id} ({name}): {got:?}"));
            }
            // The reasons name what both share: the first similar COE always has some.
            if let Some(s) = v["similar"].as_array().and_then(|a| a.first()) {
                assert!(
                    s["reasons"].as_array().is_some_and(|r| !r.is_empty()),
                    "{id}: {s}"
                );
            }
        }
    }
    // Measured: see docs/search.md (bench/relevance.py).
    assert!(
        found * 100 >= total * MIN_SIMILAR_HIT_PERCENT,
        "{found} of {total}:\n{}",
        misses.join("\n")
    );
}

/// The share of grouped COEs whose top five must hold a group mate.
const MIN_SIMILAR_HIT_PERCENT: usize = 90;

#[test]
fn json_has_the_documented_shape_and_filters_work() {
    let site = sample_site();
    let v = search_json(site.path(), &["thumbnail", "notification"]);
    assert_eq!(v["query"], "thumbnail notification");
    assert!(v["total"].as_u64().expect("total") >= 1);
    let hit = &v["hits"][0];
    assert_eq!(hit["id"], "COE-2024-017");
    for key in ["title", "date", "severity", "url", "score", "snippet"] {
        assert!(!hit[key].is_null(), "{key}");
    }
    assert_eq!(hit["severity"], "SEV2");
    assert!(hit["snippet"].as_str().expect("snippet").contains("<b>"));
    assert!(
        v["facets"]["service"]
            .as_array()
            .expect("service facet")
            .iter()
            .any(|f| f["value"] == "s3")
    );

    let only_edge = search_json(site.path(), &["--service", "cdn", "change"]);
    assert!(
        ids(&only_edge)
            .iter()
            .all(|id| ["COE-2024-030", "COE-2025-023"].contains(&id.as_str())),
        "{only_edge}"
    );
    let in_query = search_json(site.path(), &["change", "service:cdn"]);
    assert_eq!(ids(&only_edge), ids(&in_query));
    let since = search_json(site.path(), &["--since", "2025-01-01", "certificate"]);
    assert!(
        ids(&since).iter().all(|id| id.as_str() >= "COE-2025"),
        "{since}"
    );
    // Exclusions, after the other words or first.
    let without = search_json(site.path(), &["dns", "-cdn"]);
    let with = search_json(site.path(), &["dns"]);
    // (`dns` also finds its thesaurus equivalents: more than a page of hits.)
    assert!(without["total"].as_u64() < with["total"].as_u64());
    assert!(ids(&without).iter().all(|id| id != "COE-2024-030"));
    let first = search_json(site.path(), &["-cdn", "dns"]);
    assert_eq!(ids(&first), ids(&without));
    // An exact phrase.
    let phrase = search_json(site.path(), &["\"intermediate CA\""]);
    assert_eq!(ids(&phrase)[0], "COE-2025-014");
}

/// A facet count says how many results choosing that facet gives: the COEs that match the
/// query (any of its words, every word of an equivalent) and its filters and exclusions.
/// A last word in no COE is taken as unfinished, as the search page takes it: `thumbn` finds
/// the thumbnailer outage; a last word some COE has is matched as it is.
#[test]
fn an_unfinished_last_word_matches_the_words_it_begins() {
    let site = sample_site();
    let v = search_json(site.path(), &["thumbn"]);
    assert_eq!(
        ids(&v).first().map(String::as_str),
        Some("COE-2024-017"),
        "{v}"
    );
    // The user is told.
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("is in no COE: matched words that begin like it (thumbnail…)"),
        "{notes}"
    );
    let v = search_json(site.path(), &["broken", "thumbn"]);
    assert_eq!(
        ids(&v).first().map(String::as_str),
        Some("COE-2024-017"),
        "{v}"
    );
    // Not the last word: a word in no COE matches nothing.
    let v = search_json(site.path(), &["thumbn", "zzzz"]);
    assert!(ids(&v).is_empty(), "{v}");
    // A word followed by a space is complete.
    let v = search_json(site.path(), &["thumbn "]);
    assert!(ids(&v).is_empty(), "{v}");
}

#[test]
fn facet_counts_are_the_results_that_choosing_the_facet_gives() {
    let site = relevance_site();
    let queries: [&[&str]; 4] = [
        &["config", "change"],
        &["disk", "full", "-cdn"],
        &["k8s", "nodes", "oom"],
        &["\"connection pool\"", "exhausted"],
    ];
    for query in queries {
        let v = search_json(site.path(), query);
        assert!(v["total"].as_u64().expect("total") > 0, "{query:?}");
        for (facet, flag) in [
            ("service", "--service"),
            ("tag", "--tag"),
            ("root_cause", "--root-cause"),
            ("team", "--team"),
        ] {
            for f in v["facets"][facet].as_array().expect("facet").iter().take(3) {
                let value = f["value"].as_str().expect("value");
                let mut args = vec![flag, value];
                args.extend_from_slice(query);
                let chosen = search_json(site.path(), &args);
                assert_eq!(chosen["total"], f["count"], "{query:?} {flag} {value}");
            }
        }
    }
}

#[test]
fn odd_queries_give_results_or_a_message_never_a_panic() {
    let site = sample_site();
    let long = "timeout ".repeat(1300);
    for q in [
        "!!! ??? ...",
        "\"unbalanced quote",
        "colour:blue dns",
        "<script>alert(1)</script>",
        long.as_str(),
        "-",
        "\"\"",
    ] {
        let run = coe(&["search", "--json", q], site.path());
        assert_eq!(run.status, 0, "{q:.40}: {}", run.stderr);
        let v: Value = serde_json::from_str(&run.stdout).expect("json");
        assert!(v["hits"].is_array());
    }
    let unknown = search_json(site.path(), &["colour:blue", "dns"]);
    assert!(
        unknown["notes"][0]
            .as_str()
            .expect("note")
            .contains("unknown field \"colour\"")
    );
    let punct = search_json(site.path(), &["!!!", "???"]);
    assert_eq!(punct["total"], 0);
    let human = coe(&["search", "<b>dns</b>"], site.path());
    assert_eq!(human.status, 0);
}

/// Excluded phrases. Found by fuzz/search: `dns -tag~d]s tag:ttl` made a debug build panic
/// inside tantivy and answer "the search index could not be read"; so did any excluded phrase
/// whose words a COE has in one text field only, but not in that order (`-"CA intermediate"`),
/// on an index segment holding such a COE: with one COE there is one segment, every time.
#[test]
fn excluded_phrases_take_out_the_coes_that_have_them() {
    let site = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(site.path().join("content")).expect("content");
    std::fs::write(
        site.path().join("content/COE-2024-001.md"),
        "---\ntitle: Expired certificate\ndate: 2024-05-01\ntags: [tls]\n\
         summary: Certificates expired.\n---\n\n## Root Cause\n\nThe intermediate CA expired.\n",
    )
    .expect("write");
    for (query, found) in [
        (&["expired", "-\"CA intermediate\""][..], true),
        (&["expired", "-\"intermediate CA\""][..], false),
        (&["expired", "-\"CA intermediate\"", "tag:tls"][..], true),
        (&["expired", "-tag~d]s", "tag:tls"][..], true),
        // A left-out filter, in any case; quoted, it is words ("tag" and "tls" are not next
        // to each other in the COE).
        (&["expired", "-tag:TLS"][..], false),
        (&["expired", "-\"tag:tls\""][..], true),
    ] {
        let v = search_json(site.path(), query);
        assert_eq!(ids(&v).len(), usize::from(found), "{query:?}: {v}");
    }

    // On the sample library: an excluded phrase takes out the COEs the phrase finds, no more.
    let site = sample_site();
    let cert = ids(&search_json(site.path(), &["--limit", "50", "certificate"]));
    let with_phrase = ids(&search_json(
        site.path(),
        &["--limit", "50", "\"intermediate CA\""],
    ));
    let mut expected = cert.clone();
    expected.retain(|id| !with_phrase.contains(id));
    assert!(!with_phrase.is_empty() && !expected.is_empty() && expected.len() < cert.len());
    for filter in [&[][..], &["--since", "2020-01-01"][..]] {
        let mut args = vec!["--limit", "50", "certificate", "-\"intermediate CA\""];
        args.extend_from_slice(filter);
        assert_eq!(
            ids(&search_json(site.path(), &args)),
            expected,
            "{filter:?}"
        );
        args[3] = "-\"CA intermediate\"";
        assert_eq!(ids(&search_json(site.path(), &args)), cert, "{filter:?}");
    }
}

// Folder listings are remembered where folders have a ctime (Unix).
#[cfg(unix)]
#[test]
fn folders_listed_long_ago_still_show_new_edited_and_removed_coes() {
    let site = sample_site();
    let root = site.path();
    // Folders are remembered only once they have not changed for two seconds.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(ids(&search_json(root, &["thumbnail"]))[0], "COE-2024-017");
    let listing = std::fs::read_to_string(root.join(".coe/content-listing")).expect("listing");
    assert!(listing.contains("f COE-2023-009.md"), "{listing}");

    // An edit in place changes nothing in its folder: the file's own stamp shows it.
    let path = root.join("content/2023/COE-2023-009.md");
    let original = std::fs::read_to_string(&path).expect("read");
    let edited = original.replace("## Summary", "## Summary\n\nQuuxwidget overflow.\n");
    std::fs::write(&path, &edited).expect("write");
    assert_eq!(
        ids(&search_json(root, &["quuxwidget"])),
        vec!["COE-2023-009"]
    );

    // A new file in a remembered folder.
    let copy = root.join("content/2023/COE-2023-999.md");
    let new = original
        .replace("id: COE-2023-009", "id: COE-2023-999")
        .replace("## Summary", "## Summary\n\nFrobnicator meltdown.\n");
    std::fs::write(&copy, new).expect("write");
    assert_eq!(
        ids(&search_json(root, &["frobnicator"])),
        vec!["COE-2023-999"]
    );

    // Removed again.
    std::fs::remove_file(&copy).expect("rm");
    assert_eq!(
        ids(&search_json(root, &["frobnicator"])),
        Vec::<String>::new()
    );
}

#[test]
fn missing_stale_or_corrupt_index_is_rebuilt() {
    let site = sample_site();
    assert_eq!(
        ids(&search_json(site.path(), &["thumbnail"]))[0],
        "COE-2024-017"
    );
    // Stale: a new word in a COE is found without running `coe build`.
    let path = site.path().join("content/2023/COE-2023-009.md");
    let text = std::fs::read_to_string(&path)
        .expect("read")
        .replace("## Summary", "## Summary\n\nZorblax flux capacitor.\n");
    std::fs::write(&path, text).expect("write");
    assert_eq!(
        ids(&search_json(site.path(), &["zorblax"])),
        vec!["COE-2023-009"]
    );
    // Damaged inside, still opening: bytes flipped in the middle of the fast-field and store
    // files (tantivy panics on the first and errors on the second); each time, `coe search`
    // and `coe similar` rebuild the index and answer.
    for ext in ["fast", "store"] {
        damage_middle(&site.path().join(".coe/index"), ext);
        let run = coe(&["search", "zorblax", "--json"], site.path());
        assert_eq!(run.status, 0, "{ext}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        let v: Value = serde_json::from_str(&run.stdout).expect("json");
        assert_eq!(ids(&v), vec!["COE-2023-009"], "{ext}");
        damage_middle(&site.path().join(".coe/index"), ext);
        let run = coe(&["similar", "COE-2024-017", "--json"], site.path());
        assert_eq!(run.status, 0, "{ext}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    // Corrupt: every file of the index overwritten with garbage.
    let dir = site.path().join(".coe/index");
    for e in std::fs::read_dir(&dir)
        .expect("index dir")
        .filter_map(Result::ok)
    {
        std::fs::write(e.path(), b"garbage").expect("write");
    }
    assert_eq!(
        ids(&search_json(site.path(), &["zorblax"])),
        vec!["COE-2023-009"]
    );
    // Missing.
    std::fs::remove_dir_all(&dir).expect("rm");
    assert_eq!(
        ids(&search_json(site.path(), &["zorblax"])),
        vec!["COE-2023-009"]
    );
}

#[test]
fn similar_finds_the_same_failure_story_with_different_tags() {
    let site = sample_site();
    let run = coe(&["similar", "COE-2024-017", "--json"], site.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(v["id"], "COE-2024-017");
    let similar: Vec<&str> = v["similar"]
        .as_array()
        .expect("similar")
        .iter()
        .map(|s| s["id"].as_str().expect("id"))
        .collect();
    assert_eq!(similar.len(), 5);
    assert!(
        similar[..3].contains(&"COE-2024-021") && similar[..3].contains(&"COE-2025-031"),
        "{similar:?}"
    );
    assert!(!similar.contains(&"COE-2024-017"));
    let first = &v["similar"][0];
    assert!(
        first["reasons"]
            .as_array()
            .expect("reasons")
            .iter()
            .any(|r| r.as_str().expect("r").starts_with("both mention:"))
    );

    // A draft that is not in the library yet.
    let draft = site.path().join("draft.md");
    std::fs::write(
        &draft,
        "# Avatars stopped resizing\n\n## Summary\n\nAfter a CloudFormation change the S3 bucket event notification no longer \
         invoked the Lambda resize function; uploads had no thumbnails until customers reported it.\n",
    )
    .expect("write");
    let run = coe(&["similar", "draft.md", "--json"], site.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(v["similar"][0]["id"], "COE-2024-017", "{v}");

    let missing = coe(&["similar", "COE-1999-999"], site.path());
    assert_eq!(missing.status, 1);
    assert!(missing.stderr.contains("neither a COE id"));
}

#[test]
fn every_coe_page_lists_similar_past_failures_with_reasons() {
    let site = sample_site();
    let (_tmp, out, run) = build(site.path(), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let page = read(&out, "coe/coe-2025-031/index.html");
    let section = page
        .split("<section id=\"similar\"")
        .nth(1)
        .expect("similar section");
    let section = section.split("</section>").next().expect("end");
    assert_eq!(
        section.matches("<li>\n      <p class=\"meta\">").count(),
        5,
        "{section}"
    );
    assert!(
        section.contains("href=\"../../coe/coe-2024-017/\""),
        "the S3 thumbnailer story"
    );
    assert!(section.contains("both mention:"));
    assert!(section.contains("<time datetime="));
}

/// Flips 64 bytes a third of the way into every index file with this extension.
fn damage_middle(dir: &std::path::Path, ext: &str) {
    for e in std::fs::read_dir(dir)
        .expect("index dir")
        .filter_map(Result::ok)
    {
        let path = e.path();
        if path.extension().is_some_and(|x| x == ext) {
            let mut bytes = std::fs::read(&path).expect("read");
            let start = bytes.len() / 3;
            let end = (start + 64).min(bytes.len().saturating_sub(20));
            for b in &mut bytes[start..end.max(start)] {
                *b ^= 0x5a;
            }
            std::fs::write(&path, bytes).expect("write");
        }
    }
}

/// An edit that keeps the file's size and modification time is found by `coe search`.
#[test]
fn an_edit_keeping_size_and_mtime_is_searched() {
    let site = sample_site();
    let root = site.path();
    assert_eq!(ids(&search_json(root, &["thumbnail"]))[0], "COE-2024-017");
    edit_keeping_size_and_mtime(
        &root.join("content/2024/COE-2024-017.md"),
        "title: Thumbnails stopped generating",
        "title: Miniatures stopped generating",
    );
    assert_eq!(
        ids(&search_json(root, &["miniatures"])),
        vec!["COE-2024-017"]
    );
}
