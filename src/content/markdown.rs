//! The Markdown body: sections by heading, the parsed timeline and five whys, links to
//! other COE files, and sanitised HTML per section.

use super::body_actions;
use super::front_matter::ActionItem;
use super::sanitize;
use super::time::find_iso_date;
use super::timeline::{self, RawEntry};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    Summary,
    Impact,
    Timeline,
    Metrics,
    IncidentQuestions,
    FiveWhys,
    RootCause,
    LessonsLearned,
    ActionItems,
    Related,
}

impl SectionKind {
    /// The kind's name for templates and CSS: `five-whys`, `action-items`.
    pub fn key(self) -> &'static str {
        match self {
            SectionKind::Summary => "summary",
            SectionKind::Impact => "impact",
            SectionKind::Timeline => "timeline",
            SectionKind::Metrics => "metrics",
            SectionKind::IncidentQuestions => "incident-questions",
            SectionKind::FiveWhys => "five-whys",
            SectionKind::RootCause => "root-cause",
            SectionKind::LessonsLearned => "lessons-learned",
            SectionKind::ActionItems => "action-items",
            SectionKind::Related => "related",
        }
    }

    /// Matches a heading case-insensitively, with the common variants.
    pub fn from_heading(heading: &str) -> Option<SectionKind> {
        let n: String = heading
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Some(match n.as_str() {
            "summary" | "executivesummary" | "overview" | "tldr" => SectionKind::Summary,
            "impact" | "customerimpact" | "userimpact" | "businessimpact" => SectionKind::Impact,
            "timeline" | "incidenttimeline" | "timelineofevents" | "detailedtimeline" => {
                SectionKind::Timeline
            }
            "metrics" | "graphs" | "metricsandgraphs" => SectionKind::Metrics,
            "incidentquestions" | "questions" => SectionKind::IncidentQuestions,
            "fivewhys" | "5whys" | "whys" | "the5whys" | "thefivewhys" | "5why" => {
                SectionKind::FiveWhys
            }
            "rootcause"
            | "rootcauses"
            | "contributingfactors"
            | "rootcauseanalysis"
            | "rootcauseandcontributingfactors" => SectionKind::RootCause,
            "lessonslearned" | "learnings" | "lessons" | "whatwentwell" | "whatwentwrong"
            | "wherewegotlucky" => SectionKind::LessonsLearned,
            "actionitems"
            | "actions"
            | "correctiveactions"
            | "followups"
            | "followupactions"
            | "followupitems"
            | "remediation"
            | "remediations"
            | "nextsteps"
            | "preventiveactions"
            | "preventativeactions"
            | "correctiveandpreventiveactions"
            | "actionplan" => SectionKind::ActionItems,
            "relateditems" | "related" | "relatedincidents" | "references" => SectionKind::Related,
            _ => return None,
        })
    }

    pub const RECOMMENDED: [SectionKind; 6] = [
        SectionKind::Summary,
        SectionKind::Impact,
        SectionKind::Timeline,
        SectionKind::FiveWhys,
        SectionKind::LessonsLearned,
        SectionKind::ActionItems,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SectionKind::Summary => "Summary",
            SectionKind::Impact => "Impact",
            SectionKind::Timeline => "Timeline",
            SectionKind::Metrics => "Metrics",
            SectionKind::IncidentQuestions => "Incident Questions",
            SectionKind::FiveWhys => "Five Whys",
            SectionKind::RootCause => "Root Cause",
            SectionKind::LessonsLearned => "Lessons Learned",
            SectionKind::ActionItems => "Action Items",
            SectionKind::Related => "Related Items",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Section {
    /// The heading as written; empty for text before the first heading.
    pub title: String,
    /// Anchor id, unique within the page.
    pub id: String,
    pub kind: Option<SectionKind>,
    /// Sanitised HTML, internal links still as placeholders (see `LINK_PREFIX`).
    pub html: String,
    /// Plain text, for summaries and search.
    pub text: String,
    /// Plain text of the top-level list items with the `###` heading they are under (kept
    /// for `Lessons Learned` only: the digest quotes them).
    pub items: Vec<(String, String)>,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Why {
    pub question: String,
    pub answer: String,
}

/// A link from this COE to another Markdown file, by content-relative path.
#[derive(Debug, Clone)]
pub struct FileLink {
    pub target: String,
    pub line: usize,
}

/// A local file the COE shows or links to (an image beside it, a PDF), by content-relative
/// path, with where it is referenced. It is published next to the COE's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub target: String,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Default)]
pub struct Body {
    pub title: Option<(String, usize)>,
    pub sections: Vec<Section>,
    pub timeline: Vec<RawEntry>,
    pub whys: Vec<Why>,
    pub links: Vec<FileLink>,
    /// Local files referenced by images and links, in order (see `FILE_PREFIX`).
    pub attachments: Vec<Attachment>,
    /// Warnings found while reading the body: (line, message).
    pub warnings: Vec<(usize, String)>,
    /// Action items read from the Action Items sections' lists and tables (only when asked).
    pub actions: Vec<ActionItem>,
}

/// Internal links are written as `/@coe/<n>#frag` (n indexes `Body::links`) and replaced
/// once the library knows every COE's URL.
pub const LINK_PREFIX: &str = "/@coe/";
/// References to local files are written as `/@coe-file/<n>` (n indexes `Body::attachments`)
/// and replaced by the file's published URL when the page is rendered.
pub const FILE_PREFIX: &str = "/@coe-file/";
/// Splits the rendered HTML at section starts; NUL never survives Markdown parsing.
const SECTION_MARK: &str = "\u{0}coe-section\u{0}";

/// Parses a body. `source_dir` is the file's folder relative to `content/` (`2024`), used to
/// resolve relative links; `first_line` is the body's first line in the file.
pub fn parse(text: &str, source_dir: &str, first_line: usize) -> Body {
    parse_body(text, source_dir, first_line, false)
}

/// [`parse`], and with `read_actions` the action items of the Action Items sections are
/// read into `Body::actions` (when the front matter has none).
pub fn parse_body(text: &str, source_dir: &str, first_line: usize, read_actions: bool) -> Body {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_FOOTNOTES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let line_at = |offset: usize| first_line + line_starts.partition_point(|&s| s <= offset) - 1;
    let column_at = |offset: usize| {
        let start = line_starts[line_starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)];
        text.get(start..offset).map_or(1, |s| s.chars().count() + 1)
    };

    let mut events: Vec<(Event, usize)> = Parser::new_ext(text, opts)
        .into_offset_iter()
        .map(|(e, r)| (e, r.start))
        .collect();

    let h1_count = events
        .iter()
        .filter(|(e, _)| {
            matches!(
                e,
                Event::Start(Tag::Heading {
                    level: HeadingLevel::H1,
                    ..
                })
            )
        })
        .count();
    let has_h2 = events.iter().any(|(e, _)| {
        matches!(
            e,
            Event::Start(Tag::Heading {
                level: HeadingLevel::H2,
                ..
            })
        )
    });
    let section_level = if !has_h2 && h1_count > 1 {
        HeadingLevel::H1
    } else {
        HeadingLevel::H2
    };

    let mut body = Body::default();
    rewrite_links(
        &mut events,
        source_dir,
        (&line_at, &column_at),
        (&mut body.links, &mut body.attachments),
        &mut body.warnings,
    );

    // Pass 1: find headings, the title, and where sections start.
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    let mut sections: Vec<Section> = vec![Section {
        title: String::new(),
        id: String::new(),
        kind: None,
        html: String::new(),
        text: String::new(),
        items: Vec::new(),
        line: first_line,
    }];
    let mut section_events: Vec<Vec<Event>> = vec![Vec::new()];
    // Where each section's content starts in `events`, and where the next heading is.
    let mut content_starts: Vec<usize> = vec![0];
    let mut content_ends: Vec<usize> = Vec::new();
    let mut i = 0;
    let mut saw_block = false;
    while i < events.len() {
        let (ev, off) = &events[i];
        if let Event::Start(Tag::Heading { level, .. }) = ev {
            let level = *level;
            let end = (i..events.len())
                .find(|&j| matches!(events[j].0, Event::End(TagEnd::Heading(_))))
                .unwrap_or(events.len() - 1);
            let heading = plain_text(events[i + 1..end].iter().map(|(e, _)| e));
            let is_title = level == HeadingLevel::H1 && body.title.is_none() && sections.len() == 1;
            if is_title {
                body.title = Some((heading.trim().to_owned(), line_at(*off)));
                if !saw_block || section_level == HeadingLevel::H1 {
                    // The title is shown by the page itself.
                    i = end + 1;
                    continue;
                }
            } else if level == section_level {
                let title = heading.trim().to_owned();
                let mut id = crate::slug::slugify(&title);
                if id.is_empty() {
                    id = "section".to_owned();
                }
                let base = id.clone();
                let mut n = 2;
                while sections.iter().any(|s| s.id == id) {
                    id = format!("{base}-{n}");
                    n += 1;
                }
                sections.push(Section {
                    kind: SectionKind::from_heading(&title),
                    title,
                    id,
                    html: String::new(),
                    text: String::new(),
                    items: Vec::new(),
                    line: line_at(*off),
                });
                section_events.push(Vec::new());
                content_ends.push(i);
                content_starts.push(end + 1);
                out.push(Event::Html(CowStr::from(SECTION_MARK)));
                i = end + 1;
                continue;
            }
        }
        if !matches!(ev, Event::Html(_)) {
            saw_block = true;
        }
        if let Some(evs) = section_events.last_mut() {
            evs.push(ev.clone());
        }
        out.push(ev.clone());
        i += 1;
    }

    if read_actions {
        for (k, section) in sections.iter().enumerate() {
            if section.kind != Some(SectionKind::ActionItems) {
                continue;
            }
            let from = content_starts.get(k).copied().unwrap_or(events.len());
            let to = content_ends.get(k).copied().unwrap_or(events.len());
            if let Some(evs) = events.get(from..to.max(from)) {
                body.actions.extend(body_actions::extract(evs, &line_at));
            }
        }
    }

    // One HTML rendering for the whole body keeps footnote numbering consistent.
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, out.into_iter());
    for ((section, piece), evs) in sections
        .iter_mut()
        .zip(html.split(SECTION_MARK))
        .zip(&section_events)
    {
        let piece = if needs_sanitizing(evs) {
            sanitize::clean(piece)
        } else {
            piece.to_owned()
        };
        // Wide tables and code blocks scroll inside their own box on phones; the box takes
        // the keyboard's focus so it can be scrolled without a pointer.
        let piece = if piece.contains("<table>") {
            piece
                .replace(
                    "<table>",
                    "<div class=\"table-scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Table\"><table>",
                )
                .replace("</table>", "</table></div>")
        } else {
            piece
        };
        let piece = if piece.contains("<pre>") {
            piece.replace("<pre>", "<pre tabindex=\"0\">")
        } else {
            piece
        };
        section.html = label_checkboxes(piece);
    }

    for (section, evs) in sections.iter_mut().zip(&section_events) {
        section.text = plain_text(evs.iter());
        match section.kind {
            Some(SectionKind::Timeline) => {
                extract_timeline(evs, section.line, &mut body.timeline);
            }
            Some(SectionKind::FiveWhys) if body.whys.is_empty() => body.whys = extract_whys(evs),
            Some(SectionKind::LessonsLearned) => section.items = items_by_heading(evs),
            _ => {}
        }
    }
    // Drop an empty preamble.
    if sections[0].html.trim().is_empty() {
        sections.remove(0);
    }
    body.sections = sections;
    body
}

