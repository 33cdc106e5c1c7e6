//! Small per-page views: what a template sees. Never the whole library.

use crate::content::Coe;
use crate::content::front_matter::ActionItem;
use crate::content::markdown::{FILE_PREFIX, LINK_PREFIX};
use crate::content::time::human_duration;
use crate::incremental::deps::{Deps, Kind};
use crate::library::severity_label;
use crate::library::{Library, TaxonomyKind, Term};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

#[derive(Serialize, Clone)]
pub struct Link {
    pub name: String,
    /// Relative to the site root, e.g. `tags/config-change/`.
    pub url: String,
}

#[derive(Serialize, Clone)]
pub struct Severity {
    /// `SEV2` or `Unrated`.
    pub label: String,
    /// CSS class: `sev2`, `unrated`.
    pub class: String,
    /// 1..5, or 9 for unrated (so lists sort worst first).
    pub rank: u8,
    pub url: String,
}

/// One COE in a list.
#[derive(Serialize, Clone)]
pub struct CoeCard {
    pub id: String,
    pub title: String,
    pub url: String,
    pub date: String,
    pub year: i16,
    pub status: &'static str,
    pub severity: Severity,
    pub summary: String,
    pub services: Vec<Link>,
    pub tags: Vec<Link>,
    pub teams: Vec<Link>,
    pub time_to_mitigate: Option<String>,
    /// Minutes, for sorting; none when unknown.
    pub time_to_mitigate_minutes: Option<i64>,
}

#[derive(Serialize)]
pub struct ActionItemView {
    pub title: String,
    pub owner: Option<Link>,
    pub due: Option<String>,
    pub priority: Option<&'static str>,
    pub status: &'static str,
    pub ticket: Option<String>,
    /// Set when the ticket is an http(s) URL.
    pub ticket_url: Option<String>,
    pub closed: Option<String>,
    pub overdue: bool,
    pub days_overdue: i32,
}

#[derive(Serialize)]
pub struct SectionView {
    pub title: String,
    pub id: String,
    /// `five-whys`, `action-items`… (`SectionKind::key`); none for other headings.
    pub kind: Option<&'static str>,
    pub html: String,
}

#[derive(Serialize)]
pub struct WhyView {
    pub question: String,
    pub answer: String,
}

#[derive(Serialize)]
pub struct EventView {
    pub day: String,
    pub time: String,
    pub utc: Option<String>,
    /// `+38 min` from the first timed event.
    pub offset: Option<String>,
    /// True for the first event of a new day.
    pub new_day: bool,
    pub html: String,
}

#[derive(Serialize)]
pub struct Moment {
    pub label: &'static str,
    pub utc: String,
    pub display: String,
}

/// Everything the COE page shows.
#[derive(Serialize)]
pub struct CoePage<'a> {
    #[serde(flatten)]
    pub card: &'a CoeCard,
    pub published: String,
    /// False when the summary is just the first paragraph of the Summary section shown below.
    pub show_summary: bool,
    pub customer_impact: Option<String>,
    pub root_causes: Vec<Link>,
    pub authors: Vec<Link>,
    pub reviewers: Vec<Link>,
    pub moments: Vec<Moment>,
    pub time_to_detect: Option<String>,
    pub time_to_resolve: Option<String>,
    pub sections: Vec<SectionView>,
    pub timeline: Vec<EventView>,
    pub whys: Vec<WhyView>,
    pub action_items: Vec<ActionItemView>,
    pub open_items: usize,
    /// Whether the body has an `Action Items` section (the tracker table goes inside it).
    pub has_action_items_section: bool,
    /// Whether the action items were read from the body's Action Items section (the front
    /// matter has no `action_items`).
    pub action_items_from_body: bool,
    pub overdue_items: usize,
    pub related: Vec<tera::Value>,
    pub referenced_by: Vec<tera::Value>,
    /// The most similar COEs, with why.
    pub similar: Vec<SimilarView>,
    pub source: String,
    pub extra: std::collections::BTreeMap<String, serde_json::Value>,
}

fn links(lib: &Library, kind: TaxonomyKind, values: &[String]) -> Vec<Link> {
    let tax = lib.taxonomy(kind);
    let mut out: Vec<Link> = Vec::new();
    for v in values {
        if let Some(t) = tax.term(v) {
            let url = crate::urls::term(kind.path(), &t.slug);
            if !out.iter().any(|l| l.url == url) {
                out.push(Link {
                    name: t.name.clone(),
                    url,
                });
            }
        }
    }
    out
}

