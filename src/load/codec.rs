//! A compact binary codec for a parsed COE and its warnings, for the parse cache.
//!
//! An encoding is two parts: the data (LEB128 varints, signed ones zigzag-encoded; lengths of
//! strings and sequences; one tag byte per `Option` and enum) and then the bytes of every
//! string, one after the other. The strings are checked to be UTF-8 once for the whole
//! encoding (per-string checks were a quarter of the decoding time), then each is cut out of
//! them by its length. Decoding checks every length and tag and returns `None` on bad bytes:
//! it never panics, whatever the cache file holds.
//! Every field is encoded, `#[serde(skip)]` ones included: a decoded COE equals a fresh parse.
//! A derive-based codec (bitcode) was slower to decode and encode, for blobs 0.6 % smaller, and
//! not shorter: docs/performance.md (issue 15).

use crate::content::body_meta::BodyField;
use crate::content::front_matter::{ActionItem, ItemStatus, Located, Priority, Status};
use crate::content::markdown::{Attachment, FileLink, Section, SectionKind, Why};
use crate::content::timeline::Event;
use crate::content::{Coe, ItemsSource};
use crate::diag::{Diagnostic, Level};
use jiff::Timestamp;
use jiff::civil::Date;
use std::collections::BTreeMap;

/// A parse as the cache stores it: the COE and its warnings.
pub type Parse = (Coe, Vec<Diagnostic>);

pub fn encode_parse(parse: &Parse) -> Vec<u8> {
    let mut w = Writer::default();
    parse.encode(&mut w);
    w.finish()
}

/// `None` when the bytes are not exactly one encoded parse.
pub fn decode_parse(bytes: &[u8]) -> Option<Parse> {
    let mut r = Reader::new(bytes)?;
    let parse = Parse::decode(&mut r)?;
    r.is_empty().then_some(parse)
}

#[derive(Default)]
pub struct Writer {
    data: Vec<u8>,
    text: String,
}

/// Appends `v` as a LEB128 varint (7 bits a byte, low bits first). Also the encoding of the
/// static search index's postings (`search::export`).
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

impl Writer {
    pub fn byte(&mut self, b: u8) {
        self.data.push(b);
    }

    pub fn varint(&mut self, v: u64) {
        put_varint(&mut self.data, v);
    }

    pub fn u64_le(&mut self, v: u64) {
        self.data.extend_from_slice(&v.to_le_bytes());
    }

    pub fn str(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.text.push_str(s);
    }

    /// The encoding: the data's length, the data, the strings.
    pub fn finish(self) -> Vec<u8> {
        let mut out = Writer {
            data: Vec::with_capacity(self.data.len() + self.text.len() + 10),
            text: String::new(),
        };
        out.varint(self.data.len() as u64);
        out.data.extend_from_slice(&self.data);
        out.data.extend_from_slice(self.text.as_bytes());
        out.data
    }
}

/// What is left to read of an encoding.
pub struct Reader<'a> {
    data: &'a [u8],
    text: &'a str,
}

impl<'a> Reader<'a> {
    /// `None` when `bytes` is not framed as `Writer::finish` frames it.
    pub fn new(bytes: &'a [u8]) -> Option<Self> {
        let mut r = Reader {
            data: bytes,
            text: "",
        };
        let n = usize::try_from(r.varint()?).ok()?;
        let (data, text) = (r.data.get(..n)?, r.data.get(n..)?);
        Some(Reader {
            data,
            text: std::str::from_utf8(text).ok()?,
        })
    }

    /// Everything was read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty() && self.text.is_empty()
    }

    pub fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }

    pub fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    pub fn u64_le(&mut self) -> Option<u64> {
        let (head, rest) = self.data.split_first_chunk::<8>()?;
        self.data = rest;
        Some(u64::from_le_bytes(*head))
    }

    pub fn str(&mut self) -> Option<&'a str> {
        let n = usize::try_from(self.varint()?).ok()?;
        // `get` is `None` past the end or inside a character: no panic on bad lengths.
        let s = self.text.get(..n)?;
        self.text = self.text.get(n..)?;
        Some(s)
    }

    /// An upper bound on how many more items can be read (each takes at least one data byte):
    /// a corrupt length cannot make a decoder allocate more than that.
    fn room(&self) -> usize {
        self.data.len()
    }
}

pub trait Encode {
    fn encode(&self, w: &mut Writer);
}

pub trait Decode: Sized {
    fn decode(r: &mut Reader) -> Option<Self>;
}

