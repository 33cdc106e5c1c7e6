//! The parse cache's memory backend, for `coe serve`: parsed COE files kept between full
//! rebuilds; a file whose stamp (size, mtime, ctime, inode: `incremental::stamp`) has not
//! changed is not parsed again. (`coe build` keeps its parses on disk: `load::cache`.)

use crate::content::{self, Coe};
use crate::diag::Diagnostic;
use crate::incremental::FileStamp as Stamp;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

type Parse = Result<(Coe, Vec<Diagnostic>), Vec<Diagnostic>>;

#[derive(Default)]
pub struct MemoryCache {
    files: HashMap<PathBuf, (Stamp, Parse)>,
}

impl MemoryCache {
    /// Parses these files again next time, whatever their time stamps say (file systems with
    /// coarse times can give an edit the same size and time).
    pub fn forget<'a>(&mut self, paths: impl IntoIterator<Item = &'a PathBuf>) {
        for p in paths {
            self.files.remove(p);
        }
    }

    /// What `load::load_all` gives, re-parsing only the files that changed since last time.
    pub fn load_all(&mut self, content_dir: &Path) -> (Vec<Coe>, Vec<Diagnostic>) {
        if !content_dir.is_dir() {
            self.files.clear();
            return crate::load::load_all(content_dir);
        }
        let mut diags = Vec::new();
        let files = crate::load::find_files(content_dir, &mut diags);
        let known = &self.files;
        let results: Vec<(PathBuf, Option<Stamp>, Parse)> = files
            .into_par_iter()
            .map(|(path, rel)| {
                let stamp = Stamp::of_path(&path);
                if let (Some(stamp), Some((known, parse))) = (stamp, known.get(&path))
                    && stamp == *known
                {
                    return (path, Some(stamp), parse.clone());
                }
                let parse = content::load_file(&path, &rel, &format!("content/{rel}"));
                (path, stamp, parse)
            })
            .collect();
        let mut coes = Vec::with_capacity(results.len());
        let mut files = HashMap::with_capacity(results.len());
        for (path, stamp, parse) in results {
            match &parse {
                Ok((coe, warnings)) => {
                    diags.extend(warnings.iter().cloned());
                    coes.push(coe.clone());
                }
                Err(errors) => diags.extend(errors.iter().cloned()),
            }
            if let Some(stamp) = stamp {
                files.insert(path, (stamp, parse));
            }
        }
        self.files = files;
        (coes, diags)
    }
}
