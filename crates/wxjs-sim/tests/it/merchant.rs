//! WeChat Pay's merchant API (`pay.md`) over HTTP, as a merchant's back end uses it: v2 XML and
//! v3 signed JSON, the order lifecycle, notifications and their retries.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use parking_lot::Mutex;
use serde_json::{Value, json};
use wxjs_sign::{
    ApiV3Key, PayApiKey, PaySignType, PrivateKeyPem, V3Authorization, V3PrivateKey, V3PublicKey,
    WechatpayHeaders,
};
use wxjs_sim::SimConfig;
use wxjs_sim::config::PlatformKeyMode;
use wxjs_sim::pay::{PayForm, PendingPay};

use crate::{APP, TEST_APP, TestSim, spawn_sim, spawn_with};

const MCH: &str = "1900000109";
const API_KEY: &str = "qazwsxedcrfvtgbyhnujmikolp111111";

fn payer() -> String {
    wxjs_sim::state::openid(APP, &wxjs_sim::config::demo_users()[0].id)
}

// ---- v2 helpers ----------------------------------------------------------------------------

fn xml(fields: &BTreeMap<String, String>) -> String {
    let inner: String = fields
        .iter()
        .map(|(k, v)| format!("<{k}><![CDATA[{v}]]></{k}>"))
        .collect();
    format!("<xml>{inner}</xml>")
}

fn signed(pairs: &[(&str, &str)], sign_type: PaySignType, key: &str) -> String {
    let mut f: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    f.insert("nonce_str".into(), wxjs_sign::nonce_str());
    if sign_type == PaySignType::HmacSha256 {
        f.insert("sign_type".into(), "HMAC-SHA256".into());
    }
    let sign = wxjs_sign::sign_v2_fields(&f, sign_type, &PayApiKey::new(key));
    f.insert("sign".into(), sign);
    xml(&f)
}

async fn v2(s: &TestSim, path: &str, body: String) -> BTreeMap<String, String> {
    let res = s.http.post(s.url(path)).body(body).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    wxjs_sim::merchant_api::parse_v2_xml(text.as_bytes()).unwrap()
}

fn order_v2(no: &str, fee: &str, notify: &str) -> Vec<(&'static str, String)> {
    vec![
        ("appid", APP.to_owned()),
        ("mch_id", MCH.to_owned()),
        ("body", "wxjs test".to_owned()),
        ("out_trade_no", no.to_owned()),
        ("total_fee", fee.to_owned()),
        ("spbill_create_ip", "127.0.0.1".to_owned()),
        ("notify_url", notify.to_owned()),
        ("trade_type", "JSAPI".to_owned()),
        ("openid", payer()),
    ]
}

fn as_refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// Asserts a v2 answer is signed with the API key.
fn assert_signed(a: &BTreeMap<String, String>, sign_type: PaySignType) {
    assert!(
        wxjs_sign::verify_v2_fields(a, sign_type, &PayApiKey::new(API_KEY)),
        "answer not signed: {a:?}"
    );
}

fn pending(s: &TestSim, prepay_id: &str, form: PayForm) -> PendingPay {
    let order = s.sim.read(|st, _| st.order(prepay_id).cloned()).unwrap();
    PendingPay {
        app_id: APP.into(),
        form,
        order,
    }
}

