//! The weekly learning digest: what a community of practice reads before its meeting.
//! One ISO week's new COEs (with what happened before), recurrences, action items, themes,
//! champions and discussion prompts. Pure data from the library and the similar COEs;
//! `markdown` prints it for chat, templates render it for the site and e-mail.

pub mod markdown;
pub mod rows;

use crate::content::Coe;
use crate::content::front_matter::ItemStatus;
use crate::content::markdown::SectionKind;
use crate::content::time::human_duration;
use crate::incremental::deps::{Deps, Key, Kind};
use crate::library::actions::{self, ItemRef};
use crate::library::weeks::IsoWeek;
use crate::library::{Library, TaxonomyKind, severity_label};
use crate::search::similar::Similar;
use crate::slug::slugify;
use jiff::ToSpan;
use jiff::civil::Date;
pub use rows::{ActionRow, action_row};
use serde::Serialize;
use std::collections::BTreeMap;

/// An earlier COE at least this similar (text and shared services, root causes and tags;
/// see `search::similar`) whose action items were all done is flagged as a recurrence.
pub const RECURRENCE_MIN_SCORE: f32 = 0.2;
/// Below this an earlier COE shares a word or a tag, not a story: not shown as "this
/// happened before" (measured on the sample library: true matches score 0.14 to 0.34).
pub const EARLIER_MIN_SCORE: f32 = 0.1;
/// Lists in a digest stay readable: the rest is on `/action-items/`.
const MAX_ITEMS: usize = 25;
const MAX_LESSONS: usize = 3;
/// "This week and the last four" against "the twelve before".
const RECENT_WEEKS: i32 = 5;
const PRIOR_WEEKS: i32 = 12;
const QUARTER_WEEKS: i32 = 13;

#[derive(Serialize, Debug, Clone)]
pub struct Digest {
    pub week: String,
    pub from: String,
    pub to: String,
    /// The day action items are counted on: the Monday after the week, or today if sooner.
    pub as_of: String,
    /// Relative to the site root: `digest/2026-w14/`.
    pub url: String,
    pub new_coes: Vec<DigestCoe>,
    pub recurrences: Vec<Recurrence>,
    pub action_items: ActionSummary,
    pub themes: Themes,
    pub champions: Champions,
    pub prompts: Vec<String>,
}

#[derive(Serialize, Debug, Clone)]
pub struct DigestCoe {
    pub id: String,
    pub title: String,
    pub url: String,
    pub date: String,
    pub published: String,
    pub severity: String,
    pub severity_class: String,
    pub services: Vec<String>,
    pub team: Vec<String>,
    pub summary: String,
    pub customer_impact: Option<String>,
    pub time_to_detect: Option<String>,
    pub time_to_detect_minutes: Option<i64>,
    pub time_to_mitigate: Option<String>,
    pub time_to_mitigate_minutes: Option<i64>,
    pub lessons: Vec<String>,
    pub similar_earlier: Vec<EarlierCoe>,
}

#[derive(Serialize, Debug, Clone)]
pub struct EarlierCoe {
    pub id: String,
    pub title: String,
    pub url: String,
    pub date: String,
    pub severity: String,
    pub score: f32,
    pub reasons: Vec<String>,
    /// Its action items: how many, and how many are done.
    pub action_items: usize,
    pub action_items_done: usize,
}

#[derive(Serialize, Debug, Clone)]
pub struct Recurrence {
    pub id: String,
    pub title: String,
    pub url: String,
    pub earlier: EarlierCoe,
}

#[derive(Serialize, Debug, Clone)]
pub struct ActionSummary {
    pub closed: Vec<ActionRow>,
    pub due_soon: Vec<ActionRow>,
    /// The most overdue first; `overdue_total` counts them all.
    pub overdue: Vec<ActionRow>,
    pub overdue_total: usize,
}

#[derive(Serialize, Debug, Clone)]
pub struct Theme {
    /// `tags`, `services` or `root-causes`.
    pub taxonomy: &'static str,
    pub name: String,
    pub url: String,
    /// COEs in this week and the four before.
    pub recent: usize,
    /// COEs in the twelve weeks before those.
    pub prior: usize,
}