/// Where a body's links and images point: another COE's file (`links`, written as
/// `LINK_PREFIX` placeholders) or a local file (`attachments`, as `FILE_PREFIX` ones).
fn rewrite_links(
    events: &mut [(Event, usize)],
    source_dir: &str,
    (line_at, column_at): (&dyn Fn(usize) -> usize, &dyn Fn(usize) -> usize),
    (links, attachments): (&mut Vec<FileLink>, &mut Vec<Attachment>),
    warnings: &mut Vec<(usize, String)>,
) {
    for (ev, off) in events.iter_mut() {
        let (Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. })) =
            ev
        else {
            continue;
        };
        let dest = dest_url.to_string();
        let (path, frag) = match dest.split_once('#') {
            Some((p, f)) => (p, Some(f)),
            None => (dest.as_str(), None),
        };
        let lower = path.to_ascii_lowercase();
        let markdown = lower.ends_with(".md") || lower.ends_with(".markdown");
        if path.is_empty()
            || path.starts_with("//")
            || path.contains(':')
            || (path.starts_with('/') && !markdown)
        {
            // Other sites, `mailto:` and the like, and paths from the site's root (the
            // author's own static files) are left as written.
            continue;
        }
        if !markdown {
            let path = path.split_once('?').map_or(path, |(p, _)| p);
            let decoded = percent_decode(path);
            match resolve_relative(source_dir, &decoded).filter(|t| !t.is_empty()) {
                Some(target) => {
                    let n = attachments.len();
                    attachments.push(Attachment {
                        target,
                        line: line_at(*off),
                        column: column_at(*off),
                    });
                    let frag = frag.map(|f| format!("#{f}")).unwrap_or_default();
                    *dest_url = CowStr::from(format!("{FILE_PREFIX}{n}{frag}"));
                }
                None => {
                    warnings.push((
                        line_at(*off),
                        format!(
                            "\"{dest}\" points outside content/: not published (put the file beside the COE)"
                        ),
                    ));
                    *dest_url = CowStr::from("");
                }
            }
            continue;
        }
        let decoded = percent_decode(path);
        match resolve_relative(source_dir, &decoded) {
            Some(target) => {
                let n = links.len();
                links.push(FileLink {
                    target,
                    line: line_at(*off),
                });
                let frag = frag.map(|f| format!("#{f}")).unwrap_or_default();
                *dest_url = CowStr::from(format!("{LINK_PREFIX}{n}{frag}"));
            }
            None => warnings.push((
                line_at(*off),
                format!("link to \"{dest}\" points outside content/"),
            )),
        }
    }
}

