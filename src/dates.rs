//! "Today": the one place that reads the clock for dates. Every command takes `--today` for
//! reproducible builds and tests; without it, today is the date in UTC.

/// Today's date in UTC, or the one given with `--today`.
pub fn today(given: Option<jiff::civil::Date>) -> jiff::civil::Date {
    given.unwrap_or_else(|| {
        jiff::Timestamp::now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
    })
}
