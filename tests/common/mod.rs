//! Test harness: build a fixture site with the real binary and look at what a user would see.
#![allow(dead_code)]

pub mod coe_serve;
pub mod edits;

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
    coe_with_env(args, cwd, &[])
}

/// [`coe`] with environment variables set (e.g. `COE_TIMINGS`).
pub fn coe_with_env(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_coe"))
        .args(args)
        .current_dir(cwd)
        .envs(env.iter().copied())
        .output()
        .expect("run coe");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Builds a copy of the site at `root` (its content/, coe.toml, templates/, static/ and
/// themes/) into a fresh temporary folder, so that tests never write into the fixtures
/// (the index in `.coe/`) while other tests copy them. Returns the folder and the run.
pub fn build(root: &Path, extra: &[&str]) -> (tempfile::TempDir, PathBuf, Run) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = tmp.path().join("site");
    std::fs::create_dir_all(&site).expect("mkdir");
    for part in ["content", "templates", "static", "themes"] {
        if root.join(part).is_dir() {
            copy_dir(&root.join(part), &site.join(part));
        }
    }
    if root.join("coe.toml").is_file() {
        std::fs::copy(root.join("coe.toml"), site.join("coe.toml")).expect("coe.toml");
    }
    let out = tmp.path().join("public");
    let mut args = vec![
        "build",
        "--root",
        site.to_str().expect("utf8"),
        "--output",
        out.to_str().expect("utf8"),
    ];
    if !extra.contains(&"--today") {
        args.extend(["--today", "2026-11-26"]);
    }
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
            // As a browser or a file server reads it: `%20` is a space.
            let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
            let path = decoded.as_ref();
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
    copy_dir(&fixture(name), tmp.path());
    tmp
}

/// Copies a folder (recursively) into `dst`.
pub fn copy_dir(src: &Path, dst: &Path) {
    for e in walkdir::WalkDir::new(src)
        .into_iter()
        // Build artefacts of a fixture (from a run by hand) are not part of it.
        .filter_entry(|e| {
            e.depth() != 1 || !matches!(e.file_name().to_str(), Some(".coe" | "public"))
        })
        .filter_map(Result::ok)
    {
        let rel = e.path().strip_prefix(src).expect("prefix");
        let to = dst.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).expect("mkdir");
        } else if e.file_type().is_file() {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
}

/// A copy of the repository's sample library (content/ and coe.toml) to work on.
pub fn sample_site() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tmp");
    copy_dir(&repo_root().join("content"), &tmp.path().join("content"));
    std::fs::copy(repo_root().join("coe.toml"), tmp.path().join("coe.toml")).expect("coe.toml");
    tmp
}

/// A static file server on 127.0.0.1 for browser tests: serves `dir` under URL `prefix`
/// (e.g. `/sub/` to check the site works from a sub-path) and records every path requested.
/// A library built into a temporary folder and served by [`serve`] under `prefix`.
pub struct Published {
    /// Holds the output: dropped, it is deleted.
    pub tmp: tempfile::TempDir,
    pub out: PathBuf,
    pub server: Server,
    /// `http://127.0.0.1:PORT{prefix}`.
    pub base: String,
}

/// Builds `root` (the build must succeed) and serves its output under `prefix`.
pub fn publish(root: &Path, extra: &[&str], prefix: &'static str) -> Published {
    let (tmp, out, run) = build(root, extra);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let server = serve(out.clone(), prefix);
    let base = format!("http://127.0.0.1:{}{prefix}", server.port);
    Published {
        tmp,
        out,
        server,
        base,
    }
}

