//! The front matter's event fast path and serde-saphyr agree on every document the fast path
//! reads (the same value, line and column), and neither panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (fast, reference) = coe::content::yaml::both_readings(text);
    if let Some(fast) = fast {
        assert_eq!(Some(fast), reference, "the fast path disagrees on {text:?}");
    }
    let _ = coe::content::yaml::parse(text);
});
