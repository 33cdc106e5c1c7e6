//! One command-line grammar: every command checks `--root` first; the deploy files the
//! repository ships work as documented.

mod common;

use common::*;

/// A `--root` that does not exist is a usage error (exit 2) for every command, with a clear
/// message, and nothing is created.
#[test]
fn a_missing_root_is_exit_2_and_creates_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let missing = tmp.path().join("no-such-library");
    let root = missing.to_string_lossy().into_owned();
    for args in [
        vec!["build", "--root", &root],
        vec!["check", "--root", &root],
        vec!["search", "dns", "--root", &root],
        vec!["similar", "COE-2024-001", "--root", &root],
        vec!["digest", "--root", &root],
        vec!["actions", "--root", &root],
        vec!["new", "A title", "--root", &root],
        vec!["serve", "--root", &root, "--port", "0"],
    ] {
        let run = coe(&args, tmp.path());
        assert_eq!(run.status, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("does not exist") && run.stderr.contains("--root"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!missing.exists(), "{args:?} created the root");
    }
}

/// Netlify sets DEPLOY_PRIME_URL on every deploy, production included: production must take
/// the site's own address ($URL) for its feeds and sitemap, previews their own.
#[test]
fn netlify_production_uses_the_site_url() {
    let text = std::fs::read_to_string(repo_root().join("netlify.toml")).expect("netlify.toml");
    let config: toml::Table = toml::from_str(&text).expect("valid TOML");
    let command = |path: &[&str]| -> String {
        let mut v = &toml::Value::Table(config.clone());
        for key in path {
            v = v
                .get(*key)
                .unwrap_or_else(|| panic!("{path:?} in netlify.toml"));
        }
        v.as_str().expect("a command").to_owned()
    };
    for production in [
        command(&["build", "command"]),
        command(&["context", "production", "command"]),
    ] {
        assert!(production.contains("--base-url \"$URL\""), "{production}");
        assert!(!production.contains("DEPLOY_PRIME_URL"), "{production}");
    }
    assert!(command(&["context", "deploy-preview", "command"]).contains("$DEPLOY_PRIME_URL"));
}

/// The build says what happened: drafts left out (and how to publish them), an empty
/// content folder, a broken template once with the pages it broke, a base URL that is not one.
#[test]
fn the_build_says_what_happened() {
    let site = sample_site();
    let root = site.path();
    let run = coe(&["build", "--root", "."], root);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("built 17 COEs into")
            && run
                .stderr
                .contains("2 draft or in-review COEs not published (--drafts publishes them)"),
        "{}",
        run.stderr
    );

    let bad = coe(&["build", "--root", ".", "--base-url", "notaurl"], root);
    assert_eq!(bad.status, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("expected an absolute URL"),
        "{}",
        bad.stderr
    );

    // A template that breaks every COE page: one error, with the count and the first page.
    let theme = repo_root().join("themes/default/templates/coe.html");
    let text = std::fs::read_to_string(theme).expect("coe.html");
    std::fs::create_dir_all(root.join("templates")).expect("mkdir");
    std::fs::write(
        root.join("templates/coe.html"),
        text.replacen(
            "{% block content %}",
            "{% block content %}{{ nosuch.x }}",
            1,
        ),
    )
    .expect("write");
    let broken = coe(&["build", "--root", "."], root);
    assert_eq!(broken.status, 1);
    let errors: Vec<&str> = broken
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: templates/coe.html"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", broken.stderr);
    assert!(
        errors[0].contains("cannot render 17 pages (the first: coe/"),
        "{}",
        errors[0]
    );

    // A mistake in base.html breaks the pages of every template: one error, at its place.
    std::fs::remove_file(root.join("templates/coe.html")).expect("rm");
    let base = std::fs::read_to_string(repo_root().join("themes/default/templates/base.html"))
        .expect("base.html");
    std::fs::write(
        root.join("templates/base.html"),
        base.replacen("<body>", "<body>{{ nosuch.x }}", 1),
    )
    .expect("write");
    let broken = coe(&["build", "--root", "."], root);
    assert_eq!(broken.status, 1);
    let errors: Vec<&str> = broken
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: templates/"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", broken.stderr);
    assert!(
        errors[0].starts_with("error: templates/base.html:"),
        "{}",
        errors[0]
    );

    let empty = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(empty.path().join("content")).expect("mkdir");
    std::fs::write(empty.path().join("content/notes.docx"), "x").expect("write");
    let run = coe(&["build", "--root", "."], empty.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("no COE to publish: it holds 1 other file (notes.docx)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("built 0 COEs"), "{}", run.stderr);
}

/// Without a base URL the site's address is unknown: the build warns, leaves the sitemap out
/// (it needs absolute URLs) and the feeds stay valid Atom (relative links, `urn:coe:` ids).
#[test]
fn without_a_base_url_the_feeds_stay_valid_and_the_sitemap_is_left_out() {
    let site = sample_site();
    let root = site.path();
    let run = coe(&["build", "--root", "."], root);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("no base_url"), "{}", run.stderr);
    let out = root.join("public");
    assert!(!out.join("sitemap.xml").exists());
    let feed = read(&out, "atom.xml");
    assert!(feed.contains("<id>urn:coe:site</id>"), "{feed}");
    assert!(feed.contains("href=\"./coe/"), "{feed}");
    assert!(!feed.contains("<id>/"), "{feed}");
    let digest = read(&out, "digest/atom.xml");
    assert!(
        digest.contains("<id>urn:coe:digest/atom.xml</id>"),
        "{digest}"
    );

    let run = coe(
        &[
            "build",
            "--root",
            ".",
            "--base-url",
            "https://coe.example.com",
        ],
        root,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("no base_url"), "{}", run.stderr);
    let sitemap = read(&out, "sitemap.xml");
    assert!(
        sitemap.contains("<loc>https://coe.example.com/</loc>"),
        "{sitemap}"
    );
    let feed = read(&out, "atom.xml");
    assert!(feed.contains("<id>https://coe.example.com/</id>"), "{feed}");
}