/// Every error of pay.md's v2 list, answered in its layer (`return_code` for the request,
/// `result_code` + `err_code` for the business), every answer past the signature signed.
#[tokio::test]
async fn v2_errors_answer_in_the_layer_pay_md_gives_them() {
    let s = spawn_sim().await;
    let n = "http://127.0.0.1:9/n";
    // Not XML, a DOCTYPE (XXE), a bad signature.
    let a = v2(&s, "/pay/unifiedorder", "not xml".into()).await;
    assert_eq!(a["return_code"], "FAIL");
    assert!(a["return_msg"].starts_with("XML格式错误"), "{a:?}");
    let a = v2(
        &s,
        "/pay/unifiedorder",
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><a>&e;</a></xml>".into(),
    )
    .await;
    assert_eq!(a["return_code"], "FAIL");
    let o = order_v2("v2err1", "1", "http://localhost:8080/n");
    let a = v2(
        &s,
        "/pay/unifiedorder",
        signed(&as_refs(&o), PaySignType::Md5, "wrong-key"),
    )
    .await;
    assert_eq!(
        (a["return_code"].as_str(), a["return_msg"].as_str()),
        ("FAIL", "签名错误")
    );
    // Unknown merchant; unknown app; an app not bound to the merchant.
    let mut o2 = o.clone();
    o2[1].1 = "1234567890".into();
    let a = v2(
        &s,
        "/pay/unifiedorder",
        signed(&as_refs(&o2), PaySignType::Md5, API_KEY),
    )
    .await;
    assert_eq!(a["err_code"], "MCHID_NOT_EXIST");
    for (app, code) in [
        ("wxnotanapp00000001", "APPID_NOT_EXIST"),
        (TEST_APP, "APPID_MCHID_NOT_MATCH"),
    ] {
        let mut o3 = o.clone();
        o3[0].1 = app.into();
        let a = v2(
            &s,
            "/pay/unifiedorder",
            signed(&as_refs(&o3), PaySignType::Md5, API_KEY),
        )
        .await;
        assert_eq!(
            (
                a["return_code"].as_str(),
                a["result_code"].as_str(),
                a["err_code"].as_str()
            ),
            ("SUCCESS", "FAIL", code),
            "{a:?}"
        );
        assert_signed(&a, PaySignType::Md5);
    }
    // Parameter errors: no openid, a foreign openid, a bad amount, a bad notify_url, too short
    // an expiry.
    for (field, value, des) in [
        ("openid", "", "JSAPI支付必须传openid"),
        ("openid", "o-someone-elses", "appid和openid不匹配"),
        ("total_fee", "0", "total_fee"),
        ("total_fee", "1.5", "total_fee"),
        ("notify_url", "http://127.0.0.1:6379/", "notify_url"),
        ("trade_type", "NATIVE", "trade_type"),
    ] {
        let mut o4: Vec<(&str, String)> = o.clone();
        for (k, v) in &mut o4 {
            if *k == field {
                *v = value.into();
            }
        }
        let a = v2(
            &s,
            "/pay/unifiedorder",
            signed(&as_refs(&o4), PaySignType::Md5, API_KEY),
        )
        .await;
        assert_eq!(a["err_code"], "PARAM_ERROR", "{field}={value}: {a:?}");
        assert!(a["err_code_des"].contains(des), "{a:?}");
        assert_signed(&a, PaySignType::Md5);
    }
    let mut o5 = o.clone();
    let now = wxjs_sim::state::beijing_datetime(s.sim.now());
    let soon = wxjs_sim::state::beijing_datetime(s.sim.now() + 30);
    o5.push(("time_start", now));
    o5.push(("time_expire", soon));
    let a = v2(
        &s,
        "/pay/unifiedorder",
        signed(&as_refs(&o5), PaySignType::Md5, API_KEY),
    )
    .await;
    assert_eq!(a["err_code"], "PARAM_ERROR");
    // Queries of unknown orders.
    let q = signed(
        &[("appid", APP), ("mch_id", MCH), ("out_trade_no", "nope")],
        PaySignType::Md5,
        API_KEY,
    );
    assert_eq!(
        v2(&s, "/pay/orderquery", q).await["err_code"],
        "ORDERNOTEXIST"
    );
    let _ = n;
}

/// The v2 lifecycle: order (MD5 and HMAC-SHA256, idempotent), query NOTPAY, pay, SUCCESS with
/// the payment's fields, ORDERPAID on every later attempt; another order closed, then
/// ORDERCLOSED.
#[tokio::test]
async fn v2_orders_live_from_notpay_to_success_or_closed() {
    let s = spawn_sim().await;
    for st in [PaySignType::Md5, PaySignType::HmacSha256] {
        let no = format!("v2life{}", st.as_str().len());
        let o = order_v2(&no, "101", "http://localhost:8080/notify");
        let a = v2(&s, "/pay/unifiedorder", signed(&as_refs(&o), st, API_KEY)).await;
        assert_eq!(
            (a["return_code"].as_str(), a["result_code"].as_str()),
            ("SUCCESS", "SUCCESS"),
            "{a:?}"
        );
        assert_signed(&a, st);
        let prepay = a["prepay_id"].clone();
        // The same order again: the same prepay id. Another amount: OUT_TRADE_NO_USED.
        let again = v2(&s, "/pay/unifiedorder", signed(&as_refs(&o), st, API_KEY)).await;
        assert_eq!(again["prepay_id"], prepay);
        let other = order_v2(&no, "102", "http://localhost:8080/notify");
        let a = v2(
            &s,
            "/pay/unifiedorder",
            signed(&as_refs(&other), st, API_KEY),
        )
        .await;
        assert_eq!(a["err_code"], "OUT_TRADE_NO_USED");
        let query = signed(
            &[("appid", APP), ("mch_id", MCH), ("out_trade_no", &no)],
            st,
            API_KEY,
        );
        let q = v2(&s, "/pay/orderquery", query.clone()).await;
        assert_eq!(q["trade_state"], "NOTPAY");
        s.sim.pay(&pending(&s, &prepay, PayForm::V2(st))).unwrap();
        let q = v2(&s, "/pay/orderquery", query).await;
        assert_signed(&q, st);
        assert_eq!(q["trade_state"], "SUCCESS");
        assert_eq!(q["total_fee"], "101");
        assert_eq!(q["cash_fee"], "101");
        assert_eq!(q["openid"], payer());
        assert_eq!(q["time_end"].len(), 14);
        // By transaction id too.
        let by_id = signed(
            &[
                ("appid", APP),
                ("mch_id", MCH),
                ("transaction_id", &q["transaction_id"]),
            ],
            st,
            API_KEY,
        );
        assert_eq!(v2(&s, "/pay/orderquery", by_id).await["out_trade_no"], no);
        // Paid at most once: no re-order, no close, no second payment.
        let a = v2(&s, "/pay/unifiedorder", signed(&as_refs(&o), st, API_KEY)).await;
        assert_eq!(a["err_code"], "ORDERPAID");
        let close = signed(
            &[("appid", APP), ("mch_id", MCH), ("out_trade_no", &no)],
            st,
            API_KEY,
        );
        assert_eq!(
            v2(&s, "/pay/closeorder", close).await["err_code"],
            "ORDERPAID"
        );
        assert!(s.sim.pay(&pending(&s, &prepay, PayForm::V2(st))).is_err());
    }
    // Close an unpaid order: CLOSED, then ORDERCLOSED for the number, and it cannot be paid.
    let o = order_v2("v2closed", "5", "http://localhost:8080/notify");
    let a = v2(
        &s,
        "/pay/unifiedorder",
        signed(&as_refs(&o), PaySignType::Md5, API_KEY),
    )
    .await;
    let prepay = a["prepay_id"].clone();
    let close = signed(
        &[
            ("appid", APP),
            ("mch_id", MCH),
            ("out_trade_no", "v2closed"),
        ],
        PaySignType::Md5,
        API_KEY,
    );
    assert_eq!(
        v2(&s, "/pay/closeorder", close).await["result_code"],
        "SUCCESS"
    );
    let q = signed(
        &[
            ("appid", APP),
            ("mch_id", MCH),
            ("out_trade_no", "v2closed"),
        ],
        PaySignType::Md5,
        API_KEY,
    );
    assert_eq!(v2(&s, "/pay/orderquery", q).await["trade_state"], "CLOSED");
    let a = v2(
        &s,
        "/pay/unifiedorder",
        signed(&as_refs(&o), PaySignType::Md5, API_KEY),
    )
    .await;
    assert_eq!(a["err_code"], "ORDERCLOSED");
    assert!(
        s.sim
            .pay(&pending(&s, &prepay, PayForm::V2(PaySignType::Md5)))
            .is_err()
    );
}

