//! The control API under `/__sim/`: accounts, call stats, the clock, faults, reset, and helpers
//! for automation (OAuth answers, current tickets, media downloads).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use wxjs_platform::ticket::TicketType;

use super::reply::control_error;
use crate::sim::Sim;
use crate::state::{Fault, OAuthAnswer};

pub(super) fn router() -> Router<Sim> {
    Router::new()
        .route("/__sim/openapi.json", get(openapi))
        .route("/__sim/apps", get(apps))
        .route("/__sim/merchants", get(merchants))
        .route("/__sim/stats", get(stats))
        .route("/__sim/clock", get(clock))
        .route("/__sim/clock/advance", post(advance))
        .route(
            "/__sim/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/__sim/reset", post(reset))
        .route("/__sim/oauth/next", post(oauth_next))
        .route("/__sim/tickets/{app_id}", get(tickets))
        .route("/__sim/media/{id}", get(media))
        .route("/__sim/pay/prepay", post(prepay))
        .route("/__sim/pay/notifications", get(notifications))
        .route("/__sim/pay/pay", post(pay))
        // A page the developer visits must not reset the simulator or move its clock.
        .route_layer(axum::middleware::from_fn(wxjs_http::require_json))
}

fn bad_request(message: impl Into<String>) -> Response {
    control_error(StatusCode::BAD_REQUEST, "bad_request", message)
}

/// Parses a JSON body; the error is the message of a 400.
fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, String> {
    wxjs_http::json_object(body).map_err(|r| r.message)
}

/// `GET /__sim/apps` → `[{"appId","appSecret","domains","cards":[{"cardId","type","title"}]}]`:
/// what a back end needs to act as each simulated account.
async fn apps(State(sim): State<Sim>) -> Json<Value> {
    Json(Value::Array(
        sim.accounts()
            .iter()
            .map(|a| {
                let cards: Vec<Value> = a
                    .cards
                    .iter()
                    .map(|c| json!({ "cardId": c.id, "type": c.card_type, "title": c.title }))
                    .collect();
                json!({ "appId": a.app_id, "appSecret": a.app_secret, "domains": a.domains, "cards": cards })
            })
            .collect(),
    ))
}

/// `GET /__sim/merchants` → `[{"mchId","appIds",…keys}]`: every simulated merchant's keys, so
/// that a back end can sign as it (test keys, published on purpose).
async fn merchants(State(sim): State<Sim>) -> Json<Value> {
    use crate::config::PlatformKeyMode;
    let mut by_id: std::collections::BTreeMap<String, (Vec<String>, &crate::config::Merchant)> =
        std::collections::BTreeMap::new();
    for a in sim.accounts() {
        if let Some(m) = &a.merchant {
            by_id
                .entry(m.partner_id.clone())
                .or_insert_with(|| (Vec::new(), m))
                .0
                .push(a.app_id.clone());
        }
    }
    Json(Value::Array(
        by_id
            .into_iter()
            .map(|(id, (app_ids, m))| {
                let keys = sim.platform_keys();
                let pub_key_id = crate::platform_keys::PlatformKeys::public_key_id(&id);
                let (platform_serial, platform_public_key) = match m.platform_key_mode {
                    PlatformKeyMode::Certificate => (
                        keys.certificate_serial().to_owned(),
                        keys.certificate_public_key_pem(),
                    ),
                    PlatformKeyMode::PublicKey | PlatformKeyMode::Switching => {
                        (pub_key_id.clone(), keys.public_key_pem())
                    }
                };
                json!({
                    "mchId": id,
                    "appIds": app_ids,
                    "apiKey": m.api_key,
                    "apiV3Key": m.api_v3_key,
                    "partnerKey": m.partner_key,
                    "paySignKey": m.pay_sign_key,
                    "merchantSerial": m.merchant_serial,
                    "merchantPrivateKey": m.v3_private_key,
                    "merchantPublicKey": m.v3_public_key_pem(),
                    "payDirs": m.pay_dirs,
                    "platformKeyMode": m.platform_key_mode,
                    "platformSerial": platform_serial,
                    "platformPublicKey": platform_public_key,
                    "platformCertificateSerial": keys.certificate_serial(),
                    "platformCertificate": keys.certificate_pem(),
                    "platformCertificatePublicKey": keys.certificate_public_key_pem(),
                    "platformPublicKeyId": pub_key_id,
                    "platformPublicKeyOfId": keys.public_key_pem(),
                })
            })
            .collect(),
    ))
}

