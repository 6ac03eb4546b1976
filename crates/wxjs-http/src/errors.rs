//! The JSON error shape `{"error":{"code","message"}}` for every error answer, the checks that
//! produce errors of their own (Host, content type, origin), and `nosniff`.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use crate::DropConnection;
use crate::host::HostPolicy;

/// Put in an error response's extensions to send it as it is (the simulator's HTML fault pages
/// imitate a broken gateway on purpose).
#[derive(Debug, Clone, Copy)]
pub struct Verbatim;

/// An error answer: `status` with `{"error":{"code","message"}}`.
pub fn json_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": { "code": code, "message": message.into() } })),
    )
        .into_response()
}

/// The body limit that refused a request, when routes have a lower one than the listener
/// ([`limit_bodies`]): the 413's message names it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimit(pub(crate) usize);

/// Holds the routes of `router` to request bodies of at most `bytes` (below the listener's
/// [`crate::Policy::body_limit`]); a larger body is a 413 whose message names this limit.
pub fn limit_bodies<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
    bytes: usize,
) -> axum::Router<S> {
    router
        .layer(axum::extract::DefaultBodyLimit::max(bytes))
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| async move {
                let mut res = next.run(req).await;
                if res.status() == StatusCode::PAYLOAD_TOO_LARGE
                    && res.extensions().get::<BodyLimit>().is_none()
                {
                    res.extensions_mut().insert(BodyLimit(bytes));
                }
                res
            },
        ))
}

/// A refusal in the JSON error shape, ready to answer.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The HTTP status.
    pub status: StatusCode,
    /// The machine-readable code.
    pub code: &'static str,
    /// What is wrong, for a person.
    pub message: String,
}

impl Refusal {
    /// A refusal.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        json_error(self.status, self.code, self.message)
    }
}

/// The error code for a status, where a handler or a lower layer gave none.
pub(crate) fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        411 => "length_required",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        421 => "host_not_allowed",
        429 => "rate_limited",
        431 => "headers_too_large",
        500..=599 => "internal",
        _ => "error",
    }
}

/// A request's media type: the essence of its `Content-Type` (`application/json` of
/// `application/json; charset=utf-8`), lower-cased; `None` without one.
#[must_use]
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
}

/// A JSON object read as `T`. Only an object: serde reads a struct from an array too, by
/// position (`["o-1","T",1]` would be an order), which no client means. Refused with a 400:
/// `bad_json` when the body is not JSON at all, `bad_request` when it is JSON of another shape.
///
/// # Errors
/// The body is not a JSON object, or does not fit `T`.
pub fn json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    let bad = |code, message: String| Refusal::new(StatusCode::BAD_REQUEST, code, message);
    let object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if !object {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Ok(_) => bad(
                    "bad_request",
                    "invalid JSON body: it must be a JSON object ({…})".into(),
                ),
                Err(e) => bad("bad_json", format!("invalid JSON body: {e}")),
            },
        );
    }
    serde_json::from_slice(body).map_err(|e| {
        let code = if e.is_data() {
            "bad_request"
        } else {
            "bad_json"
        };
        bad(code, format!("invalid JSON body: {e}"))
    })
}

/// A JSON request body: `Content-Type: application/json` is required (a form or `text/plain`
/// body is what a foreign page can send without asking), then the body must be a JSON object
/// that parses as `T` ([`json_object`]).
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, Refusal> {
    let is_json = media_type(headers).as_deref() == Some("application/json");
    if !is_json {
        return Err(Refusal::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be JSON with Content-Type: application/json",
        ));
    }
    json_object(body)
}

