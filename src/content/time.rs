//! Dates, timestamps and time zones as COE authors write them.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// `2024-03-14`; also accepts a timestamp and keeps its day (Hugo-style `date:` values).
pub fn parse_date(s: &str) -> Result<Date, String> {
    let s = s.trim();
    if let Ok(d) = s.parse::<Date>() {
        return Ok(d);
    }
    if s.len() > 10
        && s.is_char_boundary(10)
        && let Ok(ts) = parse_timestamp(s)
    {
        return Ok(ts.to_zoned_datetime(TimeZone::UTC).date());
    }
    match s.get(..10).map(str::parse::<Date>) {
        Some(Err(e)) if looks_like_iso_date(s) => {
            Err(format!("expected a date YYYY-MM-DD, found \"{s}\" ({e})"))
        }
        _ => Err(format!("expected a date YYYY-MM-DD, found \"{s}\"")),
    }
}

fn looks_like_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

/// RFC 3339 (`2024-03-14T09:02:00Z`, any offset), or `YYYY-MM-DD HH:MM[:SS]` in UTC,
/// optionally followed by `UTC`/`Z`/`GMT` or a known zone abbreviation.
pub fn parse_timestamp(s: &str) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts);
    }
    let (body, zone) = split_zone_suffix(s);
    let offset = match zone {
        Some(z) => zone_offset(z).ok_or_else(|| format!("unknown time zone \"{z}\" in \"{s}\""))?,
        None => Offset::UTC,
    };
    if let Ok(dt) = body.parse::<DateTime>() {
        return offset.to_timestamp(dt).map_err(|e| e.to_string());
    }
    if let Ok(d) = body.parse::<Date>() {
        return offset
            .to_timestamp(d.to_datetime(Time::midnight()))
            .map_err(|e| e.to_string());
    }
    Err(format!(
        "expected a timestamp (RFC 3339 like 2024-03-14T09:02:00Z, or YYYY-MM-DD HH:MM in UTC), found \"{s}\""
    ))
}

fn split_zone_suffix(s: &str) -> (&str, Option<&str>) {
    if let Some((body, last)) = s.rsplit_once(' ')
        && last.chars().all(|c| c.is_ascii_alphabetic())
        && last.len() <= 5
        && body.contains(':')
    {
        return (body.trim(), Some(last));
    }
    (s, None)
}

/// Fixed offsets for the zone abbreviations people write in timelines.
pub fn zone_offset(name: &str) -> Option<Offset> {
    let hours: f32 = match name.to_ascii_uppercase().as_str() {
        "UTC" | "Z" | "GMT" | "WET" => 0.0,
        "BST" | "CET" | "WEST" | "MET" => 1.0,
        "CEST" | "EET" | "SAST" | "MEST" => 2.0,
        "EEST" | "MSK" | "TRT" => 3.0,
        "GST" => 4.0,
        "PKT" => 5.0,
        "IST" => 5.5,
        "ICT" | "WIB" => 7.0,
        "SGT" | "HKT" | "AWST" | "PHT" => 8.0,
        "JST" | "KST" => 9.0,
        "ACST" => 9.5,
        "AEST" => 10.0,
        "AEDT" => 11.0,
        "NZST" => 12.0,
        "NZDT" => 13.0,
        "AST" | "EDT" => -4.0,
        "EST" | "CDT" => -5.0,
        "CST" | "MDT" => -6.0,
        "MST" | "PDT" => -7.0,
        "PST" | "AKDT" => -8.0,
        "AKST" => -9.0,
        "HST" => -10.0,
        "BRT" | "ART" => -3.0,
        _ => return None,
    };
    Offset::from_seconds((hours * 3600.0) as i32).ok()
}

