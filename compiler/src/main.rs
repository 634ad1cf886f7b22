//! `switchboard-compiler`: check mappings, build generated code, and verify it is fresh.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use switchboard_compiler::{Error, Settings};

#[derive(Parser, Debug)]
#[command(
    name = "switchboard-compiler",
    version,
    about = "Check Switchboard mappings and compile them into adapters"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check every mapping file and report all problems.
    Check {
        /// The mappings directory.
        #[arg(long, default_value = "mappings")]
        mappings: PathBuf,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Check, then write the generated crate, OpenAPI documents and reports.
    Build {
        /// The mappings directory.
        #[arg(long, default_value = "mappings")]
        mappings: PathBuf,
        /// Where generated files go.
        #[arg(long, default_value = "generated")]
        out: PathBuf,
        /// Write nothing; fail if the output directory is not what a build would write.
        #[arg(long)]
        check: bool,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Human,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { mappings, format } => match Settings::new(&mappings).check() {
            Ok(ir) => {
                let resources: usize = ir.providers.iter().map(|p| p.resources.len()).sum();
                match format {
                    Format::Human => eprintln!(
                        "ok: {} unified model(s), {} provider(s), {resources} provider resource(s)",
                        ir.models.len(),
                        ir.providers.len()
                    ),
                    Format::Json => println!(r#"{{"diagnostics":[],"count":0}}"#),
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(e, format),
        },
        Command::Build {
            mappings,
            out,
            check,
            format,
        } => {
            let settings = Settings::new(&mappings).with_out_dir(&out);
            if check {
                return match settings.stale() {
                    Ok(stale) if stale.is_empty() => {
                        eprintln!("ok: {} is up to date", out.display());
                        ExitCode::SUCCESS
                    }
                    Ok(stale) => {
                        eprintln!("error: {} is stale:", out.display());
                        for s in &stale {
                            eprintln!("  {s}");
                        }
                        eprintln!(
                            "help: run `cargo run -p switchboard-compiler -- build --mappings {} --out {}` and commit the result",
                            mappings.display(),
                            out.display()
                        );
                        ExitCode::FAILURE
                    }
                    Err(e) => fail(e, format),
                };
            }
            match settings.build() {
                Ok(output) => {
                    eprintln!(
                        "ok: wrote {} file(s) to {}",
                        output.files.len(),
                        out.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(e, format),
            }
        }
    }
}

fn fail(e: Error, format: Format) -> ExitCode {
    match (e, format) {
        (Error::Diagnostics(report), Format::Human) => {
            report.emit_to_stderr(std::io::stderr().is_terminal())
        }
        (Error::Diagnostics(report), Format::Json) => println!("{}", report.to_json()),
        (Error::Io { path, error }, _) => eprintln!("error: {}: {error}", path.display()),
    }
    ExitCode::FAILURE
}
