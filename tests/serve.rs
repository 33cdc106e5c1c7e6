//! `coe serve` end to end: the real binary on a free port, plain HTTP/1.1 over TcpStream.

mod common;

use common::coe_serve::{get, request, serve, serve_with_env, status, until};
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{from} in {}", path.display());
    std::fs::write(path, text.replace(from, to)).expect("write");
}

#[test]
fn edits_are_served_errors_overlay_the_last_good_build() {
    let site = copy_fixture("small");
    let root = site.path();
    let s = serve(root, &[]);
    let initial = status(s.port);
    let page = get(s.port, "/coe/coe-2024-001/");
    assert_eq!(page.status, 200);
    assert!(page.head.contains("content-type: text/html"));
    assert!(page.body.contains("<h1>Config push broke checkout</h1>"));
    assert!(page.body.contains("/__coe/events"), "live-reload script");
    assert!(!page.body.contains("<div id=\"coe-serve-overlay\""));

    // An edit is served.
    let coe = root.join("content/2024/COE-2024-001.md");
    edit(
        &coe,
        "title: Config push broke checkout",
        "title: Config push broke checkout twice",
    );
    until("the edited title", || {
        get(s.port, "/coe/coe-2024-001/")
            .body
            .contains("<h1>Config push broke checkout twice</h1>")
    });
    // The lists it appears on too.
    assert!(
        get(s.port, "/coe/")
            .body
            .contains("Config push broke checkout twice")
    );

    // The counts of the site being served, after the incremental rebuild as after the first.
    let served = status(s.port);
    assert!(served["coes"].as_u64() > Some(0), "{served}");
    assert_eq!(served["kind"], "incremental");
    assert_eq!(served["warnings"], initial["warnings"], "{served}");
    assert!(
        initial["warnings"].as_u64() > Some(0),
        "the fixture has warnings: {initial}"
    );
    let first_warnings = served["warnings"].clone();

    // Broken front matter: the last good build stays, with the error over it.
    let good = std::fs::read_to_string(&coe).expect("read");
    std::fs::write(
        &coe,
        "---\ntitle: [unclosed\nid: COE-2024-001\n---\n\n## Summary\n<b>x</b>\n",
    )
    .expect("write");
    until("the error", || status(s.port)["ok"] == false);
    let st = status(s.port);
    // The failed build's errors, beside the counts of the site still served.
    assert_eq!(st["coes"], served["coes"], "{st}");
    assert_eq!(st["warnings"], first_warnings, "{st}");
    let err = &st["errors"][0];
    assert_eq!(err["path"], "content/2024/COE-2024-001.md", "{st}");
    let line = err["line"].as_u64().unwrap_or(0);
    assert!((2..=3).contains(&line), "{st}");
    assert!(
        err["message"].as_str().unwrap_or("").contains("YAML"),
        "{st}"
    );
    let page = get(s.port, "/coe/coe-2024-001/");
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("<h1>Config push broke checkout twice</h1>"),
        "last good build"
    );
    assert!(page.body.contains("<div id=\"coe-serve-overlay\""));
    assert!(
        page.body
            .contains(&format!("content/2024/COE-2024-001.md:{line}:"))
    );
    // On every page.
    assert!(
        get(s.port, "/tags/")
            .body
            .contains("<div id=\"coe-serve-overlay\"")
    );

    // Fixed: the overlay goes.
    std::fs::write(&coe, good.replace("checkout twice", "checkout again")).expect("write");
    until("the fix", || status(s.port)["ok"] == true);
    let page = get(s.port, "/coe/coe-2024-001/");
    assert!(
        page.body
            .contains("<h1>Config push broke checkout again</h1>")
    );
    assert!(!page.body.contains("<div id=\"coe-serve-overlay\""));
}