/// A prepay id lives 2 hours on the simulator's clock; the same order then gets a new one. An
/// order past `time_expire` is CLOSED. A failed payment shows PAYERROR until it is paid.
#[tokio::test]
async fn prepay_ids_and_orders_expire_on_the_simulator_s_clock() {
    let s = spawn_sim().await;
    let o = order_v2("v2expire", "1", "http://localhost:8080/notify");
    let first = v2(
        &s,
        "/pay/unifiedorder",
        signed(&as_refs(&o), PaySignType::Md5, API_KEY),
    )
    .await["prepay_id"]
        .clone();
    s.advance(2 * 3600).await;
    let second = v2(
        &s,
        "/pay/unifiedorder",
        signed(&as_refs(&o), PaySignType::Md5, API_KEY),
    )
    .await["prepay_id"]
        .clone();
    assert_ne!(first, second);
    assert!(s.sim.read(|st, _| st.order(&first).is_none()));
    // time_expire.
    let mut o = order_v2("v2te", "1", "http://localhost:8080/notify");
    o.push((
        "time_expire",
        wxjs_sim::state::beijing_datetime(s.sim.now() + 120),
    ));
    let prepay = v2(
        &s,
        "/pay/unifiedorder",
        signed(&as_refs(&o), PaySignType::Md5, API_KEY),
    )
    .await["prepay_id"]
        .clone();
    let q = signed(
        &[("appid", APP), ("mch_id", MCH), ("out_trade_no", "v2te")],
        PaySignType::Md5,
        API_KEY,
    );
    assert_eq!(
        v2(&s, "/pay/orderquery", q.clone()).await["trade_state"],
        "NOTPAY"
    );
    let p = pending(&s, &prepay, PayForm::V2(PaySignType::Md5));
    s.sim.pay_failed(&p, "card declined").unwrap();
    assert_eq!(
        v2(&s, "/pay/orderquery", q.clone()).await["trade_state"],
        "PAYERROR"
    );
    s.advance(121).await;
    assert_eq!(v2(&s, "/pay/orderquery", q).await["trade_state"], "CLOSED");
    assert!(s.sim.pay(&p).is_err());
}

// ---- v3 helpers ----------------------------------------------------------------------------

struct V3Client {
    key: V3PrivateKey,
    serial: String,
    platform: BTreeMap<String, V3PublicKey>,
    api_v3_key: String,
}

