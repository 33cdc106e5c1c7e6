//! The output manifest (`.coe/output-*.manifest`) read from arbitrary bytes: a manifest or
//! "unusable", never a panic; every path a usable one names stays inside the output folder
//! (a commit removes the files a manifest names), and it reads back the same once written.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(files) = coe::output::parse_manifest(text) else {
        return;
    };
    for rel in files.keys() {
        assert!(coe::output::inside(rel), "{rel:?} leaves the output folder");
        assert!(
            !rel.starts_with('/') && !rel.split('/').any(|c| c == ".."),
            "{rel:?}"
        );
    }
    let dir = std::env::temp_dir().join(format!("coe-fuzz-manifest-{}", std::process::id()));
    let path = dir.join("m.manifest");
    if coe::output::write_manifest(&path, &files).is_ok() {
        let again = std::fs::read_to_string(&path).expect("written");
        assert_eq!(coe::output::parse_manifest(&again).as_ref(), Some(&files));
    }
});
