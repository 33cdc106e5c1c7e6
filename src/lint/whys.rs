//! Five whys: at least three, and a chain that ends at the system, not at a person.

use super::Sink;
use super::language::{find_person, people};
use super::source::{Source, Span};
use crate::content::Coe;
use crate::content::markdown::SectionKind;

pub(crate) fn check(coe: &Coe, src: &Source, sink: &mut Sink) {
    let Some(span) = src.section(SectionKind::FiveWhys) else {
        return;
    };
    let items = src.list_items(span);
    let has_content = src
        .prose_lines(span)
        .any(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if coe.whys.len() < 3 && has_content {
        sink.add(
            "whys-too-few",
            span.heading,
            1,
            format!(
                "the Five Whys have {} why{} (expected at least 3, as a numbered list)",
                coe.whys.len(),
                if coe.whys.len() == 1 { "" } else { "s" }
            ),
        );
    }
    let Some(last) = coe.whys.last() else {
        return;
    };
    let names = people(coe);
    let answer = if last.answer.is_empty() {
        &last.question
    } else {
        &last.answer
    };
    let Some(who) = blamed(answer, &names) else {
        return;
    };
    // The last list item's lines hold the last why; point at the person there.
    let (first, last) = items
        .last()
        .copied()
        .unwrap_or((span.heading, span.heading));
    let item = Span {
        kind: None,
        title: String::new(),
        heading: first,
        first,
        last,
    };
    let prose = src.running_text(&item, false);
    let (line, column) = find_person(&prose.text, std::slice::from_ref(&who))
        .map_or((first, 1), |(i, _)| prose.position(i));
    sink.add(
        "whys-end-in-person",
        line,
        column,
        format!("the five whys end at a person (\"{who}\"): \"{answer}\""),
    );
}

/// Words that name a person, whoever it is.
const PERSON_WORDS: [&str; 18] = [
    "engineer",
    "engineers",
    "operator",
    "operators",
    "someone",
    "somebody",
    "developer",
    "developers",
    "admin",
    "administrator",
    "he",
    "she",
    "they",
    "intern",
    "human",
    "person",
    "the author",
    "employee",
];

/// What a person did wrong, in the words of a blaming answer.
const BLAME_VERBS: [&str; 21] = [
    "forgot",
    "forget",
    "did not",
    "didn't",
    "missed",
    "overlooked",
    "mistyped",
    "made a mistake",
    "made an error",
    "mistake",
    "ignored",
    "neglected",
    "failed to",
    "careless",
    "wasn't careful",
    "was not careful",
    "accidentally",
    "should have",
    "skipped",
    "typo",
    "wrong",
];

/// What "he", "she" or "they" did wrong: only verbs that cannot be said of a system.
const PRONOUN_VERBS: [&str; 11] = [
    "forgot",
    "forget",
    "mistyped",
    "overlooked",
    "made a mistake",
    "careless",
    "neglected",
    "did not notice",
    "didn't notice",
    "did not realize",
    "should have",
];

/// After these the chain goes on to a cause in the system.
const SYSTEM_CONNECTORS: [&str; 5] = ["because", "since", "due to", "as there", "so that"];

/// The person an answer blames, when it blames one: a person word or a name followed (in the
/// same sentence) by what they did wrong, with no system cause after it.
pub(crate) fn blamed(answer: &str, names: &[(String, &str)]) -> Option<String> {
    let lower = answer.to_lowercase();
    for phrase in [
        "human error",
        "operator error",
        "user error",
        "engineer error",
    ] {
        if lower.contains(phrase) {
            return Some(phrase.to_owned());
        }
    }
    for sentence in sentences(&lower) {
        let padded = format!(" {sentence} ");
        let mut words: Vec<String> = PERSON_WORDS.iter().map(|w| (*w).to_owned()).collect();
        words.extend(names.iter().map(|(n, _)| n.clone()));
        let Some((at, who)) = find_person(&padded, &words) else {
            continue;
        };
        let after = &padded[at..];
        // A person named as the subject of the answer ("Because ana.souza pushed …").
        let lead = padded[..at].trim();
        let named = names.iter().any(|(n, _)| *n == who)
            && (lead.is_empty() || lead == "because" || lead == "the");
        let verbs: &[&str] = if matches!(who.as_str(), "he" | "she" | "they") {
            &PRONOUN_VERBS
        } else {
            &BLAME_VERBS
        };
        // Their name as the subject is where the chain stops, whatever they did.
        let verb_at = verbs.iter().filter_map(|v| after.find(v)).min();
        let Some(verb_at) = verb_at.or(named.then_some(0)) else {
            continue;
        };
        if SYSTEM_CONNECTORS
            .iter()
            .any(|c| after[verb_at..].contains(c))
        {
            continue;
        }
        return Some(who);
    }
    None
}

/// Splits at `.`, `;`, `!` and `?` followed by a space or the end (`ana.souza` stays whole).
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let ends = matches!(c, '.' | ';' | '!' | '?')
            && chars.peek().is_none_or(|(_, next)| next.is_whitespace());
        if ends {
            out.push(&text[start..i]);
            start = i + c.len_utf8();
        }
    }
    out.push(&text[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::blamed;

    #[test]
    fn chains_ending_in_people() {
        let names = vec![("ana.souza".to_owned(), "an author")];
        for a in [
            "The engineer forgot to run the migration.",
            "Because ana.souza did not check the diff.",
            "Human error.",
            "They forgot the flag",
            "ana.souza pushed the change on a Friday",
        ] {
            assert!(blamed(a, &names).is_some(), "{a}");
        }
        for a in [
            "The deploy tool accepted a change set with no review step.",
            "The engineer did not see it because no alarm existed for the queue.",
            "Nobody owned the shared base image, so its defaults were never reviewed.",
            "They did not fire because the alarm had no data.",
            "As ana.souza found, config versions were not recorded with the metrics.",
            "Ana Souza's review checklist had no item for event wiring because nobody owned it.",
        ] {
            assert!(blamed(a, &names).is_none(), "{a}");
        }
    }
}
