//! The service's routes, its request log and metrics, and the OpenAPI document.

mod backend;
mod ops;
mod page;
mod pay;

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use utoipa::OpenApi;

use crate::error::ApiError;
use crate::state::AppState;

/// Request bodies are small JSON objects.
pub(crate) const BODY_LIMIT: usize = 64 * 1024;

/// The service's router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/v1/{app_id}/jssdk/config",
            get(page::config).options(page::preflight),
        )
        .route(
            "/v1/{app_id}/jssdk/explain",
            post(page::explain).options(page::preflight),
        )
        .route("/v1/{app_id}/cards/ext", post(backend::card_ext))
        .route("/v1/{app_id}/cards/choose", post(backend::choose_card))
        .route("/v1/{app_id}/pay/package", post(backend::pay_package))
        .route("/v1/{app_id}/pay/prepay", post(backend::pay_prepay))
        .route("/v1/{app_id}/pay/orders", post(pay::create_order))
        .route(
            "/v1/{app_id}/pay/orders/{out_trade_no}",
            get(pay::query_order),
        )
        .route("/v1/{app_id}/pay/notifications", post(pay::notification))
        .route("/v1/{app_id}/address", post(backend::address))
        .route("/v1/{app_id}/credentials/{kind}", get(backend::credential))
        .route(
            "/v1/{app_id}/credentials/access_token/refresh",
            post(backend::refresh_token),
        )
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi))
        .route("/jweixin-1.0.0.js", get(ops::jweixin))
        .route("/jweixin-1.6.0.js", get(ops::jweixin))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint (see /openapi.json)",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method (see /openapi.json)",
    )
}

/// Every route of [`router`], as metric labels.
pub(crate) const ROUTES: [&str; 18] = [
    "/v1/{app_id}/jssdk/config",
    "/v1/{app_id}/jssdk/explain",
    "/v1/{app_id}/cards/ext",
    "/v1/{app_id}/cards/choose",
    "/v1/{app_id}/pay/package",
    "/v1/{app_id}/pay/prepay",
    "/v1/{app_id}/pay/orders",
    "/v1/{app_id}/pay/orders/{out_trade_no}",
    "/v1/{app_id}/pay/notifications",
    "/v1/{app_id}/address",
    "/v1/{app_id}/credentials/{kind}",
    "/v1/{app_id}/credentials/access_token/refresh",
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/jweixin-1.0.0.js",
    "/jweixin-1.6.0.js",
];

/// The label of requests no route took.
const UNMATCHED: &str = "unmatched";

/// The label of a matched route.
fn route_label(matched: &str) -> &'static str {
    ROUTES
        .iter()
        .find(|r| **r == matched)
        .copied()
        .unwrap_or(UNMATCHED)
}

/// Counts and times every request, and logs it on one line: method, route, status, time,
/// peer — never the query or the body, which may carry tokens.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Labels come from fixed sets: a new method name or path must not make a new series.
    let method = match *req.method() {
        axum::http::Method::GET => "GET",
        axum::http::Method::POST => "POST",
        axum::http::Method::HEAD => "HEAD",
        axum::http::Method::OPTIONS => "OPTIONS",
        axum::http::Method::PUT => "PUT",
        axum::http::Method::DELETE => "DELETE",
        axum::http::Method::PATCH => "PATCH",
        _ => "other",
    };
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, |m| route_label(m.as_str()));
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let start = Instant::now();
    let res = next.run(req).await;
    let secs = start.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    state.0.metrics.record(route, method, status, secs);
    tracing::info!(method, route = %route, status, ms = secs * 1000.0, peer = ?peer, "request");
    res
}

/// The caller's address: the peer, or the first `X-Forwarded-For` hop behind a trusted proxy.
pub(crate) fn caller_ip(state: &AppState, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    if state.0.trust_forwarded_for
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return ip;
    }
    peer.ip()
}

/// A request body that must be a JSON object read as `T` (`Content-Type: application/json`),
/// or the 400/413/415 that says what is wrong with it. Handlers take it as a `Result` and look
/// at it after authenticating the caller.
pub(crate) struct JsonObject<T>(pub(crate) T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S>
    for JsonObject<T>
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = wxjs_http::media_type(req.headers()).is_some_and(|v| {
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "bad_json",
                "the body must be JSON with Content-Type: application/json",
            ));
        }
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "the body is larger than 64 KiB",
                    )
                } else {
                    ApiError::bad_request("bad_json", e.body_text())
                }
            })?;
        wxjs_http::json_object(&body)
            .map(Self)
            .map_err(|r| ApiError::new(r.status, r.code, r.message))
    }
}

/// The body a handler was sent, once it has authenticated the caller.
pub(crate) fn json_body<T>(body: Result<JsonObject<T>, ApiError>) -> Result<T, ApiError> {
    body.map(|JsonObject(v)| v)
}

#[derive(OpenApi)]
#[openapi(
    info(title = "wxjs service", description = "wx.config signatures for pages; card, payment and address parameters and a central credential server for back ends."),
    paths(
        page::config, page::explain,
        backend::card_ext, backend::choose_card, backend::pay_package, backend::pay_prepay, backend::address,
        pay::create_order, pay::query_order, pay::notification,
        backend::credential, backend::refresh_token,
        ops::healthz, ops::readyz, ops::metrics,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    modifiers(&ApiKeyScheme)
)]
struct ApiDoc;

struct ApiKeyScheme;

impl utoipa::Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI document, written once: generating it takes about 0.25 ms of CPU, which every
/// request for it spent before (a client asking in a loop held a core at 3,500 requests a second).
pub(crate) fn openapi_json() -> &'static str {
    static DOC: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| ApiDoc::openapi().to_pretty_json().unwrap_or_default());
    &DOC
}

/// A JSON answer, serialised once into a 1 KiB buffer (most answers fit), so that it is not
/// grown and copied on the way.
pub(crate) fn json_response<T: serde::Serialize>(v: &T) -> Response {
    let mut buf = Vec::with_capacity(1024);
    match serde_json::to_writer(&mut buf, v) {
        Ok(()) => json_bytes(buf),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise an answer");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the answer could not be written",
            )
            .into_response()
        }
    }
}

/// An answer of JSON already written.
pub(crate) fn json_bytes(json: Vec<u8>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        json,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    /// A route missing from [`super::ROUTES`] would be counted as `unmatched`: every documented
    /// path is there, and nothing else.
    #[test]
    fn every_route_is_a_metric_label() {
        let doc: serde_json::Value = serde_json::from_str(super::openapi_json()).unwrap();
        let mut documented: Vec<String> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .map(|p| {
                p.replace("{appId}", "{app_id}")
                    .replace("{outTradeNo}", "{out_trade_no}")
            })
            .collect();
        // Served but not part of the API document.
        documented
            .extend(["/jweixin-1.0.0.js", "/jweixin-1.6.0.js", "/openapi.json"].map(str::to_owned));
        documented.sort_unstable();
        let mut labels = super::ROUTES.to_vec();
        labels.sort_unstable();
        assert_eq!(documented, labels);
    }
}