/// Reads a zone from a phrase like `CET`, `PDT (UTC-7)`, `UTC+05:30`, `Europe/Berlin`.
/// An explicit numeric offset wins over an abbreviation.
pub fn parse_zone_phrase(phrase: &str) -> Option<TimeZone> {
    if let Some(off) = find_numeric_offset(phrase) {
        return Some(TimeZone::fixed(off));
    }
    for word in phrase.split(|c: char| !(c.is_ascii_alphanumeric() || c == '/' || c == '_')) {
        if word.is_empty() {
            continue;
        }
        if word.contains('/')
            && let Ok(tz) = TimeZone::get(word)
        {
            return Some(tz);
        }
        if (word.chars().all(|c| c.is_ascii_uppercase()) || word.eq_ignore_ascii_case("utc"))
            && let Some(off) = zone_offset(word)
        {
            return Some(TimeZone::fixed(off));
        }
    }
    None
}

/// `UTC-7`, `UTC+05:30`, `GMT+2`, `+02:00`.
fn find_numeric_offset(s: &str) -> Option<Offset> {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'+' && b != b'-' {
            continue;
        }
        let before = &s[..i];
        let prefixed =
            before.ends_with("UTC") || before.ends_with("GMT") || before.ends_with("utc");
        let rest = &s[i + 1..];
        let digits: String = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == ':')
            .collect();
        if digits.is_empty() || (!prefixed && !digits.contains(':')) {
            continue;
        }
        let (h, m) = match digits.split_once(':') {
            Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().unwrap_or(0)),
            None if digits.len() == 4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
            None => (digits.parse().ok()?, 0),
        };
        if h > 14 || m > 59 {
            return None;
        }
        let sign = if b == b'-' { -1 } else { 1 };
        return Offset::from_seconds(sign * (h * 3600 + m * 60)).ok();
    }
    None
}

/// `38 min`, `1 h 13 min`, `2 d 3 h`.
pub fn human_duration(d: SignedDuration) -> String {
    let total_min = d.as_secs() / 60;
    let (days, hours, mins) = (total_min / 1440, (total_min % 1440) / 60, total_min % 60);
    match (days, hours, mins) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// Finds the first `YYYY-MM-DD` in a string (e.g. a file name), whether or not it is valid.
pub fn find_iso_date(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let cand = s.get(i..i + 10)?;
        let boundary_before = i == 0 || !b[i - 1].is_ascii_digit();
        let boundary_after = b.get(i + 10).is_none_or(|c| !c.is_ascii_digit());
        (boundary_before && boundary_after && looks_like_iso_date(cand)).then_some(cand)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        let a = parse_timestamp("2024-03-14T09:02:00Z").expect("rfc3339");
        let b = parse_timestamp("2024-03-14 09:02").expect("space form");
        let c = parse_timestamp("2024-03-14 10:02 CET").expect("abbrev");
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert!(parse_timestamp("yesterday").is_err());
    }

    #[test]
    fn dates() {
        assert!(parse_date("2024-03-14").is_ok());
        let e = parse_date("2024-13-45").expect_err("invalid");
        assert!(e.contains("2024-13-45"), "{e}");
        assert_eq!(parse_date("1628-08-10").map(|d| d.year()), Ok(1628));
    }

    #[test]
    fn zones() {
        let pdt = parse_zone_phrase("PDT (UTC-7).").expect("pdt");
        assert_eq!(
            pdt.to_fixed_offset().map(|o| o.seconds()).ok(),
            Some(-7 * 3600)
        );
        let cet = parse_zone_phrase("CET.").expect("cet");
        assert_eq!(cet.to_fixed_offset().map(|o| o.seconds()).ok(), Some(3600));
        assert!(parse_zone_phrase("local time").is_none());
    }

    #[test]
    fn file_name_dates() {
        assert_eq!(
            find_iso_date("2019-07-02 Cloudflare regex outage"),
            Some("2019-07-02")
        );
        assert_eq!(find_iso_date("COE-2024-017"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(SignedDuration::from_mins(73)), "1 h 13 min");
        assert_eq!(human_duration(SignedDuration::from_mins(38)), "38 min");
    }
}
