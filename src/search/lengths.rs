//! The numbers BM25F reads besides the postings, defined once for `coe search` and for the
//! browser's index (`search/meta.bin`, `search/index.json`), so the page and the CLI rank
//! with the same inputs (docs/search.md#the-page-and-the-cli):
//!
//! - a term's weighted frequency in a COE, in half units, as the browser's shards store it;
//! - a COE's weighted length (Σ field weight × the field's token count, from tantivy's field
//!   norms), kept as one byte (`ln(len) × 16`), as `meta.bin` stores it;
//! - the average weighted length over the live COEs, added up in integer tenths so that it is
//!   the same whatever order the documents are met in.
//!
//! Scores are computed in `f64` in both places, with the same operations in the same order.

use tantivy::fieldnorm::FieldNormReader;
use tantivy::schema::Field;
use tantivy::{DocId, Searcher};

/// Weighted term frequencies are stored in half units.
pub const TF_SCALE: f32 = 2.0;

/// A weighted term frequency in stored half units (at least one).
pub fn tf_units(tf: f32) -> u64 {
    ((tf * TF_SCALE).round() as u64).max(1)
}

/// The weighted term frequency scoring reads: what the browser gets from the stored units.
pub fn tf(weighted: f32) -> f64 {
    tf_units(weighted) as f64 / f64::from(TF_SCALE)
}

/// A field weight in tenths (every weight is a multiple of 0.1).
fn tenths(weight: f32) -> u64 {
    (f64::from(weight) * 10.0).round() as u64
}

/// A weighted length as one byte: 16 steps per factor e.
pub fn len_byte(len_tenths: u64) -> u8 {
    let len = (len_tenths as f64 / 10.0).max(1.0);
    (len.ln() * 16.0).round().clamp(0.0, 255.0) as u8
}

/// The length a byte stands for, rounded to 1/1024: `exp` differs in its last bit between
/// Rust and JavaScript for 26 of the 256 bytes, the rounded values for none (JS:
/// `Math.round(Math.exp(q / 16) * 1024) / 1024`).
pub fn len_of_byte(q: u8) -> f64 {
    ((f64::from(q) / 16.0).exp() * 1024.0).round() / 1024.0
}

/// One segment's field norms with the weight of their field in tenths.
pub struct Norms(Vec<(FieldNormReader, u64)>);

impl Norms {
    pub fn of(seg: &tantivy::SegmentReader, weighted: &[(Field, f32)]) -> tantivy::Result<Norms> {
        weighted
            .iter()
            .map(|&(field, w)| Ok((seg.get_fieldnorms_reader(field)?, tenths(w))))
            .collect::<tantivy::Result<Vec<_>>>()
            .map(Norms)
    }

    /// Document `d`'s weighted length in tenths.
    pub fn len_tenths(&self, d: DocId) -> u64 {
        self.0
            .iter()
            .map(|(norms, w)| w * u64::from(norms.fieldnorm(d)))
            .sum()
    }
}

/// The average weighted length of the live COEs (1 with none), and the number of live COEs.
pub fn average(searcher: &Searcher, weighted: &[(Field, f32)]) -> tantivy::Result<(f64, u64)> {
    let mut total = 0u64;
    let mut n = 0u64;
    for seg in searcher.segment_readers() {
        let norms = Norms::of(seg, weighted)?;
        for d in 0..seg.max_doc() {
            if !seg.is_deleted(d) {
                total += norms.len_tenths(d);
                n += 1;
            }
        }
    }
    Ok((average_of(total, n), n))
}

/// The average of `n` lengths adding up to `total_tenths`.
pub fn average_of(total_tenths: u64, n: u64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    (total_tenths as f64 / 10.0 / n as f64).max(1.0)
}

/// Per library position (COE `i` of `n`), its length byte, and the average length: what
/// `meta.bin` and `index.json` hold. Positions come from the `idx` fast field.
pub fn per_position(
    searcher: &Searcher,
    weighted: &[(Field, f32)],
    n: usize,
) -> tantivy::Result<(Vec<u8>, f64)> {
    let mut bytes = vec![0u8; n];
    let mut total = 0u64;
    let mut live = 0u64;
    for seg in searcher.segment_readers() {
        let norms = Norms::of(seg, weighted)?;
        let positions = seg.fast_fields().u64("idx")?;
        for d in 0..seg.max_doc() {
            if seg.is_deleted(d) {
                continue;
            }
            let len = norms.len_tenths(d);
            total += len;
            live += 1;
            if let Some(slot) = positions
                .first(d)
                .and_then(|p| bytes.get_mut(usize::try_from(p).ok()?))
            {
                *slot = len_byte(len);
            }
        }
    }
    Ok((bytes, average_of(total, live)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_whole_tenths() {
        assert_eq!(tenths(1.2), 12);
        assert_eq!(tenths(1.5), 15);
        assert_eq!(tenths(3.0), 30);
    }

    #[test]
    fn frequencies_are_half_units() {
        assert_eq!(tf(1.2), 1.0);
        assert_eq!(tf(2.4), 2.5);
        assert_eq!(tf(0.1), 0.5);
        assert_eq!(tf(3.0), 3.0);
    }

    #[test]
    fn length_bytes_round_trip_within_a_step() {
        for len in [1u64, 10, 15, 123, 4_567, 99_999] {
            let back = len_of_byte(len_byte(len * 10));
            let ratio = back / len as f64;
            assert!((0.96..1.04).contains(&ratio), "{len} → {back}");
        }
    }
}
