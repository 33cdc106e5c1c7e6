//! The common shape of front matter read straight from the YAML parser's events, without
//! serde-saphyr's deserializer on top: that layer (spans carried through serde, a typed-scalar
//! probe for every value) was about half of the time spent on front matter, which took as
//! long as all the Markdown bodies together (1.2–2.1 s for 10,000 COEs on one core).
//!
//! Only what this module is sure it reads the same way is read here: mappings with scalar
//! keys, sequences, quoted and block scalars, and plain scalars that are plainly text
//! (`2024-03-14`, `SEV2`, `checkout failed`) or small decimal integers. Anything else (anchors,
//! aliases, tags, merge keys, duplicate keys, other number or boolean spellings, syntax errors)
//! returns `None`, and the caller parses the document with serde-saphyr, which decides those
//! cases and words the errors. A test checks that both readings agree.

use super::yaml::{Node, SNode};
use granit_parser::{Event, Parser, ScalarStyle, Span};

/// The document, when it only uses what this module reads; `None` otherwise.
pub fn parse(text: &str) -> Option<SNode> {
    let mut events = Parser::new_from_str(text);
    let mut next = || loop {
        match events.next()? {
            Ok((Event::Comment(..), _)) => continue,
            Ok(event) => return Some(event),
            Err(_) => return None,
        }
    };
    if !matches!(next()?, (Event::StreamStart, _))
        || !matches!(next()?, (Event::DocumentStart(..), _))
    {
        return None;
    }
    let first = next()?;
    let root = node(first, &mut next, 0)?;
    if !matches!(next()?, (Event::DocumentEnd, _)) || !matches!(next()?, (Event::StreamEnd, _)) {
        return None;
    }
    Some(root)
}

/// Front matter is shallow; deeper nesting is left to serde-saphyr (and its limits).
const MAX_DEPTH: usize = 32;

fn node<'a>(
    (event, span): (Event<'a>, Span),
    next: &mut impl FnMut() -> Option<(Event<'a>, Span)>,
    depth: usize,
) -> Option<SNode> {
    if depth > MAX_DEPTH {
        return None;
    }
    let at = |node| {
        Some(SNode {
            node,
            line: span.start.line(),
            column: span.start.col() + 1,
        })
    };
    match event {
        Event::Scalar(value, style, 0, None) => at(scalar(&value, style)?),
        Event::SequenceStart(_, 0, None) => {
            let mut items = Vec::new();
            loop {
                match next()? {
                    (Event::SequenceEnd, _) => break,
                    item => items.push(node(item, next, depth + 1)?),
                }
            }
            at(Node::Seq(items))
        }
        Event::MappingStart(_, 0, None) => {
            let mut entries: Vec<(String, SNode)> = Vec::new();
            loop {
                let key = match next()? {
                    (Event::MappingEnd, _) => break,
                    (Event::Scalar(key, style, 0, None), _) => {
                        scalar(&key, style)?.scalar_text()?
                    }
                    _ => return None,
                };
                // Merge keys and duplicates: serde-saphyr's rules (and messages) apply.
                if key == "<<" || entries.iter().any(|(k, _)| *k == key) {
                    return None;
                }
                let value = node(next()?, next, depth + 1)?;
                entries.push((key, value));
            }
            at(Node::Map(entries))
        }
        _ => None,
    }
}

/// A scalar's value, when it is certain: quoted and block scalars are text; a plain one is
/// null, a boolean, a small integer or text by the YAML 1.2 core schema with strict booleans.
fn scalar(value: &str, style: ScalarStyle) -> Option<Node> {
    if !matches!(style, ScalarStyle::Plain) {
        return Some(Node::Str(value.to_owned()));
    }
    match value {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Node::Null),
        "true" | "True" | "TRUE" => return Some(Node::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Node::Bool(false)),
        _ => {}
    }
    let bytes = value.as_bytes();
    let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
    if !digits.is_empty()
        && digits.len() <= 18
        && digits.iter().all(u8::is_ascii_digit)
        && (digits[0] != b'0' || digits.len() == 1)
    {
        return value.parse().ok().map(Node::Int);
    }
    plainly_text(value).then(|| Node::Str(value.to_owned()))
}

