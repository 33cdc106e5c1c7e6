//! Everything a build leaves in `.coe/` for the next one (parse cache, output manifests, build
//! state, similar traces, page dependencies, the remembered folder listing), damaged: the next
//! build reads each as "unusable", falls back, and writes what a clean build writes.

mod common;
use common::*;
use std::path::Path;

fn set_mtime(path: &Path, mtime: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(mtime))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Damage number `how` to `bytes`.
fn damaged(bytes: &[u8], how: usize) -> Vec<u8> {
    match how {
        0 => bytes[..bytes.len() / 2].to_vec(),
        1 => bytes
            .iter()
            .enumerate()
            .map(|(i, b)| if i % 7 == 3 { b ^ 0x20 } else { *b })
            .collect(),
        2 => Vec::new(),
        // The first line kept, the rest replaced: paths that leave the folder, huge counts.
        _ => {
            let head = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
            let mut out = head.to_vec();
            out.extend_from_slice(
                b"\n0000000000000000 7 ../../escape.txt\nffffffffffffffff 99999999999999999999 /etc/x\n\
                  d 1 2 3 4 \nf ../x.md\n\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\0\0",
            );
            out
        }
    }
}

#[test]
fn damaged_files_in_dot_coe_are_ignored_and_the_build_equals_a_clean_one() {
    let site = sample_site();
    let root = site.path();
    let content = root.join("content");
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for f in files(&content) {
        set_mtime(&content.join(f), hour_ago);
    }
    let args = ["build", "--root", ".", "--today", "2026-11-26"];
    let first = coe(&args, root);
    assert_eq!(first.status, 0, "{}", first.stderr);
    // `coe search` remembers the folder listing, once the folders are a few seconds old (the
    // copy just made them): asked again until it does.
    let search = ["search", "dns"];
    let started = std::time::Instant::now();
    loop {
        assert_eq!(coe(&search, root).status, 0);
        if root.join(".coe/content-listing").is_file() {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "coe search never remembered the folder listing"
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    let coe_path = content.join("2024/COE-2024-017.md");
    let text = std::fs::read_to_string(&coe_path).expect("read");
    for how in 0..4 {
        // An edit, so that the build has something to do incrementally.
        std::fs::write(
            &coe_path,
            text.replacen("## Summary\n", &format!("## Summary\n\nEdit {how}.\n"), 1),
        )
        .expect("edit");
        set_mtime(
            &coe_path,
            hour_ago + std::time::Duration::from_secs(60 * (how as u64 + 1)),
        );
        let mut hit = Vec::new();
        for e in std::fs::read_dir(root.join(".coe"))
            .expect(".coe")
            .flatten()
        {
            if e.file_type().is_ok_and(|t| t.is_file())
                && !e.file_name().to_string_lossy().ends_with(".lock")
            {
                let bytes = std::fs::read(e.path()).expect("read");
                std::fs::write(e.path(), damaged(&bytes, how)).expect("damage");
                hit.push(e.file_name().to_string_lossy().into_owned());
            }
        }
        for kind in [
            "parsed.idx",
            ".manifest",
            ".state",
            ".deps",
            ".traces",
            "content-listing",
        ] {
            assert!(
                hit.iter().any(|n| n.ends_with(kind)),
                "{kind} damaged: {hit:?}"
            );
        }
        let run = coe(&args, root);
        assert_eq!(run.status, 0, "damage {how}: {}", run.stderr);

        // Which damage, for a failure's output.
        eprintln!("damage {how}");
        assert_same_as_clean_build(root, &args);
    }
}
