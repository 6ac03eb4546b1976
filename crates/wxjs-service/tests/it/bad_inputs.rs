//! Every bad input gets the documented 4xx JSON error, and nothing changes: no platform call,
//! no credential touched.

use serde_json::{Value, json};

use crate::{API_KEY, APP, assert_error, spawn};

#[tokio::test]
async fn bad_inputs_on_every_endpoint() {
    let s = spawn().await;
    // Warm the cache so that a bad input could only change things by calling the platform.
    for kind in ["access_token", "jsapi_ticket", "card_ticket"] {
        s.http
            .get(s.url(&format!("/v1/{APP}/credentials/{kind}")))
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap();
    }
    let before = s.platform_calls().await;
    let token_before: Value = s
        .http
        .get(s.url(&format!("/v1/{APP}/credentials/access_token")))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let long = format!("http://localhost/{}", "a".repeat(10 * 1024));
    let config = |q: &str| s.url(&format!("/v1/{APP}/jssdk/config{q}"));
    let enc = |u: &str| url_encode(u);
    let gets: Vec<(String, u16, &str)> = vec![
        (config(""), 400, "bad_url"),
        (config("?url="), 400, "bad_url"),
        (
            config(&format!("?url={}", enc("/relative/page"))),
            400,
            "bad_url",
        ),
        (
            config(&format!("?url={}", enc("javascript:alert(1)"))),
            400,
            "bad_url",
        ),
        (
            config(&format!("?url={}", enc("https://evil.com/"))),
            403,
            "domain_not_allowed",
        ),
        (config(&format!("?url={}", enc(&long))), 400, "bad_url"),
        (
            config(&format!("?url={}", enc("http://localhost/\u{1}x"))),
            400,
            "bad_url",
        ),
        (
            config(&format!("?url={}&jsApiList=fly", enc("http://localhost/"))),
            400,
            "bad_js_api_list",
        ),
        (
            s.url(&format!(
                "/v1/wxnope000000000001/jssdk/config?url={}",
                enc("http://localhost/")
            )),
            404,
            "unknown_app",
        ),
        (s.url("/v2/nothing"), 404, "not_found"),
    ];
    for (url, status, code) in gets {
        let res = s.http.get(&url).send().await.unwrap();
        assert_error(res, status, code).await;
    }
    // Wrong methods.
    let res = s
        .http
        .post(config("?url=http%3A%2F%2Flocalhost%2F"))
        .send()
        .await
        .unwrap();
    assert_error(res, 405, "method_not_allowed").await;
    let res = s
        .http
        .get(s.url(&format!("/v1/{APP}/cards/ext")))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_error(res, 405, "method_not_allowed").await;

    // Explain.
    let explain = s.url(&format!("/v1/{APP}/jssdk/explain"));
    for (body, status, code) in [
        ("{not json".to_owned(), 400, "bad_json"),
        (json!({"url":"http://localhost/"}).to_string(), 400, "bad_request"),
        (json!({"url":"ftp://localhost/","timestamp":1,"nonceStr":"n","signature":"s"}).to_string(), 400, "bad_url"),
        (json!({"url":"https://evil.com/","timestamp":1,"nonceStr":"n","signature":"s"}).to_string(), 403, "domain_not_allowed"),
        (json!({"url":"http://localhost/","timestamp":1,"nonceStr":"n","signature":"s","extra":1}).to_string(), 400, "bad_request"),
    ] {
        let res = s.http.post(&explain).header("content-type", "application/json").body(body).send().await.unwrap();
        assert_error(res, status, code).await;
    }
    let res = s.http.post(&explain).body("{}").send().await.unwrap();
    assert_error(res, 415, "bad_json").await;

    // Back ends: missing and wrong keys, then bad bodies.
    let backend_paths = [
        "cards/ext",
        "cards/choose",
        "pay/package",
        "pay/prepay",
        "address",
        "credentials/access_token/refresh",
    ];
    for p in backend_paths {
        let res = s
            .http
            .post(s.url(&format!("/v1/{APP}/{p}")))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_error(res, 401, "unauthorized").await;
        let res = s
            .http
            .post(s.url(&format!("/v1/{APP}/{p}")))
            .bearer_auth("wrong-key-0123456789")
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_error(res, 401, "unauthorized").await;
        let res = s
            .http
            .post(s.url(&format!("/v1/{APP}/{p}")))
            .bearer_auth(API_KEY)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_error(res, 400, "bad_json").await;
    }
    let res = s
        .http
        .get(s.url(&format!("/v1/{APP}/credentials/jsapi_ticket")))
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "unauthorized").await;
    let res = s
        .http
        .get(s.url(&format!("/v1/{APP}/credentials/password")))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_error(res, 400, "bad_request").await;
    let res = s
        .http
        .get(s.url("/v1/wxnope000000000001/credentials/jsapi_ticket"))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "unknown_app").await;
    let order = json!({"body":"b","out_trade_no":"o1","total_fee":"1","notify_url":"http://localhost/n","spbill_create_ip":"1.2.3.4"});
    let with = |k: &str, v: Value| {
        let mut o = order.clone();
        o[k] = v;
        o
    };
    for (path, body, status, code) in [
        ("cards/ext", json!({"cards":[]}), 400, "bad_request"),
        (
            "cards/ext",
            json!({"cards":[{"cardId":""}]}),
            400,
            "bad_request",
        ),
        (
            "cards/ext",
            json!({"cards":[{"cardId":"c"}],"form":"1999"}),
            400,
            "bad_request",
        ),
        ("cards/choose", json!({"shopId":5}), 400, "bad_request"),
        (
            "pay/package",
            with("total_fee", json!("0")),
            400,
            "bad_request",
        ),
        (
            "pay/package",
            with("total_fee", json!("1.5")),
            400,
            "bad_request",
        ),
        (
            "pay/package",
            with("notify_url", json!("/relative")),
            400,
            "bad_request",
        ),
        (
            "pay/package",
            with("spbill_create_ip", json!("::1")),
            400,
            "bad_request",
        ),
        (
            "pay/package",
            with("out_trade_no", json!("x".repeat(33))),
            400,
            "bad_request",
        ),
        (
            "pay/package",
            with("input_charset", json!("BIG5")),
            400,
            "bad_request",
        ),
        (
            "pay/package",
            with("body", json!("😀 not GBK"))
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.insert("input_charset".into(), json!("GBK"));
                    Value::Object(o)
                })
                .unwrap(),
            400,
            "bad_request",
        ),
        (
            "pay/prepay",
            json!({"prepayId":"","signType":"MD5"}),
            400,
            "bad_request",
        ),
        (
            "pay/prepay",
            json!({"prepayId":"wx1","signType":"SHA1"}),
            400,
            "bad_request",
        ),
        (
            "address",
            json!({"url":"https://evil.com/","accessToken":"t"}),
            403,
            "domain_not_allowed",
        ),
        (
            "address",
            json!({"url":"javascript:x","accessToken":"t"}),
            400,
            "bad_url",
        ),
        (
            "address",
            json!({"url":"http://localhost/","accessToken":""}),
            400,
            "bad_request",
        ),
        (
            "credentials/access_token/refresh",
            json!({"rejected":""}),
            400,
            "bad_request",
        ),
    ] {
        let res = s.backend(&format!("/v1/{APP}/{path}"), body.clone()).await;
        assert_error(res, status, code).await;
    }
    // An oversized body.
    let res = s
        .http
        .post(s.url(&format!("/v1/{APP}/cards/choose")))
        .bearer_auth(API_KEY)
        .header("content-type", "application/json")
        .body(format!("{{\"shopId\":\"{}\"}}", "x".repeat(70_000)))
        .send()
        .await
        .unwrap();
    assert_error(res, 413, "payload_too_large").await;

    // Nothing changed.
    assert_eq!(s.platform_calls().await, before, "no platform call");
    let token_after: Value = s
        .http
        .get(s.url(&format!("/v1/{APP}/credentials/access_token")))
        .bearer_auth(API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(token_after["value"], token_before["value"]);
    s.assert_logs_clean().await;
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    wxjs_sign::encode_uri_component(s.as_bytes(), &mut out);
    out
}

