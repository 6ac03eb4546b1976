//! The wxjs signing and credential service.
//!
//! - Pages: `GET /v1/{appId}/jssdk/config?url=…` gives `wx.config` parameters for URLs on the
//!   account's JS safe domains (CORS allows exactly those), `POST /v1/{appId}/jssdk/explain`
//!   explains a failing signature.
//! - Back ends (API key): card, payment and address parameters, and the central credential
//!   server (current token and tickets, passive refresh).
//! - Operators: `/healthz`, `/readyz`, `/metrics` (Prometheus), `/openapi.json`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! let config = wxjs_service::ServiceConfig::from_file(std::path::Path::new("wxjs.toml"))?;
//! let state = wxjs_service::AppState::new(&config, Arc::new(wxjs_client::SystemClock)).await?;
//! let listener = tokio::net::TcpListener::bind(config.listen).await?;
//! wxjs_service::run(listener, state, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```

pub mod config;
mod error;
mod metrics;
mod pay;
mod routes;
mod state;

use std::future::Future;

pub use config::{ConfigError, ServiceConfig};
pub use error::{ApiError, ErrorBody};
pub use routes::router;
pub use state::{AppState, StartError};

// What a configuration built in code needs from the other crates.
pub use wxjs_client::{Clock, Credentials, SystemClock, TokenMode};
pub use wxjs_sign::{AppId, AppSecret, PartnerKey, PayApiKey, PaySignKey, PrivateKeyPem};

/// The OpenAPI document of the service, generated from the code.
#[must_use]
pub fn openapi_json() -> String {
    routes::openapi_json().to_owned()
}

/// Serves the service on `listener` until `shutdown`, letting in-flight requests finish, under
/// the shared serving policy (connection bound, timeouts, body limit, the configured Host
/// names, JSON errors).
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let policy = state.0.serving.clone();
    wxjs_http::serve(listener, router(state), policy, shutdown).await
}
