//! The incremental engine's shared parts: what tells that a file changed ([`stamp`]), and
//! what each page showed when it was rendered ([`deps`]). `coe build`'s parse cache
//! (`load::cache`), `coe serve`'s in-memory parses and the search index's freshness check all
//! take their stamps from here, so they never disagree about which files changed; `coe build`
//! and `coe serve` plan their rebuilds from the same recorded dependencies (`site::plan`).

pub mod deps;
pub mod stamp;

pub use stamp::FileStamp;
