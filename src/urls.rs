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
}
