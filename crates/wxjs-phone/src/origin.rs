//! The phone origin of `wxjs dev`: where the page lives. It serves the demo page at `/` (or the
//! user's files with `--static DIR`) with the emulated app injected as the first script of
//! every HTML page, the `wx` library at `/jweixin-1.0.0.js`, and the emulated app's
//! endpoints under `/__wxjs/`.

use std::path::{Component, Path, PathBuf};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use wxjs_http::{Query, Refusal};
use wxjs_sim::Sim;

use crate::phone::{InvokeRequest, Os, Phone, UserAnswer};

/// The emulated app, browser half: plain files by concern (no build step), served as one
/// script inside one function scope.
const BRIDGE_JS: &str = concat!(
    "/*! wxjs — the emulated WeChat app, browser half (/__wxjs/bridge.js). Loaded before any other\n",
    " * script, it makes the page a WeChat web view: the user agent, window.WeixinJSBridge, the\n",
    " * WeixinJSBridgeReady event, and the app's UI (top bar, \"…\" menu, share sheet, panels, debug\n",
    " * console) isolated in a shadow DOM. Every invoke goes to the phone origin, which verifies it against\n",
    " * the simulated platform like the real app; automation answers prompts and taps menus.\n",
    " * Sources: crates/wxjs-phone/web/bridge/{transport,dom,ui,console,opentags,devices,protocol}.js */\n",
    "(function () {\n",
    "  \"use strict\";\n",
    include_str!("../web/bridge/transport.js"),
    include_str!("../web/bridge/dom.js"),
    include_str!("../web/bridge/ui.js"),
    include_str!("../web/bridge/console.js"),
    include_str!("../web/bridge/opentags.js"),
    include_str!("../web/bridge/devices.js"),
    include_str!("../web/bridge/protocol.js"),
    "})();\n",
);
/// The demo page (`web/demo.html`).
const DEMO: &str = include_str!("../web/demo.html");
/// The tag injected first into every HTML page.
const BRIDGE_TAG: &str = "<script src=\"/__wxjs/bridge.js\"></script>";

/// Where the phone's pages find the rest of the system.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneConfig {
    /// The signing service (`http://localhost:8082`).
    pub service_url: String,
    /// The simulated platform (`http://localhost:8081`).
    pub platform_url: String,
    /// The demo account.
    pub app_id: String,
    /// The user's pages, served instead of the demo.
    #[serde(skip)]
    pub static_dir: Option<PathBuf>,
    /// The developer's dev server (`--proxy`): everything outside `/__wxjs/` goes there.
    #[serde(skip)]
    pub proxy: Option<crate::proxy::Upstream>,
    /// Android or iOS (`"platform"` in `/__wxjs/info`, as the bridge reads it).
    #[serde(rename = "platform")]
    pub os: Os,
}

#[derive(Debug, Clone)]
struct Origin {
    config: PhoneConfig,
    phone: Phone,
}

/// The phone origin's router.
pub fn phone_router(config: PhoneConfig, sim: Sim) -> Router {
    let phone = Phone::new(sim, config.os);
    let router = Router::new()
        .route("/__wxjs/bridge.js", get(bridge_js))
        .route("/__wxjs/invoke", post(invoke))
        .route("/__wxjs/result", post(result))
        .route("/__wxjs/note", post(note))
        .route("/__wxjs/share/check", post(share_check))
        .route("/__wxjs/events", get(events))
        .route("/__wxjs/pages", get(pages))
        .route("/__wxjs/pages/{id}", axum::routing::delete(close_page))
        .route("/__wxjs/reset", post(reset))
        .route("/__wxjs/miniprogram", get(mini_program))
        .route("/__wxjs/report", get(report))
        .route("/__wxjs/user/next", post(user_next))
        .route("/__wxjs/user/tap", post(user_tap))
        .route("/__wxjs/log", get(log))
        .route("/__wxjs/settings", get(settings).post(set_settings))
        .route("/__wxjs/local", post(add_locals))
        .route("/__wxjs/local/{id}", get(local))
        .route("/__wxjs/samples/{n}", get(sample))
        .route("/__wxjs/wallet", get(wallet))
        .route("/__wxjs/scan", post(scan))
        .route("/__wxjs/voice", post(add_voice))
        .route("/__wxjs/geo", post(geo))
        // Pages of other origins must not drive the phone, nor read what it keeps: every route
        // above is for the phone's own pages (or a test runner, which sends no Origin).
        .route_layer(axum::middleware::from_fn(wxjs_http::require_json))
        .route_layer(axum::middleware::from_fn(wxjs_http::require_same_origin))
        // Documents and scripts that change nothing; a link from elsewhere may open them.
        .route("/__wxjs/", get(index))
        .route("/__wxjs", get(index))
        .route("/__wxjs/openapi.json", get(phone_openapi))
        .route("/__wxjs/info", get(info))
        .route("/__wxjs/device", get(device_view))
        .route(
            "/__wxjs/device.js",
            get(|| async { crate::device_view::script() }),
        )
        .route("/jweixin-1.0.0.js", get(jweixin_js))
        .route("/jweixin-1.6.0.js", get(jweixin_js));
    if let Some(upstream) = config.proxy.clone() {
        let upstream = upstream.with_platform(&config.platform_url);
        // The developer's dev server behind everything the phone does not answer itself.
        return router
            .with_state(Origin { config, phone })
            .fallback_service(axum::routing::any(crate::proxy::forward).with_state(upstream));
    }
    let router = if config.static_dir.is_some() {
        router.fallback(static_file)
    } else {
        router.route("/", get(demo))
    };
    router.with_state(Origin { config, phone })
}

