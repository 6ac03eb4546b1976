//! `wxjs serve --config FILE`: the signing and credential service alone.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use wxjs_service::config::LogFormat;
use wxjs_service::{AppState, ServiceConfig};

use crate::CliError;

/// Arguments of `wxjs serve`.
#[derive(Debug, Args)]
#[command(after_long_help = concat!("The configuration file, every key explained:\n\n", include_str!("../../../docs/service.example.toml")))]
pub(crate) struct ServeArgs {
    /// The configuration (TOML). `--help` shows every key.
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Listen here instead of the file's `listen`.
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
    /// Print the OpenAPI document and exit.
    #[arg(long)]
    openapi: bool,
}

/// Runs `wxjs serve` until Ctrl-C or SIGTERM.
pub(crate) fn run(args: &ServeArgs) -> Result<(), CliError> {
    if args.openapi {
        return crate::output(&format!("{}\n", wxjs_service::openapi_json()));
    }
    let mut config = ServiceConfig::from_file(&args.config)
        .map_err(|e| CliError::input(format!("--config: {e}")))?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    crate::init_logging(config.log_format == LogFormat::Json);
    if config.api_keys.is_empty() {
        tracing::warn!(
            "no api_keys configured: the back-end endpoints (cards, pay, address, credentials) answer 401 to everyone"
        );
        crate::say!(
            "wxjs serve: WARNING: no api_keys configured — the back-end endpoints (cards, pay, \
             address, credentials) are unusable; add api_keys or WXJS_API_KEYS"
        );
    }
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let state = AppState::new(&config, Arc::new(wxjs_client::SystemClock))
            .await
            .map_err(|e| CliError::failure(e.to_string()))?;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| CliError::failure(format!("cannot listen on {}: {e}", config.listen)))?;
        let local = listener.local_addr().map_err(|e| CliError::failure(e.to_string()))?;
        tracing::info!(listen = %local, platform = %config.platform_base_url, store = state.credentials().store_name(), apps = config.apps.len(), "wxjs serve started");
        crate::say!("wxjs serve: listening on http://{local}");
        wxjs_service::run(listener, state, crate::shutdown_signal())
            .await
            .map_err(|e| CliError::failure(format!("server error: {e}")))?;
        tracing::info!("wxjs serve stopped");
        Ok(())
    })
}
