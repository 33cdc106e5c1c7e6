//! The static search index for the browser (filled in below).
