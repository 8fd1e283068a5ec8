//! `spikard`: new projects and servers generated from OpenAPI documents.
//!
//! ```text
//! spikard init NAME --lang python|rust [--dir DIR]
//! spikard generate openapi SPEC --lang python|rust --output DIR [--dto msgspec] [--name NAME] [--force]
//! spikard check SPEC --url http://127.0.0.1:8000   # the served /openapi.json and 422s against SPEC
//! ```
//!
//! An invalid document is reported with its file and JSON pointer and exits with code 2;
//! files are written into a temporary directory and moved into place only when all are
//! generated, so a failure leaves nothing half-written.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use spikard_codegen::emit::{init, Dto, Lang, Options};
use spikard_codegen::CodegenError;

#[derive(Parser)]
#[command(
    name = "spikard",
    version,
    about = "Spikard projects: new ones, and servers generated from OpenAPI documents"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a runnable project with one route, a test and a README.
    Init {
        /// The project's name (and directory, unless --dir is given).
        name: String,
        /// python or rust.
        #[arg(long)]
        lang: Lang,
        /// Where to create it (default: ./NAME).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// How the Rust project depends on spikard: a Cargo.toml value (default: the crates.io version).
        #[arg(long)]
        spikard_dependency: Option<String>,
    },
    /// Generate a server from a document.
    #[command(subcommand)]
    Generate(Generate),
    /// Check a running server against a document: its /openapi.json is equivalent and it
    /// answers 422 problems to requests the document's schemas reject.
    Check {
        /// The document.
        spec: PathBuf,
        /// The server, as http://HOST:PORT.
        #[arg(long)]
        url: String,
    },
}

#[derive(Subcommand)]
enum Generate {
    /// From an OpenAPI 3.0 or 3.1 document (JSON or YAML; local and multi-file $ref).
    Openapi {
        /// The document.
        spec: PathBuf,
        /// python or rust.
        #[arg(long)]
        lang: Lang,
        /// The project directory to create (replaced with --force).
        #[arg(long, short)]
        output: PathBuf,
        /// Python DTOs: msgspec (dataclass and pydantic are planned).
        #[arg(long, default_value = "msgspec")]
        dto: Dto,
        /// The package / crate name (default: the output directory's name).
        #[arg(long)]
        name: Option<String>,
        /// Replace the output directory if it exists and is not empty.
        #[arg(long)]
        force: bool,
        /// How the Rust project depends on spikard: a Cargo.toml value (default: the crates.io version).
        #[arg(long)]
        spikard_dependency: Option<String>,
    },
}

fn dir_name(path: &std::path::Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .unwrap_or("app")
        .to_owned()
}

fn run(cli: Cli) -> Result<String, CodegenError> {
    match cli.command {
        Command::Check { spec, url } => {
            let failures = spikard_codegen::probe::check_server(&spec, &url)?;
            if failures.is_empty() {
                Ok(format!("{url} serves {} as written", spec.display()))
            } else {
                Err(CodegenError::Mismatch(format!(
                    "{url} differs from {} in {} way(s):\n  {}",
                    spec.display(),
                    failures.len(),
                    failures.join("\n  ")
                )))
            }
        }
        Command::Init {
            name,
            lang,
            dir,
            spikard_dependency,
        } => {
            let dir = dir.unwrap_or_else(|| PathBuf::from(&name));
            let options = Options {
                name,
                dto: Dto::default(),
                spikard_dependency,
            };
            let files = init::generate(lang, &options)?;
            files.write(&dir, false)?;
            Ok(format!("created {} ({} files)", dir.display(), files.0.len()))
        }
        Command::Generate(Generate::Openapi {
            spec,
            lang,
            output,
            dto,
            name,
            force,
            spikard_dependency,
        }) => {
            let options = Options {
                name: name.unwrap_or_else(|| dir_name(&output)),
                dto,
                spikard_dependency,
            };
            let files = spikard_codegen::generate_openapi(&spec, lang, &options)?;
            files.write(&output, force)?;
            Ok(format!("generated {} ({} files)", output.display(), files.0.len()))
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}
