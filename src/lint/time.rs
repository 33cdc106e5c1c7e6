//! Time: the front-matter times in order (started ≤ detected ≤ mitigated ≤ resolved), and the
//! timeline's events in order.

use super::Sink;
use super::source::Source;
use crate::content::Coe;
use crate::content::markdown::SectionKind;

pub(crate) fn check(coe: &Coe, src: &Source, sink: &mut Sink) {
    front_matter_times(coe, src, sink);
    timeline_events(coe, src, sink);
}

fn front_matter_times(coe: &Coe, src: &Source, sink: &mut Sink) {
    let times = [
        ("started", coe.started),
        ("detected", coe.detected),
        ("mitigated", coe.mitigated),
        ("resolved", coe.resolved),
    ];
    for (i, (name, at)) in times.iter().enumerate() {
        let Some(at) = at else { continue };
        let earlier = times[..i]
            .iter()
            .find_map(|(e, t)| t.filter(|t| t > at).map(|t| (e, t)));
        if let Some((before, t)) = earlier {
            let (line, column) = src.field(&[name]).unwrap_or((1, 1));
            sink.add(
                "time-order",
                line,
                column,
                format!("{name} ({at}) is before {before} ({t})"),
            );
        }
    }
}

fn timeline_events(coe: &Coe, src: &Source, sink: &mut Sink) {
    let lines = src.timeline_entry_lines();
    let heading = src.section(SectionKind::Timeline).map_or(1, |s| s.heading);
    // Event i is on lines[i] when the counts agree; otherwise the section heading is the best
    // position there is.
    let position = |i: usize| match lines.get(i) {
        Some(&line) if lines.len() == coe.timeline.len() => {
            let text = src.line(line);
            let byte = text.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
            (line, text[..byte].chars().count() + 1)
        }
        _ => (heading, 1),
    };
    let mut previous: Option<(jiff::Timestamp, String)> = None;
    for (i, event) in coe.timeline.iter().enumerate() {
        let Some(at) = event.at else { continue };
        let shown = format!("{} {}", event.day, event.time);
        if let Some((before, before_shown)) = &previous
            && at < *before
        {
            let (line, column) = position(i);
            sink.add(
                "timeline-order",
                line,
                column,
                format!(
                    "timeline event at {shown} is earlier than the event before it ({before_shown})"
                ),
            );
        }
        previous = Some((at, shown));
    }
}