pub fn severity(s: Option<u8>) -> Severity {
    let label = severity_label(s);
    let class = crate::slug::slugify(&label);
    Severity {
        url: crate::urls::term(TaxonomyKind::Severity.path(), &class),
        label,
        class,
        rank: s.unwrap_or(9),
    }
}

pub fn card(lib: &Library, coe: &Coe) -> CoeCard {
    let ttm = coe.time_to_mitigate();
    CoeCard {
        id: coe.id.clone(),
        title: coe.title.clone(),
        url: crate::urls::coe(&coe.slug),
        date: coe.date.to_string(),
        year: coe.date.year(),
        status: coe.status.as_str(),
        severity: severity(coe.severity),
        summary: coe.summary.clone(),
        services: links(lib, TaxonomyKind::Services, &coe.services),
        tags: links(lib, TaxonomyKind::Tags, &coe.tags),
        teams: links(lib, TaxonomyKind::Teams, &coe.teams),
        time_to_mitigate: ttm.map(human_duration),
        time_to_mitigate_minutes: ttm.map(|d| d.as_secs() / 60),
    }
}

/// Cards and their template values, each made once, when first needed: lists then share them
/// (a clone is a reference count) instead of serializing the same card for every page it
/// appears on, and a rebuild rendering a few pages makes only their cards.
pub struct CardValues<'a> {
    lib: &'a Library,
    cards: Vec<std::sync::OnceLock<CoeCard>>,
    values: Vec<std::sync::OnceLock<tera::Value>>,
    html: Option<CardHtml<'a>>,
}

/// Each card rendered to HTML by `partials/coe_card.html`, once per link depth (`root`), and
/// given to the card lists as `c.card_html`. A COE is in ten or so lists (its year, tags,
/// services, team...); rendering its card on each of them was most of those pages' time
/// (1.2 s of CPU at 10,000 COEs). Only made when a template mentions `card_html`.
struct CardHtml<'a> {
    renderer: &'a super::Renderer,
    /// Per COE: (root, the card's HTML). Only the HTML is kept: a copy of the card's value
    /// per depth cost 40 MB of peak memory at 10,000 COEs; the value with `card_html` is
    /// made for each list entry instead (reference counts, ~50 ms in all).
    by_root: Vec<std::sync::Mutex<Vec<(String, tera::Value)>>>,
}

impl<'a> CardValues<'a> {
    pub fn new(lib: &'a Library, renderer: Option<&'a super::Renderer>) -> CardValues<'a> {
        CardValues {
            lib,
            cards: lib
                .coes
                .iter()
                .map(|_| std::sync::OnceLock::new())
                .collect(),
            values: lib
                .coes
                .iter()
                .map(|_| std::sync::OnceLock::new())
                .collect(),
            html: renderer.filter(|r| r.card_html).map(|renderer| CardHtml {
                renderer,
                by_root: lib.coes.iter().map(|_| Default::default()).collect(),
            }),
        }
    }

    /// Card `i` itself (a position in the library), recorded as shown on the page of `deps`.
    pub fn card(&self, i: usize, deps: &Deps) -> &CoeCard {
        deps.coe(Kind::Shown, i);
        self.cards[i].get_or_init(|| card(self.lib, &self.lib.coes[i]))
    }

    pub fn get(&self, i: usize, deps: &Deps) -> Option<tera::Value> {
        let value = self.values.get(i)?;
        let card = self.card(i, deps);
        Some(
            value
                .get_or_init(|| tera::Value::from_serializable(card))
                .clone(),
        )
    }

    pub fn list(&self, idx: &[usize], deps: &Deps) -> Vec<tera::Value> {
        idx.iter().filter_map(|&i| self.get(i, deps)).collect()
    }

    /// A list of cards on a page at `root`, each with its `card_html` when templates use it.
    pub fn list_with_html(
        &self,
        idx: &[usize],
        root: &str,
        deps: &Deps,
    ) -> Result<Vec<tera::Value>, crate::diag::Diagnostic> {
        let Some(html) = &self.html else {
            return Ok(self.list(idx, deps));
        };
        let mut out = Vec::with_capacity(idx.len());
        for &i in idx {
            let Some(value) = self.get(i, deps) else {
                continue;
            };
            let Some(slot) = html.by_root.get(i) else {
                continue;
            };
            let html_value = {
                // A poisoned lock only means another page's render panicked: the cache is intact.
                let mut known = slot
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match known.iter().find(|(r, _)| r == root) {
                    Some((_, h)) => h.clone(),
                    None => {
                        let mut ctx = tera::Context::new();
                        ctx.insert("c", &value);
                        ctx.insert("root", root);
                        let rendered = html.renderer.render("partials/coe_card.html", &ctx)?;
                        let h = tera::Value::safe_string(&rendered);
                        known.push((root.to_owned(), h.clone()));
                        h
                    }
                }
            };
            let mut map = value.into_map().unwrap_or_default();
            map.insert("card_html".into(), html_value);
            out.push(tera::Value::from(map));
        }
        Ok(out)
    }
}