pub struct Server {
    pub port: u16,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

pub fn serve(dir: PathBuf, prefix: &'static str) -> Server {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let dir = dir.clone();
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).map_or(true, |n| n == 0) || h == "\r\n" {
                        break;
                    }
                }
                let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let path = target.split(['?', '#']).next().unwrap_or("/").to_owned();
                log.lock().expect("lock").push(path.clone());
                let body = path.strip_prefix(prefix).and_then(|rel| {
                    let rel = rel.replace("%20", " ");
                    if rel.split('/').any(|s| s == "..") {
                        return None;
                    }
                    let mut file = dir.join(&rel);
                    if file.is_dir() {
                        file = file.join("index.html");
                    }
                    std::fs::read(file).ok()
                });
                let (status, body) = match body {
                    Some(b) => ("200 OK", b),
                    None => ("404 Not Found", b"not found".to_vec()),
                };
                let kind = match path.rsplit('.').next() {
                    Some("js") => "text/javascript",
                    Some("css") => "text/css",
                    Some("json") => "application/json",
                    Some("bin") => "application/octet-stream",
                    Some("xml") => "application/xml",
                    _ => "text/html; charset=utf-8",
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            });
        }
    });
    Server { port, requests }
}

/// The Chromium to run browser tests with. Without one, a plain `cargo test` (a Mac, a
/// machine without the package) skips them with a printed note; `.ci/run` sets
/// `COE_REQUIRE_BROWSER=1`, which turns a missing browser into a failure so CI never skips.
pub fn chromium() -> Option<&'static str> {
    let found = [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .find(|p| Path::new(p).exists());
    if found.is_none() {
        assert!(
            std::env::var_os("COE_REQUIRE_BROWSER").is_none(),
            "COE_REQUIRE_BROWSER is set but no Chromium was found: apt-get install -y chromium"
        );
        eprintln!(
            "note: browser test skipped: no Chromium found (apt-get install -y chromium; CI sets COE_REQUIRE_BROWSER=1)"
        );
    }
    found
}

/// The DOM of `url` after its scripts ran, from headless Chromium (see [`chromium`]: callers
/// return early when there is none).
pub fn chromium_dom(url: &str, javascript: bool) -> String {
    chromium_dom_within(url, javascript, 8000)
}

/// [`chromium_dom`] with `budget_ms` of virtual time for the page's scripts and timers.
pub fn chromium_dom_within(url: &str, javascript: bool, budget_ms: u32) -> String {
    chromium_dom_with(url, javascript, budget_ms, &[])
}

/// [`chromium_dom_within`] with the reader's system in dark mode (`prefers-color-scheme: dark`).
pub fn chromium_dom_dark_within(url: &str, budget_ms: u32) -> String {
    chromium_dom_with(url, true, budget_ms, &["--force-dark-mode"])
}

fn chromium_dom_with(url: &str, javascript: bool, budget_ms: u32, extra: &[&str]) -> String {
    let chromium = chromium().expect("callers check chromium() first");
    let profile = tempfile::tempdir().expect("profile");
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]);
    cmd.arg(format!("--virtual-time-budget={budget_ms}"));
    cmd.arg(format!("--user-data-dir={}", profile.path().display()));
    if !javascript {
        cmd.arg("--blink-settings=scriptEnabled=false");
    }
    cmd.args(extra);
    let out = cmd
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("run chromium");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The natural-language relevance set in `tests/relevance.tsv`: (expected id, query). Lines
/// are `id<TAB>kind<TAB>query` (or `id<TAB>query`).
pub fn relevance_set() -> Vec<(String, String)> {
    std::fs::read_to_string(repo_root().join("tests/relevance.tsv"))
        .expect("relevance.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let parts: Vec<&str> = l.split('\t').collect();
            match parts.as_slice() {
                [id, _, q] => Some(((*id).to_owned(), (*q).to_owned())),
                [id, q] => Some(((*id).to_owned(), (*q).to_owned())),
                _ => None,
            }
        })
        .collect()
}

/// The groups of COEs sharing a failure mechanism in `tests/similar-groups.tsv`.
pub fn similar_groups() -> Vec<(String, Vec<String>)> {
    std::fs::read_to_string(repo_root().join("tests/similar-groups.tsv"))
        .expect("similar-groups.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            l.split_once('\t').map(|(name, ids)| {
                (
                    name.to_owned(),
                    ids.split_whitespace().map(str::to_owned).collect(),
                )
            })
        })
        .collect()
}

