//! Pictures and files beside a COE (or in a COE folder holding `index.md`) are published next
//! to its page, with references that work from any sub-path; a missing file is a warning at
//! its reference; nothing outside `content/` and nothing unreferenced is published.

mod common;
use common::*;

#[test]
fn referenced_files_are_published_next_to_their_coe_and_the_rest_are_not() {
    let (_tmp, out, run) = build(&fixture("attachments"), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let src = fixture("attachments").join("content/2024");
    let same = |published: &str, original: &str| {
        let a = std::fs::read(out.join(published)).unwrap_or_else(|e| panic!("{published}: {e}"));
        let b = std::fs::read(src.join(original)).expect("original");
        assert_eq!(a, b, "{published} is a copy of {original}");
    };
    same("coe/coe-2024-050/latency.png", "latency.png");
    same("coe/coe-2024-050/runbook v2.pdf", "runbook v2.pdf");
    same("coe/coe-2024-050/data/latency.csv", "data/latency.csv");
    // A COE folder is named by its folder; its pictures keep their place in it, and a
    // picture from outside the folder gets a place of its own.
    same(
        "coe/checkout-latency/img/hit-ratio.png",
        "checkout-latency/img/hit-ratio.png",
    );
    same("coe/checkout-latency/_/2024/latency.png", "latency.png");

    let page = read(&out, "coe/coe-2024-050/index.html");
    assert!(
        page.contains(
            r#"<img src="../../coe/coe-2024-050/latency.png" alt="p99 latency during the incident""#
        ),
        "{page}"
    );
    assert!(page.contains(r#"href="../../coe/coe-2024-050/runbook%20v2.pdf#page=3""#));
    assert!(
        page.contains(r#"href="/favicon.ico""#),
        "site-root paths are left alone"
    );
    assert!(
        !page.contains("secret.png"),
        "a reference outside content/ is dropped"
    );

    let published = files(&out);
    assert!(
        !published.iter().any(|f| f.contains("unused.png")),
        "unreferenced"
    );
    assert!(!published.iter().any(|f| f.contains("secret")));
    // The only broken reference is the picture that does not exist, and it is a warning at
    // its line and column.
    let broken: Vec<String> = broken_links(&out)
        .into_iter()
        .filter(|b| !b.ends_with("-> ") && !b.contains("favicon.ico"))
        .collect();
    assert_eq!(
        broken,
        ["coe/coe-2024-050/index.html -> ../../coe/coe-2024-050/missing-graph.png"],
        "{broken:?}"
    );
    assert!(
        run.stderr.contains(
            "content/2024/COE-2024-050.md:21:1: file not found: content/2024/missing-graph.png"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "content/2024/COE-2024-050.md:23: \"../../../secret.png\" points outside content/"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_changed_picture_is_published_again_and_a_symlink_out_of_content_is_refused() {
    let site = copy_fixture("attachments");
    let root = site.path();
    let args = ["build", "--root", ".", "--today", "2026-11-26"];
    let first = coe(&args, root);
    assert_eq!(first.status, 0, "{}", first.stderr);
    std::fs::write(root.join("content/2024/latency.png"), "PNG-new-bytes").expect("write");
    let second = coe(&args, root);
    assert_eq!(second.status, 0, "{}", second.stderr);
    for published in [
        "coe/coe-2024-050/latency.png",
        "coe/checkout-latency/_/2024/latency.png",
    ] {
        assert_eq!(
            std::fs::read(root.join("public").join(published)).expect("published"),
            b"PNG-new-bytes"
        );
    }
    #[cfg(unix)]
    {
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("secret.txt"), "secret").expect("write");
        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            root.join("content/2024/missing-graph.png"),
        )
        .expect("symlink");
        let third = coe(&args, root);
        assert_eq!(third.status, 0, "{}", third.stderr);
        assert!(
            third.stderr.contains("leads outside content/"),
            "{}",
            third.stderr
        );
        assert!(
            !root
                .join("public/coe/coe-2024-050/missing-graph.png")
                .exists()
        );
    }
}

#[test]
fn coe_new_folder_makes_a_coe_folder_that_builds() {
    let site = tempfile::tempdir().expect("tempdir");
    let root = site.path();
    let run = coe(
        &[
            "new",
            "Cache warm-up",
            "--folder",
            "--date",
            "2026-03-04",
            "--root",
            ".",
        ],
        root,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let index = root.join("content/2026/COE-2026-001/index.md");
    assert!(index.is_file(), "{}", run.stdout);
    assert_eq!(run.stdout.trim(), "content/2026/COE-2026-001/index.md");
    let again = coe(
        &[
            "new",
            "Another",
            "--folder",
            "--date",
            "2026-03-04",
            "--root",
            ".",
        ],
        root,
    );
    assert_eq!(again.status, 0, "{}", again.stderr);
    assert!(root.join("content/2026/COE-2026-002/index.md").is_file());
}