/// `../2023/COE-2023-004.md` from `2024` → `2023/COE-2023-004.md`.
pub fn resolve_relative(source_dir: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        source_dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// `%20` and the like decoded; a `%` not followed by two hex digits is kept as it is, and
/// bytes that are not UTF-8 become U+FFFD.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// A short piece of Markdown (a front-matter `summary`, a `Summary:` line) as one line of
/// plain text: links become their text, emphasis and code marks go, entities are decoded
/// once, images become their alt text, HTML stays as written (it is text to whoever shows
/// it), and runs of white space are one space.
pub fn inline_text(markdown: &str) -> String {
    // A summary is a sentence, not a document: a line that would start a block (a list
    // item, a heading, a quote, a setext underline, indented code) keeps its characters.
    let mut guarded = String::with_capacity(markdown.len() + 8);
    for line in markdown.lines() {
        let line = line.trim_start();
        match block_marker(line) {
            Some(at) => {
                guarded.push_str(&line[..at]);
                guarded.push('\\');
                guarded.push_str(&line[at..]);
            }
            None => guarded.push_str(line),
        }
        guarded.push('\n');
    }
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    // HTML an author typed is kept as the text it is (escaped where it is shown): a summary
    // that says "the alert read <img src=x>" keeps its words.
    let events: Vec<Event> = Parser::new_ext(&guarded, opts)
        .map(|e| match e {
            Event::InlineHtml(h) | Event::Html(h) => Event::Text(h),
            e => e,
        })
        .collect();
    let text = plain_text(events.iter());
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Where the punctuation is that would make a line (without its indent) open a block other
/// than a paragraph: a backslash before it keeps it text.
fn block_marker(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let spaced = |n: usize| b.get(n).is_none_or(|c| *c == b' ' || *c == b'\t');
    let opens = match b.first() {
        Some(b'#' | b'>') => true,
        Some(b'-' | b'+' | b'*') => spaced(1) || b.iter().all(|c| matches!(c, b'-' | b'*' | b' ')),
        Some(b'=') => b.iter().all(|c| *c == b'=' || *c == b' '),
        Some(b'0'..=b'9') => {
            let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
            if matches!(b.get(digits), Some(b'.' | b')')) && spaced(digits + 1) {
                return Some(digits);
            }
            false
        }
        _ => false,
    };
    opens.then_some(0)
}

/// Text content of events: paragraphs separated by blank lines, breaks as spaces.
fn plain_text<'a, 'b: 'a>(events: impl Iterator<Item = &'a Event<'b>>) -> String {
    let mut s = String::new();
    for ev in events {
        match ev {
            Event::Text(t) | Event::Code(t) => s.push_str(t),
            Event::SoftBreak | Event::HardBreak => s.push(' '),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::TableRow
                | TagEnd::TableHead
                | TagEnd::CodeBlock,
            ) => s.push_str("\n\n"),
            Event::End(TagEnd::TableCell) => s.push_str(" | "),
            _ => {}
        }
    }
    s.trim().to_owned()
}

