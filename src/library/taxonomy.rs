//! Taxonomies: tags, services, root causes, teams, people and severity.
//! Terms are merged by slug, so `Config Change` and `config-change` are one term.

use crate::content::Coe;
use crate::slug::slugify;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaxonomyKind {
    Tags = 0,
    Services = 1,
    RootCauses = 2,
    Teams = 3,
    Authors = 4,
    Severity = 5,
}

impl TaxonomyKind {
    pub const ALL: [TaxonomyKind; 6] = [
        TaxonomyKind::Tags,
        TaxonomyKind::Services,
        TaxonomyKind::RootCauses,
        TaxonomyKind::Teams,
        TaxonomyKind::Authors,
        TaxonomyKind::Severity,
    ];

    /// A dependency key about term `slug` of this taxonomy (see `incremental::deps`).
    pub fn key(
        self,
        kind: crate::incremental::deps::Kind,
        slug: &str,
    ) -> crate::incremental::deps::Key {
        crate::incremental::deps::Key::term(kind, self as u8, slug)
    }

    /// A dependency key about this taxonomy as a whole: its terms and their counts.
    pub fn taxonomy_key(self) -> crate::incremental::deps::Key {
        crate::incremental::deps::Key::new(crate::incremental::deps::Kind::Taxonomy, self as u64)
    }

    /// URL path segment: `/root-causes/`.
    pub fn path(self) -> &'static str {
        match self {
            TaxonomyKind::Tags => "tags",
            TaxonomyKind::Services => "services",
            TaxonomyKind::RootCauses => "root-causes",
            TaxonomyKind::Teams => "teams",
            TaxonomyKind::Authors => "authors",
            TaxonomyKind::Severity => "severity",
        }
    }

    /// The values a COE has in this taxonomy (people: authors, then reviewers).
    pub fn values(self, coe: &Coe) -> Vec<String> {
        match self {
            TaxonomyKind::Tags => coe.tags.clone(),
            TaxonomyKind::Services => coe.services.clone(),
            TaxonomyKind::RootCauses => coe.root_causes.clone(),
            TaxonomyKind::Teams => coe.teams.clone(),
            TaxonomyKind::Authors => coe.authors.iter().chain(&coe.reviewers).cloned().collect(),
            TaxonomyKind::Severity => vec![severity_label(coe.severity)],
        }
    }
}

pub fn severity_label(severity: Option<u8>) -> String {
    severity.map_or_else(|| "Unrated".to_owned(), |s| format!("SEV{s}"))
}

#[derive(Debug, Clone)]
pub struct Term {
    /// The most common spelling.
    pub name: String,
    pub slug: String,
    /// COEs with this term, newest first (indexes into `Library::coes`).
    pub coes: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub kind: TaxonomyKind,
    /// Sorted by slug.
    pub terms: Vec<Term>,
    pub by_slug: HashMap<String, usize>,
    /// Per COE (position in `Library::coes`), its terms (positions in `terms`), ascending.
    pub of_coe: Vec<Vec<usize>>,
}

impl Taxonomy {
    pub fn build(kind: TaxonomyKind, coes: &[Coe]) -> Taxonomy {
        let mut terms: BTreeMap<String, (BTreeMap<String, usize>, Vec<usize>)> = BTreeMap::new();
        for (i, coe) in coes.iter().enumerate() {
            for value in kind.values(coe) {
                let slug = slugify(&value);
                if slug.is_empty() {
                    continue;
                }
                let (spellings, list) = terms.entry(slug).or_default();
                *spellings.entry(value).or_default() += 1;
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        let terms: Vec<Term> = terms
            .into_iter()
            .map(|(slug, (spellings, coes))| {
                // Most used spelling; ties go to the first in sort order, so output is stable.
                let max = spellings.values().copied().max().unwrap_or(0);
                let name = spellings
                    .into_iter()
                    .find(|(_, n)| *n == max)
                    .map(|(s, _)| s)
                    .unwrap_or_else(|| slug.clone());
                Term { name, slug, coes }
            })
            .collect();
        let by_slug = terms
            .iter()
            .enumerate()
            .map(|(i, t)| (t.slug.clone(), i))
            .collect();
        let mut of_coe = vec![Vec::new(); coes.len()];
        for (t, term) in terms.iter().enumerate() {
            for &i in &term.coes {
                of_coe[i].push(t);
            }
        }
        Taxonomy {
            kind,
            terms,
            by_slug,
            of_coe,
        }
    }

    pub fn term(&self, value: &str) -> Option<&Term> {
        self.by_slug.get(&slugify(value)).map(|&i| &self.terms[i])
    }
}
