//! Front matter: the YAML block at the top of a COE, checked field by field so that
//! every bad value is reported at its own line and column, and unknown fields are kept.

use super::time::{parse_date, parse_timestamp};
use super::yaml::{self, Node, SNode};
use crate::diag::Diagnostic;
use jiff::Timestamp;
use jiff::civil::Date;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    Draft,
    InReview,
    #[default]
    Published,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in-review",
            Status::Published => "published",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub enum ItemStatus {
    #[default]
    Open,
    InProgress,
    Done,
    WontDo,
}

impl ItemStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Open => "open",
            ItemStatus::InProgress => "in-progress",
            ItemStatus::Done => "done",
            ItemStatus::WontDo => "wont-do",
        }
    }

    /// Open and in-progress items can become overdue.
    pub fn is_pending(self) -> bool {
        matches!(self, ItemStatus::Open | ItemStatus::InProgress)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    High,
    Medium,
    Low,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Medium => "medium",
            Priority::Low => "low",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ActionItem {
    pub title: String,
    pub owner: Option<String>,
    pub due: Option<Date>,
    pub status: ItemStatus,
    pub priority: Option<Priority>,
    pub ticket: Option<String>,
    pub closed: Option<Date>,
    pub line: usize,
    pub extra: BTreeMap<String, serde_json::Value>,
}

impl ActionItem {
    /// An open item with nothing known yet but the line it was written on.
    pub fn new(line: usize) -> ActionItem {
        ActionItem {
            title: String::new(),
            owner: None,
            due: None,
            status: ItemStatus::Open,
            priority: None,
            ticket: None,
            closed: None,
            line,
            extra: BTreeMap::new(),
        }
    }
}

/// A value and the line it was written on (for warnings found later, e.g. unknown `related` ids).
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrontMatter {
    pub title: Option<String>,
    pub id: Option<String>,
    pub date: Option<Date>,
    pub published: Option<Date>,
    pub status: Status,
    pub severity: Option<u8>,
    pub summary: Option<String>,
    pub services: Vec<String>,
    pub tags: Vec<String>,
    pub root_causes: Vec<String>,
    pub teams: Vec<String>,
    pub authors: Vec<String>,
    pub reviewers: Vec<String>,
    pub started: Option<Located<Timestamp>>,
    pub detected: Option<Located<Timestamp>>,
    pub mitigated: Option<Located<Timestamp>>,
    pub resolved: Option<Located<Timestamp>>,
    pub customer_impact: Option<String>,
    pub action_items: Vec<ActionItem>,
    pub related: Vec<Located<String>>,
    pub extra: BTreeMap<String, serde_json::Value>,
    /// Whether `status` / `severity` were written (their values have defaults).
    pub status_given: bool,
    pub severity_given: bool,
}

/// Where the front matter is in a file.
pub struct Split<'a> {
    pub yaml: Option<&'a str>,
    /// 1-based line of the first YAML line in the file.
    pub yaml_line: usize,
    pub body: &'a str,
    /// 1-based line of the first body line in the file.
    pub body_line: usize,
}

/// Splits `---\nyaml\n---\nbody`. Text without a leading `---` line is all body.
pub fn split(text: &str) -> Result<Split<'_>, String> {
    let first_end = text.find('\n').unwrap_or(text.len());
    if text[..first_end].trim_end() != "---" {
        return Ok(Split {
            yaml: None,
            yaml_line: 0,
            body: text,
            body_line: 1,
        });
    }
    let yaml_start = (first_end + 1).min(text.len());
    let mut pos = yaml_start;
    let mut line = 2;
    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let l = text[pos..end].trim_end();
        if l == "---" || l == "..." {
            let body_start = (end + 1).min(text.len());
            return Ok(Split {
                yaml: Some(&text[yaml_start..pos]),
                yaml_line: 2,
                body: &text[body_start..],
                body_line: line + 1,
            });
        }
        pos = end + 1;
        line += 1;
    }
    Err(
        "front matter opened with `---` on line 1 is never closed: expected a closing `---` line"
            .to_owned(),
    )
}