/// The relevance library: the sample library plus `tests/fixtures/relevance/`, in a temporary
/// folder.
pub fn relevance_site() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tmp");
    copy_dir(
        &repo_root().join("content"),
        &tmp.path().join("content/sample"),
    );
    copy_dir(
        &fixture("relevance").join("content"),
        &tmp.path().join("content/relevance"),
    );
    std::fs::copy(repo_root().join("coe.toml"), tmp.path().join("coe.toml")).expect("coe.toml");
    tmp
}

/// `a b&c` → `a%20b%26c`
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A site whose content/ is the synthetic library of `count` COEs from
/// `../shared/tools/gen-corpus.py`; `None` (with a note) where the generator is not there.
pub fn generated_library(count: usize) -> Option<tempfile::TempDir> {
    let script = repo_root().join("../shared/tools/gen-corpus.py");
    if !script.exists() {
        eprintln!("skipped: {} not found", script.display());
        return None;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let status = Command::new("python3")
        .arg(&script)
        .args(["--count", &count.to_string(), "--out"])
        .arg(tmp.path().join("content"))
        .stdout(std::process::Stdio::null())
        .status()
        .expect("python3");
    assert!(status.success());
    Some(tmp)
}

/// Replaces `from` with `to` (of the same length) in the file at `path` and sets its
/// modification time back to what it was: an edit that keeps the size and mtime, as
/// `cp -p`, `rsync -t`, `touch -r` or a restore from backup leave it.
pub fn edit_keeping_size_and_mtime(path: &Path, from: &str, to: &str) {
    assert_eq!(from.len(), to.len(), "the same length");
    let text = std::fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{from:?} in {}", path.display());
    let mtime = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .expect("mtime");
    // A new ctime even on file systems with a coarse clock.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(path, text.replacen(from, to, 1)).expect("write");
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(mtime))
        .expect("set mtime");
    let after = std::fs::metadata(path).expect("stat");
    assert_eq!(after.modified().expect("mtime"), mtime);
    assert_eq!(after.len() as usize, text.len());
}

/// Every file under `dir` with its bytes, by path relative to `dir`.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    files(dir)
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(dir.join(&f)).expect("read");
            (f, bytes)
        })
        .collect()
}

/// `a` and `b` hold the same files with the same bytes (else the first difference is shown).
pub fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    let (ka, kb): (Vec<_>, Vec<_>) = (ta.keys().collect(), tb.keys().collect());
    assert_eq!(ka, kb, "the same files");
    for (f, bytes) in &ta {
        if bytes != &tb[f] {
            let (x, y) = (
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&tb[f]),
            );
            let at = x.bytes().zip(y.bytes()).take_while(|(p, q)| p == q).count();
            panic!(
                "{f} differs at {at}: {:?} vs {:?}",
                &x[at.saturating_sub(300)..(at + 200).min(x.len())],
                &y[at.saturating_sub(300)..(at + 200).min(y.len())]
            );
        }
    }
}

/// A clean build of `root`'s content, templates and `coe.toml` in a folder of its own, with
/// `args` (`--root .` is that folder).
pub fn clean_build(root: &Path, args: &[&str]) -> tempfile::TempDir {
    let fresh = tempfile::tempdir().expect("tempdir");
    copy_dir(&root.join("content"), &fresh.path().join("content"));
    if root.join("templates").is_dir() {
        copy_dir(&root.join("templates"), &fresh.path().join("templates"));
    }
    std::fs::copy(root.join("coe.toml"), fresh.path().join("coe.toml")).expect("coe.toml");
    let clean = coe(args, fresh.path());
    assert_eq!(clean.status, 0, "{}", clean.stderr);
    fresh
}

/// `root/public` is byte for byte what a clean build of the same content writes.
pub fn assert_same_as_clean_build(root: &Path, args: &[&str]) -> tempfile::TempDir {
    let fresh = clean_build(root, args);
    assert_same_tree(&root.join("public"), &fresh.path().join("public"));
    fresh
}
