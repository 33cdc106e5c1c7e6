//! `coe serve` under faults (issue 18, item 4): readers ask for pages without pause while the
//! library's files are saved in halves, renamed, deleted, broken and fixed. No request gets a
//! 5xx, every page served is a whole HTML document, the last good site stays served while the
//! library is broken, the end state is served, and the server's memory comes back near where
//! it started. Loopback only; about 10 seconds.

mod common;

use common::coe_serve::{Resp, get, serve, until};
use common::*;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn ok(port: u16) -> bool {
    let body = get(port, "/__coe/status").bytes;
    serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v["ok"] == true)
}

/// The server's resident memory, in KB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// What is wrong with one response, if anything: a 5xx, or an HTML page that is not whole
/// (its length not the one announced, or not ending in `</html>`).
fn fault(
    path: &str,
    Resp {
        status,
        head,
        bytes: body,
        ..
    }: &Resp,
) -> Option<String> {
    if *status >= 500 || *status == 0 {
        return Some(format!("{path}: status {status}"));
    }
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    if length.is_some_and(|n| n != body.len()) {
        return Some(format!("{path}: {} bytes of {length:?}", body.len()));
    }
    let html = head.contains("content-type: text/html");
    let text = String::from_utf8_lossy(body);
    let whole = text.trim_start().starts_with("<!DOCTYPE html")
        || text.trim_start().starts_with("<!doctype html");
    if *status == 200 && html && !(whole && text.trim_end().ends_with("</html>")) {
        return Some(format!("{path}: not a whole page ({} bytes)", body.len()));
    }
    None
}

const PAGES: [&str; 7] = [
    "/",
    "/coe/",
    "/coe/coe-2024-017/",
    "/coe/coe-2023-009/",
    "/tags/",
    "/action-items/",
    "/search/",
];

#[test]
fn readers_never_see_a_5xx_or_half_a_page_while_files_are_broken_and_fixed() {
    let site = sample_site();
    let root = site.path();
    let s = serve(root, &[]);
    let pid = s.child.id();
    until("the first build", || ok(s.port));
    // Warm up: every page once, so that what is allocated on first use counts in the start.
    for p in PAGES {
        assert_eq!(get(s.port, p).status, 200, "{p}");
    }
    let start_kb = rss_kb(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let faults = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut readers = Vec::new();
    for r in 0..4 {
        let (stop, faults, port) = (stop.clone(), faults.clone(), s.port);
        readers.push(std::thread::spawn(move || {
            let mut n = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let path = PAGES[(n + r) % PAGES.len()];
                if let Some(f) = fault(path, &get(port, path)) {
                    faults.lock().expect("lock").push(f);
                }
                n += 1;
            }
            n
        }));
    }

    let content = root.join("content");
    let a = content.join("2024/COE-2024-017.md");
    let b = content.join("2023/COE-2023-009.md");
    let (a_text, b_text) = (
        std::fs::read_to_string(&a).expect("read"),
        std::fs::read_to_string(&b).expect("read"),
    );
    let storm = Instant::now();
    let mut round = 0;
    while storm.elapsed() < Duration::from_secs(6) {
        round += 1;
        // Saved in halves, as a slow editor or a copy over the network writes.
        let text = a_text.replace("title: ", &format!("title: Round {round} of "));
        let (first, second) = text.split_at(text.len() / 2);
        let mut f = std::fs::File::create(&a).expect("create");
        f.write_all(first.as_bytes()).expect("write");
        f.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(40));
        f.write_all(second.as_bytes()).expect("write");
        drop(f);
        // Renamed away and back, deleted and written again.
        let moved = content.join(format!("2023/moved-{round}.md"));
        std::fs::rename(&b, &moved).expect("rename");
        std::thread::sleep(Duration::from_millis(30));
        std::fs::rename(&moved, &b).expect("rename back");
        std::fs::remove_file(&b).expect("delete");
        std::thread::sleep(Duration::from_millis(30));
        std::fs::write(&b, &b_text).expect("write again");
        // Broken (front matter that does not parse), then fixed.
        std::fs::write(&a, "---\ntitle: [unclosed\n---\n\n## Summary\n").expect("break");
        std::thread::sleep(Duration::from_millis(60));
        std::fs::write(&a, &text).expect("fix");
        std::thread::sleep(Duration::from_millis(40));
    }
    let last = format!("<h1>Round {round} of ");
    until("the end state", || {
        ok(s.port) && get(s.port, "/coe/coe-2024-017/").body.contains(&last)
    });

    // Broken and left so: the last good site stays served, the error over it.
    std::fs::write(&a, "---\ntitle: [unclosed\n---\n").expect("break");
    until("the error", || !ok(s.port));
    let Resp {
        status, body: page, ..
    } = get(s.port, "/coe/coe-2024-017/");
    assert_eq!(status, 200);
    assert!(page.contains(&last), "the last good page is kept");
    assert!(page.contains("coe-serve-overlay"), "with the error over it");
    std::fs::write(&a, &a_text).expect("fix");
    until("the fix", || ok(s.port));

    stop.store(true, Ordering::Relaxed);
    let served: usize = readers.into_iter().map(|r| r.join().expect("reader")).sum();
    let faults = faults.lock().expect("lock");
    assert!(
        faults.is_empty(),
        "{} faults in {served} requests: {:?}",
        faults.len(),
        &faults[..faults.len().min(10)]
    );
    assert!(served > 100, "readers kept reading: {served} requests");

    // Memory: back near the start once the storm is over (the site is rebuilt in memory on
    // every change; nothing of the old builds may pile up).
    std::thread::sleep(Duration::from_millis(500));
    let end_kb = rss_kb(pid);
    eprintln!("{round} rounds, {served} requests; VmRSS {start_kb} KB before, {end_kb} KB after");
    assert!(
        end_kb < start_kb + start_kb / 2 + 16 * 1024,
        "VmRSS {start_kb} KB before the storm, {end_kb} KB after"
    );
}
