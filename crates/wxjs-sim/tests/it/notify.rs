//! Payment notifications as a merchant's server sees them — and as a hostile or broken one
//! treats the platform: an endless answer, a redirect, a hang.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use serde_json::Value;
use wxjs_sim::state::Notification;

use crate::spawn_sim;

/// A merchant's server with several misbehaving endpoints; counts what reaches each.
async fn merchant() -> (String, Arc<[AtomicUsize; 4]>) {
    let hits: Arc<[AtomicUsize; 4]> = Arc::new(Default::default());
    let h = hits.clone();
    let (h0, h1, h2, h3) = (h.clone(), h.clone(), h.clone(), h);
    let app = Router::new()
        // An answer that never ends (and never says success in its first KB).
        .route(
            "/stream",
            post(move || {
                h0[0].fetch_add(1, Ordering::SeqCst);
                async { Body::from_stream(Forever(vec![b'x'; 64 * 1024])) }
            }),
        )
        // A redirect to a place that would accept.
        .route(
            "/redirect",
            post(move || {
                h1[1].fetch_add(1, Ordering::SeqCst);
                async {
                    (
                        axum::http::StatusCode::FOUND,
                        [(axum::http::header::LOCATION, "/target")],
                    )
                }
            }),
        )
        .route(
            "/target",
            get(move || {
                h2[2].fetch_add(1, Ordering::SeqCst);
                async { "SUCCESS" }
            })
            .post(|| async { "SUCCESS" }),
        )
        // Hangs far longer than the platform waits.
        .route(
            "/hang",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(600)).await;
                "SUCCESS"
            }),
        )
        .route(
            "/ok",
            post(move || {
                h3[3].fetch_add(1, Ordering::SeqCst);
                async { "<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>" }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, hits)
}

/// The same bytes forever.
struct Forever(Vec<u8>);

impl futures_core::Stream for Forever {
    type Item = Result<Vec<u8>, std::io::Error>;
    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(Some(Ok(self.0.clone())))
    }
}

fn notification(url: String, order: &str) -> Notification {
    Notification {
        id: 0,
        form: "v2".into(),
        out_trade_no: order.into(),
        total_fee: 1,
        url,
        body: "<xml><return_code>SUCCESS</return_code></xml>".into(),
        attempts: 0,
        delivered: false,
        next_at: 0,
        last_response: None,
        last_at: 0,
        mch_id: String::new(),
        probe: false,
    }
}