#[derive(Serialize, Debug, Clone)]
pub struct MedianPair {
    pub week: Option<String>,
    pub week_minutes: Option<i64>,
    pub week_count: usize,
    pub quarter: Option<String>,
    pub quarter_minutes: Option<i64>,
    pub quarter_count: usize,
}

#[derive(Serialize, Debug, Clone)]
pub struct Themes {
    pub rising: Vec<Theme>,
    /// This week's median against the thirteen weeks before.
    pub time_to_detect: MedianPair,
    pub time_to_mitigate: MedianPair,
}

#[derive(Serialize, Debug, Clone)]
pub struct Champion {
    pub name: String,
    pub url: String,
    pub wrote: usize,
    pub reviewed: usize,
}

#[derive(Serialize, Debug, Clone)]
pub struct Champions {
    pub week: Vec<Champion>,
    /// The thirteen weeks ending with this one.
    pub quarter: Vec<Champion>,
}

/// The week a digest is for when none is asked: the last complete week.
pub fn default_week(today: Date) -> IsoWeek {
    IsoWeek::of(today).plus(-1)
}

/// The latest week with a published COE that has started by `today` (the site's `/digest/`).
pub fn latest_week(lib: &Library) -> Option<IsoWeek> {
    let now = IsoWeek::of(lib.today);
    lib.weeks
        .keys()
        .rev()
        .find(|w| **w <= now)
        .or_else(|| lib.weeks.keys().next())
        .copied()
}

/// Builds the digest of `week`. `earlier(i)` gives COE `i`'s most similar earlier COEs.
/// What it reads of the library is recorded in `deps` (see `incremental::deps`).
pub fn build(
    lib: &Library,
    week: IsoWeek,
    earlier: &dyn Fn(usize) -> Vec<Similar>,
    deps: &Deps,
) -> Digest {
    let (from, to) = (week.monday(), week.sunday());
    let as_of = to.checked_add(1.day()).unwrap_or(to).min(lib.today);
    let coes: &[usize] = lib.weeks.get(&week).map_or(&[], Vec::as_slice);
    deps.add(Key::new(Kind::Week, week_key(week)));
    // Its new COEs are summarised from their whole text (lessons, five whys).
    deps.coes(Kind::Page, coes);
    deps.coes(Kind::Earlier, coes);

    let mut new_coes = Vec::with_capacity(coes.len());
    let mut recurrences = Vec::new();
    for &i in coes {
        let similar: Vec<EarlierCoe> = earlier(i)
            .iter()
            .filter(|s| s.score >= EARLIER_MIN_SCORE)
            .map(|s| earlier_coe(lib, s, deps))
            .collect();
        let c = &lib.coes[i];
        if let Some(e) = similar.iter().find(|e| is_recurrence(e)) {
            recurrences.push(Recurrence {
                id: c.id.clone(),
                title: c.title.clone(),
                url: crate::urls::coe(&c.slug),
                earlier: e.clone(),
            });
        }
        new_coes.push(digest_coe(c, similar));
    }

    let themes = Themes {
        rising: rising(lib, week, deps),
        time_to_detect: medians(lib, week, Coe::time_to_detect, deps),
        time_to_mitigate: medians(lib, week, Coe::time_to_mitigate, deps),
    };
    let mut digest = Digest {
        week: week.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        as_of: as_of.to_string(),
        url: format!("digest/{}/", week.slug()),
        new_coes,
        recurrences,
        action_items: action_summary(lib, from, to, as_of, deps),
        themes,
        champions: Champions {
            week: champions(lib, week, 1, deps),
            quarter: champions(lib, week, QUARTER_WEEKS, deps),
        },
        prompts: Vec::new(),
    };
    digest.prompts = prompts(lib, coes, &digest);
    digest
}

/// Every done (or won't-do) action item: the fix was believed complete.
fn is_recurrence(e: &EarlierCoe) -> bool {
    e.score >= RECURRENCE_MIN_SCORE && e.action_items > 0 && e.action_items_done == e.action_items
}

fn earlier_coe(lib: &Library, s: &Similar, deps: &Deps) -> EarlierCoe {
    deps.coe(Kind::Shown, s.idx);
    let c = &lib.coes[s.idx];
    let done = c
        .action_items
        .iter()
        .filter(|a| matches!(a.status, ItemStatus::Done | ItemStatus::WontDo))
        .count();
    EarlierCoe {
        id: c.id.clone(),
        title: c.title.clone(),
        url: crate::urls::coe(&c.slug),
        date: c.date.to_string(),
        severity: severity_label(c.severity),
        score: (s.score * 100.0).round() / 100.0,
        reasons: s.reasons.clone(),
        action_items: c.action_items.len(),
        action_items_done: done,
    }
}

