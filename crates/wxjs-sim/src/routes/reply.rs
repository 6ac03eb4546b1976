//! How the simulated platform answers: JSON with `Content-Type: application/json;
//! encoding=utf-8` as the real one, errors with a fresh ` rid: …` suffix, and the errcode tagged
//! on the response for the call log.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use serde::Serialize;
use wxjs_platform::ErrCode;

use crate::state::Fail;

/// The errcode of an answer, kept in its extensions for the one-line call log.
#[derive(Debug, Clone, Copy)]
pub struct ErrTag(pub i64);

/// A request id like the platform's: `5fab84d2-09424a07-00bd7fe3`.
#[must_use]
pub fn rid() -> String {
    let mut r = rand::rng();
    format!(
        "{:08x}-{:08x}-{:08x}",
        r.next_u32(),
        r.next_u32(),
        r.next_u32()
    )
}

fn platform_json(body: impl Serialize, code: i64) -> Response {
    let mut res = Json(body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; encoding=utf-8"),
    );
    res.extensions_mut().insert(ErrTag(code));
    res
}

/// A success answer.
pub fn ok(body: impl Serialize) -> Response {
    platform_json(body, 0)
}

/// An error answer: HTTP 200, `{"errcode":N,"errmsg":"… rid: …"}`.
pub fn fail(f: impl Into<Fail>) -> Response {
    let f = f.into();
    let code = f.code.code();
    platform_json(
        serde_json::json!({ "errcode": code, "errmsg": format!("{} rid: {}", f.errmsg(), rid()) }),
        code,
    )
}

/// An error of the control API: `{"error":{"code","message"}}` with a 4xx status.
pub fn control_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    wxjs_http::json_error(status, code, message)
}

/// 43001 for a POST (or other method) on a GET endpoint.
pub async fn require_get() -> Response {
    fail(ErrCode::RequireGet)
}

/// 43002 for a GET (or other method) on a POST endpoint.
pub async fn require_post() -> Response {
    fail(ErrCode::RequirePost)
}
