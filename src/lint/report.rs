//! How findings are printed: text for people, JSON for tools, GitHub workflow annotations.

use super::{Finding, Severity};
use std::fmt::Write;

/// `file:line:col: severity[rule]: message`, an indented hint, then a summary line.
pub fn text(findings: &[Finding], files: usize) -> String {
    let mut out = String::new();
    for f in findings {
        let _ = writeln!(
            out,
            "{}:{}:{}: {}[{}]: {}\n    hint: {}",
            f.file,
            f.line,
            f.column,
            f.severity.as_str(),
            f.rule,
            f.message,
            f.hint
        );
    }
    out.push_str(&summary(findings, files));
    out.push('\n');
    out
}

/// `3 errors, 1 warning in 2 of 20 files checked`, or `20 files checked, no problems found`.
pub fn summary(findings: &[Finding], files: usize) -> String {
    let errors = count(findings, Severity::Error);
    let warnings = count(findings, Severity::Warning);
    let suggestions = count(findings, Severity::Suggestion);
    let files_word = plural(files, "file");
    if findings.is_empty() {
        return format!("{files} {files_word} checked, no problems found");
    }
    let mut with: Vec<&str> = findings.iter().map(|f| f.file.as_str()).collect();
    with.sort_unstable();
    with.dedup();
    let suggested = if suggestions > 0 {
        format!(", {suggestions} {}", plural(suggestions, "suggestion"))
    } else {
        String::new()
    };
    format!(
        "{errors} {}, {warnings} {}{suggested} in {} of {files} {files_word} checked",
        plural(errors, "error"),
        plural(warnings, "warning"),
        with.len()
    )
}

/// `{"findings": [{"file", "line", "column", "rule", "severity", "message", "hint"}]}`
pub fn json(findings: &[Finding]) -> String {
    let value = serde_json::json!({ "findings": findings });
    serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{\"findings\": []}".to_owned())
}

/// `::error file=...,line=...,col=...,title=<rule>::message` (and the hint on a second line).
pub fn github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let _ = writeln!(
            out,
            "::{} file={},line={},col={},title={}::{}",
            match f.severity {
                Severity::Suggestion => "notice",
                s => s.as_str(),
            },
            escape_property(&f.file),
            f.line,
            f.column,
            escape_property(f.rule),
            escape_data(&format!("{}\nhint: {}", f.message, f.hint))
        );
    }
    out
}

pub fn count(findings: &[Finding], severity: Severity) -> usize {
    findings.iter().filter(|f| f.severity == severity).count()
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}

/// The escaping of GitHub's workflow commands for a message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The escaping of GitHub's workflow commands for a property value.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding() -> Finding {
        Finding {
            file: "content/a,b.md".to_owned(),
            line: 3,
            column: 7,
            rule: "counterfactual",
            severity: Severity::Warning,
            message: "50% \"should have\"".to_owned(),
            hint: "h".to_owned(),
        }
    }

    #[test]
    fn github_annotations_are_escaped() {
        assert_eq!(
            github(&[finding()]),
            "::warning file=content/a%2Cb.md,line=3,col=7,title=counterfactual::50%25 \"should have\"%0Ahint: h\n"
        );
    }

    #[test]
    fn text_has_hint_and_summary() {
        let t = text(&[finding()], 4);
        assert!(t.starts_with(
            "content/a,b.md:3:7: warning[counterfactual]: 50% \"should have\"\n    hint: h\n"
        ));
        assert!(
            t.ends_with("0 errors, 1 warning in 1 of 4 files checked\n"),
            "{t}"
        );
    }
}
