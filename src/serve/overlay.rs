//! What `coe serve` adds to every HTML page it serves (never to `coe build` output): a script
//! that reloads on a new build, and the overlay listing the build's errors.

use super::Status;

const SCRIPT: &str = r#"(function () {
  var served = GENERATION;
  function show(s) {
    var o = document.getElementById("coe-serve-overlay");
    if (s.ok) { if (o) o.remove(); return; }
    if (!o) {
      o = document.createElement("div");
      o.id = "coe-serve-overlay";
      o.setAttribute("style", STYLE);
      document.body.appendChild(o);
    }
    o.textContent = "";
    var h = document.createElement("strong");
    h.textContent = "coe serve: the library has errors; this is the last good build";
    o.appendChild(h);
    var ul = document.createElement("ul");
    s.errors.forEach(function (d) {
      var li = document.createElement("li");
      var at = d.path + (d.line ? ":" + d.line + (d.column ? ":" + d.column : "") : "");
      li.textContent = at + ": " + d.message;
      ul.appendChild(li);
    });
    o.appendChild(ul);
  }
  if (!window.EventSource) return;
  var es = new EventSource("/__coe/events");
  es.addEventListener("hello", function (e) { if (Number(e.data) !== served) location.reload(); });
  es.addEventListener("reload", function (e) {
    var d = {};
    try { d = JSON.parse(e.data); } catch (_) {}
    var here = decodeURIComponent(location.pathname).replace(/^\/+/, "");
    if (here === "" || /\/$/.test(here)) here += "index.html";
    if (!d.pages || d.pages.indexOf(here) >= 0) location.reload();
    else served = d.generation;
  });
  es.addEventListener("status", function (e) { try { show(JSON.parse(e.data)); } catch (_) {} });
})();"#;

const STYLE: &str = "position:fixed;left:0;right:0;bottom:0;z-index:2147483647;max-height:50vh;overflow:auto;margin:0;padding:1em 1.5em;background:#7f1d1d;color:#fff;font:14px/1.5 ui-monospace,monospace;white-space:pre-wrap;box-shadow:0 -2px 12px rgba(0,0,0,.4)";

pub use crate::html::escape;

/// The overlay (when the last build failed) and the live-reload script.
pub fn snippet(status: &Status) -> String {
    let mut out = String::new();
    if !status.ok && !status.errors.is_empty() {
        out.push_str(&format!(
            "<div id=\"coe-serve-overlay\" style=\"{STYLE}\"><strong>coe serve: the library has errors; this is the last good build</strong><ul>"
        ));
        for d in &status.errors {
            let mut at = d.path.clone();
            if d.line > 0 {
                at.push_str(&format!(":{}", d.line));
                if d.column > 0 {
                    at.push_str(&format!(":{}", d.column));
                }
            }
            out.push_str(&format!("<li>{}: {}</li>", escape(&at), escape(&d.message)));
        }
        out.push_str("</ul></div>");
    }
    let script = SCRIPT
        .replace("GENERATION", &status.generation.to_string())
        .replace("STYLE", &format!("{STYLE:?}"));
    out.push_str("<script>");
    out.push_str(&script);
    out.push_str("</script>");
    out
}

/// The page with the snippet before its last `</body>` (or at the end).
pub fn inject(html: &[u8], status: &Status) -> Vec<u8> {
    let snippet = snippet(status);
    let at = find_last_ci(html, b"</body>").unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + snippet.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(snippet.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

fn find_last_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Diagnostic;

    #[test]
    fn errors_are_escaped_and_injected_before_body_end() {
        let status = Status {
            ok: false,
            errors: vec![Diagnostic::error(
                "content/<x>.md",
                3,
                1,
                "found \"<script>alert(1)</script>\"",
            )],
            ..Status::default()
        };
        let page = String::from_utf8(inject(b"<html><body><p>hi</p></BODY></html>", &status))
            .expect("utf8");
        assert!(page.contains(
            "content/&lt;x&gt;.md:3:1: found &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;"
        ));
        assert!(!page.contains("<script>alert(1)"));
        assert!(page.ends_with("</script></BODY></html>"));
        let ok = Status {
            ok: true,
            ..Status::default()
        };
        assert!(!snippet(&ok).contains("coe-serve-overlay\" style"));
    }
}
