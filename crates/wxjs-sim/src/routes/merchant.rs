//! WeChat Pay's merchant API as `https://api.mch.weixin.qq.com` answers it (`pay.md`): v2 (XML,
//! MD5 / HMAC-SHA256 with the API key) and v3 (JSON, SHA256withRSA both ways).

// The checks return the answer to give; a response is what a handler gives anyway.
#![allow(clippy::result_large_err)]

pub use wxjs_sign::parse_v2_xml;

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use wxjs_sign::{ApiV3Key, PayApiKey, PaySignType, V3Authorization, V3PublicKey, WechatpayHeaders};

use crate::config::Merchant;
use crate::pay::{parse_rfc3339, v3_transaction};
use crate::sim::Sim;
use crate::state::{Order, OrderApi, OrderRefusal, Trade, beijing_datetime, openid};

/// v2 paths.
pub const V2_UNIFIEDORDER: &str = "/pay/unifiedorder";
/// v2 order query.
pub const V2_ORDERQUERY: &str = "/pay/orderquery";
/// v2 close.
pub const V2_CLOSEORDER: &str = "/pay/closeorder";
/// v3 JSAPI order.
pub const V3_JSAPI: &str = "/v3/pay/transactions/jsapi";
/// v3 query by order number.
pub const V3_BY_OUT_TRADE_NO: &str = "/v3/pay/transactions/out-trade-no/{out_trade_no}";
/// v3 query by transaction id.
pub const V3_BY_ID: &str = "/v3/pay/transactions/id/{transaction_id}";
/// v3 close.
pub const V3_CLOSE: &str = "/v3/pay/transactions/out-trade-no/{out_trade_no}/close";
/// v3 platform certificates.
pub const V3_CERTIFICATES: &str = "/v3/certificates";

/// Whether a path belongs to WeChat Pay's merchant API.
#[must_use]
pub fn is_merchant_path(path: &str) -> bool {
    path.starts_with("/pay/") || path.starts_with("/v3/")
}

/// A fault set on a merchant API path: the error to answer once the request is authenticated.
#[derive(Debug, Clone)]
pub(crate) struct MerchantFault {
    pub(crate) code: String,
    pub(crate) status: Option<u16>,
}

type Fault = Option<axum::Extension<MerchantFault>>;

/// The merchant API's routes (counted and fault-injectable like every platform call).
pub(crate) fn router() -> Router<Sim> {
    Router::new()
        .route(
            V2_UNIFIEDORDER,
            post(v2_unifiedorder).fallback(v2_wrong_method),
        )
        .route(V2_ORDERQUERY, post(v2_orderquery).fallback(v2_wrong_method))
        .route(V2_CLOSEORDER, post(v2_closeorder).fallback(v2_wrong_method))
        .route(V3_JSAPI, post(v3_jsapi).fallback(v3_wrong_method))
        .route(
            V3_BY_OUT_TRADE_NO,
            get(v3_by_out_trade_no).fallback(v3_wrong_method),
        )
        .route(V3_BY_ID, get(v3_by_id).fallback(v3_wrong_method))
        .route(V3_CLOSE, post(v3_close).fallback(v3_wrong_method))
        .route(
            V3_CERTIFICATES,
            get(v3_certificates).fallback(v3_wrong_method),
        )
        .route("/v3/{*rest}", axum::routing::any(v3_unknown))
}

/// v2 answers every error in its XML, wrong methods included.
async fn v2_wrong_method(method: Method) -> Response {
    v2_return_fail(&format!("请使用POST方法 (POST, not {method})"))
}

/// v3 answers every error as signed `{"code","message"}`, as SDKs verify every answer.
async fn v3_wrong_method(State(sim): State<Sim>, method: Method) -> Response {
    v3_error(
        &sim,
        None,
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!("{method} is not the method of this API"),
    )
}

/// A `/v3/` path WeChat Pay does not have.
async fn v3_unknown(State(sim): State<Sim>) -> Response {
    v3_error(
        &sim,
        None,
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        "no such API (the simulator has JSAPI orders, queries, close and certificates)",
    )
}

