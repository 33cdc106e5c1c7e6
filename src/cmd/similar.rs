//! `coe similar ID|PATH`: what happened before that looks like this COE (or this draft).

use coe::search::SIMILAR_PER_COE;
use coe::search::similar::{SimilarityIndex, analyzer};
use coe::site::open::{load_library, vectors_of};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A COE id (COE-2024-017) or the path of a Markdown file, in the library or not
    target: String,
    /// How many similar COEs to show
    #[arg(long, default_value_t = SIMILAR_PER_COE)]
    limit: usize,
    /// Output: text for people, json for scripts
    #[arg(long, value_enum, default_value_t = super::OutFormat::Text)]
    format: super::OutFormat,
    /// Print one JSON object (--format json)
    #[arg(long)]
    json: bool,
    /// Site root
    #[arg(long, short = 'r', default_value = ".")]
    root: PathBuf,
}

#[derive(Serialize)]
struct Item {
    id: String,
    title: String,
    date: String,
    severity: String,
    score: f32,
    reasons: Vec<String>,
}

#[derive(Serialize)]
struct Output {
    id: String,
    similar: Vec<Item>,
}

pub fn run(args: Args) -> ExitCode {
    if let Err(code) = super::check_root(&args.root) {
        return code;
    }
    match similar(&args) {
        Ok(out) => {
            if args.json || args.format == super::OutFormat::Json {
                match serde_json::to_string_pretty(&out) {
                    Ok(s) => coe::outln!("{s}"),
                    Err(e) => coe::errln!("error: {e}"),
                }
            } else {
                coe::outln!("COEs similar to {}:", out.id);
                for (n, s) in out.similar.iter().enumerate() {
                    coe::outln!(
                        "\n{:>2}. {}  {}  {:<7} {}  (score {:.2})",
                        n + 1,
                        s.id,
                        s.date,
                        s.severity,
                        s.title,
                        s.score
                    );
                    for r in &s.reasons {
                        coe::outln!("      {r}");
                    }
                }
                if out.similar.is_empty() {
                    coe::outln!("  none found");
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            coe::errln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn similar(args: &Args) -> Result<Output, String> {
    // The content's stamp is taken before reading it: an edit made meanwhile leaves an index
    // built from this library marked as older than the content.
    let fingerprint = coe::search::store::fingerprint(&args.root, false);
    let (lib, _) = load_library(&args.root, false, None);
    let (index, fields, vectors) = vectors_of(&args.root, &lib, &fingerprint)?;
    let mut analyzer = analyzer(&index).map_err(|e| e.to_string())?;
    let sim = SimilarityIndex::new(vectors, &lib, &analyzer);

    // An id in the library, a file in the library, or a file anywhere (a draft).
    let path = Path::new(&args.target);
    let by_id = lib.by_slug.get(&coe::slug::slugify(&args.target)).copied();
    let (draft, in_lib) = if path.is_file() {
        let display = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| format!("{display}: {e}"))?;
        let parsed = coe::content::decode(&bytes, &display)
            .and_then(|text| coe::content::parse_draft(&text, &display, &display, lib.today));
        let (coe, _) = parsed.map_err(|errs| {
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        })?;
        let in_lib = lib
            .by_slug
            .get(&coe.slug)
            .copied()
            .filter(|&i| lib.coes[i].title == coe.title);
        (Some(coe), in_lib)
    } else if by_id.is_some() {
        (None, by_id)
    } else {
        return Err(format!(
            "\"{}\" is neither a COE id in {} nor a file",
            args.target,
            args.root.join("content").display()
        ));
    };
    let (id, hits) = match (in_lib, &draft) {
        (Some(i), _) => (
            lib.coes[i].id.clone(),
            sim.similar_to(&lib, sim.top_of(i), Some(&lib.coes[i]), Some(i), args.limit),
        ),
        (None, Some(coe)) => {
            let q = sim.vector_for(&lib, &mut analyzer, coe, &fields);
            (
                coe.id.clone(),
                sim.similar_to(&lib, &q, Some(coe), None, args.limit),
            )
        }
        (None, None) => return Err("nothing to compare".to_owned()),
    };
    Ok(Output {
        id,
        similar: hits
            .into_iter()
            .map(|h| {
                let c = &lib.coes[h.idx];
                Item {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    date: c.date.to_string(),
                    severity: coe::library::severity_label(c.severity),
                    score: (h.score * 1000.0).round() / 1000.0,
                    reasons: h.reasons,
                }
            })
            .collect(),
    })
}
