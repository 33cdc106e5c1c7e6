//! A YAML value that remembers where each node is, so that a bad value in front matter
//! is reported at its own line and column rather than at the start of the file.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<SNode>),
    Map(Vec<(String, SNode)>),
}

/// A node with its 1-based line and column inside the YAML text (0 when unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct SNode {
    pub node: Node,
    pub line: usize,
    pub column: usize,
}

impl Node {
    /// What a scalar looks like to a person, for messages and for string-typed fields.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Node::Str(s) => Some(s.clone()),
            Node::Int(i) => Some(i.to_string()),
            Node::Float(f) => Some(f.to_string()),
            Node::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "nothing",
            Node::Bool(_) => "a boolean",
            Node::Int(_) | Node::Float(_) => "a number",
            Node::Str(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => Value::from(*i),
            Node::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Node::Str(s) => Value::String(s.clone()),
            Node::Seq(items) => Value::Array(items.iter().map(|n| n.node.to_json()).collect()),
            Node::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.node.to_json()))
                    .collect(),
            ),
        }
    }
}

impl<'de> Deserialize<'de> for SNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Node>::deserialize(d)?;
        Ok(SNode {
            node: spanned.value,
            line: spanned.referenced.line() as usize,
            column: spanned.referenced.column() as usize,
        })
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(i64::try_from(v)
            .map(Node::Int)
            .unwrap_or(Node::Float(v as f64)))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Node, E> {
        Ok(i64::try_from(v)
            .map(Node::Int)
            .unwrap_or(Node::Str(v.to_string())))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Node, E> {
        Ok(i64::try_from(v)
            .map(Node::Int)
            .unwrap_or(Node::Str(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Node, E> {
        Ok(Node::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<SNode>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<(String, SNode)> = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let key = key.scalar_text().unwrap_or_else(|| "?".to_owned());
            let value = map.next_value::<SNode>()?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

/// A YAML syntax error, located inside the YAML text.
#[derive(Debug)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The two readings of a document, for the fuzz target that checks they agree: the event fast
/// path's (`None` when it leaves the document to serde-saphyr) and serde-saphyr's.
#[doc(hidden)]
pub fn both_readings(text: &str) -> (Option<SNode>, Option<SNode>) {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    (
        super::yaml_events::parse(text),
        serde_saphyr::from_str_with_options::<SNode>(text, options).ok(),
    )
}

/// Parses YAML with strict booleans (`no` stays the string "no") and alias budgets.
pub fn parse(text: &str) -> Result<SNode, YamlError> {
    if text.trim().is_empty() {
        return Ok(SNode {
            node: Node::Map(Vec::new()),
            line: 1,
            column: 1,
        });
    }
    if let Some(node) = super::yaml_events::parse(text) {
        return Ok(node);
    }
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    serde_saphyr::from_str_with_options::<SNode>(text, options).map_err(|e| {
        let (line, column) = e
            .location()
            .map_or((0, 0), |l| (l.line() as usize, l.column() as usize));
        let message = first_line(&e.without_snippet().to_string());
        YamlError {
            line,
            column,
            message,
        }
    })
}

fn first_line(s: &str) -> String {
    let line = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("invalid YAML")
        .trim();
    // saphyr appends its own position (inside the YAML block); ours is printed separately.
    match line.find(" at line ") {
        Some(i) => line[..i].to_owned(),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions_and_strings() {
        let n = parse("a: no\nb:\n  - 1\n  - x: 2\n").expect("valid");
        let Node::Map(entries) = n.node else {
            panic!("map")
        };
        assert_eq!(entries[0].1.node, Node::Str("no".into()));
        assert_eq!((entries[0].1.line, entries[0].1.column), (1, 4));
        let Node::Seq(items) = &entries[1].1.node else {
            panic!("seq")
        };
        assert_eq!(items[1].line, 4);
    }

    #[test]
    fn syntax_error_has_location() {
        let e = parse("a: [1, 2\nb: c\n").expect_err("broken");
        assert!(e.line >= 1, "{e:?}");
    }
}
