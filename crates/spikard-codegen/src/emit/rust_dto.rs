//! rust_dto
