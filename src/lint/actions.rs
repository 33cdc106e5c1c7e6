//! Action items: an owner and a due date for each, none overdue, none vague, and some at all
//! for a SEV1 or SEV2.

use super::Sink;
use super::source::Source;
use crate::content::Coe;
use crate::content::front_matter::{ActionItem, ItemStatus};
use jiff::civil::Date;

pub(crate) fn check(coe: &Coe, src: &Source, today: Date, sink: &mut Sink) {
    if coe.action_items.is_empty()
        && let Some(sev @ (1 | 2)) = coe.severity
    {
        let (line, column) = src
            .field(&["action_items"])
            .or_else(|| src.field(&["severity"]))
            .unwrap_or((1, 1));
        sink.add(
            "action-none",
            line,
            column,
            format!("a SEV{sev} COE with no action items in the front matter"),
        );
    }
    for item in &coe.action_items {
        if item.status == ItemStatus::WontDo {
            continue;
        }
        owner(item, src, sink);
        if item.status.is_pending() {
            due(item, src, today, sink);
        }
        vague(item, src, sink);
    }
}

/// An owner that names nobody.
const PLACEHOLDER_OWNERS: [&str; 10] = [
    "tbd", "todo", "?", "??", "none", "unknown", "n/a", "na", "-", "nobody",
];

fn owner(item: &ActionItem, src: &Source, sink: &mut Sink) {
    let placeholder = item
        .owner
        .as_deref()
        .map(|o| o.trim().to_lowercase())
        .filter(|o| PLACEHOLDER_OWNERS.contains(&o.as_str()));
    let message = match (&item.owner, placeholder) {
        (None, _) => format!("action item \"{}\" has no owner", item.title),
        (Some(o), Some(_)) => format!(
            "action item \"{}\" has a placeholder owner \"{o}\"",
            item.title
        ),
        (Some(_), None) => return,
    };
    let (line, column) = src
        .item_field(item.line, "owner")
        .or_else(|| src.item_field(item.line, "title"))
        .unwrap_or((item.line, 1));
    sink.add("action-no-owner", line, column, message);
}

fn due(item: &ActionItem, src: &Source, today: Date, sink: &mut Sink) {
    let Some(due) = item.due else {
        let (line, column) = src.item_field(item.line, "title").unwrap_or((item.line, 1));
        sink.add(
            "action-no-due",
            line,
            column,
            format!(
                "{} action item \"{}\" has no due date",
                item.status.as_str(),
                item.title
            ),
        );
        return;
    };
    if due < today {
        let days = today.since(due).map_or(0, |span| span.get_days());
        let (line, column) = src.item_field(item.line, "due").unwrap_or((item.line, 1));
        sink.add(
            "action-overdue",
            line,
            column,
            format!(
                "action item \"{}\" is overdue: due {due}, {days} day{} ago, still {}",
                item.title,
                if days == 1 { "" } else { "s" },
                item.status.as_str()
            ),
        );
    }
}

fn vague(item: &ActionItem, src: &Source, sink: &mut Sink) {
    if let Some(why) = vagueness(&item.title) {
        let (line, column) = src.item_field(item.line, "title").unwrap_or((item.line, 1));
        sink.add(
            "action-vague",
            line,
            column,
            format!("action item \"{}\" is vague: {why}", item.title),
        );
    }
}

/// Asks people to try harder: vague however it is worded.
const EXHORTATIONS: [&str; 16] = [
    "be more careful",
    "be careful",
    "more careful",
    "pay more attention",
    "pay attention",
    "be more vigilant",
    "be vigilant",
    "try harder",
    "raise awareness",
    "remind the team",
    "remind engineers",
    "remind everyone",
    "remind people",
    "double-check",
    "double check",
    "be more thorough",
];

/// Improvements with no mechanism: vague unless the title says how (`:`, "by", "so that", a number).
const GENERIC_IMPROVEMENTS: [&str; 14] = [
    "improve communication",
    "better communication",
    "communicate better",
    "improve monitoring",
    "better monitoring",
    "more monitoring",
    "improve testing",
    "better testing",
    "more testing",
    "improve documentation",
    "better documentation",
    "improve the process",
    "improve process",
    "keep an eye on",
];

/// Open-ended verbs: vague unless an outcome follows.
const OPEN_ENDED: [&str; 8] = [
    "investigate",
    "look into",
    "explore",
    "research",
    "analyze",
    "analyse",
    "dig into",
    "understand",
];

const OUTCOMES: [&str; 20] = [
    " and ",
    " then ",
    " so that ",
    " to decide",
    "write",
    "fix",
    "propose",
    "proposal",
    "document",
    "decide",
    "decision",
    "recommend",
    "report",
    "deliver",
    "ship",
    "produce",
    "design doc",
    "rfc",
    " plan",
    "outcome",
];

/// Why a title is vague, if it is.
pub(crate) fn vagueness(title: &str) -> Option<&'static str> {
    let t = format!(
        " {} ",
        title
            .to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    );
    if EXHORTATIONS.iter().any(|p| contains_phrase(&t, p)) {
        return Some("it asks people to try harder instead of changing the system");
    }
    let how = t.contains(':')
        || t.contains(" by ")
        || t.contains(" so that ")
        || t.contains(" with ")
        || t.chars().any(|c| c.is_ascii_digit());
    if !how && GENERIC_IMPROVEMENTS.iter().any(|p| contains_phrase(&t, p)) {
        return Some("it names an area to improve, not a change that can be checked as done");
    }
    let first = t.trim_start().trim_start_matches("to ");
    if OPEN_ENDED.iter().any(|v| first.starts_with(v)) && !OUTCOMES.iter().any(|o| t.contains(o)) {
        return Some("it investigates with no stated outcome");
    }
    None
}

/// `phrase` in `text` at word boundaries (`text` is lowercase, padded with spaces).
pub(crate) fn contains_phrase(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::vagueness;

    #[test]
    fn vague_titles() {
        for t in [
            "Be more careful when editing the config",
            "Improve communication",
            "Investigate the outage",
            "Look into flaky alarms",
            "Remind engineers to double-check",
        ] {
            assert!(vagueness(t).is_some(), "{t}");
        }
        for t in [
            "Investigate the root cause and write up a fix by 2024-05-01",
            "Alarm when invocations drop below 50% of last week",
            "Improve monitoring: page on p99 checkout latency above 2 s",
            "Investigate connection reuse to decide on a pool size",
        ] {
            assert!(vagueness(t).is_none(), "{t}");
        }
    }
}
