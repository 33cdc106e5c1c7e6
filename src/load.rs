//! Finds the COE files under `content/` (any depth) and parses them in parallel.

use crate::content::{self, Coe};
use crate::diag::Diagnostic;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Markdown files under `content_dir`, sorted, as (absolute path, path relative to content/).
/// Hidden files and folders and `_index.md`-style files (names starting with `_`) are skipped.
pub fn find_files(content_dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(content_dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter();
    let walker = walker
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(|p| display(content_dir, p))
                    .unwrap_or_else(|| "content".to_owned());
                let msg = if e.loop_ancestor().is_some() {
                    "symbolic link loop: this folder links back to one of its parents; skipped"
                        .to_owned()
                } else {
                    format!(
                        "cannot read: {}",
                        e.io_error()
                            .map_or_else(|| e.to_string(), ToString::to_string)
                    )
                };
                diags.push(Diagnostic::error(path, 0, 0, msg));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        let is_md = name.to_ascii_lowercase().ends_with(".md")
            || name.to_ascii_lowercase().ends_with(".markdown");
        if !is_md || name.starts_with('_') {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(content_dir)
            .unwrap_or(entry.path());
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        files.push((entry.path().to_path_buf(), rel));
    }
    files
}

fn display(content_dir: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(content_dir).unwrap_or(p);
    format!("content/{}", rel.to_string_lossy())
}

/// Parses every file; returns the COEs that parsed and all diagnostics.
pub fn load_all(content_dir: &Path) -> (Vec<Coe>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    if !content_dir.is_dir() {
        diags.push(Diagnostic::error(
            content_dir.display().to_string(),
            0,
            0,
            "no content folder: expected COE Markdown files under content/ in the site root (use --root)",
        ));
        return (Vec::new(), diags);
    }
    let files = find_files(content_dir, &mut diags);
    let results: Vec<_> = files
        .par_iter()
        .map(|(path, rel)| content::load_file(path, rel, &format!("content/{rel}")))
        .collect();
    let mut coes = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok((coe, warnings)) => {
                diags.extend(warnings);
                coes.push(coe);
            }
            Err(errors) => diags.extend(errors),
        }
    }
    (coes, diags)
}
