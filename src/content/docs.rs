//! Where the format reference (`docs/format.md`) explains a problem found in a COE: the anchor
//! of its section, from the diagnostic's message. `coe build` prints it under the message and
//! `coe check` puts it in the hint, so every error leads to the rule it broke.

/// Front-matter fields with a section of their own (the anchor is the field's name).
const FIELDS: [&str; 20] = [
    "title",
    "id",
    "date",
    "published",
    "status",
    "severity",
    "summary",
    "services",
    "tags",
    "root_cause",
    "team",
    "authors",
    "reviewers",
    "started",
    "detected",
    "mitigated",
    "resolved",
    "customer_impact",
    "related",
    "action_items",
];

/// Other spellings a message may start with, and the field they are documented under.
const ALIASES: [(&str, &str); 5] = [
    ("root_causes", "root_cause"),
    ("root-cause", "root_cause"),
    ("teams", "team"),
    ("author", "authors"),
    ("reviewer", "reviewers"),
];

/// Messages about the body, by how they start or what they say, and their section.
const BODY: [(&str, &str); 9] = [
    ("no title", "title"),
    ("no date", "date"),
    ("missing recommended sections", "section-names"),
    ("no `", "timestamp-formats"),
    ("link to", "links-between-coes"),
    ("points outside content/", "markdown-html-and-images"),
    ("no file", "markdown-html-and-images"),
    ("timeline", "timeline"),
    ("front matter", "front-matter"),
];

/// The anchor in `docs/format.md` that explains `message`, if one does.
pub fn section_for(message: &str) -> Option<&'static str> {
    let field: String = message
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    let field = ALIASES
        .iter()
        .find(|(alias, _)| *alias == field)
        .map_or(field.as_str(), |(_, name)| name);
    if let Some(known) = FIELDS.iter().find(|f| **f == field) {
        return Some(known);
    }
    if let Some((_, anchor)) = BODY
        .iter()
        .find(|(start, _)| message.starts_with(start) || message.contains(start))
    {
        return Some(anchor);
    }
    message.contains("YAML").then_some("front-matter")
}

#[cfg(test)]
mod tests {
    use super::section_for;

    #[test]
    fn messages_lead_to_their_section() {
        assert_eq!(
            section_for("severity: expected SEV1..SEV5"),
            Some("severity")
        );
        assert_eq!(section_for("teams: expected a list"), Some("team"));
        assert_eq!(
            section_for("no title: expected a `title:` field"),
            Some("title")
        );
        assert_eq!(
            section_for("missing recommended sections: Five Whys"),
            Some("section-names")
        );
        assert_eq!(
            section_for("link to \"x.md\": no COE file at content/x.md"),
            Some("links-between-coes")
        );
        assert_eq!(section_for("bad YAML at the colon"), Some("front-matter"));
        assert_eq!(section_for("something else entirely"), None);
    }

    /// Every anchor named here is a heading of docs/format.md.
    #[test]
    fn every_anchor_exists_in_the_format_reference() {
        let doc = include_str!("../../docs/format.md");
        let anchors: Vec<String> = doc
            .lines()
            .filter(|l| l.starts_with('#'))
            .map(|l| {
                l.trim_start_matches('#')
                    .trim()
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                    .map(|c| if c == ' ' { '-' } else { c })
                    .collect()
            })
            .collect();
        let named = super::FIELDS
            .iter()
            .chain(super::BODY.iter().map(|(_, a)| a))
            .chain(
                [
                    "section-names",
                    "days",
                    "five-whys",
                    "action-items",
                    "action-items-in-the-body",
                    "metadata-in-the-body",
                ]
                .iter(),
            );
        for a in named {
            assert!(
                anchors.iter().any(|h| h == a),
                "no heading for #{a} in docs/format.md"
            );
        }
    }
}
