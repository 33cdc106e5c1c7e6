//! Printing that never panics: `println!` panics when stdout is closed or full
//! (`coe search … | head -1`, a full disk behind a redirect). These macros write the same text
//! and drop such errors: the output has nowhere to go, and the exit status still tells.

/// `println!` that ignores a closed or full stdout.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!` that ignores a closed or full stdout.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::write!(::std::io::stdout().lock(), $($arg)*);
    }};
}

/// `eprintln!` that ignores a closed or full stderr.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::writeln!(::std::io::stderr().lock(), $($arg)*);
    }};
}

/// `eprint!` that ignores a closed or full stderr.
#[macro_export]
macro_rules! errout {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        let _ = ::std::write!(::std::io::stderr().lock(), $($arg)*);
    }};
}
