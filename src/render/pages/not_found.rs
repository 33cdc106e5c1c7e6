//! The 404 page: no view of its own, but its links start from the site's root path.

use crate::config::Config;

pub(super) fn view() -> &'static str {
    "404.html"
}

/// The 404 page is served at whatever URL was missing, so relative links would break there:
/// it links from the site's root path instead, the path part of `base_url` (`/lib/` for
/// `https://x.com/lib`), `/` when there is none.
pub(in crate::render) fn root(config: &Config) -> String {
    let url = config.base_url.trim();
    let after_host = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
    let path = after_host.trim_matches('/');
    if path.is_empty() {
        "/".to_owned()
    } else {
        format!("/{path}/")
    }
}