/// A path segment of a v3 API (an order number, a transaction id), or the signed error for one
/// that is not UTF-8 once percent-decoded.
fn v3_segment(sim: &Sim, p: Result<Path<String>, PathRejection>) -> Result<String, Response> {
    p.map(|Path(s)| s).map_err(|_| {
        v3_error(
            sim,
            None,
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "the path is not UTF-8 once percent-decoded",
        )
    })
}

/// The merchant with this id, and the accounts bound to it.
fn merchant(sim: &Sim, mch_id: &str) -> Option<(Merchant, Vec<String>)> {
    let mut found: Option<(Merchant, Vec<String>)> = None;
    for a in sim.accounts() {
        if let Some(m) = a.merchant.as_ref().filter(|m| m.partner_id == mch_id) {
            found
                .get_or_insert_with(|| (m.clone(), Vec::new()))
                .1
                .push(a.app_id.clone());
        }
    }
    found
}

/// Whether `candidate` is the openid of one of the simulated users on `app_id`.
fn is_openid_of(sim: &Sim, app_id: &str, candidate: &str) -> bool {
    sim.users()
        .iter()
        .any(|u| openid(app_id, &u.id) == candidate)
}

// ---- v2 ----------------------------------------------------------------------------------------

/// A v2 answer: the fields as XML, signed with the merchant's key when one is given.
fn v2_reply(
    mut fields: BTreeMap<String, String>,
    key: Option<(&PayApiKey, PaySignType)>,
) -> Response {
    if let Some((key, sign_type)) = key {
        fields.insert("nonce_str".into(), wxjs_sign::nonce_str());
        let sign = wxjs_sign::sign_v2_fields(&fields, sign_type, key);
        fields.insert("sign".into(), sign);
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        wxjs_sign::write_v2_xml(&fields),
    )
        .into_response()
}

/// `return_code` FAIL: the request did not get through (format, signature).
fn v2_return_fail(msg: &str) -> Response {
    v2_reply(
        BTreeMap::from([
            ("return_code".into(), "FAIL".into()),
            ("return_msg".into(), msg.into()),
        ]),
        None,
    )
}

/// A v2 request that passed the merchant, signature and account checks.
struct V2Request {
    fields: BTreeMap<String, String>,
    merchant: Merchant,
    key: PayApiKey,
    sign_type: PaySignType,
}

impl V2Request {
    fn get(&self, k: &str) -> &str {
        self.fields.get(k).map_or("", String::as_str)
    }

    /// A signed answer: `return_code` SUCCESS, then the result.
    fn reply(&self, mut fields: BTreeMap<String, String>) -> Response {
        fields.insert("return_code".into(), "SUCCESS".into());
        fields.insert("return_msg".into(), "OK".into());
        fields.insert("appid".into(), self.get("appid").to_owned());
        fields.insert("mch_id".into(), self.merchant.partner_id.clone());
        v2_reply(fields, Some((&self.key, self.sign_type)))
    }

    /// A business failure: `result_code` FAIL with `err_code`.
    fn fail(&self, code: &str, des: impl Into<String>) -> Response {
        self.reply(BTreeMap::from([
            ("result_code".into(), "FAIL".into()),
            ("err_code".into(), code.into()),
            ("err_code_des".into(), des.into()),
        ]))
    }
}

