//! The operations' handlers, one module per tag.

pub mod shapes;
pub mod trees;
