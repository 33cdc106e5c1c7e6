//! The JSON Schema of a COE's front matter (`coe schema`, committed as `docs/coe.schema.json`),
//! for editors: completion, hover text and red squiggles while writing a COE. It is made from
//! the same spelling lists the parser uses (`content::front_matter`), and rejects what
//! `coe build` rejects (a severity of `urgent`, tags written as a mapping, an action item
//! without a title); unknown fields are allowed, as the build keeps them.

use crate::content::front_matter as fm;
use serde_json::{Value, json};

/// A regular expression (ECMA-262 and Rust alike, no flags) for a text whose letters and
/// digits, lowercased, are one of `spellings` (what `front_matter::normal` compares).
fn spelled(spellings: &[&str]) -> String {
    let skip = "[^A-Za-z0-9]*";
    let words: Vec<String> = spellings
        .iter()
        .map(|w| {
            w.chars()
                .map(|c| {
                    if c.is_ascii_alphabetic() {
                        format!("[{}{}]{skip}", c.to_ascii_uppercase(), c)
                    } else {
                        format!("{c}{skip}")
                    }
                })
                .collect()
        })
        .collect();
    format!("^{skip}({})$", words.join("|"))
}

fn one_of_spellings(description: &str, groups: &[&[&str]]) -> Value {
    let all: Vec<&str> = groups.iter().flat_map(|g| g.iter().copied()).collect();
    json!({
        "description": description,
        "anyOf": [
            { "type": "string", "pattern": spelled(&all) },
            { "type": "null" }
        ]
    })
}

fn text(description: &str) -> Value {
    json!({ "description": description, "type": ["string", "number", "boolean", "null"] })
}

fn date(description: &str) -> Value {
    json!({
        "description": description,
        "anyOf": [
            { "type": "string", "pattern": "^\\s*\\d{4}-\\d{2}-\\d{2}" },
            { "type": "null" }
        ]
    })
}

fn list(description: &str) -> Value {
    json!({
        "description": description,
        "anyOf": [
            { "type": "array", "items": { "type": ["string", "number", "boolean", "null"] } },
            { "type": ["string", "number", "null"] }
        ]
    })
}

/// The schema, as JSON.
pub fn front_matter() -> Value {
    let severity = json!({
        "description": "How bad it was: SEV1 (worst) to SEV5; sev2, Sev 2 and 2 mean SEV2. Empty, unrated or none: unrated. docs/format.md#severity",
        "anyOf": [
            { "type": "integer", "minimum": 1, "maximum": 5 },
            { "type": "string", "pattern": "^[^A-Za-z0-9]*([Ss][^A-Za-z0-9]*[Ee][^A-Za-z0-9]*[Vv][^A-Za-z0-9]*)?[1-5][^A-Za-z0-9]*$" },
            { "type": "string", "pattern": spelled(&["unrated", "none", ""]) },
            { "type": "null" }
        ]
    });
    let item = json!({
        "type": "object",
        "required": ["title"],
        "properties": {
            "title": { "description": "What will exist or be changed when this is done.", "type": ["string", "number"] },
            "owner": text("The one person or team who answers for it."),
            "due": date("When it is due: YYYY-MM-DD."),
            "closed": date("The day it was done: YYYY-MM-DD."),
            "ticket": text("A ticket id (OPS-1234) or URL."),
            "status": one_of_spellings(
                "open, in-progress, done or wont-do. docs/format.md#action-item-status",
                &[fm::ITEM_OPEN, fm::ITEM_IN_PROGRESS, fm::ITEM_DONE, fm::ITEM_WONT_DO],
            ),
            "priority": one_of_spellings(
                "high, medium or low (P0-P4 too). docs/format.md#action-item-priority",
                &[fm::PRIORITY_HIGH, fm::PRIORITY_MEDIUM, fm::PRIORITY_LOW, &[""]],
            ),
        }
    });
    let mut properties = serde_json::Map::new();
    let fields = [
        (
            "title",
            text("What failed and how it showed. docs/format.md#title"),
        ),
        (
            "id",
            text(
                "Unique across the library; gives the URL (default: the file name). docs/format.md#id",
            ),
        ),
        (
            "date",
            date("The day the incident started: YYYY-MM-DD. docs/format.md#date"),
        ),
        (
            "published",
            date("The day the COE was published: YYYY-MM-DD. docs/format.md#published"),
        ),
        (
            "status",
            one_of_spellings(
                "draft, in-review or published (default). docs/format.md#status",
                &[fm::STATUS_DRAFT, fm::STATUS_IN_REVIEW, fm::STATUS_PUBLISHED],
            ),
        ),
        ("severity", severity),
        (
            "summary",
            text("One paragraph (default: the first of the Summary section)."),
        ),
        (
            "started",
            date(
                "When the impact began: 2024-03-14T09:02:00Z, 2024-03-14 09:02 UTC... docs/format.md#timestamp-formats",
            ),
        ),
        (
            "detected",
            date("When it was detected. docs/format.md#timestamp-formats"),
        ),
        (
            "mitigated",
            date("When the impact stopped. docs/format.md#timestamp-formats"),
        ),
        (
            "resolved",
            date("When the incident was closed. docs/format.md#timestamp-formats"),
        ),
        (
            "customer_impact",
            text("One line: who was hurt and how much, with a number."),
        ),
        (
            "action_items",
            json!({
                "description": "The corrective actions. docs/format.md#action_items",
                "anyOf": [ { "type": "array", "items": item }, { "type": "null" } ]
            }),
        ),
    ];
    for (name, schema) in fields {
        properties.insert(name.to_owned(), schema);
    }
    for names in fm::LIST_FIELDS {
        for name in *names {
            properties.insert(
                (*name).to_owned(),
                list(&format!(
                    "A list like [a, b] (or one value). docs/format.md#{}",
                    names[0]
                )),
            );
        }
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://coe.example.com/coe.schema.json",
        "title": "COE front matter",
        "description": "The YAML front matter of a COE (Correction of Error) document, as coe reads it. Unknown fields are kept. docs/format.md",
        "type": "object",
        "properties": Value::Object(properties),
    })
}

/// The schema as `coe schema` prints it.
pub fn text_form() -> String {
    let mut s = serde_json::to_string_pretty(&front_matter()).unwrap_or_default();
    s.push('\n');
    s
}
