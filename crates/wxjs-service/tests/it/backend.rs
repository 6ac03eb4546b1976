//! The back-end endpoints and operations, each on its happy path, verified with `wxjs-sign`.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use wxjs_sign::{
    AccessToken, AppSecret, CardTicket, PartnerKey, PayApiKey, PaySignKey, PaySignType,
};

use crate::{API_KEY, APP, SECRET, spawn, v3_private_key};

#[tokio::test]
async fn cards_ext_and_choose() {
    let s = spawn().await;
    let res = s.backend(&format!("/v1/{APP}/cards/ext"), json!({"cards":[{"cardId":"pDemoGroupon00000000000000001","code":"800","openid":"o1"},{"cardId":"pDemoCash0000000000000000001"}]})).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    let t = CardTicket::new(s.card_ticket());
    for (item, (id, code, openid)) in v["cardList"].as_array().unwrap().iter().zip([
        ("pDemoGroupon00000000000000001", "800", "o1"),
        ("pDemoCash0000000000000000001", "", ""),
    ]) {
        assert_eq!(item["cardId"], id);
        let ext: Value = serde_json::from_str(item["cardExt"].as_str().unwrap()).unwrap();
        assert!(
            wxjs_sign::CardExtParams {
                card_id: id,
                code,
                openid,
                timestamp: ext["timestamp"].as_str().unwrap(),
                nonce_str: ext["nonce_str"].as_str().unwrap()
            }
            .verify(&t, ext["signature"].as_str().unwrap())
        );
    }
    let v: Value = s
        .backend(
            &format!("/v1/{APP}/cards/ext"),
            json!({"cards":[{"cardId":"c1","balance":"100"}],"form":"2014"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let ext: Value = serde_json::from_str(v["cardList"][0]["cardExt"].as_str().unwrap()).unwrap();
    assert!(
        wxjs_sign::CardExt2014Params {
            card_id: "c1",
            code: "",
            openid: "",
            timestamp: ext["timestamp"].as_str().unwrap(),
            balance: "100"
        }
        .verify(&AppSecret::new(SECRET), ext["signature"].as_str().unwrap())
    );

    let v: Value = s
        .backend(
            &format!("/v1/{APP}/cards/choose"),
            json!({"shopId":"5005","cardType":"GROUPON"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["signType"], "SHA1");
    assert!(
        wxjs_sign::CardSignParams {
            app_id: APP,
            location_id: "5005",
            timestamp: v["timestamp"].as_str().unwrap(),
            nonce_str: v["nonceStr"].as_str().unwrap(),
            card_id: "",
            card_type: "GROUPON"
        }
        .verify(&t, v["cardSign"].as_str().unwrap())
    );
    s.assert_logs_clean().await;
}

#[tokio::test]
async fn payment_in_the_2014_v2_and_v3_forms() {
    let s = spawn().await;
    let m = s.sim.account(APP).unwrap().merchant.clone().unwrap();
    let res = s.backend(&format!("/v1/{APP}/pay/package"), json!({"body":"支付测试 a&b","out_trade_no":"order-0001","total_fee":"1","notify_url":"http://localhost:8080/notify","spbill_create_ip":"196.168.1.1"})).await;
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    let package = v["package"].as_str().unwrap();
    assert!(wxjs_sign::verify_package(
        package,
        &PartnerKey::new(m.partner_key.clone())
    ));
    let parsed = wxjs_sign::parse_package(package).unwrap();
    assert_eq!(parsed.fields["partner"], m.partner_id);
    assert_eq!(parsed.fields["body"], "支付测试 a&b");
    assert_eq!(v["signType"], "SHA1");
    assert!(
        wxjs_sign::PayParams {
            app_id: APP,
            time_stamp: v["timestamp"].as_str().unwrap(),
            nonce_str: v["nonceStr"].as_str().unwrap(),
            package
        }
        .verify_2014(
            &PaySignKey::new(m.pay_sign_key),
            v["paySign"].as_str().unwrap()
        )
    );

    for st in ["MD5", "HMAC-SHA256"] {
        let v: Value = s
            .backend(
                &format!("/v1/{APP}/pay/prepay"),
                json!({"prepayId":"wx2017033010242291fcfe0db70013231072","signType":st}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            v["package"],
            "prepay_id=wx2017033010242291fcfe0db70013231072"
        );
        assert!(
            wxjs_sign::PayParams {
                app_id: APP,
                time_stamp: v["timestamp"].as_str().unwrap(),
                nonce_str: v["nonceStr"].as_str().unwrap(),
                package: v["package"].as_str().unwrap()
            }
            .verify_v2(
                PaySignType::parse(st).unwrap(),
                &PayApiKey::new(m.api_key.clone()),
                v["paySign"].as_str().unwrap()
            )
        );
    }
    let v: Value = s
        .backend(
            &format!("/v1/{APP}/pay/prepay"),
            json!({"prepayId":"wx201410272009395522657a690389285100","signType":"RSA"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let public =
        wxjs_sign::pay_v3_public_key_pem(&wxjs_sign::PrivateKeyPem::new(v3_private_key())).unwrap();
    assert!(
        wxjs_sign::PayParams {
            app_id: APP,
            time_stamp: v["timestamp"].as_str().unwrap(),
            nonce_str: v["nonceStr"].as_str().unwrap(),
            package: v["package"].as_str().unwrap()
        }
        .verify_v3(&public, v["paySign"].as_str().unwrap())
        .unwrap()
    );
    s.assert_logs_clean().await;
}

#[tokio::test]
async fn address_and_the_credential_server() {
    let s = spawn().await;
    let v: Value = s.backend(&format!("/v1/{APP}/address"), json!({"url":"http://localhost:8080/addr?code=CODE&state=S#x","accessToken":"user-oauth-token"})).await.json().await.unwrap();
    assert_eq!(v["scope"], "jsapi_address");
    assert_eq!(v["signType"], "sha1");
    assert!(
        wxjs_sign::AddrParams {
            app_id: APP,
            url: "http://localhost:8080/addr?code=CODE&state=S",
            timestamp: v["timeStamp"].as_str().unwrap(),
            nonce_str: v["nonceStr"].as_str().unwrap()
        }
        .verify(
            &AccessToken::new("user-oauth-token"),
            v["addrSign"].as_str().unwrap()
        )
    );

    let get = |kind: &str| {
        s.http
            .get(s.url(&format!("/v1/{APP}/credentials/{kind}")))
            .header("X-Api-Key", API_KEY)
            .send()
    };
    let ticket: Value = get("jsapi_ticket").await.unwrap().json().await.unwrap();
    assert_eq!(ticket["value"], s.jsapi_ticket());
    assert_eq!(ticket["kind"], "jsapi_ticket");
    assert!(ticket["expiresIn"].as_u64().unwrap() > 7000);
    let card: Value = get("card_ticket").await.unwrap().json().await.unwrap();
    assert_eq!(card["value"], s.card_ticket());
    let token: Value = get("access_token").await.unwrap().json().await.unwrap();
    let t1 = token["value"].as_str().unwrap().to_owned();
    // Passive refresh with the current token, a minute or more after it was fetched: expired and
    // replaced (a fresher one stays: passive_refresh_in_a_loop_spent_the_token_quota).
    s.sim.clock().advance(60);
    let r: Value = s
        .backend(
            &format!("/v1/{APP}/credentials/access_token/refresh"),
            json!({"rejected": t1}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["expired"], true);
    assert_ne!(r["value"], t1);
    // With a token that is no longer current: nothing expired.
    let r2: Value = s
        .backend(
            &format!("/v1/{APP}/credentials/access_token/refresh"),
            json!({"rejected": t1}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r2["expired"], false);
    assert_eq!(r2["value"], r["value"]);
    s.assert_logs_clean().await;
}

#[tokio::test]
async fn operations_endpoints() {
    let s = spawn().await;
    let h: Value = s
        .http
        .get(s.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h, json!({"status":"ok"}));
    let r = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r: Value = r.json().await.unwrap();
    assert_eq!(r["checks"]["apps"][APP], "ok");
    s.http
        .get(s.url(&format!(
            "/v1/{APP}/jssdk/config?url=http%3A%2F%2Flocalhost%2F"
        )))
        .send()
        .await
        .unwrap();
    s.http
        .get(s.url(&format!("/v1/{APP}/jssdk/config?url=%2Frelative")))
        .send()
        .await
        .unwrap();
    let m = s.http.get(s.url("/metrics")).send().await.unwrap();
    assert!(
        m.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = m.text().await.unwrap();
    // Prometheus asks for OpenMetrics first.
    let om = s
        .http
        .get(s.url("/metrics"))
        .header(
            "Accept",
            "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4",
        )
        .send()
        .await
        .unwrap();
    assert!(
        om.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let om = om.text().await.unwrap();
    assert!(om.ends_with("# EOF\n"), "{om}");
    assert!(om.contains("# TYPE wxjs_http_requests counter"), "{om}");
    assert!(
        text.contains("# TYPE wxjs_http_requests_total counter"),
        "{text}"
    );
    for line in [
        "wxjs_http_requests_total{route=\"/v1/{app_id}/jssdk/config\",method=\"GET\",status=\"200\"} 1",
        "wxjs_http_requests_total{route=\"/v1/{app_id}/jssdk/config\",method=\"GET\",status=\"400\"} 1",
        "wxjs_http_request_duration_seconds_count{route=\"/v1/{app_id}/jssdk/config\"} 2",
        "wxjs_platform_calls_total{endpoint=\"/cgi-bin/token\",outcome=\"ok\"} 1",
        "wxjs_platform_calls_total{endpoint=\"/cgi-bin/ticket/getticket\",outcome=\"ok\"} 1",
        "wxjs_credential_refreshes_total{kind=\"jsapi_ticket\",outcome=\"ok\"} 1",
        "wxjs_credential_age_seconds{app=\"wxdemo000000000001\",kind=\"jsapi_ticket\"}",
        "# TYPE wxjs_http_request_duration_seconds histogram",
    ] {
        assert!(text.contains(line), "missing {line}\n{text}");
    }
    let api: Value = s
        .http
        .get(s.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths: BTreeMap<String, Value> = serde_json::from_value(api["paths"].clone()).unwrap();
    for p in [
        "/v1/{appId}/jssdk/config",
        "/v1/{appId}/jssdk/explain",
        "/v1/{appId}/pay/prepay",
        "/v1/{appId}/credentials/{kind}",
        "/metrics",
    ] {
        assert!(
            paths.contains_key(p),
            "{p} missing from the OpenAPI document"
        );
    }
    s.assert_logs_clean().await;
}

/// Passive refresh had no floor: a back end that called it in a loop with each new token made
/// one `/cgi-bin/token` call per request (15 in a row in the report), spending the 2000-a-day
/// quota. A token fetched less than a minute ago is kept; one that old is replaced.
#[tokio::test]
async fn passive_refresh_in_a_loop_spent_the_token_quota() {
    let s = spawn().await;
    let token_calls = || {
        s.sim
            .read(|st, _| st.stats().get("/cgi-bin/token").copied().unwrap_or(0))
    };
    let first: Value = s
        .http
        .get(s.url(&format!("/v1/{APP}/credentials/access_token")))
        .header("X-Api-Key", API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut current = first["value"].as_str().unwrap().to_owned();
    for _ in 0..15 {
        let r = refresh(&s, &current).await;
        assert_eq!(r["expired"], false, "{r}");
        current = r["value"].as_str().unwrap().to_owned();
    }
    assert_eq!(current, first["value"].as_str().unwrap());
    assert_eq!(token_calls(), 1);
    s.sim.clock().advance(59);
    assert_eq!(refresh(&s, &current).await["expired"], false);
    s.sim.clock().advance(1);
    let r = refresh(&s, &current).await;
    assert_eq!(r["expired"], true, "{r}");
    assert_ne!(r["value"], current.as_str());
    assert_eq!(token_calls(), 2);
}

async fn refresh(s: &crate::System, rejected: &str) -> Value {
    s.backend(
        &format!("/v1/{APP}/credentials/access_token/refresh"),
        json!({ "rejected": rejected }),
    )
    .await
    .json()
    .await
    .unwrap()
}
