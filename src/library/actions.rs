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

/// Action items ordered by due date and by closing date, for questions about a given day
/// (what was overdue, closed or due then) without scanning every item.
#[derive(Debug, Default)]
pub struct ItemDates {
    /// Items with a due date, earliest due first.
    pub by_due: Vec<Dated>,
    /// Done or won't-do items with a `closed` date, earliest first.
    pub by_closed: Vec<(Date, ItemRef)>,
}

#[derive(Debug, Clone, Copy)]
pub struct Dated {
    pub due: Date,
    pub closed: Option<Date>,
    /// Open or in progress now.
    pub pending: bool,
    pub item: ItemRef,
}

impl Dated {
    pub fn of(item: &ActionItem, r: ItemRef) -> Option<Dated> {
        Some(Dated {
            due: item.due?,
            closed: item.closed,
            pending: item.status.is_pending(),
            item: r,
        })
    }

    /// Whether it was still to do at the end of `day`: pending now, or closed after `day`.
    /// An item marked done without a `closed` date counts as done all along.
    pub fn pending_on(&self, day: Date) -> bool {
        self.pending || self.closed.is_some_and(|c| c > day)
    }

    /// Days late at the end of `day` (for a past week or month).
    pub fn days_overdue_on(&self, day: Date) -> Option<i32> {
        (self.due < day && self.pending_on(day)).then(|| (day - self.due).get_days())
    }
}

impl ItemDates {
    pub fn new(coes: &[crate::content::Coe]) -> ItemDates {
        let mut by_due = Vec::new();
        let mut by_closed = Vec::new();
        for (coe, c) in coes.iter().enumerate() {
            for (item, a) in c.action_items.iter().enumerate() {
                let r = ItemRef { coe, item };
                by_due.extend(Dated::of(a, r));
                if let Some(closed) = a.closed.filter(|_| !a.status.is_pending()) {
                    by_closed.push((closed, r));
                }
            }
        }
        let key = |r: &ItemRef| (r.coe, r.item);
        by_due.sort_by(|a, b| a.due.cmp(&b.due).then(key(&a.item).cmp(&key(&b.item))));
        by_closed.sort_by(|a, b| a.0.cmp(&b.0).then(key(&a.1).cmp(&key(&b.1))));
        ItemDates { by_due, by_closed }
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
        let r = ItemRef { coe: 0, item: 0 };
        let dated = |a: &ActionItem| Dated::of(a, r).expect("due");
        let late = dated(&item(
            ItemStatus::Done,
            Some("2026-03-01"),
            Some("2026-03-20"),
        ));
        assert_eq!(late.days_overdue_on(d("2026-03-10")), Some(9));
        assert_eq!(late.days_overdue_on(d("2026-03-20")), None);
        assert!(late.pending_on(d("2026-03-19")));
        let done_no_date = dated(&item(ItemStatus::Done, Some("2026-03-01"), None));
        assert_eq!(done_no_date.days_overdue_on(d("2026-03-10")), None);
    }
}
