//! Learning metrics over the whole library: the numbers behind the `/metrics/` charts.
//! Medians, not means: one three-day outage would otherwise hide every quick recovery.

use super::actions;
use super::{Library, TaxonomyKind, severity_label};
use crate::content::front_matter::ItemStatus;
use crate::slug::slugify;
use jiff::civil::Date;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    StackedBars,
    Lines,
}

#[derive(Debug, Clone)]
pub struct MetricSeries {
    pub name: String,
    /// CSS class for its colour (`sev1`, `series-2`).
    pub class: String,
    /// One value per category; `None` where there is nothing to measure.
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone)]
pub struct Metric {
    /// Anchor on the page.
    pub id: &'static str,
    pub title: String,
    pub description: String,
    pub kind: ChartKind,
    pub y_label: String,
    pub unit: String,
    /// The x axis: months (`2024-03`), quarters (`2024-Q1`) or years.
    pub category_label: &'static str,
    pub categories: Vec<String>,
    pub series: Vec<MetricSeries>,
}

fn month_of(d: Date) -> (i16, i8) {
    (d.year(), d.month())
}

/// Every month from `first` to `last`, inclusive.
fn months(first: (i16, i8), last: (i16, i8)) -> Vec<(i16, i8)> {
    let mut out = Vec::new();
    let (mut y, mut m) = first;
    while (y, m) <= last && out.len() < 12 * 200 {
        out.push((y, m));
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    out
}

fn month_name((y, m): (i16, i8)) -> String {
    format!("{y:04}-{m:02}")
}

/// The last day of a month.
fn month_end((y, m): (i16, i8)) -> Date {
    Date::new(y, m, 1).map_or(Date::MAX, |d| d.last_of_month())
}

fn quarter_of(d: Date) -> (i16, i8) {
    (d.year(), (d.month() - 1) / 3 + 1)
}

pub fn all(lib: &Library) -> Vec<Metric> {
    if lib.coes.is_empty() {
        return Vec::new();
    }
    let mut out = vec![per_month_by_severity(lib), medians_per_quarter(lib)];
    out.push(top_terms_per_year(
        lib,
        TaxonomyKind::RootCauses,
        "root-causes",
        "Top root causes per year",
    ));
    out.push(top_terms_per_year(
        lib,
        TaxonomyKind::Services,
        "services",
        "Most affected services per year",
    ));
    out.extend(action_items_per_month(lib));
    out
}

fn per_month_by_severity(lib: &Library) -> Metric {
    let first = lib.coes.iter().map(|c| month_of(c.date)).min();
    let last = lib.coes.iter().map(|c| month_of(c.date)).max();
    let cats = match (first, last) {
        (Some(f), Some(l)) => months(f, l),
        _ => Vec::new(),
    };
    let index: BTreeMap<(i16, i8), usize> = cats.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut by_sev: BTreeMap<u8, Vec<f64>> = BTreeMap::new();
    for c in &lib.coes {
        let row = by_sev
            .entry(c.severity.unwrap_or(9))
            .or_insert_with(|| vec![0.0; cats.len()]);
        if let Some(&i) = index.get(&month_of(c.date)) {
            row[i] += 1.0;
        }
    }
    Metric {
        id: "coes-per-month",
        title: "COEs per month, by severity".to_owned(),
        description:
            "How many incidents started each month, stacked by severity (SEV1 is the worst)."
                .to_owned(),
        kind: ChartKind::StackedBars,
        y_label: "COEs".to_owned(),
        unit: String::new(),
        category_label: "Month",
        categories: cats.iter().map(|&m| month_name(m)).collect(),
        series: by_sev
            .into_iter()
            .map(|(s, values)| {
                let label = severity_label((s != 9).then_some(s));
                MetricSeries {
                    class: slugify(&label),
                    name: label,
                    values: values.into_iter().map(Some).collect(),
                }
            })
            .collect(),
    }
}

/// The middle value (the mean of the two middle ones for an even count).
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Minutes to detect and to mitigate of one quarter's COEs.
type QuarterTimes = (Vec<f64>, Vec<f64>);

fn medians_per_quarter(lib: &Library) -> Metric {
    let mut quarters: BTreeMap<(i16, i8), QuarterTimes> = BTreeMap::new();
    for c in &lib.coes {
        let q = quarters.entry(quarter_of(c.date)).or_default();
        if let Some(d) = c.time_to_detect() {
            q.0.push(d.as_secs() as f64 / 60.0);
        }
        if let Some(d) = c.time_to_mitigate() {
            q.1.push(d.as_secs() as f64 / 60.0);
        }
    }
    // Every quarter between the first and the last, so gaps show as gaps.
    let (first, last) = (
        quarters.keys().next().copied(),
        quarters.keys().last().copied(),
    );
    let mut cats = Vec::new();
    if let (Some(mut q), Some(last)) = (first, last) {
        while q <= last && cats.len() < 4 * 200 {
            cats.push(q);
            q = if q.1 == 4 {
                (q.0 + 1, 1)
            } else {
                (q.0, q.1 + 1)
            };
        }
    }
    let series = |name: &str, class: &str, pick: fn(&QuarterTimes) -> &Vec<f64>| MetricSeries {
        name: name.to_owned(),
        class: class.to_owned(),
        values: cats
            .iter()
            .map(|q| {
                quarters
                    .get(q)
                    .and_then(|v| median(pick(v).clone()))
                    .map(|m| m.round())
            })
            .collect(),
    };
    Metric {
        id: "response-times",
        title: "Median time to detect and to mitigate, per quarter".to_owned(),
        description: "Minutes from the start of an incident to its detection and to its mitigation; the median of the quarter's COEs that record both times.".to_owned(),
        kind: ChartKind::Lines,
        y_label: "minutes".to_owned(),
        unit: " min".to_owned(),
        category_label: "Quarter",
        series: vec![
            series("Time to detect", "detect", |v| &v.0),
            series("Time to mitigate", "mitigate", |v| &v.1),
        ],
        categories: cats.iter().map(|(y, q)| format!("{y}-Q{q}")).collect(),
    }
}

fn top_terms_per_year(lib: &Library, kind: TaxonomyKind, id: &'static str, title: &str) -> Metric {
    let tax = lib.taxonomy(kind);
    let mut top: Vec<usize> = (0..tax.terms.len()).collect();
    top.sort_by(|&a, &b| {
        tax.terms[b]
            .coes
            .len()
            .cmp(&tax.terms[a].coes.len())
            .then(tax.terms[a].slug.cmp(&tax.terms[b].slug))
    });
    top.truncate(5);
    let years: Vec<i16> = lib.years.keys().copied().collect();
    let series = top
        .iter()
        .enumerate()
        .map(|(n, &t)| {
            let term = &tax.terms[t];
            let mut values = vec![0.0; years.len()];
            for &i in &term.coes {
                if let Ok(y) = years.binary_search(&lib.coes[i].date.year()) {
                    values[y] += 1.0;
                }
            }
            MetricSeries {
                name: term.name.clone(),
                class: format!("series-{}", n + 1),
                values: values.into_iter().map(Some).collect(),
            }
        })
        .collect();
    Metric {
        id,
        title: title.to_owned(),
        description: format!(
            "COEs per year for the five {} seen most across the library.",
            kind.path().replace('-', " ")
        ),
        kind: ChartKind::Lines,
        y_label: "COEs".to_owned(),
        unit: String::new(),
        category_label: "Year",
        categories: years.iter().map(ToString::to_string).collect(),
        series,
    }
}

/// Closure rate (of the items due in a month, the share done) and overdue items at each
/// month's end, from the first due date to this month.
fn action_items_per_month(lib: &Library) -> Vec<Metric> {
    let items = actions::all(lib);
    let dues: Vec<Date> = items.iter().filter_map(|r| r.get(lib).due).collect();
    let (Some(first), Some(last_due)) = (dues.iter().min(), dues.iter().max()) else {
        return Vec::new();
    };
    let last = month_of(*last_due)
        .min(month_of(lib.today))
        .max(month_of(*first));
    let cats = months(month_of(*first), last);
    let mut due = vec![0usize; cats.len()];
    let mut done = vec![0usize; cats.len()];
    let index: BTreeMap<(i16, i8), usize> = cats.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    for r in &items {
        let a = r.get(lib);
        if let Some(&i) = a.due.and_then(|d| index.get(&month_of(d))) {
            due[i] += 1;
            if a.status == ItemStatus::Done {
                done[i] += 1;
            }
        }
    }
    let overdue: Vec<Option<f64>> = cats
        .iter()
        .map(|&m| {
            // This month is counted as of today.
            let day = month_end(m).min(lib.today);
            let due_before = lib.item_dates.by_due.partition_point(|d| d.due < day);
            let n = lib.item_dates.by_due[..due_before]
                .iter()
                .filter(|d| d.days_overdue_on(day).is_some())
                .count();
            Some(n as f64)
        })
        .collect();
    let names: Vec<String> = cats.iter().map(|&m| month_name(m)).collect();
    vec![
        Metric {
            id: "closure-rate",
            title: "Action items closed, by month due".to_owned(),
            description: "Of the action items due each month, the percentage now done.".to_owned(),
            kind: ChartKind::Lines,
            y_label: "% done".to_owned(),
            unit: "%".to_owned(),
            category_label: "Month due",
            categories: names.clone(),
            series: vec![MetricSeries {
                name: "Done".to_owned(),
                class: "done".to_owned(),
                values: due
                    .iter()
                    .zip(&done)
                    .map(|(&n, &d)| (n > 0).then(|| (1000.0 * d as f64 / n as f64).round() / 10.0))
                    .collect(),
            }],
        },
        Metric {
            id: "overdue",
            title: "Overdue action items at the end of each month".to_owned(),
            description: "Action items past their due date and not done at the end of each month (this month: today).".to_owned(),
            kind: ChartKind::StackedBars,
            y_label: "items".to_owned(),
            unit: String::new(),
            category_label: "Month",
            categories: names,
            series: vec![MetricSeries {
                name: "Overdue".to_owned(),
                class: "overdue".to_owned(),
                values: overdue,
            }],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_cross_years_and_end_on_the_right_day() {
        let m = months((2023, 11), (2024, 2));
        assert_eq!(
            m.iter().map(|&m| month_name(m)).collect::<Vec<_>>(),
            ["2023-11", "2023-12", "2024-01", "2024-02"]
        );
        assert_eq!(month_end((2024, 2)).to_string(), "2024-02-29");
        assert_eq!(quarter_of("2024-12-31".parse().expect("d")), (2024, 4));
    }

    #[test]
    fn medians_not_means() {
        assert_eq!(median(vec![5.0, 600.0, 7.0]), Some(7.0));
        assert_eq!(median(vec![4.0, 8.0]), Some(6.0));
        assert_eq!(median(Vec::new()), None);
    }
}
