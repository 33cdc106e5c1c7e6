//! The file's text as lines, for pointing findings at the right line and column: where the
//! front-matter fields are, which lines belong to which section, and each line's prose with
//! code and HTML comments blanked out (columns are kept).

use super::prose::Prose;
use crate::content::Coe;
use crate::content::markdown::SectionKind;
use crate::content::timeline;

pub(crate) struct Source<'a> {
    /// The file's lines; `lines[0]` is line 1.
    lines: Vec<&'a str>,
    /// Last line of the front matter (its closing `---`), 0 when there is none.
    front_matter_end: usize,
    /// Each line with fenced code, inline code and HTML comments replaced by spaces.
    prose: Vec<String>,
    /// Lines inside fenced code blocks (or the fences themselves).
    code: Vec<bool>,
    sections: Vec<Span>,
}

/// Where a section is: its heading line and the lines of its content.
#[derive(Debug, Clone)]
pub(crate) struct Span {
    pub kind: Option<SectionKind>,
    pub title: String,
    pub heading: usize,
    /// First and last content line (inclusive); `first > last` when there is none.
    pub first: usize,
    pub last: usize,
}

impl<'a> Source<'a> {
    pub fn new(text: &'a str, coe: &Coe) -> Source<'a> {
        let lines: Vec<&str> = text.split('\n').collect();
        let front_matter_end = front_matter_end(&lines);
        let (prose, code) = mask(&lines, front_matter_end);
        let mut starts: Vec<(usize, Option<SectionKind>, String)> = coe
            .sections
            .iter()
            .map(|s| (s.line, s.kind, s.title.clone()))
            .collect();
        starts.sort_by_key(|s| s.0);
        let mut sections = Vec::with_capacity(starts.len());
        for (i, (line, kind, title)) in starts.iter().enumerate() {
            let end = starts
                .get(i + 1)
                .map_or(lines.len(), |n| n.0.saturating_sub(1));
            let first = if title.is_empty() { *line } else { line + 1 };
            sections.push(Span {
                kind: *kind,
                title: title.clone(),
                heading: *line,
                first,
                last: end,
            });
        }
        Source {
            lines,
            front_matter_end,
            prose,
            code,
            sections,
        }
    }

    pub fn sections(&self) -> &[Span] {
        &self.sections
    }

    pub fn section(&self, kind: SectionKind) -> Option<&Span> {
        self.sections.iter().find(|s| s.kind == Some(kind))
    }

    /// Every section of `kind` (a COE may have `What went well` and `What went wrong`).
    pub fn sections_of(&self, kind: SectionKind) -> impl Iterator<Item = &Span> {
        self.sections.iter().filter(move |s| s.kind == Some(kind))
    }

    /// The raw text of line `n` (1-based).
    pub fn line(&self, n: usize) -> &str {
        n.checked_sub(1)
            .and_then(|i| self.lines.get(i))
            .copied()
            .unwrap_or("")
    }

    /// Line `n` with code and comments blanked out.
    pub fn prose(&self, n: usize) -> &str {
        n.checked_sub(1)
            .and_then(|i| self.prose.get(i))
            .map_or("", String::as_str)
    }

    pub fn is_code(&self, n: usize) -> bool {
        n.checked_sub(1)
            .and_then(|i| self.code.get(i))
            .copied()
            .unwrap_or(false)
    }

    /// The content lines of a section, as (line number, prose).
    pub fn prose_lines(&self, span: &Span) -> impl Iterator<Item = (usize, &str)> {
        (span.first..=span.last.min(self.lines.len())).map(|n| (n, self.prose(n)))
    }

    pub fn has_front_matter(&self) -> bool {
        self.front_matter_end > 0
    }

    /// The line of the body's first `# ` heading (outside code).
    pub fn first_heading_line(&self) -> Option<usize> {
        (self.front_matter_end + 1..=self.lines.len())
            .find(|&n| !self.is_code(n) && self.prose(n).starts_with("# "))
    }

    /// Line `n` when it is inside the front matter (between the `---` lines).
    pub fn front_matter_line(&self, n: usize) -> Option<&str> {
        (n >= 2 && n < self.front_matter_end).then(|| self.line(n))
    }

    /// Line and column of the value of top-level front-matter field `key` (any of its aliases).
    pub fn field(&self, keys: &[&str]) -> Option<(usize, usize)> {
        (2..self.front_matter_end).find_map(|n| {
            let line = self.line(n);
            keys.iter()
                .find_map(|k| value_position(line, k, 0))
                .map(|col| (n, col))
        })
    }

    /// Line and column of `key:` inside the action item that starts on `item_line`.
    pub fn item_field(&self, item_line: usize, key: &str) -> Option<(usize, usize)> {
        let first = self.line(item_line);
        let dash_indent = first.len() - first.trim_start().len();
        let mut n = item_line;
        while n < self.front_matter_end {
            let line = self.line(n);
            let indent = line.len() - line.trim_start().len();
            if n > item_line && !line.trim().is_empty() && indent <= dash_indent {
                return None;
            }
            let content = line.trim_start().trim_start_matches("- ");
            let offset = line.len() - content.len();
            if let Some(col) = value_position(content, key, 0) {
                return Some((n, line[..offset].chars().count() + col));
            }
            n += 1;
        }
        None
    }

    /// Lines of the Timeline section that hold a timestamped entry, in order: the same entries,
    /// in the same order, that the parser turned into events.
    pub fn timeline_entry_lines(&self) -> Vec<usize> {
        let Some(span) = self.section(SectionKind::Timeline) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut lists = ListDepth::default();
        for (n, line) in self.prose_lines(span) {
            if self.is_code(n) {
                continue;
            }
            let top_level = lists.top_level_item(line);
            if let Some(content) = list_item_content(line) {
                if top_level && timeline::parse_prefix(content).is_some() {
                    out.push(n);
                }
            } else if let Some(row) = line.trim().strip_prefix('|') {
                let cell = row.split('|').next().unwrap_or("").trim();
                if let Some((_, used)) = timeline::parse_prefix(cell)
                    && used >= cell.trim_end().len()
                {
                    out.push(n);
                }
            }
        }
        out
    }

    /// The running text of a section, lowercase, its lines joined with single spaces so that a
    /// phrase wrapped across lines is found; code, headings and blockquotes are left out, and
    /// with `unquoted` so is text in double quotes.
    pub fn running_text(&self, span: &Span, unquoted: bool) -> Prose {
        let mut prose = Prose::default();
        for (n, line) in self.prose_lines(span) {
            let t = line.trim_start();
            let skip = self.is_code(n) || t.starts_with('#') || t.starts_with('>');
            if skip || t.trim_end().is_empty() {
                prose.paragraph_break(n);
                continue;
            }
            let indent = line.chars().count() - t.chars().count();
            for (i, c) in t.trim_end().chars().enumerate() {
                prose.push(c.to_lowercase().next().unwrap_or(c), n, indent + i + 1);
            }
            prose.push(' ', n, line.chars().count() + 1);
        }
        if unquoted {
            prose.mask_quotes();
        }
        prose
    }

    /// The top-level list items of a section, as (first line, last line).
    pub fn list_items(&self, span: &Span) -> Vec<(usize, usize)> {
        let mut items: Vec<(usize, usize)> = Vec::new();
        let mut lists = ListDepth::default();
        for (n, line) in self.prose_lines(span) {
            if self.is_code(n) {
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            if lists.top_level_item(line) {
                items.push((n, n));
            } else if let Some(last) = items.last_mut()
                && (indent > 0 || !line.trim().is_empty())
                && !line.trim_start().starts_with('#')
            {
                last.1 = n;
            }
        }
        // Trailing blank lines are not part of an item.
        for item in &mut items {
            while item.1 > item.0 && self.prose(item.1).trim().is_empty() {
                item.1 -= 1;
            }
        }
        items
    }
}

/// Tells top-level list items from nested ones, line by line.
#[derive(Default)]
struct ListDepth {
    /// Indent of the current list's items; `None` outside a list.
    base: Option<usize>,
}

impl ListDepth {
    fn top_level_item(&mut self, line: &str) -> bool {
        let indent = line.len() - line.trim_start().len();
        if list_item_content(line).is_none() {
            if indent == 0 && !line.trim().is_empty() {
                self.base = None;
            }
            return false;
        }
        let base = *self.base.get_or_insert(indent);
        indent <= base + 1
    }
}

/// The text after a list marker (`- `, `* `, `+ `, `1. `, `1) `), when `line` starts a list item.
pub(crate) fn list_item_content(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if line.len() - t.len() > 3 {
        return None;
    }
    if let Some(rest) = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .or_else(|| t.strip_prefix("+ "))
    {
        return Some(rest);
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &t[digits..];
        return rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") "));
    }
    None
}

