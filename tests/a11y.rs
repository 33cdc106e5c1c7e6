//! Accessibility of every page kind in a real headless Chromium: axe-core (WCAG 2.1 A and AA
//! rules) at 1280 and 390 px, and the search page used from the keyboard (focus kept when
//! filters change, added results announced and reachable).
//!
//! axe-core is a test-only npm package (`tests/axe/package.json`): `npm ci --prefix tests/axe`
//! installs it (`.ci/run` does). Without it, or without Chromium, these tests are skipped with a
//! note, unless `COE_REQUIRE_BROWSER=1` (CI), which makes either missing a failure.

mod common;

use common::*;
use std::path::{Path, PathBuf};

/// `tests/axe/node_modules/axe-core/axe.min.js`, or None (with a note) when it is not installed.
fn axe_script() -> Option<PathBuf> {
    let path = repo_root().join("tests/axe/node_modules/axe-core/axe.min.js");
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("COE_REQUIRE_BROWSER").is_none(),
        "COE_REQUIRE_BROWSER is set but axe-core is not installed: npm ci --prefix tests/axe"
    );
    eprintln!(
        "note: accessibility test skipped: axe-core not installed (npm ci --prefix tests/axe)"
    );
    None
}

/// The text of `<pre id="{id}">` in a dumped DOM, entities decoded.
fn pre_text(dom: &str, id: &str) -> String {
    dom.split(&format!("<pre id=\"{id}\">"))
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or("")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// One axe violation: width, page, rule, impact, number of elements, the first elements.
#[derive(Debug, serde::Deserialize)]
struct Violation {
    width: u32,
    page: String,
    rule: String,
    impact: String,
    nodes: usize,
    targets: Vec<String>,
}

/// Runs axe-core on each page (paths relative to `base`) laid out at each width: every page is
/// loaded in a frame of that width (as tall as its content, so that every element is inside
/// the frame's viewport for the contrast rule) by a page written into `out`, axe is added to
/// the frame once its scripts ran (the search page's results), and the violations come back
/// in the dumped DOM. Returns the violations and the pages measured.
fn axe(
    out: &Path,
    base: &str,
    pages: &[&str],
    widths: &[u32],
    dark: bool,
) -> (Vec<Violation>, usize) {
    let axe = axe_script().expect("callers check axe_script() first");
    std::fs::copy(axe, out.join("a11y-axe.js")).expect("copy axe");
    let runs: Vec<(u32, &str)> = widths
        .iter()
        .flat_map(|&w| pages.iter().map(move |&p| (w, p)))
        .collect();
    let runs = serde_json::to_string(&runs).expect("json");
    let html = format!(
        r#"<!doctype html><link rel="icon" href="data:,"><body><pre id="done"></pre><pre id="violations"></pre><script>
var runs = {runs}, found = [], done = 0, source = null;
var rules = {{ runOnly: {{ type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }}, resultTypes: ["violations"] }};
function finish() {{
  document.getElementById("violations").textContent = JSON.stringify(found);
  document.getElementById("done").textContent = String(done);
}}
function next(i) {{
  if (i >= runs.length) {{ finish(); return; }}
  var width = runs[i][0], page = runs[i][1], f = document.createElement("iframe");
  f.style.width = width + "px"; f.style.height = "900px"; f.style.border = "0";
  f.onload = function () {{
    setTimeout(function () {{
      var d = f.contentDocument;
      f.style.height = Math.max(900, d.documentElement.scrollHeight) + "px";
      var s = d.createElement("script"); s.textContent = source; d.head.appendChild(s);
      f.contentWindow.axe.run(d, rules).then(function (r) {{
        r.violations.forEach(function (v) {{
          found.push({{ width: width, page: page, rule: v.id, impact: v.impact || "", nodes: v.nodes.length,
            targets: v.nodes.slice(0, 4).map(function (n) {{ return n.target.join(" ") + " :: " + (n.failureSummary || "").slice(0, 160); }}) }});
        }});
      }}, function (e) {{
        found.push({{ width: width, page: page, rule: "axe-error", impact: "critical", nodes: 0, targets: [String(e)] }});
      }}).then(function () {{ done++; f.remove(); next(i + 1); }});
    }}, page.indexOf("search/") === 0 ? 2000 : 300);
  }};
  f.src = page;
  document.body.appendChild(f);
}}
fetch("a11y-axe.js").then(function (r) {{ return r.text(); }}).then(function (t) {{ source = t; next(0); }});
</script></body>"#
    );
    std::fs::write(out.join("a11y-run.html"), html).expect("write");
    let url = format!("{base}a11y-run.html");
    let dom = if dark {
        chromium_dom_dark_within(&url, 600_000)
    } else {
        chromium_dom_within(&url, true, 600_000)
    };
    let done: usize = pre_text(&dom, "done").trim().parse().unwrap_or(0);
    let found = serde_json::from_str(&pre_text(&dom, "violations")).unwrap_or_default();
    (found, done)
}

/// The sample library's page kinds.
const PAGES: &[&str] = &[
    "index.html",
    "coe/coe-2024-017/",
    "coe/",
    "search/?q=dns+timeout",
    "search/?q=change&service=cdn",
    "tags/",
    "tags/config-change/",
    "action-items/",
    "action-items/closed/",
    "metrics/",
    "digest/",
    "digest/archive/",
    "404.html",
];

#[test]
fn axe_finds_nothing_serious_on_any_page_kind_at_1280_and_390_px() {
    if chromium().is_none() || axe_script().is_none() {
        return;
    }
    let (found, loads) = axe_every_page(&[1280, 390], false);
    assert_nothing_serious(&found, loads);
}

/// The same in dark mode (the theme follows `prefers-color-scheme`): every page kind and COE
/// page, and the wide fixture's, at 1280 px (colours do not change with the width).
#[test]
fn axe_finds_nothing_serious_in_dark_mode() {
    if chromium().is_none() || axe_script().is_none() {
        return;
    }
    let (found, loads) = axe_every_page(&[1280], true);
    assert_nothing_serious(&found, loads);
}

/// axe on every page kind and COE page of the sample library, and on the wide fixture's
/// pages (very long words, a wide table, long code lines), at each width: the violations and
/// the number of page loads, each of which is checked to have run.
fn axe_every_page(widths: &[u32], dark: bool) -> (Vec<Violation>, usize) {
    let site = sample_site();
    let sample = publish(site.path(), &["--today", "2025-06-30"], "/");
    let wide = publish(&fixture("wide"), &[], "/");
    let pages = every_page_kind(&sample.out);
    let pages: Vec<&str> = pages.iter().map(String::as_str).collect();
    let wide_pages = ["coe/coe-2026-001/", "action-items/", "search/?q=scheduler"];
    let mut found = Vec::new();
    let mut loads = 0;
    for (published, pages) in [(&sample, &pages[..]), (&wide, &wide_pages[..])] {
        let (more, done) = axe(&published.out, &published.base, pages, widths, dark);
        assert_eq!(
            done,
            pages.len() * widths.len(),
            "every page checked: {more:#?}"
        );
        found.extend(more);
        loads += done;
    }
    (found, loads)
}

/// The page kinds of a built sample library, and every COE page (their bodies differ:
/// tables, code, task lists).
fn every_page_kind(out: &Path) -> Vec<String> {
    let mut pages: Vec<String> = PAGES.iter().map(|p| (*p).to_owned()).collect();
    let mut coes: Vec<String> = files(&out.join("coe"))
        .into_iter()
        .filter_map(|f| {
            let slug = f.strip_suffix("/index.html")?;
            (slug.starts_with("coe-") && !slug.contains('/')).then(|| format!("coe/{slug}/"))
        })
        .collect();
    coes.sort();
    pages.extend(coes);
    pages
}

/// Prints every violation (moderate and minor ones too) with a count per impact, and fails
/// on any serious or critical one.
fn assert_nothing_serious(found: &[Violation], loads: usize) {
    let mut by_impact = std::collections::BTreeMap::new();
    for v in found {
        *by_impact.entry(v.impact.as_str()).or_insert(0) += v.nodes;
        eprintln!(
            "axe {} px {}: {} ({}, {} elements) {:?}",
            v.width, v.page, v.rule, v.impact, v.nodes, v.targets
        );
    }
    eprintln!("axe: {loads} page loads checked, violations (elements) by impact: {by_impact:?}");
    let serious: Vec<_> = found
        .iter()
        .filter(|v| v.impact == "serious" || v.impact == "critical")
        .collect();
    assert!(serious.is_empty(), "serious or critical: {serious:#?}");
}

/// The search page from the keyboard: a filter toggled keeps the focus on its box (the groups
/// are rebuilt with new counts), "More results" moves the focus to the first added result and
/// says so in the status line (a live region), and the arrow keys lead from the search box
/// to the results.
#[test]
fn the_search_page_keeps_the_keyboard_focus_where_the_user_is() {
    if chromium().is_none() {
        return;
    }
    let site = sample_site();
    let Published {
        tmp: _tmp,
        out,
        base,
        ..
    } = publish(site.path(), &[], "/");
    let html = r##"<!doctype html><link rel="icon" href="data:,"><body><pre id="log"></pre><script>
var log = [], f = document.createElement("iframe");
function say(k, v) { log.push(k + "=" + v); }
function later(ms, fn) { setTimeout(fn, ms); }
f.style.width = "1280px"; f.style.height = "900px";
f.onload = function () {
  var w = f.contentWindow, d = f.contentDocument;
  w.coeSearchReady.then(function () {
    later(500, function () {
      var group = d.querySelector('#search-facets details[data-key="severity"]');
      group.open = true;
      later(500, function () {
        var box = group.querySelector("input[type=checkbox]"), value = box.getAttribute("data-value");
        box.focus(); box.click();
        later(1500, function () {
          var a = d.activeElement;
          say("focus-after-filter", a.tagName + ":" + a.getAttribute("data-value") + ":" + a.checked + ":" + (a.getAttribute("data-value") === value));
          say("group-open", d.querySelector('#search-facets details[data-key="severity"]').open);
          box = d.activeElement; box.click();
          later(1500, function () {
            var more = d.getElementById("search-more");
            say("more-hidden", more.hidden);
            more.focus(); more.click();
            later(1500, function () {
              var a = d.activeElement, hits = Array.prototype.slice.call(d.querySelectorAll("#search-results h3 a"));
              say("focus-after-more", a.tagName + ":" + hits.indexOf(a));
              say("status", d.getElementById("search-status").textContent);
              var q = d.getElementById("search-q");
              q.focus();
              q.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
              say("arrow-down", hits.indexOf(d.activeElement));
              d.activeElement.dispatchEvent(new KeyboardEvent("keydown", { key: "ArrowDown", bubbles: true }));
              say("arrow-down-2", hits.indexOf(d.activeElement));
              document.getElementById("log").textContent = log.join("\n");
            });
          });
        });
      });
    });
  });
};
f.src = "search/?q=service";
document.body.appendChild(f);
</script></body>"##;
    std::fs::write(out.join("a11y-keys.html"), html).expect("write");
    let dom = chromium_dom_within(&format!("{base}a11y-keys.html"), true, 60_000);
    let log = pre_text(&dom, "log");
    let get = |k: &str| {
        log.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("{k} in {log:?}"))
            .to_owned()
    };
    assert!(
        get("focus-after-filter").starts_with("INPUT:")
            && get("focus-after-filter").ends_with(":true:true"),
        "{log}"
    );
    assert_eq!(get("group-open"), "true", "{log}");
    assert_eq!(get("more-hidden"), "false", "more than ten results: {log}");
    assert_eq!(get("focus-after-more"), "A:10", "{log}");
    assert!(get("status").starts_with("Showing 11–"), "{log}");
    assert_eq!(get("arrow-down"), "0", "{log}");
    assert_eq!(get("arrow-down-2"), "1", "{log}");
}