async fn v3_client(s: &TestSim) -> V3Client {
    let m = &s.get("/__sim/merchants").await[0];
    assert_eq!(m["mchId"], MCH);
    let mut platform = BTreeMap::new();
    platform.insert(
        m["platformCertificateSerial"].as_str().unwrap().to_owned(),
        V3PublicKey::from_pem(m["platformCertificatePublicKey"].as_str().unwrap()).unwrap(),
    );
    platform.insert(
        m["platformPublicKeyId"].as_str().unwrap().to_owned(),
        V3PublicKey::from_pem(m["platformPublicKeyOfId"].as_str().unwrap()).unwrap(),
    );
    V3Client {
        key: V3PrivateKey::from_pem(&PrivateKeyPem::new(
            m["merchantPrivateKey"].as_str().unwrap(),
        ))
        .unwrap(),
        serial: m["merchantSerial"].as_str().unwrap().to_owned(),
        platform,
        api_v3_key: m["apiV3Key"].as_str().unwrap().to_owned(),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl V3Client {
    fn auth(&self, method: &str, path: &str, body: &[u8]) -> String {
        V3Authorization::sign(
            &self.key,
            MCH,
            &self.serial,
            method,
            path,
            unix_now(),
            &wxjs_sign::nonce_str(),
            body,
        )
        .to_header()
    }

    /// Sends a signed request; verifies the answer's signature; gives status and body.
    async fn call(
        &self,
        s: &TestSim,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let text = body.map(Value::to_string).unwrap_or_default();
        let auth = self.auth(method, path, text.as_bytes());
        self.send(s, method, path, &text, &auth).await
    }

    async fn send(
        &self,
        s: &TestSim,
        method: &str,
        path: &str,
        text: &str,
        auth: &str,
    ) -> (StatusCode, Value) {
        let mut req = s
            .http
            .request(method.parse().unwrap(), s.url(path))
            .header("Authorization", auth)
            .header("Accept", "application/json");
        if !text.is_empty() {
            req = req
                .header("Content-Type", "application/json")
                .body(text.to_owned());
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.unwrap();
        self.verify(&headers, &bytes)
            .unwrap_or_else(|e| panic!("answer to {method} {path} not signed: {e}"));
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        (StatusCode::from_u16(status.as_u16()).unwrap(), v)
    }

    fn verify(
        &self,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) -> Result<(), wxjs_sign::SignatureError> {
        let h = |k: &str| {
            headers
                .get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        WechatpayHeaders {
            timestamp: h("Wechatpay-Timestamp"),
            nonce: h("Wechatpay-Nonce"),
            serial: h("Wechatpay-Serial"),
            signature: h("Wechatpay-Signature"),
        }
        .verify(body, unix_now(), |serial| self.platform.get(serial))
    }
}

fn order_v3(no: &str, total: u64, notify: &str) -> Value {
    json!({
        "appid": APP, "mchid": MCH, "description": "wxjs v3 test", "out_trade_no": no,
        "notify_url": notify, "attach": "a1", "amount": { "total": total, "currency": "CNY" },
        "payer": { "openid": payer() },
    })
}

/// v3 signature failures — wrong key, wrong serial, stale timestamp, altered body, no header —
/// answer `401 SIGN_ERROR`, signed, with the message the simulator expected to be signed.
#[tokio::test]
async fn v3_signature_failures_answer_401_with_the_expected_message() {
    let s = spawn_sim().await;
    let c = v3_client(&s).await;
    let path = "/v3/pay/transactions/jsapi";
    let body = order_v3("v3sig", 1, "http://localhost:8080/n").to_string();
    let other = V3PrivateKey::from_pem(&PrivateKeyPem::new(include_str!(
        "../../keys/platform_public_key_key.pem"
    )))
    .unwrap();
    let now = unix_now();
    let cases = [
        (
            "wrong key",
            V3Authorization::sign(
                &other,
                MCH,
                &c.serial,
                "POST",
                path,
                now,
                "n1",
                body.as_bytes(),
            )
            .to_header(),
            body.clone(),
        ),
        (
            "wrong serial",
            V3Authorization::sign(
                &c.key,
                MCH,
                "0123456789ABCDEF",
                "POST",
                path,
                now,
                "n2",
                body.as_bytes(),
            )
            .to_header(),
            body.clone(),
        ),
        (
            "stale timestamp",
            V3Authorization::sign(
                &c.key,
                MCH,
                &c.serial,
                "POST",
                path,
                now - 301,
                "n3",
                body.as_bytes(),
            )
            .to_header(),
            body.clone(),
        ),
        (
            "altered body",
            c.auth("POST", path, body.as_bytes()),
            body.replace("\"total\":1", "\"total\":2"),
        ),
        ("no header", String::new(), body.clone()),
    ];
    for (what, auth, sent) in cases {
        let (status, v) = c.send(&s, "POST", path, &sent, &auth).await;
        assert_eq!(status, 401, "{what}: {v}");
        assert_eq!(v["code"], "SIGN_ERROR", "{what}: {v}");
        if what == "wrong key" || what == "altered body" {
            let expected = v["detail"]["signed_message"].as_str().unwrap();
            assert!(
                expected.starts_with(&format!("POST\n{path}\n")),
                "{what}: {expected}"
            );
            assert!(expected.ends_with(&format!("{sent}\n")), "{what}");
        }
    }
    // Nothing was ordered.
    let (status, _) = c
        .call(
            &s,
            "GET",
            &format!("/v3/pay/transactions/out-trade-no/v3sig?mchid={MCH}"),
            None,
        )
        .await;
    assert_eq!(status, 404);
}

/// The v3 lifecycle with signed answers: order, idempotent repeat, the errors of pay.md, both
/// queries, payment, paid at most once, close with 204, the certificate list decrypted with the
/// APIv3 key.
#[tokio::test]
async fn v3_orders_live_from_notpay_to_success_or_closed() {
    let s = spawn_sim().await;
    let c = v3_client(&s).await;
    let o = order_v3("v3life", 301, "http://localhost:8080/n");
    let (status, a) = c
        .call(&s, "POST", "/v3/pay/transactions/jsapi", Some(&o))
        .await;
    assert_eq!(status, 200, "{a}");
    let prepay = a["prepay_id"].as_str().unwrap().to_owned();
    assert_eq!(
        c.call(&s, "POST", "/v3/pay/transactions/jsapi", Some(&o))
            .await
            .1["prepay_id"],
        prepay.as_str()
    );
    let mut changed = o.clone();
    changed["amount"]["total"] = 302.into();
    let (status, v) = c
        .call(&s, "POST", "/v3/pay/transactions/jsapi", Some(&changed))
        .await;
    assert_eq!(
        (status.as_u16(), v["code"].as_str()),
        (403, Some("OUT_TRADE_NO_USED"))
    );
    for (field, value, status_code, code) in [
        ("appid", json!(TEST_APP), 400, "APPID_MCHID_NOT_MATCH"),
        ("description", json!(""), 400, "PARAM_ERROR"),
        (
            "payer",
            json!({"openid": "o-not-of-this-app"}),
            400,
            "PARAM_ERROR",
        ),
        ("amount", json!({"total": 0}), 400, "PARAM_ERROR"),
    ] {
        let mut bad = order_v3("v3bad", 1, "http://localhost:8080/n");
        bad[field] = value;
        let (status, v) = c
            .call(&s, "POST", "/v3/pay/transactions/jsapi", Some(&bad))
            .await;
        assert_eq!(
            (status.as_u16(), v["code"].as_str()),
            (status_code, Some(code)),
            "{field}: {v}"
        );
    }
    let by_no = format!("/v3/pay/transactions/out-trade-no/v3life?mchid={MCH}");
    let (_, t) = c.call(&s, "GET", &by_no, None).await;
    assert_eq!(t["trade_state"], "NOTPAY");
    s.sim.pay(&pending(&s, &prepay, PayForm::V3)).unwrap();
    let (_, t) = c.call(&s, "GET", &by_no, None).await;
    assert_eq!(t["trade_state"], "SUCCESS", "{t}");
    assert_eq!(t["amount"]["payer_total"], 301);
    assert_eq!(t["payer"]["openid"], payer());
    assert_eq!(t["attach"], "a1");
    assert!(t["success_time"].as_str().unwrap().ends_with("+08:00"));
    let id = t["transaction_id"].as_str().unwrap();
    let (_, t2) = c
        .call(
            &s,
            "GET",
            &format!("/v3/pay/transactions/id/{id}?mchid={MCH}"),
            None,
        )
        .await;
    assert_eq!(t2["out_trade_no"], "v3life");
    let (status, v) = c
        .call(&s, "POST", "/v3/pay/transactions/jsapi", Some(&o))
        .await;
    assert_eq!(
        (status.as_u16(), v["code"].as_str()),
        (403, Some("ORDERPAID"))
    );
    let (status, _) = c
        .call(
            &s,
            "POST",
            "/v3/pay/transactions/out-trade-no/v3life/close",
            Some(&json!({"mchid": MCH})),
        )
        .await;
    assert_eq!(status, 400);
    // Close an unpaid one: a signed 204, then CLOSED and ORDER_CLOSED.
    let o = order_v3("v3close", 5, "http://localhost:8080/n");
    c.call(&s, "POST", "/v3/pay/transactions/jsapi", Some(&o))
        .await;
    let (status, v) = c
        .call(
            &s,
            "POST",
            "/v3/pay/transactions/out-trade-no/v3close/close",
            Some(&json!({"mchid": MCH})),
        )
        .await;
    assert_eq!((status.as_u16(), v), (204, Value::Null));
    let (_, t) = c
        .call(
            &s,
            "GET",
            &format!("/v3/pay/transactions/out-trade-no/v3close?mchid={MCH}"),
            None,
        )
        .await;
    assert_eq!(t["trade_state"], "CLOSED");
    let (status, v) = c
        .call(&s, "POST", "/v3/pay/transactions/jsapi", Some(&o))
        .await;
    assert_eq!(
        (status.as_u16(), v["code"].as_str()),
        (400, Some("ORDER_CLOSED"))
    );
    // The certificate list: the certificate decrypts with the APIv3 key and carries the serial
    // that signs the answers.
    let (status, certs) = c.call(&s, "GET", "/v3/certificates", None).await;
    assert_eq!(status, 200);
    let cert = &certs["data"][0];
    let e = &cert["encrypt_certificate"];
    assert_eq!(e["associated_data"], "certificate");
    let pem = wxjs_sign::aead_decrypt(
        &ApiV3Key::new(c.api_v3_key.clone()),
        e["nonce"].as_str().unwrap(),
        "certificate",
        e["ciphertext"].as_str().unwrap(),
    )
    .unwrap();
    let (key, serial) =
        V3PublicKey::from_certificate_pem(std::str::from_utf8(&pem).unwrap()).unwrap();
    assert_eq!(serial, cert["serial_no"].as_str().unwrap());
    assert_eq!(Some(&key), c.platform.get(&serial));
    assert!(
        wxjs_sign::aead_decrypt(
            &ApiV3Key::new("x".repeat(32)),
            e["nonce"].as_str().unwrap(),
            "certificate",
            e["ciphertext"].as_str().unwrap()
        )
        .is_err()
    );
}

// ---- notifications -------------------------------------------------------------------------

#[derive(Default)]
struct Received {
    posts: Vec<(HeaderMap, String)>,
    /// Answers to give, in turn (then 200).
    answers: Vec<u16>,
    /// Answer 401 to probes, as a merchant that verifies does.
    reject_probes: bool,
}

async fn merchant_server() -> (String, Arc<Mutex<Received>>) {
    let got: Arc<Mutex<Received>> = Arc::default();
    let g = got.clone();
    let app = Router::new().route(
        "/notify",
        post(move |headers: HeaderMap, body: String| {
            let g = g.clone();
            async move {
                let mut r = g.lock();
                let probe = headers
                    .get("wechatpay-signature")
                    .is_some_and(|v| v.as_bytes().starts_with(b"WECHATPAY/SIGNTEST/"));
                r.posts.push((headers, body));
                let code = if probe && r.reject_probes {
                    401
                } else if r.answers.is_empty() {
                    200
                } else {
                    r.answers.remove(0)
                };
                (
                    StatusCode::from_u16(code).unwrap(),
                    "<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>",
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("{base}/notify"), got)
}

async fn wait_posts(got: &Arc<Mutex<Received>>, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while got.lock().posts.len() < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {n} notifications arrived",
            got.lock().posts.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn reqwest_headers(h: &HeaderMap) -> reqwest::header::HeaderMap {
    let mut out = reqwest::header::HeaderMap::new();
    for (k, v) in h {
        out.insert(
            reqwest::header::HeaderName::from_bytes(k.as_str().as_bytes()).unwrap(),
            reqwest::header::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
        );
    }
    out
}

/// A v3 order's notification is JSON with the transaction encrypted under the APIv3 key and
/// signed `Wechatpay-*` headers; a 500 is retried on pay.md's schedule on the simulator's
/// clock; a 204 accepts it.
#[tokio::test]
async fn v3_notifications_decrypt_to_the_transaction_and_retry_on_the_clock() {
    let s = spawn_sim().await;
    let c = v3_client(&s).await;
    let (url, got) = merchant_server().await;
    got.lock().answers = vec![500, 204];
    let (_, a) = c
        .call(
            &s,
            "POST",
            "/v3/pay/transactions/jsapi",
            Some(&order_v3("v3notify", 88, &url)),
        )
        .await;
    s.sim
        .pay(&pending(&s, a["prepay_id"].as_str().unwrap(), PayForm::V3))
        .unwrap();
    wait_posts(&got, 1).await;
    // Not retried before 15 s on the simulator's clock; retried after.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(got.lock().posts.len(), 1);
    s.advance(15).await;
    wait_posts(&got, 2).await;
    let (headers, body) = got.lock().posts[1].clone();
    assert_eq!(headers["content-type"], "application/json");
    c.verify(&reqwest_headers(&headers), body.as_bytes())
        .unwrap();
    let n: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(n["event_type"], "TRANSACTION.SUCCESS");
    assert_eq!(n["resource_type"], "encrypt-resource");
    let r = &n["resource"];
    assert_eq!(r["algorithm"], "AEAD_AES_256_GCM");
    assert_eq!(r["nonce"].as_str().unwrap().len(), 12);
    let plain = wxjs_sign::aead_decrypt(
        &ApiV3Key::new(c.api_v3_key.clone()),
        r["nonce"].as_str().unwrap(),
        r["associated_data"].as_str().unwrap(),
        r["ciphertext"].as_str().unwrap(),
    )
    .unwrap();
    let t: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(
        (
            t["out_trade_no"].as_str(),
            t["trade_state"].as_str(),
            t["amount"]["total"].as_u64()
        ),
        (Some("v3notify"), Some("SUCCESS"), Some(88))
    );
    assert_eq!(t["mchid"], MCH);
    // Accepted by the 204: listed as delivered, not sent again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let list = s.get("/__sim/pay/notifications").await;
        let n = list
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["outTradeNo"] == "v3notify")
            .unwrap()
            .clone();
        if n["delivered"] == true {
            assert_eq!(n["attempts"], 2);
            assert_eq!(n["form"], "v3");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{n}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    s.advance(3600).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(got.lock().posts.len(), 2);
}

/// A v2 order's notification is XML signed with the API key in the order's sign type.
#[tokio::test]
async fn v2_notifications_are_signed_xml() {
    let s = spawn_sim().await;
    let (url, got) = merchant_server().await;
    let o = order_v2("v2notify", "7", &url);
    let a = v2(
        &s,
        "/pay/unifiedorder",
        signed(&as_refs(&o), PaySignType::HmacSha256, API_KEY),
    )
    .await;
    s.sim
        .pay(&pending(
            &s,
            &a["prepay_id"],
            PayForm::V2(PaySignType::HmacSha256),
        ))
        .unwrap();
    wait_posts(&got, 1).await;
    let body = got.lock().posts[0].1.clone();
    let f = wxjs_sim::merchant_api::parse_v2_xml(body.as_bytes()).unwrap();
    assert!(
        wxjs_sign::verify_v2_fields(&f, PaySignType::HmacSha256, &PayApiKey::new(API_KEY)),
        "{f:?}"
    );
    assert_eq!(
        (
            f["out_trade_no"].as_str(),
            f["total_fee"].as_str(),
            f["result_code"].as_str()
        ),
        ("v2notify", "7", "SUCCESS")
    );
}

fn merchant_config(mode: PlatformKeyMode, probes: bool) -> SimConfig {
    let mut accounts = SimConfig::default().accounts();
    for a in &mut accounts {
        if let Some(m) = &mut a.merchant {
            m.platform_key_mode = mode;
            m.probe_notifications = probes;
        }
    }
    SimConfig {
        include_demo: false,
        apps: accounts,
        users: Vec::new(),
    }
}

/// Probe notifications (`WECHATPAY/SIGNTEST/…`) go out before the real one; a merchant that
/// verifies rejects them and the list says so; one that accepts is named.
#[tokio::test]
async fn probes_are_sent_and_a_correct_merchant_rejects_them() {
    let s = spawn_with(&merchant_config(PlatformKeyMode::Certificate, true), None).await;
    let c = v3_client(&s).await;
    let (url, got) = merchant_server().await;
    // This merchant rejects the probe and accepts the notification.
    got.lock().reject_probes = true;
    let (_, a) = c
        .call(
            &s,
            "POST",
            "/v3/pay/transactions/jsapi",
            Some(&order_v3("v3probe", 1, &url)),
        )
        .await;
    s.sim
        .pay(&pending(&s, a["prepay_id"].as_str().unwrap(), PayForm::V3))
        .unwrap();
    wait_posts(&got, 2).await;
    let posts = got.lock().posts.clone();
    let probes: Vec<_> = posts
        .iter()
        .filter(|(h, _)| {
            h["wechatpay-signature"]
                .to_str()
                .unwrap()
                .starts_with("WECHATPAY/SIGNTEST/")
        })
        .collect();
    assert_eq!(probes.len(), 1);
    let (h, b) = probes[0];
    assert_eq!(
        c.verify(&reqwest_headers(h), b.as_bytes()),
        Err(wxjs_sign::SignatureError::Probe)
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let list = s.get("/__sim/pay/notifications").await;
        let list = list.as_array().unwrap();
        if list.iter().all(|n| n["attempts"] == 1) && list.len() == 2 {
            let probe = list.iter().find(|n| n["probe"] == true).unwrap();
            assert!(
                probe["lastResponse"]
                    .as_str()
                    .unwrap()
                    .contains("rejected, as it should be"),
                "{probe}"
            );
            assert!(list.iter().all(|n| n["delivered"] == true));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{list:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Public-key mode signs with `PUB_KEY_ID_…`; during the switch both keys sign, turn by turn.
#[tokio::test]
async fn public_key_mode_and_the_switch_period_sign_with_the_right_serials() {
    for (mode, expect) in [
        (PlatformKeyMode::PublicKey, vec![true, true]),
        (PlatformKeyMode::Switching, vec![true, false]),
    ] {
        let s = spawn_with(&merchant_config(mode, false), None).await;
        let c = v3_client(&s).await;
        let m = &s.get("/__sim/merchants").await[0];
        assert!(
            m["platformSerial"]
                .as_str()
                .unwrap()
                .starts_with("PUB_KEY_ID_01")
        );
        let mut seen = Vec::new();
        for _ in 0..2 {
            let path = "/v3/certificates";
            let res = s
                .http
                .get(s.url(path))
                .header("Authorization", c.auth("GET", path, b""))
                .send()
                .await
                .unwrap();
            let serial = res.headers()["wechatpay-serial"]
                .to_str()
                .unwrap()
                .to_owned();
            let headers = res.headers().clone();
            let body = res.bytes().await.unwrap();
            c.verify(&headers, &body).unwrap();
            seen.push(serial.starts_with("PUB_KEY_ID_"));
        }
        seen.sort_unstable();
        let mut expect = expect;
        expect.sort_unstable();
        assert_eq!(seen, expect, "{mode:?}");
    }
}

/// The errors only the real platform's troubles produce — v2 `SYSTEMERROR` and `NOAUTH`, v3
/// `500 SYSTEM_ERROR` and `429 FREQUENCY_LIMITED` — are injected per path with a `code` fault
/// and answered in each API's own signed form; the next call is normal again.
#[tokio::test]
async fn merchant_api_faults_answer_in_the_api_s_own_form() {
    let s = spawn_sim().await;
    let fault = |path: &str, code: &str, status: Option<u16>| {
        let mut f = json!({ "path": path, "code": code });
        if let Some(st) = status {
            f["status"] = st.into();
        }
        f
    };
    for (code, n) in [("SYSTEMERROR", "v2f1"), ("NOAUTH", "v2f2")] {
        let res = s
            .post_json("/__sim/faults", &fault("/pay/unifiedorder", code, None))
            .await;
        assert_eq!(res.status(), 201);
        let o = order_v2(n, "1", "http://localhost:8080/n");
        let a = v2(
            &s,
            "/pay/unifiedorder",
            signed(&as_refs(&o), PaySignType::Md5, API_KEY),
        )
        .await;
        assert_eq!(
            (a["return_code"].as_str(), a["err_code"].as_str()),
            ("SUCCESS", code),
            "{a:?}"
        );
        assert_signed(&a, PaySignType::Md5);
        let a = v2(
            &s,
            "/pay/unifiedorder",
            signed(&as_refs(&o), PaySignType::Md5, API_KEY),
        )
        .await;
        assert_eq!(a["result_code"], "SUCCESS");
    }
    let c = v3_client(&s).await;
    for (code, status) in [("SYSTEM_ERROR", 500), ("FREQUENCY_LIMITED", 429)] {
        s.post_json(
            "/__sim/faults",
            &fault("/v3/pay/transactions/jsapi", code, None),
        )
        .await;
        let (st, v) = c
            .call(
                &s,
                "POST",
                "/v3/pay/transactions/jsapi",
                Some(&order_v3("v3f", 1, "http://localhost:8080/n")),
            )
            .await;
        assert_eq!((st.as_u16(), v["code"].as_str()), (status, Some(code)));
    }
    let (st, _) = c
        .call(
            &s,
            "POST",
            "/v3/pay/transactions/jsapi",
            Some(&order_v3("v3f", 1, "http://localhost:8080/n")),
        )
        .await;
    assert_eq!(st, 200);
    // A code is for merchant paths only.
    let res = s
        .post_json(
            "/__sim/faults",
            &fault("/cgi-bin/token", "SYSTEMERROR", None),
        )
        .await;
    assert_eq!(res.status(), 400);
}

/// v3 made an order whose `time_expire` had already passed (and answered a `prepay_id` for an
/// order that was CLOSED at once); v2 refused the same with "time_expire时间过短".
#[tokio::test]
async fn a_v3_order_could_expire_before_it_was_made() {
    let s = spawn_sim().await;
    let c = v3_client(&s).await;
    let now = s.sim.now();
    for (no, at, status) in [
        ("v3te-past", now - 3600, 400),
        ("v3te-soon", now + 30, 400),
        ("v3te-ok", now + 120, 200),
    ] {
        let mut o = order_v3(no, 1, "http://localhost:8080/n");
        o["time_expire"] = json!(wxjs_sim::pay::rfc3339_beijing(at));
        let (got, v) = c
            .call(&s, "POST", "/v3/pay/transactions/jsapi", Some(&o))
            .await;
        assert_eq!(got.as_u16(), status, "{no}: {v}");
        if status == 400 {
            assert_eq!(v["code"], "PARAM_ERROR", "{v}");
            assert!(
                v["message"].as_str().unwrap().contains("time_expire"),
                "{v}"
            );
        }
    }
}

/// v2 took `total_fee=+0001` as 1 fen (Rust's integer parser accepts a sign): a fee is digits
/// only, as the platform reads it.
#[tokio::test]
async fn a_signed_total_fee_was_taken() {
    let s = spawn_sim().await;
    for (n, fee) in ["+0001", "+1", " 1", "1.0"].into_iter().enumerate() {
        let o = order_v2(&format!("v2fee{n}"), fee, "http://localhost:8080/notify");
        let a = v2(
            &s,
            "/pay/unifiedorder",
            signed(&as_refs(&o), PaySignType::Md5, API_KEY),
        )
        .await;
        assert_eq!(a["result_code"], "FAIL", "{fee:?}: {a:?}");
        assert_eq!(a["err_code"], "PARAM_ERROR", "{fee:?}: {a:?}");
    }
    let o = order_v2("v2fee-ok", "0001", "http://localhost:8080/notify");
    let a = v2(
        &s,
        "/pay/unifiedorder",
        signed(&as_refs(&o), PaySignType::Md5, API_KEY),
    )
    .await;
    assert_eq!(a["result_code"], "SUCCESS", "{a:?}");
}

/// Under `/v3/`, an unknown path, a wrong method and a path that is not UTF-8 were answered as
/// the control API's unsigned `{"error":…}`: an SDK verifying every answer reported a signature
/// failure instead of the error. v2 answered a wrong method in JSON instead of its XML.
#[tokio::test]
async fn merchant_api_errors_were_unsigned_or_in_the_wrong_form() {
    let s = spawn_sim().await;
    let c = v3_client(&s).await;
    for (method, path, status, code) in [
        ("GET", "/v3/unknown".to_owned(), 404, "NOT_FOUND"),
        (
            "POST",
            "/v3/certificates".to_owned(),
            405,
            "METHOD_NOT_ALLOWED",
        ),
        (
            "GET",
            format!("/v3/pay/transactions/out-trade-no/%FF?mchid={MCH}"),
            400,
            "PARAM_ERROR",
        ),
    ] {
        // `call` verifies the answer's Wechatpay-Signature.
        let (st, v) = c.call(&s, method, &path, None).await;
        assert_eq!(
            (st.as_u16(), v["code"].as_str()),
            (status, Some(code)),
            "{path}: {v}"
        );
    }
    let res = s.http.get(s.url("/pay/unifiedorder")).send().await.unwrap();
    let text = res.text().await.unwrap();
    let fields = wxjs_sim::merchant_api::parse_v2_xml(text.as_bytes()).expect("XML");
    assert_eq!(fields["return_code"], "FAIL", "{text}");
}
