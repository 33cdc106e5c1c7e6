//! `coe build` on fixture libraries: the pages a user gets, the links between them, and the
//! errors a user sees for bad input.

mod common;

use common::*;

#[test]
fn sample_library_builds_with_every_page_and_no_broken_link() {
    let (_tmp, out, run) = build(&repo_root(), &["--base-url", "https://coe.example.com/"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let files = files(&out);
    for page in [
        "index.html",
        "404.html",
        "atom.xml",
        "sitemap.xml",
        "coes.json",
        "style.css",
        "coe/index.html",
        "coe/by-severity/index.html",
        "coe/by-time-to-mitigate/index.html",
        "tags/index.html",
        "services/index.html",
        "root-causes/index.html",
        "teams/index.html",
        "authors/index.html",
        "severity/index.html",
        "years/index.html",
        "years/2024/index.html",
        "coe/coe-2024-017/index.html",
        "services/s3/index.html",
        "teams/media-platform/index.html",
    ] {
        assert!(files.contains(page), "missing {page}");
    }
    let broken = broken_links(&out);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    // Drafts and in-review COEs are not published by default.
    assert!(!files.contains("coe/coe-2026-019/index.html"));
    assert!(!files.contains("coe/coe-2026-008/index.html"));
}

#[test]
fn coe_page_shows_structure_people_and_links() {
    let (_tmp, out, run) = build(&fixture("small"), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let page = read(&out, "coe/coe-2024-001/index.html");
    assert!(page.contains("<h1>Config push broke checkout</h1>"));
    assert!(page.contains("SEV2"));
    // Durations: detect 10 min, mitigate 40 min, resolve 2 h.
    assert!(page.contains("<strong>10 min</strong>"), "time to detect");
    assert!(page.contains("<strong>40 min</strong>"), "time to mitigate");
    assert!(page.contains("<strong>2 h</strong>"), "time to resolve");
    // Timeline parsed into events, five whys into a chain.
    assert!(page.contains("<ol class=\"timeline\">"));
    assert!(page.contains("datetime=\"2024-03-01T09:10:00Z\""));
    assert!(page.contains("<span class=\"q\">Why did checkout fail?</span>"));
    // Action items: overdue highlighted with days late, future and done items not.
    assert!(page.contains("class=\"item-open overdue\""));
    assert!(page.contains("969 days overdue"), "2024-04-01 → 2026-11-26");
    assert!(page.contains("class=\"item-in-progress\""));
    assert!(page.contains("class=\"item-done\""));
    // People and taxonomies are links.
    assert!(page.contains("href=\"../../authors/ana-souza/\""));
    assert!(page.contains("href=\"../../authors/li-wei/\""));
    assert!(page.contains("href=\"../../root-causes/configuration-change/\""));
    // The Markdown link to ../2023/old.md goes to that COE's page (its id is not its file name).
    assert!(
        page.contains(
            "href=\"../../coe/coe-2023-007/\" rel=\"noopener noreferrer\">The 2023 one</a>"
        ),
        "link to the other COE file"
    );
    // Related from front matter, and the backlink on the other side.
    assert!(page.contains("Earlier config push outage"));
    let old = read(&out, "coe/coe-2023-007/index.html");
    assert!(old.contains("Referenced by"));
    assert!(old.contains("href=\"../../coe/coe-2024-001/\""));
    // Unknown related id and missing link target are warnings, not errors.
    assert!(
        run.stderr
            .contains("related: no COE has id \"COE-9999-999\""),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nope.md"), "{}", run.stderr);
    assert!(broken_links(&out).is_empty(), "{:?}", broken_links(&out));
}

#[test]
fn terms_merge_case_insensitively_and_list_newest_first() {
    let (_tmp, out, run) = build(&fixture("small"), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let term = read(&out, "tags/config-change/index.html");
    let newer = term
        .find("Config push broke checkout")
        .expect("2024 COE listed");
    let older = term
        .find("Earlier config push outage")
        .expect("2023 COE listed");
    assert!(newer < older, "newest first");
    assert!(term.contains("2 COEs"));
    let teams = files(&out)
        .into_iter()
        .filter(|f| f.starts_with("teams/") && f.ends_with(".html") && f != "teams/index.html")
        .collect::<Vec<_>>();
    assert_eq!(
        teams,
        vec!["teams/payments/index.html"],
        "Payments and payments are one team"
    );
    // Severity spellings: sev2, 3, Sev 4 (CRLF file with a BOM).
    for s in [
        "severity/sev2/index.html",
        "severity/sev3/index.html",
        "severity/sev4/index.html",
    ] {
        assert!(files(&out).contains(s), "{s}");
    }
    assert!(read(&out, "coe/coe-2024-002/index.html").contains("<h1>Windows line endings</h1>"));
}

#[test]
fn drafts_are_left_out_unless_asked() {
    let (_tmp, out, _) = build(&fixture("small"), &[]);
    assert!(!files(&out).contains("coe/coe-2024-050/index.html"));
    assert!(!files(&out).contains("tags/draft-only-tag/index.html"));
    assert!(!read(&out, "coes.json").contains("COE-2024-050"));
    let (_tmp2, out2, run) = build(&fixture("small"), &["--drafts"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(files(&out2).contains("coe/coe-2024-050/index.html"));
    assert!(files(&out2).contains("tags/draft-only-tag/index.html"));
}

#[test]
fn coes_json_atom_and_sitemap() {
    let (_tmp, out, run) = build(
        &fixture("small"),
        &["--base-url", "https://coe.example.com/lib/"],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&read(&out, "coes.json")).expect("json");
    let coes = json["coes"].as_array().expect("array");
    assert_eq!(coes.len(), 3);
    let c = coes
        .iter()
        .find(|c| c["id"] == "COE-2024-001")
        .expect("COE-2024-001");
    assert_eq!(c["severity"], "SEV2");
    assert_eq!(c["time_to_mitigate_minutes"], 40);
    assert_eq!(c["url"], "coe/coe-2024-001/");
    assert_eq!(c["action_items"][0]["overdue"], true);
    let atom = read(&out, "atom.xml");
    assert!(atom.contains("<link rel=\"alternate\" type=\"text/html\" href=\"https://coe.example.com/lib/coe/coe-2024-001/\"/>"), "{atom}");
    assert_eq!(atom.matches("<entry>").count(), 3);
    let not_found = read(&out, "404.html");
    assert!(
        not_found.contains("href=\"/lib/style.css\""),
        "404 links from the base path"
    );
    let sitemap = read(&out, "sitemap.xml");
    assert!(sitemap.contains("<loc>https://coe.example.com/lib/coe/coe-2023-007/</loc>"));
}

#[test]
fn historical_collection_nested_by_year_centuries_back() {
    let (_tmp, out, run) = build(&fixture("historical"), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let files = files(&out);
    let pages = files
        .iter()
        .filter(|f| f.starts_with("coe/") && f.matches('/').count() == 2 && !f.contains("by-"))
        .count();
    assert_eq!(pages, 9);
    assert!(files.contains("years/1628/index.html"));
    assert!(files.contains("coe/1879-12-28-tay-bridge/index.html"));
    let tay = read(&out, "coe/1879-12-28-tay-bridge/index.html");
    assert!(tay.contains("datetime=\"1879-12-28\""));
    let broken = broken_links(&out);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn plain_collection_without_front_matter() {
    let (_tmp, out, run) = build(&fixture("plain"), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let files = files(&out);
    // Spaces in file names become slugs; dates from names or the first dated timeline entry.
    assert!(files.contains("coe/2019-07-02-cloudflare-regex-outage/index.html"));
    assert!(files.contains("coe/slack-january-outage/index.html"));
    assert!(files.contains("years/2021/index.html"));
    let slack = read(&out, "coe/slack-january-outage/index.html");
    assert!(
        slack.contains("datetime=\"2021-01-04\""),
        "date from the timeline"
    );
    // Table timeline with "All times in CET.": events are placed in UTC.
    assert!(slack.contains("<ol class=\"timeline\">"));
    let roblox = read(&out, "coe/roblox-halloween-outage/index.html");
    assert!(roblox.contains("<ol class=\"timeline\">"));
    // A URL-encoded link to a file name with spaces resolves to that COE.
    let cloudflare = read(&out, "coe/2019-07-02-cloudflare-regex-outage/index.html");
    assert!(
        cloudflare.contains("href=\"../../coe/2021-06-08-fastly-config-bug/\""),
        "encoded link"
    );
    let broken = broken_links(&out);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_error_is_reported_with_file_line_and_column() {
    let (_tmp, _out, run) = build(&fixture("broken"), &[]);
    assert_eq!(run.status, 1);
    let err = &run.stderr;
    for expected in [
        "content/bad-severity.md:3:11: severity: expected SEV1..SEV5 or 1..5, found \"urgent\"",
        "content/bad-date.md:3:7: date: expected a date YYYY-MM-DD, found \"2024-13-45\"",
        "content/broken-yaml.md:5:",
        "content/empty.md:1:1: empty file",
        "content/no-title.md:1:1: no title",
        "content/latin1.md:2:16: file is not valid UTF-8",
        "content/unclosed.md:1:1: front matter opened with `---` on line 1 is never closed",
        "duplicate id \"COE-2024-001\"",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    let dup = err
        .lines()
        .find(|l| l.contains("duplicate id"))
        .expect("dup line");
    assert!(
        dup.contains("dup-a.md") && dup.contains("dup-b.md"),
        "names both files: {dup}"
    );
    assert!(err.contains("build failed: 8 errors"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn failed_build_leaves_previous_output_untouched() {
    let site = copy_fixture("small");
    let out = site.path().join("public");
    let first = coe(
        &["build", "--root", ".", "--today", "2026-11-26"],
        site.path(),
    );
    assert_eq!(first.status, 0, "{}", first.stderr);
    let before: Vec<(String, Vec<u8>)> = files(&out)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(out.join(&f)).expect("read")))
        .collect();
    std::fs::write(
        site.path().join("content/broken.md"),
        "---\ntitle: x\nseverity: urgent\n---\n",
    )
    .expect("write");
    let second = coe(
        &["build", "--root", ".", "--today", "2026-11-26"],
        site.path(),
    );
    assert_eq!(second.status, 1);
    let after: Vec<(String, Vec<u8>)> = files(&out)
        .into_iter()
        .map(|f| (f.clone(), std::fs::read(out.join(&f)).expect("read")))
        .collect();
    assert_eq!(before.len(), after.len());
    assert!(before == after, "output changed after a failed build");
    let leftovers: Vec<_> = std::fs::read_dir(site.path())
        .expect("ls")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn hostile_html_never_runs() {
    let (_tmp, out, run) = build(&fixture("hostile"), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    for f in files(&out)
        .iter()
        .filter(|f| f.ends_with(".html") || f.ends_with(".xml"))
    {
        let html = read(&out, f);
        let lower = html.to_ascii_lowercase();
        // The only scripts are the theme's own search client, by URL.
        let own = [
            "<script src=\"../search/stemmer.js\"></script>",
            "<script src=\"../search/search.js\"></script>",
            "<script src=\"../action-items.js\"></script>",
            "<script src=\"../../action-items.js\"></script>",
            "<script src=\"../../../action-items.js\"></script>",
            "<script src=\"../../../../action-items.js\"></script>",
        ];
        let mut rest = lower.clone();
        for s in own {
            rest = rest.replace(s, "");
        }
        assert!(!rest.contains("<script"), "{f} has a script tag");
        assert!(
            !lower.contains("<iframe") && !lower.contains("<object"),
            "{f} has an embed"
        );
        for v in attr_values(&lower, "href")
            .into_iter()
            .chain(attr_values(&lower, "src"))
        {
            assert!(!v.trim_start().starts_with("javascript:"), "{f}: {v}");
        }
        for handler in ["onerror=", "onload=", "onclick="] {
            // Event handlers may only appear as escaped text, never as an attribute.
            for (i, _) in lower.match_indices(handler) {
                let before = &lower[..i];
                let tag_open = before.rfind('<').unwrap_or(0);
                let tag_close = before.rfind('>').map_or(0, |c| c + 1);
                assert!(
                    tag_close > tag_open || before.ends_with("&lt;img src=x "),
                    "{f}: attribute {handler}"
                );
            }
        }
    }
    let page = read(&out, "coe/coe-2024-666/index.html");
    assert!(
        page.contains("<h1>&lt;script&gt;alert(1)&lt;&#x2f;script&gt;</h1>")
            || page.contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"),
        "title shown as text"
    );
}

#[test]
fn symlink_loop_is_reported_not_fatal() {
    let site = copy_fixture("small");
    #[cfg(unix)]
    std::os::unix::fs::symlink("..", site.path().join("content/2023/loop")).expect("symlink");
    let run = coe(
        &["build", "--root", ".", "--today", "2026-11-26"],
        site.path(),
    );
    assert!(!run.stderr.contains("panicked"));
    assert!(
        run.stderr.contains("content/2023/loop: symbolic link loop"),
        "{}",
        run.stderr
    );
    assert_eq!(run.status, 1);
}

#[test]
fn site_templates_override_the_theme() {
    let site = copy_fixture("small");
    std::fs::create_dir_all(site.path().join("templates")).expect("mkdir");
    std::fs::write(
        site.path().join("templates/term.html"),
        "{% extends \"base.html\" %}{% block content %}<p class=\"custom\">{{ term.name }}: {{ coes | length }}</p>{% endblock content %}",
    )
    .expect("write");
    std::fs::write(
        site.path().join("coe.toml"),
        "title = \"Ops Learning\"\n[taxonomies]\ntags = \"Labels\"\n",
    )
    .expect("write");
    let run = coe(&["build", "--root", "."], site.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    let term = std::fs::read_to_string(site.path().join("public/tags/config-change/index.html"))
        .expect("term page");
    assert!(
        term.contains("<p class=\"custom\">Config Change: 2</p>"),
        "{term}"
    );
    assert!(term.contains("<title>Ops Learning</title>"));
    let index = std::fs::read_to_string(site.path().join("public/tags/index.html")).expect("tags");
    assert!(index.contains("<h1>Labels"));
}

#[test]
fn generated_library_of_1000_has_every_page() {
    let Some(tmp) = generated_library(1000) else {
        return;
    };
    let (_t, out, run) = build(tmp.path(), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let json: serde_json::Value = serde_json::from_str(&read(&out, "coes.json")).expect("json");
    let coes = json["coes"].as_array().expect("coes");
    let files = files(&out);
    let mut published = 0;
    for entry in walkdir::WalkDir::new(tmp.path().join("content"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        let text = std::fs::read_to_string(entry.path()).expect("read");
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("id: "))
            .expect("id")
            .trim()
            .to_owned();
        let front_matter = text.split("\n---").next().unwrap_or("");
        let draft = front_matter
            .lines()
            .any(|l| l == "status: draft" || l == "status: in-review");
        let page = format!("coe/{}/index.html", id.to_ascii_lowercase());
        assert_eq!(files.contains(&page), !draft, "{id} draft={draft}");
        published += usize::from(!draft);
    }
    assert_eq!(coes.len(), published);
    for c in coes {
        for (key, tax) in [
            ("tags", "tags"),
            ("services", "services"),
            ("root_cause", "root-causes"),
            ("team", "teams"),
            ("authors", "authors"),
        ] {
            for term in c[key].as_array().expect("list") {
                let slug = coe::slug::slugify(term.as_str().expect("str"));
                assert!(
                    files.contains(&format!("{tax}/{slug}/index.html")),
                    "{tax}/{slug}"
                );
            }
        }
    }
    let (_t2, out2, run2) = build(tmp.path(), &["--drafts"]);
    assert_eq!(run2.status, 0, "{}", run2.stderr);
    let all_pages = common::files(&out2)
        .iter()
        .filter(|f| f.starts_with("coe/coe-"))
        .count();
    assert_eq!(all_pages, 1000);
}

#[test]
fn long_lists_are_paginated() {
    let site = copy_fixture("small");
    std::fs::write(site.path().join("coe.toml"), "paginate_by = 1\n").expect("write");
    let run = coe(&["build", "--root", "."], site.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    let out = site.path().join("public");
    let first = read(&out, "tags/config-change/index.html");
    let second = read(&out, "tags/config-change/page/2/index.html");
    assert!(
        first.contains("Config push broke checkout")
            && !first.contains("Earlier config push outage")
    );
    assert!(second.contains("Earlier config push outage"));
    assert!(
        first.contains("rel=\"next\" href=\"../../tags/config-change/page/2/\""),
        "{first}"
    );
    assert!(second.contains("rel=\"prev\" href=\"../../../../tags/config-change/\""));
    for p in [
        "coe/page/3/index.html",
        "coe/by-severity/page/2/index.html",
        "years/2024/page/2/index.html",
    ] {
        assert!(files(&out).contains(p), "{p}");
    }
    assert!(!files(&out).contains("coe/page/4/index.html"));
    let broken = broken_links(&out);
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn search_page_without_javascript_says_so_and_links_to_the_indexes() {
    let (_tmp, out, run) = build(&fixture("small"), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let page = read(&out, "search/index.html");
    let noscript = page
        .split("<noscript>")
        .nth(1)
        .and_then(|s| s.split("</noscript>").next())
        .expect("noscript");
    assert!(noscript.contains("Searching needs JavaScript"));
    for index in [
        "tags",
        "services",
        "root-causes",
        "teams",
        "authors",
        "severity",
    ] {
        assert!(
            noscript.contains(&format!("href=\"../{index}/\"")),
            "{index}"
        );
    }
    // Every page has a search box that leads there, as a plain form.
    let home = read(&out, "index.html");
    assert!(home.contains(
        "<form class=\"site-search\" role=\"search\" action=\"./search/\" method=\"get\">"
    ));
}

#[test]
fn rebuild_writes_only_changed_files_and_equals_a_clean_build() {
    let site = sample_site();
    let root = site.path();
    let build_into = |out: &str| {
        coe(
            &[
                "build",
                "--root",
                ".",
                "--output",
                out,
                "--today",
                "2026-11-26",
            ],
            root,
        )
    };
    let first = build_into("public");
    assert_eq!(first.status, 0, "{}", first.stderr);
    assert!(!first.stderr.contains("changed"), "{}", first.stderr);

    // Nothing changed: nothing is written.
    let stamp = root.join("public/coe/coe-2024-017/index.html");
    let before = std::fs::metadata(&stamp)
        .and_then(|m| m.modified())
        .expect("mtime");
    let again = build_into("public");
    assert!(again.stderr.contains(", 0 changed"), "{}", again.stderr);
    let after = std::fs::metadata(&stamp)
        .and_then(|m| m.modified())
        .expect("mtime");
    assert_eq!(before, after, "an unchanged page is not rewritten");

    // Edit one COE, delete another: the rebuild equals a clean build byte for byte.
    let path = root.join("content/2024/COE-2024-017.md");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        text.replace(
            "## Summary",
            "## Summary\n\nA sentence added after review about the S3 notification change.",
        ),
    )
    .expect("write");
    std::fs::remove_file(root.join("content/2022/COE-2022-003.md")).expect("rm");
    let edited = build_into("public");
    assert_eq!(edited.status, 0, "{}", edited.stderr);
    let changed: usize = edited
        .stderr
        .split(" changed")
        .next()
        .and_then(|s| s.rsplit(", ").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", edited.stderr));
    assert!(changed > 0 && changed < 200, "{}", edited.stderr);
    assert!(
        !root.join("public/coe/coe-2022-003").exists(),
        "deleted COE's page removed"
    );

    let clean = build_into("clean");
    assert_eq!(clean.status, 0, "{}", clean.stderr);
    assert_same_tree(&root.join("public"), &root.join("clean"));

    // Output is deterministic: a second clean build is byte-identical too.
    std::fs::remove_dir_all(root.join("clean")).expect("rm");
    for f in std::fs::read_dir(root.join(".coe"))
        .expect(".coe")
        .flatten()
    {
        if f.file_name().to_string_lossy().starts_with("output-") {
            std::fs::remove_file(f.path()).expect("rm manifest");
        }
    }
    assert_eq!(build_into("clean").status, 0);
    assert_same_tree(&root.join("public"), &root.join("clean"));
}

#[test]
fn edits_update_the_index_in_place_and_the_site_equals_a_clean_build() {
    let site = sample_site();
    let root = site.path();
    let args = ["build", "--root", ".", "--today", "2026-11-26", "--verbose"];
    let first = coe(&args, root);
    assert_eq!(first.status, 0, "{}", first.stderr);
    // Two edits in a row, each to existing COEs that keep their places: a word in a body, then
    // a tag and a title.
    let edit = |rel: &str, from: &str, to: &str| {
        let path = root.join(rel);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{rel} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    };
    edit(
        "content/2024/COE-2024-017.md",
        "## Summary",
        "## Summary\n\nA zorblax sentence added after review.",
    );
    let second = coe(&args, root);
    assert_eq!(second.status, 0, "{}", second.stderr);
    assert!(
        second.stderr.contains("index (updated in place)"),
        "{}",
        second.stderr
    );
    edit(
        "content/2023/COE-2023-009.md",
        "title: ",
        "title: Renamed, ",
    );
    edit(
        "content/2023/COE-2023-009.md",
        "tags: [",
        "tags: [zorblax-tag, ",
    );
    let third = coe(&args, root);
    assert_eq!(third.status, 0, "{}", third.stderr);
    assert!(
        third.stderr.contains("index (updated in place)"),
        "{}",
        third.stderr
    );
    // `coe search` uses the updated index as it is, and finds the new word.
    let found = coe(&["search", "zorblax", "--json"], root);
    assert_eq!(found.status, 0, "{}", found.stderr);
    assert!(found.stdout.contains("COE-2024-017"), "{}", found.stdout);

    // The same content built from nothing, in another folder: the same bytes.
    assert_same_as_clean_build(root, &args);
}

#[test]
fn a_page_deleted_by_hand_is_written_again() {
    let site = sample_site();
    let root = site.path();
    let args = ["build", "--root", ".", "--today", "2026-11-26"];
    assert_eq!(coe(&args, root).status, 0);
    let page = root.join("public/coe/coe-2024-017/index.html");
    std::fs::remove_file(&page).expect("rm");
    let run = coe(&args, root);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(page.is_file(), "the manifest no longer matched: full build");
}

fn set_mtime(path: &std::path::Path, mtime: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(mtime))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// The sample library, every file last modified an hour ago (old enough for the parse cache
/// to trust it), and that time.
fn aged_sample_site() -> (tempfile::TempDir, std::time::SystemTime) {
    let site = sample_site();
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for f in files(&site.path().join("content")) {
        set_mtime(&site.path().join("content").join(f), hour_ago);
    }
    (site, hour_ago)
}

#[test]
fn rebuilds_parse_only_edited_files_and_equal_a_build_without_the_parse_cache() {
    let (site, hour_ago) = aged_sample_site();
    let root = site.path();
    let args = ["build", "--root", ".", "--today", "2026-11-26"];
    let first = coe(&args, root);
    assert_eq!(first.status, 0, "{}", first.stderr);
    let cache = root.join(".coe/parsed.idx");
    assert!(cache.is_file(), "the parse cache is written");

    // One word for another of the same length, the time moved forward: the size is the same,
    // only the time tells the edit.
    let path = root.join("content/2024/COE-2024-017.md");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        text.replacen("a routine CloudFormation", "a planned CloudFormation", 1),
    )
    .expect("write");
    set_mtime(&path, hour_ago + std::time::Duration::from_secs(60));
    let second = coe(&args, root);
    assert_eq!(second.status, 0, "{}", second.stderr);
    let page = read(&root.join("public"), "coe/coe-2024-017/index.html");
    assert!(
        page.contains("a planned CloudFormation"),
        "the edit is shown"
    );
    assert!(!page.contains("a routine CloudFormation"));

    // The same content built in another folder, without any cache: the same bytes.
    let fresh = assert_same_as_clean_build(root, &args);

    // A corrupt or truncated cache is ignored: the build is still the same.
    let good = std::fs::read(&cache).expect("cache");
    for bad in [good[..good.len() / 3].to_vec(), vec![0x5a; 10_000]] {
        std::fs::write(&cache, &bad).expect("corrupt the cache");
        std::fs::remove_dir_all(root.join("public")).expect("rm public");
        let run = coe(&args, root);
        assert_eq!(run.status, 0, "{}", run.stderr);
        assert_same_tree(&root.join("public"), &fresh.path().join("public"));
    }
    // Damaged parses in the blobs file are parsed again.
    let blobs: Vec<_> = std::fs::read_dir(root.join(".coe"))
        .expect(".coe")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "blobs"))
        .collect();
    assert_eq!(blobs.len(), 1, "one blobs file: {blobs:?}");
    let mut bytes = std::fs::read(&blobs[0]).expect("blobs");
    for b in bytes.iter_mut().skip(100).step_by(997) {
        *b ^= 0x5a;
    }
    std::fs::write(&blobs[0], &bytes).expect("damage the blobs");
    let run = coe(&args, root);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_same_tree(&root.join("public"), &fresh.path().join("public"));
}

#[test]
fn a_rebuild_after_edits_renders_only_what_changed_and_equals_a_clean_build() {
    let (site, hour_ago) = aged_sample_site();
    let root = site.path();
    let args = ["build", "--root", ".", "--today", "2026-11-26", "--verbose"];
    let first = coe(&args, root);
    assert_eq!(first.status, 0, "{}", first.stderr);

    // Nothing changed: nothing is rendered or written.
    let again = coe(&args, root);
    assert_eq!(again.status, 0, "{}", again.stderr);
    assert!(again.stderr.contains(", 0 changed"), "{}", again.stderr);
    assert!(!again.stderr.contains("render+write"), "{}", again.stderr);

    let mut minutes = 0;
    let mut edit = |rel: &str, from: &str, to: &str| {
        let path = root.join(rel);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{rel} has no {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
        // A time of its own, well in the past, as an editor saving minutes ago would leave.
        minutes += 1;
        set_mtime(
            &path,
            hour_ago + std::time::Duration::from_secs(minutes * 60),
        );
    };
    // Edits that keep every COE's place: only the pages that show them are rendered again.
    let selective = [
        (
            "content/2024/COE-2024-017.md",
            "## Summary",
            "## Summary\n\nA zorblax sentence added after review.",
        ),
        (
            "content/2023/COE-2023-009.md",
            "title: Card payments",
            "title: Zorblax card payments",
        ),
        (
            "content/2023/COE-2023-009.md",
            "    status: done\n    ticket: PAY-2201",
            "    status: open\n    ticket: PAY-2201",
        ),
        // Its time to mitigate: also in the quarter medians of the next weeks' digests
        // (COE-2024-021's, four weeks later).
        (
            "content/2024/COE-2024-017.md",
            "mitigated: 2024-03-14T12:21:00Z",
            "mitigated: 2024-03-14T13:21:00Z",
        ),
    ];
    for (rel, from, to) in selective {
        edit(rel, from, to);
        let run = coe(&args, root);
        assert_eq!(run.status, 0, "{}", run.stderr);
        assert!(run.stderr.contains("pages to render"), "{}", run.stderr);
        assert!(!run.stderr.contains(", 0 changed"), "{}", run.stderr);
        assert_same_as_clean_build(root, &args);
    }
    // Edits that change what the library makes of the COEs, every COE keeping its place: a new
    // tag (a new term page), a term spelt anew (its name on other COEs' cards), another
    // severity (another order of /coe/), an item's new owner (an owner page comes, one may
    // go), a new related COE (a backlink on its page). Still only what they change.
    let structural = [
        (
            "content/2023/COE-2023-009.md",
            "tags: [",
            "tags: [zorblax-tag, ",
        ),
        (
            "content/2023/COE-2023-009.md",
            "connection-pool, capacity",
            "Connection-Pool, capacity",
        ),
        ("content/2023/COE-2023-009.md", "severity: 2", "severity: 1"),
        (
            "content/2023/COE-2023-009.md",
            "    owner: chloe.martin",
            "    owner: zorblax.owner",
        ),
        (
            "content/2024/COE-2024-017.md",
            "related: [COE-2024-021, COE-2025-031]",
            "related: [COE-2024-021, COE-2025-031, COE-2023-009]",
        ),
    ];
    for (rel, from, to) in structural {
        edit(rel, from, to);
        let run = coe(&args, root);
        assert_eq!(run.status, 0, "{}", run.stderr);
        assert!(run.stderr.contains("pages to render"), "{}", run.stderr);
        assert_same_as_clean_build(root, &args);
    }
    // A new date moves the COE in the library: everything is rendered, with the same result.
    edit(
        "content/2023/COE-2023-009.md",
        "date: 2023-03-29",
        "date: 2021-03-29",
    );
    let run = coe(&args, root);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("pages to render"), "{}", run.stderr);
    assert_same_as_clean_build(root, &args);
    // Another date: the next build renders everything again.
    let other_day = coe(
        &["build", "--root", ".", "--today", "2026-11-27", "--verbose"],
        root,
    );
    assert_eq!(other_day.status, 0, "{}", other_day.stderr);
    assert!(
        !other_day.stderr.contains("pages to render"),
        "{}",
        other_day.stderr
    );
}

/// The planner knows nothing of templates: a site's own COE page that shows more of the
/// COEs it lists (their summaries, times to mitigate) is rendered again when those change.
#[test]
fn a_template_showing_more_of_other_coes_is_rendered_again_when_they_change() {
    let (site, hour_ago) = aged_sample_site();
    let root = site.path();
    std::fs::create_dir_all(root.join("templates")).expect("mkdir");
    std::fs::write(
        root.join("templates/coe.html"),
        "<h1>{{ coe.title }}</h1>\
         {% for r in coe.related %}<p>related: {{ r.summary }} {{ r.time_to_mitigate }}</p>{% endfor %}\
         {% for r in coe.referenced_by %}<p>backlink: {{ r.summary }}</p>{% endfor %}\
         {% for s in coe.similar %}<p>similar: {{ s.summary }}</p>{% endfor %}",
    )
    .expect("template");
    let args = ["build", "--root", ".", "--today", "2026-11-26", "--verbose"];
    let first = coe(&args, root);
    assert_eq!(first.status, 0, "{}", first.stderr);
    // COE-2024-017 lists COE-2024-021 as related: its page shows 021's summary.
    let page = "coe/coe-2024-017/index.html";
    let before = read(&root.join("public"), page);
    let path = root.join("content/2024/COE-2024-021.md");
    let text = std::fs::read_to_string(&path).expect("read");
    // Its summary is the first paragraph of its Summary section.
    let edited = text.replacen(
        "On 9 April 2024 the commerce",
        "Zorblax. On 9 April 2024 the commerce",
        1,
    );
    assert_ne!(edited, text, "COE-2024-021's summary");
    std::fs::write(&path, edited).expect("write");
    set_mtime(&path, hour_ago + std::time::Duration::from_secs(60));
    let run = coe(&args, root);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("pages to render"), "{}", run.stderr);
    let after = read(&root.join("public"), page);
    assert!(
        !before.contains("Zorblax") && after.contains("related: Zorblax."),
        "{after}"
    );
    assert_same_as_clean_build(root, &args);
}

/// A library of `n` COEs, each a story told mostly with one neighbourhood of a made-up
/// vocabulary (deterministic): large enough that each COE's similar lists are chosen among
/// many candidates, as in a real library and unlike the sample's 17 COEs.
fn generated_site(n: usize) -> (tempfile::TempDir, std::time::SystemTime) {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "nu", "pe", "ra", "so", "ti", "vu", "xe", "bo", "da", "fi", "gu", "ha",
        "je",
    ];
    let words: Vec<String> = (0..160)
        .map(|w| {
            format!(
                "{}{}{}",
                SYLLABLES[w % 16],
                SYLLABLES[w / 16],
                SYLLABLES[(w * 7) % 16]
            )
        })
        .collect();
    let site = tempfile::tempdir().expect("tempdir");
    let root = site.path();
    std::fs::copy(common::repo_root().join("coe.toml"), root.join("coe.toml")).expect("coe.toml");
    let mut seed: u64 = 0x5eed;
    let mut next = move |m: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) as usize) % m
    };
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for i in 0..n {
        // A story: eight words of one neighbourhood of the vocabulary, plus a few others.
        let topic = next(words.len());
        let mut story = Vec::new();
        for _ in 0..40 {
            let w = if next(4) == 0 {
                &words[next(words.len())]
            } else {
                &words[(topic + next(10)) % words.len()]
            };
            story.push(w.as_str());
        }
        let day = 1 + i % 28;
        let month = 1 + (i / 28) % 12;
        let year = 2020 + i / (28 * 12);
        let text = format!(
            "---\nid: COE-{year}-{i:04}\ntitle: {} {} {}\ndate: {year}-{month:02}-{day:02}\n\
             severity: SEV{}\nservices: [svc-{}]\ntags: [tag-{}]\n\
             started: {year}-{month:02}-{day:02}T10:00:00Z\n\
             detected: {year}-{month:02}-{day:02}T10:{:02}:00Z\n\
             mitigated: {year}-{month:02}-{day:02}T11:{:02}:00Z\n---\n\n\
             ## Summary\n\n{}.\n\n## Root cause\n\n{}.\n\n## Lessons learned\n\nNone.\n",
            story[0],
            story[1],
            story[2],
            1 + next(4),
            next(6),
            next(9),
            next(60),
            next(60),
            story[..20].join(" "),
            story[20..].join(" "),
        );
        let path = root.join(format!("content/{year}/COE-{year}-{i:04}.md"));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        set_mtime(&path, hour_ago);
    }
    (site, hour_ago)
}

#[test]
fn similar_lists_are_reused_only_when_they_cannot_have_changed() {
    let (site, hour_ago) = generated_site(300);
    let root = site.path();
    let args = ["build", "--root", ".", "--today", "2026-11-26", "--verbose"];
    let build = || {
        let run = coe_with_env(&args, root, &[("COE_TIMINGS", "1")]);
        assert_eq!(run.status, 0, "{}", run.stderr);
        // "similar: ... lists of N COEs ..."
        let computed = run
            .stderr
            .split("lists of ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse::<usize>().ok());
        (run, computed)
    };
    let (_, first) = build();
    assert_eq!(first, Some(300), "a first build computes every list");

    // A sentence of new words (only its COE's weights move), the summary said twice (its
    // words, not the library's, weigh more), the new words taken out, and a word of the
    // vocabulary added (every COE with it shifts). The COEs whose lists cannot change keep
    // them, and the site is the same as a clean build's.
    let summary_twice = |text: &str| {
        let summary = text
            .split("## Summary\n\n")
            .nth(1)
            .and_then(|s| s.split("\n\n").next())
            .expect("a summary")
            .to_owned();
        text.replacen(
            "## Lessons learned",
            &format!("{summary}\n\n## Lessons learned"),
            1,
        )
    };
    let new_words = |t: &str| {
        t.replacen(
            "## Lessons learned\n\n",
            "## Lessons learned\n\nA zorblax quux story.\n\n",
            1,
        )
    };
    let no_new_words = |t: &str| t.replacen("A zorblax quux story.", "", 1);
    let vocabulary_word = |t: &str| t.replacen("None.", "kalomi kalomi.", 1);
    type Edit<'a> = &'a dyn Fn(&str) -> String;
    let edits: [(&str, Edit); 4] = [
        ("content/2020/COE-2020-0007.md", &new_words),
        ("content/2020/COE-2020-0042.md", &summary_twice),
        ("content/2020/COE-2020-0007.md", &no_new_words),
        ("content/2020/COE-2020-0100.md", &vocabulary_word),
    ];
    let mut reused_some = false;
    for (k, (rel, edit)) in edits.into_iter().enumerate() {
        let path = root.join(rel);
        let text = std::fs::read_to_string(&path).expect("read");
        let edited = edit(&text);
        assert_ne!(edited, text, "edit {k} changes {rel}");
        std::fs::write(&path, edited).expect("write");
        set_mtime(
            &path,
            hour_ago + std::time::Duration::from_secs(60 * (k as u64 + 1)),
        );
        let (run, computed) = build();
        assert!(run.stderr.contains("pages to render"), "{}", run.stderr);
        let computed = computed.expect("the similar stage reports how many lists it computed");
        reused_some |= computed < 300;
        if k == 0 {
            // New words move no other COE's input: the ids of the taxonomy dimensions after
            // the words shift, but their keys must not (every list was computed again).
            assert!(
                computed < 150,
                "new words in one COE computed {computed} of 300 lists again"
            );
        }
        assert_same_as_clean_build(root, &args);
    }
    assert!(reused_some, "some similar lists are reused after an edit");
}

/// An edit that keeps the file's size and modification time (`cp -p`, `rsync -t`, `touch -r`,
/// a restore from backup) is seen by `coe build`, and the site and `coe search` agree.
#[test]
fn an_edit_keeping_size_and_mtime_is_rebuilt_and_searched_alike() {
    let (site, _) = aged_sample_site();
    let root = site.path();
    let args = ["build", "--root", ".", "--today", "2026-11-26"];
    let first = coe(&args, root);
    assert_eq!(first.status, 0, "{}", first.stderr);
    let path = root.join("content/2024/COE-2024-017.md");
    edit_keeping_size_and_mtime(
        &path,
        "title: Thumbnails stopped generating",
        "title: Miniatures stopped generating",
    );
    let second = coe(&args, root);
    assert_eq!(second.status, 0, "{}", second.stderr);
    let page = read(&root.join("public"), "coe/coe-2024-017/index.html");
    assert!(
        page.contains("Miniatures stopped generating"),
        "the site shows the edit"
    );
    let home = read(&root.join("public"), "index.html");
    assert!(home.contains("Miniatures stopped generating"));
    let search = coe(&["search", "miniatures", "--json", "--root", "."], root);
    assert!(search.stdout.contains("COE-2024-017"), "{}", search.stdout);
    assert_same_as_clean_build(root, &args);
}

/// A theme holds only the files it changes; the rest come from the built-in theme.
#[test]
fn a_theme_with_a_few_files_falls_back_to_the_built_in_theme() {
    let site = sample_site();
    let root = site.path();
    let config = std::fs::read_to_string(root.join("coe.toml")).expect("coe.toml");
    std::fs::write(
        root.join("coe.toml"),
        config.replace("theme = \"default\"", "theme = \"acme\""),
    )
    .expect("write");
    let dir = root.join("themes/acme/static");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("acme.css"), "body { color: #123456 }").expect("write");
    let run = coe(&["build", "--root", "."], root);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let out = root.join("public");
    assert!(out.join("acme.css").is_file(), "the theme's own file");
    assert!(out.join("style.css").is_file(), "the built-in theme's");
    assert!(read(&out, "coe/coe-2024-017/index.html").contains("Thumbnails"));
}

/// A summary written in Markdown (a link, `code`, **bold**, an entity, an image) reaches every
/// place that shows it as text as its words only, escaped once.
#[test]
fn summaries_are_plain_text_on_cards_feeds_search_and_digests() {
    const PLAIN: &str = "A priority inversion in sched_yield made every job wait; R&D saw it first p99 latency graph";
    let html_once = PLAIN.replace('&', "&amp;");
    let (_tmp, out, run) = build(&fixture("wide"), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let no_markup = |what: &str, text: &str| {
        for bad in ["](https", "`sched", "**every", "&amp;amp;", "![", "p99.png"] {
            assert!(!text.contains(bad), "{what} shows {bad:?}");
        }
    };
    let home = read(&out, "index.html");
    assert!(
        home.contains(&format!("<p class=\"summary\">{html_once}</p>")),
        "the home page's card"
    );
    no_markup("the home page", &home);
    let page = read(&out, "coe/coe-2026-001/index.html");
    assert!(
        page.contains(&format!(
            "<meta name=\"description\" content=\"{html_once}\">"
        )),
        "the COE page's description"
    );
    let atom = read(&out, "atom.xml");
    assert!(
        atom.contains(&format!("<summary>{html_once}</summary>")),
        "{atom}"
    );
    no_markup("atom.xml", &atom);
    // The browser search page's snippets come from the fragments' summaries.
    let fragments: Vec<String> = files(&out)
        .into_iter()
        .filter(|f| f.starts_with("search/") && f.ends_with(".json"))
        .collect();
    let export: String = fragments.iter().map(|f| read(&out, f)).collect();
    assert!(export.contains(PLAIN), "{fragments:?}");
    no_markup("the search export", &export);

    let site = copy_fixture("wide");
    let run = coe(&["search", "wait", "--json"], site.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    let snippet = v["hits"][0]["snippet"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        snippet.contains("sched_yield made every job <b>wait</b>; R&amp;D saw it first"),
        "{}",
        run.stdout
    );
    no_markup("coe search --json", &snippet);
    for format in ["md", "json", "html"] {
        let run = coe(
            &[
                "digest",
                "--week",
                "2026-W47",
                "--format",
                format,
                "--today",
                "2026-11-26",
            ],
            site.path(),
        );
        assert_eq!(run.status, 0, "{}", run.stderr);
        no_markup(&format!("coe digest --format {format}"), &run.stdout);
        let want = match format {
            "md" => PLAIN.replace('_', "\\_"),
            "json" => PLAIN.to_owned(),
            _ => html_once.clone(),
        };
        assert!(run.stdout.contains(&want), "{format}: {}", run.stdout);
    }
}
