//! coe: a folder of Markdown COEs becomes a searchable, cross-linked learning library.
//! Data flows one way: load → library → index → render → write.

pub mod config;
pub mod content;
pub mod dates;
pub mod diag;
pub mod digest;
pub mod html;
pub mod incremental;
pub mod init;
pub mod library;
pub mod lint;
pub mod load;
pub mod new;
pub mod output;
pub mod render;
pub mod schema;
pub mod search;
pub mod serve;
pub mod site;
pub mod slug;
pub mod term;
pub mod timing;
pub mod urls;

// The unit tests run on the binary's allocator (src/main.rs), so that timings taken in them
// (load::codec_bench) are the binary's.
#[cfg(test)]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
