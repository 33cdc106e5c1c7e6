//! The crate's shape stays true: a module may use only modules of lower layers (see
//! docs/architecture.md). Reads every `crate::…` path in `src/` (outside comments) and fails
//! when one points up or sideways.

use std::path::Path;

/// Layers from the bottom; modules of one layer do not use each other.
const LAYERS: &[&[&str]] = &[
    &["diag", "html", "slug", "term"],
    &["dates", "urls", "incremental", "output", "timing"],
    &["config"],
    &["content"],
    &["schema"],
    &["load"],
    &["library"],
    &["search"],
    &["digest", "lint"],
    &["render"],
    &["site"],
    &["serve", "new", "init"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_uses_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    let mut unknown = Vec::new();
    let mut wrong = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let module = rel
            .components()
            .next()
            .map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_owned()
            })
            .unwrap_or_default();
        // The binary's commands and the crate roots sit above every layer.
        if ["cmd", "main", "lib"].contains(&module.as_str()) {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            unknown.push(module.clone());
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for (at, _) in code.match_indices("crate::") {
                // Not `coe::crate::`-like text inside a longer identifier.
                if at > 0 && code.as_bytes()[at - 1].is_ascii_alphanumeric() {
                    continue;
                }
                let used: String = code[at + "crate::".len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                // Macros exported at the crate root (`crate::outln!`) belong to `term`.
                let used = if code[at + "crate::".len() + used.len()..].starts_with('!') {
                    "term".to_owned()
                } else {
                    used
                };
                if used == module {
                    continue;
                }
                match layer_of(&used) {
                    Some(l) if l < own => {}
                    Some(_) => wrong.push(format!(
                        "src/{}:{}: `{module}` uses `{used}`, which is not below it",
                        rel.display(),
                        n + 1
                    )),
                    None => unknown.push(used),
                }
            }
        }
    }
    unknown.sort();
    unknown.dedup();
    assert!(
        unknown.is_empty(),
        "modules in no layer (add them to LAYERS and docs/architecture.md): {unknown:?}"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
