//! Timeline entries: `- 09:02 — text`, `- 2024-03-14 09:02 UTC — text`, RFC 3339, or table rows.

use super::time::{find_iso_date, zone_offset};
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

/// The timestamp an entry starts with, before the day and zone are known.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamp {
    pub date: Option<Date>,
    pub time: Option<Time>,
    /// A zone written on the entry itself (`UTC`, `Z`, `+02:00`, `CET`).
    pub zone: Option<TimeZone>,
    /// As written, for display.
    pub text: String,
}

/// A timeline entry as found in the Markdown.
#[derive(Debug, Clone)]
pub struct RawEntry {
    pub stamp: Stamp,
    /// The nearest `###` date heading above the entry.
    pub heading_day: Option<Date>,
    /// A zone from a note like `All times in CET.` above the entry.
    pub note_zone: Option<TimeZone>,
    /// Sanitised HTML of the event, without the timestamp.
    pub html: String,
    pub line: usize,
}

/// A parsed event.
#[derive(Debug, Clone)]
pub struct Event {
    /// ISO date of the event's day.
    pub day: String,
    /// The time as written (`09:02`), empty when only a day is given.
    pub time: String,
    /// RFC 3339 in UTC when the time is known.
    pub utc: Option<String>,
    pub at: Option<Timestamp>,
    pub html: String,
}

/// Parses a timestamp at the start of `s`; returns it and the number of bytes it used,
/// including any separator (`—`, `–`, `-`, `:`, `|`) and spaces after it.
pub fn parse_prefix(s: &str) -> Option<(Stamp, usize)> {
    let mut p = Scanner { s, pos: 0 };
    p.skip_markup();
    let start = p.pos;
    let mut date = None;
    if let Some(d) = p.iso_date() {
        date = Some(d);
        if !(p.eat("T") || p.eat(", ") || p.eat(" ")) {
            return p.finish(start, date, None, None);
        }
    }
    let before_time = p.pos;
    let time = p.time();
    if time.is_none() {
        p.pos = before_time;
        date?;
        // A date alone; undo a consumed space.
        return p.finish(start, date, None, None);
    }
    let zone = p.zone();
    p.finish(start, date, time, zone)
}

struct Scanner<'a> {
    s: &'a str,
    pos: usize,
}