fn digest_coe(c: &Coe, similar_earlier: Vec<EarlierCoe>) -> DigestCoe {
    let ttd = c.time_to_detect();
    let ttm = c.time_to_mitigate();
    let severity = severity_label(c.severity);
    DigestCoe {
        id: c.id.clone(),
        title: c.title.clone(),
        url: crate::urls::coe(&c.slug),
        date: c.date.to_string(),
        published: c.published.to_string(),
        severity_class: slugify(&severity),
        severity,
        services: c.services.clone(),
        team: c.teams.clone(),
        summary: c.summary.clone(),
        customer_impact: c.customer_impact.clone(),
        time_to_detect: ttd.map(human_duration),
        time_to_detect_minutes: ttd.map(|d| d.as_secs() / 60),
        time_to_mitigate: ttm.map(human_duration),
        time_to_mitigate_minutes: ttm.map(|d| d.as_secs() / 60),
        lessons: lessons(c),
        similar_earlier,
    }
}

/// The first few points of `Lessons Learned` (list items, else paragraphs): what went wrong
/// and where we got lucky before what went well.
pub fn lessons(c: &Coe) -> Vec<String> {
    let mut found: Vec<(u8, usize, String)> = Vec::new();
    for s in c
        .sections
        .iter()
        .filter(|s| s.kind == Some(SectionKind::LessonsLearned))
    {
        if s.items.is_empty() {
            for p in s.text.split("\n\n") {
                found.push((rank(&s.title), found.len(), p.trim().to_owned()));
            }
        } else {
            for (heading, text) in &s.items {
                let r = if heading.is_empty() {
                    rank(&s.title)
                } else {
                    rank(heading)
                };
                found.push((r, found.len(), text.clone()));
            }
        }
    }
    found.retain(|(_, _, l)| !l.is_empty());
    found.sort();
    found
        .into_iter()
        .take(MAX_LESSONS)
        .map(|(_, _, l)| l)
        .collect()
}

/// Lessons first, what went well last.
fn rank(heading: &str) -> u8 {
    let h = heading.to_lowercase();
    if h.contains("well") {
        2
    } else if h.contains("lucky") {
        1
    } else {
        0
    }
}

fn action_summary(lib: &Library, from: Date, to: Date, as_of: Date, deps: &Deps) -> ActionSummary {
    // Which items are closed, due or late depends on every item of the library.
    deps.add(Key::all(Kind::AllItems));
    let row = |r: ItemRef, late: Option<i32>| {
        deps.coe(Kind::Shown, r.coe);
        action_row(lib, r, late)
    };
    let dates = &lib.item_dates;
    let next_week_end = as_of.checked_add(7.days()).unwrap_or(as_of);
    // The current week is counted on today's statuses; a past week as it was then.
    let current = as_of >= lib.today;
    let pending = |d: &actions::Dated| {
        if current {
            d.pending
        } else {
            d.pending_on(as_of)
        }
    };
    let first_closed = dates.by_closed.partition_point(|(c, _)| *c < from);
    let closed: Vec<ItemRef> = dates.by_closed[first_closed..]
        .iter()
        .take_while(|(c, _)| *c <= to)
        .map(|(_, r)| *r)
        .collect();
    let first_due = dates.by_due.partition_point(|d| d.due < as_of);
    let due_soon: Vec<ItemRef> = dates.by_due[first_due..]
        .iter()
        .take_while(|d| d.due < next_week_end)
        .filter(|d| pending(d))
        .map(|d| d.item)
        .collect();
    // Overdue, earliest due (most late) first.
    let late: Vec<&actions::Dated> = dates.by_due[..first_due]
        .iter()
        .filter(|d| pending(d))
        .collect();
    let overdue_total = late.len();
    // Keep every item as late as the last one shown, then order by priority within a day.
    let mut shown: Vec<&actions::Dated> = match late.get(MAX_ITEMS.saturating_sub(1)) {
        Some(last) => late
            .iter()
            .take_while(|d| d.due <= last.due)
            .copied()
            .collect(),
        None => late,
    };
    shown.sort_by(|a, b| {
        a.due
            .cmp(&b.due)
            .then(a.item.get(lib).priority.cmp(&b.item.get(lib).priority))
            .then((a.item.coe, a.item.item).cmp(&(b.item.coe, b.item.item)))
    });
    ActionSummary {
        closed: closed
            .into_iter()
            .take(MAX_ITEMS)
            .map(|r| row(r, None))
            .collect(),
        due_soon: due_soon
            .into_iter()
            .take(MAX_ITEMS)
            .map(|r| row(r, None))
            .collect(),
        overdue: shown
            .into_iter()
            .take(MAX_ITEMS)
            .map(|d| row(d.item, Some((as_of - d.due).get_days())))
            .collect(),
        overdue_total,
    }
}

