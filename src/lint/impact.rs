//! Impact: quantified, with a number (customers, requests, share, minutes).

use super::Sink;
use super::source::Source;
use crate::content::Coe;
use crate::content::markdown::SectionKind;

const NUMBER_WORDS: [&str; 24] = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "half",
    "dozen",
];

pub(crate) fn check(coe: &Coe, src: &Source, sink: &mut Sink) {
    if let Some(impact) = &coe.customer_impact {
        if !has_number(impact) && !says_none(impact) {
            let (line, column) = src.field(&["customer_impact"]).unwrap_or((1, 1));
            sink.add(
                "impact-no-number",
                line,
                column,
                format!("customer_impact has no number: \"{impact}\""),
            );
        }
        return;
    }
    let Some(span) = src.section(SectionKind::Impact) else {
        return;
    };
    let text: Vec<&str> = src.prose_lines(span).map(|(_, l)| l).collect();
    let text = text.join(" ");
    if !text.trim().is_empty() && !has_number(&text) && !says_none(&text) {
        sink.add(
            "impact-no-number",
            span.heading,
            1,
            "the Impact section has no number (and there is no customer_impact field)".to_owned(),
        );
    }
}

fn has_number(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit())
        || s.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| NUMBER_WORDS.contains(&w))
}

/// "None", "No customer impact": nothing to count.
fn says_none(s: &str) -> bool {
    let lower = s.trim().to_lowercase();
    let first = lower
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("");
    first == "none"
        || lower.starts_with("no customer impact")
        || lower.starts_with("no impact")
        || lower.starts_with("no customer-facing impact")
}