/// The checks every v2 call makes before its own: a document, a known merchant, a valid
/// signature, an account bound to the merchant; then a fault set for the path.
fn v2_request(sim: &Sim, body: &[u8], fault: Fault) -> Result<V2Request, Response> {
    let fields =
        parse_v2_xml(body).map_err(|why| v2_return_fail(&format!("XML格式错误: {why}")))?;
    let mch_id = fields.get("mch_id").cloned().unwrap_or_default();
    if mch_id.is_empty() {
        return Err(v2_return_fail("mch_id参数缺失"));
    }
    let Some((merchant, app_ids)) = merchant(sim, &mch_id) else {
        return Err(v2_reply(
            BTreeMap::from([
                ("return_code".into(), "SUCCESS".into()),
                ("return_msg".into(), "OK".into()),
                ("result_code".into(), "FAIL".into()),
                ("err_code".into(), "MCHID_NOT_EXIST".into()),
                ("err_code_des".into(), "商户号不存在".into()),
            ]),
            None,
        ));
    };
    let sign_type = match fields.get("sign_type").map(String::as_str) {
        None | Some("") => PaySignType::Md5,
        Some(t) => PaySignType::parse(t).ok_or_else(|| v2_return_fail("sign_type参数格式错误"))?,
    };
    let key = PayApiKey::new(merchant.api_key.clone());
    if merchant.api_key.is_empty() {
        return Err(v2_return_fail(
            "商户未设置API密钥 (the simulated merchant has no api_key)",
        ));
    }
    if fields.get("nonce_str").is_none_or(String::is_empty) {
        return Err(v2_return_fail("nonce_str参数缺失"));
    }
    if !wxjs_sign::verify_v2_fields(&fields, sign_type, &key) {
        return Err(v2_return_fail("签名错误"));
    }
    let req = V2Request {
        fields,
        merchant,
        key,
        sign_type,
    };
    let app_id = req.get("appid").to_owned();
    if app_id.is_empty() {
        return Err(req.fail("PARAM_ERROR", "appid参数缺失"));
    }
    if sim.account(&app_id).is_none() {
        return Err(req.fail("APPID_NOT_EXIST", "APPID不存在"));
    }
    if !app_ids.contains(&app_id) {
        return Err(req.fail("APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配"));
    }
    match v2_fault(&req, fault) {
        Some(res) => Err(res),
        None => Ok(req),
    }
}

/// A fault set for this path, answered as a v2 business error.
fn v2_fault(req: &V2Request, fault: Fault) -> Option<Response> {
    let f = fault?.0;
    let des = match f.code.as_str() {
        "SYSTEMERROR" => "系统错误",
        "NOAUTH" => "商户无此接口权限",
        other => other,
    }
    .to_owned();
    Some(req.fail(&f.code, des))
}

fn refusal_v2(req: &V2Request, r: &OrderRefusal) -> Response {
    match r {
        OrderRefusal::Paid(_) => req.fail("ORDERPAID", "该订单已支付"),
        OrderRefusal::Closed(_) => req.fail("ORDERCLOSED", "该订单已关闭"),
        OrderRefusal::NumberUsed(_) => req.fail("OUT_TRADE_NO_USED", "商户订单号重复"),
    }
}

