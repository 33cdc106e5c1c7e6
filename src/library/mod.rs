//! The whole set of COEs: ids, links, backlinks, taxonomies and years.
//! Built once from the parsed COEs; everything after this stage only reads it.

pub mod actions;
pub mod metrics;
mod taxonomy;
pub mod weeks;

pub use taxonomy::{Taxonomy, TaxonomyKind, Term, severity_label};

use crate::content::Coe;
use crate::content::front_matter::Status;
use crate::diag::Diagnostic;
use jiff::civil::Date;
use std::collections::{BTreeMap, HashMap};
use weeks::IsoWeek;

pub struct Library {
    /// Published COEs (drafts too when asked), newest first.
    pub coes: Vec<Coe>,
    pub by_slug: HashMap<String, usize>,
    /// For each COE, the COE each of its body links points to (`None` when it is not published).
    pub link_targets: Vec<Vec<Option<usize>>>,
    /// Hand-written `related` ids, resolved.
    pub related: Vec<Vec<usize>>,
    /// COEs that link to this one (by `related` or in their body).
    pub referenced_by: Vec<Vec<usize>>,
    pub taxonomies: Vec<Taxonomy>,
    /// Year → COEs, newest first.
    pub years: BTreeMap<i16, Vec<usize>>,
    /// ISO week of `published` → COEs published that week, newest first.
    pub weeks: BTreeMap<IsoWeek, Vec<usize>>,
    pub item_dates: actions::ItemDates,
    pub today: Date,
    /// The groups `[search.synonyms]` adds to the search thesaurus (set by whoever loaded the
    /// configuration; empty from [`Library::build`]).
    pub synonyms: Vec<Vec<String>>,
}

impl Library {
    /// Builds the library. `include_drafts` publishes `draft` and `in-review` COEs too.
    pub fn build(
        mut all: Vec<Coe>,
        include_drafts: bool,
        today: Date,
    ) -> (Library, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        // Stable order whatever order the files were parsed in: newest first, then id.
        all.sort_by(|a, b| {
            b.date
                .cmp(&a.date)
                .then_with(|| a.slug.cmp(&b.slug))
                .then_with(|| a.source.cmp(&b.source))
        });

        // Ids are unique across the whole library, drafts included.
        let mut first_by_slug: HashMap<&str, &Coe> = HashMap::new();
        for coe in &all {
            if let Some(other) = first_by_slug.insert(&coe.slug, coe) {
                diags.push(Diagnostic::error(
                    &coe.display_path,
                    0,
                    0,
                    format!(
                        "duplicate id \"{}\": {} already has id \"{}\" (ids must be unique; set `id:` in one of them)",
                        coe.id, other.display_path, other.id
                    ),
                ));
                first_by_slug.insert(&other.slug, other);
            }
        }
        let (all_slugs, source_to_slug) = link_maps(&all);

        let coes: Vec<Coe> = all
            .into_iter()
            .filter(|c| include_drafts || c.status == Status::Published)
            .collect();
        let by_slug: HashMap<String, usize> = coes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.slug.clone(), i))
            .collect();

        let mut link_targets = Vec::with_capacity(coes.len());
        let mut related = Vec::with_capacity(coes.len());
        for (i, coe) in coes.iter().enumerate() {
            let (targets, rel) = resolve(coe, i, &by_slug, &all_slugs, &source_to_slug, &mut diags);
            link_targets.push(targets);
            related.push(rel);
        }
        let referenced_by = backlinks(&related, &link_targets);

        // The six taxonomies side by side: each slugifies every value of every COE.
        let taxonomies = {
            use rayon::prelude::*;
            TaxonomyKind::ALL
                .par_iter()
                .map(|&k| Taxonomy::build(k, &coes))
                .collect()
        };
        let mut years: BTreeMap<i16, Vec<usize>> = BTreeMap::new();
        for (i, c) in coes.iter().enumerate() {
            years.entry(c.date.year()).or_default().push(i);
        }
        let mut weeks: BTreeMap<IsoWeek, Vec<usize>> = BTreeMap::new();
        for (i, c) in coes.iter().enumerate() {
            weeks.entry(IsoWeek::of(c.published)).or_default().push(i);
        }
        for list in weeks.values_mut() {
            list.sort_by(|&a, &b| coes[b].published.cmp(&coes[a].published).then(a.cmp(&b)));
        }
        let item_dates = actions::ItemDates::new(&coes);
        let lib = Library {
            coes,
            by_slug,
            link_targets,
            related,
            referenced_by,
            taxonomies,
            years,
            item_dates,
            weeks,
            today,
            synonyms: Vec::new(),
        };
        (lib, diags)
    }

    pub fn taxonomy(&self, kind: TaxonomyKind) -> &Taxonomy {
        &self.taxonomies[kind as usize]
    }

    /// Puts `coe` in the place of COE `i`, for `coe serve`: what `build` would give when the
    /// new COE keeps the id, dates and status of the one it replaces (so every position stays).
    /// Its links and related ids are resolved again, backlinks and taxonomies rebuilt.
    /// `all` is every COE after the change, drafts included. `None` (and the library
    /// unchanged) when the new COE does not keep them.
    pub fn replace(&mut self, i: usize, coe: Coe, all: &[Coe]) -> Option<Vec<Diagnostic>> {
        let old = self.coes.get(i)?;
        if old.slug != coe.slug
            || old.date != coe.date
            || old.published != coe.published
            || old.status != coe.status
            || old.source != coe.source
        {
            return None;
        }
        let mut diags = Vec::new();
        let (all_slugs, source_to_slug) = link_maps(all);
        let (targets, rel) = resolve(
            &coe,
            i,
            &self.by_slug,
            &all_slugs,
            &source_to_slug,
            &mut diags,
        );
        self.coes[i] = coe;
        self.link_targets[i] = targets;
        self.related[i] = rel;
        self.referenced_by = backlinks(&self.related, &self.link_targets);
        self.taxonomies = TaxonomyKind::ALL
            .iter()
            .map(|&k| Taxonomy::build(k, &self.coes))
            .collect();
        Some(diags)
    }
}

