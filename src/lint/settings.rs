//! Lint settings from `coe.toml`:
//!
//! ```toml
//! [lint.rules]
//! counterfactual = "off"        # or "warning", "error"
//! action-overdue = "error"
//! ```
//!
//! Unknown rule ids and unknown severities are reported (rule `config`), never ignored silently.

use super::rules::{CONFIG_RULE, RULES, rule};
use super::{Finding, Severity};
use crate::config::LintConfig;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Rule id → its severity, or `None` when the rule is off. Rules not here use their default.
    overrides: BTreeMap<&'static str, Option<Severity>>,
}

impl Settings {
    /// The severity findings of `rule_id` get, or `None` when the rule is off.
    pub fn severity(&self, rule_id: &str) -> Option<Severity> {
        match self.overrides.get(rule_id) {
            Some(set) => *set,
            None => Some(rule(rule_id).map_or(Severity::Error, |r| r.severity)),
        }
    }

    pub fn set(&mut self, rule_id: &str, severity: Option<Severity>) -> bool {
        match RULES.iter().find(|r| r.id == rule_id) {
            Some(r) => {
                self.overrides.insert(r.id, severity);
                true
            }
            None => false,
        }
    }

    /// Reads `[lint]` of `coe.toml`. `toml_text` (the file's text) is only used to point
    /// findings at the line of the offending key.
    pub fn from_config(lint: &LintConfig, toml_text: &str, file: &str) -> (Settings, Vec<Finding>) {
        let mut settings = Settings::default();
        let mut findings = Vec::new();
        let mut report = |key: &str, message: String, hint: &str| {
            let (line, column) = key_position(toml_text, key);
            findings.push(Finding {
                file: file.to_owned(),
                line,
                column,
                rule: CONFIG_RULE,
                severity: Severity::Error,
                message,
                hint: hint.to_owned(),
            });
        };
        for key in lint.other.keys() {
            report(
                key,
                format!("[lint]: unknown key `{key}`"),
                "rule settings go under [lint.rules], as `rule-id = \"off\" | \"warning\" | \"error\"`",
            );
        }
        for (id, value) in &lint.rules {
            let severity = match value.as_str().map(str::to_ascii_lowercase).as_deref() {
                Some("off" | "allow" | "none") => None,
                Some("warning" | "warn") => Some(Severity::Warning),
                Some("suggestion" | "info" | "note" | "notice") => Some(Severity::Suggestion),
                Some("error" | "deny") => Some(Severity::Error),
                _ => {
                    report(
                        id,
                        format!(
                            "[lint.rules] {id}: expected \"off\", \"suggestion\", \"warning\" or \"error\", found {value}"
                        ),
                        "write the severity as a string: \"off\", \"suggestion\", \"warning\" or \"error\"",
                    );
                    continue;
                }
            };
            if !settings.set(id, severity) {
                let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
                report(
                    id,
                    format!("[lint.rules]: unknown rule id `{id}`"),
                    &format!("known rule ids: {}", ids.join(", ")),
                );
            }
        }
        findings.sort_by_key(|f| (f.line, f.column));
        (settings, findings)
    }
}

/// Line and column of `key = ...` in a TOML text, or 1:1 when it cannot be found.
fn key_position(text: &str, key: &str) -> (usize, usize) {
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let bare = trimmed.trim_start_matches('"');
        if let Some(rest) = bare.strip_prefix(key)
            && rest.trim_start_matches('"').trim_start().starts_with('=')
        {
            let column = line[..line.len() - trimmed.len()].chars().count() + 1;
            return (n + 1, column);
        }
    }
    (1, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lint_config(text: &str) -> LintConfig {
        let (config, diags) = crate::config::parse(text, "coe.toml");
        assert!(diags.is_empty(), "{diags:?}");
        config.lint
    }

    #[test]
    fn rules_can_be_turned_off_and_changed() {
        let text = "[lint.rules]\ncounterfactual = \"off\"\naction-overdue = \"error\"\n";
        let (s, f) = Settings::from_config(&lint_config(text), text, "coe.toml");
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(s.severity("counterfactual"), None);
        assert_eq!(s.severity("action-overdue"), Some(Severity::Error));
        assert_eq!(s.severity("whys-too-few"), Some(Severity::Warning));
    }

    #[test]
    fn unknown_ids_and_values_are_reported_at_their_line() {
        let text = "[lint.rules]\ncounterfactul = \"off\"\nblame-word = \"loud\"\n";
        let (_, f) = Settings::from_config(&lint_config(text), text, "coe.toml");
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!((f[0].line, f[0].rule), (2, "config"));
        assert!(f[0].message.contains("unknown rule id `counterfactul`"));
        assert_eq!(f[1].line, 3);
        assert!(
            f[1].message.contains("expected \"off\""),
            "{}",
            f[1].message
        );
    }
}