/// `POST /pay/unifiedorder`.
async fn v2_unifiedorder(State(sim): State<Sim>, fault: Fault, body: Bytes) -> Response {
    let req = match v2_request(&sim, &body, fault) {
        Ok(r) => r,
        Err(res) => return res,
    };
    for field in [
        "body",
        "out_trade_no",
        "total_fee",
        "spbill_create_ip",
        "notify_url",
        "trade_type",
    ] {
        if req.get(field).is_empty() {
            return req.fail("PARAM_ERROR", format!("{field}参数缺失"));
        }
    }
    if req.get("trade_type") != "JSAPI" {
        return req.fail(
            "PARAM_ERROR",
            "trade_type参数格式错误 (the simulator takes JSAPI orders)",
        );
    }
    let app_id = req.get("appid").to_owned();
    let payer = req.get("openid").to_owned();
    if payer.is_empty() {
        return req.fail("PARAM_ERROR", "JSAPI支付必须传openid");
    }
    if !is_openid_of(&sim, &app_id, &payer) {
        return req.fail("PARAM_ERROR", "appid和openid不匹配");
    }
    let total_fee = match wxjs_platform::pay::parse_fee(req.get("total_fee")) {
        Some(n) if n > 0 => n,
        _ => {
            return req.fail(
                "PARAM_ERROR",
                "total_fee参数格式错误: a positive number of fen",
            );
        }
    };
    if !matches!(req.get("fee_type"), "" | "CNY") {
        return req.fail("PARAM_ERROR", "fee_type参数格式错误: CNY");
    }
    let out_trade_no = req.get("out_trade_no").to_owned();
    if !wxjs_platform::pay::valid_out_trade_no(&out_trade_no) {
        return req.fail(
            "PARAM_ERROR",
            "out_trade_no参数格式错误: at most 32 letters, digits, _ - | *",
        );
    }
    if req.get("body").len() > 128 || req.get("attach").len() > 127 {
        return req.fail(
            "PARAM_ERROR",
            "body (128 bytes) or attach (127 bytes) too long",
        );
    }
    let notify_url = req.get("notify_url").to_owned();
    if notify_url.len() > 256 || crate::notify::check_notify_url(&notify_url).is_err() {
        return req.fail(
            "PARAM_ERROR",
            "notify_url参数格式错误: an http or https URL",
        );
    }
    let time = |k: &str| -> Result<Option<u64>, Response> {
        match req.get(k) {
            "" => Ok(None),
            t => crate::state::parse_beijing_datetime(t)
                .map(Some)
                .ok_or_else(|| req.fail("PARAM_ERROR", format!("{k}参数格式错误: yyyyMMddHHmmss"))),
        }
    };
    let (start, expire) = match (time("time_start"), time("time_expire")) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    if let Some(e) = expire
        && e < start.unwrap_or_else(|| sim.now()) + 60
    {
        return req.fail("PARAM_ERROR", "time_expire时间过短，至少1分钟");
    }
    let order = Order {
        app_id: app_id.clone(),
        body: req.get("body").to_owned(),
        total_fee,
        out_trade_no,
        notify_url,
        attach: req.get("attach").to_owned(),
        time_expire: expire,
    };
    let mch_id = req.merchant.partner_id.clone();
    let sign_type = req.sign_type.as_str().to_owned();
    match sim
        .update(|s, now| s.add_merchant_order(order, mch_id, OrderApi::V2, sign_type, payer, now))
    {
        Ok(prepay_id) => req.reply(BTreeMap::from([
            ("result_code".into(), "SUCCESS".into()),
            ("trade_type".into(), "JSAPI".into()),
            ("prepay_id".into(), prepay_id),
        ])),
        Err(r) => refusal_v2(&req, &r),
    }
}

/// The trade a v2 query or close names (`out_trade_no` or `transaction_id`).
fn v2_trade(sim: &Sim, req: &V2Request) -> Result<Trade, Response> {
    let mch = &req.merchant.partner_id;
    let found = match (req.get("transaction_id"), req.get("out_trade_no")) {
        ("", "") => {
            return Err(req.fail("PARAM_ERROR", "out_trade_no或transaction_id参数缺失"));
        }
        ("", no) => sim.read(|s, now| s.trade_by_out_trade_no(mch, no, now)),
        (id, _) => sim.read(|s, now| s.trade_by_transaction_id(mch, id, now)),
    };
    found
        .filter(|t| t.rec.order.app_id == req.get("appid"))
        .ok_or_else(|| req.fail("ORDERNOTEXIST", "订单不存在"))
}

/// `POST /pay/orderquery`.
async fn v2_orderquery(State(sim): State<Sim>, fault: Fault, body: Bytes) -> Response {
    let req = match v2_request(&sim, &body, fault) {
        Ok(r) => r,
        Err(res) => return res,
    };
    let trade = match v2_trade(&sim, &req) {
        Ok(t) => t,
        Err(res) => return res,
    };
    let o = &trade.rec.order;
    let mut f = BTreeMap::from([
        ("result_code".into(), "SUCCESS".into()),
        ("trade_state".into(), trade.state.as_str().to_owned()),
        ("trade_state_desc".into(), trade.state.desc().to_owned()),
        ("out_trade_no".into(), o.out_trade_no.clone()),
        ("total_fee".into(), o.total_fee.to_string()),
        ("attach".into(), o.attach.clone()),
        ("trade_type".into(), "JSAPI".into()),
        ("fee_type".into(), "CNY".into()),
    ]);
    if let Some(p) = &trade.paid {
        f.insert("transaction_id".into(), p.transaction_id.clone());
        f.insert("cash_fee".into(), p.total_fee.to_string());
        f.insert("time_end".into(), beijing_datetime(p.paid_at));
        f.insert("openid".into(), p.openid.clone());
        f.insert("bank_type".into(), "OTHERS".into());
        f.insert("is_subscribe".into(), "Y".into());
    } else if !trade.rec.payer.is_empty() {
        f.insert("openid".into(), trade.rec.payer.clone());
    }
    req.reply(f)
}

