//! How fast the parse cache's codec is on a large library, and how big its blobs are:
//!
//! ```text
//! COE_BENCH_CONTENT=/path/to/content \
//!     cargo test --release --lib codec_bench -- --ignored --nocapture
//! ```
//!
//! Every file is parsed once (not timed), then encoding all parses and decoding all of them are
//! timed, each on one thread and with rayon (as a build does): median of `COE_BENCH_RUNS` runs
//! (5), wall and CPU time, `COE_BENCH_ROUNDS` times (1; on a busy host, compare several).
//! Without `COE_BENCH_CONTENT`, the 10,000-COE corpus that `bench/bench.py` generates. Another
//! codec is compared by calling `bench` with its functions too, in alternating rounds
//! (docs/performance.md: bitcode was).

use super::codec::{self, Parse};
use rayon::prelude::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Nanoseconds all threads of this process have been on a CPU (Linux), to compare on a busy
/// machine, where wall times vary with what else runs; 0 elsewhere.
fn cpu_ns() -> u64 {
    let tasks = std::fs::read_dir("/proc/self/task").into_iter().flatten();
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

/// Median wall time and median CPU time of `runs` runs of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let (mut wall, mut cpu): (Vec<_>, Vec<_>) = (0..runs)
        .map(|_| {
            let (start, cpu) = (Instant::now(), cpu_ns());
            f();
            let wall = start.elapsed();
            (wall, Duration::from_nanos(cpu_ns().saturating_sub(cpu)))
        })
        .unzip();
    wall.sort();
    cpu.sort();
    (wall[runs / 2], cpu[runs / 2])
}

fn ms((wall, cpu): (Duration, Duration)) -> String {
    format!(
        "{:.1} ms ({:.1} ms CPU)",
        wall.as_secs_f64() * 1000.0,
        cpu.as_secs_f64() * 1000.0
    )
}

#[test]
#[ignore = "a benchmark: run it with --release --ignored --nocapture"]
fn codec_bench() {
    let content = std::env::var_os("COE_BENCH_CONTENT").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench/corpus-10000/content"),
        PathBuf::from,
    );
    let runs: usize = std::env::var("COE_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5)
        .max(1);
    let files = super::find_files(&content, &mut Vec::new());
    let parses: Vec<Parse> = files
        .par_iter()
        .filter_map(|(path, rel)| {
            crate::content::load_file(path, rel, &format!("content/{rel}")).ok()
        })
        .collect();
    assert!(!parses.is_empty(), "no COE under {}", content.display());

    let rounds: usize = std::env::var("COE_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    for round in 0..rounds {
        bench(
            &format!("round {round}"),
            codec::encode_parse,
            codec::decode_parse,
            &parses,
            runs,
        );
    }
}

fn bench(
    name: &str,
    encode: fn(&Parse) -> Vec<u8>,
    decode: fn(&[u8]) -> Option<Parse>,
    parses: &[Parse],
    runs: usize,
) {
    let encoded: Vec<Vec<u8>> = parses.iter().map(encode).collect();
    for (parse, bytes) in parses.iter().zip(&encoded) {
        let decoded = decode(bytes).expect("decodes");
        assert_eq!(format!("{decoded:?}"), format!("{parse:?}"));
    }
    let bytes: usize = encoded.iter().map(Vec::len).sum();

    let encode_1 = median(runs, || {
        let out: Vec<Vec<u8>> = parses.iter().map(encode).collect();
        std::hint::black_box(out);
    });
    let encode_n = median(runs, || {
        let out: Vec<Vec<u8>> = parses.par_iter().map(encode).collect();
        std::hint::black_box(out);
    });
    let decode_1 = median(runs, || {
        let out: Vec<Option<Parse>> = encoded.iter().map(|b| decode(b)).collect();
        std::hint::black_box(out);
    });
    let decode_n = median(runs, || {
        let out: Vec<Option<Parse>> = encoded.par_iter().map(|b| decode(b)).collect();
        std::hint::black_box(out);
    });
    println!(
        "codec_bench {name}: {} parses, {bytes} blob bytes ({} a parse); median of {runs} runs\n  \
         1 thread: encode {}, decode {}\n  {} threads: encode {}, decode {}",
        parses.len(),
        bytes / parses.len(),
        ms(encode_1),
        ms(decode_1),
        rayon::current_num_threads(),
        ms(encode_n),
        ms(decode_n),
    );
}
