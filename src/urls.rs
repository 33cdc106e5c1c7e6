//! Every page's URL and output path, defined once. URLs are relative to the site's root and
//! end in `/` (`coe/coe-2024-017/`); a page's output path is its URL and `index.html`
//! ([`page`]). Templates link with these through their views; the incremental planner and
//! `coe serve` name pages with the same functions, so a page is never spelled two ways.

/// One COE's page.
pub fn coe(slug: &str) -> String {
    format!("coe/{slug}/")
}

/// A taxonomy's index (`tags/`), from its path (`TaxonomyKind::path`).
pub fn taxonomy(kind_path: &str) -> String {
    format!("{kind_path}/")
}

/// One term of a taxonomy (`tags/dns/`).
pub fn term(kind_path: &str, slug: &str) -> String {
    format!("{kind_path}/{slug}/")
}

/// The list of one year's COEs.
pub fn year(year: i16) -> String {
    format!("years/{year}/")
}

pub const YEARS: &str = "years/";
pub const SEARCH: &str = "search/";
pub const METRICS: &str = "metrics/";
pub const ACTIONS: &str = "action-items/";
/// The latest week's digest.
pub const DIGEST: &str = "digest/";
pub const DIGEST_ARCHIVE: &str = "digest/archive/";

/// One week's digest (`digest/2024-w11/`), from the week's slug.
pub fn digest_week(week_slug: &str) -> String {
    format!("digest/{week_slug}/")
}

/// One owner's action items.
pub fn actions_of_owner(slug: &str) -> String {
    format!("action-items/owners/{slug}/")
}

/// One team's action items.
pub fn actions_of_team(slug: &str) -> String {
    format!("action-items/teams/{slug}/")
}

/// The closed items of a tracker page at `url` (`action-items/`, an owner's, a team's).
pub fn actions_closed(url: &str) -> String {
    format!("{url}closed/")
}

/// Page `n` (0-based) of a paginated list at `url`: the first page is the list's own URL.
pub fn paginated(url: &str, n: usize) -> String {
    if n == 0 {
        url.to_owned()
    } else {
        format!("{url}page/{}/", n + 1)
    }
}

/// The output path of the page at `url` (`coe/x/` → `coe/x/index.html`).
pub fn page(url: &str) -> String {
    format!("{url}index.html")
}

/// The Atom feed of the list at `url` (`""` for the site's own).
pub fn feed(url: &str) -> String {
    format!("{url}atom.xml")
}

/// Where a COE's attachment is published, relative to the COE's page (`coe/<slug>/`): its path
/// from the COE's folder (`source_dir`, under `content/`) when it is inside it (a picture
/// beside the file, or in a COE folder), else `_/` and its path from `content/`. Always a
/// file path, never a page: `target` is a content-relative file path.
pub fn attachment(source_dir: &str, target: &str) -> String {
    let inside = if source_dir.is_empty() {
        Some(target)
    } else {
        target
            .strip_prefix(source_dir)
            .and_then(|t| t.strip_prefix('/'))
    };
    match inside {
        Some(rel) => rel.to_owned(),
        None => format!("_/{target}"),
    }
}

/// A path as a URL: each segment percent-encoded (spaces, `#`, `?`, non-ASCII…).
pub fn encode_path(path: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    path.split('/')
        .map(|s| percent_encoding::utf8_percent_encode(s, SEGMENT).to_string())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_urls() {
        assert_eq!(page(&coe("coe-1")), "coe/coe-1/index.html");
        assert_eq!(
            page(&paginated(&term("tags", "dns"), 1)),
            "tags/dns/page/2/index.html"
        );
        assert_eq!(page(&paginated(YEARS, 0)), "years/index.html");
        assert_eq!(feed(""), "atom.xml");
        assert_eq!(page(&digest_week("2024-w11")), "digest/2024-w11/index.html");
    }

    #[test]
    fn attachments_keep_their_place_beside_the_coe() {
        assert_eq!(attachment("2024", "2024/img/a.png"), "img/a.png");
        assert_eq!(attachment("2024/x", "2024/a.png"), "_/2024/a.png");
        assert_eq!(attachment("", "a.png"), "a.png");
        assert_eq!(attachment("2024", "20245/a.png"), "_/20245/a.png");
        assert_eq!(encode_path("_/a b/ü#?.png"), "_/a%20b/%C3%BC%23%3F.png");
    }
}