#[test]
fn only_the_site_is_served() {
    let site = copy_fixture("small");
    let root = site.path();
    std::fs::write(root.join("secret.txt"), "TOP-SECRET").expect("write");
    let s = serve(root, &[]);
    for path in [
        "/../secret.txt",
        "/../../../../etc/passwd",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/coe/..%2F..%2Fsecret.txt",
        "/..\\secret.txt",
        "/%5c..%5csecret.txt",
        "/coe/%2e%2e/%2e%2e/content/2024/COE-2024-001.md",
        "/%zz",
    ] {
        let r = get(s.port, path);
        assert!(r.status == 400 || r.status == 404, "{path}: {}", r.status);
        assert!(!r.body.contains("TOP-SECRET"), "{path}");
        assert!(!r.body.contains("root:x:0"), "{path}");
        assert!(!r.body.contains("title: Config push"), "{path}");
    }
    for path in ["/content/2024/COE-2024-001.md", "/secret.txt", "/coe.toml"] {
        let r = get(s.port, path);
        assert_eq!(r.status, 404, "{path}");
        assert!(!r.body.contains("TOP-SECRET") && !r.body.contains("title: Config push"));
    }
    // The build's 404 page, with status 404.
    let r = get(s.port, "/no/such/page/");
    assert_eq!(r.status, 404);
    let built_404 = {
        let (_t, out, run) = build(root, &[]);
        assert_eq!(run.status, 0, "{}", run.stderr);
        read(&out, "404.html")
    };
    let title = built_404
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .expect("404 title");
    assert!(r.body.contains(title), "404 page from the build");
    // Content types, index.html for folders, a slash for folders without one.
    let css = get(s.port, "/style.css");
    assert_eq!(css.status, 200);
    assert!(css.head.contains("content-type: text/css"));
    assert!(!css.body.contains("__coe"), "scripts go into HTML only");
    let json = get(s.port, "/coes.json");
    assert!(json.head.contains("content-type: application/json"));
    assert!(
        get(s.port, "/atom.xml")
            .head
            .contains("content-type: application/xml")
    );
    assert_eq!(get(s.port, "/").status, 200);
    assert_eq!(get(s.port, "/coe/index.html").status, 200);
    let r = get(s.port, "/coe");
    assert_eq!(r.status, 301);
    assert!(r.head.contains("location: /coe/"));
    let head = request(s.port, "HEAD", "/coe/");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(request(s.port, "POST", "/coe/").status, 405);
    // `coe build` output has no trace of the server.
    let (_t, out, _run) = build(root, &[]);
    for page in files(&out).iter().filter(|p| p.ends_with(".html")) {
        assert!(!read(&out, page).contains("__coe"), "{page}");
    }
}

#[test]
fn events_announce_a_reload_after_a_change() {
    let site = copy_fixture("small");
    let root = site.path();
    let s = serve(root, &[]);
    let mut stream = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    write!(
        stream,
        "GET /__coe/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("send");
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    let mut read_until = |stream: &mut TcpStream, seen: &mut String, needle: &str| {
        let start = Instant::now();
        while !seen.contains(needle) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no {needle:?} in {seen}"
            );
            match stream.read(&mut buf) {
                Ok(0) => panic!("stream closed: {seen}"),
                Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(e) => panic!("{e}: {seen}"),
            }
        }
    };
    read_until(&mut stream, &mut seen, "event: hello");
    assert!(
        seen.to_ascii_lowercase()
            .contains("content-type: text/event-stream")
    );
    edit(
        &root.join("content/2023/old.md"),
        "Earlier config push outage",
        "Earlier config push outage, edited",
    );
    read_until(&mut stream, &mut seen, "event: reload");
    // A broken file: a status event with the error.
    std::fs::write(root.join("content/2023/old.md"), "---\ndate: nope\n---\n").expect("write");
    read_until(&mut stream, &mut seen, "event: status");
    read_until(&mut stream, &mut seen, "content/2023/old.md");
}

