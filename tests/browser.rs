//! The static search page in a real headless Chromium, served from a sub-path by a plain
//! static file server: results, filters in the URL, escaping, JavaScript off, bytes fetched.

mod common;

use common::*;

/// COE slugs of the result links in a dumped search page, in order.
fn result_slugs(dom: &str) -> Vec<String> {
    dom.split("<li class=\"search-hit\">")
        .skip(1)
        .filter_map(|hit| {
            hit.split("/coe/")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn search_page_finds_past_failures_from_a_subpath() {
    if chromium().is_none() {
        return;
    }
    let site = sample_site();
    let Published {
        tmp: _tmp,
        server,
        base,
        ..
    } = publish(site.path(), &[], "/sub/");

    // The sample library's queries here; the whole set over the relevance library below.
    let mut misses = Vec::new();
    for (want, q) in relevance_set()
        .into_iter()
        .filter(|(id, _)| id.starts_with("COE-"))
        .take(6)
    {
        let dom = chromium_dom(&format!("{base}search/?q={}", urlencode(&q)), true);
        let got = result_slugs(&dom);
        if !got.iter().take(5).any(|s| s.eq_ignore_ascii_case(&want)) {
            misses.push(format!("{want} not in the top 5 for {q:?}: {got:?}"));
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));

    // Prefix matching on the word being typed.
    let dom = chromium_dom(&format!("{base}search/?q=thumbn"), true);
    assert_eq!(
        result_slugs(&dom).first().map(String::as_str),
        Some("coe-2024-017"),
        "{dom}"
    );
    // The reader is told, as `coe search` tells its user.
    assert!(
        dom.contains("\u{201c}thumbn\u{201d} is in no COE: matched words that begin like it (thumbnail\u{2026})"),
        "{dom}"
    );
    // Facet filters from the URL: only CDN COEs, and the box is ticked.
    let dom = chromium_dom(&format!("{base}search/?q=change&service=cdn"), true);
    let got = result_slugs(&dom);
    assert!(
        !got.is_empty()
            && got
                .iter()
                .all(|s| s == "coe-2024-030" || s == "coe-2025-023"),
        "{got:?}"
    );
    assert!(dom.contains("checked"));
    // Filters alone list the matching COEs, newest first.
    let dom = chromium_dom(&format!("{base}search/?severity=SEV1"), true);
    assert_eq!(result_slugs(&dom).len(), 3, "three SEV1 COEs");

    // Every request of the page stayed under the sub-path (Chromium itself asks for the
    // favicon and, once in a while, the origin's root).
    let requests = server.requests.lock().expect("lock").clone();
    assert!(
        requests
            .iter()
            .all(|p| p.starts_with("/sub/") || p == "/favicon.ico" || p == "/"),
        "{requests:?}"
    );
    assert!(
        requests.iter().any(|p| p.starts_with("/sub/search/t/")),
        "term shards fetched"
    );
}

#[test]
fn hostile_queries_and_hostile_content_stay_text() {
    if chromium().is_none() {
        return;
    }
    let Published {
        tmp: _tmp, base, ..
    } = publish(&fixture("hostile"), &[], "/");
    let dom = chromium_dom(&format!("{base}search/?q=alert"), true);
    assert_eq!(result_slugs(&dom), vec!["coe-2024-666"], "{dom}");
    let hit = dom
        .split("<li class=\"search-hit\">")
        .nth(1)
        .and_then(|h| h.split("</li>").next())
        .expect("hit");
    assert!(
        hit.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "title as text: {hit}"
    );
    assert!(!hit.contains("<script") && !hit.contains("<img"), "{hit}");
    let q = urlencode("<img src=x onerror=alert(1)> \"unbalanced");
    let dom = chromium_dom(&format!("{base}search/?q={q}&tag=<b>x</b>"), true);
    let results = dom.split("id=\"search-results\"").nth(1).expect("results");
    assert!(
        !results.contains("<img") && !results.contains("<b>"),
        "{results}"
    );
}

/// The browser ranks like the CLI: every query of `tests/relevance.tsv` finds its COE in the
/// top five of the search page, over the relevance library, and the page's top five is the
/// CLI's, in the same order.
#[test]
fn search_page_ranks_the_relevance_set_like_the_cli() {
    if chromium().is_none() {
        return;
    }
    let site = relevance_site();
    let Published {
        tmp: _tmp, base, ..
    } = publish(site.path(), &[], "/");
    let mut misses = Vec::new();
    let mut differ = Vec::new();
    for (want, q) in relevance_set() {
        let dom = chromium_dom(&format!("{base}search/?q={}", urlencode(&q)), true);
        let got: Vec<String> = result_slugs(&dom).into_iter().take(5).collect();
        if !got.iter().any(|s| s.eq_ignore_ascii_case(&want)) {
            misses.push(format!("{want} not in the top 5 for {q:?}: {got:?}"));
        }
        let cli_top = cli_top_five(site.path(), &q);
        if got != cli_top {
            differ.push(format!("{q:?}: browser {got:?}, CLI {cli_top:?}"));
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
    // The same five COEs in the same order, for every query of the set: both score with the
    // same numbers (search/lengths.rs) in the same order of operations.
    assert!(
        differ.is_empty(),
        "{} of the top fives differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
}

/// The page reads the query language as `coe search` does: filters under any of their names,
/// left-out facets (`-tag:x`), left-out words and phrases, an unfinished last word. Each query
/// gives the same top five, in the same order, on the page and in the CLI.
#[test]
fn search_page_reads_the_query_language_like_the_cli() {
    if chromium().is_none() {
        return;
    }
    let site = sample_site();
    let Published {
        tmp: _tmp, base, ..
    } = publish(site.path(), &[], "/");
    let queries = [
        "certificate expiry",
        "certificate expiry -tag:saml",
        "certificate -\"service mesh\"",
        "certificate -mesh",
        "Tags:dns ttl",
        "cause:certificate-expiry renewal",
        "dns -root_cause:configuration-change",
        "broken thumbn",
        "dns migration -tag:cdn -tag:load-balancer",
    ];
    let mut differ = Vec::new();
    for q in queries {
        let dom = chromium_dom(&format!("{base}search/?q={}", urlencode(q)), true);
        let page: Vec<String> = result_slugs(&dom).into_iter().take(5).collect();
        let cli = cli_top_five(site.path(), q);
        assert!(!cli.is_empty(), "{q:?} finds nothing in the CLI");
        if page != cli {
            differ.push(format!("{q:?}: page {page:?}, CLI {cli:?}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// `coe search`'s top five for `q`, as lowercase ids (the page's slugs).
fn cli_top_five(site: &std::path::Path, q: &str) -> Vec<String> {
    let cli = coe(&["search", "--json", "--limit", "5", q], site);
    let v: serde_json::Value = serde_json::from_str(&cli.stdout).expect("json");
    v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .filter_map(|h| h["id"].as_str().map(|id| id.to_ascii_lowercase()))
        .collect()
}

/// `document.documentElement.scrollWidth` of each page (paths relative to `base`) laid out
/// `width` pixels wide: each is loaded in a frame of that width by a page written into `out`,
/// which waits for the page's own scripts (the search page's results) before measuring.
fn scroll_widths(
    out: &std::path::Path,
    base: &str,
    pages: &[&str],
    width: u32,
) -> Vec<(String, i64)> {
    let list = serde_json::to_string(pages).expect("json");
    let html = format!(
        r#"<!doctype html><link rel="icon" href="data:,"><body><pre id="widths"></pre><script>
var pages = {list}, out = [];
function next(i) {{
  if (i >= pages.length) {{ document.getElementById("widths").textContent = out.join("\n"); return; }}
  var f = document.createElement("iframe");
  f.style.width = "{width}px"; f.style.height = "900px"; f.style.border = "0";
  f.onload = function () {{
    setTimeout(function () {{
      out.push(f.contentDocument.documentElement.scrollWidth + " " + pages[i]);
      f.remove(); next(i + 1);
    }}, pages[i].indexOf("?q=") >= 0 ? 2000 : 300);
  }};
  f.src = pages[i];
  document.body.appendChild(f);
}}
next(0);
</script></body>"#
    );
    std::fs::write(out.join("measure-widths.html"), html).expect("write");
    let dom = chromium_dom_within(&format!("{base}measure-widths.html"), true, 120_000);
    let text = dom
        .split("<pre id=\"widths\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or("");
    text.lines()
        .filter_map(|l| {
            let (w, page) = l.split_once(' ')?;
            Some((page.replace("&amp;", "&"), w.parse().ok()?))
        })
        .collect()
}

#[test]
fn no_page_scrolls_sideways_on_a_390_pixel_phone() {
    if chromium().is_none() {
        return;
    }
    // Very long words, URLs, tag, service, team and owner names, a wide table, long code.
    let Published {
        tmp: _tmp,
        out,
        server,
        base,
        ..
    } = publish(&fixture("wide"), &[], "/");
    let tag = "a-tag-name-so-long-that-it-cannot-possibly-fit-on-a-phone-screen-of-390-pixels";
    let owner = "maximilian-alexander-featherstonehaugh-worthington-smythe";
    let pages = [
        "index.html".to_owned(),
        "coe/coe-2026-001/".to_owned(),
        "coe/".to_owned(),
        "coe/by-severity/".to_owned(),
        "years/".to_owned(),
        "years/2026/".to_owned(),
        "tags/".to_owned(),
        format!("tags/{tag}/"),
        "services/".to_owned(),
        "teams/".to_owned(),
        "authors/".to_owned(),
        "search/?q=scheduler".to_owned(),
        "digest/".to_owned(),
        "digest/archive/".to_owned(),
        "metrics/".to_owned(),
        "action-items/".to_owned(),
        "action-items/closed/".to_owned(),
        format!("action-items/owners/{owner}/"),
        "404.html".to_owned(),
    ];
    let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
    let widths = scroll_widths(&out, &base, &pages, 390);
    assert_eq!(widths.len(), pages.len(), "every page measured: {widths:?}");
    eprintln!("scroll widths at 390 px: {widths:?}");
    let wide: Vec<_> = widths.iter().filter(|(_, w)| *w > 390).collect();
    assert!(wide.is_empty(), "pages wider than 390 px: {wide:?}");
    // The search page did find the COEs it was measured with.
    let dom = chromium_dom(&format!("{base}search/?q=scheduler"), true);
    assert!(dom.contains("class=\"search-hit\""), "{dom}");
    // No page asks for /favicon.ico: the icon is in every page.
    let requests = server.requests.lock().expect("lock").clone();
    assert!(
        !requests.iter().any(|p| p == "/favicon.ico"),
        "{requests:?}"
    );
}

/// A library with one COE of `n` pending action items: every fifth in progress, every tenth
/// (from the fourth) overdue on 2025-06-30, the rest open and due later.
fn many_items_library(n: usize) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut md = String::from(
        "---\ntitle: Many follow-ups\nid: COE-2025-001\ndate: 2025-01-10\nstatus: published\nseverity: SEV3\nteam: [edge]\naction_items:\n",
    );
    for i in 0..n {
        let status = if i % 5 == 0 { "in-progress" } else { "open" };
        let due = if i % 10 == 3 {
            "2025-01-01"
        } else {
            "2025-12-01"
        };
        md.push_str(&format!(
            "  - title: Follow-up number {i}\n    owner: ana\n    due: {due}\n    status: {status}\n"
        ));
    }
    md.push_str("---\n\n## Summary\n\nMany follow-ups.\n");
    std::fs::create_dir_all(tmp.path().join("content/2025")).expect("mkdir");
    std::fs::write(tmp.path().join("content/2025/COE-2025-001.md"), md).expect("write");
    tmp
}

/// The tracker's status and overdue filters read every page of the list (1,300 pending items:
/// three pages), fetching only the pages that have matching rows.
#[test]
fn tracker_filters_cover_every_page_of_the_list() {
    if chromium().is_none() {
        return;
    }
    let site = many_items_library(1300);
    let Published {
        tmp: _tmp,
        server,
        base,
        ..
    } = publish(site.path(), &["--today", "2025-06-30"], "/");
    let rows = |dom: &str| -> Vec<String> {
        let body = dom
            .split("<tbody>")
            .nth(1)
            .and_then(|b| b.split("</tbody>").next())
            .unwrap_or("");
        body.split("<tr data-status=\"")
            .skip(1)
            .filter_map(|r| r.split('"').next().map(str::to_owned))
            .collect()
    };
    // 260 in progress, on all three pages.
    let dom = chromium_dom(&format!("{base}action-items/?status=in-progress"), true);
    let got = rows(&dom);
    assert_eq!(got.len(), 260, "{dom}");
    assert!(got.iter().all(|s| s == "in-progress"), "{got:?}");
    assert!(dom.contains("260 matching items in all 3 pages"), "{dom}");
    let requests = server.requests.lock().expect("lock").clone();
    assert!(
        requests.iter().any(|p| p == "/action-items/page/3/"),
        "{requests:?}"
    );
    // The 130 overdue items are all on the first page: no other page is fetched.
    server.requests.lock().expect("lock").clear();
    let dom = chromium_dom(&format!("{base}action-items/?overdue=1"), true);
    assert_eq!(rows(&dom).len(), 130, "{dom}");
    assert!(dom.contains("data-overdue=\"1\""));
    let requests = server.requests.lock().expect("lock").clone();
    assert!(
        !requests.iter().any(|p| p.contains("/page/")),
        "{requests:?}"
    );
    // Without a filter, the page as built: 500 rows and the pagination.
    let dom = chromium_dom(&format!("{base}action-items/"), true);
    assert_eq!(rows(&dom).len(), 500);
    assert!(dom.contains("class=\"pagination\"") && !dom.contains("class=\"pagination\" hidden"));
}
