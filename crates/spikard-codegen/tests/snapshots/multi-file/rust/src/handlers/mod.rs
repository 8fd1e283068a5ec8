//! The operations' handlers, one module per tag.

pub mod pets;
