//! The action-item tracker: every action item, and one tracker per owner and per team. Each
//! shows its pending items (overdue first) and, on pages of their own, its closed history,
//! both paginated so that no page grows with the library's history.

use super::lists::paginate;
use crate::incremental::deps::{Deps, Key, Kind};
use crate::library::Library;
use crate::render::jobs::{ActionScope, ItemsPart};
use crate::render::learning::{self, ActionIndex};
use serde::Serialize;
use tera::Context;

/// The links between a scope's two lists.
#[derive(Serialize)]
struct Part {
    label: &'static str,
    url: String,
    count: usize,
    current: bool,
}

pub(super) fn view(
    lib: &Library,
    idx: &ActionIndex,
    (scope, part, page): (ActionScope, ItemsPart, usize),
    root: &str,
    ctx: &mut Context,
    deps: &Deps,
) -> &'static str {
    let title = match scope {
        ActionScope::All => {
            // Every item, and the owners' and teams' indexes with their counts.
            deps.add(Key::all(Kind::AllItems));
            "Action items".to_owned()
        }
        ActionScope::Owner(g) => {
            deps.add(Key::named(Kind::Owner, &idx.owners[g].slug));
            format!("Action items owned by {}", idx.owners[g].name)
        }
        ActionScope::Team(g) => {
            deps.add(Key::named(Kind::Team, &idx.teams[g].slug));
            format!("Action items of team {}", idx.teams[g].name)
        }
    };
    let (positions, pending) = idx.scope(scope.group(idx));
    // The counts are of the whole scope: every page shows what each of its COEs says.
    let refs: Vec<_> = positions.iter().map(|&n| idx.items[n]).collect();
    for r in &refs {
        deps.coe(Kind::Shown, r.coe);
    }
    let listed = match part {
        ItemsPart::Pending => &positions[..pending],
        ItemsPart::Closed => &positions[pending..],
    };
    let (slice, pager) = paginate(
        listed,
        page,
        learning::ITEMS_PER_PAGE,
        &scope.part_url(idx, part),
    );
    ctx.insert("page_counts", &page_counts(lib, idx, listed));
    let rows: Vec<crate::digest::ActionRow> = slice
        .iter()
        .map(|&n| {
            let r = idx.items[n];
            let late = crate::library::actions::days_overdue(r.get(lib), lib.today);
            crate::digest::action_row(lib, r, late)
        })
        .collect();
    ctx.insert("title", &title);
    let all = matches!(scope, ActionScope::All);
    ctx.insert("all", &all);
    // Links to owner and team pages, relative to this page.
    ctx.insert("base", &format!("{root}action-items/"));
    ctx.insert("counts", &learning::action_counts(lib, &refs));
    ctx.insert("items", &rows);
    ctx.insert("paginator", &pager);
    ctx.insert(
        "part",
        match part {
            ItemsPart::Pending => "pending",
            ItemsPart::Closed => "closed",
        },
    );
    let parts = [
        ("Open and in progress", ItemsPart::Pending, pending),
        ("Closed", ItemsPart::Closed, positions.len() - pending),
    ]
    .map(|(label, p, count)| Part {
        label,
        url: scope.part_url(idx, p),
        count,
        current: p == part,
    });
    ctx.insert("parts", &parts);
    // The per-owner and per-team indexes are on the whole tracker's pages only.
    if all {
        ctx.insert(
            "owners",
            &learning::group_links(lib, idx, &idx.owners, "owners"),
        );
        ctx.insert(
            "teams",
            &learning::group_links(lib, idx, &idx.teams, "teams"),
        );
    }
    "actions.html"
}

/// What each page of a list holds, for the filters' script (which then fetches only the
/// pages that have matching rows, and knows how many match in all): per page, space-separated,
/// `open,in-progress,done,wont-do,overdue` counts. Empty for a list of one page.
fn page_counts(lib: &Library, idx: &ActionIndex, listed: &[usize]) -> String {
    use crate::content::front_matter::ItemStatus;
    if listed.len() <= learning::ITEMS_PER_PAGE {
        return String::new();
    }
    let mut out = String::with_capacity(listed.len() / learning::ITEMS_PER_PAGE * 24);
    for page in listed.chunks(learning::ITEMS_PER_PAGE) {
        let mut c = [0usize; 5];
        for &n in page {
            let a = idx.items[n].get(lib);
            c[match a.status {
                ItemStatus::Open => 0,
                ItemStatus::InProgress => 1,
                ItemStatus::Done => 2,
                ItemStatus::WontDo => 3,
            }] += 1;
            if crate::library::actions::days_overdue(a, lib.today).is_some() {
                c[4] += 1;
            }
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&format!("{},{},{},{},{}", c[0], c[1], c[2], c[3], c[4]));
    }
    out
}