/// COEs published from `first` to `last` weeks before `week` (0 is `week` itself); the weeks
/// and what is shown of their COEs are recorded in `deps`.
fn window<'a>(
    lib: &'a Library,
    week: IsoWeek,
    first: i32,
    last: i32,
    deps: &'a Deps,
) -> impl Iterator<Item = usize> + 'a {
    (first..=last)
        .filter_map(move |k| {
            let w = week.plus(-k);
            deps.add(Key::new(Kind::Week, week_key(w)));
            lib.weeks.get(&w)
        })
        .flatten()
        .copied()
        .inspect(|&i| deps.coe(Kind::Shown, i))
}

/// A week as a dependency key's id.
pub fn week_key(w: IsoWeek) -> u64 {
    w.slug()
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(131).wrapping_add(u64::from(b)))
}

/// Terms seen more often in the last five weeks than in the twelve before (per week).
fn rising(lib: &Library, week: IsoWeek, deps: &Deps) -> Vec<Theme> {
    let mut out = Vec::new();
    for kind in [
        TaxonomyKind::RootCauses,
        TaxonomyKind::Services,
        TaxonomyKind::Tags,
    ] {
        let tax = lib.taxonomy(kind);
        let count = |first, last| {
            let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
            for i in window(lib, week, first, last, deps) {
                for &t in tax.of_coe.get(i).map_or(&[][..], Vec::as_slice) {
                    *counts.entry(t).or_default() += 1;
                }
            }
            counts
        };
        let recent = count(0, RECENT_WEEKS - 1);
        let prior = count(RECENT_WEEKS, RECENT_WEEKS + PRIOR_WEEKS - 1);
        let mut themes: Vec<Theme> = recent
            .iter()
            .filter_map(|(&t, &r)| {
                let p = prior.get(&t).copied().unwrap_or(0);
                // More per week than before, and more than a one-off.
                (r >= 2 && r * PRIOR_WEEKS as usize > p * RECENT_WEEKS as usize).then(|| Theme {
                    taxonomy: kind.path(),
                    name: tax.terms[t].name.clone(),
                    url: crate::urls::term(kind.path(), &tax.terms[t].slug),
                    recent: r,
                    prior: p,
                })
            })
            .collect();
        let lift = |t: &Theme| {
            t.recent * PRIOR_WEEKS as usize * 1000 / ((t.prior + 1) * RECENT_WEEKS as usize)
        };
        themes.sort_by(|a, b| lift(b).cmp(&lift(a)).then(a.name.cmp(&b.name)));
        themes.truncate(5);
        out.extend(themes);
    }
    out
}

fn medians(
    lib: &Library,
    week: IsoWeek,
    get: fn(&Coe) -> Option<jiff::SignedDuration>,
    deps: &Deps,
) -> MedianPair {
    // Durations that are unknown or negative are `None` here: left out.
    let collect = |it: &mut dyn Iterator<Item = usize>| -> Vec<f64> {
        it.filter_map(|i| get(&lib.coes[i]).map(|d| (d.as_secs() / 60) as f64))
            .collect()
    };
    let this = collect(&mut window(lib, week, 0, 0, deps));
    let quarter = collect(&mut window(lib, week, 1, QUARTER_WEEKS, deps));
    let (wc, qc) = (this.len(), quarter.len());
    let median = |v| crate::library::metrics::median(v).map(|m: f64| m as i64);
    let (w, q) = (median(this), median(quarter));
    let fmt = |m: Option<i64>| m.map(|m| human_duration(jiff::SignedDuration::from_mins(m)));
    MedianPair {
        week: fmt(w),
        week_minutes: w,
        week_count: wc,
        quarter: fmt(q),
        quarter_minutes: q,
        quarter_count: qc,
    }
}

