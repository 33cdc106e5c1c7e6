//! The weekly digest as an HTML e-mail (`coe digest --format html`).

use super::Renderer;
use crate::config::Config;
use crate::diag::Diagnostic;
use std::path::Path;
use tera::Context;

/// A week's digest as a self-contained HTML e-mail (inline CSS, absolute links when the
/// site's `base_url` is set), from the theme's `digest_email.html`.
pub fn digest_email(
    root: &Path,
    config: &Config,
    today: jiff::civil::Date,
    digest: &crate::digest::Digest,
) -> Result<String, Vec<Diagnostic>> {
    let renderer = Renderer::new(root, config, today)?;
    let mut ctx = Context::new();
    let base = config.base_url.trim_end_matches('/');
    ctx.insert(
        "base",
        &if base.is_empty() {
            String::new()
        } else {
            format!("{base}/")
        },
    );
    ctx.insert("digest", digest);
    renderer
        .render("digest_email.html", &ctx)
        .map_err(|d| vec![d])
}
