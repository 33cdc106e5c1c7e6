//! The rule registry: every rule's id, default severity, what it catches and how to fix it.
//! `docs/lint.md` documents the same list; a unit test keeps the two in step.

use super::Severity::{self, Error, Suggestion, Warning};

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub description: &'static str,
    pub hint: &'static str,
}

pub const RULES: &[Rule] = &[
    Rule {
        id: "parse",
        severity: Error,
        description: "the file cannot be read as a COE: broken front matter, a bad field value, no title or no date",
        hint: "fix the value at this position; docs/format.md#front-matter lists every field and its type",
    },
    Rule {
        id: "parse-warning",
        severity: Warning,
        description: "something the parser read but doubts, such as a link that points outside content/",
        hint: "link to COE files inside content/",
    },
    Rule {
        id: "missing-field",
        severity: Warning,
        description: "`title` or `date` is not in the front matter and was taken from the heading, file name or timeline",
        hint: "write `title:` and `date: YYYY-MM-DD` in the front matter so the COE does not depend on its file name or layout (docs/format.md#title, #date)",
    },
    Rule {
        id: "missing-section",
        severity: Warning,
        description: "a recommended section (Summary, Impact, Timeline, Five Whys, Lessons Learned, Action Items) is missing",
        hint: "add the section as a `## ` heading; if it truly does not apply, say why in one line (docs/format.md#section-names)",
    },
    Rule {
        id: "empty-section",
        severity: Warning,
        description: "a section has a heading but no content (only blank lines, comments or template text)",
        hint: "write the section or remove the heading",
    },
    Rule {
        id: "template-text",
        severity: Warning,
        description: "template text left in: a line starting with TODO, TBD, FIXME, `<!-- coe:`, `Answer:` or `Describe ...`, or a front-matter value TODO/TBD",
        hint: "replace the placeholder with the answer, then delete the guiding text",
    },
    Rule {
        id: "time-order",
        severity: Error,
        description: "the front-matter times are out of order: started ≤ detected ≤ mitigated ≤ resolved must hold",
        hint: "check the time zone (front-matter times are UTC unless an offset is given) and the date of each time (docs/format.md#timestamp-formats)",
    },
    Rule {
        id: "timeline-order",
        severity: Warning,
        description: "a timeline event is earlier than the event before it",
        hint: "keep the timeline in time order; when it crosses midnight, add a `### YYYY-MM-DD` heading or write the date on the entry (docs/format.md#days)",
    },
    Rule {
        id: "action-no-owner",
        severity: Error,
        description: "an action item has no owner (or a placeholder such as TBD)",
        hint: "give every action item one owner, a person or team who will answer for it (docs/format.md#action_items)",
    },
    Rule {
        id: "action-no-due",
        severity: Warning,
        description: "an open or in-progress action item has no due date",
        hint: "add `due: YYYY-MM-DD`; an item without a date tends never to be done (docs/format.md#action_items)",
    },
    Rule {
        id: "action-overdue",
        severity: Warning,
        description: "an open or in-progress action item's due date is before today",
        hint: "finish it (status: done, closed: DATE), agree a new due date, or mark it wont-do with the reason",
    },
    Rule {
        id: "action-vague",
        severity: Warning,
        description: "an action item that cannot be verified as done: \"be more careful\", \"improve communication\", \"investigate X\" with no outcome",
        hint: "name a mechanism and a checkable outcome: what will exist or be changed when this is done (\"Add an alarm on X\", \"Investigate X and write up a fix\")",
    },
    Rule {
        id: "action-none",
        severity: Error,
        description: "a SEV1 or SEV2 COE has no action items in the front matter",
        hint: "list the action items under `action_items:` with title, owner and due (docs/format.md#action_items)",
    },
    Rule {
        id: "body-metadata",
        severity: Suggestion,
        description: "a field (date, severity, status, authors, services, team, tags, impact, …) was read from a `Label: value` line of the body because the front matter lacks it",
        hint: "move the value into the front matter (docs/format.md#metadata-in-the-body): the body line is a fallback for imported post-mortems",
    },
    Rule {
        id: "body-action-items",
        severity: Suggestion,
        description: "the action items were read from the list or table of the body's Action Items section because the front matter has no `action_items`",
        hint: "list them under `action_items:` in the front matter with title, owner, due and status (docs/format.md#action-items-in-the-body)",
    },
    Rule {
        id: "whys-too-few",
        severity: Warning,
        description: "the Five Whys section has fewer than three whys",
        hint: "keep asking why until you reach something in the system (a process, a tool, a missing guard) that you can change (docs/format.md#five-whys)",
    },
    Rule {
        id: "whys-end-in-person",
        severity: Error,
        description: "the last why blames a person: a name from the front matter, \"engineer\", \"operator\", \"someone\", \"he/she/they forgot\"",
        hint: "ask one more why: what in the system allowed the action or made the mistake easy? End the chain at a process, tool or missing guard",
    },
    Rule {
        id: "human-error",
        severity: Error,
        description: "\"human error\" (or operator/user error) given as a root cause, in `root_cause` or the Root Cause section",
        hint: "human error is where the analysis starts, not where it ends: describe the system that allowed the action (no validation, no review, a confusing tool)",
    },
    Rule {
        id: "counterfactual",
        severity: Warning,
        description: "counterfactuals (\"should have\", \"could have\", \"failed to\", \"if only\") in the analysis sections",
        hint: "describe what happened and why it made sense at the time, not what someone should have done: \"the runbook did not mention X\" rather than \"the engineer should have checked X\"",
    },
    Rule {
        id: "blame-word",
        severity: Warning,
        description: "blaming words (\"careless\", \"negligent\", \"sloppy\", \"reckless\", \"incompetent\") in the analysis sections",
        hint: "describe the conditions and the system, not people's character: what made the action look safe?",
    },
    Rule {
        id: "person-named",
        severity: Warning,
        description: "a person from the front matter (authors, reviewers, action item owners) is named, or an @handle used, in the Five Whys or Root Cause",
        hint: "name roles and systems, not people (\"the deploy tool\", \"the on-call engineer\"): a blameless analysis is about what allowed the action",
    },
    Rule {
        id: "impact-no-number",
        severity: Warning,
        description: "`customer_impact` (or the Impact section when it is absent) has no number in it",
        hint: "quantify: how many customers, requests or orders, what share, for how long (\"18% of uploads for 73 minutes\")",
    },
];

/// Diagnostics about `coe.toml` itself (unknown rule ids, bad severities); not a COE rule.
pub const CONFIG_RULE: &str = "config";

pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