/// Request bodies up to this size: photos and recordings arrive as base64 in JSON.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The phone origin's serving policy: request bodies up to [`BODY_LIMIT`], and any Host (developers
/// map production host names to the phone on purpose).
#[must_use]
pub fn policy() -> wxjs_http::Policy {
    wxjs_http::Policy::default().with_body_limit(BODY_LIMIT)
}

/// Serves `router` (the phone origin's, perhaps with the page's own back end merged in) until
/// `shutdown`, under [`policy`].
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    wxjs_http::serve(listener, router, policy(), shutdown).await
}

/// Serves the phone origin until `shutdown`.
pub async fn run(
    listener: tokio::net::TcpListener,
    config: PhoneConfig,
    sim: Sim,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve(listener, phone_router(config, sim), shutdown).await
}

fn bad_request(message: impl Into<String>) -> Response {
    wxjs_http::json_error(StatusCode::BAD_REQUEST, "bad_request", message)
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, String> {
    wxjs_http::json_object(body).map_err(|r| r.message)
}

/// Puts the bridge's script tag first in the page: right after `<head …>`, else after
/// `<html …>`, else at the very start.
#[must_use]
pub fn inject(html: &str) -> String {
    inject_with_nonce(html, None)
}

/// [`inject`], the bridge's tag carrying `nonce` (a page whose Content-Security-Policy the
/// proxy adjusted to allow it).
#[must_use]
pub fn inject_with_nonce(html: &str, nonce: Option<&str>) -> String {
    let tag = match nonce {
        Some(n) => format!("<script nonce=\"{n}\" src=\"/__wxjs/bridge.js\"></script>"),
        None => BRIDGE_TAG.to_owned(),
    };
    let html = &offline_library(html);
    let lower = html.to_ascii_lowercase();
    let after = |tag: &str| {
        let mut from = 0;
        while let Some(i) = lower[from..].find(tag) {
            let at = from + i;
            let next = lower.as_bytes().get(at + tag.len()).copied();
            if matches!(next, Some(b'>' | b' ' | b'\t' | b'\n' | b'\r')) {
                return lower[at..].find('>').map(|j| at + j + 1);
            }
            from = at + tag.len();
        }
        None
    };
    let at = after("<head").or_else(|| after("<html")).unwrap_or(0);
    let mut out = String::with_capacity(html.len() + tag.len());
    out.push_str(&html[..at]);
    out.push_str(&tag);
    out.push_str(&html[at..]);
    out
}

/// WeChat's CDN hosts of the published library.
const CDN_LIBRARIES: [&str; 2] = [
    "res.wx.qq.com/open/js/jweixin-",
    "res2.wx.qq.com/open/js/jweixin-",
];

/// Points a page's `res.wx.qq.com` / `res2.wx.qq.com` library at wxjs's build of it on this
/// origin, so the page works offline: 1.0.0 gets the 1.0.0 build, every later revision 1.6.0's.
pub fn offline_library(html: &str) -> std::borrow::Cow<'_, str> {
    if !CDN_LIBRARIES.iter().any(|c| html.contains(c)) {
        return std::borrow::Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some((at, prefix)) = CDN_LIBRARIES
        .iter()
        .filter_map(|c| rest.find(c).map(|i| (i, *c)))
        .min_by_key(|(i, _)| *i)
    {
        // The URL's start: https://, http:// or protocol-relative //.
        let before = &rest[..at];
        let start = ["https://", "http://", "//"]
            .iter()
            .find(|s| before.ends_with(*s))
            .map_or(at, |s| at - s.len());
        let after = &rest[at + prefix.len()..];
        let version_len = after
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(after.len());
        let version = after[..version_len].trim_end_matches('.');
        let tail = &after[version.len()..];
        let ext = [".min.js", ".js"].iter().find(|e| tail.starts_with(*e));
        match ext {
            Some(ext) if start < at && !version.is_empty() => {
                out.push_str(&rest[..start]);
                out.push_str(if version == "1.0.0" {
                    "/jweixin-1.0.0.js"
                } else {
                    "/jweixin-1.6.0.js"
                });
                rest = &tail[ext.len()..];
            }
            _ => {
                out.push_str(&rest[..at + prefix.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// `GET /__wxjs/openapi.json`.
async fn phone_openapi() -> Response {
    axum::Json(crate::index::openapi()).into_response()
}

/// `GET /__wxjs/`: the automation API, listed.
async fn index(State(p): State<Origin>) -> Html<String> {
    Html(crate::index::page(
        &p.config.platform_url,
        &p.config.service_url,
    ))
}

async fn info(State(p): State<Origin>) -> Response {
    axum::Json(&p.config).into_response()
}

/// The bridge script; serving it opens a page session (the page is its `Referer`, updated by
/// the page's polls), so a page is listed before its own scripts run.
async fn bridge_js(State(p): State<Origin>, headers: axum::http::HeaderMap) -> Response {
    let url = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let session = p.phone.open_page(url);
    let platform = p.phone.os();
    let settings = p.phone.settings();
    let config = json!({
        "session": session,
        "platform": platform,
        "userAgent": p.phone.user_agent(),
        "environment": p.phone.environment(),
        "clientVersion": p.phone.client_version(),
        "platformUrl": p.config.platform_url,
        "recordLimitMs": settings["recordLimitMs"],
        "microphone": settings["microphone"],
        "permissions": settings["permissions"],
    });
    let js = BRIDGE_JS.replacen(
        "/*CONFIG*/ { platform: \"android\", userAgent: \"MicroMessenger/6.7.3 Android\" }",
        &config.to_string(),
        1,
    );
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        js,
    )
        .into_response()
}

async fn jweixin_js(uri: axum::http::Uri) -> Response {
    match wxjs_jssdk::build_at(uri.path()) {
        Some(build) => (
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            build,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn demo(State(p): State<Origin>) -> Html<String> {
    let mut info = serde_json::to_value(&p.config).unwrap_or_default();
    // The account's cards, for the demo's addCard.
    info["cards"] = p
        .phone
        .sim()
        .account(&p.config.app_id)
        .map(|a| {
            a.cards
                .iter()
                .map(|c| json!({ "cardId": c.id, "cardType": c.card_type, "title": c.title }))
                .collect()
        })
        .unwrap_or_default();
    let info = info.to_string().replace('<', "\\u003c");
    Html(inject(&DEMO.replace("/*INFO*/null", &info)))
}

async fn invoke(State(p): State<Origin>, body: Bytes) -> Response {
    match parse::<InvokeRequest>(&body) {
        Ok(req) => axum::Json(p.phone.invoke(req)).into_response(),
        Err(m) => bad_request(m),
    }
}

#[derive(Deserialize)]
struct ResultBody {
    id: u64,
    result: Value,
}

async fn result(State(p): State<Origin>, body: Bytes) -> Response {
    match parse::<ResultBody>(&body) {
        Ok(r) => {
            match p.phone.record_result(r.id, r.result) {
                // The page gets what was recorded.
                Some(result) => axum::Json(json!({ "result": result })).into_response(),
                None => bad_request("no open call with that id"),
            }
        }
        Err(m) => bad_request(m),
    }
}

#[derive(Deserialize)]
struct NoteBody {
    session: String,
    api: String,
    result: Value,
    /// What the call was about (an open tag's attributes).
    #[serde(default)]
    params: serde_json::Map<String, Value>,
}

async fn note(State(p): State<Origin>, body: Bytes) -> Response {
    match parse::<NoteBody>(&body) {
        Ok(n) => {
            p.phone.note_with(&n.session, &n.api, n.params, n.result);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(m) => bad_request(m),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ShareCheckBody {
    session: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    link: String,
    #[serde(default)]
    img_url: String,
}

/// `POST /__wxjs/share/check`: what would make a share of this content fail or look broken.
async fn share_check(State(p): State<Origin>, body: Bytes) -> Response {
    match parse::<ShareCheckBody>(&body) {
        Ok(b) => axum::Json(json!({
            "warnings": p.phone.share_warnings(&b.session, &b.title, &b.link, &b.img_url)
        }))
        .into_response(),
        Err(m) => bad_request(m),
    }
}

#[derive(Deserialize)]
struct EventsQuery {
    /// The page polling.
    #[serde(default)]
    session: String,
    /// The prompts it has open.
    #[serde(default)]
    open: String,
    /// Where it is now, when that changed.
    url: Option<String>,
    /// Its title, when that changed.
    title: Option<String>,
    /// `1` when it is a frame inside another page.
    #[serde(default)]
    frame: u8,
    /// `1` on its first poll after the back-forward cache restored it.
    #[serde(default)]
    restored: u8,
}

async fn events(State(p): State<Origin>, Query(q): Query<EventsQuery>) -> Response {
    let open: Vec<&str> = q.open.split(',').filter(|s| !s.is_empty()).collect();
    axum::Json(p.phone.events(
        &q.session,
        &open,
        q.url.as_deref(),
        q.title.as_deref(),
        q.frame == 1,
        q.restored == 1,
    ))
    .into_response()
}

/// `GET /__wxjs/pages`: the open pages, in the order they were loaded.
async fn pages(State(p): State<Origin>) -> Response {
    axum::Json(p.phone.pages()).into_response()
}

/// `DELETE /__wxjs/pages/{id}`: the page is going away (its bridge says so on `pagehide`).
async fn close_page(
    State(p): State<Origin>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    p.phone.close_page(&id);
    StatusCode::NO_CONTENT.into_response()
}

/// The published library's statistics beacon, answered here (a 1×1 GIF) so that it never
/// leaves the machine; the call log notes it.
async fn report(State(p): State<Origin>, uri: axum::http::Uri) -> Response {
    const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xf9\x04\x01\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b";
    let query: serde_json::Map<String, Value> =
        url_query(uri.query().unwrap_or("")).into_iter().collect();
    p.phone.note_with(
        "",
        "statistics beacon",
        query,
        json!({ "answered": "by the phone" }),
    );
    ([(header::CONTENT_TYPE, "image/gif")], GIF).into_response()
}

/// A query string as JSON strings (lossy: for the log only).
fn url_query(q: &str) -> Vec<(String, Value)> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .take(32)
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .chars()
                    .take(256)
                    .collect::<String>()
            };
            (dec(k), Value::String(dec(v)))
        })
        .collect()
}

/// `GET /__wxjs/miniprogram`: what the host mini program received.
async fn mini_program(State(p): State<Origin>) -> Response {
    axum::Json(p.phone.mini_program_report()).into_response()
}

/// `POST /__wxjs/reset`: forgets the app's state (see [`Phone::reset`]).
async fn reset(State(p): State<Origin>) -> Response {
    p.phone.reset();
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /__wxjs/user/next {"api","action":"ok"|"cancel"|"fail","data"}`.
async fn user_next(State(p): State<Origin>, body: Bytes) -> Response {
    match parse::<UserAnswer>(&body) {
        Ok(a) => match p.phone.push_answer(a) {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(m) => bad_request(m),
        },
        Err(m) => bad_request(m),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TapBody {
    menu: String,
    /// The page (`GET /__wxjs/pages`); without it, the page loaded most recently.
    page: Option<String>,
}

/// `POST /__wxjs/user/tap {"menu":"share:timeline"|…}`.
async fn user_tap(State(p): State<Origin>, body: Bytes) -> Response {
    match parse::<TapBody>(&body) {
        Ok(t) => match p.phone.tap(&t.menu, t.page.as_deref()) {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(m) => bad_request(m),
        },
        Err(m) => bad_request(m),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoiceBody {
    base64: String,
}

/// `POST /__wxjs/voice {"base64"}`: a recording the page's microphone (or tone) made.
async fn add_voice(State(p): State<Origin>, body: Bytes) -> Response {
    use base64::Engine as _;
    let b: VoiceBody = match parse(&body) {
        Ok(b) => b,
        Err(m) => return bad_request(m),
    };
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b.base64.as_bytes()) else {
        return bad_request("base64 is not base64");
    };
    match p.phone.add_local_voice(bytes.into()) {
        Ok(id) => axum::Json(json!({ "localId": id })).into_response(),
        Err(m) => bad_request(m),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanBody {
    id: u64,
    base64: String,
}

/// `POST /__wxjs/scan {"id","base64"}`: what the camera of an open scanQRCode call sees.
async fn scan(State(p): State<Origin>, body: Bytes) -> Response {
    use base64::Engine as _;
    let b: ScanBody = match parse(&body) {
        Ok(b) => b,
        Err(m) => return bad_request(m),
    };
    let Ok(png) = base64::engine::general_purpose::STANDARD.decode(b.base64.as_bytes()) else {
        return bad_request("base64 is not base64");
    };
    match p.phone.scan(b.id, &png) {
        Ok((result, text)) => axum::Json(json!({ "result": result, "text": text })).into_response(),
        Err(m) => bad_request(m),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GeoBody {
    id: u64,
    #[serde(flatten)]
    fix: crate::phone::Fix,
}

/// `POST /__wxjs/geo {"id","latitude","longitude","accuracy","speed"}`: the browser's fix for an
/// open getLocation call.
async fn geo(State(p): State<Origin>, body: Bytes) -> Response {
    match parse::<GeoBody>(&body).and_then(|g| p.phone.browser_fix(g.id, g.fix)) {
        Ok(result) => axum::Json(json!({ "result": result })).into_response(),
        Err(m) => bad_request(m),
    }
}

/// The simulated user's card wallet.
async fn wallet(State(p): State<Origin>) -> Response {
    axum::Json(p.phone.wallet()).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogQuery {
    /// Only these page sessions (comma-separated).
    session: Option<String>,
    /// Only calls after this one.
    #[serde(default)]
    after: u64,
}

/// `GET /__wxjs/device?url=/page&preset=iphone-14`: the page in a phone-sized frame.
async fn device_view(
    State(p): State<Origin>,
    q: Result<Query<crate::device_view::DeviceQuery>, Refusal>,
) -> Response {
    match q {
        Ok(Query(q)) => crate::device_view::page(p.phone.os(), &q),
        Err(e) => Refusal {
            message: format!(
                "{} (the device view takes url=/path and preset=…)",
                e.message
            ),
            ..e
        }
        .into_response(),
    }
}

/// The call log, or the part of it a page's debug console asks for.
async fn log(State(p): State<Origin>, q: Result<Query<LogQuery>, Refusal>) -> Response {
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => {
            return Refusal {
                message: format!("{} (the log takes session=a,b and after=N)", e.message),
                ..e
            }
            .into_response();
        }
    };
    let sessions: Option<Vec<&str>> = q
        .session
        .as_deref()
        .map(|s| s.split(',').filter(|s| !s.is_empty()).collect());
    axum::Json(p.phone.log_matching(sessions.as_deref(), q.after)).into_response()
}

async fn settings(State(p): State<Origin>) -> Response {
    axum::Json(p.phone.settings()).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SettingsBody {
    platform: Option<String>,
    network_type: Option<String>,
    location: Option<crate::phone::Fix>,
    record_limit_ms: Option<u64>,
    location_source: Option<String>,
    microphone: Option<bool>,
    addresses: Option<Vec<crate::phone::Address>>,
    environment: Option<String>,
    client_version: Option<String>,
    permissions: Option<PermissionsBody>,
}

/// A change of the first-use permissions: only the ones named change.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PermissionsBody {
    location: Option<crate::phone::Permission>,
    microphone: Option<crate::phone::Permission>,
}

async fn set_settings(State(p): State<Origin>, body: Bytes) -> Response {
    let s: SettingsBody = match parse(&body) {
        Ok(s) => s,
        Err(m) => return bad_request(m),
    };
    // Check everything first: a bad value changes nothing.
    let checked = s
        .location
        .as_ref()
        .map_or(Ok(()), Phone::check_location)
        .and_then(|()| match s.record_limit_ms {
            Some(ms) if !(100..=60_000).contains(&ms) => {
                Err("recordLimitMs must be from 100 to 60000".to_owned())
            }
            _ => Ok(()),
        })
        .and_then(|()| match s.location_source.as_deref() {
            Some(src) if src != "browser" && src != "setting" => Err(format!(
                "locationSource must be browser or setting, not {src:?}"
            )),
            _ => Ok(()),
        })
        .and_then(|()| match s.platform.as_deref() {
            Some(pl) if Os::parse(pl).is_none() => {
                Err(format!("platform must be android or ios, not {pl:?}"))
            }
            _ => Ok(()),
        })
        .and_then(|()| match s.network_type.as_deref() {
            Some(n) if !crate::phone::NETWORK_TYPES.contains(&n) => Err(format!(
                "networkType must be one of {}, not {n:?}",
                crate::phone::NETWORK_TYPES.join(", ")
            )),
            _ => Ok(()),
        })
        .and_then(|()| {
            s.addresses
                .as_deref()
                .map_or(Ok(()), Phone::check_addresses)
        })
        .and_then(|()| match s.client_version.as_deref() {
            Some(v) if crate::phone::version_numbers(v).is_none() => {
                Err(format!("clientVersion must look like 8.0.47, not {v:?}"))
            }
            _ => Ok(()),
        })
        .and_then(|()| match s.environment.as_deref() {
            Some(e) if crate::miniprogram::Environment::parse(e).is_none() => Err(format!(
                "environment must be webview or miniprogram, not {e:?}"
            )),
            _ => Ok(()),
        });
    if let Err(m) = checked {
        return bad_request(m);
    }
    let applied = p
        .phone
        .set(s.platform.as_deref(), s.network_type.as_deref())
        .and_then(|()| {
            s.record_limit_ms
                .map_or(Ok(()), |ms| p.phone.set_record_limit(ms))
        })
        .and_then(|()| {
            s.location_source
                .as_deref()
                .map_or(Ok(()), |src| p.phone.set_location_source(src))
        })
        .and_then(|()| s.location.map_or(Ok(()), |f| p.phone.set_location(f)))
        .and_then(|()| s.addresses.map_or(Ok(()), |a| p.phone.set_addresses(a)))
        .and_then(|()| {
            s.client_version
                .as_deref()
                .map_or(Ok(()), |v| p.phone.set_client_version(v))
        });
    if let (Ok(()), Some(on)) = (&applied, s.microphone) {
        p.phone.set_microphone(on);
    }
    if let (Ok(()), Some(perm)) = (&applied, &s.permissions) {
        p.phone.set_permissions(perm.location, perm.microphone);
    }
    if let (Ok(()), Some(env)) = (
        &applied,
        s.environment
            .as_deref()
            .and_then(crate::miniprogram::Environment::parse),
    ) {
        p.phone.set_environment(env);
    }
    match applied {
        Ok(()) => axum::Json(p.phone.settings()).into_response(),
        Err(m) => bad_request(m),
    }
}

/// Photos the person (or automation) chose.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocalsBody {
    #[serde(default)]
    samples: Vec<usize>,
    #[serde(default)]
    files: Vec<FileBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileBody {
    #[serde(default)]
    name: String,
    base64: String,
}

/// `POST /__wxjs/local {"samples":[0],"files":[{"name","base64"}]}` → `{"localIds":[…]}`.
async fn add_locals(State(p): State<Origin>, body: Bytes) -> Response {
    use base64::Engine as _;
    let b: LocalsBody = match parse(&body) {
        Ok(b) => b,
        Err(m) => return bad_request(m),
    };
    if b.samples.len() + b.files.len() > 9 {
        return bad_request("at most 9 photos");
    }
    let mut ids = Vec::new();
    for n in b.samples {
        if n >= crate::device::SAMPLES {
            return bad_request(format!(
                "sample {n} does not exist; there are {}",
                crate::device::SAMPLES
            ));
        }
        match p.phone.add_local(crate::device::sample_png(n).into()) {
            Ok(id) => ids.push(id),
            Err(m) => return bad_request(m),
        }
    }
    for f in b.files {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(f.base64.as_bytes())
        else {
            return bad_request(format!("file {:?} is not base64", f.name));
        };
        match p.phone.add_local(bytes.into()) {
            Ok(id) => ids.push(id),
            Err(m) => return bad_request(format!("file {:?}: {m}", f.name)),
        }
    }
    axum::Json(json!({ "localIds": ids })).into_response()
}

async fn local(
    State(p): State<Origin>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    match p.phone.local(&id) {
        Some(l) => ([(header::CONTENT_TYPE, l.content_type)], l.bytes).into_response(),
        None => (StatusCode::NOT_FOUND, "no such local resource").into_response(),
    }
}

async fn sample(axum::extract::Path(n): axum::extract::Path<String>) -> Response {
    if n == "tone.wav" {
        return (
            [(header::CONTENT_TYPE, "audio/wav")],
            crate::device::tone_wav(1500),
        )
            .into_response();
    }
    match n.trim_end_matches(".png").parse::<usize>() {
        Ok(n) if n < crate::device::SAMPLES => (
            [(header::CONTENT_TYPE, "image/png")],
            crate::device::sample_png(n),
        )
            .into_response(),
        _ => (StatusCode::NOT_FOUND, "no such sample").into_response(),
    }
}

/// A file of `--static DIR`; HTML gets the bridge injected.
async fn static_file(State(p): State<Origin>, req: axum::extract::Request) -> Response {
    let Some(dir) = &p.config.static_dir else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let rel = percent_encoding::percent_decode_str(req.uri().path().trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    let rel = Path::new(&rel);
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let mut path = dir.join(rel);
    if path.is_dir() {
        path = path.join("index.html");
    }
    // History-mode routes of a single-page app (`/orders/7`, no extension, no such file) are
    // the app's index.html, as its own dev server answers them — for a browser asking for a
    // page, not for an API call or a mistyped /__wxjs/ path.
    let wants_page = matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    ) && req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let routed = wants_page
        && !path.exists()
        && !req.uri().path().starts_with("/__wxjs/")
        && rel
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| !n.contains('.'));
    if routed {
        path = dir.join("index.html");
    }
    // A symlink may point anywhere: serve only what really lies inside the directory.
    let inside = match (
        tokio::fs::canonicalize(dir).await,
        tokio::fs::canonicalize(&path).await,
    ) {
        (Ok(root), Ok(real)) => real.starts_with(&root),
        _ => false,
    };
    if !inside {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let html = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    if html {
        // HTML gets the bridge first, so it is read whole.
        return match tokio::fs::read(&path).await {
            Ok(bytes) => Html(inject(&String::from_utf8_lossy(&bytes))).into_response(),
            Err(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
        };
    }
    // Everything else as tower-http serves files: its MIME types, ranges, conditional requests.
    match tower::ServiceExt::oneshot(tower_http::services::ServeFile::new(&path), req).await {
        Ok(res) => res.map(axum::body::Body::new),
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::inject;

    #[test]
    fn the_bridge_goes_first() {
        assert_eq!(
            inject("<html><head><script src=a.js></script></head></html>"),
            "<html><head><script src=\"/__wxjs/bridge.js\"></script><script src=a.js></script></head></html>"
        );
        assert_eq!(
            inject("<!doctype html><HTML lang=zh><HEAD data-x=1><title>t</title>"),
            "<!doctype html><HTML lang=zh><HEAD data-x=1><script src=\"/__wxjs/bridge.js\"></script><title>t</title>"
        );
        assert!(
            inject("<header>x</header>")
                .starts_with("<script src=\"/__wxjs/bridge.js\"></script><header>")
        );
        assert!(inject("<p>bare</p>").starts_with("<script"));
    }

    #[test]
    fn pages_loading_the_library_from_wechat_s_cdn_get_wxjs_s_build() {
        let html = r#"<script src="https://res.wx.qq.com/open/js/jweixin-1.6.0.js"></script><script src="//res2.wx.qq.com/open/js/jweixin-1.0.0.js"></script><script src='http://res.wx.qq.com/open/js/jweixin-1.4.0.min.js'></script>"#;
        assert_eq!(
            super::offline_library(html),
            r#"<script src="/jweixin-1.6.0.js"></script><script src="/jweixin-1.0.0.js"></script><script src='/jweixin-1.6.0.js'></script>"#
        );
        let other = "<p>res.wx.qq.com/open/js/jweixin-notes</p>";
        assert_eq!(super::offline_library(other), other);
    }
}
