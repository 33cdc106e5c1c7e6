//! The digest as Markdown, for chat and e-mail clients that render it.

use super::ActionRow;
use super::{Digest, EarlierCoe};
use std::fmt::Write as _;

/// Markdown text that a COE author wrote is escaped so it cannot open links or tables.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!'
        ) {
            out.push('\\');
        }
        if c == '\n' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// `[COE-1](https://site/coe/coe-1/)` when the site's URL is known, else the id alone.
fn link(text: &str, url: &str, base_url: &str) -> String {
    if base_url.is_empty() {
        format!("**{}**", esc(text))
    } else {
        format!(
            "[{}]({}/{})",
            esc(text),
            base_url.trim_end_matches('/'),
            url
        )
    }
}

fn item_line(i: &ActionRow, base: &str) -> String {
    let mut s = format!("- {} — {}", esc(&i.title), link(&i.coe, &i.coe_url, base));
    if let Some(o) = &i.owner {
        let _ = write!(s, ", owner {}", esc(o));
    } else {
        s.push_str(", no owner");
    }
    if let Some(p) = i.priority {
        let _ = write!(s, ", {p} priority");
    }
    if let Some(d) = i.days_overdue {
        let _ = write!(
            s,
            ", due {} ({d} day{} late)",
            i.due.as_deref().unwrap_or("?"),
            if d == 1 { "" } else { "s" }
        );
    } else if let Some(c) = &i.closed {
        let _ = write!(s, ", closed {c}");
    } else if let Some(d) = &i.due {
        let _ = write!(s, ", due {d}");
    }
    s
}

fn earlier_line(e: &EarlierCoe, base: &str) -> String {
    let mut s = format!(
        "  - {} ({}, {}) {}",
        link(&e.id, &e.url, base),
        e.date,
        e.severity,
        esc(&e.title)
    );
    if !e.reasons.is_empty() {
        let _ = write!(s, " — {}", esc(&e.reasons.join("; ")));
    }
    s
}

pub fn render(d: &Digest, site_title: &str, base_url: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# {} — weekly digest {} ({} to {})\n",
        esc(site_title),
        d.week,
        d.from,
        d.to
    );
    let n = d.new_coes.len();
    let _ = writeln!(
        s,
        "{n} COE{} published this week.\n",
        if n == 1 { "" } else { "s" }
    );

    if !d.recurrences.is_empty() {
        let _ = writeln!(s, "## Recurrences: the fix did not hold\n");
        for r in &d.recurrences {
            let _ = writeln!(
                s,
                "- {} {} resembles {} {} (score {:.2}), whose {} action item{} were all done.",
                link(&r.id, &r.url, base_url),
                esc(&r.title),
                link(&r.earlier.id, &r.earlier.url, base_url),
                esc(&r.earlier.title),
                r.earlier.score,
                r.earlier.action_items,
                if r.earlier.action_items == 1 { "" } else { "s" }
            );
        }
        s.push('\n');
    }

    if n > 0 {
        let _ = writeln!(s, "## New COEs\n");
    }
    for c in &d.new_coes {
        let _ = writeln!(
            s,
            "### {} {} ({})\n",
            link(&c.id, &c.url, base_url),
            esc(&c.title),
            c.severity
        );
        let mut facts = vec![format!("incident {}", c.date)];
        if !c.services.is_empty() {
            facts.push(format!("services: {}", esc(&c.services.join(", "))));
        }
        if let Some(t) = &c.time_to_detect {
            facts.push(format!("detected in {t}"));
        }
        if let Some(t) = &c.time_to_mitigate {
            facts.push(format!("mitigated in {t}"));
        }
        let _ = writeln!(s, "{}\n", facts.join(" · "));
        if !c.summary.is_empty() {
            let _ = writeln!(s, "{}\n", esc(&c.summary));
        }
        if let Some(i) = &c.customer_impact {
            let _ = writeln!(s, "**Customer impact:** {}\n", esc(i));
        }
        if !c.lessons.is_empty() {
            let _ = writeln!(s, "**Lessons:**\n");
            for l in &c.lessons {
                let _ = writeln!(s, "- {}", esc(l));
            }
            s.push('\n');
        }
        if !c.similar_earlier.is_empty() {
            let _ = writeln!(s, "**This happened before:**\n");
            for e in &c.similar_earlier {
                let _ = writeln!(s, "{}", earlier_line(e, base_url));
            }
            s.push('\n');
        }
    }

    let a = &d.action_items;
    let _ = writeln!(s, "## Action items\n");
    for (title, items) in [
        ("Closed this week", &a.closed),
        ("Due next week", &a.due_soon),
    ] {
        let _ = writeln!(
            s,
            "**{title}:** {}\n",
            if items.is_empty() { "none" } else { "" }
        );
        for i in items {
            let _ = writeln!(s, "{}", item_line(i, base_url));
        }
        if !items.is_empty() {
            s.push('\n');
        }
    }
    let _ = writeln!(
        s,
        "**Overdue:** {}{}\n",
        a.overdue_total,
        if a.overdue_total > a.overdue.len() {
            format!(" (the {} most late)", a.overdue.len())
        } else {
            String::new()
        }
    );
    for i in &a.overdue {
        let _ = writeln!(s, "{}", item_line(i, base_url));
    }
    if !a.overdue.is_empty() {
        s.push('\n');
    }

    let t = &d.themes;
    let _ = writeln!(s, "## Themes\n");
    if t.rising.is_empty() {
        let _ = writeln!(s, "Nothing is rising this week.\n");
    } else {
        let _ = writeln!(
            s,
            "Seen more in the last five weeks than in the twelve before:\n"
        );
        for th in &t.rising {
            let _ = writeln!(
                s,
                "- {} ({}): {} COEs, {} in the twelve weeks before",
                esc(&th.name),
                th.taxonomy,
                th.recent,
                th.prior
            );
        }
        s.push('\n');
    }
    for (label, m) in [
        ("time to detect", &t.time_to_detect),
        ("time to mitigate", &t.time_to_mitigate),
    ] {
        let _ = writeln!(
            s,
            "- Median {label}: {} this week ({} COE{}), {} in the previous quarter ({} COE{})",
            m.week.as_deref().unwrap_or("unknown"),
            m.week_count,
            if m.week_count == 1 { "" } else { "s" },
            m.quarter.as_deref().unwrap_or("unknown"),
            m.quarter_count,
            if m.quarter_count == 1 { "" } else { "s" },
        );
    }
    s.push('\n');

    let _ = writeln!(s, "## Champions\n");
    for (label, list) in [
        ("This week", &d.champions.week),
        ("This quarter", &d.champions.quarter),
    ] {
        let names: Vec<String> = list
            .iter()
            .map(|c| {
                format!(
                    "{} ({} written, {} reviewed)",
                    esc(&c.name),
                    c.wrote,
                    c.reviewed
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "- {label}: {}",
            if names.is_empty() {
                "nobody yet".to_owned()
            } else {
                names.join(", ")
            }
        );
    }
    s.push('\n');

    if !d.prompts.is_empty() {
        let _ = writeln!(s, "## For discussion\n");
        for (k, p) in d.prompts.iter().enumerate() {
            let _ = writeln!(s, "{}. {}", k + 1, esc(p));
        }
    }
    s
}
