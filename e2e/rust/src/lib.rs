//! Data-driven fixture runner: plays every fixture in a folder through the public
//! Rust API and the in-memory test client, by the rules in the conformance README.

pub mod compare;
pub mod features;
pub mod fixture;
pub mod foreign_binding;
pub mod known;
pub mod play;

pub use play::{play_fixture, Outcome};
