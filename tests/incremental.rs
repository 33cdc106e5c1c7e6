//! Property test of the incremental engine: after any sequence of edits to a library (titles,
//! summaries, tags, severities, owners, related COEs, dates, body text) and of new, renamed
//! (to another folder too) and deleted files, a `coe build` over its previous output writes
//! exactly what a clean build of the same content writes.

mod common;
use common::edits::*;
use common::*;
use proptest::prelude::*;
use std::path::Path;

fn build_and_compare(root: &Path) {
    let args = ["build", "--root", ".", "--today", "2026-11-26"];
    let run = coe(&args, root);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_same_as_clean_build(root, &args);
}

proptest! {
    // Each case is a dozen builds of the sample library: few cases, bounded for CI.
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn an_incremental_build_equals_a_clean_build_after_any_edits(
        steps in proptest::collection::vec(
            (
                proptest::collection::vec((0usize..64, edit_strategy()), 1..4),
                proptest::collection::vec(file_op_strategy(), 0..3),
            ),
            1..4,
        )
    ) {
        let site = sample_site();
        let root = site.path();
        let content = root.join("content");
        let (mut sources, ids) = common::edits::sources_and_ids(&content);
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for s in &sources {
            let f = std::fs::File::options().write(true).open(content.join(s)).expect("open");
            f.set_modified(old).expect("mtime");
        }
        build_and_compare(root);
        for (n, (step, ops)) in steps.iter().enumerate() {
            for (k, op) in ops.iter().enumerate() {
                apply_file_op(&content, &mut sources, op, n * 8 + k);
            }
            for (k, (file, edit)) in step.iter().enumerate() {
                let path = content.join(&sources[file % sources.len()]);
                let text = std::fs::read_to_string(&path).expect("read");
                std::fs::write(&path, apply(&text, edit, &ids)).expect("write");
                // Each save a minute apart, long ago enough for the parse cache to trust it.
                let at = old + std::time::Duration::from_secs(60 * (1 + n as u64 * 8 + k as u64));
                let f = std::fs::File::options().write(true).open(&path).expect("open");
                f.set_modified(at).expect("mtime");
            }
            build_and_compare(root);
        }
    }
}
