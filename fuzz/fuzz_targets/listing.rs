//! The remembered folder listing (`.coe/content-listing`, `search::freshness`) read from
//! arbitrary bytes: usable or not, never a panic, and a usable one reads back the same once
//! written (the check is inside `reread_listing`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = coe::search::freshness::reread_listing(data);
});
