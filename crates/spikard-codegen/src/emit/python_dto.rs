//! python_dto
