//! The simulator's HTTP surface: the platform API and the control API.

pub(crate) mod control;
mod credentials;
mod media;
pub mod merchant;
mod oauth;
pub mod reply;

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use wxjs_platform::{ErrCode, clear_quota, media as m, oauth as o, stable_token, ticket, token};

use crate::serve::DropConnection;
use crate::sim::Sim;
use reply::{ErrTag, require_get, require_post};

/// Uploads up to this size reach the handler, which answers 40006 above each type's limit.
const UPLOAD_LIMIT: usize = 24 * 1024 * 1024;
/// The listener's hard limit on bodies. Uploads up to it get the platform's own answer (40006
/// above each type's limit); everything else is held to [`CONTROL_LIMIT`].
pub(crate) const BODY_LIMIT: usize = 32 * 1024 * 1024;
/// Bodies of the control API and of the platform's JSON endpoints.
const CONTROL_LIMIT: usize = 256 * 1024;

/// The whole router: platform API (counted, fault-injectable, logged) and control API (logged).
pub fn router(sim: Sim) -> Router {
    let platform = Router::new()
        .route(token::PATH, get(credentials::token).fallback(require_get))
        .route(
            stable_token::PATH,
            axum::routing::post(credentials::stable_token).fallback(require_post),
        )
        .route(ticket::PATH, get(credentials::ticket).fallback(require_get))
        .route(
            clear_quota::PATH,
            axum::routing::post(credentials::clear_quota).fallback(require_post),
        )
        .route(m::GET_PATH, get(media::get).fallback(require_get))
        .route(
            m::GET_JSSDK_PATH,
            get(media::get_jssdk).fallback(require_get),
        )
        .route(o::AUTHORIZE_PATH, get(oauth::authorize).post(oauth::answer))
        .route(
            o::ACCESS_TOKEN_PATH,
            get(oauth::access_token).fallback(require_get),
        )
        .route(
            o::REFRESH_TOKEN_PATH,
            get(oauth::refresh_token).fallback(require_get),
        )
        .route(o::USERINFO_PATH, get(oauth::userinfo).fallback(require_get))
        .route(o::AUTH_PATH, get(oauth::auth).fallback(require_get))
        .route("/cgi-bin/{*rest}", axum::routing::any(unknown_api))
        .route("/sns/{*rest}", axum::routing::any(unknown_api))
        .merge(merchant::router());
    let platform = wxjs_http::limit_bodies(platform, CONTROL_LIMIT)
        .merge(wxjs_http::limit_bodies(
            Router::new().route(
                m::UPLOAD_PATH,
                axum::routing::post(media::upload).fallback(require_post),
            ),
            UPLOAD_LIMIT,
        ))
        .route_layer(middleware::from_fn_with_state(sim.clone(), platform_call));
    Router::new()
        .merge(platform)
        .merge(wxjs_http::limit_bodies(control::router(), CONTROL_LIMIT))
        .fallback(|| async {
            reply::control_error(StatusCode::NOT_FOUND, "not_found", "no such path")
        })
        .layer(middleware::from_fn(durable))
        .layer(middleware::from_fn(log_call))
        .with_state(sim)
}

/// The `/__sim/stats` key of calls to paths the platform does not have.
pub const UNKNOWN_API_LABEL: &str = "(unknown)";

/// An API path the simulator does not know: the platform answers 48001.
async fn unknown_api() -> Response {
    reply::fail(ErrCode::ApiUnauthorized)
}

/// Every platform call: counted in `/__sim/stats`, then subject to the faults set for its path.
async fn platform_call(State(sim): State<Sim>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    // Counted under the API's own path; every path the platform does not know shares one
    // label, so that arbitrary paths cannot grow the statistics.
    let label = match req.extensions().get::<axum::extract::MatchedPath>() {
        Some(m) if !m.as_str().contains('{') => m.as_str().to_owned(),
        _ => UNKNOWN_API_LABEL.to_owned(),
    };
    let fault = sim.update(|s, _| {
        s.count_call(&label);
        s.take_fault(&path)
    });
    let Some(fault) = fault else {
        return next.run(req).await;
    };
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(code) = fault.code.clone() {
        // The merchant API answers it in its own form, once it knows the merchant.
        req.extensions_mut().insert(merchant::MerchantFault {
            code,
            status: fault.status,
        });
        return next.run(req).await;
    }
    if fault.drop {
        let mut res = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        res.extensions_mut().insert(DropConnection);
        return res;
    }
    if let Some(status) = fault.status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = format!("<html><body><h1>{status}</h1><p>simulated fault</p></body></html>");
        // A broken gateway answers HTML, not the JSON error shape: keep it as it is.
        let mut res = (
            status,
            [(axum::http::header::CONTENT_TYPE, "text/html")],
            body,
        )
            .into_response();
        res.extensions_mut().insert(wxjs_http::Verbatim);
        return res;
    }
    if let Some(code) = fault.errcode {
        return reply::fail(ErrCode::from_code(code));
    }
    next.run(req).await
}

/// A request whose change could not be written to disk (a full disk, a read-only volume) is not
/// answered as done: 503, so that no client counts on a change a crash would lose. The change
/// stays in memory and is written with the next one that succeeds.
async fn durable(req: Request, next: Next) -> Response {
    let (res, unpersisted) = crate::sim::UNPERSISTED
        .scope(std::cell::Cell::new(false), async {
            let res = next.run(req).await;
            (res, crate::sim::UNPERSISTED.with(std::cell::Cell::get))
        })
        .await;
    if unpersisted {
        let mut res = reply::control_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_persisted",
            "the simulator could not write its state to disk (see its log): the change is not durable",
        );
        res.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("1"),
        );
        return res;
    }
    res
}

/// One line per call: method, path (never the query: it holds secrets), status, errcode, time.
async fn log_call(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let start = Instant::now();
    let res = next.run(req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let status = res.status().as_u16();
    if res.extensions().get::<DropConnection>().is_some() {
        tracing::info!(target: "wxjs_sim", "{method} {path} dropped {ms:.1}ms");
    } else if let Some(ErrTag(code)) = res.extensions().get::<ErrTag>() {
        tracing::info!(target: "wxjs_sim", "{method} {path} {status} errcode={code} {ms:.1}ms");
    } else {
        tracing::info!(target: "wxjs_sim", "{method} {path} {status} {ms:.1}ms");
    }
    res
}
