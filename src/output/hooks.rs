//! Test hooks for crash safety, read from the environment so that tests can drive the real
//! binary: `COE_TEST_ABORT_AT=<step>` aborts the process at a named step of a build's commit
//! (as a kill or a power cut would), and `COE_TEST_FAIL_WRITES_AFTER=<bytes>` makes writes to
//! disk fail once that many bytes were written (as a full disk would). Neither is meant for
//! users; both are no-ops unless set.

use std::io;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

fn abort_at() -> Option<&'static str> {
    static AT: OnceLock<Option<String>> = OnceLock::new();
    AT.get_or_init(|| std::env::var("COE_TEST_ABORT_AT").ok())
        .as_deref()
}

/// Aborts the process here when `COE_TEST_ABORT_AT` names this step.
pub fn abort_point(step: &str) {
    if abort_at() == Some(step) {
        std::process::abort();
    }
}

/// With `COE_TEST_ABORT_AT=write:<n>`: whether this (the n-th file written to disk) is where
/// the process dies, half-way through the file's bytes.
pub(crate) fn dies_while_writing() -> bool {
    static WRITES: AtomicUsize = AtomicUsize::new(0);
    let Some(n) = abort_at()
        .and_then(|s| s.strip_prefix("write:"))
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return false;
    };
    WRITES.fetch_add(1, Ordering::Relaxed) + 1 == n
}

/// Counts `len` more bytes against `COE_TEST_FAIL_WRITES_AFTER`: an error like a full disk's
/// once the budget is spent.
pub(crate) fn charge(len: usize) -> io::Result<()> {
    static BUDGET: OnceLock<Option<AtomicU64>> = OnceLock::new();
    let budget = BUDGET.get_or_init(|| {
        std::env::var("COE_TEST_FAIL_WRITES_AFTER")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(AtomicU64::new)
    });
    let Some(budget) = budget else {
        return Ok(());
    };
    let len = len as u64;
    let spent = budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
        left.checked_sub(len)
    });
    match spent {
        Ok(_) => Ok(()),
        Err(_) => {
            budget.store(0, Ordering::Relaxed);
            Err(disk_full())
        }
    }
}

fn disk_full() -> io::Error {
    #[cfg(unix)]
    {
        io::Error::from_raw_os_error(28)
    }
    #[cfg(not(unix))]
    {
        io::Error::new(io::ErrorKind::StorageFull, "no space left on device")
    }
}