/// `GET /__sim/stats` → `{"calls":{"<path>":N}}`.
async fn stats(State(sim): State<Sim>) -> Json<Value> {
    Json(json!({ "calls": sim.read(|s, _| s.stats().clone()) }))
}

async fn clock(State(sim): State<Sim>) -> Json<Value> {
    Json(json!({ "now": sim.now(), "offset": sim.clock().offset() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: i64,
}

/// `POST /__sim/clock/advance {"seconds":N}`: forward only.
async fn advance(State(sim): State<Sim>, body: Bytes) -> Response {
    let a: Advance = match parse(&body) {
        Ok(a) => a,
        Err(m) => return bad_request(m),
    };
    let Ok(secs) = u64::try_from(a.seconds) else {
        return bad_request("seconds must not be negative: the clock only moves forward");
    };
    if secs > 10 * 365 * 86_400 {
        return bad_request("seconds must be at most ten years");
    }
    sim.clock().advance(secs);
    // Persist the new offset (and let expired records go).
    sim.update(|_, _| ());
    Json(json!({ "now": sim.now(), "offset": sim.clock().offset() })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FaultBody {
    path: String,
    errcode: Option<i64>,
    status: Option<u16>,
    delay_ms: Option<u64>,
    #[serde(default)]
    drop: bool,
    code: Option<String>,
    count: Option<u32>,
}

/// `POST /__sim/faults {"path","errcode"|"status"|"delayMs"|"drop","count"}`.
async fn add_fault(State(sim): State<Sim>, body: Bytes) -> Response {
    let f: FaultBody = match parse(&body) {
        Ok(f) => f,
        Err(m) => return bad_request(m),
    };
    if !f.path.starts_with('/') || f.path.len() > 256 {
        return bad_request(
            "path must start with / and be at most 256 bytes (for example /cgi-bin/token)",
        );
    }
    if let Some(code) = &f.code {
        let pay_path = crate::routes::merchant::is_merchant_path(&f.path);
        if !pay_path || f.errcode.is_some() || f.drop {
            return bad_request(
                "code is for WeChat Pay's merchant API paths (/pay/…, /v3/…), with status (v3) at most",
            );
        }
        if code.is_empty()
            || code.len() > 64
            || !code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        {
            return bad_request("code must be an error code like SYSTEMERROR or SYSTEM_ERROR");
        }
    }
    let outcomes = usize::from(f.errcode.is_some())
        + usize::from(f.status.is_some() && f.code.is_none())
        + usize::from(f.drop)
        + usize::from(f.code.is_some());
    if outcomes > 1 {
        return bad_request(
            "give at most one of errcode, status, code and drop (delayMs may go with any; status with code)",
        );
    }
    if outcomes == 0 && f.delay_ms.is_none() {
        return bad_request("give one of errcode, status, code, delayMs or drop");
    }
    if f.status.is_some_and(|s| !(100..=599).contains(&s)) {
        return bad_request("status must be an HTTP status from 100 to 599");
    }
    if f.errcode == Some(0) {
        return bad_request("errcode 0 is not a fault");
    }
    if f.delay_ms.is_some_and(|d| d > 600_000) {
        return bad_request("delayMs must be at most 600000");
    }
    let count = f.count.unwrap_or(1);
    if count == 0 {
        return bad_request("count must be at least 1");
    }
    let fault = Fault {
        path: f.path,
        errcode: f.errcode,
        status: f.status,
        delay_ms: f.delay_ms,
        drop: f.drop,
        code: f.code,
        count,
    };
    match sim.update(|s, _| s.add_fault(fault.clone())) {
        Ok(()) => (StatusCode::CREATED, Json(json!(fault))).into_response(),
        Err(why) => control_error(StatusCode::CONFLICT, "too_many_faults", why),
    }
}

async fn list_faults(State(sim): State<Sim>) -> Json<Value> {
    Json(json!(sim.read(|s, _| s.faults().to_vec())))
}

async fn clear_faults(State(sim): State<Sim>) -> StatusCode {
    sim.update(|s, _| s.clear_faults());
    StatusCode::NO_CONTENT
}

/// `POST /__sim/reset`.
async fn reset(State(sim): State<Sim>) -> StatusCode {
    sim.reset().await;
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OAuthNext {
    app_id: Option<String>,
    action: String,
    user: Option<String>,
}

/// `POST /__sim/oauth/next {"action":"approve"|"refuse","user"?,"appId"?}`: answers the next
/// consent prompt without the page.
async fn oauth_next(State(sim): State<Sim>, body: Bytes) -> Response {
    let n: OAuthNext = match parse(&body) {
        Ok(n) => n,
        Err(m) => return bad_request(m),
    };
    let approve = match n.action.as_str() {
        "approve" => true,
        "refuse" => false,
        other => return bad_request(format!("action must be approve or refuse, not {other:?}")),
    };
    if let Some(app) = &n.app_id
        && sim.account(app).is_none()
    {
        return control_error(
            StatusCode::NOT_FOUND,
            "unknown_app",
            format!("no simulated account {app}"),
        );
    }
    if n.user.as_ref().is_some_and(|u| u.len() > 64) {
        return bad_request("user must be at most 64 bytes");
    }
    match super::oauth::queue(
        &sim,
        OAuthAnswer {
            app_id: n.app_id,
            approve,
            user: n.user,
        },
    ) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(why) => control_error(StatusCode::CONFLICT, "too_many_answers", why),
    }
}

/// `GET /__sim/tickets/{appId}`: the current tickets, for tests that check signatures.
async fn tickets(State(sim): State<Sim>, Path(app_id): Path<String>) -> Response {
    if sim.account(&app_id).is_none() {
        return control_error(
            StatusCode::NOT_FOUND,
            "unknown_app",
            format!("no simulated account {app_id}"),
        );
    }
    let one = |kind| {
        sim.current_ticket(&app_id, kind).map(
            |t| json!({ "ticket": t.value, "issuedAt": t.issued_at, "expiresAt": t.expires_at }),
        )
    };
    Json(json!({
        "jsapi": one(TicketType::Jsapi),
        "wx_card": one(TicketType::WxCard),
        "previous": {
            "jsapi": sim.previous_tickets(&app_id, TicketType::Jsapi),
            "wx_card": sim.previous_tickets(&app_id, TicketType::WxCard),
        },
    }))
    .into_response()
}

/// `GET /__sim/media/{id}`: a medium's bytes (the `video_url` of videos).
async fn media(State(sim): State<Sim>, Path(id): Path<String>) -> Response {
    let rec = sim.read(|s, now| s.media_any(&id, now).cloned());
    match (rec, sim.media_bytes(&id)) {
        (Some(rec), Some(bytes)) => {
            ([(header::CONTENT_TYPE, rec.content_type())], bytes).into_response()
        }
        _ => control_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such media, or it expired",
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PrepayBody {
    app_id: String,
    body: String,
    total_fee: u64,
    out_trade_no: String,
    notify_url: String,
    #[serde(default)]
    attach: String,
    /// `yyyyMMddHHmmss`, Beijing time.
    #[serde(default)]
    time_expire: Option<String>,
}

/// `POST /__sim/pay/prepay {"appId","body","totalFee","outTradeNo","notifyUrl"}` → a prepay id,
/// as a unified order would give a merchant.
async fn prepay(State(sim): State<Sim>, body: Bytes) -> Response {
    let b: PrepayBody = match parse(&body) {
        Ok(b) => b,
        Err(m) => return bad_request(m),
    };
    let Some(account) = sim.account(&b.app_id) else {
        return control_error(
            StatusCode::NOT_FOUND,
            "unknown_app",
            format!("no simulated account {}", b.app_id),
        );
    };
    if account.merchant.is_none() {
        return bad_request(format!("account {} has no merchant", b.app_id));
    }
    // The merchant API's own limits (pay.md): every field is bounded.
    if b.total_fee == 0 || b.total_fee > i32::MAX as u64 {
        return bad_request("totalFee must be a positive amount of fen up to 2147483647");
    }
    if b.body.is_empty() || b.body.len() > 128 {
        return bad_request("body is required, at most 128 bytes");
    }
    if b.out_trade_no.is_empty()
        || b.out_trade_no.len() > 32
        || !b
            .out_trade_no
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'|' | b'*'))
    {
        return bad_request("outTradeNo is required: at most 32 letters, digits, _ - | *");
    }
    if b.notify_url.len() > 256 {
        return bad_request("notifyUrl must be at most 256 bytes");
    }
    if b.attach.len() > 127 {
        return bad_request("attach must be at most 127 bytes");
    }
    let time_expire = match b.time_expire.as_deref() {
        None | Some("") => None,
        Some(t) => match crate::state::parse_beijing_datetime(t) {
            Some(at) => Some(at),
            None => return bad_request("timeExpire must be yyyyMMddHHmmss (Beijing time)"),
        },
    };
    if wxjs_sign::PageUrl::parse(&b.notify_url).is_err() {
        return bad_request("notifyUrl must be an absolute http or https URL");
    }
    if let Err(why) = crate::notify::check_notify_url(&b.notify_url) {
        return bad_request(why);
    }
    let order = crate::state::Order {
        app_id: b.app_id,
        body: b.body,
        total_fee: b.total_fee,
        out_trade_no: b.out_trade_no,
        notify_url: b.notify_url,
        attach: b.attach,
        time_expire,
    };
    match sim.update(|s, now| s.add_order(order, now)) {
        Ok(id) => Json(json!({ "prepayId": id })).into_response(),
        Err(why) => control_error(StatusCode::CONFLICT, "order_refused", why.to_string()),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PayBody {
    prepay_id: String,
    #[serde(default = "success")]
    outcome: String,
}

fn success() -> String {
    "success".into()
}

/// `POST /__sim/pay/pay {"prepayId","outcome":"success"|"fail"}`: what the payment sheet does
/// when the person pays — the order is paid (at most once) and the merchant notified in the
/// form of the API that made the order — without a page. The page-side checks (`paySign`,
/// payment directories) are the emulated app's and are skipped here.
async fn pay(State(sim): State<Sim>, body: Bytes) -> Response {
    let b: PayBody = match parse(&body) {
        Ok(b) => b,
        Err(m) => return bad_request(m),
    };
    let Some(rec) = sim.read(|s, _| s.order_rec(&b.prepay_id).cloned()) else {
        return control_error(
            StatusCode::NOT_FOUND,
            "unknown_prepay_id",
            format!("no order has prepay_id {}", b.prepay_id),
        );
    };
    if sim.now() >= rec.created_at + crate::state::PREPAY_LIFETIME_SECS {
        return control_error(
            StatusCode::CONFLICT,
            "not_payable",
            "the prepay_id has expired: it is valid 2 hours",
        );
    }
    let form = match rec.api {
        crate::state::OrderApi::V3 => crate::pay::PayForm::V3,
        _ => crate::pay::PayForm::V2(
            wxjs_sign::PaySignType::parse(&rec.sign_type).unwrap_or(wxjs_sign::PaySignType::Md5),
        ),
    };
    let pending = crate::pay::PendingPay {
        app_id: rec.order.app_id.clone(),
        form,
        order: rec.order.clone(),
    };
    match b.outcome.as_str() {
        "success" => match sim.pay(&pending) {
            Ok(()) => {
                Json(json!({ "paid": true, "outTradeNo": rec.order.out_trade_no })).into_response()
            }
            Err(why) => control_error(StatusCode::CONFLICT, "not_payable", why),
        },
        "fail" => match sim.pay_failed(&pending, "the payment failed (POST /__sim/pay/pay)") {
            Ok(()) => {
                Json(json!({ "paid": false, "outTradeNo": rec.order.out_trade_no })).into_response()
            }
            Err(why) => control_error(StatusCode::CONFLICT, "not_payable", why),
        },
        other => bad_request(format!("outcome must be success or fail, not {other:?}")),
    }
}

/// `GET /__sim/pay/notifications`: every payment notification and its deliveries.
async fn notifications(State(sim): State<Sim>) -> Json<Value> {
    Json(json!(sim.read(|s, _| s.notifications())))
}

use wxjs_http::openapi::Endpoint;

/// A row of the table.
const fn e(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    example: &'static str,
) -> Endpoint {
    Endpoint::new(method, path, summary, example)
}

/// Every endpoint of the control API.
pub const ENDPOINTS: [Endpoint; 17] = [
    e(
        "GET",
        "/__sim/apps",
        "Every simulated account with its secret, domains and cards",
        "",
    ),
    e(
        "GET",
        "/__sim/merchants",
        "Every simulated merchant with its test keys and payment directories",
        "",
    ),
    e("GET", "/__sim/stats", "Platform calls so far, by path", ""),
    e("GET", "/__sim/clock", "The simulator's clock", ""),
    e(
        "POST",
        "/__sim/clock/advance",
        "Move the clock forward (token, ticket, code, media lifetimes)",
        r#"{"seconds":7200}"#,
    ),
    e(
        "POST",
        "/__sim/faults",
        "Make the next count calls of a path fail that way",
        r#"{"path":"/cgi-bin/token","errcode":-1,"count":2}"#,
    ),
    e("GET", "/__sim/faults", "The faults waiting", ""),
    e("DELETE", "/__sim/faults", "Forget the faults waiting", ""),
    e(
        "POST",
        "/__sim/reset",
        "Forget every token, ticket, code, medium, order and fault",
        "",
    ),
    e(
        "POST",
        "/__sim/oauth/next",
        "Answer the next web-authorisation consent page",
        r#"{"action":"approve","user":"alice","appId":"wxdemo000000000001"}"#,
    ),
    e(
        "GET",
        "/__sim/tickets/{app_id}",
        "The account's current and earlier tickets",
        "",
    ),
    e("GET", "/__sim/media/{id}", "A medium's record", ""),
    e(
        "POST",
        "/__sim/pay/prepay",
        "Create an order; its prepay_id for chooseWXPay",
        r#"{"appId":"wxdemo000000000001","body":"…","totalFee":100,"outTradeNo":"o1","notifyUrl":"http://localhost:8080/__wxjs/demo/notify"}"#,
    ),
    e(
        "GET",
        "/__sim/pay/notifications",
        "Payment notifications sent, with their outcome",
        "",
    ),
    e(
        "POST",
        "/__sim/pay/pay",
        "The app's user pays (or fails to pay) an order, as if in the payment sheet: for back-end tests without a page",
        r#"{"prepayId":"wx…","outcome":"success"}"#,
    ),
    e(
        "GET",
        "/__sim/openapi.json",
        "This list as an OpenAPI document",
        "",
    ),
    e(
        "GET",
        "/cgi-bin/token",
        "The platform API itself (platform.md): token, stable_token, ticket, media, sns…",
        "",
    ),
];

/// `GET /__sim/openapi.json`: the control API as an OpenAPI document.
async fn openapi() -> Json<Value> {
    Json(wxjs_http::openapi::document(
        "wxjs sim: the simulated WeChat platform's control API",
        "Beside the platform API (platform.md) on the same listener. Endpoints that change state take JSON.",
        &ENDPOINTS,
    ))
}