/// The top-level list items of a section as plain text, each with the subheading above it.
fn items_by_heading(events: &[Event]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut heading = String::new();
    let mut start = 0;
    let flush = |from: usize, to: usize, heading: &str, out: &mut Vec<(String, String)>| {
        for item in top_level_items(&events[from..to]) {
            let text = plain_text(item.iter());
            if !text.is_empty() {
                out.push((heading.to_owned(), text));
            }
        }
    };
    let mut i = 0;
    while i < events.len() {
        if let Event::Start(Tag::Heading { .. }) = events[i] {
            flush(start, i, &heading, &mut out);
            let end = (i..events.len())
                .find(|&j| matches!(events[j], Event::End(TagEnd::Heading(_))))
                .unwrap_or(events.len() - 1);
            heading = plain_text(events[i + 1..end].iter());
            start = end + 1;
            i = end + 1;
            continue;
        }
        i += 1;
    }
    flush(start.min(events.len()), events.len(), &heading, &mut out);
    out
}

/// The top-level items of lists in `events`, each as its own events (paragraph tags removed).
fn top_level_items<'a>(events: &[Event<'a>]) -> Vec<Vec<Event<'a>>> {
    let mut items = Vec::new();
    let mut depth = 0usize;
    let mut current: Option<Vec<Event>> = None;
    for ev in events {
        match ev {
            Event::Start(Tag::List(_)) => depth += 1,
            Event::End(TagEnd::List(_)) => depth = depth.saturating_sub(1),
            Event::Start(Tag::Item) if depth == 1 => {
                current = Some(Vec::new());
                continue;
            }
            Event::End(TagEnd::Item) if depth == 1 => {
                if let Some(item) = current.take() {
                    items.push(item);
                }
                continue;
            }
            _ => {}
        }
        if let Some(item) = current.as_mut() {
            if depth == 1
                && matches!(
                    ev,
                    Event::Start(Tag::Paragraph) | Event::End(TagEnd::Paragraph)
                )
            {
                if matches!(ev, Event::End(TagEnd::Paragraph)) {
                    item.push(Event::SoftBreak);
                }
                continue;
            }
            item.push(ev.clone());
        }
    }
    items
}

