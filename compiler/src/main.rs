//! `switchboard-compiler`: check mappings, build generated code, and verify it is fresh.
//!
//! Exit codes: 0 clean (warnings allowed), 1 problems in the mappings (or warnings with
//! `--deny warnings`), 2 usage or I/O problems.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use switchboard_compiler::{Error, Report, Settings};

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

#[derive(clap::Args, Debug)]
struct Common {
    /// The mappings directory.
    #[arg(long, default_value = "mappings")]
    mappings: PathBuf,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Fail on warnings too (`--deny warnings`).
    #[arg(long, value_enum)]
    deny: Option<Deny>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check every mapping file and report all problems.
    Check {
        #[command(flatten)]
        common: Common,
    },
    /// Check, then write the generated crate and OpenAPI documents.
    Build {
        #[command(flatten)]
        common: Common,
        /// Where generated files go.
        #[arg(long, default_value = "generated")]
        out: PathBuf,
        /// Write nothing; fail if the output directory is not what a build would write.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Deny {
    Warnings,
}

const PROBLEMS: u8 = 1;
const USAGE_OR_IO: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (common, build) = match cli.command {
        Command::Check { common } => (common, None),
        Command::Build { common, out, check } => (common, Some((out, check))),
    };
    let settings = Settings::new(&common.mappings).with_deny_warnings(common.deny.is_some());
    let checked = match settings.check() {
        Ok(c) => c,
        Err(Error::Diagnostics(report)) => {
            print_report(&report, common.format);
            return ExitCode::from(PROBLEMS);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(USAGE_OR_IO);
        }
    };
    print_report(&checked.warnings, common.format);
    let Some((out, check_only)) = build else {
        if matches!(common.format, Format::Human) {
            let ir = &checked.ir;
            let resources: usize = ir.providers.iter().map(|p| p.resources.len()).sum();
            eprintln!(
                "ok: {} unified model(s), {} provider(s), {resources} provider resource(s)",
                ir.models.len(),
                ir.providers.len()
            );
        }
        return ExitCode::SUCCESS;
    };
    let output =
        switchboard_compiler::emit::emit(&checked.ir, switchboard_compiler::emit::Layout::Crate);
    if check_only {
        return match switchboard_compiler::stale_files(&output, &out) {
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
                    common.mappings.display(),
                    out.display()
                );
                ExitCode::from(PROBLEMS)
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(USAGE_OR_IO)
            }
        };
    }
    match switchboard_compiler::write_output(&output, &out) {
        Ok(()) => {
            eprintln!(
                "ok: wrote {} file(s) to {}",
                output.files.len(),
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(USAGE_OR_IO)
        }
    }
}

fn print_report(report: &Report, format: Format) {
    match format {
        Format::Human if report.is_empty() => {}
        Format::Human => report.emit_to_stderr(std::io::stderr().is_terminal()),
        Format::Json => println!("{}", report.to_json()),
    }
}