/// Refuses a request that a page of another origin sent:
/// - its `Origin` (which browsers send with every POST and every CORS request) must be the
///   origin the request was addressed to, `http(s)://{Host}`;
/// - its `Sec-Fetch-Site` (which browsers send with every request, also where they send no
///   `Origin`: an `<img>`, a `no-cors` fetch, a navigation) must be `same-origin` or `none` (the
///   person typed the address). `same-site` is refused too: another port of `localhost` is the
///   same site.
///
/// Requests with neither header (curl, test runners, back ends) pass.
pub fn same_origin(headers: &HeaderMap) -> Result<(), Refusal> {
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.as_bytes(), b"same-origin" | b"none")
    {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "cross_origin",
            format!(
                "a page of another origin (Sec-Fetch-Site: {}) may not use this endpoint",
                String::from_utf8_lossy(site.as_bytes())
                    .chars()
                    .take(20)
                    .collect::<String>()
            ),
        ));
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = origin.to_str().unwrap_or("");
    let same = host.is_some_and(|h| {
        origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            .is_some_and(|o| o.eq_ignore_ascii_case(h))
    });
    if same {
        Ok(())
    } else {
        Err(Refusal::new(
            StatusCode::FORBIDDEN,
            "cross_origin",
            format!(
                "a page of another origin ({}) may not use this endpoint",
                origin.chars().take(100).collect::<String>()
            ),
        ))
    }
}

pub(crate) struct Guard {
    pub(crate) hosts: HostPolicy,
    pub(crate) body_limit: usize,
}

/// The outermost layer: Host check, JSON errors, `nosniff`.
pub(crate) async fn guard(State(g): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let mut res = match g.hosts.check(req.headers()) {
        Err(refused) => refused.into_response(),
        Ok(()) => {
            let res = next.run(req).await;
            if needs_json(&res) {
                let limit = res
                    .extensions()
                    .get::<BodyLimit>()
                    .map_or(g.body_limit, |l| l.0);
                to_json(res, limit).await
            } else {
                res
            }
        }
    };
    res.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

fn needs_json(res: &Response) -> bool {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return false;
    }
    if res.extensions().get::<Verbatim>().is_some()
        || res.extensions().get::<DropConnection>().is_some()
    {
        return false;
    }
    // Lower layers (axum's rejections, tower-http's limits) answer in plain text or with no
    // body; an HTML error page is a handler's deliberate answer (the platform's own error
    // pages), and JSON is already the shape.
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"))
}

/// Rewrites a plain-text (or empty) error from a lower layer, such as axum's rejections, as the
/// JSON shape, keeping its status, headers such as `Retry-After`, and its text as the message.
async fn to_json(res: Response, body_limit: usize) -> Response {
    let status = res.status();
    let (mut parts, body) = res.into_parts();
    // Lower layers' error texts are short; anything longer is not a message.
    let text = http_body_util::Limited::new(body, 2048)
        .collect()
        .await
        .ok()
        .map(http_body_util::Collected::to_bytes)
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty() && !t.starts_with('<'));
    let message = match (status.as_u16(), text) {
        (413, _) => format!("the body is larger than {body_limit} bytes"),
        (_, Some(t)) => t,
        (_, None) => status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_owned(),
    };
    let json = json_error(status, code_for(status), message);
    let (new_parts, body) = json.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        new_parts
            .headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(HeaderValue::from_static("application/json")),
    );
    Response::from_parts(parts, Body::new(body))
}

/// Middleware for endpoints that change state and take JSON: a request that carries a body
/// must say `Content-Type: application/json` (a foreign page can send a form or `text/plain`
/// body without the browser asking first, never JSON); a bodyless one from a browser (it has
/// an `Origin`) must say so too. curl's `-X POST` without a body passes.
pub async fn require_json(req: Request, next: Next) -> Response {
    if matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    ) {
        return next.run(req).await;
    }
    let h = req.headers();
    let is_json = media_type(h).as_deref() == Some("application/json");
    let has_body = h.contains_key(header::TRANSFER_ENCODING)
        || h.get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() != "0");
    if is_json || (!has_body && !h.contains_key(header::ORIGIN)) {
        return next.run(req).await;
    }
    Refusal::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send JSON with Content-Type: application/json",
    )
    .into_response()
}

/// Middleware form of [`same_origin`].
pub async fn require_same_origin(req: Request, next: Next) -> Response {
    match same_origin(req.headers()) {
        Ok(()) => next.run(req).await,
        Err(refused) => refused.into_response(),
    }
}