/// Column (1-based, in characters) of the value of `key:` when `line` (after `indent` bytes)
/// is that key.
fn value_position(line: &str, key: &str, indent: usize) -> Option<usize> {
    let rest = line.get(indent..)?.strip_prefix(key)?;
    let after_colon = rest.trim_start_matches(' ').strip_prefix(':')?;
    let value = after_colon.trim_start();
    let byte = line.len() - value.len();
    let byte = if value.is_empty() {
        line.len() - after_colon.len()
    } else {
        byte
    };
    Some(line[..byte].chars().count() + 1)
}

fn front_matter_end(lines: &[&str]) -> usize {
    if lines.first().map(|l| l.trim_end()) != Some("---") {
        return 0;
    }
    lines
        .iter()
        .enumerate()
        .skip(1)
        .find(|(_, l)| matches!(l.trim_end(), "---" | "..."))
        .map_or(0, |(i, _)| i + 1)
}

/// Blanks out the front matter, fenced code, inline code and HTML comments, keeping columns.
fn mask(lines: &[&str], front_matter_end: usize) -> (Vec<String>, Vec<bool>) {
    let mut prose = Vec::with_capacity(lines.len());
    let mut code = Vec::with_capacity(lines.len());
    let mut fence: Option<String> = None;
    let mut in_comment = false;
    for (i, line) in lines.iter().enumerate() {
        if i < front_matter_end {
            prose.push(String::new());
            code.push(false);
            continue;
        }
        let t = line.trim_start();
        let marker: String = t.chars().take_while(|c| *c == '`' || *c == '~').collect();
        if let Some(open) = &fence {
            if marker.len() >= open.len() && marker.starts_with(&open[..1]) {
                fence = None;
            }
            prose.push(String::new());
            code.push(true);
            continue;
        }
        if marker.len() >= 3 && (marker.starts_with("```") || marker.starts_with("~~~")) {
            fence = Some(marker);
            prose.push(String::new());
            code.push(true);
            continue;
        }
        let mut out = String::with_capacity(line.len());
        let mut rest = *line;
        let mut in_code = false;
        while !rest.is_empty() {
            if in_comment {
                match rest.find("-->") {
                    Some(end) => {
                        blank(&mut out, &rest[..end + 3]);
                        rest = &rest[end + 3..];
                        in_comment = false;
                    }
                    None => {
                        blank(&mut out, rest);
                        rest = "";
                    }
                }
            } else if rest.starts_with("<!--") {
                in_comment = true;
                blank(&mut out, "<!--");
                rest = &rest[4..];
            } else if let Some(r) = rest.strip_prefix('`') {
                in_code = !in_code;
                out.push(' ');
                rest = r;
            } else {
                let c = rest.chars().next().unwrap_or(' ');
                out.push(if in_code { ' ' } else { c });
                rest = &rest[c.len_utf8()..];
            }
        }
        prose.push(out);
        code.push(false);
    }
    (prose, code)
}

fn blank(out: &mut String, s: &str) {
    out.extend(std::iter::repeat_n(' ', s.chars().count()));
}
