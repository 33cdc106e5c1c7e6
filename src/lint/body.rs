//! What was read from the body instead of the front matter: metadata lines and action items.
//! Suggestions: the COE works, but the front matter is the place for them.

use super::Sink;
use super::source::Source;
use crate::content::markdown::SectionKind;
use crate::content::{Coe, ItemsSource};

pub(crate) fn check(coe: &Coe, src: &Source, sink: &mut Sink) {
    for f in &coe.body_metadata {
        sink.add(
            "body-metadata",
            f.line,
            1,
            format!(
                "{} \"{}\" read from the body (line {}): move it into the front matter",
                f.field, f.value, f.line
            ),
        );
    }
    if coe.action_items_source == ItemsSource::Body {
        let line = coe
            .action_items
            .first()
            .map(|a| a.line)
            .or_else(|| src.section(SectionKind::ActionItems).map(|s| s.heading))
            .unwrap_or(1);
        let n = coe.action_items.len();
        sink.add(
            "body-action-items",
            line,
            1,
            format!(
                "{n} action item{} read from the body (line {line}): move {} into `action_items:` in the front matter",
                if n == 1 { "" } else { "s" },
                if n == 1 { "it" } else { "them" }
            ),
        );
    }
}