/// A `notify_url` that streams took `wxjs dev` from 15 MB to 9 GB; while one delivery hung, no
/// other went out; redirects were followed (a 302 turned the POST into a GET); the first 200
/// bytes of the merchant's answer were published at `/__sim/pay/notifications`.
#[tokio::test]
async fn notifications_read_the_merchant_s_answer_without_limit() {
    let s = spawn_sim().await;
    let (m, hits) = merchant().await;
    for (path, order) in [
        ("/hang", "o-hang"),
        ("/stream", "o-stream"),
        ("/redirect", "o-redirect"),
        ("/ok", "o-ok"),
    ] {
        let n = notification(format!("{m}{path}"), order);
        s.sim.update(|st, now| st.add_notification(n, now));
    }
    // The good merchant is served while another hangs and another streams.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(8);
    let list = loop {
        let list: Vec<Value> = s
            .get("/__sim/pay/notifications")
            .await
            .as_array()
            .unwrap()
            .clone();
        let done = |o: &str| {
            list.iter()
                .any(|n| n["outTradeNo"] == o && n["attempts"].as_u64() >= Some(1))
        };
        if done("o-ok") && done("o-stream") && done("o-redirect") {
            break list;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deliveries waited for a hanging merchant: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let by = |o: &str| list.iter().find(|n| n["outTradeNo"] == o).unwrap().clone();
    assert_eq!(by("o-ok")["delivered"], true);
    assert_eq!(hits[3].load(Ordering::SeqCst), 1);
    // The endless answer was cut short and not accepted.
    assert_eq!(by("o-stream")["delivered"], false);
    assert_eq!(by("o-stream")["lastResponse"], "HTTP 200, not accepted");
    // The redirect was not followed: the target never saw a GET.
    assert_eq!(by("o-redirect")["delivered"], false);
    assert_eq!(hits[2].load(Ordering::SeqCst), 0, "a 302 was followed");
    assert!(
        by("o-redirect")["lastResponse"]
            .as_str()
            .unwrap()
            .contains("redirects are not followed")
    );
    // Nothing the merchant wrote is published.
    let text = serde_json::to_string(&list).unwrap();
    assert!(
        !text.contains("xxxx") && !text.contains("return_code><![CDATA"),
        "{text}"
    );
    // The hanging one times out after the platform's 5 s, and is retried later.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let hang = s
            .get("/__sim/pay/notifications")
            .await
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["outTradeNo"] == "o-hang")
            .unwrap()
            .clone();
        if hang["attempts"] == 1 {
            assert_eq!(hang["lastResponse"], "no answer within 5 s");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{hang}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Any host and port was reachable: a notify URL on a service that does not speak HTTP
/// (Redis's 6379, SSH's 22) is refused when the order is made.
#[tokio::test]
async fn notify_urls_could_reach_any_port() {
    let s = spawn_sim().await;
    for url in ["http://127.0.0.1:6379/", "http://127.0.0.1:22/x"] {
        let res = s
            .http
            .post(s.url("/__sim/pay/prepay"))
            .json(&serde_json::json!({"appId": crate::APP, "body": "b", "totalFee": 1, "outTradeNo": "o-port", "notifyUrl": url}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{url}");
    }
}

/// A different order under a used `out_trade_no` was accepted; the same one again must give
/// the same prepay id.
#[tokio::test]
async fn a_used_out_trade_no_took_another_order() {
    let s = spawn_sim().await;
    let prepay = |fee: u64| {
        let s = &s;
        async move {
            s.http
                .post(s.url("/__sim/pay/prepay"))
                .json(&serde_json::json!({"appId": crate::APP, "body": "b", "totalFee": fee, "outTradeNo": "o-used", "notifyUrl": "http://127.0.0.1:8080/n"}))
                .send()
                .await
                .unwrap()
        }
    };
    let first: Value = prepay(100).await.json().await.unwrap();
    let again: Value = prepay(100).await.json().await.unwrap();
    assert_eq!(
        first["prepayId"], again["prepayId"],
        "idempotent re-submission"
    );
    let other = prepay(200).await;
    assert_eq!(other.status(), 409);
    let v: Value = other.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("OUT_TRADE_NO_USED"),
        "{v}"
    );
}

/// Control-API fields were unbounded (20 prepays with 1.9 MB fields slowed every platform call
/// and grew the database to 115 MB): every field is held to the merchant API's own limits.
#[tokio::test]
async fn control_api_fields_were_unbounded() {
    let s = spawn_sim().await;
    let big = "x".repeat(200);
    for body in [
        serde_json::json!({"appId": crate::APP, "body": big, "totalFee": 1, "outTradeNo": "o1", "notifyUrl": "http://127.0.0.1:8080/n"}),
        serde_json::json!({"appId": crate::APP, "body": "b", "totalFee": 1, "outTradeNo": "o".repeat(33), "notifyUrl": "http://127.0.0.1:8080/n"}),
        serde_json::json!({"appId": crate::APP, "body": "b", "totalFee": 1, "outTradeNo": "o2", "notifyUrl": format!("http://127.0.0.1:8080/{}", "n".repeat(300))}),
        serde_json::json!({"appId": crate::APP, "body": "b", "totalFee": 1, "outTradeNo": "o3", "notifyUrl": "http://127.0.0.1:8080/n", "attach": big}),
        serde_json::json!({"appId": crate::APP, "body": "b", "totalFee": 1u64 << 40, "outTradeNo": "o4", "notifyUrl": "http://127.0.0.1:8080/n"}),
    ] {
        let res = s
            .http
            .post(s.url("/__sim/pay/prepay"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
    }
    // A body the size of the old attack is refused before it is parsed.
    let res = s
        .http
        .post(s.url("/__sim/pay/prepay"))
        .header("content-type", "application/json")
        .body(format!(r#"{{"body":"{}"}}"#, "x".repeat(2 << 20)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    // Faults: a bounded queue.
    for i in 0..wxjs_sim::state::MAX_QUEUED {
        let res = s
            .http
            .post(s.url("/__sim/faults"))
            .json(&serde_json::json!({"path": format!("/cgi-bin/x{i}"), "errcode": -1}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let res = s
        .http
        .post(s.url("/__sim/faults"))
        .json(&serde_json::json!({"path": "/cgi-bin/one-more", "errcode": -1}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
}

/// A reset started notification ids from 1 again, so a delivery still in flight recorded its
/// outcome on a new notification with the same id.
#[tokio::test]
async fn notification_ids_were_reused_after_a_reset() {
    let s = spawn_sim().await;
    s.sim.update(|st, now| {
        st.add_notification(notification("http://127.0.0.1:9/n".into(), "a"), now)
    });
    let first = s.sim.read(|st, _| st.notifications()[0].id);
    s.sim.reset().await;
    s.sim.update(|st, now| {
        st.add_notification(notification("http://127.0.0.1:9/n".into(), "b"), now)
    });
    let second = s.sim.read(|st, _| st.notifications()[0].id);
    assert!(second > first, "{second} after {first}");
}

/// A body over the control API's 256 KiB was refused with a message naming the listener's
/// 32 MiB ("the body is larger than 33554432 bytes").
#[tokio::test]
async fn the_413_named_the_listener_s_limit_not_the_route_s() {
    let s = spawn_sim().await;
    let res = s
        .http
        .post(s.url("/__sim/clock/advance"))
        .header("content-type", "application/json")
        .body(format!(
            r#"{{"seconds":1,"x":"{}"}}"#,
            "x".repeat(256 * 1024)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let v: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        v["error"]["message"], "the body is larger than 262144 bytes",
        "{v}"
    );
    let res = s
        .http
        .post(s.url("/pay/unifiedorder"))
        .body(vec![b'x'; 256 * 1024 + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("262144 bytes"));
}

/// `POST /__sim/pay/pay {"outcome":"fail"}` on an order already paid answered 200
/// `{"paid":false}`, as if a failure had been recorded; nothing changed. It is a 409 now, like a
/// second `success`.
#[tokio::test]
async fn a_failed_payment_of_a_paid_order_answered_200() {
    let s = spawn_sim().await;
    let res = s
        .post_json(
            "/__sim/pay/prepay",
            &serde_json::json!({"appId": crate::APP, "body": "b", "totalFee": 1, "outTradeNo": "fail-after-paid", "notifyUrl": "http://127.0.0.1:8080/n"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let prepay: serde_json::Value = res.json().await.unwrap();
    let id = prepay["prepayId"].as_str().expect("prepayId").to_owned();
    let pay = |outcome: &'static str| {
        let body = serde_json::json!({"prepayId": id, "outcome": outcome});
        let req = s.http.post(s.url("/__sim/pay/pay")).json(&body);
        async move { req.send().await.unwrap() }
    };
    assert_eq!(pay("fail").await.status(), 200, "a payable order may fail");
    assert_eq!(pay("success").await.status(), 200);
    for outcome in ["fail", "success"] {
        let res = pay(outcome).await;
        assert_eq!(res.status(), 409, "{outcome}");
        let v: serde_json::Value = res.json().await.unwrap();
        assert_eq!(v["error"]["code"], "not_payable", "{v}");
    }
}
