//! The control API: apps, stats, clock, faults, reset; persistence across restarts.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::{APP, SECRET, assert_err, spawn_sim, spawn_with};

#[tokio::test]
async fn apps_lists_the_demo_accounts() {
    let s = spawn_sim().await;
    let apps = s.get("/__sim/apps").await;
    let demo = apps
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["appId"] == APP)
        .unwrap();
    assert_eq!(demo["appId"], APP);
    assert_eq!(demo["appSecret"], SECRET);
    assert_eq!(demo["domains"], json!(["localhost", "127.0.0.1"]));
    assert_eq!(demo["cards"][0]["cardId"], "pDemoGroupon00000000000000001");
}

#[tokio::test]
async fn faults_errcode_status_delay_and_drop() {
    let s = spawn_sim().await;
    let url = format!("/cgi-bin/token?grant_type=client_credential&appid={APP}&secret={SECRET}");
    let res = s
        .post_json(
            "/__sim/faults",
            &json!({"path":"/cgi-bin/token","errcode":-1,"count":2}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_err(&s.get(&url).await, -1);
    let v = s.get(&url).await;
    assert_eq!(
        v["errmsg"].as_str().unwrap().split(" rid: ").next(),
        Some("system error")
    );
    assert!(
        s.get(&url).await["access_token"].is_string(),
        "the fault is used up"
    );

    s.post_json(
        "/__sim/faults",
        &json!({"path":"/cgi-bin/token","status":503}),
    )
    .await;
    let res = s.http.get(s.url(&url)).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.text().await.unwrap().contains("503"));

    s.post_json(
        "/__sim/faults",
        &json!({"path":"/cgi-bin/token","delayMs":400}),
    )
    .await;
    let start = Instant::now();
    assert!(s.get(&url).await["access_token"].is_string());
    assert!(start.elapsed() >= Duration::from_millis(400));
    // A client with a shorter timeout gives up.
    s.post_json(
        "/__sim/faults",
        &json!({"path":"/cgi-bin/token","delayMs":2000}),
    )
    .await;
    let err = s
        .http
        .get(s.url(&url))
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");

    s.post_json(
        "/__sim/faults",
        &json!({"path":"/cgi-bin/token","drop":true}),
    )
    .await;
    let err = s.http.get(s.url(&url)).send().await.unwrap_err();
    assert!(
        !err.is_timeout() && err.status().is_none(),
        "connection closed: {err}"
    );
    // Still serving afterwards; every call counted.
    assert!(s.get(&url).await["access_token"].is_string());
    assert_eq!(s.calls("/cgi-bin/token").await, 8);

    // Listing and clearing.
    s.post_json(
        "/__sim/faults",
        &json!({"path":"/cgi-bin/ticket/getticket","errcode":45009,"count":3}),
    )
    .await;
    assert_eq!(s.get("/__sim/faults").await[0]["count"], 3);
    s.http.delete(s.url("/__sim/faults")).send().await.unwrap();
    assert_eq!(s.get("/__sim/faults").await, json!([]));
}

#[tokio::test]
async fn control_api_rejects_bad_bodies_with_json_errors() {
    let s = spawn_sim().await;
    for (path, body) in [
        ("/__sim/faults", "{"),
        ("/__sim/faults", r#"{"path":"cgi-bin/token","errcode":-1}"#),
        ("/__sim/faults", r#"{"path":"/cgi-bin/token"}"#),
        (
            "/__sim/faults",
            r#"{"path":"/cgi-bin/token","errcode":-1,"status":500}"#,
        ),
        ("/__sim/faults", r#"{"path":"/cgi-bin/token","status":999}"#),
        (
            "/__sim/faults",
            r#"{"path":"/cgi-bin/token","errcode":-1,"count":0}"#,
        ),
        (
            "/__sim/faults",
            r#"{"path":"/cgi-bin/token","errcode":-1,"bogus":1}"#,
        ),
        ("/__sim/clock/advance", r#"{"seconds":-5}"#),
        ("/__sim/clock/advance", r#"{"secs":5}"#),
        ("/__sim/oauth/next", r#"{"action":"maybe"}"#),
    ] {
        let res = s
            .http
            .post(s.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{path} {body}");
        let v: serde_json::Value = res.json().await.unwrap();
        assert_eq!(v["error"]["code"], "bad_request");
        assert!(v["error"]["message"].as_str().unwrap().len() > 5);
    }
    // A body that does not say it is JSON is refused, whatever it holds.
    let res = s
        .http
        .post(s.url("/__sim/faults"))
        .header("content-type", "text/plain")
        .body(r#"{"path":"/cgi-bin/token","errcode":-1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(s.get("/__sim/faults").await, json!([]), "nothing changed");
    let res = s.http.get(s.url("/__sim/nope")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = s
        .http
        .get(s.url("/__sim/tickets/wxnope0000000000001"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // An unknown platform API answers like the platform.
    assert_err(&s.get("/cgi-bin/no/such/api").await, 48001);
}

#[tokio::test]
async fn clock_and_reset() {
    let s = spawn_sim().await;
    let before = s.get("/__sim/clock").await["now"].as_u64().unwrap();
    s.advance(3600).await;
    let after = s.get("/__sim/clock").await["now"].as_u64().unwrap();
    assert!(after >= before + 3600 && after < before + 3610);
    let t = s.token().await;
    s.get(&format!(
        "/cgi-bin/ticket/getticket?access_token={t}&type=jsapi"
    ))
    .await;
    assert_eq!(s.calls("/cgi-bin/token").await, 1);
    let res = s.http.post(s.url("/__sim/reset")).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(s.get("/__sim/stats").await, json!({"calls":{}}));
    assert_eq!(s.get("/__sim/clock").await["offset"], 0);
    assert_err(
        &s.get(&format!(
            "/cgi-bin/ticket/getticket?access_token={t}&type=jsapi"
        ))
        .await,
        40001,
    );
    assert_eq!(
        s.get(&format!("/__sim/tickets/{APP}")).await["jsapi"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn state_survives_a_restart_on_the_same_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let config = wxjs_sim::SimConfig::default();
    let s = spawn_with(&config, Some(dir.path())).await;
    s.advance(100).await;
    let t = s.token().await;
    let ticket = s
        .get(&format!(
            "/cgi-bin/ticket/getticket?access_token={t}&type=jsapi"
        ))
        .await["ticket"]
        .clone();
    let form = reqwest::multipart::Form::new().part(
        "media",
        reqwest::multipart::Part::bytes(b"GIF89a-persisted".to_vec()).file_name("a.gif"),
    );
    let up: serde_json::Value = s
        .http
        .post(s.url(&format!(
            "/cgi-bin/media/upload?access_token={t}&type=image"
        )))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    s.stop().await;

    let s = spawn_with(&config, Some(dir.path())).await;
    assert!(s.get("/__sim/clock").await["offset"].as_i64().unwrap() >= 100);
    let again = s
        .get(&format!(
            "/cgi-bin/ticket/getticket?access_token={t}&type=jsapi"
        ))
        .await;
    assert_eq!(
        again["ticket"], ticket,
        "same token still valid, same ticket"
    );
    assert_eq!(s.calls("/cgi-bin/token").await, 1, "stats persisted");
    let id = up["media_id"].as_str().unwrap();
    let bytes = s
        .http
        .get(s.url(&format!(
            "/cgi-bin/media/get?access_token={t}&media_id={id}"
        )))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"GIF89a-persisted");
    s.stop().await;
}

/// The simulator's stats keyed raw `/cgi-bin/*` paths: every new path made a new key.
#[tokio::test]
async fn stats_keyed_raw_api_paths() {
    let s = spawn_sim().await;
    for i in 0..5 {
        let v: serde_json::Value = s
            .http
            .get(s.url(&format!("/cgi-bin/made-up-{i}?access_token=x")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["errcode"], 48001);
    }
    s.http
        .get(s.url("/cgi-bin/token?grant_type=client_credential&appid=x&secret=y"))
        .send()
        .await
        .unwrap();
    let stats = s.get("/__sim/stats").await;
    let calls = stats["calls"].as_object().unwrap();
    assert_eq!(calls.len(), 2, "{stats}");
    assert_eq!(calls["(unknown)"], 5);
    assert_eq!(calls["/cgi-bin/token"], 1);
}

/// The demo account's card ids and the demo merchant's keys appeared nowhere a user looks.
#[tokio::test]
async fn what_a_back_end_needs_to_act_as_the_demo_account_was_not_published() {
    let s = spawn_sim().await;
    let apps = s.get("/__sim/apps").await;
    let demo = apps
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["appId"] == wxjs_sim::config::DEMO_APP_ID)
        .unwrap();
    let cards = demo["cards"].as_array().unwrap();
    assert!(!cards.is_empty(), "{demo}");
    assert!(cards.iter().all(|c| c["cardId"].as_str().is_some_and(|id| !id.is_empty())
        && c["type"].is_string()));
    let merchants = s.get("/__sim/merchants").await;
    let m = &merchants.as_array().unwrap()[0];
    assert!(
        m["appIds"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == wxjs_sim::config::DEMO_APP_ID),
        "{m}"
    );
    for key in [
        "mchId",
        "apiKey",
        "partnerKey",
        "paySignKey",
        "merchantPrivateKey",
        "merchantPublicKey",
    ] {
        assert!(m[key].as_str().is_some_and(|v| !v.is_empty()), "{key}: {m}");
    }
    // The published keys are the ones the simulator checks with: a paySign made with them
    // verifies.
    let sign = wxjs_sign::PayParams {
        app_id: wxjs_sim::config::DEMO_APP_ID,
        time_stamp: "1414561699",
        nonce_str: "n",
        package: "prepay_id=x",
    }
    .sign_v2(
        wxjs_sign::PaySignType::Md5,
        &wxjs_sign::PayApiKey::new(m["apiKey"].as_str().unwrap()),
    );
    let demo_merchant = wxjs_sim::config::SimConfig::default()
        .accounts()
        .into_iter()
        .find(|a| a.app_id == wxjs_sim::config::DEMO_APP_ID)
        .and_then(|a| a.merchant)
        .unwrap();
    assert!(
        wxjs_sign::PayParams {
            app_id: wxjs_sim::config::DEMO_APP_ID,
            time_stamp: "1414561699",
            nonce_str: "n",
            package: "prepay_id=x"
        }
        .verify_v2(
            wxjs_sign::PaySignType::Md5,
            &wxjs_sign::PayApiKey::new(demo_merchant.api_key),
            sign.signature()
        )
    );
}

/// The control API was documented nowhere an HTTP client could read: `GET /__sim/openapi.json`
/// lists every endpoint (and each GET endpoint it names answers).
#[tokio::test]
async fn the_control_api_had_no_openapi_document() {
    let s = crate::spawn_sim().await;
    let doc: serde_json::Value = s
        .http
        .get(s.url("/__sim/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    for e in wxjs_sim::CONTROL_ENDPOINTS {
        let op = &doc["paths"][e.path][e.method.to_ascii_lowercase()];
        assert!(op["summary"].is_string(), "{} {}", e.method, e.path);
        if e.method == "GET" && !e.path.contains('{') && e.path.starts_with("/__sim/") {
            let res = s.http.get(s.url(e.path)).send().await.unwrap();
            assert_ne!(res.status(), 404, "{}", e.path);
        }
    }
}

/// A write the store refused (a full disk during a test run: `kill_9_under_load` saw 270 clock
/// advances acknowledged and 251 on disk) was still answered 200. Now such a request answers
/// 503 with `Retry-After`, through the real listener, and the change reaches the disk with the
/// next write that succeeds.
#[tokio::test]
async fn a_refused_write_was_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let s = crate::spawn_with(&wxjs_sim::SimConfig::default(), Some(dir.path())).await;
    s.advance(10).await;
    s.sim.refuse_writes(true);
    let res = s
        .post_json("/__sim/clock/advance", &serde_json::json!({ "seconds": 5 }))
        .await;
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "1");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_persisted");
    // A platform call whose record cannot be written is refused the same way.
    let res = s
        .http
        .get(s.url(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
            crate::APP,
            crate::SECRET
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    s.sim.refuse_writes(false);
    s.advance(1).await;
    let offset = s.sim.clock().offset();
    s.stop().await;
    // Everything is on disk now, the refused change included.
    let again = crate::spawn_with(&wxjs_sim::SimConfig::default(), Some(dir.path())).await;
    assert_eq!(again.sim.clock().offset(), offset);
    assert_eq!(offset, 16);
}