fn inline_html(events: &[Event]) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.iter().cloned());
    if needs_sanitizing(events) {
        sanitize::clean(html.trim())
    } else {
        html.trim().to_owned()
    }
}

/// pulldown-cmark escapes text, code and attribute values itself; only raw HTML and
/// author-chosen URLs (links, images: `javascript:`) need the sanitiser. Skipping it
/// elsewhere saves most of the parse time.
fn needs_sanitizing(events: &[Event]) -> bool {
    events.iter().any(|e| {
        matches!(
            e,
            Event::Html(_)
                | Event::InlineHtml(_)
                | Event::Start(Tag::Link { .. })
                | Event::Start(Tag::Image { .. })
        )
    })
}

/// Removes the first `n` visible characters of `html` (tags kept, entities count as one),
/// then drops tags the removal left empty (`<strong></strong>`).
fn skip_visible(html: &str, mut n: usize) -> String {
    let mut out = String::with_capacity(html.len());
    let mut chars = html.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '<' {
            let end = html[i..].find('>').map_or(html.len(), |e| i + e + 1);
            out.push_str(&html[i..end]);
            while chars.peek().is_some_and(|(j, _)| *j < end) {
                chars.next();
            }
            continue;
        }
        let len = if c == '&' {
            html[i..].find(';').filter(|&e| e < 10).map_or(1, |e| e + 1)
        } else {
            c.len_utf8()
        };
        if n > 0 {
            n -= 1;
        } else {
            out.push_str(&html[i..i + len]);
        }
        while chars.peek().is_some_and(|(j, _)| *j < i + len) {
            chars.next();
        }
    }
    // Checked first: this runs for every timeline entry, and almost none has an emptied tag.
    if out.contains("></") {
        for empty in [
            "<strong></strong>",
            "<em></em>",
            "<code></code>",
            "<b></b>",
            "<i></i>",
        ] {
            if out.contains(empty) {
                out = out.replace(empty, "");
            }
        }
    }
    out.trim().to_owned()
}