/// Reads the YAML front matter. Problems are pushed to `diags`; what could be read is returned.
pub fn parse(
    yaml_text: &str,
    first_line: usize,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> FrontMatter {
    let mut fm = FrontMatter::default();
    let root = match yaml::parse(yaml_text) {
        Ok(root) => root,
        Err(e) => {
            let line = if e.line == 0 {
                first_line
            } else {
                e.line + first_line - 1
            };
            diags.push(Diagnostic::error(
                path,
                line,
                e.column,
                format!("front matter is not valid YAML: {}", e.message),
            ));
            return fm;
        }
    };
    let entries = match root.node {
        Node::Map(entries) => entries,
        Node::Null => Vec::new(),
        other => {
            diags.push(Diagnostic::error(
                path,
                first_line,
                1,
                format!(
                    "front matter: expected a mapping of fields (`title: ...`), found {}",
                    other.kind()
                ),
            ));
            return fm;
        }
    };
    let mut f = Fields {
        path,
        first_line,
        diags,
    };
    for (key, value) in entries {
        let v = &value;
        match key.as_str() {
            "title" => fm.title = f.string(&key, v),
            "id" => fm.id = f.string(&key, v),
            "date" => fm.date = f.date(&key, v),
            "published" => fm.published = f.date(&key, v),
            "status" => {
                fm.status = f.status(v);
                fm.status_given = true;
            }
            "severity" => {
                fm.severity = f.severity(v);
                fm.severity_given = true;
            }
            "summary" => fm.summary = f.string(&key, v),
            "services" => fm.services = f.list(&key, v),
            "tags" => fm.tags = f.list(&key, v),
            "root_cause" | "root_causes" | "root-cause" => fm.root_causes = f.list(&key, v),
            "team" | "teams" => fm.teams = f.list(&key, v),
            "authors" | "author" => fm.authors = f.list(&key, v),
            "reviewers" | "reviewer" => fm.reviewers = f.list(&key, v),
            "started" => fm.started = f.timestamp(&key, v),
            "detected" => fm.detected = f.timestamp(&key, v),
            "mitigated" => fm.mitigated = f.timestamp(&key, v),
            "resolved" => fm.resolved = f.timestamp(&key, v),
            "customer_impact" => fm.customer_impact = f.string(&key, v),
            "action_items" => fm.action_items = f.action_items(v),
            "related" => {
                fm.related = f.located_list(&key, v);
            }
            _ => {
                fm.extra.insert(key.clone(), v.node.to_json());
            }
        }
    }
    fm
}

struct Fields<'a> {
    path: &'a str,
    first_line: usize,
    diags: &'a mut Vec<Diagnostic>,
}