/// COE `i`'s body links (to positions; `None` when not published) and related ids, resolved.
/// Every id in the library (drafts included) and each file's id by its lowercased path: what
/// `related` ids and body links are resolved against.
fn link_maps(all: &[Coe]) -> (std::collections::HashSet<String>, HashMap<String, String>) {
    let slugs = all.iter().map(|c| c.slug.clone()).collect();
    let by_source = all
        .iter()
        .map(|c| (c.source.to_lowercase(), c.slug.clone()))
        .collect();
    (slugs, by_source)
}

fn resolve(
    coe: &Coe,
    i: usize,
    by_slug: &HashMap<String, usize>,
    all_slugs: &std::collections::HashSet<String>,
    source_to_slug: &HashMap<String, String>,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<Option<usize>>, Vec<usize>) {
    let mut targets = Vec::with_capacity(coe.links.len());
    for link in &coe.links {
        let slug = source_to_slug.get(&link.target.to_lowercase());
        if slug.is_none() {
            diags.push(Diagnostic::warning(
                &coe.display_path,
                link.line,
                0,
                format!(
                    "link to \"{}\": no COE file at content/{}",
                    link.target, link.target
                ),
            ));
        }
        targets.push(slug.and_then(|s| by_slug.get(s).copied()));
    }
    let mut rel = Vec::new();
    for r in &coe.related {
        let slug = crate::slug::slugify(&r.value);
        match (by_slug.get(&slug), all_slugs.contains(&slug)) {
            (Some(&j), _) if j != i => rel.push(j),
            (Some(_), _) | (None, true) => {}
            (None, false) => diags.push(Diagnostic::warning(
                &coe.display_path,
                r.line,
                r.column,
                format!("related: no COE has id \"{}\"", r.value),
            )),
        }
    }
    rel.dedup();
    (targets, rel)
}

/// For each COE, the COEs that link to it (by `related` or in their body), in order.
fn backlinks(related: &[Vec<usize>], link_targets: &[Vec<Option<usize>>]) -> Vec<Vec<usize>> {
    let mut referenced_by: Vec<Vec<usize>> = vec![Vec::new(); related.len()];
    for (i, (rel, targets)) in related.iter().zip(link_targets).enumerate() {
        for &j in rel.iter().chain(targets.iter().flatten()) {
            if j != i && !referenced_by[j].contains(&i) {
                referenced_by[j].push(i);
            }
        }
    }
    for refs in &mut referenced_by {
        refs.sort_unstable();
    }
    referenced_by
}