fn extract_timeline(events: &[Event], first_line: usize, entries: &mut Vec<RawEntry>) {
    let mut heading_day: Option<Date> = None;
    let mut note_zone: Option<TimeZone> = None;
    let mut i = 0;
    while i < events.len() {
        match &events[i] {
            Event::Start(Tag::Heading { .. }) => {
                let end = find_end(events, i);
                let text = plain_text(events[i + 1..end].iter());
                if let Some(d) = find_iso_date(&text).and_then(|d| d.parse::<Date>().ok()) {
                    heading_day = Some(d);
                }
                i = end + 1;
            }
            Event::Start(Tag::Paragraph) => {
                let end = find_end(events, i);
                let text = plain_text(events[i + 1..end].iter());
                if let Some(zone) = timeline::zone_note(&text) {
                    note_zone = zone;
                }
                i = end + 1;
            }
            Event::Start(Tag::List(_)) => {
                let end = find_end(events, i);
                for item in top_level_items(&events[i..=end]) {
                    let text = plain_text(
                        item.iter()
                            .take_while(|e| !matches!(e, Event::Start(Tag::List(_)))),
                    );
                    if let Some((stamp, used)) = timeline::parse_prefix(&text) {
                        let visible = text[..used].chars().count();
                        let html = skip_visible(&inline_html(&item), visible);
                        entries.push(RawEntry {
                            stamp,
                            heading_day,
                            note_zone: note_zone.clone(),
                            html,
                            line: first_line,
                        });
                    }
                }
                i = end + 1;
            }
            Event::Start(Tag::Table(_)) => {
                let end = find_end(events, i);
                extract_table(
                    &events[i..=end],
                    heading_day,
                    &note_zone,
                    first_line,
                    entries,
                );
                i = end + 1;
            }
            _ => i += 1,
        }
    }
}

