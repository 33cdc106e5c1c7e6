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