fn fmt_ts(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%d %H:%M UTC").to_string()
}

/// An action item's view; its owner links to the owner's page among the authors when there is
/// one (recorded in `deps`: that page may come or go with another COE).
pub fn action_item(lib: &Library, item: &ActionItem, today: Date, deps: &Deps) -> ActionItemView {
    let overdue = item.status.is_pending() && item.due.is_some_and(|d| d < today);
    let days_overdue = match (overdue, item.due) {
        (true, Some(due)) => (today - due).get_days(),
        _ => 0,
    };
    let owner = item
        .owner
        .as_ref()
        .inspect(|o| deps.add(TaxonomyKind::Authors.key(Kind::Term, &crate::slug::slugify(o))))
        .map(|o| match lib.taxonomy(TaxonomyKind::Authors).term(o) {
            Some(t) => Link {
                name: o.clone(),
                url: crate::urls::term(TaxonomyKind::Authors.path(), &t.slug),
            },
            None => Link {
                name: o.clone(),
                url: String::new(),
            },
        });
    let ticket_url = crate::digest::rows::ticket_url(item);
    ActionItemView {
        title: item.title.clone(),
        owner,
        due: item.due.map(|d| d.to_string()),
        priority: item.priority.map(|p| p.as_str()),
        status: item.status.as_str(),
        ticket: item.ticket.clone(),
        ticket_url,
        closed: item.closed.map(|d| d.to_string()),
        overdue,
        days_overdue,
    }
}

