//! Test harness: build a fixture site with the real binary and look at what a user would see.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn coe(args: &[&str], cwd: &Path) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_coe"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run coe");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Builds `root` into a fresh temporary folder; returns the folder and the run.
pub fn build(root: &Path, extra: &[&str]) -> (tempfile::TempDir, PathBuf, Run) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("public");
    let mut args = vec![
        "build",
        "--root",
        root.to_str().expect("utf8"),
        "--output",
        out.to_str().expect("utf8"),
        "--today",
        "2026-11-26",
    ];
    args.extend_from_slice(extra);
    let run = coe(&args, tmp.path());
    (tmp, out, run)
}

pub fn read(out: &Path, rel: &str) -> String {
    std::fs::read_to_string(out.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Every file under `dir`, relative, with `/`.
pub fn files(dir: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .expect("prefix")
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect()
}

/// Values of `attr="..."` in an HTML page.
pub fn attr_values(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        let after = &rest[i + needle.len()..];
        let end = after.find('"').unwrap_or(after.len());
        out.push(after[..end].replace("&amp;", "&"));
        rest = &after[end..];
    }
    out
}

/// Checks that every relative href and src in every HTML page points to a file of the site.
/// Returns the broken ones as `page -> target`.
pub fn broken_links(out: &Path) -> Vec<String> {
    let all = files(out);
    let mut broken = Vec::new();
    // 404.html links from the site's root path: it is served at any missing URL.
    for page in all
        .iter()
        .filter(|p| p.ends_with(".html") && *p != "404.html")
    {
        let html = read(out, page);
        let dir: Vec<&str> = page.split('/').collect();
        let dir = &dir[..dir.len() - 1];
        for link in attr_values(&html, "href")
            .into_iter()
            .chain(attr_values(&html, "src"))
        {
            if link.starts_with('#') || link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            let path = link.split(['#', '?']).next().unwrap_or("");
            if path.starts_with('/') {
                broken.push(format!("{page} -> {link} (root-relative)"));
                continue;
            }
            let mut parts: Vec<String> = dir.iter().map(|s| (*s).to_owned()).collect();
            for seg in path.split('/') {
                match seg {
                    "" | "." => {}
                    ".." => {
                        if parts.pop().is_none() {
                            broken.push(format!("{page} -> {link} (escapes the site)"));
                        }
                    }
                    s => parts.push(s.to_owned()),
                }
            }
            let mut target = parts.join("/");
            if path.is_empty() || path.ends_with('/') || path == "." || path.ends_with("/.") {
                target = if target.is_empty() {
                    "index.html".to_owned()
                } else {
                    format!("{target}/index.html")
                };
            }
            if !all.contains(&target) {
                broken.push(format!("{page} -> {link}"));
            }
        }
    }
    broken
}

/// Copies a fixture into a temp folder so a test can change it.
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = fixture(name);
    for e in walkdir::WalkDir::new(&src)
        .into_iter()
        .filter_map(Result::ok)
    {
        let rel = e.path().strip_prefix(&src).expect("prefix");
        let dst = tmp.path().join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&dst).expect("mkdir");
        } else {
            std::fs::copy(e.path(), &dst).expect("copy");
        }
    }
    tmp
}