/// Whether no number reading (decimal, hexadecimal, octal, binary, float, `.inf`, `nan`,
/// with signs, underscores or exponents) could apply: a character no number has, a sign or
/// dash inside that does not follow an exponent, or a word that starts with a letter and is
/// not one of the float words.
fn plainly_text(value: &str) -> bool {
    let bytes = value.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    let numeric_char = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.' | b'_');
    if !bytes.iter().all(numeric_char) {
        return true;
    }
    let inner_sign = bytes
        .iter()
        .enumerate()
        .skip(1)
        .any(|(i, b)| matches!(b, b'+' | b'-') && !matches!(bytes[i - 1], b'e' | b'E'));
    if inner_sign {
        return true;
    }
    if first.is_ascii_alphabetic() {
        let lower = value.to_ascii_lowercase();
        return !matches!(lower.as_str(), "inf" | "infinity" | "nan");
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde-saphyr's reading, the reference.
    fn reference(text: &str) -> Option<SNode> {
        let mut options = serde_saphyr::Options::default();
        options.strict_booleans = true;
        serde_saphyr::from_str_with_options::<SNode>(text, options).ok()
    }

    fn agrees(text: &str) {
        if let Some(fast) = parse(text) {
            assert_eq!(Some(fast), reference(text), "{text}");
        }
    }

    #[test]
    fn reads_every_sample_and_fixture_front_matter_as_serde_saphyr_does() {
        let mut read = 0;
        let mut files = 0;
        for dir in ["content", "tests/fixtures"] {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
                if entry.path().extension().is_none_or(|e| e != "md") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(entry.path()) else {
                    continue;
                };
                let Ok(split) = super::super::front_matter::split(&text) else {
                    continue;
                };
                let Some(yaml) = split.yaml else { continue };
                files += 1;
                if let Some(fast) = parse(yaml) {
                    read += 1;
                    assert_eq!(Some(fast), reference(yaml), "{}", entry.path().display());
                }
            }
        }
        // The sample library is the common case: all of it is read here.
        assert!(files > 30 && read * 10 >= files * 8, "{read} of {files}");
    }

    #[test]
    fn agrees_on_scalars_that_look_like_other_types() {
        for value in [
            "2024-03-14",
            "2024-03-14 09:21",
            "2024-03-14T09:21:00Z",
            "SEV2",
            "2",
            "-7",
            "007",
            "0",
            "1_000",
            "0x1F",
            "0o17",
            "0b101",
            "1e3",
            "1.5",
            "-.5",
            ".inf",
            "-.inf",
            ".nan",
            "inf",
            "Infinity",
            "nan",
            "NaN",
            "yes",
            "no",
            "on",
            "off",
            "true",
            "False",
            "null",
            "~",
            "",
            "12345678901234567890",
            "-9223372036854775808",
            "1-2",
            "e-1",
            "a.b_c",
            "v1.2.3",
            "+1",
            "'quoted'",
            "\"2\"",
            "|\n  block\n  text",
            "[a, 2, true]",
            "{a: 1}",
        ] {
            agrees(&format!("key: {value}\n"));
        }
    }

    #[test]
    fn leaves_what_it_does_not_read_to_serde_saphyr() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 2\n",
            "a: 1\na: 2\n",
            "base: &b {x: 1}\nc:\n  <<: *b\n",
            "a: [1, 2\n",
            "? [a, b]\n: c\n",
            "a: 1.5\n",
            "--- a\n--- b\n",
        ] {
            assert!(parse(text).is_none(), "{text}");
        }
        agrees("a: b # a comment\n# another\nc: [d, e]\n");
    }

    #[test]
    fn keeps_positions() {
        let text = "title: x\naction_items:\n  - title: y\n    due: 2024-01-02\n";
        assert_eq!(parse(text), reference(text));
        let Some(SNode {
            node: Node::Map(entries),
            ..
        }) = parse(text)
        else {
            panic!("map")
        };
        assert_eq!((entries[0].1.line, entries[0].1.column), (1, 8));
    }
}