/// Table timelines: the first column is the timestamp; the event is the column headed
/// Event/Description/What/Details, else the last column.
fn extract_table(
    events: &[Event],
    heading_day: Option<Date>,
    zone: &Option<TimeZone>,
    line: usize,
    entries: &mut Vec<RawEntry>,
) {
    let mut rows: Vec<Vec<Vec<Event>>> = Vec::new();
    let mut header: Vec<String> = Vec::new();
    let mut in_head = false;
    let mut row: Vec<Vec<Event>> = Vec::new();
    let mut cell: Option<Vec<Event>> = None;
    for ev in events {
        match ev {
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                header = row
                    .drain(..)
                    .map(|c| plain_text(c.iter()).to_ascii_lowercase())
                    .collect();
            }
            Event::Start(Tag::TableCell) => cell = Some(Vec::new()),
            Event::End(TagEnd::TableCell) => row.push(cell.take().unwrap_or_default()),
            Event::End(TagEnd::TableRow) if !in_head => rows.push(std::mem::take(&mut row)),
            e => {
                if let Some(c) = cell.as_mut() {
                    c.push(e.clone());
                }
            }
        }
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    if width < 2 {
        return;
    }
    let event_col = header
        .iter()
        .position(|h| {
            [
                "event",
                "description",
                "what",
                "details",
                "action",
                "what happened",
            ]
            .iter()
            .any(|k| h.contains(k))
        })
        .filter(|&c| c > 0)
        .unwrap_or(width - 1);
    for row in rows {
        let Some(first) = row.first() else { continue };
        let text = plain_text(first.iter());
        let Some((stamp, used)) = timeline::parse_prefix(&text) else {
            continue;
        };
        if used < text.trim_end().len() {
            continue;
        }
        let html = row
            .get(event_col)
            .map(|c| inline_html(c))
            .unwrap_or_default();
        entries.push(RawEntry {
            stamp,
            heading_day,
            note_zone: zone.clone(),
            html,
            line,
        });
    }
}