/// `POST /pay/closeorder`.
async fn v2_closeorder(State(sim): State<Sim>, fault: Fault, body: Bytes) -> Response {
    let req = match v2_request(&sim, &body, fault) {
        Ok(r) => r,
        Err(res) => return res,
    };
    if req.get("out_trade_no").is_empty() {
        return req.fail("PARAM_ERROR", "out_trade_no参数缺失");
    }
    if let Err(res) = v2_trade(&sim, &req) {
        return res;
    }
    let mch = req.merchant.partner_id.clone();
    let no = req.get("out_trade_no").to_owned();
    match sim.update(|s, now| s.close_order(&mch, &no, now)) {
        Ok(()) => req.reply(BTreeMap::from([("result_code".into(), "SUCCESS".into())])),
        Err(Some(r)) => refusal_v2(&req, &r),
        Err(None) => req.fail("ORDERNOTEXIST", "订单不存在"),
    }
}

// ---- v3 ----------------------------------------------------------------------------------------

fn real_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A v3 answer, signed as the platform signs (`Wechatpay-*`), a 204's empty body included.
fn v3_reply(
    sim: &Sim,
    merchant: Option<&Merchant>,
    status: StatusCode,
    body: Option<&Value>,
) -> Response {
    let text = body.map(Value::to_string).unwrap_or_default();
    let mode = merchant.map(|m| m.platform_key_mode).unwrap_or_default();
    let mch = merchant.map_or("", |m| m.partner_id.as_str());
    let (key, serial) = sim.platform_keys().signer(mode, mch);
    let h = WechatpayHeaders::sign(
        key,
        &serial,
        real_now(),
        &wxjs_sign::nonce_str(),
        text.as_bytes(),
    );
    let mut res = if body.is_some() {
        (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            text,
        )
            .into_response()
    } else {
        status.into_response()
    };
    let headers = res.headers_mut();
    let request_id = ("Request-ID", wxjs_sign::nonce_of_len(32));
    for (k, v) in h.into_pairs().into_iter().chain([request_id]) {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k), HeaderValue::from_str(&v)) {
            headers.insert(k, v);
        }
    }
    res
}

fn v3_error(
    sim: &Sim,
    merchant: Option<&Merchant>,
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
) -> Response {
    v3_reply(
        sim,
        merchant,
        status,
        Some(&json!({ "code": code, "message": message.into() })),
    )
}

/// A v3 request that passed authentication.
struct V3Request {
    merchant: Merchant,
    app_ids: Vec<String>,
}

/// `401 SIGN_ERROR`, with what the simulator expected (a debugging aid no real platform gives).
fn sign_error(sim: &Sim, merchant: Option<&Merchant>, why: &str, detail: Value) -> Response {
    v3_reply(
        sim,
        merchant,
        StatusCode::UNAUTHORIZED,
        Some(&json!({
            "code": "SIGN_ERROR",
            "message": format!("错误的签名，验签失败: {why}"),
            "detail": detail,
        })),
    )
}