#[test]
fn files_created_renamed_deleted_and_editor_noise() {
    let site = copy_fixture("small");
    let root = site.path();
    let s = serve(root, &["--drafts"]);
    // Drafts when asked.
    assert_eq!(get(s.port, "/coe/coe-2024-050/").status, 200);
    let generation = |port| status(port)["generation"].as_u64().unwrap_or(0);
    let g0 = generation(s.port);

    // Swap files, vim's probe and backups change nothing.
    let dir = root.join("content/2024");
    std::fs::write(dir.join(".COE-2024-001.md.swp"), "\0\0garbage").expect("swp");
    std::fs::write(dir.join("4913"), "").expect("4913");
    std::fs::write(dir.join("COE-2024-001.md~"), "---\ntitle: [\n---\n").expect("backup");
    std::fs::write(dir.join("#COE-2024-001.md#"), "---\ntitle: [\n---\n").expect("autosave");
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(generation(s.port), g0, "no rebuild for editor files");
    assert_eq!(status(s.port)["ok"], true);

    // Created.
    let new = dir.join("COE-2024-060.md");
    std::fs::write(&new, "---\nid: COE-2024-060\ntitle: Brand new outage\ndate: 2024-09-09\n---\n\n## Summary\nNew.\n")
        .expect("write");
    until("the new COE", || {
        get(s.port, "/coe/coe-2024-060/").status == 200
    });
    // Renamed (its id stays).
    std::fs::rename(&new, root.join("content/2023/renamed.md")).expect("rename");
    until("the renamed COE", || {
        status(s.port)["ok"] == true
            && get(s.port, "/coe/coe-2024-060/")
                .body
                .contains("Brand new outage")
    });
    // Saved half-written, then completed: an error, then the page.
    let moved = root.join("content/2023/renamed.md");
    std::fs::write(&moved, "---\nid: COE-2024-060\ntitle: Half").expect("write");
    until("the half-written file's error", || {
        status(s.port)["ok"] == false
    });
    std::fs::write(
        &moved,
        "---\nid: COE-2024-060\ntitle: Whole again\ndate: 2024-09-09\n---\n\nDone.\n",
    )
    .expect("write");
    until("the completed file", || {
        get(s.port, "/coe/coe-2024-060/")
            .body
            .contains("Whole again")
    });
    // An atomic save: a temporary file renamed over the COE.
    let tmp = root.join("content/2023/.renamed.md.tmp123");
    std::fs::write(
        &tmp,
        "---\nid: COE-2024-060\ntitle: Atomically saved\ndate: 2024-09-09\n---\n\nDone.\n",
    )
    .expect("write");
    std::fs::rename(&tmp, &moved).expect("rename");
    until("the atomic save", || {
        get(s.port, "/coe/coe-2024-060/")
            .body
            .contains("Atomically saved")
    });
    // Deleted.
    std::fs::remove_file(&moved).expect("rm");
    until("the deleted COE gone", || {
        get(s.port, "/coe/coe-2024-060/").status == 404
    });
    assert_eq!(status(s.port)["ok"], true);
}

#[test]
fn a_burst_of_changes_ends_on_the_latest_state() {
    let site = copy_fixture("small");
    let root = site.path();
    let s = serve(root, &[]);
    let coe = root.join("content/2024/COE-2024-001.md");
    let text = std::fs::read_to_string(&coe).expect("read");
    let old = root.join("content/2023/old.md");
    let old_text = std::fs::read_to_string(&old).expect("read");
    for n in 0..300 {
        let t = text.replace(
            "title: Config push broke checkout",
            &format!("title: Burst number {n}"),
        );
        std::fs::write(&coe, t).expect("write");
        if n % 50 == 0 {
            // Other files and broken states in between.
            std::fs::write(&old, "---\ntitle: [\n---\n").expect("write");
            std::fs::write(&old, &old_text).expect("write");
        }
    }
    until("the last state", || {
        status(s.port)["ok"] == true
            && get(s.port, "/coe/coe-2024-001/")
                .body
                .contains("<h1>Burst number 299</h1>")
    });
    // And it stays there.
    std::thread::sleep(Duration::from_millis(600));
    assert!(
        get(s.port, "/coe/coe-2024-001/")
            .body
            .contains("<h1>Burst number 299</h1>")
    );
    assert_eq!(status(s.port)["ok"], true);
}

#[test]
fn templates_and_config_changes_rebuild_and_bad_templates_are_reported() {
    let site = copy_fixture("small");
    let root = site.path();
    let s = serve(root, &[]);
    std::fs::write(root.join("coe.toml"), "title = \"Served Library\"\n").expect("write");
    until("the new site title", || {
        get(s.port, "/").body.contains("Served Library")
    });
    std::fs::create_dir_all(root.join("templates")).expect("mkdir");
    std::fs::write(root.join("templates/404.html"), "{% if %}").expect("write");
    until("the template error", || status(s.port)["ok"] == false);
    assert!(
        status(s.port)["errors"][0]["path"]
            .as_str()
            .unwrap_or("")
            .contains("templates")
    );
    std::fs::write(
        root.join("templates/404.html"),
        "<html><body>Gone fishing</body></html>",
    )
    .expect("write");
    until("the fixed template", || {
        status(s.port)["ok"] == true && get(s.port, "/nope").body.contains("Gone fishing")
    });
}

