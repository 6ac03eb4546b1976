//! The demo back end: what "your server" does beside the page, on the page's own origin — it
//! downloads media the page uploaded (the access token from the signing service, then the
//! platform's `/cgi-bin/media/get`), orders payments and signs cards through the service, and
//! receives payment notifications from the platform. It is a client of the service and the
//! platform like any back end, over HTTP.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use wxjs_http::Query;

/// Where the demo back end finds the rest of the system.
#[derive(Debug, Clone)]
struct Backend {
    service_url: String,
    platform_url: String,
    app_id: String,
    /// The account's AppSecret: the back end exchanges web-authorisation codes with it.
    app_secret: String,
    api_key: Option<String>,
    http: reqwest::Client,
    received: std::sync::Arc<parking_lot::Mutex<Received>>,
}

impl Backend {
    /// A request to the service's `/v1/{appId}/{path}`, with the back end's API key.
    fn service(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let req = self.http.request(
            method,
            format!("{}/v1/{}/{path}", self.service_url, self.app_id),
        );
        match &self.api_key {
            Some(key) => req.bearer_auth(key),
            None => req,
        }
    }
}

/// The demo back end's routes, to merge into the phone origin: `GET /__wxjs/demo/media/{id}`
/// (same-origin pages only) and `/__wxjs/demo/notify` (the platform posts XML there; `GET`
/// lists what arrived).
pub(crate) fn router(
    service_url: String,
    platform_url: String,
    app_id: String,
    app_secret: String,
    api_key: Option<String>,
) -> Router {
    let state = Backend {
        service_url,
        platform_url,
        app_id,
        app_secret,
        api_key,
        http: reqwest::Client::new(),
        received: std::sync::Arc::default(),
    };
    Router::new()
        .route("/__wxjs/demo/media/{server_id}", get(media))
        .route("/__wxjs/demo/pay/order", post(pay_order))
        .route("/__wxjs/demo/pay/order/{out_trade_no}", get(pay_query))
        .route("/__wxjs/demo/cards/ext", post(card_ext))
        .route("/__wxjs/demo/cards/choose", post(card_choose))
        .route_layer(axum::middleware::from_fn(wxjs_http::require_same_origin))
        .route(
            "/__wxjs/demo/notify",
            post(notify)
                .get(notifications)
                .layer(axum::extract::DefaultBodyLimit::max(NOTIFICATION_LIMIT)),
        )
        .with_state(state)
}

#[derive(Deserialize)]
struct PayOrderBody {
    /// The web-authorisation code the page came back with (`snsapi_base`).
    code: String,
}

fn backend_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(json!({ "error": { "code": code, "message": message.into() } })),
    )
        .into_response()
}

/// Relays an answer of the service, status and JSON as they are.
async fn relay(res: Result<reqwest::Response, reqwest::Error>) -> Response {
    match res {
        Ok(r) => {
            let status =
                StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let body: Value = r.json().await.unwrap_or(Value::Null);
            (status, axum::Json(body)).into_response()
        }
        Err(e) => backend_error(
            StatusCode::BAD_GATEWAY,
            "service_unreachable",
            e.without_url().to_string(),
        ),
    }
}

/// `POST /__wxjs/demo/pay/order {"code"}` (same origin): what a merchant's back end does when
/// the person taps "pay" — the payer's openid from the web-authorisation code (the platform's
/// `/sns/oauth2/access_token` with the AppSecret), then the order through the service, which
/// answers `chooseWXPay`'s parameters. WeChat Pay notifies `/__wxjs/demo/notify` on this origin.
async fn pay_order(
    State(p): State<Backend>,
    headers: axum::http::HeaderMap,
    axum::Json(b): axum::Json<PayOrderBody>,
) -> Response {
    let token = p
        .http
        .get(format!("{}/sns/oauth2/access_token", p.platform_url))
        .query(&[
            ("appid", p.app_id.as_str()),
            ("secret", p.app_secret.as_str()),
            ("code", b.code.as_str()),
            ("grant_type", "authorization_code"),
        ])
        .send()
        .await;
    let grant: Value = match token {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(e) => {
            return backend_error(
                StatusCode::BAD_GATEWAY,
                "platform_unreachable",
                e.without_url().to_string(),
            );
        }
    };
    let Some(openid) = grant["openid"].as_str() else {
        return backend_error(
            StatusCode::BAD_REQUEST,
            "oauth_failed",
            format!("the code gave no openid: {grant}"),
        );
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let out_trade_no = format!(
        "demo{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    let order = json!({
        "outTradeNo": out_trade_no,
        "description": "wxjs demo — 1 fen",
        "total": 1,
        "openid": openid,
        "notifyUrl": format!("http://{host}/__wxjs/demo/notify"),
    });
    let res = relay_post(&p, "pay/orders", &order).await;
    if res.status() != StatusCode::OK {
        return res;
    }
    let body = axum::body::to_bytes(res.into_body(), 64 * 1024)
        .await
        .unwrap_or_default();
    let pay: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    axum::Json(json!({ "outTradeNo": out_trade_no, "openid": openid, "pay": pay })).into_response()
}

