//! The parse cache's records read back from arbitrary bytes: each is a parse or "unusable",
//! never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = coe::load::codec::decode_parse(data);
});
