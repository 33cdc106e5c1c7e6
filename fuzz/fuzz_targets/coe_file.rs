//! A whole COE file: front matter, Markdown, timeline, five whys, action items (front matter and
//! body). No panic, and no script in any HTML it produces.
#![no_main]
use libfuzzer_sys::fuzz_target;

/// No script in `html`: no `<script` tag, no URL attribute starting `javascript:` and no
/// `on…=` event handler attribute. Text and other attributes (a title, an image's alt text)
/// may mention them: escaped or quoted, they are only text.
fn assert_inert(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "script in {html:?}");
    for tag in lower.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or_default();
        // The tag with its quoted values taken out, and the values of its URL attributes.
        let (mut bare, mut urls) = (String::new(), Vec::new());
        let mut rest = tag;
        while let Some(q) = rest.find(['"', '\'']) {
            let quote = rest[q..].chars().next().unwrap_or('"');
            bare.push_str(&rest[..q]);
            let value_end = rest[q + 1..].find(quote).map_or(rest.len(), |e| q + 1 + e);
            let name = rest[..q].trim_end().trim_end_matches('=').trim_end();
            if ["href", "src", "action", "formaction", "xlink:href"]
                .iter()
                .any(|a| name.ends_with(a))
            {
                urls.push(rest[q + 1..value_end].trim_start());
            }
            rest = rest.get(value_end + 1..).unwrap_or_default();
        }
        bare.push_str(rest);
        for url in urls {
            assert!(
                !url.starts_with("javascript:"),
                "javascript: URL in {html:?}"
            );
        }
        for (i, _) in bare.match_indices(|c: char| c.is_ascii_whitespace() || c == '/') {
            let Some(name) = bare[i + 1..].strip_prefix("on") else {
                continue;
            };
            let name: String = name.chars().take_while(char::is_ascii_alphabetic).collect();
            let after = bare[i + 3 + name.len()..].trim_start();
            assert!(
                name.is_empty() || !after.starts_with('='),
                "event handler in {html:?}"
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok((coe, _)) = coe::content::parse(text, "2024/x.md", "content/2024/x.md") {
        for s in &coe.sections {
            assert_inert(&s.html);
        }
        for e in &coe.timeline {
            assert_inert(&e.html);
        }
    }
});
