//! Action items written in the body, under an Action Items heading: list items (bullets,
//! numbers, task lists) and table rows, read into the same [`ActionItem`]s as the front
//! matter's `action_items`. Used only when the front matter has none.
//!
//! One pass over the section's events; each list item or table row is read once.

use super::front_matter::{ActionItem, ItemStatus, normal};
use super::hints::{self, Found, is_tracker_url};
use super::time::{find_loose_date, loose_date_at};
use pulldown_cmark::{Event, Tag, TagEnd};
use std::collections::BTreeMap;

/// The action items of one Action Items section. `events` are the section's events (after
/// its heading) with their byte offsets; `line_at` turns an offset into a file line.
pub fn extract(events: &[(Event, usize)], line_at: &dyn Fn(usize) -> usize) -> Vec<ActionItem> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < events.len() {
        match &events[i].0 {
            Event::Start(Tag::List(_)) => {
                let end = block_end(events, i);
                list(&events[i..=end], line_at, &mut out);
                i = end + 1;
            }
            Event::Start(Tag::Table(_)) => {
                let end = block_end(events, i);
                table(&events[i..=end], line_at, &mut out);
                i = end + 1;
            }
            Event::Start(_) => i = block_end(events, i) + 1,
            _ => i += 1,
        }
    }
    out
}

