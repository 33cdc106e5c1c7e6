//! Crash safety: `public/` is at every instant the whole old site or the whole new one, when
//! a build is killed at any step of writing and swapping, or when the disk fills; whatever a
//! killed build left is cleaned by the next; closed output pipes never make coe panic.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Names beside `public/` in the site root, other than the site's own folders.
fn beside_public(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(root)
        .expect("root")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !["content", "coe.toml", ".coe", "public"].contains(&n.as_str()))
        .collect();
    names.sort();
    names
}

const ARGS: [&str; 5] = ["build", "--root", ".", "--today", "2026-11-26"];

fn build_ok(root: &Path) {
    let run = coe(&ARGS, root);
    assert_eq!(run.status, 0, "{}", run.stderr);
}

fn edit_title(root: &Path, title: &str) {
    let path = root.join("content/2024/COE-2024-017.md");
    let text = std::fs::read_to_string(&path).expect("read");
    let start = text.find("title: ").expect("title") + "title: ".len();
    let end = start + text[start..].find('\n').expect("eol");
    std::fs::write(&path, format!("{}{title}{}", &text[..start], &text[end..])).expect("write");
}

/// Kills builds at each step (a clean build, then rebuilds over the previous output, with the
/// atomic exchange and with the two-rename fallback) and checks what `public/` holds.
#[test]
fn a_killed_build_leaves_the_old_or_the_new_site_and_the_next_build_cleans_up() {
    let site = sample_site();
    let root = site.path();
    let public = root.join("public");

    // A clean build killed at each step: no public/ before, none after, nothing left.
    for step in ["write:3", "staged", "assembled"] {
        let run = coe_with_env(&ARGS, root, &[("COE_TEST_ABORT_AT", step)]);
        assert_ne!(run.status, 0, "{step}: aborted");
        assert!(!public.exists(), "{step}: no half site");
    }
    build_ok(root);
    assert_eq!(
        beside_public(root),
        Vec::<String>::new(),
        "staging folders cleaned"
    );
    let mut old = tree(&public);
    assert!(old.contains_key("index.html"));

    let mut round = 0;
    for (fallback, step) in [
        (false, "write:2"),
        (false, "staged"),
        (false, "assembled"),
        (false, "swapped"),
        (true, "assembled"),
        (true, "half-swapped"),
        (true, "swapped"),
    ] {
        round += 1;
        edit_title(root, &format!("Thumbnails stopped, round {round}"));
        let mut env = vec![("COE_TEST_ABORT_AT", step)];
        if fallback {
            env.push(("COE_TEST_NO_EXCHANGE", "1"));
        }
        let run = coe_with_env(&ARGS, root, &env);
        assert_ne!(run.status, 0, "{step}: aborted");
        let now = if public.exists() {
            tree(&public)
        } else {
            BTreeMap::new()
        };
        let swapped = step == "swapped";
        if swapped {
            assert_ne!(now, old, "{step}: the new site");
            let page = String::from_utf8_lossy(&now["coe/coe-2024-017/index.html"]).into_owned();
            assert!(
                page.contains(&format!("round {round}")),
                "{step}: whole new site"
            );
        } else if step == "half-swapped" {
            assert!(now.is_empty(), "between the two renames of the fallback");
        } else {
            assert!(
                now == old,
                "{step} (fallback {fallback}): the old site, whole"
            );
        }

        // The next build puts back or cleans up whatever was left, and builds the new site.
        build_ok(root);
        let built = tree(&public);
        let page = String::from_utf8_lossy(&built["coe/coe-2024-017/index.html"]).into_owned();
        assert!(page.contains(&format!("round {round}")), "{step}: rebuilt");
        let left = beside_public(root);
        assert!(
            left.is_empty() || left == [".public.coe-spare"],
            "{step}: left beside public/: {left:?}"
        );
        old = built;
    }

    // After all that, the site is what a clean build of the same files makes.
    let fresh = tempfile::tempdir().expect("tmp");
    copy_dir(&root.join("content"), &fresh.path().join("content"));
    std::fs::copy(root.join("coe.toml"), fresh.path().join("coe.toml")).expect("coe.toml");
    build_ok(fresh.path());
    assert!(
        tree(&fresh.path().join("public")) == old,
        "same as a clean build"
    );
}

/// A disk that fills during a build: one error with the count, the old site untouched, a true
/// message; the next build (with room) works.
#[test]
fn a_full_disk_fails_once_with_a_count_and_leaves_the_site_unchanged() {
    let site = sample_site();
    let root = site.path();
    build_ok(root);
    let old = tree(&root.join("public"));
    for clean in [false, true] {
        edit_title(root, &format!("A full disk, clean {clean}"));
        if clean {
            std::fs::remove_dir_all(root.join(".coe")).expect("rm .coe");
        }
        let run = coe_with_env(&ARGS, root, &[("COE_TEST_FAIL_WRITES_AFTER", "20000")]);
        assert_eq!(run.status, 1, "{}", run.stderr);
        let lines: Vec<&str> = run
            .stderr
            .lines()
            .filter(|l| l.contains("cannot write"))
            .collect();
        assert_eq!(lines.len(), 1, "reported once: {}", run.stderr);
        assert!(
            lines[0].contains("files of the new site (first: ")
                && lines[0].contains("No space left on device"),
            "{}",
            lines[0]
        );
        assert!(run.stderr.contains("left unchanged"), "{}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(
            tree(&root.join("public")) == old,
            "clean {clean}: untouched"
        );
    }
    build_ok(root);
    let page = read(&root.join("public"), "coe/coe-2024-017/index.html");
    assert!(page.contains("A full disk, clean true"));
}

/// `coe search … | head -1` and the like: a closed stdout is no panic.
#[test]
fn a_closed_stdout_is_no_panic() {
    let site = sample_site();
    let root = site.path();
    for args in [
        &["search", "thumbnail", "--root", "."][..],
        &["actions", "--root", ".", "--today", "2026-11-26"],
        &["digest", "--root", ".", "--today", "2024-03-20"],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_coe"))
            .args(args)
            .current_dir(root)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
    }
}