/// Replaces the internal-link placeholders in a COE's HTML with relative URLs.
fn resolve_links(
    html: &str,
    (i, targets): (usize, &[Option<usize>]),
    lib: &Library,
    root: &str,
    deps: &Deps,
) -> String {
    let html = resolve_files(html, lib, i, root);
    if !html.contains(LINK_PREFIX) {
        return html;
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html.as_str();
    while let Some(pos) = rest.find(LINK_PREFIX) {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + LINK_PREFIX.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let n: Option<usize> = after[..digits].parse().ok();
        match n.and_then(|n| targets.get(n).copied().flatten()) {
            Some(j) => {
                deps.coe(Kind::Shown, j);
                out.push_str(&format!("{root}{}", crate::urls::coe(&lib.coes[j].slug)))
            }
            None => {
                out.push_str(&format!("{root}404.html"));
                // Drop a fragment that belonged to the missing page.
                let frag = after[digits..].bytes().take_while(|&b| b != b'"').count();
                rest = &after[digits + frag..];
                continue;
            }
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// Replaces the local-file placeholders in COE `i`'s HTML with the URLs its attachments are
/// published at, next to its page (see `urls::attachment`).
fn resolve_files(html: &str, lib: &Library, i: usize, root: &str) -> String {
    if !html.contains(FILE_PREFIX) {
        return html.to_owned();
    }
    let coe = &lib.coes[i];
    let dir = coe.source.rsplit_once('/').map_or("", |(d, _)| d);
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(pos) = rest.find(FILE_PREFIX) {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + FILE_PREFIX.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let n: Option<usize> = after[..digits].parse().ok();
        if let Some(a) = n.and_then(|n| coe.attachments.get(n)) {
            let rel = crate::urls::attachment(dir, &a.target);
            out.push_str(&format!(
                "{root}{}{}",
                crate::urls::coe(&coe.slug),
                crate::urls::encode_path(&rel)
            ));
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// A similar COE: its card's fields plus `score` and `reasons`.
pub struct SimilarView {
    pub card: tera::Value,
    pub score: f32,
    pub reasons: Vec<String>,
}

impl Serialize for SimilarView {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        if let Some(card) = self.card.as_map() {
            for (k, v) in card {
                m.serialize_entry(k, v)?;
            }
        }
        m.serialize_entry("score", &self.score)?;
        m.serialize_entry("reasons", &self.reasons)?;
        m.end()
    }
}

pub fn coe_page<'a>(
    lib: &'a Library,
    cards: &'a CardValues<'_>,
    i: usize,
    root: &str,
    similar: Option<&[crate::search::similar::Similar]>,
    deps: &Deps,
) -> CoePage<'a> {
    let coe = &lib.coes[i];
    deps.coe(Kind::Page, i);
    deps.coe(Kind::Similar, i);
    let today = lib.today;
    let action_items: Vec<ActionItemView> = coe
        .action_items
        .iter()
        .map(|a| action_item(lib, a, today, deps))
        .collect();
    let first = coe
        .started
        .or_else(|| coe.timeline.iter().find_map(|e| e.at));
    let mut last_day = String::new();
    let timeline = coe
        .timeline
        .iter()
        .map(|e| {
            let new_day = e.day != last_day;
            last_day = e.day.clone();
            EventView {
                day: e.day.clone(),
                time: e.time.clone(),
                utc: e.utc.clone(),
                offset: match (first, e.at) {
                    (Some(f), Some(at)) if at >= f => {
                        Some(format!("+{}", human_duration(at.duration_since(f))))
                    }
                    _ => None,
                },
                new_day,
                html: resolve_links(&e.html, (i, &lib.link_targets[i]), lib, root, deps),
            }
        })
        .collect();
    let moments = [
        ("Started", coe.started),
        ("Detected", coe.detected),
        ("Mitigated", coe.mitigated),
        ("Resolved", coe.resolved),
    ]
    .into_iter()
    .filter_map(|(label, t)| {
        t.map(|t| Moment {
            label,
            utc: t.to_string(),
            display: fmt_ts(t),
        })
    })
    .collect();
    let sections = coe
        .sections
        .iter()
        .map(|s| SectionView {
            title: s.title.clone(),
            id: s.id.clone(),
            kind: s.kind.map(|k| k.key()),
            html: resolve_links(&s.html, (i, &lib.link_targets[i]), lib, root, deps),
        })
        .collect();
    CoePage {
        card: cards.card(i, deps),
        published: coe.published.to_string(),
        show_summary: !coe.summary.is_empty()
            && coe
                .section(crate::content::markdown::SectionKind::Summary)
                .is_none_or(|s| !s.text.starts_with(&coe.summary)),
        customer_impact: coe.customer_impact.clone(),
        root_causes: links(lib, TaxonomyKind::RootCauses, &coe.root_causes),
        authors: links(lib, TaxonomyKind::Authors, &coe.authors),
        reviewers: links(lib, TaxonomyKind::Authors, &coe.reviewers),
        moments,
        time_to_detect: coe.time_to_detect().map(human_duration),
        time_to_resolve: coe.time_to_resolve().map(human_duration),
        sections,
        timeline,
        whys: coe
            .whys
            .iter()
            .map(|w| WhyView {
                question: w.question.clone(),
                answer: w.answer.clone(),
            })
            .collect(),
        action_items_from_body: coe.action_items_source == crate::content::ItemsSource::Body,
        has_action_items_section: coe
            .section(crate::content::markdown::SectionKind::ActionItems)
            .is_some(),
        open_items: action_items
            .iter()
            .filter(|a| a.status == "open" || a.status == "in-progress")
            .count(),
        overdue_items: action_items.iter().filter(|a| a.overdue).count(),
        action_items,
        related: cards.list(&lib.related[i], deps),
        referenced_by: cards.list(&lib.referenced_by[i], deps),
        similar: similar
            .unwrap_or_default()
            .iter()
            .filter_map(|s| {
                Some(SimilarView {
                    card: cards.get(s.idx, deps)?,
                    score: (s.score * 100.0).round() / 100.0,
                    reasons: s.reasons.clone(),
                })
            })
            .collect(),
        source: format!("content/{}", coe.source),
        extra: coe.extra.clone(),
    }
}

/// A term with its count, for indexes and the home page.
#[derive(Serialize)]
pub struct TermCount {
    pub name: String,
    pub url: String,
    pub count: usize,
}

pub fn term_count(kind: TaxonomyKind, t: &Term, deps: &Deps) -> TermCount {
    deps.add(kind.key(Kind::TermList, &t.slug));
    deps.add(kind.key(Kind::Term, &t.slug));
    TermCount {
        name: t.name.clone(),
        url: crate::urls::term(kind.path(), &t.slug),
        count: t.coes.len(),
    }
}
