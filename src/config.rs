//! `coe.toml`: every key optional; no file at all is a valid site.

use crate::diag::Diagnostic;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct Config {
    pub title: String,
    pub description: String,
    /// Absolute URL the site is served from; used for feeds and the sitemap only.
    pub base_url: String,
    pub theme: String,
    pub language: String,
    /// How many COEs the home page and the Atom feed list.
    pub home_limit: usize,
    pub feed_limit: usize,
    /// COEs per page of long lists (all COEs, years, taxonomy terms).
    pub paginate_by: usize,
    pub taxonomies: TaxonomyLabels,
    /// Free-form values for templates (`site.extra`).
    pub extra: toml::Table,
    /// `coe check` settings (`[lint.rules]`); see docs/lint.md.
    pub lint: LintConfig,
    /// `[search]`: the library's own synonyms (docs/search.md).
    pub search: SearchConfig,
}

/// `[search]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct SearchConfig {
    /// `[search.synonyms]`: a term → its equivalents; each key and its values make one group
    /// added to the built-in thesaurus.
    pub synonyms: std::collections::BTreeMap<String, Vec<String>>,
}

impl SearchConfig {
    /// The groups `[search.synonyms]` adds: each key with its values.
    pub fn synonym_groups(&self) -> Vec<Vec<String>> {
        self.synonyms
            .iter()
            .map(|(k, v)| {
                std::iter::once(k.clone())
                    .chain(v.iter().cloned())
                    .collect()
            })
            .collect()
    }
}

/// `[lint]`: read here, checked by `coe check` (unknown rule ids are reported there).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct LintConfig {
    /// Rule id → `"off"`, `"warning"` or `"error"`.
    pub rules: toml::Table,
    /// Any other key under `[lint]`, kept so that `coe check` can report it.
    #[serde(flatten)]
    pub other: toml::Table,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            title: "COE Library".to_owned(),
            description: "Correction of Error documents: what failed, why, and what we changed."
                .to_owned(),
            base_url: String::new(),
            theme: "default".to_owned(),
            language: "en".to_owned(),
            home_limit: 10,
            feed_limit: 30,
            paginate_by: 100,
            taxonomies: TaxonomyLabels::default(),
            extra: toml::Table::new(),
            lint: LintConfig::default(),
            search: SearchConfig::default(),
        }
    }
}

/// Display names of the taxonomies; their URLs do not change.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct TaxonomyLabels {
    pub tags: String,
    pub services: String,
    pub root_causes: String,
    pub teams: String,
    pub authors: String,
    pub severity: String,
}

impl Default for TaxonomyLabels {
    fn default() -> Self {
        TaxonomyLabels {
            tags: "Tags".to_owned(),
            services: "Services".to_owned(),
            root_causes: "Root causes".to_owned(),
            teams: "Teams".to_owned(),
            authors: "People".to_owned(),
            severity: "Severity".to_owned(),
        }
    }
}

const KNOWN_KEYS: [&str; 12] = [
    "paginate_by",
    "title",
    "description",
    "base_url",
    "theme",
    "language",
    "home_limit",
    "feed_limit",
    "taxonomies",
    "extra",
    "lint",
    "search",
];

/// Reads `<root>/coe.toml`. A missing file gives the defaults; a broken one gives an error
/// with line and column; unknown keys give warnings.
pub fn load(root: &Path) -> (Config, Vec<Diagnostic>) {
    let path = root.join("coe.toml");
    let display = "coe.toml";
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (Config::default(), Vec::new());
        }
        Err(e) => {
            return (
                Config::default(),
                vec![Diagnostic::error(
                    display,
                    0,
                    0,
                    format!("cannot read: {e}"),
                )],
            );
        }
    };
    parse(&text, display)
}