/// Who wrote and reviewed the COEs of the `weeks` weeks ending with `week`, most first.
fn champions(lib: &Library, week: IsoWeek, weeks: i32, deps: &Deps) -> Vec<Champion> {
    let people = lib.taxonomy(TaxonomyKind::Authors);
    let mut counts: BTreeMap<String, (String, usize, usize)> = BTreeMap::new();
    for i in window(lib, week, 0, weeks - 1, deps) {
        let c = &lib.coes[i];
        for (list, wrote) in [(&c.authors, true), (&c.reviewers, false)] {
            for name in list {
                let slug = slugify(name);
                let e = counts.entry(slug).or_insert_with(|| (name.clone(), 0, 0));
                if wrote {
                    e.1 += 1;
                } else {
                    e.2 += 1;
                }
            }
        }
    }
    let mut out: Vec<Champion> = counts
        .into_iter()
        .map(|(slug, (name, wrote, reviewed))| Champion {
            name: people
                .by_slug
                .get(&slug)
                .map_or(name, |&t| people.terms[t].name.clone()),
            url: crate::urls::term(TaxonomyKind::Authors.path(), &slug),
            wrote,
            reviewed,
        })
        .collect();
    out.sort_by(|a, b| {
        (b.wrote + b.reviewed)
            .cmp(&(a.wrote + a.reviewed))
            .then(b.wrote.cmp(&a.wrote))
            .then(a.name.cmp(&b.name))
    });
    out.truncate(if weeks == 1 { usize::MAX } else { 10 });
    out
}

/// Two or three questions for the meeting: a recurrence first, then where the week's five
/// whys ended, then a lesson to spread, then how detection could have been faster.
fn prompts(lib: &Library, coes: &[usize], d: &Digest) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(r) = d.recurrences.first() {
        out.push(format!(
            "{} looks like {} ({}), whose action items were all done. Why did that fix not hold, and what would make this one stick?",
            r.id, r.earlier.id, r.earlier.title
        ));
    }
    let mut used: Vec<&str> = Vec::new();
    // The deepest five-whys chain says the most about the system.
    if let Some(c) = coes
        .iter()
        .map(|&i| &lib.coes[i])
        .filter(|c| !c.whys.is_empty())
        .max_by_key(|c| (c.whys.len(), std::cmp::Reverse(c.id.clone())))
        && let Some(last) = c.whys.last()
    {
        let end = if last.answer.is_empty() {
            &last.question
        } else {
            &last.answer
        };
        out.push(format!(
            "The five whys of {} end at: “{}” Where else in our systems could that be true today?",
            c.id,
            clip(end, 240)
        ));
        used.push(&c.id);
    }
    if let Some((c, lesson)) = coes
        .iter()
        .map(|&i| &lib.coes[i])
        .filter(|c| !used.contains(&c.id.as_str()))
        .chain(coes.iter().map(|&i| &lib.coes[i]))
        .find_map(|c| lessons(c).into_iter().next().map(|l| (c, l)))
    {
        out.push(format!(
            "{} learned: “{}” Which of our teams should hear this, and who will tell them?",
            c.id,
            clip(&lesson, 240)
        ));
    }
    if out.len() < 3
        && let Some((c, ttd)) = coes
            .iter()
            .map(|&i| &lib.coes[i])
            .filter_map(|c| c.time_to_detect().map(|t| (c, t)))
            .max_by_key(|(c, t)| (*t, std::cmp::Reverse(c.id.clone())))
    {
        out.push(format!(
            "{} took {} to detect. How could time to detect be cut in half?",
            c.id,
            human_duration(ttd)
        ));
    }
    out.truncate(3);
    out
}

fn clip(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{}…", cut.trim_end())
}

/// Weeks of the archive, newest first, with how many COEs each has.
pub fn archive(lib: &Library) -> Vec<(IsoWeek, usize)> {
    lib.weeks.iter().rev().map(|(w, c)| (*w, c.len())).collect()
}