/// The index of the `End` that closes the `Start` at `start`.
fn block_end(events: &[(Event, usize)], start: usize) -> usize {
    let mut depth = 0usize;
    for (j, (ev, _)) in events.iter().enumerate().skip(start) {
        match ev {
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    events.len().saturating_sub(1)
}

/// Text read from inline events: the visible text, the links' URLs, how much was struck out.
#[derive(Default)]
struct Inline {
    text: String,
    /// The URLs of the links, in order.
    links: Vec<String>,
    struck: usize,
    visible: usize,
}

impl Inline {
    /// Reads one inline event; `link` tracks the link being read (its URL and where its
    /// text starts in `text`).
    fn push(&mut self, ev: &Event, link: &mut Option<(String, usize)>, strike: &mut usize) {
        match ev {
            Event::Text(t) | Event::Code(t) => {
                let n = t.chars().filter(|c| !c.is_whitespace()).count();
                self.visible += n;
                if *strike > 0 {
                    self.struck += n;
                }
                self.text.push_str(t);
            }
            Event::SoftBreak | Event::HardBreak => self.text.push(' '),
            Event::InlineHtml(h) | Event::Html(h)
                if h.trim_start().to_ascii_lowercase().starts_with("<br") =>
            {
                self.text.push(' ');
            }
            Event::Start(Tag::Strikethrough) => *strike += 1,
            Event::End(TagEnd::Strikethrough) => *strike = strike.saturating_sub(1),
            Event::Start(Tag::Link { dest_url, .. }) => {
                *link = Some((dest_url.to_string(), self.text.len()));
            }
            Event::End(TagEnd::Link) => {
                if let Some((url, from)) = link.take() {
                    if is_tracker_url(&url) {
                        // `[OPS-12](https://jira/…)`: the URL is the ticket, the key text goes.
                        let shown = self.text.get(from..).unwrap_or("").trim();
                        let only_names_it = shown.is_empty()
                            || shown.starts_with("http")
                            || shown.starts_with('#')
                            || hints::ticket_key_at(shown) == Some(shown.len())
                            || ["ticket", "issue", "bug", "jira", "link", "pr", "mr"]
                                .contains(&normal(shown).as_str());
                        if only_names_it {
                            self.text.truncate(from);
                        }
                    }
                    self.links.push(url);
                }
            }
            _ => {}
        }
    }

    fn struck_out(&self) -> bool {
        self.visible > 0 && self.struck * 2 >= self.visible
    }

    fn tracker_link(&self) -> Option<String> {
        self.links.iter().find(|u| is_tracker_url(u)).cloned()
    }
}

/// Each top-level item of a list: one action. Nested lists are part of their item's text.
fn list(events: &[(Event, usize)], line_at: &dyn Fn(usize) -> usize, out: &mut Vec<ActionItem>) {
    let mut depth = 0usize;
    let mut item: Option<ItemText> = None;
    let mut link = None;
    let mut strike = 0usize;
    for (ev, off) in events {
        match ev {
            Event::Start(Tag::List(_)) => {
                depth += 1;
                if depth > 1
                    && let Some(it) = item.as_mut()
                {
                    it.next_segment();
                }
                continue;
            }
            Event::End(TagEnd::List(_)) => {
                depth = depth.saturating_sub(1);
                continue;
            }
            Event::Start(Tag::Item) if depth == 1 => {
                item = Some(ItemText::new(line_at(*off)));
                link = None;
                strike = 0;
                continue;
            }
            Event::End(TagEnd::Item) if depth == 1 => {
                if let Some(it) = item.take()
                    && let Some(a) = it.finish()
                {
                    out.push(a);
                }
                continue;
            }
            Event::Start(Tag::Item) => {
                if let Some(it) = item.as_mut() {
                    it.next_segment();
                }
                continue;
            }
            Event::TaskListMarker(done) if depth == 1 => {
                if let Some(it) = item.as_mut()
                    && it.segments.len() == 1
                    && it.current().text.trim().is_empty()
                {
                    it.task = Some(*done);
                }
                continue;
            }
            Event::End(TagEnd::Paragraph) => {
                if let Some(it) = item.as_mut() {
                    it.current().text.push(' ');
                }
                continue;
            }
            _ => {}
        }
        if let Some(it) = item.as_mut() {
            let top = it.segments.len() == 1;
            let seg = it.current();
            seg.push(ev, &mut link, &mut strike);
            if !top {
                // Only the item's own text decides whether it is struck out.
                seg.struck = 0;
            }
        }
    }
}

/// The text of one list item as it is read: its own text, then one segment per nested item.
struct ItemText {
    line: usize,
    task: Option<bool>,
    segments: Vec<Inline>,
}

impl ItemText {
    fn new(line: usize) -> Self {
        ItemText {
            line,
            task: None,
            segments: vec![Inline::default()],
        }
    }

    fn current(&mut self) -> &mut Inline {
        if self.segments.is_empty() {
            self.segments.push(Inline::default());
        }
        let last = self.segments.len() - 1;
        &mut self.segments[last]
    }

    fn next_segment(&mut self) {
        if !self.current().text.trim().is_empty() || self.segments.len() == 1 {
            self.segments.push(Inline::default());
        }
    }

    fn finish(self) -> Option<ActionItem> {
        let mut found = Found::default();
        let struck = self.segments.first().is_some_and(Inline::struck_out);
        let mut parts = Vec::new();
        let mut link_ticket = None;
        for seg in &self.segments {
            if link_ticket.is_none() {
                link_ticket = seg.tracker_link();
            }
            let text = hints::extract(&seg.text, &mut found);
            if !text.is_empty() {
                parts.push(text);
            }
        }
        let title = join_parts(parts);
        if title.is_empty() {
            return None;
        }
        let status = match self.task {
            Some(true) => ItemStatus::Done,
            _ if struck => ItemStatus::Done,
            _ => found.status.unwrap_or_default(),
        };
        Some(ActionItem {
            title,
            owner: found.owner,
            due: found.due,
            status,
            priority: found.priority,
            ticket: link_ticket.or(found.ticket),
            closed: None,
            line: self.line,
            extra: BTreeMap::new(),
        })
    }
}

/// An item's text and its sub-items' as one line: `Parent; sub one; sub two`.
fn join_parts(parts: Vec<String>) -> String {
    let mut title = String::new();
    for p in parts {
        if !title.is_empty() {
            if !title.ends_with([':', ';', '.', ',']) {
                title.push(';');
            }
            title.push(' ');
        }
        title.push_str(&p);
    }
    title
}

/// What a table column holds, from its header.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Column {
    Title,
    Owner,
    Due,
    Status,
    Priority,
    Ticket,
    /// Kept in the item's `extra` under this name.
    Other,
}

/// A header cell's meaning; headers compare case-insensitively, ignoring spaces and punctuation.
fn column(header: &str) -> Column {
    match normal(header).as_str() {
        "action" | "actionitem" | "actionitems" | "actions" | "item" | "items" | "description"
        | "task" | "tasks" | "title" | "what" | "followup" | "remediation" | "correctiveaction"
        | "todo" => Column::Title,
        "owner" | "owners" | "assignee" | "assignees" | "assignedto" | "who" | "dri"
        | "responsible" | "ownedby" => Column::Owner,
        "due" | "duedate" | "target" | "targetdate" | "by" | "eta" | "deadline" | "when"
        | "duby" => Column::Due,
        "status" | "state" | "done" => Column::Status,
        "priority" | "pri" | "p" | "prio" | "severity" | "sev" => Column::Priority,
        "ticket" | "tickets" | "bug" | "bugs" | "issue" | "issues" | "jira" | "link" | "links"
        | "tracking" | "tracker" | "ref" | "reference" | "references" | "pr" | "url" => {
            Column::Ticket
        }
        _ => Column::Other,
    }
}

/// A key for `extra` from a header: `Type` → `type`, `Follow-up area` → `follow_up_area`.
fn extra_key(header: &str, index: usize) -> String {
    let mut key = String::new();
    for c in header.trim().chars() {
        if c.is_alphanumeric() {
            key.extend(c.to_lowercase());
        } else if !key.is_empty() && !key.ends_with('_') {
            key.push('_');
        }
    }
    let key = key.trim_end_matches('_').to_owned();
    if key.is_empty() {
        format!("column_{}", index + 1)
    } else {
        key
    }
}

/// A table of actions: each body row one item, columns known by their headers.
fn table(events: &[(Event, usize)], line_at: &dyn Fn(usize) -> usize, out: &mut Vec<ActionItem>) {
    let mut header: Vec<Inline> = Vec::new();
    let mut rows: Vec<(usize, Vec<Inline>)> = Vec::new();
    let mut in_head = false;
    let mut row: Vec<Inline> = Vec::new();
    let mut cell: Option<Inline> = None;
    let mut row_line = 0;
    let mut link = None;
    let mut strike = 0usize;
    for (ev, off) in events {
        match ev {
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                header = std::mem::take(&mut row);
            }
            Event::Start(Tag::TableRow) => row_line = line_at(*off),
            Event::End(TagEnd::TableRow) if !in_head => {
                rows.push((row_line, std::mem::take(&mut row)));
            }
            Event::Start(Tag::TableCell) => {
                cell = Some(Inline::default());
                link = None;
                strike = 0;
            }
            Event::End(TagEnd::TableCell) => row.push(cell.take().unwrap_or_default()),
            e => {
                if let Some(c) = cell.as_mut() {
                    c.push(e, &mut link, &mut strike);
                }
            }
        }
    }
    let names: Vec<String> = header
        .iter()
        .map(|h| h.text.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut columns: Vec<Column> = names.iter().map(|h| column(h)).collect();
    // The first title-like column is the title; a second one is kept as it is.
    let mut seen = Vec::new();
    for c in columns.iter_mut() {
        if *c != Column::Other && seen.contains(c) {
            *c = Column::Other;
        }
        seen.push(*c);
    }
    if !columns.contains(&Column::Title) {
        // No action column by name: the first unnamed one is, when others are known.
        let known = columns.iter().any(|c| {
            matches!(
                c,
                Column::Owner | Column::Due | Column::Status | Column::Ticket
            )
        });
        // The unnamed column with the most text is the action (not a `#` column).
        let width = |k: usize| -> usize {
            rows.iter()
                .filter_map(|(_, cells)| cells.get(k))
                .map(|c| c.text.len())
                .sum()
        };
        let best = (0..columns.len())
            .filter(|&k| columns[k] == Column::Other)
            .max_by_key(|&k| (width(k), std::cmp::Reverse(k)));
        match best {
            Some(k) if known => columns[k] = Column::Title,
            _ => return,
        }
    }
    for (line, cells) in rows {
        if let Some(item) = table_row(line, &cells, &columns, &names) {
            out.push(item);
        }
    }
}

/// A cell's text, or `None` when the cell is blank (or only a dash).
fn cell_text(cell: &Inline) -> Option<String> {
    let t = cell.text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty() && !matches!(t.as_str(), "-" | "–" | "—" | "--")).then_some(t)
}

