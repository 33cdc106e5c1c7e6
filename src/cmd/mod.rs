pub mod actions;
pub mod build;
pub mod check;
pub mod digest;
pub mod new;
pub mod search;
pub mod serve;
pub mod similar;