/// The served page without what `coe serve` adds.
fn comparable(page: &str) -> String {
    let mut s = page.to_owned();
    if let Some(start) = s.find("<script>(function () {")
        && let Some(len) = s[start..].find("</script>")
    {
        s.replace_range(start..start + len + "</script>".len(), "");
    }
    s
}

/// Waits until `path` shows `marker` and the build that served it has rendered every page and
/// caught up (search index and files, similar lists).
/// Files beside the COEs that no page shows (a screenshot not referenced yet, notes) do not
/// make `coe serve` build everything again; a picture a COE references does, and is served.
#[test]
fn files_no_page_shows_do_not_rebuild_the_site() {
    let site = sample_site();
    let root = site.path();
    let s = serve(root, &[]);
    let file = root.join("content/2024/COE-2024-017.md");
    let page = "/coe/coe-2024-017/";
    let first = status(s.port)["generation"].as_u64().expect("generation");
    std::fs::write(
        root.join("content/2024/screenshot.png"),
        b"\x89PNG not yet used",
    )
    .expect("write");
    std::fs::write(root.join("content/2024/notes.txt"), "to do").expect("write");
    // Long enough for the watcher to hand them over on their own (debounced at 100 ms).
    std::thread::sleep(std::time::Duration::from_millis(600));
    edit(&file, "## Summary\n", "## Summary\n\nNotes beside it.\n\n");
    settled(s.port, page, "Notes beside it.");
    // One build: the edit's, incremental.
    let st = status(s.port);
    assert_eq!(st["kind"], "incremental");
    assert_eq!(st["generation"].as_u64(), Some(first + 1), "{st}");
    std::fs::remove_file(root.join("content/2024/notes.txt")).expect("remove");

    // Referenced while missing (a warning), then saved: published and served.
    edit(
        &file,
        "Notes beside it.",
        "Notes beside it: ![the graph](graph.png)",
    );
    settled(s.port, page, "Notes beside it: ");
    let before = status(s.port)["generation"].as_u64().expect("generation");
    std::fs::write(root.join("content/2024/graph.png"), b"\x89PNG graph").expect("write");
    until("the picture is served", || {
        let st = status(s.port);
        st["generation"].as_u64() > Some(before)
            && st["caught_up"] == true
            && get(s.port, "/coe/coe-2024-017/graph.png").status == 200
    });
    same_as_a_full_build(root, s.port);
}

fn settled(port: u16, path: &str, marker: &str) {
    // The page first, then the status: the server marks the status incomplete before it serves
    // an edit's first pages, so a status read after the marker was seen covers that edit (read
    // the other way round, a status from before the edit could pass with the new page).
    until(&format!("{marker:?} on {path}, caught up"), || {
        if !get(port, path).body.contains(marker) {
            return false;
        }
        let st = status(port);
        st["ok"] == true && st["complete"] == true && st["caught_up"] == true
    });
}

