//! Payments through the service against the simulator's merchant API: one call from order to
//! `chooseWXPay` parameters, notifications verified and decrypted, orders queried.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;
use parking_lot::Mutex;
use serde_json::{Value, json};
use wxjs_sim::pay::{PayForm, PendingPay};

use crate::{API_KEY, APP, System, spawn_merchant};

fn payer() -> String {
    wxjs_sim::state::openid(APP, &wxjs_sim::config::demo_users()[0].id)
}

type Posts = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A merchant's notify endpoint that keeps what arrives and answers 204.
async fn notify_server() -> (String, Posts) {
    let got: Posts = Arc::default();
    let g = got.clone();
    let app = Router::new().route(
        "/n",
        post(move |h: HeaderMap, body: String| {
            let g = g.clone();
            async move {
                g.lock().push((h, body));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/n", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    (url, got)
}

async fn wait_post(got: &Posts) -> (HeaderMap, String) {
    for _ in 0..200 {
        if let Some(p) = got.lock().first().cloned() {
            return p;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no notification arrived");
}

async fn order(s: &System, no: &str, notify: &str) -> (u16, Value) {
    let res = s
        .backend(
            &format!("/v1/{APP}/pay/orders"),
            json!({ "outTradeNo": no, "description": "wxjs service test", "total": 150,
                    "openid": payer(), "notifyUrl": notify, "attach": "cart-7" }),
        )
        .await;
    (res.status().as_u16(), res.json().await.unwrap())
}

/// Forwards a notification exactly as received: its body, its `Wechatpay-*` headers.
async fn forward(s: &System, headers: &HeaderMap, body: &str) -> (u16, Value) {
    let mut req = s
        .http
        .post(s.url(&format!("/v1/{APP}/pay/notifications")))
        .bearer_auth(API_KEY)
        .body(body.to_owned());
    for (k, v) in headers {
        if k.as_str().starts_with("wechatpay-") || k == "content-type" {
            req = req.header(k.as_str(), v.as_bytes());
        }
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn query(s: &System, no: &str) -> (u16, Value) {
    let res = s
        .http
        .get(s.url(&format!("/v1/{APP}/pay/orders/{no}")))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn pay(s: &System, prepay_id: &str, form: PayForm) {
    let order = s.sim.read(|st, _| st.order(prepay_id).cloned()).unwrap();
    s.sim
        .pay(&PendingPay {
            app_id: APP.into(),
            form,
            order,
        })
        .unwrap();
}

/// v3 from end to end through the service: the order (RSA `paySign` that verifies with the
/// merchant's key), the query, the payment, the notification verified and decrypted.
#[tokio::test]
async fn a_v3_payment_runs_from_order_to_verified_notification() {
    let s = spawn_merchant(true).await;
    let (url, got) = notify_server().await;
    let (status, p) = order(&s, "svc-v3-1", &url).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(
        (p["api"].as_str(), p["signType"].as_str()),
        (Some("v3"), Some("RSA"))
    );
    let prepay = p["prepayId"].as_str().unwrap();
    assert_eq!(p["package"], format!("prepay_id={prepay}"));
    let public = wxjs_sign::pay_v3_public_key_pem(&wxjs_sign::PrivateKeyPem::new(
        wxjs_sim::config::DEMO_V3_PRIVATE_KEY,
    ))
    .unwrap();
    let params = wxjs_sign::PayParams {
        app_id: APP,
        time_stamp: p["timestamp"].as_str().unwrap(),
        nonce_str: p["nonceStr"].as_str().unwrap(),
        package: p["package"].as_str().unwrap(),
    };
    assert!(
        params
            .verify_v3(&public, p["paySign"].as_str().unwrap())
            .unwrap()
    );
    // The simulator knows it as a v3 order for the payer.
    let rec = s.sim.read(|st, _| st.order_rec(prepay).cloned()).unwrap();
    assert_eq!(
        (rec.api, rec.payer.as_str()),
        (wxjs_sim::state::OrderApi::V3, payer().as_str())
    );
    let (_, q) = query(&s, "svc-v3-1").await;
    assert_eq!(
        (q["api"].as_str(), q["tradeState"].as_str()),
        (Some("v3"), Some("NOTPAY"))
    );
    pay(&s, prepay, PayForm::V3);
    let (headers, body) = wait_post(&got).await;
    let (status, v) = forward(&s, &headers, &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["api"], "v3");
    assert_eq!(v["eventType"], "TRANSACTION.SUCCESS");
    let t = &v["transaction"];
    assert_eq!(
        (t["out_trade_no"].as_str(), t["trade_state"].as_str()),
        (Some("svc-v3-1"), Some("SUCCESS"))
    );
    assert_eq!(
        (t["amount"]["total"].as_u64(), t["attach"].as_str()),
        (Some(150), Some("cart-7"))
    );
    let (_, q) = query(&s, "svc-v3-1").await;
    assert_eq!(q["tradeState"], "SUCCESS");
    assert_eq!(q["transaction"]["transaction_id"], t["transaction_id"]);

    // What is not genuine is refused: an altered body, a probe, no headers.
    let altered = body.replace("TRANSACTION.SUCCESS", "TRANSACTION.SUCCESS ");
    let (status, v) = forward(&s, &headers, &altered).await;
    assert_eq!(
        (status, v["error"]["code"].as_str()),
        (400, Some("notification_invalid")),
        "{v}"
    );
    let mut probe = headers.clone();
    probe.insert(
        "wechatpay-signature",
        "WECHATPAY/SIGNTEST/abc".parse().unwrap(),
    );
    let (status, v) = forward(&s, &probe, &body).await;
    assert_eq!(status, 400);
    assert!(
        v["error"]["message"].as_str().unwrap().contains("probe"),
        "{v}"
    );
    let (status, _) = forward(&s, &HeaderMap::new(), &body).await;
    assert_eq!(status, 400);
    let mut stale = headers.clone();
    stale.insert("wechatpay-timestamp", "1000000000".parse().unwrap());
    assert_eq!(forward(&s, &stale, &body).await.0, 400);
}

/// The platform's refusals come back as 409 with WeChat Pay's code; bad input is 400 and
/// reaches nothing; no API key is 401.
#[tokio::test]
async fn orders_the_platform_refuses_and_bad_input_get_clear_errors() {
    let s = spawn_merchant(true).await;
    let (status, _) = order(&s, "svc-dup", "http://localhost:8080/n").await;
    assert_eq!(status, 200);
    let res = s
        .backend(
            &format!("/v1/{APP}/pay/orders"),
            json!({ "outTradeNo": "svc-dup", "description": "other", "total": 2, "openid": payer(), "notifyUrl": "http://localhost:8080/n" }),
        )
        .await;
    assert_eq!(res.status(), 409);
    let v: Value = res.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("OUT_TRADE_NO_USED"),
        "{v}"
    );
    let calls = s.platform_calls().await["calls"]["/v3/pay/transactions/jsapi"].as_u64();
    for bad in [
        json!({ "outTradeNo": "bad no!", "description": "d", "total": 1, "openid": payer(), "notifyUrl": "http://localhost/n" }),
        json!({ "outTradeNo": "ok1", "description": "d", "total": 0, "openid": payer(), "notifyUrl": "http://localhost/n" }),
        json!({ "outTradeNo": "ok1", "description": "d", "total": 1, "openid": "", "notifyUrl": "http://localhost/n" }),
        json!({ "outTradeNo": "ok1", "description": "d", "total": 1, "openid": payer() }),
        json!({ "outTradeNo": "ok1", "description": "d", "total": 1, "openid": payer(), "notifyUrl": "ftp://x/" }),
        json!({ "outTradeNo": "ok1", "unknown": 1 }),
    ] {
        let res = s
            .backend(&format!("/v1/{APP}/pay/orders"), bad.clone())
            .await;
        assert_eq!(res.status(), 400, "{bad}");
    }
    assert_eq!(
        s.platform_calls().await["calls"]["/v3/pay/transactions/jsapi"].as_u64(),
        calls,
        "bad input reached the platform"
    );
    let res = s
        .http
        .post(s.url(&format!("/v1/{APP}/pay/orders")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let (status, _) = query(&s, "never-made").await;
    assert_eq!(status, 404);
}

/// A merchant with only a v2 key orders through v2 (HMAC-SHA256 `paySign`), and its XML
/// notification is verified with the API key, with the answer to give WeChat Pay.
#[tokio::test]
async fn a_v2_merchant_orders_and_verifies_through_v2() {
    let s = spawn_merchant(false).await;
    let (url, got) = notify_server().await;
    let (status, p) = order(&s, "svc-v2-1", &url).await;
    assert_eq!(status, 200, "{p}");
    assert_eq!(
        (p["api"].as_str(), p["signType"].as_str()),
        (Some("v2"), Some("HMAC-SHA256"))
    );
    let params = wxjs_sign::PayParams {
        app_id: APP,
        time_stamp: p["timestamp"].as_str().unwrap(),
        nonce_str: p["nonceStr"].as_str().unwrap(),
        package: p["package"].as_str().unwrap(),
    };
    let key = wxjs_sign::PayApiKey::new(
        s.sim
            .account(APP)
            .unwrap()
            .merchant
            .clone()
            .unwrap()
            .api_key,
    );
    assert!(params.verify_v2(
        wxjs_sign::PaySignType::HmacSha256,
        &key,
        p["paySign"].as_str().unwrap()
    ));
    assert_eq!(query(&s, "svc-v2-1").await.1["tradeState"], "NOTPAY");
    pay(
        &s,
        p["prepayId"].as_str().unwrap(),
        PayForm::V2(wxjs_sign::PaySignType::HmacSha256),
    );
    let (headers, body) = wait_post(&got).await;
    let (status, v) = forward(&s, &headers, &body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        (v["api"].as_str(), v["eventType"].as_str()),
        (Some("v2"), Some("TRANSACTION.SUCCESS"))
    );
    assert_eq!(v["transaction"]["out_trade_no"], "svc-v2-1");
    assert!(v["ack"].as_str().unwrap().contains("SUCCESS"));
    let (status, _) = forward(&s, &headers, &body.replace("150", "1")).await;
    assert_eq!(status, 400);
    assert_eq!(query(&s, "svc-v2-1").await.1["tradeState"], "SUCCESS");
}

/// The service's v2 notification reader was lenient: bytes that are not UTF-8 were read as
/// U+FFFD (and signed that way), a field given twice kept its last copy (a back end reading the
/// first would see an unsigned amount), a second document after `</xml>` was ignored,
/// `return_code=FAIL` with `result_code=SUCCESS` was reported as a successful payment, and so
/// was a "success" that named no order.
#[tokio::test]
async fn v2_notifications_were_read_leniently() {
    let s = spawn_merchant(false).await;
    let merchant = s.sim.account(APP).unwrap().merchant.clone().unwrap();
    let key = wxjs_sign::PayApiKey::new(merchant.api_key.clone());
    let fields = |extra: &[(&str, &str)]| -> std::collections::BTreeMap<String, String> {
        let mut f: std::collections::BTreeMap<String, String> = [
            ("appid", APP),
            ("mch_id", merchant.partner_id.as_str()),
            ("nonce_str", "n0nce"),
            ("return_code", "SUCCESS"),
            ("result_code", "SUCCESS"),
            ("out_trade_no", "svc-lenient-1"),
            ("transaction_id", "4200000001"),
            ("total_fee", "150"),
            ("sign_type", "HMAC-SHA256"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (k, v) in extra {
            if v.is_empty() {
                f.remove(*k);
            } else {
                f.insert((*k).to_owned(), (*v).to_owned());
            }
        }
        let sign = wxjs_sign::sign_v2_fields(&f, wxjs_sign::PaySignType::HmacSha256, &key);
        f.insert("sign".into(), sign);
        f
    };
    let post = |body: Vec<u8>| {
        let req = s
            .http
            .post(s.url(&format!("/v1/{APP}/pay/notifications")))
            .bearer_auth(API_KEY)
            .header("content-type", "text/xml")
            .body(body);
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    // The genuine notification passes.
    let genuine = wxjs_sign::write_v2_xml(&fields(&[]));
    let (status, v) = post(genuine.clone().into_bytes()).await;
    assert_eq!(
        (status, v["eventType"].as_str()),
        (200, Some("TRANSACTION.SUCCESS")),
        "{v}"
    );

    // Signed over U+FFFD, sent with the byte 0xFF.
    let signed = wxjs_sign::write_v2_xml(&fields(&[("attach", "A\u{FFFD}B")]));
    let raw = signed.replace('\u{FFFD}', "\u{1}").into_bytes();
    let raw: Vec<u8> = raw
        .into_iter()
        .map(|b| if b == 1 { 0xFF } else { b })
        .collect();
    let (status, v) = post(raw).await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not UTF-8"),
        "{v}"
    );

    // An unsigned amount before the signed one.
    let doubled = genuine.replacen("<xml>", "<xml><total_fee>1</total_fee>", 1);
    let (status, v) = post(doubled.into_bytes()).await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("twice"),
        "{v}"
    );

    // A second document after the first.
    let (status, v) =
        post(format!("{genuine}<xml><total_fee>1</total_fee></xml>").into_bytes()).await;
    assert_eq!(status, 400, "{v}");

    // The call failed: not a payment, whatever result_code says.
    let failed = wxjs_sign::write_v2_xml(&fields(&[("return_code", "FAIL")]));
    let (status, v) = post(failed.into_bytes()).await;
    assert_eq!(
        (status, v["eventType"].as_str()),
        (200, Some("TRANSACTION.FAIL")),
        "{v}"
    );

    // A success that names no order, or no amount.
    for missing in ["out_trade_no", "total_fee", "transaction_id"] {
        let bare = wxjs_sign::write_v2_xml(&fields(&[(missing, "")]));
        let (status, v) = post(bare.into_bytes()).await;
        assert_eq!(status, 400, "{missing}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(missing),
            "{v}"
        );
    }
}

/// A `notifyUrl` with a `#fragment` passed the service's check and was then refused by WeChat
/// Pay with a message about something else; both order forms now use one rule.
#[tokio::test]
async fn a_notify_url_with_a_fragment_passed_the_service() {
    let s = spawn_merchant(true).await;
    let (status, v) = order(&s, "svc-frag-1", "http://127.0.0.1:8080/n#part").await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("without #fragment"),
        "{v}"
    );
    let long = format!("http://127.0.0.1:8080/{}", "n".repeat(256));
    let (status, v) = order(&s, "svc-frag-2", &long).await;
    assert_eq!(status, 400, "{v}");
}

/// WeChat Pay's `429 FREQUENCY_LIMITED` reached the caller as `409 merchant_api_refused`
/// without `Retry-After`, as if the order itself were refused.
#[tokio::test]
async fn frequency_limited_looked_like_a_refused_order() {
    let s = spawn_merchant(true).await;
    s.http
        .post(format!("{}/__sim/faults", s.platform))
        .json(&json!({"path": "/v3/pay/transactions/jsapi", "code": "FREQUENCY_LIMITED"}))
        .send()
        .await
        .unwrap();
    let res = s
        .backend(
            &format!("/v1/{APP}/pay/orders"),
            json!({ "outTradeNo": "svc-freq-1", "description": "d", "total": 1,
                    "openid": payer(), "notifyUrl": "http://127.0.0.1:8080/n" }),
        )
        .await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.headers()["retry-after"], "5");
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], "merchant_api_rate_limited", "{v}");
    // The next try goes through.
    let (status, v) = order(&s, "svc-freq-1", "http://127.0.0.1:8080/n").await;
    assert_eq!(status, 200, "{v}");
}