impl Encode for u64 {
    fn encode(&self, w: &mut Writer) {
        w.varint(*self);
    }
}

impl Decode for u64 {
    fn decode(r: &mut Reader) -> Option<Self> {
        r.varint()
    }
}

impl Encode for usize {
    fn encode(&self, w: &mut Writer) {
        w.varint(*self as u64);
    }
}

impl Decode for usize {
    fn decode(r: &mut Reader) -> Option<Self> {
        usize::try_from(r.varint()?).ok()
    }
}

impl Encode for u8 {
    fn encode(&self, w: &mut Writer) {
        w.byte(*self);
    }
}

impl Decode for u8 {
    fn decode(r: &mut Reader) -> Option<Self> {
        r.byte()
    }
}

/// Zigzag: small negative numbers stay small.
impl Encode for i64 {
    fn encode(&self, w: &mut Writer) {
        w.varint(((self << 1) ^ (self >> 63)) as u64);
    }
}

impl Decode for i64 {
    fn decode(r: &mut Reader) -> Option<Self> {
        let v = r.varint()?;
        Some((v >> 1) as i64 ^ -((v & 1) as i64))
    }
}

impl Encode for bool {
    fn encode(&self, w: &mut Writer) {
        w.byte(u8::from(*self));
    }
}

impl Decode for bool {
    fn decode(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl Encode for String {
    fn encode(&self, w: &mut Writer) {
        w.str(self);
    }
}

impl Decode for String {
    fn decode(r: &mut Reader) -> Option<Self> {
        r.str().map(str::to_owned)
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encode(&self, w: &mut Writer) {
        match self {
            None => w.byte(0),
            Some(v) => {
                w.byte(1);
                v.encode(w);
            }
        }
    }
}

impl<T: Decode> Decode for Option<T> {
    fn decode(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(None),
            1 => Some(Some(T::decode(r)?)),
            _ => None,
        }
    }
}

impl<T: Encode> Encode for Vec<T> {
    fn encode(&self, w: &mut Writer) {
        w.varint(self.len() as u64);
        for v in self {
            v.encode(w);
        }
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(r: &mut Reader) -> Option<Self> {
        let n = usize::decode(r)?;
        let mut v = Vec::with_capacity(n.min(r.room()));
        for _ in 0..n {
            v.push(T::decode(r)?);
        }
        Some(v)
    }
}

impl<A: Encode, B: Encode> Encode for (A, B) {
    fn encode(&self, w: &mut Writer) {
        self.0.encode(w);
        self.1.encode(w);
    }
}

impl<A: Decode, B: Decode> Decode for (A, B) {
    fn decode(r: &mut Reader) -> Option<Self> {
        Some((A::decode(r)?, B::decode(r)?))
    }
}

impl<V: Encode> Encode for BTreeMap<String, V> {
    fn encode(&self, w: &mut Writer) {
        w.varint(self.len() as u64);
        for (k, v) in self {
            k.encode(w);
            v.encode(w);
        }
    }
}

impl<V: Decode> Decode for BTreeMap<String, V> {
    fn decode(r: &mut Reader) -> Option<Self> {
        let n = usize::decode(r)?;
        let mut map = BTreeMap::new();
        for _ in 0..n {
            let k = String::decode(r)?;
            map.insert(k, V::decode(r)?);
        }
        (map.len() == n).then_some(map)
    }
}

/// By hand rather than as JSON text: a float's bits survive exactly, and whether a number was
/// an integer or a float (`1` vs `1.0`) too.
impl Encode for serde_json::Value {
    fn encode(&self, w: &mut Writer) {
        use serde_json::Value;
        match self {
            Value::Null => w.byte(0),
            Value::Bool(b) => {
                w.byte(1);
                b.encode(w);
            }
            Value::Number(n) => {
                if let Some(u) = n.as_u64() {
                    w.byte(2);
                    u.encode(w);
                } else if let Some(i) = n.as_i64() {
                    w.byte(3);
                    i.encode(w);
                } else {
                    w.byte(4);
                    w.u64_le(n.as_f64().unwrap_or(f64::NAN).to_bits());
                }
            }
            Value::String(s) => {
                w.byte(5);
                s.encode(w);
            }
            Value::Array(items) => {
                w.byte(6);
                items.encode(w);
            }
            Value::Object(map) => {
                w.byte(7);
                w.varint(map.len() as u64);
                for (k, v) in map {
                    k.encode(w);
                    v.encode(w);
                }
            }
        }
    }
}

impl Decode for serde_json::Value {
    fn decode(r: &mut Reader) -> Option<Self> {
        use serde_json::{Map, Number, Value};
        Some(match r.byte()? {
            0 => Value::Null,
            1 => Value::Bool(bool::decode(r)?),
            2 => Value::Number(Number::from(u64::decode(r)?)),
            3 => Value::Number(Number::from(i64::decode(r)?)),
            4 => Value::Number(Number::from_f64(f64::from_bits(r.u64_le()?))?),
            5 => Value::String(String::decode(r)?),
            6 => Value::Array(Vec::decode(r)?),
            7 => {
                let n = usize::decode(r)?;
                let mut map = Map::new();
                for _ in 0..n {
                    let k = String::decode(r)?;
                    map.insert(k, Value::decode(r)?);
                }
                Value::Object(map)
            }
            _ => return None,
        })
    }
}

impl Encode for Date {
    fn encode(&self, w: &mut Writer) {
        i64::from(self.year()).encode(w);
        w.byte(self.month() as u8);
        w.byte(self.day() as u8);
    }
}

impl Decode for Date {
    fn decode(r: &mut Reader) -> Option<Self> {
        let year = i16::try_from(i64::decode(r)?).ok()?;
        let month = i8::try_from(r.byte()?).ok()?;
        let day = i8::try_from(r.byte()?).ok()?;
        Date::new(year, month, day).ok()
    }
}

impl Encode for Timestamp {
    fn encode(&self, w: &mut Writer) {
        self.as_second().encode(w);
        i64::from(self.subsec_nanosecond()).encode(w);
    }
}

impl Decode for Timestamp {
    fn decode(r: &mut Reader) -> Option<Self> {
        let seconds = i64::decode(r)?;
        let nanos = i32::try_from(i64::decode(r)?).ok()?;
        Timestamp::new(seconds, nanos).ok()
    }
}

/// Fieldless enums as one byte: their variants in order.
macro_rules! enum_codec {
    ($t:ty: $($variant:path),+ $(,)?) => {
        impl Encode for $t {
            fn encode(&self, w: &mut Writer) {
                let all = [$($variant),+];
                let i = all.iter().position(|v| v == self).unwrap_or(0);
                w.byte(i as u8);
            }
        }

        impl Decode for $t {
            fn decode(r: &mut Reader) -> Option<Self> {
                [$($variant),+].get(usize::from(r.byte()?)).copied()
            }
        }
    };
}

enum_codec!(Status: Status::Draft, Status::InReview, Status::Published);
enum_codec!(
    ItemStatus: ItemStatus::Open,
    ItemStatus::InProgress,
    ItemStatus::Done,
    ItemStatus::WontDo,
);
enum_codec!(Priority: Priority::High, Priority::Medium, Priority::Low);
enum_codec!(ItemsSource: ItemsSource::FrontMatter, ItemsSource::Body);
enum_codec!(Level: Level::Error, Level::Warning);
enum_codec!(
    SectionKind: SectionKind::Summary,
    SectionKind::Impact,
    SectionKind::Timeline,
    SectionKind::Metrics,
    SectionKind::IncidentQuestions,
    SectionKind::FiveWhys,
    SectionKind::RootCause,
    SectionKind::LessonsLearned,
    SectionKind::ActionItems,
    SectionKind::Related,
);

/// Structs field by field. Destructuring in `encode` makes a new field a compile error here,
/// so the codec cannot silently drop it.
macro_rules! struct_codec {
    ($t:ident { $($field:ident),+ $(,)? }) => {
        impl Encode for $t {
            fn encode(&self, w: &mut Writer) {
                let $t { $($field),+ } = self;
                $($field.encode(w);)+
            }
        }

        impl Decode for $t {
            fn decode(r: &mut Reader) -> Option<Self> {
                Some($t { $($field: Decode::decode(r)?),+ })
            }
        }
    };
}

struct_codec!(Diagnostic {
    level,
    path,
    line,
    column,
    message
});
struct_codec!(ActionItem {
    title,
    owner,
    due,
    status,
    priority,
    ticket,
    closed,
    line,
    extra,
});
struct_codec!(Section {
    title,
    id,
    kind,
    html,
    text,
    items,
    line
});
struct_codec!(Why { question, answer });
struct_codec!(BodyField { field, value, line });
struct_codec!(FileLink { target, line });
struct_codec!(Attachment {
    target,
    line,
    column
});
struct_codec!(Event {
    day,
    time,
    utc,
    at,
    html
});
struct_codec!(Coe {
    source,
    display_path,
    id,
    slug,
    title,
    date,
    published,
    status,
    severity,
    summary,
    services,
    tags,
    root_causes,
    teams,
    authors,
    reviewers,
    started,
    detected,
    mitigated,
    resolved,
    customer_impact,
    action_items,
    action_items_source,
    body_metadata,
    related,
    extra,
    sections,
    timeline,
    whys,
    links,
    attachments,
});

impl Encode for Located<String> {
    fn encode(&self, w: &mut Writer) {
        let Located {
            value,
            line,
            column,
        } = self;
        value.encode(w);
        line.encode(w);
        column.encode(w);
    }
}

impl Decode for Located<String> {
    fn decode(r: &mut Reader) -> Option<Self> {
        Some(Located {
            value: String::decode(r)?,
            line: usize::decode(r)?,
            column: usize::decode(r)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_sample(rel: &str) -> Option<Parse> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("content")
            .join(rel);
        crate::content::load_file(&path, rel, &format!("content/{rel}")).ok()
    }

    #[test]
    fn every_sample_coe_round_trips_equal_to_its_fresh_parse() {
        let content = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
        let files = crate::load::find_files(&content, &mut Vec::new());
        assert!(files.len() >= 10, "the sample library: {}", files.len());
        let mut checked = 0;
        for (_, rel) in &files {
            let Some(parse) = parse_sample(rel) else {
                continue;
            };
            let bytes = encode_parse(&parse);
            let decoded = decode_parse(&bytes).unwrap_or_else(|| panic!("{rel} decodes"));
            assert_eq!(format!("{decoded:?}"), format!("{parse:?}"), "{rel}");
            checked += 1;
        }
        assert!(checked >= 10, "{checked} COEs parsed");
    }

    #[test]
    fn skipped_fields_and_odd_values_survive() {
        let (mut coe, mut warnings) = parse_sample("2024/COE-2024-017.md").expect("sample");
        assert!(coe.sections.iter().any(|s| !s.text.is_empty()));
        assert!(coe.timeline.iter().any(|e| e.at.is_some()));
        coe.sections[0].items = vec![("Heading".into(), "item é ✓".into())];
        coe.extra.insert(
            "x".into(),
            serde_json::json!({"f": 0.1, "neg": -3, "big": u64::MAX, "one": 1.0, "a": [null, true, "s"]}),
        );
        coe.date = Date::constant(-9999, 1, 1);
        coe.started = Some(Timestamp::new(-5, -7).expect("ts"));
        warnings.push(Diagnostic::error("p", usize::MAX, 0, ""));
        let parse = (coe, warnings);
        let decoded = decode_parse(&encode_parse(&parse)).expect("decodes");
        assert_eq!(format!("{decoded:?}"), format!("{parse:?}"));
        assert_eq!(decoded.0.extra, parse.0.extra);
    }

    #[test]
    fn body_action_items_and_metadata_round_trip() {
        let text = "# Outage\n\n**Date:** March 14, 2024\nSeverity: SEV2\n\n## Action Items\n\n- [x] Add a canary @ana due 2024-04-01 (OPS-1)\n\n| Action | Owner | Type |\n|---|---|---|\n| Pin the image | bo | prevent |\n";
        let parse = crate::content::parse(text, "x.md", "content/x.md").expect("parses");
        assert_eq!(parse.0.action_items_source, ItemsSource::Body);
        assert_eq!(parse.0.action_items.len(), 2);
        assert_eq!(parse.0.body_metadata.len(), 2);
        let decoded = decode_parse(&encode_parse(&parse)).expect("decodes");
        assert_eq!(format!("{decoded:?}"), format!("{parse:?}"));
    }

    #[test]
    fn truncated_or_garbage_bytes_decode_to_none() {
        let parse = parse_sample("2024/COE-2024-017.md").expect("sample");
        let bytes = encode_parse(&parse);
        for n in 0..bytes.len() {
            assert!(decode_parse(&bytes[..n]).is_none(), "truncated to {n}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_parse(&longer).is_none(), "trailing bytes");
        // Pseudo-random garbage, and every single byte of a good encoding overwritten: never
        // a panic (most of these are None; a flipped byte inside a string may still decode).
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for len in [0, 1, 7, 100, 10_000] {
            let garbage: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let _ = decode_parse(&garbage);
        }
        for i in 0..bytes.len() {
            for v in [0x00, 0x7f, 0xff] {
                let mut bad = bytes.clone();
                bad[i] = v;
                let _ = decode_parse(&bad);
            }
        }
        assert!(decode_parse(&[0xff; 64]).is_none());
    }
}
