//! The demo back end: what "your server" does beside the page, on the page's own origin — it
//! downloads media the page uploaded (the access token from the signing service, then the
//! platform's `/cgi-bin/media/get`) and receives payment notifications from the platform. It is
//! a client of the service and the platform like any back end, over HTTP.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

/// Where the demo back end finds the rest of the system.
#[derive(Debug, Clone)]
struct Backend {
    service_url: String,
    platform_url: String,
    app_id: String,
    api_key: Option<String>,
    http: reqwest::Client,
    received: std::sync::Arc<parking_lot::Mutex<Received>>,
}

/// The demo back end's routes, to merge into the phone origin: `GET /__wxjs/demo/media/{id}`
/// (same-origin pages only) and `/__wxjs/demo/notify` (the platform posts XML there; `GET`
/// lists what arrived).
pub(crate) fn router(
    service_url: String,
    platform_url: String,
    app_id: String,
    api_key: Option<String>,
) -> Router {
    let state = Backend {
        service_url,
        platform_url,
        app_id,
        api_key,
        http: reqwest::Client::new(),
        received: std::sync::Arc::default(),
    };
    Router::new()
        .route("/__wxjs/demo/media/{server_id}", get(media))
        .route_layer(axum::middleware::from_fn(wxjs_http::require_same_origin))
        .route(
            "/__wxjs/demo/notify",
            post(notify)
                .get(notifications)
                .layer(axum::extract::DefaultBodyLimit::max(NOTIFICATION_LIMIT)),
        )
        .with_state(state)
}

/// What the demo back end received, and the failures still to answer per notify URL.
#[derive(Debug, Default)]
struct Received {
    /// The latest [`NOTIFICATIONS_KEPT`], oldest first.
    notifications: std::collections::VecDeque<Value>,
    failures: std::collections::HashMap<String, u32>,
}

/// Notifications the demo back end keeps (the oldest go first).
const NOTIFICATIONS_KEPT: usize = 100;
/// The largest notification the demo back end takes; the platform's are a few hundred bytes.
const NOTIFICATION_LIMIT: usize = 16 * 1024;

/// The demo back end downloads an uploaded medium the way a real back end does: the current access
/// token from the service's credential server, then `/cgi-bin/media/get` on the platform.
async fn media(
    State(p): State<Backend>,
    axum::extract::Path(server_id): axum::extract::Path<String>,
) -> Response {
    let http = &p.http;
    let token_url = format!("{}/v1/{}/credentials/access_token", p.service_url, p.app_id);
    let mut req = http.get(token_url);
    if let Some(key) = &p.api_key {
        req = req.bearer_auth(key);
    }
    let token = match req.send().await {
        Ok(r) => r
            .json::<Value>()
            .await
            .ok()
            .and_then(|v| v["value"].as_str().map(str::to_owned)),
        Err(_) => None,
    };
    let Some(token) = token else {
        return (StatusCode::BAD_GATEWAY, axum::Json(json!({ "error": { "code": "no_token", "message": "the service gave no access token" } }))).into_response();
    };
    let media = http
        .get(format!("{}/cgi-bin/media/get", p.platform_url))
        .query(&[
            ("access_token", token.as_str()),
            ("media_id", server_id.as_str()),
        ])
        .send()
        .await;
    match media {
        Ok(r) => {
            let ct = r.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            let body = r.bytes().await.unwrap_or_default();
            if ct.starts_with("application/json") {
                // The platform's error answer, as is.
                return axum::Json(serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null)).into_response();
            }
            axum::Json(json!({ "mediaId": server_id, "contentType": ct, "size": body.len() })).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, axum::Json(json!({ "error": { "code": "platform_unreachable", "message": e.without_url().to_string() } }))).into_response(),
    }
}

#[derive(Deserialize)]
struct NotifyQuery {
    /// Answer this many deliveries with a failure first (to see the platform retry).
    #[serde(default)]
    failures: u32,
}

/// The demo back end's payment notification receiver: records what the platform sent and
/// answers `success` (after `?failures=N` failed answers).
async fn notify(
    State(p): State<Backend>,
    uri: Uri,
    Query(q): Query<NotifyQuery>,
    body: Bytes,
) -> Response {
    let key = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| kv.starts_with("failures="))
        .collect::<Vec<_>>()
        .join("");
    let mut r = p.received.lock();
    let failed = r
        .failures
        .entry(format!("{key}|{}", q.failures))
        .or_insert(0);
    let answer_fail = *failed < q.failures;
    if answer_fail {
        *failed += 1;
    }
    if r.failures.len() > 1000 {
        r.failures.clear();
    }
    if r.notifications.len() >= NOTIFICATIONS_KEPT {
        r.notifications.pop_front();
    }
    r.notifications.push_back(json!({ "query": uri.query().unwrap_or(""), "body": String::from_utf8_lossy(&body), "answered": if answer_fail { "fail" } else { "success" } }));
    if answer_fail {
        (StatusCode::INTERNAL_SERVER_ERROR, "fail").into_response()
    } else {
        "success".into_response()
    }
}

async fn notifications(State(p): State<Backend>) -> Response {
    let r = p.received.lock();
    axum::Json(&r.notifications).into_response()
}
