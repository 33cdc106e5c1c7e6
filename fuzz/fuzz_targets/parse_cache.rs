//! The parse cache read back from arbitrary bytes: its index's table (the first byte even) or
//! one parse record (odd) is a value or "unusable", never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    if pick % 2 == 0 {
        let _ = coe::load::decode_index(rest);
    } else {
        let _ = coe::load::codec::decode_parse(rest);
    }
});
