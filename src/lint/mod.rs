//! `coe check`: lint rules over one COE file. Pure functions of the file's text, its path,
//! the lint settings and today's date; the linter never rewrites a file.
//!
//! Each rule family lives in its own file and reports [`Finding`]s through a [`Sink`], which
//! applies the configured severity (or drops the finding when the rule is off).

mod actions;
mod body;
mod impact;
mod language;
mod prose;
pub mod report;
mod rules;
pub mod settings;
mod source;
mod structure;
mod time;
mod whys;

use crate::content::{self, Coe};
use jiff::civil::Date;
use serde::Serialize;
use source::Source;

pub use rules::{RULES, Rule, rule};
pub use settings::Settings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    /// Advice that never fails a check, `--strict` included.
    Suggestion,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Suggestion => "suggestion",
        }
    }
}

/// One problem: where it is, which rule found it, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub file: String,
    /// 1-based; whole-file findings point at line 1.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    pub hint: String,
}

/// Collects the findings of one file; knows the settings, so rules never look at them.
pub(crate) struct Sink<'a> {
    file: &'a str,
    settings: &'a Settings,
    findings: Vec<Finding>,
}

impl Sink<'_> {
    /// Reports `rule` at `line:column` with the rule's standard hint.
    pub(crate) fn add(
        &mut self,
        rule_id: &'static str,
        line: usize,
        column: usize,
        message: String,
    ) {
        let hint = rule(rule_id).map_or("", |r| r.hint);
        self.add_with_hint(rule_id, line, column, message, hint.to_owned());
    }

    pub(crate) fn add_with_hint(
        &mut self,
        rule_id: &'static str,
        line: usize,
        column: usize,
        message: String,
        hint: String,
    ) {
        let Some(severity) = self.settings.severity(rule_id) else {
            return;
        };
        self.findings.push(Finding {
            file: self.file.to_owned(),
            line: line.max(1),
            column: column.max(1),
            rule: rule_id,
            severity,
            message,
            hint,
        });
    }
}

/// Lints one COE. `text` is the file's decoded text, `source` its path relative to `content/`
/// (the file name gives a default id and date), `file` the path shown in findings.
pub fn check_file(
    text: &str,
    source: &str,
    file: &str,
    settings: &Settings,
    today: Date,
) -> Vec<Finding> {
    let mut sink = Sink {
        file,
        settings,
        findings: Vec::new(),
    };
    match content::parse(text, source, file) {
        Ok((coe, diags)) => {
            structure::parse_warnings(&diags, &mut sink);
            let src = Source::new(text, &coe);
            run_rules(&coe, &src, today, &mut sink);
        }
        Err(diags) => structure::parse_errors(&diags, &mut sink),
    }
    let mut findings = sink.findings;
    sort(&mut findings);
    findings
}

/// Lints a file's bytes: text that is not UTF-8 is a `parse` finding.
pub fn check_bytes(
    bytes: &[u8],
    source: &str,
    file: &str,
    settings: &Settings,
    today: Date,
) -> Vec<Finding> {
    match content::decode(bytes, file) {
        Ok(text) => check_file(&text, source, file, settings, today),
        Err(diags) => {
            let mut sink = Sink {
                file,
                settings,
                findings: Vec::new(),
            };
            structure::parse_errors(&diags, &mut sink);
            sink.findings
        }
    }
}

fn run_rules(coe: &Coe, src: &Source, today: Date, sink: &mut Sink) {
    structure::check(coe, src, sink);
    time::check(coe, src, sink);
    actions::check(coe, src, today, sink);
    body::check(coe, src, sink);
    whys::check(coe, src, sink);
    language::check(coe, src, sink);
    impact::check(coe, src, sink);
}

/// Stable order: by file, line, column, rule.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.file, a.line, a.column, a.rule, &a.message)
            .cmp(&(&b.file, b.line, b.column, b.rule, &b.message))
    });
}

#[cfg(test)]
mod tests;
