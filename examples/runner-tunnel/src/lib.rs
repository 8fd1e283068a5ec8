//! A BlueLibs Runner tunnel server on Spikard.
pub mod serializer;
