//! What the last build left in `.coe/` for the next one (`site::state`): the state's text, the
//! similar lists' traces and the pages' dependencies, read from arbitrary bytes. Each is a
//! value or "unusable" (the next build then renders everything), never a panic, and a value
//! reads back the same once written. The first byte picks the reader; the binary ones get
//! their checksum appended, or the fuzzer would never get past it.
#![no_main]
use coe::site::state;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    match pick % 5 {
        0 => {
            let Ok(text) = std::str::from_utf8(rest) else {
                return;
            };
            if let Some(s) = state::parse(text) {
                assert_eq!(state::parse(&state::text(&s)), Some(s));
            }
        }
        1 | 2 => {
            let bytes = if pick % 5 == 1 {
                state::seal(rest.to_vec())
            } else {
                rest.to_vec()
            };
            if let Some(t) = state::decode_traces(&bytes) {
                assert_eq!(state::decode_traces(&state::encode_traces(&t)), Some(t));
            }
        }
        _ => {
            let bytes = if pick % 5 == 3 {
                state::seal(rest.to_vec())
            } else {
                rest.to_vec()
            };
            if let Some((shape, deps)) = state::decode_deps(&bytes) {
                let again = state::decode_deps(&state::encode_deps(&shape, &deps));
                assert_eq!(again, Some((shape, deps)));
            }
        }
    }
});
