//! Emitters: a model to the files of a project in one language.

pub mod init;
pub mod python;
mod python_dto;
pub mod rust;
mod rust_dto;

use std::fmt;
use std::str::FromStr;

/// Target languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Python,
    Rust,
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "python" | "py" => Ok(Self::Python),
            "rust" | "rs" => Ok(Self::Rust),
            "typescript" | "ts" | "ruby" | "rb" => {
                Err(format!("--lang {s} is not generated yet (python and rust are)"))
            }
            other => Err(format!("unknown language '{other}' (python, rust)")),
        }
    }
}

/// Python DTO flavours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dto {
    #[default]
    Msgspec,
    Dataclass,
    Pydantic,
}

impl FromStr for Dto {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "msgspec" => Ok(Self::Msgspec),
            "dataclass" | "dataclasses" => Ok(Self::Dataclass),
            "pydantic" => Ok(Self::Pydantic),
            other => Err(format!("unknown --dto '{other}' (msgspec, dataclass, pydantic)")),
        }
    }
}

impl fmt::Display for Dto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Msgspec => "msgspec",
            Self::Dataclass => "dataclass",
            Self::Pydantic => "pydantic",
        })
    }
}

/// Options shared by the emitters.
#[derive(Debug, Clone)]
pub struct Options {
    /// The project's (distribution / crate) name.
    pub name: String,
    pub dto: Dto,
    /// How the generated Rust project depends on `spikard` (a `Cargo.toml` value such as
    /// `{ path = "../spikard/crates/spikard" }`); default: the crates.io version.
    pub spikard_dependency: Option<String>,
}

/// JSON as a compact, deterministic one-line string (for data embedded in code).
pub fn pretty(value: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}