impl Scanner<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn eat(&mut self, t: &str) -> bool {
        if self.rest().starts_with(t) {
            self.pos += t.len();
            true
        } else {
            false
        }
    }

    fn skip_markup(&mut self) {
        while let Some(c) = self.rest().chars().next() {
            if matches!(c, '*' | '_' | '`' | '[' | ' ') {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn digits(&mut self, min: usize, max: usize) -> Option<u32> {
        let n = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        if n < min || n > max {
            return None;
        }
        let v = self.rest()[..n].parse().ok()?;
        self.pos += n;
        Some(v)
    }

    fn iso_date(&mut self) -> Option<Date> {
        let cand = find_iso_date(self.rest().get(..10)?)?;
        if !self.rest().starts_with(cand) {
            return None;
        }
        let d = cand.parse::<Date>().ok()?;
        self.pos += 10;
        Some(d)
    }

    fn time(&mut self) -> Option<Time> {
        let save = self.pos;
        let h = self.digits(1, 2)?;
        if !self.eat(":") {
            self.pos = save;
            return None;
        }
        let Some(m) = self.digits(2, 2) else {
            self.pos = save;
            return None;
        };
        let mut sec = 0;
        if self.rest().starts_with(':')
            && self.rest()[1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count()
                == 2
        {
            self.pos += 1;
            sec = self.digits(2, 2)?;
            // Fractions of a second.
            if self.eat(".") {
                let _ = self.digits(1, 9);
            }
        }
        let mut h = h;
        let lower = self.rest().to_ascii_lowercase();
        for (suffix, pm) in [(" am", false), (" pm", true), ("am", false), ("pm", true)] {
            if lower.starts_with(suffix)
                && !lower[suffix.len()..].starts_with(|c: char| c.is_ascii_alphabetic())
            {
                self.pos += suffix.len();
                h = match (h, pm) {
                    (12, false) => 0,
                    (12, true) => 12,
                    (h, true) => h + 12,
                    (h, false) => h,
                };
                break;
            }
        }
        let t = Time::new(
            i8::try_from(h).ok()?,
            i8::try_from(m).ok()?,
            i8::try_from(sec).ok()?,
            0,
        )
        .ok();
        if t.is_none() {
            self.pos = save;
        }
        t
    }

    fn zone(&mut self) -> Option<TimeZone> {
        if self.eat("Z") {
            return Some(TimeZone::UTC);
        }
        let save = self.pos;
        if let Some(sign) = self
            .rest()
            .chars()
            .next()
            .filter(|c| *c == '+' || *c == '-')
        {
            self.pos += 1;
            if let Some(h) = self.digits(2, 2)
                && self.eat(":")
                && let Some(m) = self.digits(2, 2)
            {
                let secs = (h * 3600 + m * 60) as i32 * if sign == '-' { -1 } else { 1 };
                return jiff::tz::Offset::from_seconds(secs)
                    .ok()
                    .map(TimeZone::fixed);
            }
            self.pos = save;
            return None;
        }
        let rest = self.rest();
        let trimmed = rest.trim_start_matches(' ');
        let word: String = trimmed
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        if !word.is_empty() && word.len() <= 5 && word.chars().all(|c| c.is_ascii_uppercase()) {
            let after = &trimmed[word.len()..];
            if (after.is_empty() || after.starts_with(|c: char| !c.is_ascii_alphanumeric()))
                && let Some(off) = zone_offset(&word)
            {
                self.pos += rest.len() - trimmed.len() + word.len();
                return Some(TimeZone::fixed(off));
            }
        }
        None
    }

    /// Requires a separator or a space after the stamp, then skips it.
    fn finish(
        &mut self,
        start: usize,
        date: Option<Date>,
        time: Option<Time>,
        zone: Option<TimeZone>,
    ) -> Option<(Stamp, usize)> {
        let text = self.s[start..self.pos].trim().to_owned();
        // Closing markup around the stamp (`**09:02**`).
        while self.rest().starts_with(['*', '_', '`', ']']) {
            self.pos += 1;
        }
        let rest = self.rest();
        if !rest.is_empty() && !rest.starts_with([' ', '\t', '—', '–', '-', ':', '|', ',', '.'])
        {
            return None;
        }
        let trimmed = rest.trim_start_matches([' ', '\t']);
        let trimmed = trimmed
            .strip_prefix(['—', '–', '-', ':', '|', ',', '.'])
            .map_or(trimmed, |t| {
                t.trim_start_matches('-').trim_start_matches([' ', '\t'])
            });
        self.pos = self.s.len() - trimmed.len();
        Some((
            Stamp {
                date,
                time,
                zone,
                text,
            },
            self.pos,
        ))
    }
}

/// Finds a zone note like `All times in CET.` or `Times are PDT (UTC-7)` in a paragraph.
pub fn zone_note(paragraph: &str) -> Option<Option<TimeZone>> {
    let lower = paragraph.to_ascii_lowercase();
    let idx = [
        "all times",
        "times are",
        "times in",
        "time zone:",
        "timezone:",
        "all timestamps",
        "timestamps are",
    ]
    .iter()
    .find_map(|k| lower.find(k).map(|i| i + k.len()))?;
    let phrase = &paragraph[idx..];
    Some(super::time::parse_zone_phrase(phrase))
}

/// Gives every entry its day and instant. `default_day` is the COE's date when known.
pub fn resolve(entries: &[RawEntry], default_day: Option<Date>) -> Vec<Event> {
    let mut day = default_day;
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let d = e.stamp.date.or(e.heading_day).or(day);
        if e.stamp.date.is_some() {
            day = e.stamp.date;
        }
        let Some(d) = d else { continue };
        let zone = e
            .stamp
            .zone
            .clone()
            .or_else(|| e.note_zone.clone())
            .unwrap_or(TimeZone::UTC);
        let at = e.stamp.time.and_then(|t| {
            zone.to_ambiguous_timestamp(d.to_datetime(t))
                .compatible()
                .ok()
        });
        out.push(Event {
            day: d.to_string(),
            time: e
                .stamp
                .time
                .map(|t| t.strftime("%H:%M").to_string())
                .unwrap_or_default(),
            utc: at.map(|t| t.to_string()),
            at,
            html: e.html.clone(),
        });
    }
    out
}

/// The first day a timeline names, for COEs with no other date.
pub fn first_day(entries: &[RawEntry]) -> Option<Date> {
    entries.iter().find_map(|e| e.stamp.date.or(e.heading_day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(s: &str) -> Option<(String, String)> {
        parse_prefix(s).map(|(st, n)| (st.text, s[n..].to_owned()))
    }

    #[test]
    fn list_forms() {
        assert_eq!(
            stamp("09:02 — A stack update"),
            Some(("09:02".into(), "A stack update".into()))
        );
        assert_eq!(
            stamp("**09:02** - Paged"),
            Some(("09:02".into(), "Paged".into()))
        );
        assert_eq!(
            stamp("2024-03-14 09:02 UTC — x"),
            Some(("2024-03-14 09:02 UTC".into(), "x".into()))
        );
        assert_eq!(
            stamp("2024-03-14T09:02:00Z: x"),
            Some(("2024-03-14T09:02:00Z".into(), "x".into()))
        );
        assert_eq!(
            stamp("1879-12-28 19:13 — bridge"),
            Some(("1879-12-28 19:13".into(), "bridge".into()))
        );
        assert_eq!(stamp("9:02 pm – x").map(|s| s.1), Some("x".into()));
        assert_eq!(stamp("Paged at 09:02"), None);
        assert_eq!(stamp("2024 was a year"), None);
        assert_eq!(stamp("10:30am"), Some(("10:30am".into(), "".into())));
    }

    #[test]
    fn zones_and_days() {
        let (s, _) = parse_prefix("2024-03-14 10:02 CET — x").expect("stamp");
        let raw = RawEntry {
            stamp: s,
            heading_day: None,
            note_zone: None,
            html: String::new(),
            line: 1,
        };
        let ev = resolve(&[raw], None);
        assert_eq!(ev[0].utc.as_deref(), Some("2024-03-14T09:02:00Z"));
    }

    #[test]
    fn notes() {
        assert!(zone_note("All times in CET.").flatten().is_some());
        assert!(zone_note("All times are PDT (UTC-7).").flatten().is_some());
        assert!(zone_note("We rolled back.").is_none());
    }
}
