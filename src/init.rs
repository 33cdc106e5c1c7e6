//! `coe init`: a ready library in a new or empty folder: `coe.toml` with every key, one
//! complete published example COE, a `.gitignore`, and on request a deploy file for Netlify,
//! GitHub Pages or GitLab Pages. Never touches an existing library.

use jiff::ToSpan;
use jiff::civil::Date;
use std::path::{Path, PathBuf};

const CONFIG: &str = include_str!("init/coe.toml");
const EXAMPLE: &str = include_str!("init/example.md");
const GITIGNORE: &str = include_str!("init/gitignore");
const NETLIFY: &str = include_str!("init/netlify.toml");
const GITHUB: &str = include_str!("init/github.yml");
const GITLAB: &str = include_str!("init/gitlab-ci.yml");

/// Where deploy files install coe from: set `COE_GIT_URL` when building coe to name the
/// repository your team keeps it in.
pub const GIT_URL: &str = match option_env!("COE_GIT_URL") {
    Some(url) => url,
    None => "https://github.com/coe-dev/coe",
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Deploy {
    Netlify,
    Github,
    Gitlab,
}

/// Writes the library into `dir` (created if missing); returns the files written, relative
/// to `dir`. Refuses, writing nothing, when `dir` already holds a library (`coe.toml` or
/// `content/`) or one of the files it would write.
pub fn create(dir: &Path, deploy: Option<Deploy>, today: Date) -> Result<Vec<String>, String> {
    let incident = today.checked_sub(7.days()).unwrap_or(today);
    let published = today.checked_sub(2.days()).unwrap_or(today);
    let due = today.checked_add(30.days()).unwrap_or(today);
    let id = format!("COE-{}-001", incident.year());
    let example = EXAMPLE
        .replace("{{ id }}", &id)
        .replace("{{ date }}", &incident.to_string())
        .replace("{{ published }}", &published.to_string())
        .replace("{{ due }}", &due.to_string());
    let deploy_file = |text: &str| {
        text.replace("{{ git }}", GIT_URL).replace(
            "{{ git_key }}",
            &format!("{:x}", crate::output::content_hash(GIT_URL.as_bytes())),
        )
    };
    let mut files: Vec<(String, String)> = vec![
        ("coe.toml".to_owned(), CONFIG.to_owned()),
        (".gitignore".to_owned(), GITIGNORE.to_owned()),
        (format!("content/{}/{id}.md", incident.year()), example),
    ];
    match deploy {
        Some(Deploy::Netlify) => files.push(("netlify.toml".to_owned(), deploy_file(NETLIFY))),
        Some(Deploy::Github) => {
            files.push((".github/workflows/coe.yml".to_owned(), deploy_file(GITHUB)))
        }
        Some(Deploy::Gitlab) => {
            files.push((".gitlab-ci.yml".to_owned(), deploy_file(GITLAB)));
        }
        None => {}
    }
    if dir.join("coe.toml").exists() || dir.join("content").exists() {
        return Err(format!(
            "{} already holds a library (coe.toml or content/): nothing written",
            dir.display()
        ));
    }
    if let Some((rel, _)) = files.iter().find(|(rel, _)| dir.join(rel).exists()) {
        return Err(format!(
            "{} already exists: nothing written",
            dir.join(rel).display()
        ));
    }
    let mut written = Vec::new();
    for (rel, text) in &files {
        let path: PathBuf = dir.join(rel);
        let result = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                std::fs::File::create_new(&path)
                    .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            });
        if let Err(e) = result {
            return Err(format!("cannot write {}: {e}", path.display()));
        }
        written.push(rel.clone());
    }
    Ok(written)
}
