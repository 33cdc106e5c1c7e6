//! A whole COE file: front matter, Markdown, timeline, five whys, action items (front matter and
//! body). No panic, and no script in any HTML it produces.
#![no_main]
use libfuzzer_sys::fuzz_target;

fn assert_inert(html: &str) {
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "script in {html:?}");
    assert!(!lower.contains("javascript:"), "javascript: URL in {html:?}");
    // An event handler attribute: ` on…=` inside a tag.
    for (i, _) in lower.match_indices(" on") {
        let rest = &lower[i + 3..];
        let name: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
        if !name.is_empty() && rest[name.len()..].trim_start().starts_with('=') {
            let before = &lower[..i];
            let inside_tag = before.rfind('<') > before.rfind('>');
            assert!(!inside_tag, "event handler in {html:?}");
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
