//! Tokens, stable tokens, tickets, quotas.

use serde_json::json;

use crate::{APP, SECRET, TEST_APP, assert_err, spawn_sim, spawn_with};

#[tokio::test]
async fn token_success_shape_and_parameter_errors() {
    let s = spawn_sim().await;
    let v = s
        .get(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid={APP}&secret={SECRET}"
        ))
        .await;
    assert_eq!(v.as_object().unwrap().len(), 2, "{v}");
    assert!(v["access_token"].as_str().unwrap().len() >= 100);
    assert_eq!(v["expires_in"], 7200);
    let res = s
        .http
        .get(s.url(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid={APP}&secret={SECRET}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-type"],
        "application/json; encoding=utf-8"
    );

    for (query, code) in [
        (
            format!("grant_type=client_credential&secret={SECRET}"),
            41002,
        ),
        (format!("grant_type=client_credential&appid={APP}"), 41004),
        (
            format!("grant_type=password&appid={APP}&secret={SECRET}"),
            40002,
        ),
        (format!("appid={APP}&secret={SECRET}"), 40002),
        (
            format!("grant_type=client_credential&appid=wxnope00000000000&secret={SECRET}"),
            40013,
        ),
        (
            format!("grant_type=client_credential&appid={APP}&secret=wrong"),
            40125,
        ),
        ("%ZZ=1".to_owned(), 41002),
    ] {
        let v = s.get(&format!("/cgi-bin/token?{query}")).await;
        assert_err(&v, code);
    }
    // Two errors in a row carry different rids.
    let a = s.get("/cgi-bin/token").await;
    let b = s.get("/cgi-bin/token").await;
    assert_ne!(a["errmsg"], b["errmsg"]);
    // Wrong method.
    let v: serde_json::Value = s
        .http
        .post(s.url("/cgi-bin/token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_err(&v, 43001);
    assert_eq!(s.calls("/cgi-bin/token").await, 12);
}

#[tokio::test]
async fn ip_allowlist_gives_40164() {
    let config = wxjs_sim::SimConfig::from_toml(
        r#"
        [[apps]]
        app_id = "wx1a2b3c4d5e6f7a8b"
        app_secret = "s3cret"
        ip_allowlist = ["10.0.0.1"]
        [[apps]]
        app_id = "wx1a2b3c4d5e6f7a8c"
        app_secret = "s3cret"
        ip_allowlist = ["127.0.0.1"]
        "#,
    )
    .unwrap();
    let s = spawn_with(&config, None).await;
    let v = s
        .get("/cgi-bin/token?grant_type=client_credential&appid=wx1a2b3c4d5e6f7a8b&secret=s3cret")
        .await;
    assert_err(&v, 40164);
    assert!(
        v["errmsg"]
            .as_str()
            .unwrap()
            .starts_with("invalid ip 127.0.0.1 ipv6 ::ffff:127.0.0.1, not in whitelist"),
        "{v}"
    );
    let v = s
        .get("/cgi-bin/token?grant_type=client_credential&appid=wx1a2b3c4d5e6f7a8c&secret=s3cret")
        .await;
    assert_eq!(v["expires_in"], 7200);
}

#[tokio::test]
async fn old_token_overlaps_the_new_one_for_five_minutes() {
    let s = spawn_sim().await;
    let t1 = s.token().await;
    let t2 = s.token().await;
    assert_ne!(t1, t2);
    let ticket_with = |t: &str| format!("/cgi-bin/ticket/getticket?access_token={t}&type=jsapi");
    assert_eq!(s.get(&ticket_with(&t1)).await["errcode"], 0);
    s.advance(299).await;
    assert_eq!(s.get(&ticket_with(&t1)).await["errcode"], 0);
    s.advance(1).await;
    assert_err(&s.get(&ticket_with(&t1)).await, 40001);
    assert_eq!(s.get(&ticket_with(&t2)).await["errcode"], 0);
    s.advance(7200).await;
    assert_err(&s.get(&ticket_with(&t2)).await, 42001);
}

#[tokio::test]
async fn ticket_is_the_same_for_its_lifetime_whichever_token_asks() {
    let s = spawn_sim().await;
    let t1 = s.token().await;
    let v1 = s
        .get(&format!(
            "/cgi-bin/ticket/getticket?access_token={t1}&type=jsapi"
        ))
        .await;
    assert_eq!(v1["errcode"], 0);
    assert_eq!(v1["errmsg"], "ok");
    assert_eq!(v1["expires_in"], 7200);
    assert_eq!(v1.as_object().unwrap().len(), 4);
    let card = s
        .get(&format!(
            "/cgi-bin/ticket/getticket?access_token={t1}&type=wx_card"
        ))
        .await;
    assert_ne!(card["ticket"], v1["ticket"]);
    s.advance(3600).await;
    let t2 = s.token().await;
    let v2 = s
        .get(&format!(
            "/cgi-bin/ticket/getticket?access_token={t2}&type=jsapi"
        ))
        .await;
    assert_eq!(v2["ticket"], v1["ticket"]);
    assert_eq!(v2["expires_in"], 3600);
    // The simulator's current ticket is the one handed out.
    let cur = s.get(&format!("/__sim/tickets/{APP}")).await;
    assert_eq!(cur["jsapi"]["ticket"], v1["ticket"]);
    // After expiry a new one.
    s.advance(3600).await;
    let t3 = s.token().await;
    let v3 = s
        .get(&format!(
            "/cgi-bin/ticket/getticket?access_token={t3}&type=jsapi"
        ))
        .await;
    assert_ne!(v3["ticket"], v1["ticket"]);
    assert_eq!(
        s.get(&format!("/__sim/tickets/{APP}")).await["previous"]["jsapi"][0],
        v1["ticket"]
    );
    // Bad tokens and types.
    assert_err(&s.get("/cgi-bin/ticket/getticket?type=jsapi").await, 41001);
    assert_err(
        &s.get("/cgi-bin/ticket/getticket?access_token=bad!&type=jsapi")
            .await,
        40014,
    );
    assert_err(
        &s.get(&format!(
            "/cgi-bin/ticket/getticket?access_token={}&type=jsapi",
            "A".repeat(128)
        ))
        .await,
        40001,
    );
    assert_err(
        &s.get(&format!(
            "/cgi-bin/ticket/getticket?access_token={t3}&type=other"
        ))
        .await,
        40097,
    );
}

#[tokio::test]
async fn stable_token_returns_the_same_token_then_rotates() {
    let s = spawn_sim().await;
    let body =
        json!({"grant_type":"client_credential","appid":APP,"secret":SECRET,"force_refresh":false});
    let a: serde_json::Value = s
        .post_json("/cgi-bin/stable_token", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a["expires_in"], 7200);
    s.advance(6000).await;
    let b: serde_json::Value = s
        .post_json("/cgi-bin/stable_token", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["access_token"], a["access_token"]);
    assert_eq!(b["expires_in"], 1200);
    // Within five minutes of expiry: rotated; the old one still works until it expires.
    s.advance(1000).await;
    let c: serde_json::Value = s
        .post_json("/cgi-bin/stable_token", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(c["access_token"], a["access_token"]);
    assert_eq!(c["expires_in"], 7200);
    let old = a["access_token"].as_str().unwrap();
    assert_eq!(
        s.get(&format!(
            "/cgi-bin/ticket/getticket?access_token={old}&type=jsapi"
        ))
        .await["errcode"],
        0
    );
    // Stable and basic tokens are separate.
    let basic = s.token().await;
    let d: serde_json::Value = s
        .post_json("/cgi-bin/stable_token", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(d["access_token"], c["access_token"]);
    assert_eq!(
        s.get(&format!(
            "/cgi-bin/ticket/getticket?access_token={basic}&type=jsapi"
        ))
        .await["errcode"],
        0
    );
    // force_refresh invalidates the previous one, at most every 30 s.
    let force =
        json!({"grant_type":"client_credential","appid":APP,"secret":SECRET,"force_refresh":true});
    let e: serde_json::Value = s
        .post_json("/cgi-bin/stable_token", &force)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(e["access_token"], c["access_token"]);
    let prev = c["access_token"].as_str().unwrap();
    assert_err(
        &s.get(&format!(
            "/cgi-bin/ticket/getticket?access_token={prev}&type=jsapi"
        ))
        .await,
        40001,
    );
    let f: serde_json::Value = s
        .post_json("/cgi-bin/stable_token", &force)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        f["access_token"], e["access_token"],
        "a second force within 30 s refreshes nothing"
    );
    // Malformed requests.
    for (body, code) in [
        ("", 44002),
        ("{not json", 47001),
        (r#"{"grant_type":"client_credential","secret":"x"}"#, 41002),
        (
            r#"{"grant_type":"client_credential","appid":"wxdemo000000000001"}"#,
            41004,
        ),
        (
            r#"{"grant_type":"nope","appid":"wxdemo000000000001","secret":"x"}"#,
            40002,
        ),
        (
            r#"{"grant_type":"client_credential","appid":"wxdemo000000000001","secret":"x"}"#,
            40125,
        ),
        (
            r#"{"grant_type":"client_credential","appid":"wxdemo000000000001","secret":5}"#,
            47001,
        ),
    ] {
        let v: serde_json::Value = s
            .http
            .post(s.url("/cgi-bin/stable_token"))
            .body(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_err(&v, code);
    }
    let v: serde_json::Value = s
        .http
        .get(s.url("/cgi-bin/stable_token"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_err(&v, 43002);
}

#[tokio::test]
async fn daily_quota_then_clear_quota() {
    let s = spawn_sim().await;
    let secret = s
        .get("/__sim/apps")
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["appId"] == TEST_APP)
        .unwrap()["appSecret"]
        .as_str()
        .unwrap()
        .to_owned();
    let url =
        format!("/cgi-bin/token?grant_type=client_credential&appid={TEST_APP}&secret={secret}");
    let mut last = String::new();
    for _ in 0..200 {
        last = s.get(&url).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    assert_err(&s.get(&url).await, 45009);
    let clear = |token: &str| {
        s.http
            .post(s.url(&format!("/cgi-bin/clear_quota?access_token={token}")))
            .json(&json!({ "appid": TEST_APP }))
            .send()
    };
    let v: serde_json::Value = clear(&last).await.unwrap().json().await.unwrap();
    assert_eq!(v, json!({"errcode":0,"errmsg":"ok"}));
    assert!(s.get(&url).await["access_token"].is_string());
    // Bad clear_quota requests.
    let v: serde_json::Value = s
        .http
        .post(s.url("/cgi-bin/clear_quota"))
        .json(&json!({ "appid": TEST_APP }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_err(&v, 41001);
    let t = s.get(&url).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let v: serde_json::Value = s
        .http
        .post(s.url(&format!("/cgi-bin/clear_quota?access_token={t}")))
        .json(&json!({ "appid": APP }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_err(&v, 40013);
    let v: serde_json::Value = s
        .http
        .post(s.url(&format!("/cgi-bin/clear_quota?access_token={t}")))
        .body("{")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_err(&v, 47001);
    for _ in 0..9 {
        let v: serde_json::Value = clear(&t).await.unwrap().json().await.unwrap();
        assert_eq!(v["errcode"], 0);
    }
    let v: serde_json::Value = clear(&t).await.unwrap().json().await.unwrap();
    assert_err(&v, 48006);
    // A new Beijing day brings a fresh quota anyway.
    s.advance(86_400).await;
    assert!(s.get(&url).await["access_token"].is_string());
}
