//! ISO weeks: what the weekly digest goes by. A week runs Monday to Sunday and belongs to
//! the year that holds its Thursday, so 2020-12-31 and 2021-01-03 are both in 2020-W53.

use jiff::ToSpan;
use jiff::civil::{Date, ISOWeekDate, Weekday};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    pub year: i16,
    pub week: i8,
}

impl IsoWeek {
    pub fn of(date: Date) -> IsoWeek {
        let w = date.iso_week_date();
        IsoWeek {
            year: w.year(),
            week: w.week(),
        }
    }

    pub fn monday(self) -> Date {
        ISOWeekDate::new(self.year, self.week, Weekday::Monday)
            .map(|w| w.date())
            // Only reachable for a week built by hand outside jiff's range.
            .unwrap_or(Date::MIN)
    }

    pub fn sunday(self) -> Date {
        self.monday().checked_add(6.days()).unwrap_or(Date::MAX)
    }

    /// The week `n` weeks later (earlier when negative).
    pub fn plus(self, n: i32) -> IsoWeek {
        match self.monday().checked_add((7 * i64::from(n)).days()) {
            Ok(d) => IsoWeek::of(d),
            Err(_) => self,
        }
    }

    /// `2026-w14`, the digest page's URL segment.
    pub fn slug(self) -> String {
        format!("{:04}-w{:02}", self.year, self.week)
    }

    /// Reads `2026-W14` (also `2026w14`, `2026-14`), checking that the year has that week.
    pub fn parse(s: &str) -> Result<IsoWeek, String> {
        let expected = || format!("\"{s}\" is not an ISO week: expected YYYY-Www, e.g. 2026-W14");
        let lower = s.trim().to_ascii_lowercase();
        let (y, w) = lower
            .split_once("-w")
            .or_else(|| lower.split_once('w'))
            .or_else(|| lower.split_once('-'))
            .ok_or_else(expected)?;
        let year: i16 = y.parse().map_err(|_| expected())?;
        let week: i8 = w.parse().map_err(|_| expected())?;
        ISOWeekDate::new(year, week, Weekday::Monday).map_err(|_| {
            format!("{year} has no ISO week {week}: expected a week from 1 to 52 (or 53)")
        })?;
        Ok(IsoWeek { year, week })
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn weeks_across_year_boundaries_are_one_week() {
        assert_eq!(IsoWeek::of(d("2020-12-31")).to_string(), "2020-W53");
        assert_eq!(IsoWeek::of(d("2021-01-03")).to_string(), "2020-W53");
        assert_eq!(IsoWeek::of(d("2021-01-04")).to_string(), "2021-W01");
        assert_eq!(IsoWeek::of(d("2024-12-30")).to_string(), "2025-W01");
        assert_eq!(IsoWeek::of(d("2026-01-01")).to_string(), "2026-W01");
        let w = IsoWeek::parse("2020-W53").expect("week");
        assert_eq!((w.monday(), w.sunday()), (d("2020-12-28"), d("2021-01-03")));
    }

    #[test]
    fn week_steps_cross_years() {
        let w = IsoWeek::parse("2021-W01").expect("week");
        assert_eq!(w.plus(-1).to_string(), "2020-W53");
        assert_eq!(w.plus(-1).plus(1), w);
        assert_eq!(
            IsoWeek::parse("2025-W52").expect("w").plus(1).to_string(),
            "2026-W01"
        );
    }

    #[test]
    fn parses_the_spellings_people_type_and_rejects_others() {
        for s in ["2026-W14", "2026-w14", "2026W14", "2026-14", " 2026-W14 "] {
            assert_eq!(
                IsoWeek::parse(s).map(|w| w.to_string()),
                Ok("2026-W14".into()),
                "{s}"
            );
        }
        assert!(IsoWeek::parse("2021-W53").is_err_and(|e| e.contains("no ISO week 53")));
        assert!(IsoWeek::parse("2026-W00").is_err());
        assert!(IsoWeek::parse("next week").is_err_and(|e| e.contains("YYYY-Www")));
        assert_eq!(IsoWeek::parse("2026-W14").expect("w").slug(), "2026-w14");
    }
}
