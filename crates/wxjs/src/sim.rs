//! `wxjs sim`: the simulated WeChat platform alone.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use clap::Args;
use wxjs_sim::{Sim, SimConfig, config};

use crate::CliError;

/// Arguments of `wxjs sim`.
#[derive(Debug, Args)]
#[command(after_help = "\
The simulator answers the platform API (/cgi-bin/…, /sns/…, /connect/…) like api.weixin.qq.com,
and its control API under /__sim/ (apps, stats, clock/advance, faults, reset).

Without --config it has two built-in accounts (appId wxdemo000000000001, a normal account, and
wxtest000000000001, a test account), both allowing localhost and 127.0.0.1. A config file adds
accounts; see docs/sim.example.toml.")]
pub(crate) struct SimArgs {
    /// Port to listen on.
    #[arg(long, short, default_value_t = 8081)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Accounts (TOML).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Keep state in SQLite under DIR (survives restarts); in memory only when absent.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// A further Host name to answer to, besides this machine's own names (repeatable;
    /// `*.example.com` for subdomains, `*` for any). Other names are refused (DNS rebinding).
    #[arg(long = "allow-host", value_name = "NAME")]
    allow_hosts: Vec<String>,
}

/// Runs `wxjs sim` until Ctrl-C.
pub(crate) fn run(args: &SimArgs) -> Result<(), CliError> {
    crate::init_logging(false);
    let config = match &args.config {
        Some(path) => {
            SimConfig::from_file(path).map_err(|e| CliError::input(format!("--config: {e}")))?
        }
        None => SimConfig::default(),
    };
    let sim = Sim::new(&config, args.data.as_deref())
        .map_err(|e| CliError::failure(format!("--data: {e}")))?;
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let addr = SocketAddr::new(args.host, args.port);
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| CliError::failure(format!("cannot listen on {addr}: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| CliError::failure(e.to_string()))?;
        crate::say!("wxjs sim: the simulated WeChat platform on http://{local}");
        crate::say!("  control API   http://{local}/__sim/apps");
        crate::say!(
            "  demo account  appId {} appSecret {}",
            config::DEMO_APP_ID,
            config::DEMO_APP_SECRET
        );
        match &args.data {
            Some(dir) => crate::say!(
                "  state         {}",
                dir.join(wxjs_sim::persist::DB_FILE).display()
            ),
            None => crate::say!("  state         in memory"),
        }
        if !args.host.is_loopback() {
            crate::say!(
                "WARNING: listening on {}: anyone who can reach this machine can read the \
                 accounts' secrets at /__sim/apps and change the simulator.",
                args.host
            );
        }
        let policy = wxjs_sim::serve::policy(args.allow_hosts.clone());
        wxjs_sim::run_with(listener, sim, policy, crate::shutdown_signal())
            .await
            .map_err(|e| CliError::failure(format!("server error: {e}")))
    })
}
