//! Action items across the library: when an item is overdue, and what it was on a past day
//! (for digests and metrics of weeks gone by).

use super::Library;
use crate::content::front_matter::ActionItem;
use jiff::civil::Date;

/// One action item: the COE it belongs to and its position there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemRef {
    pub coe: usize,
    pub item: usize,
}

impl ItemRef {
    pub fn get(self, lib: &Library) -> &ActionItem {
        &lib.coes[self.coe].action_items[self.item]
    }
}

/// Every action item of the library, in library order (newest COE first).
pub fn all(lib: &Library) -> Vec<ItemRef> {
    lib.coes
        .iter()
        .enumerate()
        .flat_map(|(coe, c)| (0..c.action_items.len()).map(move |item| ItemRef { coe, item }))
        .collect()
}

/// Days late on `today`: an `open` or `in-progress` item whose due date is before today.
pub fn days_overdue(item: &ActionItem, today: Date) -> Option<i32> {
    match item.due {
        Some(due) if item.status.is_pending() && due < today => Some((today - due).get_days()),
        _ => None,
    }
}

/// Whether the item was still to do at the end of `day`: pending now, or closed after `day`.
/// An item marked done without a `closed` date counts as done all along.
pub fn pending_on(item: &ActionItem, day: Date) -> bool {
    item.status.is_pending() || item.closed.is_some_and(|c| c > day)
}

/// Days late at the end of `day` (for a past week or month).
pub fn days_overdue_on(item: &ActionItem, day: Date) -> Option<i32> {
    match item.due {
        Some(due) if due < day && pending_on(item, day) => Some((day - due).get_days()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::front_matter::ItemStatus;

    fn item(status: ItemStatus, due: Option<&str>, closed: Option<&str>) -> ActionItem {
        ActionItem {
            title: "Alarm on invocations".into(),
            owner: Some("ana".into()),
            due: due.map(|d| d.parse().expect("due")),
            status,
            priority: None,
            ticket: None,
            closed: closed.map(|d| d.parse().expect("closed")),
            line: 1,
            extra: Default::default(),
        }
    }

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn open_and_in_progress_items_past_due_are_overdue() {
        let today = d("2026-04-10");
        let open = item(ItemStatus::Open, Some("2026-04-01"), None);
        assert_eq!(days_overdue(&open, today), Some(9));
        let busy = item(ItemStatus::InProgress, Some("2026-04-09"), None);
        assert_eq!(days_overdue(&busy, today), Some(1));
        // Due today is not late yet.
        let due_today = item(ItemStatus::Open, Some("2026-04-10"), None);
        assert_eq!(days_overdue(&due_today, today), None);
        for status in [ItemStatus::Done, ItemStatus::WontDo] {
            assert_eq!(
                days_overdue(&item(status, Some("2026-01-01"), None), today),
                None
            );
        }
        assert_eq!(
            days_overdue(&item(ItemStatus::Open, None, None), today),
            None
        );
    }

    #[test]
    fn items_closed_late_were_overdue_before_they_closed() {
        let late = item(ItemStatus::Done, Some("2026-03-01"), Some("2026-03-20"));
        assert_eq!(days_overdue_on(&late, d("2026-03-10")), Some(9));
        assert_eq!(days_overdue_on(&late, d("2026-03-20")), None);
        assert!(pending_on(&late, d("2026-03-19")));
        let done_no_date = item(ItemStatus::Done, Some("2026-03-01"), None);
        assert_eq!(days_overdue_on(&done_no_date, d("2026-03-10")), None);
    }
}