pub fn parse(text: &str, display: &str) -> (Config, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let position = |span: Option<std::ops::Range<usize>>| {
        span.map_or((0, 0), |s| {
            let before = &text[..s.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let col = before.len() - before.rfind('\n').map_or(0, |p| p + 1) + 1;
            (line, col)
        })
    };
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            let (line, col) = position(e.span());
            diags.push(Diagnostic::error(
                display,
                line,
                col,
                format!("not valid TOML: {}", e.message()),
            ));
            return (Config::default(), diags);
        }
    };
    // Where each key is written (top level and one table down), for the warnings' positions.
    let at = key_positions(text);
    let place = |table: &str, key: &str| {
        at.get(&(table.to_owned(), key.to_owned()))
            .copied()
            .map_or((0, 0), |start| position(Some(start..start)))
    };
    for key in table.keys() {
        if !KNOWN_KEYS.contains(&key.as_str()) {
            let (line, col) = place("", key);
            diags.push(Diagnostic::warning(
                display,
                line,
                col,
                format!("unknown key `{key}` is ignored (put your own values under [extra])"),
            ));
        }
    }
    // A key written after `[taxonomies]` or `[search]` belongs to it, not to the top level:
    // say so instead of ignoring it (`base_url` below the table is the usual slip).
    const LABELS: [&str; 6] = [
        "tags",
        "services",
        "root_causes",
        "teams",
        "authors",
        "severity",
    ];
    for (name, expected) in [("taxonomies", &LABELS[..]), ("search", &["synonyms"][..])] {
        let Some(toml::Value::Table(keys)) = table.get(name) else {
            continue;
        };
        for key in keys.keys().filter(|k| !expected.contains(&k.as_str())) {
            let hint = if KNOWN_KEYS.contains(&key.as_str()) {
                format!(" (`{key}` is a top-level key: move it above the first [table])")
            } else {
                format!(" (expected: {})", expected.join(", "))
            };
            let (line, col) = place(name, key);
            diags.push(Diagnostic::warning(
                display,
                line,
                col,
                format!("unknown key `{key}` in [{name}] is ignored{hint}"),
            ));
        }
    }
    match toml::from_str::<Config>(text) {
        Ok(c) => (c, diags),
        Err(e) => {
            let (line, col) = position(e.span());
            diags.push(Diagnostic::error(
                display,
                line,
                col,
                e.message().to_owned(),
            ));
            (Config::default(), diags)
        }
    }
}

/// The byte offset of each key of the top level and of the tables one level down, by
/// (table, key) (`""` for the top level). Empty when the text is not TOML (its error says
/// where).
fn key_positions(text: &str) -> std::collections::HashMap<(String, String), usize> {
    let mut out = std::collections::HashMap::new();
    let Ok(doc) = toml::de::DeTable::parse(text) else {
        return out;
    };
    for (key, value) in doc.get_ref() {
        let name = key.get_ref().to_string();
        if let toml::de::DeValue::Table(inner) = value.get_ref() {
            for (k, _) in inner {
                out.insert((name.clone(), k.get_ref().to_string()), k.span().start);
            }
        }
        out.insert((String::new(), name), key.span().start);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_defaults() {
        let (c, d) = parse("", "coe.toml");
        assert!(d.is_empty());
        assert_eq!(c.theme, "default");
    }

    #[test]
    fn a_top_level_key_below_a_table_is_reported() {
        let (c, d) = parse(
            "[taxonomies]\ntags = \"Labels\"\nbase_url = \"https://coe.example.com\"\ncolour = 1\n",
            "coe.toml",
        );
        assert_eq!(c.taxonomies.tags, "Labels");
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(
            d[0].message.contains("`base_url` is a top-level key"),
            "{}",
            d[0]
        );
        assert!(
            d[1].message
                .contains("unknown key `colour` in [taxonomies]"),
            "{}",
            d[1]
        );
        // Each where it is written.
        assert_eq!((d[0].line, d[0].column), (3, 1), "{}", d[0]);
        assert_eq!((d[1].line, d[1].column), (4, 1), "{}", d[1]);
        let (_, d) = parse(
            "title = \"x\"\n  titel = \"y\"\n[search]\nsynonym = []\n",
            "coe.toml",
        );
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!((d[0].line, d[0].column), (2, 3), "{}", d[0]);
        assert!(d[1].message.contains("in [search]"), "{}", d[1]);
        assert_eq!(d[1].line, 4, "{}", d[1]);
    }

    #[test]
    fn type_error_is_located() {
        let (_, d) = parse("title = \"x\"\nhome_limit = \"ten\"\n", "coe.toml");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].line, 2, "{}", d[0]);
    }
}