fn table_row(
    line: usize,
    cells: &[Inline],
    columns: &[Column],
    names: &[String],
) -> Option<ActionItem> {
    let mut item = ActionItem::new(line);
    let mut status = None;
    let mut title_cell = None;
    for (k, cell) in cells.iter().enumerate() {
        let column = columns.get(k).copied().unwrap_or(Column::Other);
        let Some(text) = cell_text(cell) else {
            // A ticket column whose link text was dropped still has its URL.
            if column == Column::Ticket && item.ticket.is_none() {
                item.ticket = cell.links.first().cloned();
            }
            continue;
        };
        let name = names.get(k).map_or("", String::as_str);
        match column {
            Column::Title => title_cell = Some((text, cell)),
            Column::Owner => item.owner = Some(text.trim_start_matches('@').to_owned()),
            Column::Due => match loose_date_at(&text)
                .or_else(|| find_loose_date(&text).map(|(d, r)| (d, r.end)))
            {
                Some((d, _)) => item.due = Some(d),
                None => {
                    item.extra
                        .insert(extra_key(name, k), serde_json::Value::String(text));
                }
            },
            Column::Status => match hints::item_status(&text) {
                Some(s) => status = Some(s),
                None if cell.struck_out() => status = Some(ItemStatus::Done),
                None => {
                    item.extra
                        .insert(extra_key(name, k), serde_json::Value::String(text));
                }
            },
            Column::Priority => match hints::priority(&text) {
                Some(p) => item.priority = Some(p),
                None => {
                    item.extra
                        .insert(extra_key(name, k), serde_json::Value::String(text));
                }
            },
            Column::Ticket => {
                item.ticket = Some(cell.links.first().cloned().unwrap_or(text));
            }
            Column::Other => {
                item.extra
                    .insert(extra_key(name, k), serde_json::Value::String(text));
            }
        }
    }
    let (text, cell) = title_cell?;
    // Hints in the action's own text fill what the columns did not say.
    let mut found = Found {
        owner: item.owner.take(),
        due: item.due,
        status,
        priority: item.priority,
        ticket: item.ticket.take(),
    };
    if found.ticket.is_none() {
        found.ticket = cell.tracker_link();
    }
    let title = hints::extract(&text, &mut found);
    if title.is_empty() {
        return None;
    }
    item.title = title;
    item.owner = found.owner;
    item.due = found.due;
    item.priority = found.priority;
    item.ticket = found.ticket;
    item.status = if cell.struck_out() {
        ItemStatus::Done
    } else {
        found.status.unwrap_or_default()
    };
    Some(item)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::front_matter::Priority;
    use pulldown_cmark::{Options, Parser};

    fn items(md: &str) -> Vec<ActionItem> {
        let mut opts = Options::empty();
        opts.insert(Options::ENABLE_TABLES);
        opts.insert(Options::ENABLE_STRIKETHROUGH);
        opts.insert(Options::ENABLE_TASKLISTS);
        let starts: Vec<usize> = std::iter::once(0)
            .chain(md.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let line_at = |o: usize| starts.partition_point(|&s| s <= o);
        let events: Vec<(Event, usize)> = Parser::new_ext(md, opts)
            .into_offset_iter()
            .map(|(e, r)| (e, r.start))
            .collect();
        extract(&events, &line_at)
    }

    fn due(a: &ActionItem) -> String {
        a.due.map(|d| d.to_string()).unwrap_or_default()
    }

    #[test]
    fn bullets_with_hints() {
        let a = items(
            "- Add an alarm on queue depth @maria due 2024-04-01\n\
             - Owner: Jane Doe — rotate the keys (by 2024-05-02) [P1]\n\
             * Document the failover runbook (done) OPS-77\n",
        );
        assert_eq!(a.len(), 3);
        assert_eq!(a[0].title, "Add an alarm on queue depth");
        assert_eq!(a[0].owner.as_deref(), Some("maria"));
        assert_eq!(due(&a[0]), "2024-04-01");
        assert_eq!(a[0].line, 1);
        assert_eq!(a[1].title, "rotate the keys");
        assert_eq!(a[1].owner.as_deref(), Some("Jane Doe"));
        assert_eq!(a[1].priority, Some(Priority::High));
        assert_eq!(a[2].status, ItemStatus::Done);
        assert_eq!(a[2].ticket.as_deref(), Some("OPS-77"));
        assert_eq!(a[2].title, "Document the failover runbook");
    }

    #[test]
    fn numbered_multi_line_and_nested() {
        let a = items(
            "Some prose first.\n\n\
             1. Cap the retry budget of the\n   payment client at 10%\n   - owner: @li.wei\n   - due: 2024-06-30\n\
             2. ~~Drop the legacy cron job~~\n\
             3. Review alert thresholds\n   - page on p99 > 2 s\n   - tracked in https://github.com/acme/ops/issues/12\n",
        );
        assert_eq!(a.len(), 3, "{a:?}");
        assert_eq!(
            a[0].title,
            "Cap the retry budget of the payment client at 10%"
        );
        assert_eq!(a[0].owner.as_deref(), Some("li.wei"));
        assert_eq!(due(&a[0]), "2024-06-30");
        assert_eq!(a[0].line, 3);
        assert_eq!(a[1].status, ItemStatus::Done);
        assert_eq!(a[1].title, "Drop the legacy cron job");
        assert_eq!(a[2].title, "Review alert thresholds; page on p99 > 2 s");
        assert_eq!(
            a[2].ticket.as_deref(),
            Some("https://github.com/acme/ops/issues/12")
        );
    }

    #[test]
    fn task_lists() {
        let a = items(
            "- [ ] Add a canary stage @bob\n- [x] Roll back the config\n- [X] Fix the dashboard ~~later~~\n- [ ] Reindex (in progress)\n",
        );
        let s: Vec<ItemStatus> = a.iter().map(|a| a.status).collect();
        assert_eq!(
            s,
            [
                ItemStatus::Open,
                ItemStatus::Done,
                ItemStatus::Done,
                ItemStatus::InProgress
            ]
        );
        assert_eq!(a[0].owner.as_deref(), Some("bob"));
        assert_eq!(a[1].title, "Roll back the config");
    }

    #[test]
    fn table_in_odd_order_with_blanks_and_links() {
        let a = items(
            "| Status | Bug | Owner | Action Item | Type | Due Date |\n\
             |---|---|---|---|---|---|\n\
             | DONE | [OPS-1](https://jira.acme.io/browse/OPS-1) | [ana](https://wiki/ana) | Add the [config check](https://wiki/cc) | prevent | 2024-03-01 |\n\
             | In Progress | OPS-2 |  | Alarm on error rate | mitigate | March 9, 2024 |\n\
             | not started | | - | Split the queue | process | Q3 |\n\
             | | | | | | |\n",
        );
        assert_eq!(a.len(), 3, "{a:?}");
        assert_eq!(a[0].title, "Add the config check");
        assert_eq!(a[0].status, ItemStatus::Done);
        assert_eq!(
            a[0].ticket.as_deref(),
            Some("https://jira.acme.io/browse/OPS-1")
        );
        assert_eq!(a[0].owner.as_deref(), Some("ana"));
        assert_eq!(due(&a[0]), "2024-03-01");
        assert_eq!(a[0].extra.get("type"), Some(&serde_json::json!("prevent")));
        assert_eq!(a[0].line, 3);
        assert_eq!(a[1].status, ItemStatus::InProgress);
        assert_eq!(a[1].owner, None);
        assert_eq!(a[1].ticket.as_deref(), Some("OPS-2"));
        assert_eq!(due(&a[1]), "2024-03-09");
        assert_eq!(a[2].status, ItemStatus::Open);
        assert_eq!(a[2].owner, None);
        assert_eq!(a[2].due, None);
        assert_eq!(a[2].extra.get("due_date"), Some(&serde_json::json!("Q3")));
    }

    #[test]
    fn table_without_an_action_column_name() {
        let a = items(
            "| # | Change | Who | ETA |\n|--|--|--|--|\n| 1 | Pin the base image | @ops | 2024-01-05 |\n",
        );
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].title, "Pin the base image");
        assert_eq!(a[0].owner.as_deref(), Some("ops"));
        assert_eq!(due(&a[0]), "2024-01-05");
        assert_eq!(a[0].extra.get("column_1"), Some(&serde_json::json!("1")));
    }

    #[test]
    fn prose_and_tables_of_other_things_are_not_actions() {
        assert!(
            items("We will fix this soon.\n\n| Metric | Value |\n|--|--|\n| p99 | 2s |\n")
                .is_empty()
        );
    }

    #[test]
    fn hostile_sizes_are_linear() {
        let rows: String = (0..10_000)
            .map(|i| format!("| Item {i} @o{i} due 2024-01-01 | x |\n"))
            .collect();
        let md = format!(
            "| Action | Owner |\n|--|--|\n{rows}- {}\n",
            "a ".repeat(1_000_000)
        );
        let start = std::time::Instant::now();
        let a = items(&md);
        assert_eq!(a.len(), 10_001);
        assert!(start.elapsed().as_secs() < 10);
    }
}