/// Authenticates a v3 request: the `Authorization` header's merchant, serial, timestamp (within
/// 5 minutes of real time) and signature over `METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY\n`; then a
/// fault set for the path.
fn v3_request(
    sim: &Sim,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    fault: Fault,
) -> Result<V3Request, Response> {
    let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let auth = V3Authorization::parse(header).map_err(|e| {
        sign_error(
            sim,
            None,
            &e.to_string(),
            json!({ "header": "Authorization" }),
        )
    })?;
    let Some((merchant, app_ids)) = merchant(sim, &auth.mchid) else {
        return Err(sign_error(
            sim,
            None,
            &format!("mchid {} is no simulated merchant", auth.mchid),
            json!({ "mchid": auth.mchid }),
        ));
    };
    if !merchant.merchant_serial.is_empty()
        && !auth
            .serial_no
            .eq_ignore_ascii_case(&merchant.merchant_serial)
    {
        return Err(sign_error(
            sim,
            Some(&merchant),
            "serial_no is not the serial of the merchant's API certificate",
            json!({ "serial_no": auth.serial_no, "expected_serial_no": merchant.merchant_serial }),
        ));
    }
    let now = real_now();
    if auth.timestamp.abs_diff(now) > 300 {
        return Err(sign_error(
            sim,
            Some(&merchant),
            "timestamp is more than 5 minutes from the platform's time",
            json!({ "timestamp": auth.timestamp, "platform_time": now }),
        ));
    }
    let Some(public) = merchant
        .v3_public_key_pem()
        .and_then(|p| V3PublicKey::from_pem(&p).ok())
    else {
        return Err(sign_error(
            sim,
            Some(&merchant),
            "the simulated merchant has no v3 key (v3_private_key or v3_public_key)",
            Value::Null,
        ));
    };
    if !auth.verify(&public, method.as_str(), path, body) {
        let expected =
            String::from_utf8_lossy(&auth.message(method.as_str(), path, body)).into_owned();
        return Err(sign_error(
            sim,
            Some(&merchant),
            "the signature does not verify with the merchant's public key over the message in detail.signed_message",
            json!({ "signed_message": expected, "method": method.as_str(), "url": path }),
        ));
    }
    let req = V3Request { merchant, app_ids };
    match v3_fault(sim, &req, fault) {
        Some(res) => Err(res),
        None => Ok(req),
    }
}

/// A fault set for this path, answered as a v3 error.
fn v3_fault(sim: &Sim, req: &V3Request, fault: Fault) -> Option<Response> {
    let f = fault?.0;
    let (default, message) = match f.code.as_str() {
        "SYSTEM_ERROR" | "SYSTEMERROR" => (500, "系统错误"),
        "FREQUENCY_LIMITED" => (429, "频率超限"),
        "NO_AUTH" | "NOAUTH" => (403, "商户无权限"),
        _ => (400, "simulated fault"),
    };
    let status = StatusCode::from_u16(f.status.unwrap_or(default))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Some(v3_error(sim, Some(&req.merchant), status, &f.code, message))
}