/// `GET /__wxjs/demo/pay/order/{no}` (same origin): the order as WeChat Pay reports it, through
/// the service.
async fn pay_query(
    State(p): State<Backend>,
    axum::extract::Path(no): axum::extract::Path<String>,
) -> Response {
    let no = percent_encoding::utf8_percent_encode(&no, percent_encoding::NON_ALPHANUMERIC);
    let req = p.service(reqwest::Method::GET, &format!("pay/orders/{no}"));
    relay(req.send().await).await
}

/// `POST /__wxjs/demo/cards/ext {"cards":[{"cardId"}]}` (same origin): `addCard`'s `cardList`,
/// signed by the service with the card ticket — what a back end does before the page adds cards.
async fn card_ext(State(p): State<Backend>, axum::Json(b): axum::Json<Value>) -> Response {
    relay_post(&p, "cards/ext", &b).await
}

/// `POST /__wxjs/demo/cards/choose {"cardType"?, "cardId"?, "shopId"?}` (same origin):
/// `chooseCard`'s parameters with `cardSign` (`"cardType":"INVOICE"`: `chooseInvoice`'s).
async fn card_choose(State(p): State<Backend>, axum::Json(b): axum::Json<Value>) -> Response {
    relay_post(&p, "cards/choose", &b).await
}

/// Posts `body` to the service's `/v1/{appId}/{path}` with the back end's API key, and relays
/// the answer.
async fn relay_post(p: &Backend, path: &str, body: &Value) -> Response {
    let req = p.service(reqwest::Method::POST, path).json(body);
    relay(req.send().await).await
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
    let req = p.service(reqwest::Method::GET, "credentials/access_token");
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

/// The demo back end's payment notification receiver: records what the platform sent, has the
/// service verify v2 and v3 notifications (signature, decryption) as a real back end would, and
/// answers success — after `?failures=N` failed answers, and never for a notification that is
/// not genuine (a probe, a bad signature), which is answered with an error.
async fn notify(
    State(p): State<Backend>,
    uri: Uri,
    headers: axum::http::HeaderMap,
    Query(q): Query<NotifyQuery>,
    body: Bytes,
) -> Response {
    let v3 = body.first() == Some(&b'{');
    let v2 = !v3 && uri.query().is_none_or(|q| !q.contains("sign=")) && body.starts_with(b"<xml>");
    // v2 and v3 go through the service; the 2014 form is recorded as it came.
    let verified = if v2 || v3 {
        let mut req = p
            .service(reqwest::Method::POST, "pay/notifications")
            .body(body.clone());
        for (k, v) in &headers {
            if k.as_str().starts_with("wechatpay-") || k == header::CONTENT_TYPE {
                req = req.header(k.as_str(), v.as_bytes());
            }
        }
        match req.send().await {
            Ok(r) => {
                let ok = r.status().is_success();
                let v: Value = r.json().await.unwrap_or(Value::Null);
                Some((ok, v))
            }
            Err(e) => Some((
                false,
                json!({ "error": { "message": e.without_url().to_string() } }),
            )),
        }
    } else {
        None
    };
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
    let genuine = verified.as_ref().is_none_or(|(ok, _)| *ok);
    let answer_fail = !genuine || *failed < q.failures;
    if genuine && answer_fail {
        *failed += 1;
    }
    if r.failures.len() > 1000 {
        r.failures.clear();
    }
    if r.notifications.len() >= NOTIFICATIONS_KEPT {
        r.notifications.pop_front();
    }
    let mut entry = json!({
        "form": if v3 { "v3" } else if v2 { "v2" } else { "2014" },
        "query": uri.query().unwrap_or(""),
        "body": String::from_utf8_lossy(&body),
        "answered": if answer_fail { "fail" } else { "success" },
    });
    if let Some((ok, v)) = verified {
        if ok {
            entry["verified"] = true.into();
            entry["tradeState"] = v["transaction"]["trade_state"].clone();
            entry["result"] = v["transaction"]["result_code"].clone();
            entry["outTradeNo"] = v["transaction"]["out_trade_no"].clone();
        } else {
            entry["verified"] = false.into();
            entry["rejected"] = v["error"]["message"].clone();
        }
    }
    r.notifications.push_back(entry);
    match (answer_fail, v3) {
        (true, true) => (StatusCode::UNAUTHORIZED, axum::Json(json!({"code": "FAIL", "message": "not accepted"}))).into_response(),
        (true, false) => (StatusCode::INTERNAL_SERVER_ERROR, "fail").into_response(),
        (false, true) => StatusCode::NO_CONTENT.into_response(),
        (false, false) => "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>".into_response(),
    }
}

async fn notifications(State(p): State<Backend>) -> Response {
    let r = p.received.lock();
    axum::Json(&r.notifications).into_response()
}