#[test]
fn an_incremental_rebuild_serves_what_a_full_build_would() {
    let site = sample_site();
    let root = site.path();
    let s = serve(root, &[]);
    let file = root.join("content/2024/COE-2024-017.md");
    let page = "/coe/coe-2024-017/";
    edit(
        &file,
        "title: Thumbnails stopped generating",
        "title: Thumbnails & previews stopped generating",
    );
    edit(
        &file,
        "mitigated: 2024-03-14T12:21:00Z",
        "mitigated: 2024-03-14T09:21:00Z",
    );
    edit(
        &file,
        "## Summary\n",
        "## Summary\n\nA <em>new</em> first paragraph about thumbnails.\n\n",
    );
    settled(s.port, page, "A <em>new</em> first paragraph");
    assert_eq!(status(s.port)["kind"], "incremental");
    same_as_a_full_build(root, s.port);
    let body = get(s.port, page).body;
    assert!(body.contains("Thumbnails &amp; previews stopped generating"));

    // Structure changed (a term joined, an action item closed): the library is rebuilt,
    // still incrementally.
    edit(
        &file,
        "missing-alarm, silent-failure]",
        "missing-alarm, silent-failure, capacity]",
    );
    edit(
        &file,
        "    status: open\n",
        "    status: done\n    closed: 2024-04-02\n",
    );
    settled(s.port, page, "/tags/capacity/");
    assert_eq!(status(s.port)["kind"], "incremental");
    same_as_a_full_build(root, s.port);

    // Another severity and other related COEs (backlinks move), and a body link.
    edit(&file, "severity: SEV2", "severity: SEV3");
    edit(
        &file,
        "related: [COE-2024-021, COE-2025-031]",
        "related: [COE-2022-003, COE-2025-031]",
    );
    edit(
        &file,
        "## Summary\n",
        "## Summary\n\nSee [the 2023 one](../2023/COE-2023-004.md).\n",
    );
    settled(s.port, page, "the 2023 one</a>");
    assert_eq!(status(s.port)["kind"], "incremental");
    same_as_a_full_build(root, s.port);

    // Saves in quick succession: pages left for later are rendered in the end, and the
    // catch-up, put off by each save, too.
    for n in 0..6 {
        edit(
            &file,
            "title: Thumbnails & previews",
            &format!("title: Thumbnails & previews ({n})"),
        );
        std::thread::sleep(Duration::from_millis(60 + 40 * (n % 3)));
        edit(
            &file,
            &format!("title: Thumbnails & previews ({n})"),
            "title: Thumbnails & previews",
        );
    }
    edit(
        &file,
        "title: Thumbnails & previews",
        "title: Thumbnails & more previews",
    );
    settled(s.port, page, "Thumbnails &amp; more previews");
    assert_eq!(status(s.port)["kind"], "incremental");
    same_as_a_full_build(root, s.port);
}