fn text<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// `POST /v3/pay/transactions/jsapi`.
async fn v3_jsapi(
    State(sim): State<Sim>,
    fault: Fault,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = match v3_request(&sim, &method, &uri, &headers, &body, fault) {
        Ok(r) => r,
        Err(res) => return res,
    };
    let m = Some(&req.merchant);
    let bad = |msg: String| v3_error(&sim, m, StatusCode::BAD_REQUEST, "PARAM_ERROR", msg);
    let Ok(b) = serde_json::from_slice::<Value>(&body) else {
        return bad("the body is not JSON".into());
    };
    if !b.is_object() {
        return bad("the body must be a JSON object".into());
    }
    for field in [
        "appid",
        "mchid",
        "description",
        "out_trade_no",
        "notify_url",
    ] {
        if text(&b, field).is_empty() {
            return bad(format!(
                "输入源“/body/{field}”映射到字段“{field}”必填性规则校验失败，此字段为必填项"
            ));
        }
    }
    if text(&b, "mchid") != req.merchant.partner_id {
        return bad("mchid in the body is not the mchid of the Authorization header".into());
    }
    let app_id = text(&b, "appid").to_owned();
    if !req.app_ids.contains(&app_id) {
        return v3_error(
            &sim,
            m,
            StatusCode::BAD_REQUEST,
            "APPID_MCHID_NOT_MATCH",
            "appid和mch_id不匹配",
        );
    }
    let total = b.pointer("/amount/total").and_then(Value::as_u64);
    let Some(total) = total.filter(|t| *t > 0 && *t <= i32::MAX as u64) else {
        return bad("amount.total must be a positive integer number of fen".into());
    };
    if !matches!(
        b.pointer("/amount/currency").and_then(Value::as_str),
        None | Some("CNY")
    ) {
        return bad("amount.currency must be CNY".into());
    }
    let payer = b
        .pointer("/payer/openid")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if payer.is_empty() {
        return bad(
            "输入源“/body/payer/openid”映射到字段“openid”必填性规则校验失败，此字段为必填项".into(),
        );
    }
    if !is_openid_of(&sim, &app_id, &payer) {
        return bad(
            "openid is not an openid of this appid (get it by web authorisation on the same appid)"
                .into(),
        );
    }
    let out_trade_no = text(&b, "out_trade_no").to_owned();
    if !wxjs_platform::pay::valid_out_trade_no(&out_trade_no) {
        return bad("out_trade_no: 6 to 32 letters, digits, _ - | *".into());
    }
    if text(&b, "description").len() > 127 || text(&b, "attach").len() > 128 {
        return bad("description (127 bytes) or attach (128 bytes) too long".into());
    }
    let notify_url = text(&b, "notify_url").to_owned();
    if notify_url.len() > 255 || crate::notify::check_notify_url(&notify_url).is_err() {
        return bad("notify_url must be an http or https URL".into());
    }
    let time_expire = match b.get("time_expire").and_then(Value::as_str) {
        None | Some("") => None,
        Some(t) => match parse_rfc3339(t) {
            Some(at) => Some(at),
            None => {
                return bad("time_expire must be RFC 3339, e.g. 2026-06-08T10:34:56+08:00".into());
            }
        },
    };
    // As v2 answers: an order must stay payable for a minute at least.
    if let Some(at) = time_expire
        && at < sim.now() + 60
    {
        return bad(
            "time_expire时间过短，至少1分钟 (time_expire must be a minute or more from now)".into(),
        );
    }
    let order = Order {
        app_id,
        body: text(&b, "description").to_owned(),
        total_fee: total,
        out_trade_no,
        notify_url,
        attach: text(&b, "attach").to_owned(),
        time_expire,
    };
    let mch = req.merchant.partner_id.clone();
    match sim
        .update(|s, now| s.add_merchant_order(order, mch, OrderApi::V3, String::new(), payer, now))
    {
        Ok(prepay_id) => v3_reply(
            &sim,
            m,
            StatusCode::OK,
            Some(&json!({ "prepay_id": prepay_id })),
        ),
        Err(OrderRefusal::Paid(_)) => {
            v3_error(&sim, m, StatusCode::FORBIDDEN, "ORDERPAID", "该订单已支付")
        }
        Err(OrderRefusal::Closed(_)) => v3_error(
            &sim,
            m,
            StatusCode::BAD_REQUEST,
            "ORDER_CLOSED",
            "订单已关闭",
        ),
        Err(OrderRefusal::NumberUsed(_)) => v3_error(
            &sim,
            m,
            StatusCode::FORBIDDEN,
            "OUT_TRADE_NO_USED",
            "商户订单号重复",
        ),
    }
}

#[derive(serde::Deserialize)]
struct MchQuery {
    #[serde(default)]
    mchid: String,
}

/// A v3 order query (`GET …?mchid=`): authenticated, then the query's `mchid` must be the
/// caller's, then the trade `find` finds for the caller's merchant, or `ORDER_NOT_EXIST`.
fn v3_query(
    sim: &Sim,
    fault: Fault,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    find: impl FnOnce(&crate::state::State, &str, u64) -> Option<Trade>,
) -> Response {
    let req = match v3_request(sim, method, uri, headers, b"", fault) {
        Ok(r) => r,
        Err(res) => return res,
    };
    let m = Some(&req.merchant);
    let mchid = Query::<MchQuery>::try_from_uri(uri).map_or_else(|_| String::new(), |q| q.0.mchid);
    if mchid != req.merchant.partner_id {
        return v3_error(
            sim,
            m,
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "mchid in the query is not the mchid of the Authorization header",
        );
    }
    let trade = sim.read(|s, now| find(s, &req.merchant.partner_id, now));
    match trade {
        Some(t) => v3_reply(sim, m, StatusCode::OK, Some(&v3_transaction(&t))),
        None => v3_error(
            sim,
            m,
            StatusCode::NOT_FOUND,
            "ORDER_NOT_EXIST",
            "订单不存在",
        ),
    }
}

