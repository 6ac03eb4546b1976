//! Operations: `/healthz`, `/readyz`, `/metrics`, `/openapi.json`.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use wxjs_client::Kind;

use crate::state::AppState;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "{\"status\":\"ok\"}")))]
pub(crate) async fn healthz() -> Response {
    axum::Json(json!({ "status": "ok" })).into_response()
}

/// The store answers and every account's jsapi ticket can be had.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, description = "Ready"), (status = 503, description = "Not ready, with the failing checks")))]
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let creds = &state.0.creds;
    let store = match creds.ping_store().await {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    let mut apps = BTreeMap::new();
    for id in creds.app_ids() {
        let outcome = match creds.get(&id, Kind::JsapiTicket).await {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.to_string(),
        };
        apps.insert(id, outcome);
    }
    let ready = store == "ok" && apps.values().all(|v| v == "ok");
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        axum::Json(json!({
            "status": if ready { "ready" } else { "not_ready" },
            "checks": { "store": store, "apps": apps },
        })),
    )
        .into_response()
}

/// Prometheus text, or OpenMetrics text when the scraper asks for it.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format (OpenMetrics when asked for in Accept)")))]
pub(crate) async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let (content_type, text) = state.0.metrics.render_for(accept);
    ([(header::CONTENT_TYPE, content_type)], text).into_response()
}

/// The `wx` library, in the build the path names.
pub(crate) async fn jweixin(uri: axum::http::Uri) -> Response {
    let Some(build) = wxjs_jssdk::build_at(uri.path()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        build,
    )
        .into_response()
}

/// This document.
pub(crate) async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        axum::body::Bytes::from_static(super::openapi_json().as_bytes()),
    )
        .into_response()
}
