pub mod build;
pub mod search;
pub mod similar;