/// Every flag of every command has help text (`coe <command> -h` shows one line per flag:
/// a flag without text shows nothing after it).
#[test]
fn every_flag_has_help_text() {
    let tmp = tempfile::tempdir().expect("tmp");
    for command in [
        "init", "build", "search", "similar", "digest", "actions", "check", "new", "serve",
    ] {
        let run = coe(&[command, "-h"], tmp.path());
        assert_eq!(run.status, 0, "{command}: {}", run.stderr);
        for line in run.stdout.lines() {
            let flag = line.trim_start();
            if flag.starts_with('-') {
                // "  -r, --root <ROOT>  Site root ..." : text after the flag and its value.
                let spec_end = flag.find("  ").unwrap_or(flag.len());
                assert!(
                    flag[spec_end..].trim().len() > 3,
                    "coe {command}: no help text for {flag:?}"
                );
            }
        }
    }
}

/// Values from a fixed set are checked (exit 2, "expected …"); one output flag everywhere
/// (`--format json`, `--json` its shorthand); short flags as Zola has them.
#[test]
fn values_are_checked_and_flags_agree() {
    let site = sample_site();
    let root = site.path();
    let bad = coe(&["search", "dns", "--severity", "urgent", "-r", "."], root);
    assert_eq!(bad.status, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("expected SEV1..SEV5"), "{}", bad.stderr);
    let ok = coe(
        &["search", "thumbnail", "--severity", "sev2", "-r", "."],
        root,
    );
    assert_eq!(ok.status, 0, "{}", ok.stderr);
    for args in [
        vec!["search", "thumbnail"],
        vec!["actions", "--today", "2026-11-26"],
        vec!["similar", "COE-2024-017"],
    ] {
        let mut format = args.clone();
        format.extend(["--format", "json", "-r", "."]);
        let mut json = args.clone();
        json.extend(["--json", "--root", "."]);
        let (a, b) = (coe(&format, root), coe(&json, root));
        assert_eq!(a.status, 0, "{args:?}: {}", a.stderr);
        let parsed: serde_json::Value = serde_json::from_str(&a.stdout).expect("JSON");
        assert!(parsed.is_object(), "{args:?}");
        assert_eq!(a.stdout, b.stdout, "{args:?}: --json is --format json");
    }
    let out = root.join("elsewhere");
    let run = coe(
        &[
            "build",
            "-r",
            ".",
            "-o",
            "elsewhere",
            "-u",
            "https://coe.example.com",
        ],
        root,
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(out.join("sitemap.xml").is_file(), "-o and -u");
}

/// An error in a COE's front matter points at the section of the format reference that
/// explains the field, and that section exists.
#[test]
fn front_matter_errors_point_at_the_format_reference() {
    let site = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(site.path().join("content")).expect("mkdir");
    std::fs::write(
        site.path().join("content/a.md"),
        "---\ntitle: x\ndate: 2024-01-02\nseverity: urgent\ntags: {a: 1}\naction_items:\n  - owner: q\n---\n\n## Summary\n\nx\n",
    )
    .expect("write");
    let run = coe(&["build", "-r", "."], site.path());
    assert_eq!(run.status, 1, "{}", run.stderr);
    let format = std::fs::read_to_string(repo_root().join("docs/format.md")).expect("format.md");
    for field in ["severity", "tags", "action_items"] {
        assert!(
            run.stderr.contains(&format!("see docs/format.md#{field}")),
            "{field}: {}",
            run.stderr
        );
        assert!(
            format.contains(&format!("\n### {field}\n")),
            "docs/format.md has ### {field}"
        );
    }
}

/// Problems in a COE's body lead to their section of the format reference too: in `coe build`'s
/// output and in `coe check`'s hints.
#[test]
fn body_problems_point_at_the_format_reference() {
    let site = tempfile::tempdir().expect("tmp");
    std::fs::create_dir_all(site.path().join("content")).expect("mkdir");
    // No title anywhere, and a link to a COE file that is not there.
    std::fs::write(
        site.path().join("content/2024-01-02-a.md"),
        "Some text without a heading.\n\nSee [the other one](b.md).\n",
    )
    .expect("write");
    let run = coe(&["build", "-r", "."], site.path());
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("see docs/format.md#title"),
        "{}",
        run.stderr
    );
    // Fixed title and date, still no sections: check names the section list.
    std::fs::write(
        site.path().join("content/2024-01-02-a.md"),
        "# A title\n\nSee [the other one](b.md).\n",
    )
    .expect("write");
    let run = coe(&["check", "-r", "."], site.path());
    for anchor in ["#section-names", "#links-between-coes", "#title"] {
        assert!(
            run.stdout.contains(&format!("docs/format.md{anchor}"))
                || run
                    .stdout
                    .contains(&format!("docs/format.md#title, {anchor}")),
            "{anchor}: {}",
            run.stdout
        );
    }
}
