//! `wxjs`: the command-line entry of the WeChat JS-SDK system, a thin shell over the crates.

mod sign;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// wxjs — the WeChat JS-SDK system, end to end.
#[derive(Debug, Parser)]
#[command(name = "wxjs", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Compute a signature of the JS-SDK document, showing the string that is signed (string1).
    Sign(sign::SignArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sign(args) => sign::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One readable line; the input's secrets are never part of an error.
            eprintln!("wxjs: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// An error that ends the command: a message line and an exit code.
#[derive(Debug)]
pub(crate) struct CliError {
    message: String,
    code: u8,
}

impl CliError {
    /// Bad input from the user: exit code 2.
    pub(crate) fn input(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 2,
        }
    }

    /// Anything else that went wrong: exit code 1.
    pub(crate) fn failure(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 1,
        }
    }

    fn exit_code(&self) -> u8 {
        self.code
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keep it on one line whatever the cause said.
        f.write_str(&self.message.replace('\n', " "))
    }
}
