//! `coe.toml`: any text gives a configuration or located errors, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let (_, diags) = coe::config::parse(text, "coe.toml");
        for d in diags.iter().filter(|d| d.is_error()) {
            assert!(
                d.line > 0 || text.trim().is_empty() || d.message.contains("TOML"),
                "{d}"
            );
        }
    }
});
