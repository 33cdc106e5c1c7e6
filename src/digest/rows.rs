//! The digest's rows: one action item as the digest, the tracker pages and `coe actions` list
//! it (JSON and templates alike).

use crate::content::front_matter::ActionItem;
use crate::library::Library;
use crate::library::actions::ItemRef;
use crate::slug::slugify;
use serde::Serialize;

#[derive(Serialize, Debug, Clone)]
pub struct ActionRow {
    pub title: String,
    pub owner: Option<String>,
    pub owner_slug: String,
    pub team: Option<String>,
    pub team_slug: String,
    pub coe: String,
    pub coe_title: String,
    pub coe_url: String,
    pub priority: Option<&'static str>,
    pub due: Option<String>,
    pub status: &'static str,
    pub closed: Option<String>,
    pub days_overdue: Option<i32>,
    pub ticket: Option<String>,
    pub ticket_url: Option<String>,
}

/// One action item in a list (the tracker, `coe actions`, a digest), with its COE and the
/// days it is late (on today, or on the day a digest is counted).
pub fn action_row(lib: &Library, r: ItemRef, days_overdue: Option<i32>) -> ActionRow {
    let c = &lib.coes[r.coe];
    let a = r.get(lib);
    let team = c.teams.first().cloned();
    ActionRow {
        title: a.title.clone(),
        owner_slug: a.owner.as_deref().map(slugify).unwrap_or_default(),
        owner: a.owner.clone(),
        team_slug: team.as_deref().map(slugify).unwrap_or_default(),
        team,
        coe: c.id.clone(),
        coe_title: c.title.clone(),
        coe_url: crate::urls::coe(&c.slug),
        priority: a.priority.map(|p| p.as_str()),
        due: a.due.map(|d| d.to_string()),
        status: a.status.as_str(),
        closed: a.closed.map(|d| d.to_string()),
        days_overdue,
        ticket: a.ticket.clone(),
        ticket_url: ticket_url(a),
    }
}

/// The ticket as a link when it is an http(s) URL.
pub fn ticket_url(item: &ActionItem) -> Option<String> {
    item.ticket
        .as_ref()
        .filter(|t| t.starts_with("https://") || t.starts_with("http://"))
        .cloned()
}
