//! Files a COE shows or links to (a graph beside it, the pictures of a COE folder holding
//! `index.md`): published next to the COE's page, at the path `urls::attachment` gives, so
//! the page's relative references work from any sub-path and on `file://`. Only files a
//! published COE references are published.

use crate::diag::Diagnostic;
use crate::library::Library;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One file to publish: the COE (library position), the file, its output path.
pub struct Attachment {
    pub coe: usize,
    pub from: PathBuf,
    pub to: String,
}

/// Every attachment of the library's COEs that can be published. A referenced file that does
/// not exist, or that leads outside `content/` (through a symbolic link), is a warning at the
/// reference, and is not published.
pub fn find(content: &Path, lib: &Library, diags: &mut Vec<Diagnostic>) -> Vec<Attachment> {
    if lib.coes.iter().all(|c| c.attachments.is_empty()) {
        return Vec::new();
    }
    let root = std::fs::canonicalize(content).unwrap_or_else(|_| content.to_path_buf());
    let mut out = Vec::new();
    for (i, coe) in lib.coes.iter().enumerate() {
        let dir = coe.source.rsplit_once('/').map_or("", |(d, _)| d);
        let mut seen = HashSet::new();
        for a in &coe.attachments {
            let from = content.join(&a.target);
            let warn = |msg: String| Diagnostic::warning(&coe.display_path, a.line, a.column, msg);
            match std::fs::canonicalize(&from) {
                Ok(real) if !real.starts_with(&root) => {
                    diags.push(warn(format!(
                        "\"{}\" leads outside content/ (a symbolic link): not published",
                        a.target
                    )));
                    continue;
                }
                Ok(real) if real.is_file() => {}
                Ok(_) => {
                    diags.push(warn(format!(
                        "\"{}\" is a folder, not a file: not published",
                        a.target
                    )));
                    continue;
                }
                Err(_) => {
                    diags.push(warn(format!(
                        "file not found: content/{} (a picture or file this COE references; put it beside the COE)",
                        a.target
                    )));
                    continue;
                }
            }
            let to = format!(
                "{}{}",
                crate::urls::coe(&coe.slug),
                crate::urls::attachment(dir, &a.target)
            );
            if seen.insert(to.clone()) {
                out.push(Attachment { coe: i, from, to });
            }
        }
    }
    out
}

/// What the attachments' files are now (size, times, inode): part of the render key, so that
/// a changed picture is published again.
pub fn stamps(attachments: &[Attachment]) -> Vec<u8> {
    let mut out = Vec::new();
    for a in attachments {
        out.extend_from_slice(a.to.as_bytes());
        out.extend_from_slice(
            format!("{:?}", crate::incremental::FileStamp::of_path(&a.from)).as_bytes(),
        );
    }
    out
}
