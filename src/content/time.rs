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

/// Month names as authors write them, by their first three letters.
const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A date at the very start of `s`, as people write them in prose: `2024-03-14`,
/// `2024/03/14`, `March 14, 2024`, `Mar 14 2024`, `14 March 2024`, `14th Mar 2024`.
/// Returns the date and how many bytes it took. Looks at no more than 32 bytes of `s`.
pub fn loose_date_at(s: &str) -> Option<(Date, usize)> {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| -> Option<i64> {
        let part = b.get(from..from + n)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter()
            .try_fold(0i64, |acc, d| Some(acc * 10 + i64::from(d - b'0')))
    };
    let ends_word = |at: usize| b.get(at).is_none_or(|c| !c.is_ascii_alphanumeric());
    // ISO-like: YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD (a time after it is allowed).
    if let (Some(y), Some(sep)) = (digits(0, 4), b.get(4))
        && matches!(sep, b'-' | b'/' | b'.')
        && b.get(7) == Some(sep)
        && let (Some(m), Some(d)) = (digits(5, 2), digits(8, 2))
        && b.get(10).is_none_or(|c| !c.is_ascii_digit())
    {
        return make_date(y, m, d).map(|date| (date, 10));
    }
    // Month D[st|nd|rd|th][,] YYYY
    if let Some((month, mut i)) = month_at(s) {
        i = skip(b, i, b" .");
        let (day, after_day) = day_at(b, i)?;
        let i = skip(b, after_day, b" ,");
        let year = digits(i, 4)?;
        return (ends_word(i + 4) && after_day < i)
            .then(|| make_date(year, month, day).map(|d| (d, i + 4)))
            .flatten();
    }
    // D[st|nd|rd|th] Month[,] YYYY
    let (day, i) = day_at(b, 0)?;
    let i = skip(b, i, b" ");
    let (month, j) = month_at(s.get(i..)?)?;
    let k = skip(b, i + j, b" .,");
    let year = digits(k, 4)?;
    (ends_word(k + 4) && k > i + j)
        .then(|| make_date(year, month, day).map(|d| (d, k + 4)))
        .flatten()
}

/// The first date in `s` that starts a word (see [`loose_date_at`]), with its byte range.
/// Linear in the length of `s`.
pub fn find_loose_date(s: &str) -> Option<(Date, std::ops::Range<usize>)> {
    let b = s.as_bytes();
    (0..b.len()).find_map(|i| {
        let starts_word = b[i].is_ascii_alphanumeric()
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && s.is_char_boundary(i);
        if !starts_word {
            return None;
        }
        loose_date_at(&s[i..]).map(|(d, n)| (d, i..i + n))
    })
}

fn make_date(y: i64, m: i64, d: i64) -> Option<Date> {
    Date::new(
        i16::try_from(y).ok()?,
        i8::try_from(m).ok()?,
        i8::try_from(d).ok()?,
    )
    .ok()
}

fn skip(b: &[u8], mut i: usize, chars: &[u8]) -> usize {
    while b.get(i).is_some_and(|c| chars.contains(c)) {
        i += 1;
    }
    i
}

/// A month name (three letters or more, `Sept` too) at the start of `s`: (1..=12, bytes).
fn month_at(s: &str) -> Option<(i64, usize)> {
    let b = s.as_bytes();
    let len = b
        .iter()
        .take(10)
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    if !(3..=9).contains(&len) || b.get(len).is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let word = s.get(..len)?.to_ascii_lowercase();
    let i = MONTHS.iter().position(|m| word.starts_with(m))?;
    const FULL: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    (FULL[i].starts_with(&word) || word == "sept").then_some((i as i64 + 1, len))
}

/// A day of the month (`14`, `3rd`) at `i`: the day and the byte after it.
fn day_at(b: &[u8], i: usize) -> Option<(i64, usize)> {
    let n = b[i.min(b.len())..]
        .iter()
        .take(3)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if n == 0 || n > 2 {
        return None;
    }
    let day = b[i..i + n]
        .iter()
        .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'));
    let mut j = i + n;
    if let Some(suffix) = b.get(j..j + 2)
        && matches!(
            &suffix.to_ascii_lowercase()[..],
            b"st" | b"nd" | b"rd" | b"th"
        )
    {
        j += 2;
    }
    b.get(j)
        .is_none_or(|c| !c.is_ascii_alphanumeric())
        .then_some((day, j))
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
    fn loose_dates() {
        let d = |s: &str| find_loose_date(s).map(|(d, r)| (d.to_string(), r));
        assert_eq!(d("due 2024-04-01."), Some(("2024-04-01".into(), 4..14)));
        assert_eq!(d("March 14, 2024"), Some(("2024-03-14".into(), 0..14)));
        assert_eq!(
            d("Thursday, Mar 14 2024 at noon").map(|x| x.0),
            Some("2024-03-14".into())
        );
        assert_eq!(d("14th March 2024").map(|x| x.0), Some("2024-03-14".into()));
        assert_eq!(d("2024/3/14"), None);
        assert_eq!(d("2024-02-30"), None);
        assert_eq!(d("May 2024"), None);
        assert_eq!(d("Sept 3, 2023").map(|x| x.0), Some("2023-09-03".into()));
        assert_eq!(d("12345-06-07"), None);
        assert!(d(&"9 ".repeat(100_000)).is_none());
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
