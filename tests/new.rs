//! `coe new`: a draft that builds, is flagged by the linter until it is written, gets the next
//! free id of its year across the library, never overwrites, and keeps hostile titles valid YAML.

mod common;

use common::*;
use std::path::Path;

fn new(root: &Path, args: &[&str]) -> Run {
    let mut all = vec!["new", "--root", root.to_str().expect("utf8")];
    all.extend_from_slice(args);
    coe(&all, root)
}

#[test]
fn new_coe_builds_as_a_draft_and_the_linter_flags_the_template() {
    let site = copy_fixture("new");
    let root = site.path();
    let run = new(
        root,
        &[
            "Checkout returned 500s after a deploy",
            "--severity",
            "sev2",
            "--service",
            "checkout",
            "--service",
            "payments",
            "--date",
            "2026-06-01",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let path = root.join("content/2026/COE-2026-012.md");
    assert_eq!(run.stdout.trim(), path.display().to_string());
    let text = std::fs::read_to_string(&path).expect("written");
    for want in [
        "title: \"Checkout returned 500s after a deploy\"",
        "id: COE-2026-012",
        "date: 2026-06-01",
        "status: draft",
        "severity: SEV2",
        "services: [\"checkout\", \"payments\"]",
        "tags: []",
        "#   - title:",
        "## Summary",
        "## Impact",
        "## Timeline",
        "## Metrics",
        "## Incident Questions",
        "### Detection",
        "How could time to detect be cut in half?",
        "## Five Whys",
        "## Root Cause",
        "## Lessons Learned",
        "## Action Items",
        "## Related Items",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }

    // A draft: the build succeeds without it, and renders it with --drafts.
    let (_t, out, run) = build(root, &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!out.join("coe/coe-2026-012/index.html").exists());
    let (_t, out, run) = build(root, &["--drafts"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let page = read(&out, "coe/coe-2026-012/index.html");
    assert!(page.contains("Checkout returned 500s after a deploy"));
    assert!(
        !page.contains("coe:"),
        "guiding questions are not published"
    );

    // Untouched: every guiding question is template text.
    let check = coe(
        &["check", "--format", "json", path.to_str().expect("utf8")],
        root,
    );
    let flagged = check.stdout.matches("\"template-text\"").count();
    assert!(flagged >= 13, "{}", check.stdout);

    // Written: no template text left.
    let done: String = text
        .lines()
        .map(|l| {
            if l.starts_with("<!-- coe:") {
                "The deploy at 09:02 raised the error rate to 12% for 40 minutes."
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&path, done).expect("write");
    let check = coe(
        &["check", "--format", "json", path.to_str().expect("utf8")],
        root,
    );
    assert!(
        !check.stdout.contains("\"template-text\""),
        "{}",
        check.stdout
    );
}

#[test]
fn ids_are_the_next_free_number_of_the_year_across_folders() {
    let site = copy_fixture("new");
    let root = site.path();
    // COE-2026-011 is a draft in content/ops/ (id from the front matter).
    let run = new(root, &["First", "--date", "2026-01-05"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stdout.trim().ends_with("COE-2026-012.md"),
        "{}",
        run.stdout
    );
    let run = new(root, &["Second", "--date", "2026-12-31"]);
    assert!(
        run.stdout.trim().ends_with("COE-2026-013.md"),
        "{}",
        run.stdout
    );
    // 2025: the id comes from the file name.
    let run = new(root, &["Third", "--date", "2025-03-01"]);
    assert!(
        run.stdout.trim().ends_with("content/2025/COE-2025-041.md"),
        "{}",
        run.stdout
    );
    // A year with no COE yet starts at 001, in a new folder.
    let run = new(root, &["Fourth", "--date", "2019-03-01"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(root.join("content/2019/COE-2019-001.md").is_file());
    let (_t, _out, run) = build(root, &["--drafts"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
}

#[test]
fn never_overwrites_and_refuses_bad_input() {
    let site = copy_fixture("new");
    let root = site.path();
    // Something already at the path the next id would take.
    std::fs::create_dir_all(root.join("content/2024/COE-2024-001.md")).expect("mkdir");
    let run = new(root, &["Clash", "--date", "2024-01-01"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert!(root.join("content/2024/COE-2024-001.md").is_dir());

    for title in ["", "   ", "\n"] {
        let run = new(root, &[title]);
        assert_eq!(run.status, 1, "{title:?}");
        assert!(run.stderr.contains("title is empty"), "{}", run.stderr);
    }
    let run = new(root, &["x", "--severity", "urgent"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("--severity"), "{}", run.stderr);
    let run = new(root, &["x", "--date", "2026-02-30"]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert_eq!(files(&root.join("content")).len(), 3, "nothing written");
}

#[test]
fn yaml_hostile_titles_stay_titles() {
    let site = copy_fixture("new");
    let root = site.path();
    let titles = [
        "Outage: \"checkout\" returned 500s",
        "- [x] {not: a map} & *alias #comment",
        "'single' \\ back\\slash: yes",
        "no",
        "2026-01-01",
        "<script>alert(1)</script>",
    ];
    for (n, title) in titles.iter().enumerate() {
        let run = new(
            root,
            &["--service", "a: b, c", "--date", "2026-07-01", "--", title],
        );
        assert_eq!(run.status, 0, "{title}: {}", run.stderr);
        assert!(
            run.stdout
                .trim()
                .ends_with(&format!("COE-2026-{:03}.md", 12 + n))
        );
    }
    let (_t, out, run) = build(root, &["--drafts"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let page = read(&out, "coe/coe-2026-012/index.html");
    assert!(
        page.contains("Outage: &quot;checkout&quot; returned 500s"),
        "title kept"
    );
    let page = read(&out, "coe/coe-2026-017/index.html");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<script>alert(1)"));
    let page = read(&out, "coe/coe-2026-015/index.html");
    assert!(page.contains("<h1>no</h1>"), "\"no\" stays text");
}

#[test]
fn a_site_template_overrides_the_built_in_one_and_is_not_a_page_template() {
    let site = copy_fixture("new");
    let root = site.path();
    std::fs::create_dir_all(root.join("templates")).expect("mkdir");
    std::fs::write(
        root.join("templates/new.md"),
        "---\ntitle: {{ title }}\nid: {{ id }}\ndate: {{ date }}\nstatus: draft\nseverity: {{severity}}\nservices: {{ services }}\nteam: payments\n---\n\n# {{ title_text }}\n\n## Summary\n\n<!-- coe: Our own question? {% not tera %} -->\n",
    )
    .expect("template");
    let run = new(
        root,
        &[
            "Ours: \"quoted\"",
            "--severity",
            "4",
            "--date",
            "2026-08-08",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(root.join("content/2026/COE-2026-012.md")).expect("file");
    assert!(text.contains("title: \"Ours: \\\"quoted\\\"\"\n"), "{text}");
    assert!(
        text.contains("severity: SEV4\nservices: []\nteam: payments"),
        "{text}"
    );
    assert!(text.contains("# Ours: \"quoted\"\n"), "{text}");
    assert!(text.contains("Our own question? {% not tera %}"), "{text}");
    // templates/new.md is not loaded as a Tera template: the build still works.
    let (_t, out, run) = build(root, &["--drafts"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(read(&out, "coe/coe-2026-012/index.html").contains("Ours: &quot;quoted&quot;"));
    assert!(!out.join("new.md").exists());
}

/// `coe init` starts a library that checks and builds with no other step, writes the deploy
/// file asked for, and refuses to touch an existing library.
#[test]
fn init_starts_a_library_that_checks_and_builds() {
    let tmp = tempfile::tempdir().expect("tmp");
    for (deploy, file, needle) in [
        ("netlify", "netlify.toml", "--base-url \\\"$URL\\\""),
        (
            "github",
            ".github/workflows/coe.yml",
            "actions/deploy-pages",
        ),
        ("gitlab", ".gitlab-ci.yml", "pages:"),
    ] {
        let dir = tmp.path().join(deploy);
        let run = coe(
            &["init", &dir.to_string_lossy(), "--deploy", deploy],
            tmp.path(),
        );
        assert_eq!(run.status, 0, "{}", run.stderr);
        for f in ["coe.toml", ".gitignore", file] {
            assert!(dir.join(f).is_file(), "{deploy}: {f}");
        }
        let text = std::fs::read_to_string(dir.join(file)).expect("deploy file");
        assert!(text.contains(needle), "{deploy}: {text}");
        assert!(
            text.contains("cargo install --locked --git"),
            "installs coe once"
        );
        assert!(!text.contains("{{ git"), "placeholders filled: {text}");
        let gitignore = std::fs::read_to_string(dir.join(".gitignore")).expect("gitignore");
        assert!(gitignore.contains("public/") && gitignore.contains(".coe/"));

        let check = coe(&["check"], &dir);
        assert_eq!(check.status, 0, "{}{}", check.stdout, check.stderr);
        assert!(
            check.stdout.contains("no problems found"),
            "{}",
            check.stdout
        );
        let build = coe(&["build"], &dir);
        assert_eq!(build.status, 0, "{}", build.stderr);
        assert!(
            build.stderr.contains("built 1 COE into"),
            "{}",
            build.stderr
        );
        let tracker = read(&dir.join("public"), "action-items/index.html");
        assert!(
            tracker.contains("Validate connection pool settings"),
            "front-matter items"
        );

        // An existing library: exit 1, nothing changed.
        let before = files(&dir);
        let again = coe(&["init", &dir.to_string_lossy()], tmp.path());
        assert_eq!(again.status, 1, "{}", again.stderr);
        assert!(
            again.stderr.contains("already holds a library"),
            "{}",
            again.stderr
        );
        assert_eq!(files(&dir), before);
    }
    // `coe init` in the current folder.
    let here = tmp.path().join("here");
    std::fs::create_dir_all(&here).expect("mkdir");
    let run = coe(&["init"], &here);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(here.join("coe.toml").is_file());
}

/// `coe new` in a folder that is not a library yet says the COE is a draft and how to start a
/// library, so the next `coe build` is no surprise.
#[test]
fn new_in_an_empty_folder_points_at_init_and_drafts() {
    let tmp = tempfile::tempdir().expect("tmp");
    let run = coe(&["new", "Checkout failed"], tmp.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("is a draft") && run.stderr.contains("--drafts"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("`coe init`"), "{}", run.stderr);
    let build = coe(&["build"], tmp.path());
    assert_eq!(build.status, 0, "{}", build.stderr);
    assert!(
        build.stderr.contains("built 0 COEs")
            && build
                .stderr
                .contains("1 draft or in-review COE not published (--drafts publishes it)"),
        "{}",
        build.stderr
    );
}