/// Every file served is what `coe build` writes, byte for byte: pages (similar lists
/// included), digests, feeds and the search files.
fn same_as_a_full_build(root: &Path, port: u16) {
    let out_dir = tempfile::tempdir().expect("tmp");
    let out = out_dir.path().join("public");
    let run = coe(
        &[
            "build",
            "--root",
            root.to_str().expect("utf8"),
            "--output",
            out.to_str().expect("utf8"),
        ],
        root,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let mut compared = 0;
    let built_files = files(&out);
    for file in &built_files {
        let built = std::fs::read(out.join(file)).unwrap_or_default();
        let served = get(port, &format!("/{file}"));
        assert_eq!(served.status, 200, "{file}");
        if file.ends_with(".html") {
            assert_eq!(
                comparable(&served.body),
                comparable(&String::from_utf8_lossy(&built)),
                "{file} differs"
            );
        } else {
            assert!(served.bytes == built, "{file} differs");
        }
        compared += 1;
    }
    assert!(compared > 100, "{compared}");
    assert!(built_files.iter().any(|f| f.starts_with("search/t/")));
    // No search shard the build does not make.
    let manifest: serde_json::Value =
        serde_json::from_str(&get(port, "/search/index.json").body).expect("index.json");
    let shards = manifest["shards"].as_array().map_or(0, Vec::len);
    assert_eq!(get(port, &format!("/search/t/{shards}.bin")).status, 404);
}

/// The shard of `search/t/` that holds `term`, as `search.js` finds it: the last one whose
/// first term is not after it.
fn shard_of(port: u16, term: &str) -> Vec<u8> {
    let manifest: serde_json::Value =
        serde_json::from_str(&get(port, "/search/index.json").body).expect("index.json");
    let firsts: Vec<&str> = manifest["shards"]
        .as_array()
        .expect("shards")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    let n = firsts.iter().rposition(|f| *f <= term).unwrap_or_default();
    get(port, &format!("/search/t/{n}.bin")).bytes
}

/// The COE ids listed in the "Similar past failures" section of a page.
fn similar_ids(page: &str) -> Vec<String> {
    let Some(start) = page.find("<section id=\"similar\"") else {
        return Vec::new();
    };
    let section = &page[start..];
    let section = &section[..section.find("</section>").unwrap_or(section.len())];
    section
        .split("<span class=\"id\">")
        .skip(1)
        .filter_map(|s| s.split('<').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn search_files_and_similar_lists_catch_up_after_an_edit() {
    let site = sample_site();
    let root = site.path();
    // Two COEs that will share an unusual failure story; the second one tells it first.
    let story = "A zorblax quenched the flumbergast; snerdwick plonktons kept grobulating.";
    let other = root.join("content/2022/COE-2022-011.md");
    edit(
        &other,
        "## Summary\n",
        &format!("## Summary\n\n{story} {story}\n\n"),
    );
    let s = serve(root, &[]);
    let other_page = "/coe/coe-2022-011/";
    assert!(
        !similar_ids(&get(s.port, other_page).body).contains(&"COE-2026-016".to_owned()),
        "not similar yet"
    );
    assert!(!contains(&shard_of(s.port, "wuzzlefrump"), b"wuzzlefrump"));

    // The edited COE takes the story and a word no COE had.
    let file = root.join("content/2026/COE-2026-016.md");
    edit(
        &file,
        "## Summary\n",
        &format!("## Summary\n\nThe wuzzlefrump alarm. {story} {story}\n\n"),
    );
    until("the edit served", || {
        get(s.port, "/coe/coe-2026-016/")
            .body
            .contains("The wuzzlefrump alarm")
    });
    assert_eq!(status(s.port)["kind"], "incremental");
    // The search files and the other COE's similar list catch up.
    until("the new word in the search files", || {
        contains(&shard_of(s.port, "wuzzlefrump"), b"wuzzlefrump")
    });
    until("the other COE's similar list", || {
        similar_ids(&get(s.port, other_page).body).contains(&"COE-2026-016".to_owned())
    });
    let st = status(s.port);
    assert_eq!(st["generation"], 2, "no full rebuild: {st}");
    settled(s.port, "/coe/coe-2026-016/", "The wuzzlefrump alarm");
    assert!(status(s.port)["catchup_millis"].as_u64().unwrap_or(0) > 0);
    same_as_a_full_build(root, s.port);

    // The story goes again: so does the edited COE from the other's list.
    edit(
        &file,
        &format!("The wuzzlefrump alarm. {story} {story}\n\n"),
        "An ordinary alarm.\n\n",
    );
    settled(s.port, "/coe/coe-2026-016/", "An ordinary alarm.");
    assert!(!similar_ids(&get(s.port, other_page).body).contains(&"COE-2026-016".to_owned()));
    assert!(!contains(&shard_of(s.port, "wuzzlefrump"), b"wuzzlefrump"));
    same_as_a_full_build(root, s.port);
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_taken_port_moves_to_the_next_free_one() {
    let site = copy_fixture("small");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let s = serve(site.path(), &["--port", &port.to_string()]);
    assert_ne!(s.port, port);
    assert!(
        s.port > port && s.port <= port.saturating_add(100),
        "{} after {port}",
        s.port
    );
    assert_eq!(get(s.port, "/").status, 200);
}

/// An edit that keeps the file's size and modification time is served.
#[test]
fn an_edit_keeping_size_and_mtime_is_served() {
    let site = sample_site();
    let root = site.path();
    let s = serve(root, &[]);
    let page = "/coe/coe-2024-017/";
    assert!(
        get(s.port, page)
            .body
            .contains("Thumbnails stopped generating")
    );
    edit_keeping_size_and_mtime(
        &root.join("content/2024/COE-2024-017.md"),
        "title: Thumbnails stopped generating",
        "title: Miniatures stopped generating",
    );
    settled(s.port, page, "Miniatures stopped generating");
    // A full rebuild afterwards (the configuration changed) keeps the edit too.
    let before = status(s.port)["generation"].as_u64().expect("generation");
    let config = root.join("coe.toml");
    let text = std::fs::read_to_string(&config).unwrap_or_default();
    std::fs::write(&config, format!("{text}\n# touched\n")).expect("write coe.toml");
    until("a full rebuild", || {
        let st = status(s.port);
        st["kind"] == "full" && st["generation"].as_u64() > Some(before)
    });
    settled(s.port, page, "Miniatures stopped generating");
}

/// A connection that stays silent is closed (before a request, and after one on a kept-alive
/// connection); the server still answers new ones.
#[test]
fn idle_connections_time_out() {
    let site = copy_fixture("small");
    let s = serve_with_env(site.path(), &[], &[("COE_TEST_IDLE_MS", "400")]);
    let closed_within = |mut stream: TcpStream| {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let start = Instant::now();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        (start.elapsed(), rest)
    };
    // Connected, nothing sent.
    let silent = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
    let (took, _) = closed_within(silent);
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
    // One request on a kept-alive connection, then silence.
    let mut kept = TcpStream::connect(("127.0.0.1", s.port)).expect("connect");
    write!(kept, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").expect("send");
    let (took, answer) = closed_within(kept);
    assert!(took < Duration::from_secs(5), "closed after {took:?}");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    assert_eq!(get(s.port, "/").status, 200, "still serving");
}

/// Pictures beside a COE are served next to its page, and a changed or added picture is served
/// once saved.
#[test]
fn pictures_beside_a_coe_are_served_and_follow_edits() {
    let site = copy_fixture("attachments");
    let root = site.path();
    let s = serve(root, &[]);
    let picture = "/coe/coe-2024-050/latency.png";
    assert_eq!(get(s.port, picture).bytes, b"PNG-latency-bytes");
    assert_eq!(
        get(s.port, "/coe/coe-2024-050/missing-graph.png").status,
        404
    );
    std::fs::write(root.join("content/2024/latency.png"), "PNG-after").expect("write");
    until("the changed picture", || {
        get(s.port, picture).bytes == b"PNG-after"
    });
    std::fs::write(root.join("content/2024/missing-graph.png"), "PNG-added").expect("write");
    until("the added picture", || {
        get(s.port, "/coe/coe-2024-050/missing-graph.png").bytes == b"PNG-added"
    });
}

/// Polls until `coe serve` has caught up and serves what a clean build of the same content
/// writes, file for file (60 s at most).
fn settles_as_a_clean_build(root: &Path, port: u16) {
    let fresh = clean_build(root, &["build", "--root", "."]);
    let out = fresh.path().join("public");
    let built_files = files(&out);
    let start = Instant::now();
    loop {
        let st = status(port);
        let differs = if st["ok"] == true && st["complete"] == true && st["caught_up"] == true {
            built_files.iter().find_map(|file| {
                let built = std::fs::read(out.join(file)).unwrap_or_default();
                let served = get(port, &format!("/{file}"));
                let same = if file.ends_with(".html") {
                    comparable(&served.body) == comparable(&String::from_utf8_lossy(&built))
                } else {
                    served.bytes == built
                };
                (!same).then(|| file.clone())
            })
        } else {
            Some(format!("status {st}"))
        };
        let Some(last) = differs else {
            return;
        };
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "coe serve never served what a clean build writes: {last}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

proptest::proptest! {
    // Each case starts a server and waits for it to settle after each batch: few cases.
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 3,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// After any sequence of edits, new, renamed and deleted files, `coe serve` settles to the
    /// pages a clean `coe build` of the same content writes.
    #[test]
    fn serve_settles_to_a_clean_build_after_any_edits(
        steps in proptest::collection::vec(
            (
                proptest::collection::vec((0usize..64, common::edits::edit_strategy()), 1..4),
                proptest::collection::vec(common::edits::file_op_strategy(), 0..3),
            ),
            1..3,
        )
    ) {
        use common::edits::{apply, apply_file_op};
        let site = sample_site();
        let root = site.path();
        let content = root.join("content");
        let (mut sources, ids) = common::edits::sources_and_ids(&content);
        let s = serve(root, &[]);
        settles_as_a_clean_build(root, s.port);
        for (n, (step, ops)) in steps.iter().enumerate() {
            for (k, op) in ops.iter().enumerate() {
                apply_file_op(&content, &mut sources, op, n * 8 + k);
            }
            for (file, edit) in step {
                let path = content.join(&sources[file % sources.len()]);
                let text = std::fs::read_to_string(&path).expect("read");
                std::fs::write(&path, apply(&text, edit, &ids)).expect("write");
            }
            settles_as_a_clean_build(root, s.port);
        }
    }
}