/// `GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=`.
async fn v3_by_out_trade_no(
    State(sim): State<Sim>,
    fault: Fault,
    no: Result<Path<String>, PathRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let no = match v3_segment(&sim, no) {
        Ok(v) => v,
        Err(r) => return r,
    };
    v3_query(&sim, fault, &method, &uri, &headers, |s, mch, now| {
        s.trade_by_out_trade_no(mch, &no, now)
    })
}

/// `GET /v3/pay/transactions/id/{transaction_id}?mchid=`.
async fn v3_by_id(
    State(sim): State<Sim>,
    fault: Fault,
    id: Result<Path<String>, PathRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let id = match v3_segment(&sim, id) {
        Ok(v) => v,
        Err(r) => return r,
    };
    v3_query(&sim, fault, &method, &uri, &headers, |s, mch, now| {
        s.trade_by_transaction_id(mch, &id, now)
    })
}

/// `POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close {"mchid"}` → 204.
async fn v3_close(
    State(sim): State<Sim>,
    fault: Fault,
    no: Result<Path<String>, PathRejection>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let no = match v3_segment(&sim, no) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let req = match v3_request(&sim, &method, &uri, &headers, &body, fault) {
        Ok(r) => r,
        Err(res) => return res,
    };
    let m = Some(&req.merchant);
    let b: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if text(&b, "mchid") != req.merchant.partner_id {
        return v3_error(
            &sim,
            m,
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "the body must be {\"mchid\": the merchant of the Authorization header}",
        );
    }
    let mch = req.merchant.partner_id.clone();
    match sim.update(|s, now| s.close_order(&mch, &no, now)) {
        Ok(()) => v3_reply(&sim, m, StatusCode::NO_CONTENT, None),
        Err(Some(_)) => v3_error(&sim, m, StatusCode::BAD_REQUEST, "ORDERPAID", "订单已支付"),
        Err(None) => v3_error(
            &sim,
            m,
            StatusCode::NOT_FOUND,
            "ORDER_NOT_EXIST",
            "订单不存在",
        ),
    }
}

/// `GET /v3/certificates`: the platform certificate, encrypted with the merchant's APIv3 key.
async fn v3_certificates(
    State(sim): State<Sim>,
    fault: Fault,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let req = match v3_request(&sim, &method, &uri, &headers, b"", fault) {
        Ok(r) => r,
        Err(res) => return res,
    };
    let m = Some(&req.merchant);
    let keys = sim.platform_keys();
    let nonce = wxjs_sign::nonce_of_len(12);
    let Ok(ciphertext) = wxjs_sign::aead_encrypt(
        &ApiV3Key::new(req.merchant.api_v3_key.clone()),
        &nonce,
        "certificate",
        keys.certificate_pem().as_bytes(),
    ) else {
        return v3_error(
            &sim,
            m,
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "the simulated merchant has no 32-character api_v3_key",
        );
    };
    let (effective, expire) = keys.certificate_validity();
    v3_reply(
        &sim,
        m,
        StatusCode::OK,
        Some(&json!({ "data": [{
            "serial_no": keys.certificate_serial(),
            "effective_time": crate::pay::rfc3339_beijing(effective),
            "expire_time": crate::pay::rfc3339_beijing(expire),
            "encrypt_certificate": {
                "algorithm": "AEAD_AES_256_GCM",
                "nonce": nonce,
                "associated_data": "certificate",
                "ciphertext": ciphertext,
            }
        }]})),
    )
}