/// `transport_fee=18446744073709551615&product_fee=2` "added up" to `total_fee=1`, and an
/// unparsable huge fee counted as 0.
#[tokio::test]
async fn fee_arithmetic_overflowed() {
    let s = spawn().await;
    let order = |total: &str, transport: &str, product: &str| {
        json!({"body":"b","out_trade_no":"order-0001","total_fee":total,"transport_fee":transport,
               "product_fee":product,"notify_url":"http://localhost:8080/notify","spbill_create_ip":"1.2.3.4"})
    };
    for (total, transport, product) in [
        ("1", "18446744073709551615", "2"),
        ("1", "99999999999999999999999", "0"),
        ("99999999999999999999999", "0", "0"),
        ("2147483648", "2147483647", "1"),
    ] {
        let res = s
            .backend(
                &format!("/v1/{APP}/pay/package"),
                order(total, transport, product),
            )
            .await;
        assert_error(res, 400, "bad_request").await;
    }
    let res = s
        .backend(&format!("/v1/{APP}/pay/package"), order("3", "1", "2"))
        .await;
    assert_eq!(res.status(), 200, "a fee split that adds up");
}

/// `url=https://shop.example.com/%FF` signed a URL containing U+FFFD.
#[tokio::test]
async fn the_config_url_was_decoded_lossily() {
    let s = spawn().await;
    let config = |query: &str| {
        s.http
            .get(s.url(&format!("/v1/{APP}/jssdk/config?{query}")))
            .send()
    };
    let res = config("url=http%3A%2F%2Flocalhost%2F%FF").await.unwrap();
    let v = assert_error(res, 400, "bad_url").await;
    assert!(
        !v.to_string().contains('\u{FFFD}'),
        "no replacement character anywhere: {v}"
    );
    // The query is decoded in one strict pass: a parameter the endpoint ignores is held to the
    // same rule, `+` is a space (refused in a page URL), and text without escapes is taken as is.
    for (query, code) in [
        ("url=http%3A%2F%2Flocalhost%2F&utm=%FF", "bad_url"),
        ("url=http%3A%2F%2Flocalhost%2F&%FF=1", "bad_url"),
        ("url=http%3A%2F%2Flocalhost%2Fa+b", "bad_url"),
        // Not UTF-8 wins over a repeated parameter, wherever each stands.
        (
            "url=http%3A%2F%2Flocalhost%2F&url=http%3A%2F%2Flocalhost%2F&x=%FF",
            "bad_url",
        ),
        // A key without `=` has an empty value.
        ("url", "bad_url"),
        (
            "url=http%3A%2F%2Flocalhost%2F&url=http%3A%2F%2Flocalhost%2F",
            "bad_request",
        ),
    ] {
        assert_error(config(query).await.unwrap(), 400, code).await;
    }
    for (query, url, list) in [
        // Percent-encoded UTF-8 is fine.
        (
            "url=http%3A%2F%2Flocalhost%2F%E4%B8%AD",
            "http://localhost/中",
            None,
        ),
        (
            "&url=http://localhost/plain&&jsApiList=chooseImage,previewImage",
            "http://localhost/plain",
            Some(serde_json::json!(["chooseImage", "previewImage"])),
        ),
        // A malformed escape is kept as it is, as form decoding does (the browser's URL has it).
        (
            "url=http%3A%2F%2Flocalhost%2F%zz%4",
            "http://localhost/%zz%4",
            None,
        ),
    ] {
        let res = config(query).await.unwrap();
        assert_eq!(res.status(), 200, "{query}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["url"], url);
        if let Some(list) = list {
            assert_eq!(v["jsApiList"], list);
        }
    }
}

/// Each new HTTP method (8 KB long if you like) became a permanent Prometheus series.
#[tokio::test]
async fn metric_labels_came_from_raw_input() {
    let s = spawn().await;
    let long = format!("X{}", "M".repeat(8 * 1024));
    for method in ["FOOBARBAZ", long.as_str(), "PROPFIND"] {
        let res = s
            .http
            .request(method.parse().unwrap(), s.url("/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 405);
    }
    s.http
        .get(s.url("/no/such/path/abcdef"))
        .send()
        .await
        .unwrap();
    let metrics = s
        .http
        .get(s.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for raw in ["FOOBARBAZ", "MMMMMMMM", "PROPFIND", "abcdef"] {
        assert!(!metrics.contains(raw), "{raw} became a label");
    }
    assert!(metrics.contains(r#"method="other""#), "{metrics}");
    assert!(metrics.contains(r#"route="unmatched""#), "{metrics}");
}

/// The config endpoint reads its two parameters itself: a repeated one is a 400, others are
/// ignored, and encoded values decode as before.
#[tokio::test]
async fn config_query_parameters() {
    let s = spawn().await;
    let get = |q: &'static str| {
        let s = &s;
        async move {
            s.http
                .get(s.url(&format!("/v1/{APP}/jssdk/config?{q}")))
                .send()
                .await
                .unwrap()
        }
    };
    let res = get("url=http%3A%2F%2Flocalhost%2F&url=http%3A%2F%2Flocalhost%2Fb").await;
    assert_error(res, 400, "bad_request").await;
    let res = get("url=http%3A%2F%2Flocalhost%2F&jsApiList=a&jsApiList=b").await;
    assert_error(res, 400, "bad_request").await;
    let res = get("utm_source=x&url=http%3A%2F%2Flocalhost%2Fp%3Fa%3D1%26b%3D%2B&jsApiList=chooseImage,scanQRCode").await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["url"], "http://localhost/p?a=1&b=+");
    assert_eq!(v["jsApiList"], json!(["chooseImage", "scanQRCode"]));
}

/// A JSON array was read as the request's fields by position: `["arr-1","T",1,…]` made a real
/// order, and `["CARDID","CASH","SHOP"]` gave `cards/choose` a `shopId` of "CARDID".
#[tokio::test]
async fn json_arrays_were_read_as_objects_by_position() {
    let s = spawn().await;
    for (path, body) in [
        (
            "pay/orders",
            json!(["arr-1", "T", 1, "openid", "http://127.0.0.1:9/n"]),
        ),
        ("cards/choose", json!(["CARDID", "CASH", "SHOP"])),
        ("pay/prepay", json!(["a", "b", 1])),
        ("credentials/access_token/refresh", json!(["token"])),
        ("address", json!(["http://localhost/"])),
        ("jssdk/explain", json!(["http://localhost/", 1, "n", "s"])),
        ("cards/choose", json!("a string")),
        ("cards/choose", json!(7)),
    ] {
        let res = s
            .http
            .post(s.url(&format!("/v1/{APP}/{path}")))
            .bearer_auth(API_KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{path} {body}");
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["error"]["code"], "bad_request", "{path} {body}: {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("must be a JSON object"),
            "{v}"
        );
    }
    // A JSON media type with a suffix is JSON too, as axum's extractor took it.
    let res = s
        .http
        .post(s.url(&format!("/v1/{APP}/cards/choose")))
        .bearer_auth(API_KEY)
        .header("content-type", "application/vnd.api+json; charset=utf-8")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Not JSON at all is still bad_json; an object still works.
    let res = s
        .http
        .post(s.url(&format!("/v1/{APP}/cards/choose")))
        .bearer_auth(API_KEY)
        .header("content-type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_error(res, 400, "bad_json").await;
    let res = s
        .http
        .post(s.url(&format!("/v1/{APP}/cards/choose")))
        .bearer_auth(API_KEY)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
