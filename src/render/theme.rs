//! Theme lookup, Zola's rule: a site's `templates/` and `static/` override the theme's file of
//! the same path. The default theme is also built into the binary, so a site root holding only
//! `content/` builds.

use crate::diag::Diagnostic;
use std::collections::BTreeMap;
use std::path::Path;

macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/themes/default/", $path)) as &[u8])),*]
    };
}

/// Every file of `themes/default/` (a test checks this list against the folder).
pub const DEFAULT_THEME: &[(&str, &[u8])] = embed!(
    "templates/base.html",
    "templates/index.html",
    "templates/coe.html",
    "templates/coe_list.html",
    "templates/years.html",
    "templates/year.html",
    "templates/taxonomy.html",
    "templates/term.html",
    "templates/404.html",
    "templates/atom.xml",
    "templates/sitemap.xml",
    "templates/search.html",
    "templates/digest.html",
    "templates/digest_archive.html",
    "templates/digest_atom.xml",
    "templates/digest_email.html",
    "templates/actions.html",
    "templates/metrics.html",
    "templates/partials/digest_item.html",
    "templates/partials/coe_table.html",
    "templates/partials/coe_card.html",
    "templates/partials/links.html",
    "templates/partials/action_items.html",
    "templates/partials/paginator.html",
    "static/style.css",
    "static/action-items.js",
    "static/search/stemmer.js",
    "static/search/search.js",
);

/// Files under `prefix` (`templates/` or `static/`), layered: built-in default theme, then
/// `themes/<theme>/`, then the site's own folder. A theme holds only the files it changes
/// (as Hugo's theme components): whatever it leaves out comes from the built-in theme.
pub fn layered_files(
    root: &Path,
    theme: &str,
    prefix: &str,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for (path, bytes) in DEFAULT_THEME {
        if let Some(rel) = path.strip_prefix(prefix).and_then(|p| p.strip_prefix('/')) {
            files.insert(rel.to_owned(), bytes.to_vec());
        }
    }
    let theme_dir = root.join("themes").join(theme);
    if theme != "default" && !theme_dir.is_dir() {
        diags.push(Diagnostic::error(
            "coe.toml",
            0,
            0,
            format!("theme \"{theme}\": expected a folder themes/{theme}/ in the site root"),
        ));
    }
    read_dir_into(
        &theme_dir.join(prefix),
        &format!("themes/{theme}/{prefix}"),
        &mut files,
        diags,
    );
    read_dir_into(&root.join(prefix), prefix, &mut files, diags);
    files
}

fn read_dir_into(
    dir: &Path,
    display: &str,
    files: &mut BTreeMap<String, Vec<u8>>,
    diags: &mut Vec<Diagnostic>,
) {
    if !dir.is_dir() {
        return;
    }
    for entry in walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
    {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                let rel = e.path().strip_prefix(dir).unwrap_or(e.path());
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                if rel.split('/').any(|p| p.starts_with('.')) {
                    continue;
                }
                match std::fs::read(e.path()) {
                    Ok(bytes) => {
                        files.insert(rel, bytes);
                    }
                    Err(err) => diags.push(Diagnostic::error(
                        format!("{display}/{rel}"),
                        0,
                        0,
                        format!("cannot read: {err}"),
                    )),
                }
            }
            Ok(_) => {}
            Err(err) => diags.push(Diagnostic::error(
                display,
                0,
                0,
                format!("cannot read: {err}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DEFAULT_THEME;

    #[test]
    fn every_theme_file_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/themes/default");
        let mut on_disk: Vec<String> = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                e.path()
                    .strip_prefix(dir)
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default()
            })
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> =
            DEFAULT_THEME.iter().map(|(p, _)| (*p).to_owned()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded, "themes/default and DEFAULT_THEME differ");
    }
}
