//! The phone origin of `wxjs dev`: where the page lives. It serves the demo page at `/` (or the
//! user's own files with `--static DIR`) and `/__wxjs/info`, which tells the page where the
//! service and the platform are.

use std::path::PathBuf;

use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

/// Where the phone's pages find the rest of the system.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneConfig {
    /// The signing service (`http://127.0.0.1:8082`).
    pub service_url: String,
    /// The simulated platform (`http://127.0.0.1:8081`).
    pub platform_url: String,
    /// The demo account.
    pub app_id: String,
    /// The user's pages, served instead of the demo.
    #[serde(skip)]
    pub static_dir: Option<PathBuf>,
}

/// The phone origin's router.
pub fn phone_router(config: PhoneConfig) -> Router {
    let static_dir = config.static_dir.clone();
    let router = Router::new().route("/__wxjs/info", get(info));
    let router = match static_dir {
        Some(dir) => router.fallback_service(tower_http::services::ServeDir::new(dir)),
        None => router.route("/", get(demo)),
    };
    router.with_state(config)
}

/// Serves the phone origin until `shutdown`.
pub async fn run(
    listener: tokio::net::TcpListener,
    config: PhoneConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        phone_router(config).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

async fn info(State(config): State<PhoneConfig>) -> Response {
    axum::Json(config).into_response()
}

async fn demo(State(config): State<PhoneConfig>) -> Html<String> {
    let info = serde_json::to_string(&config)
        .unwrap_or_default()
        .replace('<', "\\u003c");
    Html(DEMO.replace("/*INFO*/null", &info))
}

/// The demo page (`web/demo.html`), embedded at build.
const DEMO: &str = include_str!("../../../web/demo.html");
