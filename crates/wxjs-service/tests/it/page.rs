//! The page endpoints: config, CORS, explain, rate limit, 503.

use serde_json::{Value, json};
use wxjs_service::config::RateLimit;
use wxjs_sign::JsapiTicket;

use crate::{APP, assert_error, spawn, spawn_with};

#[tokio::test]
async fn config_signature_verifies_against_the_simulators_current_ticket() {
    let s = spawn().await;
    let page = "http://localhost:8080/h5/活动?from=singlemessage&isappinstalled=0#/share";
    let res = s
        .http
        .get(s.url(&format!("/v1/{APP}/jssdk/config")))
        .query(&[("url", page)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 6, "{keys:?}");
    assert_eq!(v["appId"], APP);
    assert!(v["timestamp"].is_u64());
    assert_eq!(
        v["url"],
        "http://localhost:8080/h5/活动?from=singlemessage&isappinstalled=0"
    );
    assert_eq!(
        v["jsApiList"],
        json!(["chooseImage", "onMenuShareTimeline"])
    );
    let ticket = JsapiTicket::new(s.jsapi_ticket());
    assert!(
        wxjs_sign::ConfigParams {
            url: v["url"].as_str().unwrap(),
            timestamp: v["timestamp"].as_u64().unwrap(),
            nonce_str: v["nonceStr"].as_str().unwrap()
        }
        .verify(&ticket, v["signature"].as_str().unwrap())
    );

    // An explicit list; a second page; one ticket fetch in all.
    let v: Value = s.http.get(s.url(&format!("/v1/{APP}/jssdk/config?url=https%3A%2F%2Fshop.example.com%2F&jsApiList=chooseWXPay,addCard"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["jsApiList"], json!(["chooseWXPay", "addCard"]));
    assert_eq!(
        s.platform_calls().await["calls"]["/cgi-bin/ticket/getticket"],
        1
    );
    s.assert_logs_clean().await;
}

#[tokio::test]
async fn cors_allows_exactly_the_apps_domains() {
    let s = spawn().await;
    let get = |origin: &'static str| {
        s.http
            .get(s.url(&format!(
                "/v1/{APP}/jssdk/config?url=http%3A%2F%2Flocalhost%2F"
            )))
            .header("Origin", origin)
            .send()
    };
    for allowed in [
        "http://localhost:8080",
        "https://m.example.com",
        "https://example.com",
    ] {
        let res = get(allowed).await.unwrap();
        assert_eq!(res.headers()["access-control-allow-origin"], allowed);
        assert!(res.headers()["vary"].to_str().unwrap().contains("Origin"));
    }
    for foreign in [
        "https://evil.com",
        "https://example.com.evil.com",
        "null",
        "file://",
    ] {
        let res = get(foreign).await.unwrap();
        assert_eq!(
            res.status(),
            200,
            "the signature is still computed: CORS is the browser's gate"
        );
        assert!(
            res.headers().get("access-control-allow-origin").is_none(),
            "{foreign}"
        );
    }
    let pre = s
        .http
        .request(
            reqwest::Method::OPTIONS,
            s.url(&format!("/v1/{APP}/jssdk/config")),
        )
        .header("Origin", "http://localhost:3000")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 204);
    assert_eq!(
        pre.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    let pre = s
        .http
        .request(
            reqwest::Method::OPTIONS,
            s.url(&format!("/v1/{APP}/jssdk/explain")),
        )
        .header("Origin", "https://evil.com")
        .send()
        .await
        .unwrap();
    assert!(pre.headers().get("access-control-allow-origin").is_none());
    // Errors carry CORS headers too, so the page can read them.
    let res = s
        .http
        .get(s.url(&format!(
            "/v1/{APP}/jssdk/config?url=https%3A%2F%2Fevil.com%2F"
        )))
        .header("Origin", "http://localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "http://localhost"
    );
    assert_error(res, 403, "domain_not_allowed").await;
}

#[tokio::test]
async fn explain_finds_the_cause_and_never_shows_the_ticket() {
    let s = spawn().await;
    let page = "http://localhost:8080/list?id=7#/item";
    let v: Value = s
        .http
        .get(s.url(&format!("/v1/{APP}/jssdk/config")))
        .query(&[("url", page)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let good = json!({"url": v["url"], "timestamp": v["timestamp"], "nonceStr": v["nonceStr"], "signature": v["signature"]});
    let res = s
        .http
        .post(s.url(&format!("/v1/{APP}/jssdk/explain")))
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let e: Value = res.json().await.unwrap();
    assert_eq!(e["valid"], true, "{e}");
    assert!(e["ticketAgeSecs"].is_u64() && e["ticketExpiresInSecs"].as_u64().unwrap() > 7000);
    // The page changed its own nonce: the service remembers what it issued.
    let wrong_nonce = json!({"url": v["url"], "timestamp": v["timestamp"].to_string(), "nonceStr": "madeUpByThePage", "signature": v["signature"]});
    let e: Value = s
        .http
        .post(s.url(&format!("/v1/{APP}/jssdk/explain")))
        .json(&wrong_nonce)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(e["valid"], false);
    // A single-page app that moved on: the signature was for /list.
    let moved = json!({"url": v["url"], "pageUrl": "http://localhost:8080/item/7", "timestamp": v["timestamp"], "nonceStr": v["nonceStr"], "signature": v["signature"]});
    let e: Value = s
        .http
        .post(s.url(&format!("/v1/{APP}/jssdk/explain")))
        .json(&moved)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = e["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"path_or_query_differs") && codes.contains(&"signed_other_url"),
        "{codes:?}"
    );
    assert!(!e.to_string().contains(&s.jsapi_ticket()));
    s.assert_logs_clean().await;
}

#[tokio::test]
async fn no_valid_ticket_is_a_503_with_retry_after_and_nothing_cached() {
    let s = spawn().await;
    s.http
        .post(format!("{}/__sim/faults", s.platform))
        .json(&json!({"path":"/cgi-bin/ticket/getticket","errcode":-1}))
        .send()
        .await
        .unwrap();
    let res = s
        .http
        .get(s.url(&format!(
            "/v1/{APP}/jssdk/config?url=http%3A%2F%2Flocalhost%2F"
        )))
        .send()
        .await
        .unwrap();
    assert!(
        res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let v = assert_error(res, 503, "ticket_unavailable").await;
    assert!(
        !v.to_string().contains("system error"),
        "5xx answers hide details: {v}"
    );
    let ready = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503, "within the backoff, not ready");
    // After the backoff (on the cache's clock, which follows the simulator's) the service
    // recovers by itself.
    s.http
        .post(format!("{}/__sim/clock/advance", s.platform))
        .json(&json!({"seconds": 2}))
        .send()
        .await
        .unwrap();
    let res = s
        .http
        .get(s.url(&format!(
            "/v1/{APP}/jssdk/config?url=http%3A%2F%2Flocalhost%2F"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_with_retry_after() {
    let s = spawn_with(RateLimit {
        per_minute: 60,
        burst: 3,
        trust_forwarded_for: false,
    })
    .await;
    let url = s.url(&format!(
        "/v1/{APP}/jssdk/config?url=http%3A%2F%2Flocalhost%2F"
    ));
    for _ in 0..3 {
        assert_eq!(s.http.get(&url).send().await.unwrap().status(), 200);
    }
    let res = s.http.get(&url).send().await.unwrap();
    assert!(res.headers().contains_key("retry-after"));
    assert_error(res, 429, "rate_limited").await;
    // Back ends are not rate limited by the page limit.
    assert_eq!(
        s.http.get(s.url("/healthz")).send().await.unwrap().status(),
        200
    );
}

/// A fault run wrote one ERROR line per 503 (25,050 lines): the failure is logged when it
/// begins, the answers only counted.
#[tokio::test]
async fn one_error_log_line_per_503() {
    let s = spawn().await;
    s.http
        .post(format!("{}/__sim/faults", s.platform))
        .json(&json!({"path":"/cgi-bin/ticket/getticket","errcode":-1,"count":1000}))
        .send()
        .await
        .unwrap();
    for _ in 0..40 {
        let res = s
            .http
            .get(s.url(&format!(
                "/v1/{APP}/jssdk/config?url=http%3A%2F%2Flocalhost%2F"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 503);
    }
    let logs = crate::logs();
    let per_answer = logs
        .lines()
        .filter(|l| l.contains("\"ERROR\"") && l.contains("credential unavailable"))
        .count();
    assert_eq!(per_answer, 0, "an ERROR line per 503 answer");
    let metrics = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"route="/v1/{app_id}/jssdk/config",method="GET",status="503"} 40"#),
        "the answers are counted: {metrics}"
    );
}