impl Fields<'_> {
    fn line(&self, n: &SNode) -> usize {
        if n.line == 0 {
            self.first_line
        } else {
            n.line + self.first_line - 1
        }
    }

    fn error(&mut self, n: &SNode, msg: String) {
        let line = self.line(n);
        self.diags
            .push(Diagnostic::error(self.path, line, n.column, msg));
    }

    fn found(n: &Node) -> String {
        match n.scalar_text() {
            Some(s) => format!("\"{s}\""),
            None => n.kind().to_owned(),
        }
    }

    fn string(&mut self, key: &str, n: &SNode) -> Option<String> {
        match &n.node {
            Node::Null => None,
            node => match node.scalar_text() {
                Some(s) => {
                    let s = s.trim().to_owned();
                    (!s.is_empty()).then_some(s)
                }
                None => {
                    self.error(
                        n,
                        format!(
                            "{key}: expected a single line of text, found {}",
                            node.kind()
                        ),
                    );
                    None
                }
            },
        }
    }

    /// A list of strings; a single string is a one-item list, `a, b` is split on commas.
    fn list(&mut self, key: &str, n: &SNode) -> Vec<String> {
        self.located_list(key, n)
            .into_iter()
            .map(|l| l.value)
            .collect()
    }

    fn located_list(&mut self, key: &str, n: &SNode) -> Vec<Located<String>> {
        let line = self.line(n);
        match &n.node {
            Node::Null => Vec::new(),
            Node::Seq(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item.node.scalar_text() {
                        Some(s) if !s.trim().is_empty() => out.push(Located {
                            value: s.trim().to_owned(),
                            line: self.line(item),
                            column: item.column,
                        }),
                        Some(_) => {}
                        None if item.node == Node::Null => {}
                        None => self.error(
                            item,
                            format!(
                                "{key}: expected a list of strings, found {} in the list",
                                item.node.kind()
                            ),
                        ),
                    }
                }
                out
            }
            Node::Map(_) => {
                self.error(
                    n,
                    format!("{key}: expected a list like [a, b], found a mapping"),
                );
                Vec::new()
            }
            node => {
                let s = node.scalar_text().unwrap_or_default();
                s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Located {
                        value: s.to_owned(),
                        line,
                        column: n.column,
                    })
                    .collect()
            }
        }
    }

    fn date(&mut self, key: &str, n: &SNode) -> Option<Date> {
        match &n.node {
            Node::Null => None,
            node => {
                let text = node.scalar_text().unwrap_or_default();
                match parse_date(&text) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        let msg = if node.scalar_text().is_some() {
                            e
                        } else {
                            format!("expected a date YYYY-MM-DD, found {}", node.kind())
                        };
                        self.error(n, format!("{key}: {msg}"));
                        None
                    }
                }
            }
        }
    }

    fn timestamp(&mut self, key: &str, n: &SNode) -> Option<Located<Timestamp>> {
        match &n.node {
            Node::Null => None,
            node => match parse_timestamp(&node.scalar_text().unwrap_or_default()) {
                Ok(ts) => Some(Located {
                    value: ts,
                    line: self.line(n),
                    column: n.column,
                }),
                Err(e) => {
                    self.error(n, format!("{key}: {e}"));
                    None
                }
            },
        }
    }

    fn status(&mut self, n: &SNode) -> Status {
        let Some(text) = n.node.scalar_text() else {
            if n.node != Node::Null {
                self.error(
                    n,
                    format!(
                        "status: expected draft, in-review or published, found {}",
                        n.node.kind()
                    ),
                );
            }
            return Status::Published;
        };
        match normal(&text).as_str() {
            s if STATUS_DRAFT.contains(&s) => Status::Draft,
            s if STATUS_IN_REVIEW.contains(&s) => Status::InReview,
            s if STATUS_PUBLISHED.contains(&s) => Status::Published,
            _ => {
                self.error(
                    n,
                    format!("status: expected draft, in-review or published, found \"{text}\""),
                );
                Status::Published
            }
        }
    }

    fn severity(&mut self, n: &SNode) -> Option<u8> {
        let text = match &n.node {
            Node::Null => return None,
            node => node.scalar_text().unwrap_or_default(),
        };
        let norm = normal(&text);
        if norm.is_empty() || norm == "unrated" || norm == "none" {
            return None;
        }
        let digits = norm.strip_prefix("sev").unwrap_or(&norm);
        match digits.parse::<u8>() {
            Ok(level @ 1..=5) => Some(level),
            _ => {
                self.error(
                    n,
                    format!(
                        "severity: expected SEV1..SEV5 or 1..5, found {}",
                        Self::found(&n.node)
                    ),
                );
                None
            }
        }
    }

    fn action_items(&mut self, n: &SNode) -> Vec<ActionItem> {
        let items = match &n.node {
            Node::Null => return Vec::new(),
            Node::Seq(items) => items,
            other => {
                self.error(
                    n,
                    format!(
                        "action_items: expected a list of items (`- title: ...`), found {}",
                        other.kind()
                    ),
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Node::Map(entries) = &item.node else {
                self.error(item, format!(
                    "action_items[{}]: expected a mapping with title, owner, due, status, found {}",
                    i + 1,
                    Self::found(&item.node)
                ));
                continue;
            };
            let mut ai = ActionItem::new(self.line(item));
            let key = |k: &str| format!("action_items[{}].{k}", i + 1);
            for (k, v) in entries {
                match k.as_str() {
                    "title" => ai.title = self.string(&key(k), v).unwrap_or_default(),
                    "owner" => ai.owner = self.string(&key(k), v),
                    "due" => ai.due = self.date(&key(k), v),
                    "closed" => ai.closed = self.date(&key(k), v),
                    "ticket" => ai.ticket = self.string(&key(k), v),
                    "status" => ai.status = self.item_status(&key(k), v),
                    "priority" => ai.priority = self.priority(&key(k), v),
                    _ => {
                        ai.extra.insert(k.clone(), v.node.to_json());
                    }
                }
            }
            if ai.title.is_empty() {
                self.error(
                    item,
                    format!("action_items[{}]: expected a `title`, found none", i + 1),
                );
                continue;
            }
            out.push(ai);
        }
        out
    }

    fn item_status(&mut self, key: &str, n: &SNode) -> ItemStatus {
        let Some(text) = n.node.scalar_text() else {
            return ItemStatus::Open;
        };
        match normal(&text).as_str() {
            s if ITEM_OPEN.contains(&s) => ItemStatus::Open,
            s if ITEM_IN_PROGRESS.contains(&s) => ItemStatus::InProgress,
            s if ITEM_DONE.contains(&s) => ItemStatus::Done,
            s if ITEM_WONT_DO.contains(&s) => ItemStatus::WontDo,
            _ => {
                self.error(
                    n,
                    format!("{key}: expected open, in-progress, done or wont-do, found \"{text}\""),
                );
                ItemStatus::Open
            }
        }
    }

    fn priority(&mut self, key: &str, n: &SNode) -> Option<Priority> {
        let text = n.node.scalar_text()?;
        match normal(&text).as_str() {
            s if PRIORITY_HIGH.contains(&s) => Some(Priority::High),
            s if PRIORITY_MEDIUM.contains(&s) => Some(Priority::Medium),
            s if PRIORITY_LOW.contains(&s) => Some(Priority::Low),
            "" => None,
            _ => {
                self.error(
                    n,
                    format!("{key}: expected high, medium or low, found \"{text}\""),
                );
                None
            }
        }
    }
}

/// Lowercase ASCII letters and digits only: `Sev 2` → `sev2`, `in-review` → `inreview`.
/// The accepted spellings of each value, as [`normal`] makes them (lowercase, letters and digits
/// only). The JSON Schema of the front matter (`coe schema`) is made from the same lists.
pub const STATUS_DRAFT: &[&str] = &["draft"];
pub const STATUS_IN_REVIEW: &[&str] = &["inreview", "review", "underreview"];
pub const STATUS_PUBLISHED: &[&str] = &["published", "final", "done", "complete", ""];
pub const ITEM_OPEN: &[&str] = &["open", "todo", "new", ""];
pub const ITEM_IN_PROGRESS: &[&str] = &["inprogress", "wip", "started", "doing"];
pub const ITEM_DONE: &[&str] = &[
    "done",
    "closed",
    "complete",
    "completed",
    "fixed",
    "resolved",
];
pub const ITEM_WONT_DO: &[&str] = &["wontdo", "wontfix", "cancelled", "canceled", "dropped"];
pub const PRIORITY_HIGH: &[&str] = &["high", "p0", "p1", "critical", "urgent"];
pub const PRIORITY_MEDIUM: &[&str] = &["medium", "p2", "normal", "med"];
pub const PRIORITY_LOW: &[&str] = &["low", "p3", "p4"];
/// Field names and the spellings they accept.
pub const LIST_FIELDS: &[&[&str]] = &[
    &["services"],
    &["tags"],
    &["root_cause", "root_causes", "root-cause"],
    &["team", "teams"],
    &["authors", "author"],
    &["reviewers", "reviewer"],
    &["related"],
];

/// Lowercase ASCII letters and digits only: how values are compared with their spellings.
pub fn normal(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(yaml: &str) -> (FrontMatter, Vec<Diagnostic>) {
        let mut d = Vec::new();
        let fm = parse(yaml, 2, "x.md", &mut d);
        (fm, d)
    }

    #[test]
    fn severity_spellings() {
        for s in ["SEV2", "sev2", "Sev 2", "2", "\"2\""] {
            let (fm, d) = parse_ok(&format!("severity: {s}\n"));
            assert_eq!(fm.severity, Some(2), "{s}");
            assert!(d.is_empty());
        }
    }

    #[test]
    fn bad_severity_is_located() {
        let (_, d) = parse_ok("title: x\nseverity: urgent\n");
        assert_eq!(d.len(), 1);
        assert_eq!(
            d[0].to_string(),
            "error: x.md:3:11: severity: expected SEV1..SEV5 or 1..5, found \"urgent\""
        );
    }

    #[test]
    fn unknown_fields_are_kept_and_no_stays_text() {
        let (fm, d) = parse_ok("region: no\ntags: [Config Change]\n");
        assert!(d.is_empty());
        assert_eq!(fm.extra.get("region"), Some(&serde_json::json!("no")));
        assert_eq!(fm.tags, vec!["Config Change"]);
    }

    #[test]
    fn invalid_date() {
        let (fm, d) = parse_ok("date: 2024-13-45\n");
        assert!(fm.date.is_none());
        assert!(
            d[0].to_string()
                .starts_with("error: x.md:2:7: date: expected a date"),
            "{}",
            d[0]
        );
    }

    #[test]
    fn split_front_matter() {
        let s = split("---\ntitle: x\n---\n# Body\n").expect("ok");
        assert_eq!(s.yaml, Some("title: x\n"));
        assert_eq!(s.body, "# Body\n");
        assert_eq!(s.body_line, 4);
        assert!(split("---\ntitle: x\n").is_err());
        assert!(split("# no front matter\n").expect("ok").yaml.is_none());
    }
}
