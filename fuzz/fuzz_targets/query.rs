//! The search query language: any text parses into words, phrases, exclusions and filters
//! without panicking.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = std::str::from_utf8(data) {
        let parsed = coe::search::query::parse(q);
        for w in parsed.required.iter().chain(&parsed.excluded) {
            assert!(!w.is_empty() || q.contains("\"\""), "empty word from {q:?}");
        }
    }
});
