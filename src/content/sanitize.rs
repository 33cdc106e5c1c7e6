//! COE bodies are untrusted: every piece of HTML from Markdown goes through ammonia.

use std::collections::HashSet;
use std::sync::OnceLock;

fn builder() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        // Footnotes and task lists as pulldown-cmark writes them.
        b.add_tags(["input"]);
        b.add_tag_attributes("input", ["type", "checked", "disabled"]);
        b.add_tag_attributes("div", ["id"]);
        b.add_tag_attributes("li", ["id"]);
        b.add_tag_attributes("th", ["align"]);
        b.add_tag_attributes("td", ["align"]);
        b.add_allowed_classes("div", ["footnote-definition"]);
        b.add_allowed_classes("sup", ["footnote-reference", "footnote-definition-label"]);
        b.attribute_filter(|element, attribute, value| {
            if element == "input" && attribute == "type" && value != "checkbox" {
                return None;
            }
            Some(value.into())
        });
        b.link_rel(Some("noopener noreferrer"));
        b.url_schemes(HashSet::from(["http", "https", "mailto", "ftp", "tel"]));
        b
    })
}

/// Cleans a fragment of HTML: scripts, event handlers, styles and `javascript:` URLs go.
pub fn clean(html: &str) -> String {
    builder().clean(html).to_string()
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn hostile_html_is_neutralised() {
        let out = clean(
            r#"<script>alert(1)</script><a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)>"#,
        );
        assert!(!out.contains("<script"));
        assert!(!out.contains("javascript:"));
        assert!(!out.contains("onerror"));
    }

    #[test]
    fn task_lists_survive() {
        let out = clean(r#"<input disabled="" type="checkbox" checked=""/>"#);
        assert!(out.contains("checkbox"), "{out}");
    }
}
