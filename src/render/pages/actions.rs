//! The action-item tracker: every action item, and one page per owner and per team.

use crate::incremental::deps::{Deps, Key, Kind};
use crate::library::Library;
use crate::render::jobs::ActionScope;
use crate::render::learning::{self, ActionIndex};
use tera::Context;

pub(super) fn view(
    lib: &Library,
    idx: &ActionIndex,
    scope: ActionScope,
    root: &str,
    ctx: &mut Context,
    deps: &Deps,
) -> &'static str {
    let (title, positions): (String, Vec<usize>) = match scope {
        ActionScope::All => {
            // Every item, and the owners' and teams' indexes with their counts.
            deps.add(Key::all(Kind::AllItems));
            ("Action items".to_owned(), (0..idx.items.len()).collect())
        }
        ActionScope::Owner(g) => {
            deps.add(Key::named(Kind::Owner, &idx.owners[g].slug));
            (
                format!("Action items owned by {}", idx.owners[g].name),
                idx.owners[g].items.clone(),
            )
        }
        ActionScope::Team(g) => {
            deps.add(Key::named(Kind::Team, &idx.teams[g].slug));
            (
                format!("Action items of team {}", idx.teams[g].name),
                idx.teams[g].items.clone(),
            )
        }
    };
    let refs: Vec<_> = positions.iter().map(|&n| idx.items[n]).collect();
    let rows: Vec<crate::digest::ActionRow> = refs
        .iter()
        .map(|&r| {
            deps.coe(Kind::Shown, r.coe);
            let late = crate::library::actions::days_overdue(r.get(lib), lib.today);
            crate::digest::action_row(lib, r, late)
        })
        .collect();
    ctx.insert("title", &title);
    let all = matches!(scope, ActionScope::All);
    ctx.insert("all", &all);
    // Links to owner and team pages, relative to this page.
    let base = if all {
        String::new()
    } else {
        format!("{root}action-items/")
    };
    ctx.insert("base", &base);
    ctx.insert("counts", &learning::action_counts(lib, &refs));
    ctx.insert("items", &rows);
    // The per-owner and per-team indexes are on the main page only.
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