fn find_end(events: &[Event], start: usize) -> usize {
    let mut depth = 0usize;
    for (j, ev) in events.iter().enumerate().skip(start) {
        match ev {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    events.len().saturating_sub(1)
}

fn extract_whys(events: &[Event]) -> Vec<Why> {
    top_level_items(events)
        .iter()
        .map(|item| {
            let text = plain_text(
                item.iter()
                    .take_while(|e| !matches!(e, Event::Start(Tag::List(_)))),
            );
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            match text.find('?') {
                Some(q)
                    if text
                        .to_ascii_lowercase()
                        .trim_start_matches(['*', ' '])
                        .starts_with("why") =>
                {
                    Why {
                        question: text[..=q].trim().to_owned(),
                        answer: text[q + 1..].trim().to_owned(),
                    }
                }
                _ => Why {
                    question: String::new(),
                    answer: text,
                },
            }
        })
        .filter(|w| !w.answer.is_empty() || !w.question.is_empty())
        .collect()
}

/// Task-list boxes (`- [x] …`) are drawn as disabled checkboxes, which a screen reader
/// announces with no name: each gets `aria-label="done"` or `"not done"`. Every `<input>` here
/// came from pulldown-cmark or through the sanitiser, which keeps only `type`, `checked` and
/// `disabled`.
fn label_checkboxes(html: String) -> String {
    if !html.contains("<input") {
        return html;
    }
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html.as_str();
    while let Some(at) = rest.find("<input") {
        out.push_str(&rest[..at]);
        let tag_len = rest[at..].find('>').map_or(rest.len() - at, |e| e + 1);
        let tag = &rest[at..at + tag_len];
        if tag.contains("type=\"checkbox\"") && !tag.contains("aria-label") {
            let label = if tag.contains("checked") {
                "done"
            } else {
                "not done"
            };
            out.push_str(&format!(
                "<input aria-label=\"{label}\"{}",
                &tag["<input".len()..]
            ));
        } else {
            out.push_str(tag);
        }
        rest = &rest[at + tag_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_boxes_are_named_and_code_blocks_take_the_focus() {
        let md = "## Notes\n\n- [x] rolled back\n- [ ] alarm added\n\n```\nlong log line\n```\n\n<input type=\"checkbox\" checked onclick=\"x()\">\n";
        let body = parse(md, "2024", 1);
        let html: String = body.sections.iter().map(|s| s.html.as_str()).collect();
        assert_eq!(html.matches("aria-label=\"done\"").count(), 2, "{html}");
        assert_eq!(html.matches("aria-label=\"not done\"").count(), 1, "{html}");
        assert!(html.contains("<pre tabindex=\"0\">"), "{html}");
        assert!(!html.contains("onclick"), "{html}");
    }

    #[test]
    fn sections_title_and_links() {
        let md = "# The title\n\nIntro.\n\n## Summary\n\nFirst para.\n\nSecond.\n\n## 5 Whys\n\n1. Why x? Because y.\n2. Why y? Because z.\n\n## Related\n\nSee [old](../2023/COE-2023-004.md#timeline).\n";
        let b = parse(md, "2024", 1);
        assert_eq!(b.title.as_ref().map(|t| t.0.as_str()), Some("The title"));
        assert_eq!(b.sections[0].title, "");
        assert!(b.sections[0].html.contains("Intro."));
        assert_eq!(b.sections[1].kind, Some(SectionKind::Summary));
        assert_eq!(b.whys.len(), 2);
        assert_eq!(b.whys[0].question, "Why x?");
        assert_eq!(b.whys[0].answer, "Because y.");
        assert_eq!(b.links[0].target, "2023/COE-2023-004.md");
        assert!(
            b.sections[3].html.contains("href=\"/@coe/0#timeline\""),
            "{}",
            b.sections[3].html
        );
    }

    #[test]
    fn timeline_list_with_days() {
        let md = "## Timeline\n\n### 2023-06-02\n\n- 09:02 — **Deploy** starts\n- 23:50 — x\n\n### 2023-06-03\n\n- 00:10 — y\n";
        let b = parse(md, "", 1);
        let ev = timeline::resolve(&b.timeline, None);
        assert_eq!(ev.len(), 3);
        assert_eq!(ev[0].html, "<strong>Deploy</strong> starts");
        assert_eq!(ev[2].day, "2023-06-03");
    }

    #[test]
    fn timeline_table_with_zone_note() {
        let md = "## Timeline\n\nAll times in CET.\n\n| Time | Event |\n|---|---|\n| 2019-07-02 14:42 | WAF rule deployed |\n| 14:45 | Alerts |\n";
        let b = parse(md, "", 1);
        let ev = timeline::resolve(&b.timeline, None);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].utc.as_deref(), Some("2019-07-02T13:42:00Z"));
        assert_eq!(ev[1].html, "Alerts");
    }

    #[test]
    fn percent_encoded_links() {
        let b = parse("[x](2021-06-08%20Fastly%20bug.md) [y](<a b.md>)", "", 1);
        assert_eq!(b.links[0].target, "2021-06-08 Fastly bug.md");
        assert_eq!(b.links[1].target, "a b.md");
        assert_eq!(percent_decode("%a\u{e9}%"), "%a\u{e9}%");
    }

    #[test]
    fn inline_text_keeps_the_words_only() {
        let md = "A [priority inversion](https://example.com/x) in `sched_yield`, **bold** \
                  and _soft_; R&amp;D &lt;b&gt; ![graph of p99](p99.png) <span>tag</span>\n\nSecond.";
        assert_eq!(
            inline_text(md),
            "A priority inversion in sched_yield, bold and soft; R&D <b> graph of p99 <span>tag</span> Second."
        );
        assert_eq!(inline_text("plain text"), "plain text");
        assert_eq!(
            inline_text("2024. A year\n- of *outages*\n# and\n===\n    code"),
            "2024. A year - of outages # and === code"
        );
        assert_eq!(inline_text(""), "");
    }

    #[test]
    fn skip_visible_keeps_markup() {
        assert_eq!(
            skip_visible("<strong>09:02</strong> — a &amp; b", 8),
            "a &amp; b"
        );
    }
}
