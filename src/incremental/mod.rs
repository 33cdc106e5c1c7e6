//! The incremental engine's shared parts: what tells that a file changed ([`stamp`]).
//! `coe build`'s parse cache (`load::cache`), `coe serve`'s in-memory parses and the search
//! index's freshness check all take their stamps from here, so they never disagree about
//! which files changed.

pub mod stamp;

pub use stamp::FileStamp;
