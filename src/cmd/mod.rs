pub mod build;
pub mod check;
pub mod search;
pub mod similar;
