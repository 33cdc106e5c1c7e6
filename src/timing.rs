//! The one timing facility. `--verbose` prints each stage's time (kept in a build's report);
//! `COE_TIMINGS=1` also prints finer timings from inside the stages and the memory in use
//! after each stage. Stages ask [`enabled`] instead of reading the environment themselves.

use std::sync::OnceLock;

/// Whether `COE_TIMINGS` is set (read once).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("COE_TIMINGS").is_some())
}

/// Prints a fine timing to stderr when [`enabled`].
#[macro_export]
macro_rules! timing {
    ($($arg:tt)*) => {
        if $crate::timing::enabled() {
            $crate::errln!($($arg)*);
        }
    };
}

/// With `COE_TIMINGS`, prints the memory in use after `stage` and the peak so far (Linux:
/// from `/proc/self/status`): where a build's peak comes from.
pub fn memory_after(stage: &str) {
    if !enabled() {
        return;
    }
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return;
    };
    let mb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    crate::errln!(
        "memory after {stage}: {} MB (peak {} MB)",
        mb("VmRSS:"),
        mb("VmHWM:")
    );
}
