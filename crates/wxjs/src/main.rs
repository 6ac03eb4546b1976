//! `wxjs`: the command-line entry of the WeChat JS-SDK system, a thin shell over the crates.

mod dev;
mod explain;
mod serve;
mod sign;
mod sim;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// glibc's allocator serialises the service's worker threads on its arena locks under load
/// (a tenth of the config endpoint's time went to futex waits in `perf`); mimalloc keeps
/// per-thread heaps.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// wxjs — the WeChat JS-SDK system, end to end.
#[derive(Debug, Parser)]
#[command(name = "wxjs", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The main job: phone, simulated platform and signing service in one process.
    Dev(dev::DevArgs),
    /// Run the signing and credential service.
    Serve(serve::ServeArgs),
    /// Ask a running service why a page's wx.config signature fails.
    Explain(explain::ExplainArgs),
    /// Compute a signature of the JS-SDK document, showing the string that is signed (string1).
    Sign(sign::SignArgs),
    /// Run the simulated WeChat platform API and its control API.
    Sim(sim::SimArgs),
}

/// Writes to stderr and ignores failures: a closed or full log output must never affect a
/// request (a failed write reported with `eprintln!` panics on the same broken stderr, inside
/// whichever request was logging).
#[derive(Debug, Clone, Copy)]
struct LossyStderr;

impl std::io::Write for LossyStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

/// Prints a line for the person at the terminal, like `eprintln!`, but never panics when
/// stderr is closed.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// Writes the command's result to stdout. A closed or full output (`| head -c1` that has
/// exited, `> /dev/full`) is an error of its own — one line and exit 1 — not a panic.
pub(crate) fn output(text: &str) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| CliError::failure(format!("cannot write the output: {e}")))
}

/// Logs to stderr, one line per event (JSON objects or text); `RUST_LOG` filters (default
/// `info`). Failed writes are dropped, never reported on the same output.
pub(crate) fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| LossyStderr)
        .log_internal_errors(false)
        .with_target(false);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

/// Resolves on Ctrl-C or SIGTERM. From then on, a second Ctrl-C ends the process at once
/// instead of waiting for open requests to finish (up to 10 s). Both Ctrl-Cs come through one
/// listener, set up before the first: a quick double press is not lost between them.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut interrupt), Ok(mut terminate)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            // No signal handling: only the process's end stops it.
            return std::future::pending().await;
        };
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
        tokio::spawn(async move {
            if interrupt.recv().await.is_some() {
                say!("wxjs: stopping at once (second Ctrl-C)");
                std::process::exit(130);
            }
        });
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dev(args) => dev::run(&args),
        Command::Serve(args) => serve::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Sign(args) => sign::run(&args),
        Command::Sim(args) => sim::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One readable line; the input's secrets are never part of an error.
            say!("wxjs: {e}");
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
