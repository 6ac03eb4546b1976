//! The OAuth code flow: consent page, automation, code exchange, refresh, userinfo, auth.

use reqwest::header::LOCATION;
use serde_json::json;

use crate::{APP, SECRET, assert_err, spawn_sim};

const REDIRECT: &str = "http%3A%2F%2Flocalhost%3A8080%2Fcallback%3Fx%3D1";

fn code_of(location: &str) -> String {
    let q = location.split_once('?').unwrap().1;
    q.split('&')
        .find_map(|kv| kv.strip_prefix("code="))
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn consent_page_then_code_then_tokens() {
    let s = spawn_sim().await;
    let authorize = format!(
        "/connect/oauth2/authorize?appid={APP}&redirect_uri={REDIRECT}&response_type=code&scope=snsapi_userinfo&state=st%201"
    );
    let page = s.http.get(s.url(&authorize)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("name=user") && html.contains("value=approve") && html.contains("小爱"),
        "{html}"
    );

    // The person picks bob and approves (the page's form).
    let res = s
        .http
        .post(s.url("/connect/oauth2/authorize"))
        .form(&[
            ("appid", APP),
            ("redirect_uri", "http://localhost:8080/callback?x=1"),
            ("scope", "snsapi_userinfo"),
            ("state", "st 1"),
            ("user", "bob"),
            ("action", "approve"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("http://localhost:8080/callback?x=1&code="),
        "{location}"
    );
    assert!(location.ends_with("&state=st%201"), "{location}");
    let code = code_of(&location);

    let exchange = |code: &str| {
        format!(
            "/sns/oauth2/access_token?appid={APP}&secret={SECRET}&code={code}&grant_type=authorization_code"
        )
    };
    let tok = s.get(&exchange(&code)).await;
    assert_eq!(tok["expires_in"], 7200);
    assert_eq!(tok["scope"], "snsapi_userinfo");
    assert!(tok["unionid"].is_string());
    let openid = tok["openid"].as_str().unwrap();
    assert_eq!(openid.len(), 28);
    // Single use.
    assert_err(&s.get(&exchange(&code)).await, 40163);
    assert_err(&s.get(&exchange("unknown")).await, 40029);

    let at = tok["access_token"].as_str().unwrap();
    let info = s
        .get(&format!(
            "/sns/userinfo?access_token={at}&openid={openid}&lang=zh_CN"
        ))
        .await;
    assert_eq!(info["nickname"], "阿波");
    assert_eq!(info["openid"], openid);
    for k in [
        "sex",
        "province",
        "city",
        "country",
        "headimgurl",
        "privilege",
        "unionid",
    ] {
        assert!(!info[k].is_null(), "{k}");
    }
    assert_eq!(
        s.get(&format!("/sns/auth?access_token={at}&openid={openid}"))
            .await,
        json!({"errcode":0,"errmsg":"ok"})
    );
    assert_err(
        &s.get(&format!("/sns/auth?access_token={at}&openid=oSomeoneElse"))
            .await,
        40003,
    );
    assert_err(
        &s.get(&format!("/sns/userinfo?access_token={at}")).await,
        41009,
    );

    // Refresh after the access token expired.
    s.advance(7200).await;
    assert_err(
        &s.get(&format!("/sns/auth?access_token={at}&openid={openid}"))
            .await,
        42001,
    );
    let rt = tok["refresh_token"].as_str().unwrap();
    let r = s
        .get(&format!(
            "/sns/oauth2/refresh_token?appid={APP}&grant_type=refresh_token&refresh_token={rt}"
        ))
        .await;
    assert_eq!(r["openid"], openid);
    let at2 = r["access_token"].as_str().unwrap();
    assert_eq!(
        s.get(&format!("/sns/auth?access_token={at2}&openid={openid}"))
            .await["errcode"],
        0
    );
    assert_err(
        &s.get(&format!(
            "/sns/oauth2/refresh_token?appid={APP}&grant_type=refresh_token&refresh_token=nope"
        ))
        .await,
        40030,
    );
    assert_err(
        &s.get(&format!(
            "/sns/oauth2/refresh_token?appid={APP}&grant_type=refresh_token"
        ))
        .await,
        41003,
    );
}

#[tokio::test]
async fn automation_refusal_base_scope_and_code_expiry() {
    let s = spawn_sim().await;
    let authorize = |scope: &str| {
        format!(
            "/connect/oauth2/authorize?appid={APP}&redirect_uri={REDIRECT}&response_type=code&scope={scope}&state=S"
        )
    };
    // Refused: back with state only.
    assert_eq!(
        s.post_json("/__sim/oauth/next", &json!({"action":"refuse"}))
            .await
            .status(),
        204
    );
    let res = s
        .http
        .get(s.url(&authorize("snsapi_userinfo")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.headers()[LOCATION],
        "http://localhost:8080/callback?x=1&state=S"
    );

    // Approved for carol with the base scope: no userinfo.
    s.post_json(
        "/__sim/oauth/next",
        &json!({"action":"approve","user":"carol","appId":APP}),
    )
    .await;
    let res = s
        .http
        .get(s.url(&authorize("snsapi_base")))
        .send()
        .await
        .unwrap();
    let code = code_of(res.headers()[LOCATION].to_str().unwrap());
    let tok = s.get(&format!("/sns/oauth2/access_token?appid={APP}&secret={SECRET}&code={code}&grant_type=authorization_code")).await;
    assert_eq!(tok["scope"], "snsapi_base");
    assert!(tok.get("unionid").is_none());
    let (at, openid) = (
        tok["access_token"].as_str().unwrap(),
        tok["openid"].as_str().unwrap(),
    );
    assert_err(
        &s.get(&format!("/sns/userinfo?access_token={at}&openid={openid}"))
            .await,
        48001,
    );

    // A code unused for five minutes expires.
    s.post_json("/__sim/oauth/next", &json!({"action":"approve"}))
        .await;
    let res = s
        .http
        .get(s.url(&authorize("snsapi_base")))
        .send()
        .await
        .unwrap();
    let code = code_of(res.headers()[LOCATION].to_str().unwrap());
    s.advance(300).await;
    assert_err(&s.get(&format!("/sns/oauth2/access_token?appid={APP}&secret={SECRET}&code={code}&grant_type=authorization_code")).await, 40029);

    // Parameter errors of the exchange.
    for (q, code) in [
        (
            format!("secret={SECRET}&code=c&grant_type=authorization_code"),
            41002,
        ),
        (
            format!("appid={APP}&code=c&grant_type=authorization_code"),
            41004,
        ),
        (
            format!("appid={APP}&secret={SECRET}&grant_type=authorization_code"),
            41008,
        ),
        (
            format!("appid={APP}&secret={SECRET}&code=c&grant_type=client_credential"),
            40002,
        ),
        (
            format!("appid={APP}&secret=bad&code=c&grant_type=authorization_code"),
            40125,
        ),
    ] {
        assert_err(&s.get(&format!("/sns/oauth2/access_token?{q}")).await, code);
    }
}

#[tokio::test]
async fn bad_authorize_requests_show_the_platform_error_page() {
    let s = spawn_sim().await;
    for (query, code) in [
        (
            format!("redirect_uri={REDIRECT}&response_type=code&scope=snsapi_base"),
            "10012",
        ),
        (
            format!(
                "appid=wxnope000000000001&redirect_uri={REDIRECT}&response_type=code&scope=snsapi_base"
            ),
            "10016",
        ),
        (
            format!("appid={APP}&response_type=code&scope=snsapi_base"),
            "10011",
        ),
        (
            format!(
                "appid={APP}&redirect_uri=https%3A%2F%2Fevil.example%2F&response_type=code&scope=snsapi_base"
            ),
            "10003",
        ),
        (
            format!(
                "appid={APP}&redirect_uri=javascript%3Aalert(1)&response_type=code&scope=snsapi_base"
            ),
            "10003",
        ),
        (
            format!("appid={APP}&redirect_uri={REDIRECT}&response_type=code"),
            "10010",
        ),
        (
            format!("appid={APP}&redirect_uri={REDIRECT}&response_type=code&scope=snsapi_login"),
            "10005",
        ),
    ] {
        let res = s
            .http
            .get(s.url(&format!("/connect/oauth2/authorize?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{query}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains(&format!("data-errcode={code}")),
            "{query}: {html}"
        );
    }
}

/// `state` comes back "unchanged", but a byte that was not UTF-8 once percent-decoded came
/// back as U+FFFD (`%FF` → `%EF%BF%BD`): a value the page never sent.
#[tokio::test]
async fn the_authorize_query_was_decoded_lossily() {
    let s = spawn_sim().await;
    let authorize = |state: &str| {
        format!(
            "/connect/oauth2/authorize?appid={APP}&redirect_uri={REDIRECT}&response_type=code&scope=snsapi_base&state={state}"
        )
    };
    // A queued answer would be taken by a request that is then refused: none must be.
    s.post_json("/__sim/oauth/next", &json!({"action":"refuse"}))
        .await;
    for state in ["%FF", "ok%C3", "%ED%A0%80"] {
        let res = s.http.get(s.url(&authorize(state))).send().await.unwrap();
        assert_eq!(res.status(), 400, "{state}");
        assert!(res.headers().get(LOCATION).is_none(), "{state}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains("data-errcode=10003") && html.contains("not UTF-8"),
            "{state}: {html}"
        );
    }
    // UTF-8 that is not ASCII is fine and comes back as it went (the queued refusal is still
    // there: the refused requests above did not use it up).
    let res = s
        .http
        .get(s.url(&authorize("%E4%B8%AD%20x")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.headers()[LOCATION],
        "http://localhost:8080/callback?x=1&state=%E4%B8%AD%20x"
    );
    // The consent page's form answer is read as strictly.
    let answer = |state: &str| {
        s.http
            .post(s.url("/connect/oauth2/authorize"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "appid={APP}&redirect_uri={REDIRECT}&scope=snsapi_base&action=refuse&state={state}"
            ))
            .send()
    };
    let res = answer("%FF").await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.headers().get(LOCATION).is_none());
    let html = res.text().await.unwrap();
    assert!(
        html.contains("data-errcode=10003") && html.contains("not UTF-8"),
        "{html}"
    );
    let res = answer("%C3%A9").await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(
        res.headers()[LOCATION],
        "http://localhost:8080/callback?x=1&state=%C3%A9"
    );
    // The JSON API's identifiers are read as the platform reads bytes it does not know.
    let token = s
        .http
        .get(s.url(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid=%FF{APP}&secret={SECRET}"
        )))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(token["errcode"], 40013, "{token}");
}
