//! The page side in real headless Chromium (Debian's `chromium`, driven through `chromedriver`
//! that `scripts/test` starts), against the system running in this process: wx.config outcomes, the iOS/Android URL rule, shares through the
//! menu with automation and by a person's clicks, menu hiding, checkJsApi, getNetworkType,
//! closeWindow, openProductSpecificView, calls outside jsApiList and before config.

use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

use crate::{Ports, dev};

pub(crate) const PAGES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pages");

pub(crate) async fn browser() -> Client {
    let url = std::env::var("WXJS_TEST_WEBDRIVER_URL")
        .expect("WXJS_TEST_WEBDRIVER_URL is not set: run scripts/test (it installs chromium and starts chromedriver)");
    let binary = std::env::var("WXJS_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": binary,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--host-resolver-rules=MAP foreign.test 127.0.0.1",
                "--autoplay-policy=no-user-gesture-required", "--mute-audio",
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            ]
        }
    });
    let caps = caps.as_object().unwrap().clone();
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&url)
        .await
        .expect("chromedriver session")
}

/// A page of the suite, loaded and finished.
pub(crate) async fn scenario(c: &Client, base: &str, name: &str) -> Vec<Value> {
    c.goto(&format!("{base}/suite.html?scenario={name}"))
        .await
        .unwrap();
    wait_done(c).await
}

pub(crate) async fn wait_done(c: &Client) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let v = c
            .execute("return window.__done ? window.__events : null", vec![])
            .await
            .unwrap();
        if let Value::Array(events) = v {
            return events;
        }
        assert!(Instant::now() < deadline, "the page never finished");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

async fn events(c: &Client) -> Vec<Value> {
    c.execute("return window.__events", vec![])
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// Waits until the page's events satisfy `pred`.
async fn wait_events(c: &Client, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let e = events(c).await;
        if pred(&e) {
            return e;
        }
        assert!(Instant::now() < deadline, "events never arrived: {e:?}");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

pub(crate) async fn call_wx(c: &Client, name: &str, opts: Value) -> Value {
    c.execute_async("var done = arguments[arguments.length - 1]; window.callWx(arguments[0], arguments[1]).then(done);", vec![json!(name), opts])
        .await
        .unwrap()
}

/// A GET answered with JSON (of the type the caller expects).
pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(url: impl reqwest::IntoUrl) -> T {
    reqwest::get(url).await.unwrap().json().await.unwrap()
}

/// A GET's body as text.
pub(crate) async fn get_text(url: impl reqwest::IntoUrl) -> String {
    reqwest::get(url).await.unwrap().text().await.unwrap()
}

pub(crate) async fn post(url: String, body: Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The demo account's access token, as the service hands it to a back end (`p` is the phone's port).
async fn service_token(p: Ports) -> String {
    let token: Value = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{}/v1/wxdemo000000000001/credentials/access_token",
            p.service
        ))
        .header("X-Api-Key", "wxjs-dev-api-key-0000")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    token["value"].as_str().unwrap().to_owned()
}

pub(crate) async fn shadow(c: &Client, selector: &str) -> bool {
    c.execute("var r = document.getElementById('wxjs-client'); return !!(r && r.shadowRoot.querySelector(arguments[0]));", vec![json!(selector)])
        .await
        .unwrap()
        .as_bool()
        .unwrap()
}

pub(crate) fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e["errMsg"].as_str() {
            Some(m) => format!("{}:{m}", e["t"].as_str().unwrap()),
            None => e["t"].as_str().unwrap().to_owned(),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_succeeds_or_fails_with_the_exact_strings() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let c = browser().await;

    assert_eq!(kinds(&scenario(&c, &base, "good").await), ["ready"]);
    assert_eq!(c.execute("return navigator.userAgent.indexOf('MicroMessenger/8.0.47') !== -1 && wx.__client.isAndroid", vec![]).await.unwrap(), json!(true));
    // error first, then the queued ready callbacks still run.
    assert_eq!(
        kinds(&scenario(&c, &base, "badsig").await),
        ["error:config:invalid signature", "ready"]
    );
    // The client's debug console says why, in the page (tests/it/console.rs checks it whole).
    c.execute("document.getElementById('wxjs-client').shadowRoot.querySelector('[data-log-button]').click()", vec![])
        .await
        .unwrap();
    c.execute("var r = document.getElementById('wxjs-client').shadowRoot; var h = r.querySelector('[data-console-entry] .c-head'); if (h) h.click();", vec![])
        .await
        .unwrap();
    let panel = wait_for(&c, "var d = document.getElementById('wxjs-client').shadowRoot.querySelector('[data-console-detail]'); return d ? d.textContent : null", Value::is_string).await;
    let panel = panel.as_str().unwrap();
    assert!(panel.contains("invalid signature"), "{panel}");
    assert!(
        panel.contains("expected string1: jsapi_ticket=[current jsapi_ticket]&noncestr="),
        "{panel}"
    );
    assert!(
        panel.contains("no variant tried reproduces the signature"),
        "the diagnosis findings are listed: {panel}"
    );
    assert_eq!(
        kinds(&scenario(&c, &base, "missing").await),
        ["error:config:fail", "ready"]
    );

    // A foreign host: the service refuses to sign, and the client refuses the domain.
    c.goto(&format!(
        "http://foreign.test:{p}/suite.html?scenario=foreign"
    ))
    .await
    .unwrap();
    let e = wait_done(&c).await;
    assert_eq!(e[0], json!({"t": "service", "error": "blocked by CORS"}));
    assert_eq!(kinds(&e[1..]), ["error:config:invalid url domain", "ready"]);

    // A ticket that expired between signing and wx.config.
    c.goto(&format!("{base}/suite.html?scenario=stale"))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.execute("return !!window.__signed", vec![]).await.unwrap() != json!(true) {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    post(
        format!("http://127.0.0.1:{}/__sim/clock/advance", p.platform),
        json!({"seconds": 7200}),
    )
    .await;
    c.execute("window.__go = true", vec![]).await.unwrap();
    assert_eq!(
        kinds(&wait_done(&c).await),
        ["error:config:invalid signature", "ready"]
    );

    // The call log says why, with the ticket masked.
    let log: Vec<Value> = get_json(format!("http://127.0.0.1:{p}/__wxjs/log")).await;
    let bad = log
        .iter()
        .find(|e| {
            e["api"] == "config"
                && e["verification"] == "invalid signature"
                && e["reason"]["expectedString1"].is_string()
        })
        .unwrap();
    let s1 = bad["reason"]["expectedString1"].as_str().unwrap();
    assert!(
        s1.starts_with("jsapi_ticket=[current jsapi_ticket]&noncestr="),
        "{s1}"
    );
    assert!(bad["reason"]["diagnosis"]["findings"].is_array());
    c.close().await.unwrap();
    child.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ios_and_android_url_rules_differ_after_push_state() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let c = browser().await;
    // Android checks the current URL.
    assert_eq!(kinds(&scenario(&c, &base, "spa").await), ["ready"]);
    assert_eq!(
        kinds(&scenario(&c, &base, "spaLanding").await),
        ["error:config:invalid signature", "ready"]
    );
    // iOS checks the URL the page first landed on.
    let res = post(
        format!("http://127.0.0.1:{p}/__wxjs/settings"),
        json!({"platform": "ios"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        kinds(&scenario(&c, &base, "spa").await),
        ["error:config:invalid signature", "ready"]
    );
    assert_eq!(kinds(&scenario(&c, &base, "spaLanding").await), ["ready"]);
    assert_eq!(
        c.execute("return wx.__client.isIOS", vec![]).await.unwrap(),
        json!(true)
    );
    c.close().await.unwrap();
    child.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shares_through_the_menu_and_menu_items() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    scenario(&c, &base, "shares").await;
    let shares = [
        ("share:timeline", "onMenuShareTimeline", "shareTimeline"),
        (
            "share:appMessage",
            "onMenuShareAppMessage",
            "sendAppMessage",
        ),
        ("share:qq", "onMenuShareQQ", "shareQQ"),
        ("share:weiboApp", "onMenuShareWeibo", "shareWeiboApp"),
        ("share:QZone", "onMenuShareQZone", "shareQZone"),
    ];
    for (menu, api, invoke) in shares {
        for (action, outcome) in [("ok", "success"), ("cancel", "cancel")] {
            let before = events(&c).await.len();
            assert_eq!(
                post(
                    format!("{phone}/__wxjs/user/next"),
                    json!({"api": api, "action": action})
                )
                .await
                .status(),
                204
            );
            assert_eq!(
                post(format!("{phone}/__wxjs/user/tap"), json!({"menu": menu}))
                    .await
                    .status(),
                204
            );
            let e = wait_events(&c, |e| e.len() >= before + 2).await;
            assert_eq!(e[before], json!({"t": "trigger", "api": api}), "{menu}");
            let suffix = if action == "ok" { "ok" } else { "cancel" };
            assert_eq!(
                e[before + 1],
                json!({"t": outcome, "api": api, "errMsg": format!("{invoke}:{suffix}")}),
                "{menu}"
            );
        }
    }
    // A person taps the menu and sends, in the client's UI.
    let before = events(&c).await.len();
    c.execute("document.getElementById('wxjs-client').shadowRoot.querySelector('[data-menu-button]').click()", vec![]).await.unwrap();
    c.execute("document.getElementById('wxjs-client').shadowRoot.querySelector('[data-item=\"menuItem:share:qq\"]').click()", vec![]).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !shadow(&c, "[data-share] [data-send]").await {
        assert!(Instant::now() < deadline, "no share sheet");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let shown = c.execute("return document.getElementById('wxjs-client').shadowRoot.querySelector('[data-share-title]').textContent", vec![]).await.unwrap();
    assert_eq!(shown, "title Q");
    c.execute(
        "document.getElementById('wxjs-client').shadowRoot.querySelector('[data-send]').click()",
        vec![],
    )
    .await
    .unwrap();
    let e = wait_events(&c, |e| e.len() >= before + 2).await;
    assert_eq!(e[before + 1]["errMsg"], "shareQQ:ok");

    // Hidden items cannot be tapped; shown again, they can.
    let tap_fires = |menu: &'static str| {
        let c = &c;
        let phone = phone.clone();
        async move {
            let before = events(c).await.len();
            post(
                format!("{phone}/__wxjs/user/next"),
                json!({"api": "onMenuShareTimeline", "action": "ok"}),
            )
            .await;
            post(format!("{phone}/__wxjs/user/tap"), json!({"menu": menu})).await;
            tokio::time::sleep(Duration::from_millis(600)).await;
            let fired = events(c).await.len() > before;
            // Drop an unused automated answer (as the page would take it).
            let page = c
                .execute("return window.__wxjsClient.session", vec![])
                .await
                .unwrap();
            reqwest::get(format!(
                "{phone}/__wxjs/events?session={}&open=onMenuShareTimeline",
                page.as_str().unwrap()
            ))
            .await
            .unwrap();
            fired
        }
    };
    assert_eq!(
        call_wx(
            &c,
            "hideMenuItems",
            json!({"menuList": ["menuItem:share:timeline"]})
        )
        .await["res"]["errMsg"],
        "hideMenuItems:ok"
    );
    assert!(!tap_fires("share:timeline").await);
    call_wx(
        &c,
        "showMenuItems",
        json!({"menuList": ["menuItem:share:timeline"]}),
    )
    .await;
    assert!(tap_fires("share:timeline").await);
    call_wx(&c, "hideAllNonBaseMenuItem", json!({})).await;
    assert!(!tap_fires("share:timeline").await);
    call_wx(&c, "showAllNonBaseMenuItem", json!({})).await;
    call_wx(&c, "hideOptionMenu", json!({})).await;
    assert!(!tap_fires("share:timeline").await);
    call_wx(&c, "showOptionMenu", json!({})).await;
    assert!(tap_fires("share:timeline").await);
    let log: Vec<Value> = get_json(format!("{phone}/__wxjs/log")).await;
    assert!(
        log.iter()
            .any(|e| e["api"] == "tap share:timeline" && e["result"]["ignored"].is_string())
    );
    c.close().await.unwrap();
    child.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interfaces_on_both_platforms() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    for platform in ["android", "ios"] {
        post(
            format!("{phone}/__wxjs/settings"),
            json!({"platform": platform, "networkType": "wifi"}),
        )
        .await;
        assert_eq!(
            kinds(&scenario(&c, &base, "good").await),
            ["ready"],
            "{platform}"
        );
        // checkJsApi: Android sends checkResult as a JSON string; the library parses and maps it.
        let r = call_wx(
            &c,
            "checkJsApi",
            json!({"jsApiList": ["openSomethingNew", "onMenuShareTimeline", "getNetworkType"]}),
        )
        .await;
        assert_eq!(r["cb"], "success");
        assert_eq!(r["res"]["errMsg"], "checkJsApi:ok");
        assert_eq!(
            r["res"]["checkResult"],
            json!({"openSomethingNew": false, "onMenuShareTimeline": true, "getNetworkType": true}),
            "{platform}"
        );
        // getNetworkType for every setting.
        for net in ["wifi", "2g", "3g", "4g"] {
            post(
                format!("{phone}/__wxjs/settings"),
                json!({"networkType": net}),
            )
            .await;
            let r = call_wx(&c, "getNetworkType", json!({})).await;
            assert_eq!(
                r["res"],
                json!({"errMsg": "getNetworkType:ok", "networkType": net}),
                "{platform} {net}"
            );
        }
        post(
            format!("{phone}/__wxjs/settings"),
            json!({"networkType": "offline"}),
        )
        .await;
        let r = call_wx(&c, "getNetworkType", json!({})).await;
        assert_eq!(
            (r["cb"].as_str(), r["res"]["errMsg"].as_str()),
            (Some("fail"), Some("getNetworkType:fail"))
        );
        // A product panel; an interface whose device comes later fails as a client without it.
        let r = call_wx(
            &c,
            "openProductSpecificView",
            json!({"productId": "pid-42", "viewType": 1}),
        )
        .await;
        assert_eq!(r["res"]["errMsg"], "openProductSpecificView:ok");
        assert!(shadow(&c, "[data-product=\"pid-42\"]").await);
        // closeWindow shows the page closed.
        call_wx(&c, "closeWindow", json!({})).await;
        assert!(shadow(&c, "[data-closed]").await);

        // Outside jsApiList, and before config completed.
        scenario(&c, &base, "narrow").await;
        let r = call_wx(&c, "hideOptionMenu", json!({})).await;
        assert_eq!(
            (r["cb"].as_str(), r["res"]["errMsg"].as_str()),
            (
                Some("fail"),
                Some("hideOptionMenu:fail, the permission value is offline verifying")
            )
        );
        // getNetworkType's result transform turns any answer without a network type into
        // "getNetworkType:fail", the permission failure included (bridge-protocol.md).
        let r = call_wx(&c, "getNetworkType", json!({})).await;
        assert_eq!(r["res"]["errMsg"], "getNetworkType:fail");
        let r = call_wx(
            &c,
            "checkJsApi",
            json!({"jsApiList": ["onMenuShareTimeline"]}),
        )
        .await;
        assert_eq!(r["cb"], "success", "checkJsApi is a base interface");
        let e = scenario(&c, &base, "early").await;
        assert_eq!(
            e[0]["r"]["res"]["errMsg"],
            "hideOptionMenu:fail, the permission value is offline verifying"
        );
    }
    c.close().await.unwrap();
    child.stop().await;
}

/// What wxjs's library sends for each interface — bridge name, parameter mapping, defaults and
/// the verification fields — read back from the client's call log and compared with the
/// protocol table of bridge-protocol.md.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_interface_sends_what_the_protocol_table_says() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    scenario(&c, &base, "good").await;
    let app = "wxdemo000000000001";
    let table: Vec<(&str, Value, &str, Value)> = vec![
        (
            "checkJsApi",
            json!({"jsApiList": ["chooseImage", "getLocation", "chooseWXPay"]}),
            "checkJsApi",
            json!({"jsApiList": ["chooseImage", "geoLocation", "getBrandWCPayRequest"]}),
        ),
        (
            "chooseImage",
            json!({}),
            "chooseImage",
            json!({"scene": "1|2", "count": 9, "sizeType": ["original", "compressed"], "sourceType": ["album", "camera"]}),
        ),
        (
            "chooseImage",
            json!({"count": 2, "sizeType": ["compressed"], "sourceType": ["camera"]}),
            "chooseImage",
            json!({"count": 2, "sizeType": ["compressed"], "sourceType": ["camera"]}),
        ),
        (
            "previewImage",
            json!({"current": "http://x/a.jpg", "urls": ["http://x/a.jpg"]}),
            "imagePreview",
            json!({"current": "http://x/a.jpg", "urls": ["http://x/a.jpg"]}),
        ),
        (
            "uploadImage",
            json!({"localId": "L1"}),
            "uploadImage",
            json!({"localId": "L1", "isShowProgressTips": 1}),
        ),
        (
            "uploadImage",
            json!({"localId": "L1", "isShowProgressTips": 0}),
            "uploadImage",
            json!({"isShowProgressTips": 0}),
        ),
        (
            "downloadImage",
            json!({"serverId": "S1"}),
            "downloadImage",
            json!({"serverId": "S1", "isShowProgressTips": 1}),
        ),
        ("startRecord", json!({}), "startRecord", json!({})),
        ("stopRecord", json!({}), "stopRecord", json!({})),
        (
            "playVoice",
            json!({"localId": "V"}),
            "playVoice",
            json!({"localId": "V"}),
        ),
        (
            "pauseVoice",
            json!({"localId": "V"}),
            "pauseVoice",
            json!({"localId": "V"}),
        ),
        (
            "stopVoice",
            json!({"localId": "V"}),
            "stopVoice",
            json!({"localId": "V"}),
        ),
        (
            "uploadVoice",
            json!({"localId": "V"}),
            "uploadVoice",
            json!({"localId": "V", "isShowProgressTips": 1}),
        ),
        (
            "downloadVoice",
            json!({"serverId": "S"}),
            "downloadVoice",
            json!({"serverId": "S", "isShowProgressTips": 1}),
        ),
        (
            "translateVoice",
            json!({"localId": "V"}),
            "translateVoice",
            json!({"localId": "V", "isShowProgressTips": 1}),
        ),
        ("getNetworkType", json!({}), "getNetworkType", json!({})),
        (
            "openLocation",
            json!({"latitude": 22.5, "longitude": 114.1}),
            "openLocation",
            json!({"latitude": 22.5, "longitude": 114.1, "name": "", "address": "", "scale": 28, "infoUrl": ""}),
        ),
        (
            "getLocation",
            json!({}),
            "geoLocation",
            json!({"type": "wgs84"}),
        ),
        (
            "getLocation",
            json!({"type": "gcj02"}),
            "geoLocation",
            json!({"type": "gcj02"}),
        ),
        (
            "hideMenuItems",
            json!({"menuList": ["menuItem:copyUrl"]}),
            "hideMenuItems",
            json!({"menuList": ["menuItem:copyUrl"]}),
        ),
        (
            "showMenuItems",
            json!({"menuList": ["menuItem:copyUrl"]}),
            "showMenuItems",
            json!({"menuList": ["menuItem:copyUrl"]}),
        ),
        (
            "hideAllNonBaseMenuItem",
            json!({}),
            "hideAllNonBaseMenuItem",
            json!({}),
        ),
        (
            "showAllNonBaseMenuItem",
            json!({}),
            "showAllNonBaseMenuItem",
            json!({}),
        ),
        ("hideOptionMenu", json!({}), "hideOptionMenu", json!({})),
        ("showOptionMenu", json!({}), "showOptionMenu", json!({})),
        (
            "scanQRCode",
            json!({}),
            "scanQRCode",
            json!({"needResult": 0, "scanType": ["qrCode", "barCode"]}),
        ),
        (
            "openProductSpecificView",
            json!({"productId": "P1"}),
            "openProductViewWithPid",
            json!({"pid": "P1", "view_type": 0}),
        ),
        (
            "addCard",
            json!({"cardList": [{"cardId": "c1", "cardExt": "{}"}]}),
            "batchAddCard",
            json!({"card_list": [{"card_id": "c1", "card_ext": "{}"}]}),
        ),
        (
            "chooseCard",
            json!({"shopId": "5005", "cardType": "GROUPON", "cardId": "c1", "timestamp": 1417751808, "nonceStr": "n", "cardSign": "sig"}),
            "chooseCard",
            json!({"app_id": app, "location_id": "5005", "sign_type": "SHA1", "card_id": "c1", "card_type": "GROUPON", "card_sign": "sig", "time_stamp": "1417751808", "nonce_str": "n"}),
        ),
        (
            "openCard",
            json!({"cardList": [{"cardId": "c1", "code": "800"}]}),
            "batchViewCard",
            json!({"card_list": [{"card_id": "c1", "code": "800"}]}),
        ),
        (
            "chooseWXPay",
            json!({"timestamp": 1414587457, "nonceStr": "n", "package": "prepay_id=1", "paySign": "s"}),
            "getBrandWCPayRequest",
            json!({"timeStamp": "1414587457", "nonceStr": "n", "package": "prepay_id=1", "paySign": "s", "signType": "SHA1"}),
        ),
    ];
    let config: Value = reqwest::get(format!("{phone}/__wxjs/log"))
        .await
        .unwrap()
        .json::<Vec<Value>>()
        .await
        .unwrap()
        .into_iter()
        .find(|e| e["name"] == "preVerifyJSAPI")
        .unwrap();
    for (api, opts, bridge, want) in &table {
        let before = reqwest::get(format!("{phone}/__wxjs/log"))
            .await
            .unwrap()
            .json::<Vec<Value>>()
            .await
            .unwrap()
            .len();
        if matches!(
            *api,
            "chooseImage" | "addCard" | "scanQRCode" | "translateVoice"
        ) {
            // These wait for a person: answer them.
            post(
                format!("{phone}/__wxjs/user/next"),
                json!({"api": api, "action": "cancel"}),
            )
            .await;
        }
        call_wx(&c, api, opts.clone()).await;
        let log: Vec<Value> = get_json(format!("{phone}/__wxjs/log")).await;
        let entry = &log[before];
        assert_eq!(entry["name"], *bridge, "{api}");
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&entry["params"][k], v, "{api}: {k}");
        }
        // The verification fields of the last wx.config ride on every call.
        for k in [
            "appId",
            "verifyAppId",
            "verifyTimestamp",
            "verifyNonceStr",
            "verifySignature",
        ] {
            assert_eq!(entry["params"][k], config["params"][k], "{api}: {k}");
        }
        assert_eq!(entry["params"]["verifySignType"], "sha1");
        assert!(
            entry["params"]["verifyTimestamp"].is_string(),
            "{api}: the timestamp travels as a string"
        );
    }

    // A share's content and its defaults, sent after the menu tap.
    c.execute("wx.onMenuShareTimeline({ title: 'Only a title' }); wx.onMenuShareAppMessage({ title: 'Msg' });", vec![]).await.unwrap();
    for (menu, api) in [
        ("share:timeline", "onMenuShareTimeline"),
        ("share:appMessage", "onMenuShareAppMessage"),
    ] {
        post(
            format!("{phone}/__wxjs/user/next"),
            json!({"api": api, "action": "ok"}),
        )
        .await;
        post(format!("{phone}/__wxjs/user/tap"), json!({"menu": menu})).await;
    }
    let page_url = c.current_url().await.unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    let (timeline, message) = loop {
        let log: Vec<Value> = get_json(format!("{phone}/__wxjs/log")).await;
        let find = |n: &str| log.iter().find(|e| e["name"] == n).cloned();
        if let (Some(t), Some(m)) = (find("shareTimeline"), find("sendAppMessage")) {
            break (t, m);
        }
        assert!(Instant::now() < deadline, "shares never sent");
        tokio::time::sleep(Duration::from_millis(30)).await;
    };
    for (k, v) in [
        ("title", "Only a title"),
        ("desc", "Only a title"),
        ("img_url", ""),
        ("link", page_url.as_str()),
        ("type", "link"),
        ("data_url", ""),
    ] {
        assert_eq!(timeline["params"][k], v, "shareTimeline {k}");
    }
    for (k, v) in [
        ("title", "Msg"),
        ("desc", ""),
        ("img_url", ""),
        ("link", page_url.as_str()),
        ("type", "link"),
        ("data_url", ""),
    ] {
        assert_eq!(message["params"][k], v, "sendAppMessage {k}");
    }
    c.close().await.unwrap();
    child.stop().await;
}

/// The demo page: verified config, a button for each of the 35 interfaces, results shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_page_configures_and_runs_its_buttons() {
    let (child, p) = dev(None).await;
    let c = browser().await;
    c.goto(&format!("http://localhost:{p}/")).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = c
            .execute(
                "return document.getElementById('status').textContent",
                vec![],
            )
            .await
            .unwrap();
        if status
            .as_str()
            .is_some_and(|s| s.starts_with("wx.config verified"))
        {
            break;
        }
        assert!(Instant::now() < deadline, "demo never verified: {status}");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let buttons = c.execute("return Array.from(document.querySelectorAll('button[data-api]')).map(b => b.dataset.api)", vec![]).await.unwrap();
    assert_eq!(
        buttons.as_array().unwrap().len(),
        36 + 13 + 4,
        "checkJsApi, the 35 interfaces, the 13 later ones and four wx.miniProgram calls"
    );
    c.execute(
        "document.querySelector('button[data-api=getNetworkType]').click()",
        vec![],
    )
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let out = c.execute("return document.querySelector('button[data-api=getNetworkType]').nextSibling.textContent", vec![]).await.unwrap();
        if out
            .as_str()
            .is_some_and(|s| s.contains("\"networkType\":\"wifi\""))
        {
            break;
        }
        assert!(Instant::now() < deadline, "no result shown: {out}");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    // The open tags section: all four rendered (the demo's config names them), and a tap on
    // one opens it when automation says so.
    let rendered = wait_for(&c, "var n = ['wx-open-launch-weapp','wx-open-launch-app','wx-open-subscribe','wx-open-audio'].filter(function (t) { var e = document.querySelector(t); return e.shadowRoot && e.shadowRoot.querySelector('iframe'); }).length; return n === 4 ? n : null;", |v| v.is_number()).await;
    assert_eq!(rendered, 4);
    let phone = format!("http://127.0.0.1:{p}");
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "wx-open-launch-weapp", "action": "ok"}),
    )
    .await;
    c.execute(
        "document.getElementById('tag-weapp').scrollIntoView({ block: 'center' })",
        vec![],
    )
    .await
    .unwrap();
    c.find(fantoccini::Locator::Id("tag-weapp"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let log = wait_for(&c, "var t = document.getElementById('tag-events').textContent; return t.indexOf('wx-open-launch-weapp launch') !== -1 ? t : null;", |v| v.is_string()).await;
    assert!(
        log.as_str().unwrap().contains("wx-open-launch-weapp ready"),
        "{log}"
    );
    if let Ok(dir) = std::env::var("WXJS_SCREENSHOTS") {
        for (name, w, h) in [("desktop", 1280, 900), ("phone", 390, 844)] {
            c.set_window_size(w, h).await.unwrap();
            c.execute(
                "document.getElementById('tag-subscribe').scrollIntoView({ block: 'center' })",
                vec![],
            )
            .await
            .unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            std::fs::write(
                format!("{dir}/demo-open-tags-{name}.png"),
                c.screenshot().await.unwrap(),
            )
            .unwrap();
        }
    }
    c.close().await.unwrap();
    child.stop().await;
}

/// Images end to end: choose (automation, count, cancel, a person's clicks) → `<img src>` →
/// upload into the platform's media store → a back end downloads identical bytes with the
/// service's token; download → a local id that displays. Location in both datums.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn images_and_location_end_to_end() {
    use base64::Engine as _;
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    let photo = wxjs_phone::device::sample_png(1);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&photo);
    for platform in ["android", "ios"] {
        post(
            format!("{phone}/__wxjs/settings"),
            json!({"platform": platform}),
        )
        .await;
        assert_eq!(
            kinds(&scenario(&c, &base, "good").await),
            ["ready"],
            "{platform}"
        );
        post(format!("{phone}/__wxjs/user/next"), json!({"api": "chooseImage", "action": "ok", "data": {"files": [{"name": "photo.png", "base64": b64}]}})).await;
        let r = call_wx(&c, "chooseImage", json!({"count": 1})).await;
        assert_eq!(r["res"]["errMsg"], "chooseImage:ok", "{platform}: {r}");
        let local = r["res"]["localIds"][0]
            .as_str()
            .expect("localIds parsed into an array")
            .to_owned();
        // On Android the local id works as <img src>; on iOS it is a wxLocalResource:// URL
        // that an <img> cannot load (pages use getLocalImgData there).
        let width = c
            .execute_async("var done = arguments[1]; var i = new Image(); i.onload = function () { done(i.naturalWidth); }; i.onerror = function () { done(0); }; i.src = arguments[0];", vec![json!(local)])
            .await
            .unwrap();
        assert_eq!(
            width,
            if platform == "ios" { 0 } else { 96 },
            "{platform}: {local}"
        );
        // Upload: the serverId is a media_id a back end downloads with the service's token.
        let up = call_wx(&c, "uploadImage", json!({"localId": local})).await;
        assert_eq!(up["res"]["errMsg"], "uploadImage:ok");
        let server_id = up["res"]["serverId"].as_str().unwrap().to_owned();
        let token = service_token(p).await;
        let media = reqwest::get(format!(
            "http://127.0.0.1:{}/cgi-bin/media/get?access_token={}&media_id={server_id}",
            p.platform, token
        ))
        .await
        .unwrap();
        assert_eq!(media.headers()["content-type"], "image/png");
        assert_eq!(
            media.bytes().await.unwrap().to_vec(),
            photo,
            "identical bytes"
        );
        // The demo's own back end does the same through the service's credential server.
        let demo: Value = get_json(format!("{phone}/__wxjs/demo/media/{server_id}")).await;
        assert_eq!(
            demo,
            json!({"mediaId": server_id, "contentType": "image/png", "size": photo.len()})
        );
        // Download: a new local id with the same bytes.
        let down = call_wx(&c, "downloadImage", json!({"serverId": server_id})).await;
        let local2 = down["res"]["localId"].as_str().unwrap();
        assert_ne!(local2, local);
        assert_eq!(
            reqwest::get(local_url(&phone, local2))
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .to_vec(),
            photo
        );
        let bad = call_wx(&c, "downloadImage", json!({"serverId": "no-such-media"})).await;
        assert_eq!(bad["cb"], "fail");
        if platform == "ios" {
            // Three simulated days later the medium is gone for the back end and for the page.
            post(
                format!("http://127.0.0.1:{}/__sim/clock/advance", p.platform),
                json!({"seconds": 3 * 86_400}),
            )
            .await;
            let token = service_token(p).await;
            let gone: Value = get_json(format!(
                "http://127.0.0.1:{}/cgi-bin/media/get?access_token={}&media_id={server_id}",
                p.platform, token
            ))
            .await;
            assert_eq!(gone["errcode"], 40007);
            let r = call_wx(&c, "downloadImage", json!({"serverId": server_id})).await;
            assert_eq!(
                (r["cb"].as_str(), r["res"]["errMsg"].as_str()),
                (Some("fail"), Some("downloadImage:invalid serverid"))
            );
        }
    }
    // count is honoured; cancel cancels; a person picks in the client's UI.
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "chooseImage", "action": "ok", "data": {"samples": [0, 1, 2]}}),
    )
    .await;
    let r = call_wx(&c, "chooseImage", json!({"count": 2})).await;
    assert_eq!(r["res"]["localIds"].as_array().unwrap().len(), 2);
    // sizeType ["compressed"]: the client hands over a JPEG re-encoding.
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "chooseImage", "action": "ok", "data": {"samples": [1]}}),
    )
    .await;
    let r = call_wx(&c, "chooseImage", json!({"sizeType": ["compressed"]})).await;
    let compressed = r["res"]["localIds"][0].as_str().unwrap().to_owned();
    let res = reqwest::get(local_url(&phone, &compressed)).await.unwrap();
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert!(res.bytes().await.unwrap().starts_with(b"\xFF\xD8\xFF"));
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "chooseImage", "action": "cancel"}),
    )
    .await;
    let r = call_wx(&c, "chooseImage", json!({})).await;
    assert_eq!(
        (r["cb"].as_str(), r["res"]["errMsg"].as_str()),
        (Some("cancel"), Some("chooseImage:cancel"))
    );
    c.execute("window.__picked = window.callWx('chooseImage', {count: 3}).then(function (r) { window.__pickedResult = r; });", vec![]).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !shadow(&c, "[data-sample=\"2\"]").await {
        assert!(Instant::now() < deadline, "no photo picker");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    c.execute("var r = document.getElementById('wxjs-client').shadowRoot; r.querySelector('[data-sample=\"2\"]').click(); r.querySelector('[data-choose-image] [data-send]').click();", vec![]).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let picked = loop {
        let v = c
            .execute("return window.__pickedResult || null", vec![])
            .await
            .unwrap();
        if !v.is_null() {
            break v;
        }
        assert!(
            Instant::now() < deadline,
            "the person's choice never came back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let ids = picked["res"]["localIds"].as_array().unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(
        reqwest::get(local_url(&phone, ids[0].as_str().unwrap()))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec(),
        wxjs_phone::device::sample_png(2)
    );
    // previewImage shows a gallery.
    let r = call_wx(
        &c,
        "previewImage",
        json!({"current": ids[0], "urls": [ids[0]]}),
    )
    .await;
    assert_eq!(r["res"]["errMsg"], "previewImage:ok");
    assert!(shadow(&c, "[data-preview]").await);

    // Location: the setting in WGS-84, and its real GCJ-02 conversion.
    let res = post(
        format!("{phone}/__wxjs/settings"),
        json!({"location": {"latitude": 39.915, "longitude": 116.404, "accuracy": 15.0}}),
    )
    .await;
    assert_eq!(res.status(), 200);
    let r = call_wx(&c, "getLocation", json!({})).await;
    let res = r["res"].as_object().unwrap();
    let keys: Vec<&str> = res.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["accuracy", "errMsg", "latitude", "longitude", "speed"],
        "type is deleted"
    );
    assert_eq!(res["errMsg"], "getLocation:ok");
    for (k, v) in [
        ("latitude", 39.915),
        ("longitude", 116.404),
        ("speed", 0.0),
        ("accuracy", 15.0),
    ] {
        assert_eq!(res[k].as_f64(), Some(v), "{k}");
    }
    let r = call_wx(&c, "getLocation", json!({"type": "gcj02"})).await;
    assert!(
        (r["res"]["latitude"].as_f64().unwrap() - 39.916_404_281_501_64).abs() < 1e-9,
        "{r}"
    );
    assert!(
        (r["res"]["longitude"].as_f64().unwrap() - 116.410_244_499_169_38).abs() < 1e-9,
        "{r}"
    );
    let r = call_wx(&c, "openLocation", json!({"latitude": 39.9163, "longitude": 116.3972, "name": "天安门", "address": "北京市东城区", "scale": 16, "infoUrl": "https://example.com/t"})).await;
    assert_eq!(r["res"]["errMsg"], "openLocation:ok");
    assert!(shadow(&c, "[data-location=\"天安门\"]").await);
    // The browser's geolocation as the source: the client converts its WGS-84 fix. (The page's
    // geolocation answer is fixed here; the browser API itself is not what is tested.)
    let res = post(
        format!("{phone}/__wxjs/settings"),
        json!({"locationSource": "browser"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    c.execute(
        "navigator.geolocation.getCurrentPosition = function (ok) { ok({ coords: { latitude: 39.915, longitude: 116.404, accuracy: 12, speed: 1.5 } }); };",
        vec![],
    )
    .await
    .unwrap();
    let r = call_wx(&c, "getLocation", json!({"type": "gcj02"})).await;
    assert_eq!(r["res"]["errMsg"], "getLocation:ok", "{r}");
    assert!(
        (r["res"]["latitude"].as_f64().unwrap() - 39.916_404_281_501_64).abs() < 1e-9,
        "{r}"
    );
    assert_eq!(r["res"]["accuracy"].as_f64(), Some(12.0));
    assert_eq!(r["res"]["speed"].as_f64(), Some(1.5));
    post(
        format!("{phone}/__wxjs/settings"),
        json!({"locationSource": "setting"}),
    )
    .await;
    // A bad setting changes nothing.
    let res = post(
        format!("{phone}/__wxjs/settings"),
        json!({"platform": "android", "location": {"latitude": 95.0, "longitude": 0.0}}),
    )
    .await;
    assert_eq!(res.status(), 400);
    let settings: Value = get_json(format!("{phone}/__wxjs/settings")).await;
    assert_eq!(settings["platform"], "ios");
    assert_eq!(settings["location"]["latitude"], 39.915);
    c.close().await.unwrap();
    child.stop().await;
}

/// Extracts `<k><![CDATA[v]]></k>` (or `<k>v</k>`) pairs of a flat XML document.
fn xml_fields(xml: &str) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let inner = xml
        .trim()
        .trim_start_matches("<xml>")
        .trim_end_matches("</xml>");
    let mut rest = inner;
    while let Some(open) = rest.find('<') {
        let close = rest[open..].find('>').unwrap() + open;
        let name = &rest[open + 1..close];
        let end_tag = format!("</{name}>");
        let end = rest.find(&end_tag).unwrap();
        let value = &rest[close + 1..end];
        let value = value
            .strip_prefix("<![CDATA[")
            .and_then(|v| v.strip_suffix("]]>"))
            .unwrap_or(value);
        out.insert(name.to_owned(), value.to_owned());
        rest = &rest[end + end_tag.len()..];
    }
    out
}

/// chooseWXPay end to end: the client checks the signatures, shows the order, the person (or
/// automation) pays or cancels, and the platform notifies the merchant, retrying until it answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_end_to_end() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    let platform = format!("http://127.0.0.1:{}", p.platform);
    let service = format!("http://127.0.0.1:{}", p.service);
    let app = "wxdemo000000000001";
    let merchant = wxjs_sim::config::demo_accounts()[0]
        .merchant
        .clone()
        .unwrap();
    let http = reqwest::Client::new();
    let c = browser().await;
    assert_eq!(kinds(&scenario(&c, &base, "good").await), ["ready"]);
    let notify = format!("{phone}/__wxjs/demo/notify");
    let pay_params = |order: &str, fee: &str| {
        let http = http.clone();
        let (service, notify, order, fee) = (
            service.clone(),
            notify.clone(),
            order.to_owned(),
            fee.to_owned(),
        );
        async move {
            let v: Value = http
                .post(format!("{service}/v1/{app}/pay/package"))
                .bearer_auth("wxjs-dev-api-key-0000")
                .json(&json!({"body": "测试商品", "out_trade_no": order, "total_fee": fee, "notify_url": notify, "spbill_create_ip": "127.0.0.1"}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            json!({"timestamp": v["timestamp"], "nonceStr": v["nonceStr"], "package": v["package"], "signType": v["signType"], "paySign": v["paySign"]})
        }
    };
    let received = || async {
        reqwest::get(format!("{phone}/__wxjs/demo/notify"))
            .await
            .unwrap()
            .json::<Vec<Value>>()
            .await
            .unwrap()
    };

    // Paid (2014 form): the merchant is notified with a package-signed query.
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "chooseWXPay", "action": "ok"}),
    )
    .await;
    let r = call_wx(&c, "chooseWXPay", pay_params("o-2014-1", "123").await).await;
    assert_eq!(
        (r["cb"].as_str(), r["res"]["errMsg"].as_str()),
        (Some("success"), Some("chooseWXPay:ok"))
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let got = loop {
        let got = received().await;
        if !got.is_empty() {
            break got;
        }
        assert!(Instant::now() < deadline, "no notification");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let query = got[0]["query"].as_str().unwrap();
    assert!(
        wxjs_sign::verify_package(
            query,
            &wxjs_sign::PartnerKey::new(merchant.partner_key.clone())
        ),
        "{query}"
    );
    let fields = wxjs_sign::parse_package(query).unwrap().fields;
    assert_eq!(
        (
            fields["out_trade_no"].as_str(),
            fields["total_fee"].as_str(),
            fields["trade_state"].as_str()
        ),
        ("o-2014-1", "123", "0")
    );
    assert!(
        got[0]["body"]
            .as_str()
            .unwrap()
            .contains("<AppId><![CDATA[wxdemo000000000001]]></AppId>")
    );

    // Cancelled: no notification.
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "chooseWXPay", "action": "cancel"}),
    )
    .await;
    let r = call_wx(&c, "chooseWXPay", pay_params("o-2014-2", "50").await).await;
    assert_eq!(
        (r["cb"].as_str(), r["res"]["errMsg"].as_str()),
        (Some("cancel"), Some("chooseWXPay:cancel"))
    );

    // A package altered after signing, and a wrong paySign: the client refuses.
    let mut tampered = pay_params("o-2014-3", "100").await;
    tampered["package"] = json!(
        tampered["package"]
            .as_str()
            .unwrap()
            .replace("total_fee=100", "total_fee=1")
    );
    let r = call_wx(&c, "chooseWXPay", tampered).await;
    assert_eq!(
        (r["cb"].as_str(), r["res"]["errMsg"].as_str()),
        (Some("fail"), Some("chooseWXPay:fail"))
    );
    let mut bad_sign = pay_params("o-2014-4", "100").await;
    let sig = bad_sign["paySign"].as_str().unwrap().to_owned();
    bad_sign["paySign"] = json!(format!(
        "{}{}",
        if sig.starts_with('a') { "b" } else { "a" },
        &sig[1..]
    ));
    let r = call_wx(&c, "chooseWXPay", bad_sign).await;
    assert_eq!(r["res"]["errMsg"], "chooseWXPay:fail");
    let log: Vec<Value> = get_json(format!("{phone}/__wxjs/log")).await;
    let refusals: Vec<&str> = log
        .iter()
        .filter(|e| e["name"] == "getBrandWCPayRequest")
        .filter_map(|e| e["verification"].as_str())
        .filter(|v| v.starts_with("payment refused"))
        .collect();
    assert_eq!(
        refusals,
        [
            "payment refused: package sign does not match the partner key",
            "payment refused: paySign does not match the paySignKey"
        ]
    );

    // v2: a prepay id the platform issued, signed with the API key; the merchant fails the first
    // delivery, and the platform retries 15 s later on its clock.
    let prepay: Value = http
        .post(format!("{platform}/__sim/pay/prepay"))
        .json(&json!({"appId": app, "body": "v2 商品", "totalFee": 500, "outTradeNo": "o-v2-1", "notifyUrl": format!("{notify}?failures=1")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let v: Value = http
        .post(format!("{service}/v1/{app}/pay/prepay"))
        .bearer_auth("wxjs-dev-api-key-0000")
        .json(&json!({"prepayId": prepay["prepayId"], "signType": "MD5"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "chooseWXPay", "action": "ok"}),
    )
    .await;
    let r = call_wx(&c, "chooseWXPay", json!({"timestamp": v["timestamp"], "nonceStr": v["nonceStr"], "package": v["package"], "signType": "MD5", "paySign": v["paySign"]})).await;
    assert_eq!(r["res"]["errMsg"], "chooseWXPay:ok");
    let notifications = || async {
        reqwest::get(format!("{platform}/__sim/pay/notifications"))
            .await
            .unwrap()
            .json::<Vec<Value>>()
            .await
            .unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !notifications()
        .await
        .iter()
        .any(|n| n["outTradeNo"] == "o-v2-1" && n["attempts"] == 1)
    {
        assert!(Instant::now() < deadline, "no first delivery");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    post(
        format!("{platform}/__sim/clock/advance"),
        json!({"seconds": 15}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let n = loop {
        let all = notifications().await;
        if let Some(n) = all
            .into_iter()
            .find(|n| n["outTradeNo"] == "o-v2-1" && n["delivered"] == true)
        {
            break n;
        }
        assert!(Instant::now() < deadline, "no retry");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(n["attempts"], 2);
    assert_eq!(n["form"], "v2");
    let xml = received()
        .await
        .into_iter()
        .rev()
        .find(|r| r["body"].as_str().unwrap().contains("o-v2-1"))
        .unwrap();
    let fields = xml_fields(xml["body"].as_str().unwrap());
    assert!(
        wxjs_sign::verify_v2_fields(
            &fields,
            wxjs_sign::PaySignType::Md5,
            &wxjs_sign::PayApiKey::new(merchant.api_key.clone())
        ),
        "{fields:?}"
    );
    assert_eq!(
        (fields["total_fee"].as_str(), fields["result_code"].as_str()),
        ("500", "SUCCESS")
    );

    // v3: the same flow signed with RSA.
    let prepay: Value = http
        .post(format!("{platform}/__sim/pay/prepay"))
        .json(&json!({"appId": app, "body": "v3 商品", "totalFee": 800, "outTradeNo": "o-v3-1", "notifyUrl": notify}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let v: Value = http
        .post(format!("{service}/v1/{app}/pay/prepay"))
        .bearer_auth("wxjs-dev-api-key-0000")
        .json(&json!({"prepayId": prepay["prepayId"], "signType": "RSA"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "chooseWXPay", "action": "ok"}),
    )
    .await;
    let rsa = json!({"timestamp": v["timestamp"], "nonceStr": v["nonceStr"], "package": v["package"], "signType": "RSA", "paySign": v["paySign"]});
    let r = call_wx(&c, "chooseWXPay", rsa.clone()).await;
    let why: Vec<Value> = get_json(format!("{phone}/__wxjs/log")).await;
    let why = why
        .iter()
        .rev()
        .find(|e| e["name"] == "getBrandWCPayRequest")
        .map(|e| e["verification"].clone());
    assert_eq!(r["res"]["errMsg"], "chooseWXPay:ok", "{r} {why:?}");
    let mut forged = rsa;
    forged["timestamp"] = json!("1");
    let r = call_wx(&c, "chooseWXPay", forged).await;
    assert_eq!(r["res"]["errMsg"], "chooseWXPay:fail");

    // A prepay id the platform never issued.
    let v: Value = http
        .post(format!("{service}/v1/{app}/pay/prepay"))
        .bearer_auth("wxjs-dev-api-key-0000")
        .json(&json!({"prepayId": "wxneverissued", "signType": "HMAC-SHA256"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = call_wx(&c, "chooseWXPay", json!({"timestamp": v["timestamp"], "nonceStr": v["nonceStr"], "package": v["package"], "signType": "HMAC-SHA256", "paySign": v["paySign"]})).await;
    assert_eq!(r["res"]["errMsg"], "chooseWXPay:fail");

    // A person pays in the client's UI: the order and the amount in yuan are shown.
    let params = pay_params("o-2014-5", "123").await;
    c.execute("window.__paid = null; window.callWx('chooseWXPay', arguments[0]).then(function (r) { window.__paid = r; });", vec![params]).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !shadow(&c, "[data-pay=\"o-2014-5\"] [data-send]").await {
        assert!(Instant::now() < deadline, "no order sheet");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let amount = c.execute("return document.getElementById('wxjs-client').shadowRoot.querySelector('[data-pay-amount]').textContent", vec![]).await.unwrap();
    assert_eq!(amount, "¥1.23");
    c.execute("document.getElementById('wxjs-client').shadowRoot.querySelector('[data-pay] [data-send]').click()", vec![]).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let v = c.execute("return window.__paid", vec![]).await.unwrap();
        if !v.is_null() {
            assert_eq!(v["res"]["errMsg"], "chooseWXPay:ok");
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    c.close().await.unwrap();
    child.stop().await;
}

/// Cards end to end: addCard with good and bad cardExt signatures fills the wallet with the
/// accepted ones; chooseCard with a good cardSign offers the wallet, with a bad one yields an
/// empty list; openCard shows the cards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_end_to_end() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    let service = format!("http://127.0.0.1:{}", p.service);
    let app = "wxdemo000000000001";
    let http = reqwest::Client::new();
    let backend = |path: &'static str, body: Value| {
        let http = http.clone();
        let url = format!("{service}/v1/{app}/{path}");
        async move {
            http.post(url)
                .bearer_auth("wxjs-dev-api-key-0000")
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let c = browser().await;
    assert_eq!(kinds(&scenario(&c, &base, "good").await), ["ready"]);
    let groupon = "pDemoGroupon00000000000000001";
    let cash = "pDemoCash0000000000000000001";

    // Two cards signed with the card ticket, one in the 2014 form, one tampered.
    let signed = backend(
        "cards/ext",
        json!({"cards": [{"cardId": groupon, "code": "800800800800"}, {"cardId": cash}]}),
    )
    .await;
    let legacy = backend(
        "cards/ext",
        json!({"cards": [{"cardId": "pDemoMember00000000000000001"}], "form": "2014"}),
    )
    .await;
    let mut list: Vec<Value> = signed["cardList"].as_array().unwrap().clone();
    list.extend(legacy["cardList"].as_array().unwrap().iter().cloned());
    let mut tampered = list[1].clone();
    tampered["cardExt"] = json!(
        tampered["cardExt"]
            .as_str()
            .unwrap()
            .replace("\"timestamp\":\"", "\"timestamp\":\"9")
    );
    list[1] = tampered;
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "addCard", "action": "ok"}),
    )
    .await;
    let r = call_wx(&c, "addCard", json!({"cardList": list})).await;
    assert_eq!(r["res"]["errMsg"], "addCard:ok", "{r}");
    let added: Vec<(String, bool)> = r["res"]["cardList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["cardId"].as_str().unwrap().to_owned(),
                c["isSuccess"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        added,
        [
            (groupon.to_owned(), true),
            (cash.to_owned(), false),
            ("pDemoMember00000000000000001".to_owned(), true)
        ]
    );
    let wallet: Vec<Value> = get_json(format!("{phone}/__wxjs/wallet")).await;
    assert_eq!(wallet.len(), 2);
    assert_eq!(wallet[0]["code"], "800800800800");

    // chooseCard with a good cardSign: the wallet's groupon; with a bad one: an empty list.
    let choose = backend("cards/choose", json!({"cardType": "GROUPON"})).await;
    let opts = json!({"cardType": "GROUPON", "timestamp": choose["timestamp"], "nonceStr": choose["nonceStr"], "cardSign": choose["cardSign"]});
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "chooseCard", "action": "ok"}),
    )
    .await;
    let r = call_wx(&c, "chooseCard", opts.clone()).await;
    assert_eq!(r["res"]["errMsg"], "chooseCard:ok");
    let chosen: Vec<Value> = serde_json::from_str(
        r["res"]["cardList"]
            .as_str()
            .expect("cardList stays a JSON string"),
    )
    .unwrap();
    assert_eq!(chosen.len(), 1);
    assert_eq!(chosen[0]["card_id"], groupon);
    assert!(
        chosen[0]["encrypt_code"]
            .as_str()
            .is_some_and(|e| !e.is_empty() && !e.contains("800800800800"))
    );
    let mut bad = opts.clone();
    bad["cardSign"] = json!("0".repeat(40));
    let r = call_wx(&c, "chooseCard", bad).await;
    assert_eq!(
        (
            r["cb"].as_str(),
            r["res"]["errMsg"].as_str(),
            r["res"]["cardList"].as_str()
        ),
        (Some("success"), Some("chooseCard:ok"), Some("[]"))
    );

    // openCard shows the chosen cards.
    let r = call_wx(
        &c,
        "openCard",
        json!({"cardList": [{"cardId": groupon, "code": "800800800800"}]}),
    )
    .await;
    assert_eq!(r["res"]["errMsg"], "openCard:ok");
    assert!(shadow(&c, "[data-open-card] [data-card]").await);
    c.close().await.unwrap();
    child.stop().await;
}

/// scanQRCode: generated QR and EAN-13 images decoded in Rust, in both needResult modes, scanType
/// honoured, on both platforms (iOS wraps resultStr in JSON; the library unwraps it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_qr_codes_and_bar_codes() {
    use base64::Engine as _;
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    let b64 = |png: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(png);
    let qr = b64(wxjs_phone::scan::encode_png("https://example.com/活动?id=7", "QR_CODE").unwrap());
    let ean = b64(wxjs_phone::scan::encode_png("6901234567892", "EAN_13").unwrap());
    for platform in ["android", "ios"] {
        post(
            format!("{phone}/__wxjs/settings"),
            json!({"platform": platform}),
        )
        .await;
        assert_eq!(kinds(&scenario(&c, &base, "good").await), ["ready"]);
        for (image, want) in [
            (&qr, "https://example.com/活动?id=7"),
            (&ean, "EAN_13,6901234567892"),
        ] {
            post(
                format!("{phone}/__wxjs/user/next"),
                json!({"api": "scanQRCode", "action": "ok", "data": {"base64": image}}),
            )
            .await;
            let r = call_wx(&c, "scanQRCode", json!({"needResult": 1})).await;
            assert_eq!(
                r["res"],
                json!({"errMsg": "scanQRCode:ok", "resultStr": want}),
                "{platform}"
            );
        }
    }
    // needResult 0: WeChat shows the result itself and the page gets none.
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "scanQRCode", "action": "ok", "data": {"base64": qr}}),
    )
    .await;
    let r = call_wx(&c, "scanQRCode", json!({})).await;
    assert_eq!(r["res"], json!({"errMsg": "scanQRCode:ok"}));
    assert!(shadow(&c, "[data-scan-result=\"https://example.com/活动?id=7\"]").await);
    // scanType: a bar code where only QR codes are asked for fails; cancel cancels.
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "scanQRCode", "action": "ok", "data": {"base64": ean}}),
    )
    .await;
    let r = call_wx(
        &c,
        "scanQRCode",
        json!({"needResult": 1, "scanType": ["qrCode"]}),
    )
    .await;
    assert_eq!(r["cb"], "fail");
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "scanQRCode", "action": "cancel"}),
    )
    .await;
    let r = call_wx(&c, "scanQRCode", json!({"needResult": 1})).await;
    assert_eq!(r["res"]["errMsg"], "scanQRCode:cancel");
    c.close().await.unwrap();
    child.stop().await;
}

/// Voice end to end: record (a generated tone) → upload → the back end downloads identical bytes
/// (and the high-quality one) → download → play → onVoicePlayEnd; onVoiceRecordEnd at the
/// recording limit; translateVoice gives the attached text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voice_end_to_end() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    // A short limit, so the automatic stop happens within the test.
    assert_eq!(
        post(
            format!("{phone}/__wxjs/settings"),
            json!({"recordLimitMs": 1500})
        )
        .await
        .status(),
        200
    );
    let c = browser().await;
    assert_eq!(kinds(&scenario(&c, &base, "good").await), ["ready"]);
    c.execute("window.__voice = []; wx.onVoiceRecordEnd({ complete: function (r) { window.__voice.push({ t: 'recordEnd', r: r }); } }); wx.onVoicePlayEnd({ success: function (r) { window.__voice.push({ t: 'playEnd', r: r }); } });", vec![]).await.unwrap();
    assert_eq!(
        call_wx(&c, "startRecord", json!({})).await["res"]["errMsg"],
        "startRecord:ok"
    );
    tokio::time::sleep(Duration::from_millis(250)).await;
    let r = call_wx(&c, "stopRecord", json!({})).await;
    assert_eq!(r["res"]["errMsg"], "stopRecord:ok");
    let local = r["res"]["localId"].as_str().unwrap().to_owned();
    // Chromium's (fake) microphone, through MediaRecorder: WebM.
    let wav = reqwest::get(format!("{phone}{local}"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    assert!(
        wav.starts_with(b"\x1a\x45\xdf\xa3"),
        "a WebM recording from the microphone: {} bytes",
        wav.len()
    );

    let up = call_wx(&c, "uploadVoice", json!({"localId": local})).await;
    assert_eq!(up["res"]["errMsg"], "uploadVoice:ok");
    let server_id = up["res"]["serverId"].as_str().unwrap().to_owned();
    let t = service_token(p).await;
    let plain = reqwest::get(format!(
        "http://127.0.0.1:{}/cgi-bin/media/get?access_token={t}&media_id={server_id}",
        p.platform
    ))
    .await
    .unwrap();
    assert_eq!(plain.headers()["content-type"], "audio/webm");
    assert_eq!(plain.bytes().await.unwrap().to_vec(), wav);
    let hq = reqwest::get(format!(
        "http://127.0.0.1:{}/cgi-bin/media/get/jssdk?access_token={t}&media_id={server_id}",
        p.platform
    ))
    .await
    .unwrap();
    assert_eq!(hq.headers()["content-type"], "voice/speex");
    assert_eq!(hq.bytes().await.unwrap().to_vec(), wav);

    let down = call_wx(&c, "downloadVoice", json!({"serverId": server_id})).await;
    let local2 = down["res"]["localId"].as_str().unwrap().to_owned();
    assert_eq!(
        call_wx(&c, "playVoice", json!({"localId": local2})).await["res"]["errMsg"],
        "playVoice:ok"
    );
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let v = c.execute("return window.__voice", vec![]).await.unwrap();
        if let Some(e) = v.as_array().unwrap().iter().find(|e| e["t"] == "playEnd") {
            assert_eq!(
                e["r"],
                json!({"errMsg": "onVoicePlayEnd:ok", "localId": local2})
            );
            break;
        }
        assert!(Instant::now() < deadline, "no onVoicePlayEnd: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A recording left running stops at the limit and tells the page.
    call_wx(&c, "startRecord", json!({})).await;
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let v = c.execute("return window.__voice", vec![]).await.unwrap();
        if let Some(e) = v.as_array().unwrap().iter().find(|e| e["t"] == "recordEnd") {
            assert_eq!(e["r"]["errMsg"], "onVoiceRecordEnd:ok");
            assert!(
                e["r"]["localId"]
                    .as_str()
                    .is_some_and(|l| l.starts_with("/__wxjs/local/"))
            );
            break;
        }
        assert!(Instant::now() < deadline, "no onVoiceRecordEnd: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        call_wx(&c, "stopRecord", json!({})).await["cb"],
        "fail",
        "already stopped"
    );

    // Without a microphone (or with it switched off) the client records a generated tone.
    post(
        format!("{phone}/__wxjs/settings"),
        json!({"microphone": false}),
    )
    .await;
    assert_eq!(kinds(&scenario(&c, &base, "good").await), ["ready"]);
    call_wx(&c, "startRecord", json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = call_wx(&c, "stopRecord", json!({})).await;
    let tone = reqwest::get(format!("{phone}{}", r["res"]["localId"].as_str().unwrap()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    assert!(
        tone.starts_with(b"RIFF") && tone.len() > 44 + 2 * 8000 / 10,
        "a tone WAV: {} bytes",
        tone.len()
    );

    // translateVoice: the text the person (here automation) attaches.
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "translateVoice", "action": "ok", "data": {"text": "你好 wxjs"}}),
    )
    .await;
    let r = call_wx(&c, "translateVoice", json!({"localId": local})).await;
    assert_eq!(
        r["res"],
        json!({"errMsg": "translateVoice:ok", "translateResult": "你好 wxjs"})
    );
    c.close().await.unwrap();
    child.stop().await;
}

/// `wxjs dev` on the test pages, and a browser on the suite page with a good `wx.config`.
pub(crate) async fn configured_suite_page() -> (crate::Running, Ports, Client) {
    let (child, p) = dev(Some(PAGES)).await;
    let c = browser().await;
    assert_eq!(
        kinds(&scenario(&c, &format!("http://localhost:{p}"), "good").await),
        ["ready"]
    );
    (child, p, c)
}

/// The service's 2014 payment parameters for an order (`extra` adds order fields).
/// `POST` to the demo account's back-end endpoint `path` of the service, with the dev API key.
pub(crate) async fn service_post(p: Ports, path: &str, body: &Value) -> Value {
    reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{}/v1/wxdemo000000000001/{path}",
            p.service
        ))
        .bearer_auth("wxjs-dev-api-key-0000")
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

pub(crate) async fn package_params(p: Ports, order: &str, fee: &str, extra: Value) -> Value {
    let mut body = json!({"body": "测试商品", "out_trade_no": order, "total_fee": fee,
        "notify_url": format!("http://127.0.0.1:{p}/__wxjs/demo/notify"), "spbill_create_ip": "127.0.0.1"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let v = service_post(p, "pay/package", &body).await;
    assert!(v["package"].is_string(), "{v}");
    json!({"timestamp": v["timestamp"], "nonceStr": v["nonceStr"], "package": v["package"], "signType": v["signType"], "paySign": v["paySign"]})
}

async fn pay_automatically(c: &Client, p: Ports, params: Value) -> Value {
    post(
        format!("http://127.0.0.1:{p}/__wxjs/user/next"),
        json!({"api": "chooseWXPay", "action": "ok"}),
    )
    .await;
    // An answer the client did not use (it refused before the sheet) answers the next sheet,
    // which every call here wants paid too.
    call_wx(c, "chooseWXPay", params).await
}

async fn notifications_for(p: Ports, order: &str) -> Vec<Value> {
    reqwest::get(format!(
        "http://127.0.0.1:{}/__sim/pay/notifications",
        p.platform
    ))
    .await
    .unwrap()
    .json::<Vec<Value>>()
    .await
    .unwrap()
    .into_iter()
    .filter(|n| n["outTradeNo"] == order)
    .collect()
}

/// The same `out_trade_no` paid twice (the same signed parameters, or a fresh package even with
/// another fee) succeeded twice with two notifications; an order past `time_expire` was paid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_could_be_paid_again_and_time_expire_was_ignored() {
    let (child, p, c) = configured_suite_page().await;
    let first = package_params(p, "o-once-1", "100", json!({})).await;
    let r = pay_automatically(&c, p, first.clone()).await;
    assert_eq!(r["res"]["errMsg"], "chooseWXPay:ok", "{r}");
    for again in [
        first,
        package_params(p, "o-once-1", "100", json!({})).await,
        package_params(p, "o-once-1", "200", json!({})).await,
    ] {
        let r = pay_automatically(&c, p, again).await;
        assert_eq!(r["res"]["errMsg"], "chooseWXPay:fail", "{r}");
    }
    let log: Vec<Value> = get_json(format!("http://127.0.0.1:{p}/__wxjs/log")).await;
    assert!(
        log.iter().any(|e| e["verification"]
            .as_str()
            .unwrap_or("")
            .contains("already paid")),
        "the log says why"
    );
    // Exactly one notification, whatever was tried.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(notifications_for(p, "o-once-1").await.len(), 1);

    // time_expire, Beijing time, on the simulator's clock.
    let now: Value = get_json(format!("http://127.0.0.1:{}/__sim/clock", p.platform)).await;
    let now = now["now"].as_u64().unwrap();
    let past = wxjs_sim::state::beijing_datetime(now - 120);
    let r = pay_automatically(
        &c,
        p,
        package_params(p, "o-expired-1", "100", json!({"time_expire": past})).await,
    )
    .await;
    assert_eq!(r["res"]["errMsg"], "chooseWXPay:fail", "{r}");
    // Valid when signed, expired by the time it is paid.
    let soon = wxjs_sim::state::beijing_datetime(now + 600);
    let params = package_params(p, "o-expired-2", "100", json!({"time_expire": soon})).await;
    reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{}/__sim/clock/advance",
            p.platform
        ))
        .json(&json!({"seconds": 3600}))
        .send()
        .await
        .unwrap();
    let r = pay_automatically(&c, p, params).await;
    assert_eq!(r["res"]["errMsg"], "chooseWXPay:fail", "{r}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(notifications_for(p, "o-expired-1").await.is_empty());
    assert!(notifications_for(p, "o-expired-2").await.is_empty());
    c.close().await.unwrap();
    child.stop().await;
}

/// The bridge parsed the empty 204 answers of its own posts as JSON: 38 uncaught errors in the
/// page's console per session. A double click opened two stacked sheets and fired two callbacks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_emulator_s_own_errors_reached_the_page_console_and_a_double_click_opened_two_sheets() {
    let (child, p) = dev(Some(PAGES)).await;
    let c = browser().await;
    c.goto(&format!("http://localhost:{p}/suite.html?scenario=good"))
        .await
        .unwrap();
    c.execute(
        "window.__errs = []; window.addEventListener('unhandledrejection', function (e) { window.__errs.push(String(e.reason)); }); window.addEventListener('error', function (e) { window.__errs.push(String(e.message)); });",
        vec![],
    )
    .await
    .unwrap();
    assert_eq!(kinds(&wait_done(&c).await), ["ready"]);
    // Menu taps post notes (answered 204); so do ignored taps.
    for menu in ["share:timeline", "share:appMessage", "share:qq"] {
        post(
            format!("http://127.0.0.1:{p}/__wxjs/user/tap"),
            json!({ "menu": menu }),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let masks =
        "return document.getElementById('wxjs-client').shadowRoot.querySelectorAll('.mask').length";
    let before = c.execute(masks, vec![]).await.unwrap().as_u64().unwrap();
    // A double click on a button that opens the photo picker.
    c.execute(
        "window.__cbs = 0; for (var i = 0; i < 2; i++) wx.chooseImage({ success: function () { window.__cbs++; }, cancel: function () { window.__cbs++; } });",
        vec![],
    )
    .await
    .unwrap();
    // The first sheet opens; give the second call every chance to open another.
    wait_for(&c, masks, |v| v.as_u64().is_some_and(|n| n > before)).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let sheets = c.execute(masks, vec![]).await.unwrap().as_u64().unwrap();
    assert_eq!(sheets - before, 1, "one sheet for a double click");
    post(
        format!("http://127.0.0.1:{p}/__wxjs/user/next"),
        json!({"api": "chooseImage", "action": "cancel"}),
    )
    .await;
    wait_for(&c, "return window.__cbs", |v| v.as_u64() >= Some(1)).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let cbs = c.execute("return window.__cbs", vec![]).await.unwrap();
    assert_eq!(cbs, json!(1), "one callback for a double click");
    let errs = c.execute("return window.__errs", vec![]).await.unwrap();
    assert_eq!(errs, json!([]), "the emulator's own errors in the page");
    c.close().await.unwrap();
    child.stop().await;
}

/// Waits until `script` returns a value `pred` accepts.
pub(crate) async fn wait_for(c: &Client, script: &str, pred: impl Fn(&Value) -> bool) -> Value {
    wait_for_secs(c, script, 10, pred).await
}

/// [`wait_for`] with a deadline of `secs` (flows that navigate and talk to several servers).
pub(crate) async fn wait_for_secs(
    c: &Client,
    script: &str,
    secs: u64,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let v = c.execute(script, vec![]).await.unwrap();
        if pred(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "{script}: {v}");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// Clicking every demo button: successful call-log entries were white text on a white
/// background; every result on the demo page looked the same grey; checkJsApi said false for
/// the voice events; ten working voice interfaces were labelled "(devices: next release)"; the
/// previewImage button previewed a 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_log_was_white_on_white_and_every_demo_result_looked_the_same() {
    let (child, p) = dev(None).await;
    let c = browser().await;
    c.goto(&format!("http://localhost:{p}/")).await.unwrap();
    wait_for(
        &c,
        "return document.getElementById('status').textContent",
        |v| {
            v.as_str()
                .is_some_and(|s| s.starts_with("wx.config verified"))
        },
    )
    .await;
    let page = c.source().await.unwrap();
    assert!(!page.contains("next release"), "stale label");
    // Three outcomes, three looks: success, cancel, fail.
    for (api, action) in [("chooseImage", "ok"), ("scanQRCode", "cancel")] {
        post(
            format!("http://127.0.0.1:{p}/__wxjs/user/next"),
            json!({"api": api, "action": action, "data": {"samples": [0]}}),
        )
        .await;
    }
    for api in [
        "chooseImage",
        "scanQRCode",
        "openEnterpriseRedPacket",
        "checkJsApi",
    ] {
        c.execute(
            "document.querySelector('button[data-api=' + arguments[0] + ']').click()",
            vec![json!(api)],
        )
        .await
        .unwrap();
        wait_for(
            &c,
            &format!(
                "return document.querySelector('button[data-api={api}]').nextSibling.className"
            ),
            |v| v.as_str().is_some_and(|s| !s.is_empty()),
        )
        .await;
    }
    let look = |api: &str| {
        format!(
            "var o = document.querySelector('button[data-api={api}]').nextSibling; var s = getComputedStyle(o); return [o.className, s.color, o.textContent];"
        )
    };
    let ok = c.execute(&look("chooseImage"), vec![]).await.unwrap();
    let cancel = c.execute(&look("scanQRCode"), vec![]).await.unwrap();
    let fail = c
        .execute(&look("openEnterpriseRedPacket"), vec![])
        .await
        .unwrap();
    assert_eq!(
        (ok[0].as_str(), cancel[0].as_str(), fail[0].as_str()),
        (Some("ok"), Some("cancel"), Some("fail"))
    );
    let colours = [&ok[1], &cancel[1], &fail[1]];
    assert!(
        colours[0] != colours[1] && colours[1] != colours[2] && colours[0] != colours[2],
        "{colours:?}"
    );
    if let Ok(dir) = std::env::var("WXJS_SCREENSHOTS") {
        for (name, w, h) in [("desktop", 1280, 900), ("phone", 390, 844)] {
            c.set_window_size(w, h).await.unwrap();
            c.execute(
                "document.querySelector('button[data-api=scanQRCode]').scrollIntoView({ block: 'center' })",
                vec![],
            )
            .await
            .unwrap();
            let png = c.screenshot().await.unwrap();
            std::fs::write(format!("{dir}/demo-results-{name}.png"), png).unwrap();
        }
    }
    // checkJsApi knows the voice events.
    let check = c.execute(&look("checkJsApi"), vec![]).await.unwrap();
    let text = check[2].as_str().unwrap();
    for event in ["onVoicePlayEnd", "onVoiceRecordEnd"] {
        assert!(
            text.contains(&format!("\\\"{event}\\\":true"))
                || text.contains(&format!("\"{event}\":true")),
            "{event}: {text}"
        );
    }
    // The preview shows images that load.
    c.execute(
        "document.querySelector('button[data-api=previewImage]').click()",
        vec![],
    )
    .await
    .unwrap();
    let loaded = wait_for(&c, "var r = document.getElementById('wxjs-client').shadowRoot; var imgs = Array.from(r.querySelectorAll('img')); return imgs.length && imgs.every(function (i) { return i.complete; }) ? imgs.map(function (i) { return i.naturalWidth; }) : null;", |v| v.is_array()).await;
    assert!(
        loaded
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w.as_u64() > Some(0)),
        "a preview image did not load: {loaded}"
    );
    c.execute("document.getElementById('wxjs-client').shadowRoot.querySelectorAll('.mask').forEach(function (m) { m.remove(); })", vec![]).await.unwrap();
    // The debug console: every line's text readable on its background, and on screen.
    c.execute(
        "document.getElementById('wxjs-client').shadowRoot.querySelector('[data-log-button]').click()",
        vec![],
    )
    .await
    .unwrap();
    let entries = wait_for(&c, "var r = document.getElementById('wxjs-client').shadowRoot; var es = Array.from(r.querySelectorAll('[data-console-entry] .c-api')); return es.length >= 4 ? es.slice(0, 8).map(function (e) { var s = getComputedStyle(e); var b = e.getBoundingClientRect(); return [e.closest('[data-outcome]').getAttribute('data-outcome'), s.color, getComputedStyle(e.closest('[data-outcome]')).backgroundColor, b.width, b.height]; }) : null;", |v| v.is_array()).await;
    let mut kinds = std::collections::BTreeSet::new();
    for e in entries.as_array().unwrap() {
        assert_ne!(e[1], e[2], "text colour equals background: {e}");
        assert!(
            e[3].as_f64() > Some(0.0) && e[4].as_f64() > Some(0.0),
            "{e}"
        );
        kinds.insert(e[0].as_str().unwrap().to_owned());
    }
    assert!(kinds.contains("ok"), "{kinds:?}");
    if let Ok(dir) = std::env::var("WXJS_SCREENSHOTS") {
        let png = c.screenshot().await.unwrap();
        std::fs::write(format!("{dir}/call-log.png"), png).unwrap();
    }
    c.close().await.unwrap();
    child.stop().await;
}

/// Stopping or pausing right after `playVoice` produced `onVoicePlayEnd` about a second later
/// (a stand-in end on any `play()` rejection, the AbortError of pause and stop included).
/// Settings such as `recordLimitMs` reached only pages loaded afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_voice_play_end_fired_for_a_voice_that_never_finished_and_settings_missed_open_pages() {
    let (child, p) = dev(Some(PAGES)).await;
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    assert_eq!(
        kinds(&scenario(&c, &format!("http://localhost:{p}"), "good").await),
        ["ready"]
    );
    c.execute("window.__voice = []; wx.onVoiceRecordEnd({ complete: function (r) { window.__voice.push({ t: 'recordEnd', r: r }); } }); wx.onVoicePlayEnd({ success: function (r) { window.__voice.push({ t: 'playEnd', r: r }); } });", vec![]).await.unwrap();
    // Settings changed while the page is open: a short recording limit applies at once.
    assert_eq!(
        post(
            format!("{phone}/__wxjs/settings"),
            json!({"recordLimitMs": 400, "microphone": false})
        )
        .await
        .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        call_wx(&c, "startRecord", json!({})).await["res"]["errMsg"],
        "startRecord:ok"
    );
    let v = wait_for(&c, "return window.__voice", |v| {
        v.as_array().unwrap().iter().any(|e| e["t"] == "recordEnd")
    })
    .await;
    let local = v.as_array().unwrap()[0]["r"]["localId"]
        .as_str()
        .unwrap()
        .to_owned();
    // Stopped and paused right after starting: no end event, ever.
    for stop in ["stopVoice", "pauseVoice"] {
        // In order: the stop must reach the client after the play (each is a call to the
        // phone origin; two at once may arrive either way round).
        c.execute("window.__voice = [];", vec![]).await.unwrap();
        call_wx(&c, "playVoice", json!({ "localId": local })).await;
        call_wx(&c, stop, json!({ "localId": local })).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let v = c.execute("return window.__voice", vec![]).await.unwrap();
        assert_eq!(v, json!([]), "{stop} right after playVoice: {v}");
    }
    // Played to its end: one end event.
    // In order, as above: a stop that arrived after the play would stop it.
    call_wx(&c, "stopVoice", json!({ "localId": local })).await;
    c.execute("window.__voice = [];", vec![]).await.unwrap();
    call_wx(&c, "playVoice", json!({ "localId": local })).await;
    let v = wait_for(&c, "return window.__voice", |v| {
        !v.as_array().unwrap().is_empty()
    })
    .await;
    assert_eq!(v[0]["t"], "playEnd");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let v = c.execute("return window.__voice", vec![]).await.unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    c.close().await.unwrap();
    child.stop().await;
}

/// The wallet lagged the page's `addCard` callback: the callback ran before the result that
/// fills the wallet reached the client's server half. A callback that looks at the wallet at
/// once must find the card.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wallet_lagged_the_page_s_add_card_callback() {
    let (child, p, c) = configured_suite_page().await;
    let signed: Value = reqwest::Client::new()
        .post(format!(
            "http://127.0.0.1:{}/v1/wxdemo000000000001/cards/ext",
            p.service
        ))
        .bearer_auth("wxjs-dev-api-key-0000")
        .json(&json!({"cards": [{"cardId": "pDemoGroupon00000000000000001", "code": "12345"}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for round in 0..5 {
        post(
            format!("http://127.0.0.1:{p}/__wxjs/user/next"),
            json!({"api": "addCard", "action": "ok"}),
        )
        .await;
        let seen = c
            .execute_async(
                "var done = arguments[arguments.length - 1]; wx.addCard({ cardList: arguments[0], success: function () { fetch('/__wxjs/wallet').then(function (r) { return r.json(); }).then(function (w) { done(w.length); }); }, fail: function (r) { done(r); } });",
                vec![signed["cardList"].clone()],
            )
            .await
            .unwrap();
        assert_eq!(seen, json!(round + 1), "round {round}");
    }
    c.close().await.unwrap();
    child.stop().await;
}

/// The page id the phone origin gave the page in the current window.
pub(crate) async fn page_id(c: &Client) -> String {
    c.execute("return window.__wxjsClient.session", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

/// With two pages open at once, taps and automated answers went to whichever page polled
/// first. Each page is a session now: automation addressed to one reaches only that one, and
/// unaddressed automation goes to the page loaded most recently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taps_and_answers_went_to_whichever_page_polled_first() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    assert_eq!(kinds(&scenario(&c, &base, "good").await), ["ready"]);
    let window_a = c.window().await.unwrap();
    let a = page_id(&c).await;
    let window_b = c.new_window(true).await.unwrap().handle;
    c.switch_to_window(window_b.clone()).await.unwrap();
    c.goto(&format!("{base}/suite.html?scenario=good&tab=b"))
        .await
        .unwrap();
    assert_eq!(kinds(&wait_done(&c).await), ["ready"]);
    let b = page_id(&c).await;
    assert_ne!(a, b);

    // Both are listed, in the order they were loaded, with their URL and title.
    let pages: Vec<Value> = get_json(format!("{phone}/__wxjs/pages")).await;
    let ids: Vec<&str> = pages.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [a.as_str(), b.as_str()], "{pages:?}");
    assert!(
        pages[1]["url"].as_str().unwrap().ends_with("tab=b"),
        "{pages:?}"
    );
    assert_eq!(pages[0]["title"], "wxjs browser suite");

    // Answers for each page, queued A first: page B, asking first, still gets its own.
    for (page, action) in [(&a, "cancel"), (&b, "ok")] {
        let res = post(
            format!("{phone}/__wxjs/user/next"),
            json!({"api": "chooseImage", "action": action, "page": page}),
        )
        .await;
        assert_eq!(res.status(), 204);
    }
    let on_b = call_wx(&c, "chooseImage", json!({})).await;
    assert_eq!(on_b["cb"], "success", "{on_b}");
    c.switch_to_window(window_a.clone()).await.unwrap();
    let on_a = call_wx(&c, "chooseImage", json!({})).await;
    assert_eq!(on_a["cb"], "cancel", "{on_a}");

    // A menu tap for page A fires on A only; an unaddressed one goes to B, loaded last.
    let register = "window.__shared = []; wx.onMenuShareTimeline({ title: 't', success: function () { window.__shared.push('shared'); } });";
    for window in [&window_b, &window_a] {
        c.switch_to_window(window.clone()).await.unwrap();
        c.execute(register, vec![]).await.unwrap();
    }
    let shared = |window: &fantoccini::wd::WindowHandle| {
        let c = &c;
        let window = window.clone();
        async move {
            c.switch_to_window(window).await.unwrap();
            c.execute("return window.__shared.length", vec![])
                .await
                .unwrap()
                .as_u64()
                .unwrap()
        }
    };
    for (page, expect_a, expect_b) in [(Some(&a), 1, 0), (None, 1, 1)] {
        let mut next = json!({"api": "onMenuShareTimeline", "action": "ok"});
        let mut tap = json!({"menu": "share:timeline"});
        if let Some(page) = page {
            next["page"] = json!(page);
            tap["page"] = json!(page);
        }
        assert_eq!(
            post(format!("{phone}/__wxjs/user/next"), next)
                .await
                .status(),
            204
        );
        assert_eq!(
            post(format!("{phone}/__wxjs/user/tap"), tap).await.status(),
            204
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (on_a, on_b) = (shared(&window_a).await, shared(&window_b).await);
            if (on_a, on_b) == (expect_a, expect_b) {
                break;
            }
            assert!(
                on_a <= expect_a && on_b <= expect_b && Instant::now() < deadline,
                "page {page:?}: A shared {on_a}, B shared {on_b}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // An unknown page is a clear error.
    let res = post(
        format!("{phone}/__wxjs/user/tap"),
        json!({"menu": "share:timeline", "page": "nope"}),
    )
    .await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no open page"),
        "{body}"
    );

    // Reset forgets the log and the queues; the pages stay open.
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "chooseImage", "action": "ok"}),
    )
    .await;
    let res = reqwest::Client::new()
        .post(format!("{phone}/__wxjs/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let log: Vec<Value> = get_json(format!("{phone}/__wxjs/log")).await;
    assert!(log.is_empty(), "{log:?}");
    let pages: Vec<Value> = get_json(format!("{phone}/__wxjs/pages")).await;
    assert_eq!(pages.len(), 2);

    // Page B goes away (its tab navigates elsewhere, then closes): it is no longer listed, and
    // unaddressed automation goes to A.
    c.switch_to_window(window_b).await.unwrap();
    c.goto("about:blank").await.unwrap();
    c.close_window().await.unwrap();
    c.switch_to_window(window_a.clone()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pages: Vec<Value> = get_json(format!("{phone}/__wxjs/pages")).await;
        if pages.len() == 1 {
            assert_eq!(pages[0]["id"], json!(a));
            break;
        }
        assert!(Instant::now() < deadline, "B is still listed: {pages:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    c.execute(register, vec![]).await.unwrap();
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "onMenuShareTimeline", "action": "ok"}),
    )
    .await;
    post(
        format!("{phone}/__wxjs/user/tap"),
        json!({"menu": "share:timeline"}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while shared(&window_a).await < 1 {
        assert!(Instant::now() < deadline, "A never got the unaddressed tap");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    c.close().await.unwrap();
    child.stop().await;
}

/// A credential of the demo account, as the service hands it to a back end.
async fn service_credential(p: Ports, kind: &str) -> String {
    let v: Value = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{}/v1/wxdemo000000000001/credentials/{kind}",
            p.service
        ))
        .header("X-Api-Key", "wxjs-dev-api-key-0000")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["value"].as_str().unwrap().to_owned()
}

/// The log entries of one wx interface.
async fn logged(phone: &str, api: &str) -> Vec<Value> {
    let log: Vec<Value> = get_json(format!("{phone}/__wxjs/log")).await;
    log.into_iter().filter(|e| e["api"] == api).collect()
}

/// The later interfaces (jweixin 1.1.0–1.6.0) were answered `function not exist`: under the
/// 1.6.0 build each one is verified and answered with the real result shapes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_later_interfaces_were_answered_function_not_exist() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    c.goto(&format!("{base}/suite.html?scenario=good&lib=1.6.0"))
        .await
        .unwrap();
    assert_eq!(kinds(&wait_done(&c).await), ["ready"]);
    let build = c
        .execute(
            "return [wx.__client.revision, typeof wx.invoke, typeof wx.miniProgram.navigateTo]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(build, json!(["1.6.0", "function", "function"]));

    // The published library's statistics beacon never leaves the machine.
    let beacon = c
        .execute_async("var done = arguments[0]; var i = new Image(); i.onload = function () { done([i.naturalWidth, i.src.indexOf('/__wxjs/report?') !== -1]); }; i.onerror = function () { done('failed: ' + i.src); }; i.src = 'https://open.weixin.qq.com/sdk/report?v=1&o=0&s=0&c=wxdemo';", vec![])
        .await
        .unwrap();
    assert_eq!(beacon, json!([1, true]));
    let noted = logged(&phone, "statistics beacon").await;
    assert_eq!(noted[0]["params"]["c"], "wxdemo", "{noted:?}");

    // checkJsApi knows the later names.
    let check = call_wx(&c, "checkJsApi", json!({"jsApiList": ["updateAppMessageShareData", "openAddress", "onSearchBeacons", "launchMiniProgram"]})).await;
    assert_eq!(
        check["res"]["checkResult"],
        json!({"updateAppMessageShareData": true, "openAddress": true, "onSearchBeacons": true, "launchMiniProgram": true}),
        "{check}"
    );

    // updateAppMessageShareData sets what the next "send to friend" shares, until a later
    // registration of the old kind takes over.
    let r = call_wx(
        &c,
        "updateAppMessageShareData",
        json!({"title": "U", "desc": "d", "link": format!("{base}/suite.html"), "imgUrl": ""}),
    )
    .await;
    assert_eq!(r["res"]["errMsg"], "updateAppMessageShareData:ok", "{r}");
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "updateAppMessageShareData", "action": "ok"}),
    )
    .await;
    post(
        format!("{phone}/__wxjs/user/tap"),
        json!({"menu": "share:appMessage"}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let shared = logged(&phone, "updateAppMessageShareData").await;
        if shared.iter().any(|e| e["result"]["shared"] == "ok") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the update's content was never shared: {shared:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let taps = logged(&phone, "tap share:appMessage").await;
    assert_eq!(
        taps[0]["result"]["content"], "updateAppMessageShareData",
        "{taps:?}"
    );
    c.execute("window.__shares = []; wx.onMenuShareAppMessage({ title: 'old', success: function () { window.__shares.push('old'); } });", vec![]).await.unwrap();
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "onMenuShareAppMessage", "action": "ok"}),
    )
    .await;
    post(
        format!("{phone}/__wxjs/user/tap"),
        json!({"menu": "share:appMessage"}),
    )
    .await;
    let shares = wait_for(
        &c,
        "return window.__shares.length ? window.__shares : null",
        |v| v.is_array(),
    )
    .await;
    assert_eq!(shares, json!(["old"]), "the later registration won");
    // Review: the update was stamped when its answer came back, so an update made first won
    // over an onMenuShare* made right after it.
    c.execute("window.__shares = []; wx.updateAppMessageShareData({ title: 'U2', desc: 'd', link: location.href, imgUrl: '' }); wx.onMenuShareAppMessage({ title: 'old2', success: function () { window.__shares.push('old2'); } });", vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "onMenuShareAppMessage", "action": "ok"}),
    )
    .await;
    post(
        format!("{phone}/__wxjs/user/tap"),
        json!({"menu": "share:appMessage"}),
    )
    .await;
    let shares = wait_for(
        &c,
        "return window.__shares.length ? window.__shares : null",
        |v| v.is_array(),
    )
    .await;
    assert_eq!(shares, json!(["old2"]), "the call made last won");

    // getLocalImgData: a chosen photo as a data URL.
    let b64 = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(wxjs_phone::device::sample_png(1))
    };
    let pick = json!({"api": "chooseImage", "action": "ok", "data": {"files": [{"name": "p.png", "base64": b64}]}});
    post(format!("{phone}/__wxjs/user/next"), pick.clone()).await;
    let chosen = call_wx(&c, "chooseImage", json!({"count": 1})).await;
    let local = chosen["res"]["localIds"][0].as_str().unwrap().to_owned();
    let data = call_wx(&c, "getLocalImgData", json!({"localId": local})).await;
    assert!(
        data["res"]["localData"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,"),
        "{data}"
    );
    let bad = call_wx(&c, "getLocalImgData", json!({"localId": "nope"})).await;
    assert_eq!(bad["cb"], "fail");

    // openAddress: the saved address, with the library's field names.
    if let Ok(dir) = std::env::var("WXJS_SCREENSHOTS") {
        // The sheet as a person sees it, then closed by automation.
        c.execute("window.__addr = window.callWx('openAddress', {});", vec![])
            .await
            .unwrap();
        wait_for(&c, "return document.getElementById('wxjs-client').shadowRoot.querySelector('[data-address-sheet]') ? true : null;", |v| v.is_boolean()).await;
        for (name, w, h) in [("desktop", 1280, 900), ("phone", 390, 844)] {
            c.set_window_size(w, h).await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            std::fs::write(
                format!("{dir}/address-sheet-{name}.png"),
                c.screenshot().await.unwrap(),
            )
            .unwrap();
        }
        post(
            format!("{phone}/__wxjs/user/next"),
            json!({"api": "openAddress", "action": "cancel"}),
        )
        .await;
        wait_for(&c, "return document.getElementById('wxjs-client').shadowRoot.querySelector('[data-address-sheet]') ? null : true;", |v| v.is_boolean()).await;
    }
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "openAddress", "action": "ok"}),
    )
    .await;
    let addr = call_wx(&c, "openAddress", json!({})).await;
    assert_eq!(addr["res"]["errMsg"], "openAddress:ok", "{addr}");
    for (k, v) in [
        ("provinceName", "广东省"),
        ("cityName", "深圳市"),
        ("countryName", "福田区"),
        ("postalCode", "518000"),
        ("userName", "张三"),
        ("telNumber", "13800138000"),
        ("nationalCode", "440304"),
    ] {
        assert_eq!(addr["res"][k], v, "{k}: {addr}");
    }
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "openAddress", "action": "cancel"}),
    )
    .await;
    assert_eq!(
        call_wx(&c, "openAddress", json!({})).await["res"]["errMsg"],
        "openAddress:cancel"
    );

    // launchMiniProgram: the target and the path (.html inserted) are recorded; automation
    // lets it open.
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "launchMiniProgram", "action": "ok"}),
    )
    .await;
    let launched = call_wx(
        &c,
        "launchMiniProgram",
        json!({"appId": "gh_0123456789ab", "path": "pages/index?x=1"}),
    )
    .await;
    assert_eq!(
        launched["res"]["errMsg"], "launchMiniProgram:ok",
        "{launched}"
    );
    let entry = logged(&phone, "launchMiniProgram").await;
    assert_eq!(entry[0]["params"]["targetAppId"], "gh_0123456789ab");
    assert_eq!(entry[0]["params"]["path"], "pages/index.html?x=1");

    // openBusinessView: extraData handed back (a JSON string on Android, parsed by the library).
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "openBusinessView", "action": "ok", "data": {"extraData": {"orderId": "7"}}}),
    )
    .await;
    let view = call_wx(
        &c,
        "openBusinessView",
        json!({"businessType": "wxpayScoreEnable"}),
    )
    .await;
    assert_eq!(view["res"]["errMsg"], "openBusinessView:ok", "{view}");
    assert_eq!(view["res"]["extraData"], json!({"orderId": "7"}));
    assert_eq!(view["res"]["errCode"], 0);

    // iBeacons: while searching, automation's beacons reach onSearchBeacons.
    c.execute("window.__beacons = null; wx.onSearchBeacons({ complete: function (r) { window.__beacons = r; } });", vec![]).await.unwrap();
    assert_eq!(
        call_wx(&c, "startSearchBeacons", json!({"ticket": ""})).await["res"]["errMsg"],
        "startSearchBeacons:ok"
    );
    post(format!("{phone}/__wxjs/user/next"), json!({"api": "onSearchBeacons", "action": "ok", "data": {"beacons": [{"uuid": "FDA50693-A4E2-4FB1-AFCF-C6EB07647825", "major": 10001, "minor": 10002}]}})).await;
    let beacons = wait_for(&c, "return window.__beacons", |v| !v.is_null()).await;
    assert_eq!(beacons["beacons"][0]["major"], 10001, "{beacons}");
    assert_eq!(
        call_wx(&c, "stopSearchBeacons", json!({})).await["res"]["errMsg"],
        "stopSearchBeacons:ok"
    );

    // openEnterpriseChat and consumeAndShareCard.
    let chat = call_wx(
        &c,
        "openEnterpriseChat",
        json!({"userIds": "zhangsan;lisi", "groupName": "g"}),
    )
    .await;
    assert_eq!(
        (
            chat["res"]["errMsg"].clone(),
            chat["res"]["errCode"].clone()
        ),
        (json!("openEnterpriseChat:ok"), json!(0)),
        "{chat}"
    );
    let consumed = call_wx(
        &c,
        "consumeAndShareCard",
        json!({"cardId": "pDemoGroupon00000000000000001", "code": "1"}),
    )
    .await;
    assert_eq!(
        consumed["res"]["errMsg"], "consumeAndShareCard:ok",
        "{consumed}"
    );

    // openEnterpriseRedPacket is checked like chooseWXPay: a wrong paySign fails.
    let packet = call_wx(&c, "openEnterpriseRedPacket", json!({"timestamp": "1", "nonceStr": "n", "package": "p", "signType": "MD5", "paySign": "WRONG"})).await;
    assert_eq!(packet["cb"], "fail", "{packet}");

    // chooseInvoice through wx.invoke: its cardSign is checked with the card ticket.
    let ticket = wxjs_sign::CardTicket::new(service_credential(p, "card_ticket").await);
    let sign = wxjs_sign::CardSignParams {
        app_id: "wxdemo000000000001",
        location_id: "",
        timestamp: "1700000000",
        nonce_str: "n1",
        card_id: "",
        card_type: "INVOICE",
    }
    .sign(&ticket);
    post(format!("{phone}/__wxjs/user/next"), json!({"api": "chooseInvoice", "action": "ok", "data": {"invoices": [{"card_id": "inv1", "encrypt_code": "e"}]}})).await;
    let invoke = "var done = arguments[arguments.length - 1]; wx.invoke('chooseInvoice', { timestamp: 1700000000, nonceStr: 'n1', signType: 'SHA1', cardSign: arguments[0] }, function (r) { done(r); });";
    let good = c
        .execute_async(invoke, vec![json!(sign.signature())])
        .await
        .unwrap();
    assert_eq!(good["err_msg"], "chooseInvoice:ok", "{good}");
    assert_eq!(
        good["choose_invoice_info"],
        r#"[{"card_id":"inv1","encrypt_code":"e"}]"#
    );
    let wrong = c
        .execute_async(invoke, vec![json!("0".repeat(40))])
        .await
        .unwrap();
    assert_eq!(wrong["choose_invoice_info"], "[]", "{wrong}");
    let refused = logged(&phone, "chooseInvoice").await;
    assert!(
        refused.iter().any(|e| e["verification"]
            .as_str()
            .unwrap()
            .contains("cardSign does not match")),
        "{refused:?}"
    );

    // On iOS a photo's local id is a wxLocalResource:// URL an <img> cannot load; the 1.6.0
    // library re-points it at getLocalImgData's data URL.
    post(
        format!("{phone}/__wxjs/settings"),
        json!({"platform": "ios"}),
    )
    .await;
    c.goto(&format!("{base}/suite.html?scenario=good&lib=1.6.0"))
        .await
        .unwrap();
    assert_eq!(kinds(&wait_done(&c).await), ["ready"]);
    post(format!("{phone}/__wxjs/user/next"), pick).await;
    let chosen = call_wx(&c, "chooseImage", json!({"count": 1})).await;
    let local = chosen["res"]["localIds"][0].as_str().unwrap().to_owned();
    assert!(local.starts_with("wxLocalResource://"), "{local}");
    c.execute("var i = document.createElement('img'); i.id = 'shown'; i.src = arguments[0]; document.body.appendChild(i);", vec![json!(local)]).await.unwrap();
    let shown = wait_for(&c, "var i = document.getElementById('shown'); return i.complete && i.naturalWidth ? [i.naturalWidth, i.src.slice(0, 15)] : null;", |v| v.is_array()).await;
    assert_eq!(shown, json!([96, "data:image/png;"]));
    c.close().await.unwrap();
    child.stop().await;
}

/// Where the phone serves a local id's bytes (an iOS photo's id is a wxLocalResource:// URL).
fn local_url(phone: &str, local_id: &str) -> String {
    let id = local_id.rsplit('/').next().unwrap_or(local_id);
    format!("{phone}/__wxjs/local/{}", id.trim_start_matches("imageid"))
}

/// What the host mini program received.
async fn host_report(phone: &str) -> Value {
    get_json(format!("{phone}/__wxjs/miniprogram")).await
}

async fn mini_program(c: &Client, name: &str, opts: Value) -> Value {
    c.execute_async("var done = arguments[arguments.length - 1]; var o = arguments[1] || {}; o.success = function (r) { done({cb: 'success', res: r}); }; o.fail = function (r) { done({cb: 'fail', res: r}); }; wx.miniProgram[arguments[0]](o);", vec![json!(name), opts])
        .await
        .unwrap()
}

/// Pages inside a mini program's <web-view> calling wx.miniProgram.* were refused: with the
/// environment set, they learn it before their scripts run, navigate a simulated page stack,
/// and their messages reach the host when it delivers them (back, share, destroy).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mini_program_web_view_was_refused() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    let res = post(
        format!("{phone}/__wxjs/settings"),
        json!({"environment": "miniprogram"}),
    )
    .await;
    assert_eq!(res.status(), 200);
    c.goto(&format!("{base}/suite.html?scenario=good&lib=1.6.0"))
        .await
        .unwrap();
    assert_eq!(kinds(&wait_done(&c).await), ["ready"]);
    let env = c
        .execute_async("var done = arguments[0]; wx.miniProgram.getEnv(function (e) { done([window.__wxjs_environment, navigator.userAgent.indexOf('miniProgram') !== -1, e.miniprogram]); });", vec![])
        .await
        .unwrap();
    assert_eq!(env, json!(["miniprogram", true, true]));

    // The stack, and the app's bar naming the host's page on top.
    let r = mini_program(&c, "navigateTo", json!({"url": "/pages/detail?id=1"})).await;
    assert_eq!(r["cb"], "success", "{r}");
    assert_eq!(
        host_report(&phone).await["stack"],
        json!(["/pages/webview/webview", "/pages/detail?id=1"])
    );
    let title = wait_for(&c, "var t = document.getElementById('wxjs-client').shadowRoot.querySelector('[data-title]').textContent; return t.indexOf('/pages/detail') !== -1 ? t : null;", |v| v.is_string()).await;
    assert_eq!(title, "小程序 /pages/detail?id=1");
    assert_eq!(
        mini_program(&c, "navigateBack", json!({})).await["cb"],
        "success"
    );
    assert_eq!(
        host_report(&phone).await["stack"],
        json!(["/pages/webview/webview"])
    );

    // postMessage: nothing at once; delivered when the user shares.
    assert_eq!(
        mini_program(&c, "postMessage", json!({"data": {"step": 1}})).await["cb"],
        "success"
    );
    assert_eq!(host_report(&phone).await["messages"], json!([]));
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "onMenuShareAppMessage", "action": "cancel"}),
    )
    .await;
    post(
        format!("{phone}/__wxjs/user/tap"),
        json!({"menu": "share:appMessage"}),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let messages = host_report(&phone).await["messages"].clone();
        if messages != json!([]) {
            assert_eq!(messages, json!([{"data": {"step": 1}, "at": "share"}]));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the message never reached the host"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // … and when the web-view is destroyed.
    mini_program(&c, "postMessage", json!({"data": {"step": 2}})).await;
    assert_eq!(
        mini_program(&c, "reLaunch", json!({"url": "/pages/home"})).await["cb"],
        "success"
    );
    let report = host_report(&phone).await;
    assert_eq!(report["stack"], json!(["/pages/home"]));
    assert_eq!(
        report["messages"][1],
        json!({"data": {"step": 2}, "at": "destroy"})
    );
    assert_eq!(
        mini_program(&c, "navigateTo", json!({})).await["cb"],
        "fail"
    );

    // Launches of mini programs from pages are listed too.
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "launchMiniProgram", "action": "ok"}),
    )
    .await;
    call_wx(
        &c,
        "launchMiniProgram",
        json!({"appId": "gh_0123456789ab", "path": "pages/a"}),
    )
    .await;
    let launches = host_report(&phone).await["launches"].clone();
    assert_eq!(
        launches[0]["params"]["targetAppId"], "gh_0123456789ab",
        "{launches}"
    );

    // In a plain web view the same calls fail.
    post(
        format!("{phone}/__wxjs/settings"),
        json!({"environment": "webview"}),
    )
    .await;
    c.goto(&format!("{base}/suite.html?scenario=good&lib=1.6.0"))
        .await
        .unwrap();
    assert_eq!(kinds(&wait_done(&c).await), ["ready"]);
    assert_eq!(
        mini_program(&c, "navigateTo", json!({"url": "/pages/a"})).await["cb"],
        "fail"
    );
    let bad = post(
        format!("{phone}/__wxjs/settings"),
        json!({"environment": "app"}),
    )
    .await;
    assert_eq!(bad.status(), 400);
    c.close().await.unwrap();
    child.stop().await;
}

/// A prepaid order and its v2 chooseWXPay fields (appId included), as a merchant's back end
/// hands them to the official sample page.
async fn v2_payment(p: Ports, order: &str) -> Value {
    let http = reqwest::Client::new();
    let prepay: Value = http
        .post(format!("http://127.0.0.1:{}/__sim/pay/prepay", p.platform))
        .json(&json!({"appId": "wxdemo000000000001", "body": "样例", "totalFee": 1, "outTradeNo": order, "notifyUrl": format!("http://127.0.0.1:{p}/__wxjs/demo/notify")}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let v: Value = http
        .post(format!(
            "http://127.0.0.1:{}/v1/wxdemo000000000001/pay/prepay",
            p.service
        ))
        .bearer_auth("wxjs-dev-api-key-0000")
        .json(&json!({"prepayId": prepay["prepayId"], "signType": "MD5"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    json!({"appId": "wxdemo000000000001", "timeStamp": v["timestamp"].to_string().trim_matches('"'), "nonceStr": v["nonceStr"], "package": v["package"], "signType": "MD5", "paySign": v["paySign"]})
}

/// WeChat Pay's official sample calls getBrandWCPayRequest without any wx.config and was
/// refused; now the merchant's payment authorization directories decide, and a page outside
/// them fails naming its URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_without_wx_config_was_refused() {
    let (child, p) = dev(Some(PAGES)).await;
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    let merchants: Vec<Value> =
        get_json(format!("http://127.0.0.1:{}/__sim/merchants", p.platform)).await;
    let dirs = merchants[0]["payDirs"].as_array().unwrap();
    assert!(
        dirs.contains(&json!(format!("http://localhost:{p}/"))),
        "{dirs:?}"
    );

    let pay = "var done = arguments[arguments.length - 1]; window.pay(arguments[0]).then(done);";
    c.goto(&format!("http://localhost:{p}/pay-sample.html"))
        .await
        .unwrap();
    let params = v2_payment(p, "o-sample-1").await;
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "chooseWXPay", "action": "ok"}),
    )
    .await;
    let paid = c.execute_async(pay, vec![params]).await.unwrap();
    assert_eq!(paid["err_msg"], "get_brand_wcpay_request:ok", "{paid}");

    // Review: a page with a wx.config of its own (for other calls) running the official
    // sample was refused for lacking verification fields.
    c.goto(&format!("http://localhost:{p}/suite.html?scenario=good"))
        .await
        .unwrap();
    assert_eq!(kinds(&wait_done(&c).await), ["ready"]);
    let params = v2_payment(p, "o-sample-configured").await;
    let page = page_id(&c).await;
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "chooseWXPay", "action": "ok", "page": page}),
    )
    .await;
    let direct = "var done = arguments[arguments.length - 1]; WeixinJSBridge.invoke('getBrandWCPayRequest', arguments[0], done);";
    let paid = match c.execute_async(direct, vec![params]).await {
        Ok(v) => v,
        Err(e) => {
            let log = get_text(format!("{phone}/__wxjs/log")).await;
            let pages = get_text(format!("{phone}/__wxjs/pages")).await;
            panic!("{e}; log {log}; pages {pages}");
        }
    };
    assert_eq!(paid["err_msg"], "get_brand_wcpay_request:ok", "{paid}");

    // A page outside the directories: the real error, naming the page.
    c.goto(&format!("http://foreign.test:{p}/pay-sample.html"))
        .await
        .unwrap();
    let params = v2_payment(p, "o-sample-2").await;
    let refused = c.execute_async(pay, vec![params]).await.unwrap();
    assert_eq!(
        refused["err_msg"], "get_brand_wcpay_request:fail",
        "{refused}"
    );
    assert_eq!(
        refused["err_desc"],
        format!("当前页面的URL未注册：http://foreign.test:{p}/pay-sample.html")
    );
    let log = logged(&phone, "chooseWXPay").await;
    assert!(
        log.iter().any(|e| e["verification"]
            .as_str()
            .unwrap()
            .contains("payment authorization directories")),
        "{log:?}"
    );
    c.close().await.unwrap();
    child.stop().await;
}

async fn tag_events(c: &Client) -> Vec<Value> {
    c.execute("return window.__tagEvents", vec![])
        .await
        .unwrap()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn wait_tag_events(c: &Client, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let e = tag_events(c).await;
        if pred(&e) {
            return e;
        }
        assert!(Instant::now() < deadline, "tag events never arrived: {e:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Open tags stayed empty (the emulated app did not know them): now a tag the config names
/// renders its template in an isolated frame, a real click opens the launch prompt, automation
/// decides it, and the page gets `launch` or `error` with the real detail shapes; a tag the
/// config does not name stays empty and the page hears `WeixinOpenTagsError`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_tags_stayed_empty() {
    let (child, p) = dev(Some(PAGES)).await;
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    c.goto(&format!("http://localhost:{p}/opentags.html"))
        .await
        .unwrap();
    let events = wait_tag_events(&c, |e| {
        e.iter().filter(|v| v["t"] == "ready").count() == 2
            && e.iter().any(|v| v["t"] == "WeixinOpenTagsError")
    })
    .await;
    assert!(
        events
            .iter()
            .any(|v| v["t"] == "ready" && v["id"] == "weapp"),
        "{events:?}"
    );
    assert!(
        events.iter().any(|v| v["t"] == "WeixinOpenTagsError"
            && v["errMsg"].as_str().unwrap().contains("wx-open-launch-app")),
        "{events:?}"
    );
    // The template is on screen, in its own frame, with its own styles.
    let shown = c
        .execute("var f = document.getElementById('weapp').shadowRoot.querySelector('iframe'); var b = f.contentDocument.querySelector('button'); var r = f.getBoundingClientRect(); var s = getComputedStyle(b); return [r.width > 50 && r.height > 20, b.textContent, s.color, s.backgroundColor];", vec![])
        .await
        .unwrap();
    assert_eq!(
        shown,
        json!([true, "打开小程序", "rgb(255, 255, 255)", "rgb(7, 193, 96)"])
    );
    let empty = c
        .execute("var a = document.getElementById('app'); return !a.shadowRoot || !a.shadowRoot.querySelector('iframe');", vec![])
        .await
        .unwrap();
    assert_eq!(empty, json!(true), "an unlisted tag stays empty");

    // Review: a page could click its own tag (no person's tap), and the template's scripts ran.
    let sandbox = c
        .execute("var f = document.getElementById('weapp').shadowRoot.querySelector('iframe'); document.getElementById('weapp').click(); f.contentDocument.body.click(); return f.getAttribute('sandbox');", vec![])
        .await
        .unwrap();
    assert_eq!(sandbox, "allow-same-origin");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        logged(&phone, "wx-open-launch-weapp").await.is_empty(),
        "a synthetic click launched"
    );
    // Review: a second wx.config rendered every tag twice.
    c.execute("wx.config(window.__lastConfig);", vec![])
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while logged(&phone, "config").await.len() < 2 {
        assert!(Instant::now() < deadline, "the second config never arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let frames = c
        .execute(
            "return document.getElementById('weapp').shadowRoot.querySelectorAll('iframe').length",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(frames, 1);

    // A real click, automation lets it open: `launch`, and the launch is recorded.
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "wx-open-launch-weapp", "action": "ok"}),
    )
    .await;
    c.find(fantoccini::Locator::Id("weapp"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_tag_events(&c, |e| {
        e.iter().any(|v| v["t"] == "launch" && v["id"] == "weapp")
    })
    .await;
    let launches =
        get_json::<Value>(format!("{phone}/__wxjs/miniprogram")).await["launches"].clone();
    assert_eq!(launches[0]["api"], "wx-open-launch-weapp", "{launches}");
    assert_eq!(
        launches[0]["params"]["attrs"]["username"],
        "gh_0123456789ab"
    );
    // … or fails: `error` with its errMsg.
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "wx-open-launch-weapp", "action": "fail"}),
    )
    .await;
    c.find(fantoccini::Locator::Id("weapp"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let e = wait_tag_events(&c, |e| {
        e.iter().any(|v| v["t"] == "error" && v["id"] == "weapp")
    })
    .await;
    let err = e.iter().find(|v| v["t"] == "error").unwrap();
    assert_eq!(err["detail"]["errMsg"], "launch:fail");

    // Subscribe: subscribeDetails, a JSON string per template id.
    post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "wx-open-subscribe", "action": "ok", "data": {"status": "reject"}}),
    )
    .await;
    c.find(fantoccini::Locator::Id("subscribe"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let e = wait_tag_events(&c, |e| {
        e.iter()
            .any(|v| v["t"] == "launch" && v["id"] == "subscribe")
    })
    .await;
    let sub = e
        .iter()
        .find(|v| v["t"] == "launch" && v["id"] == "subscribe")
        .unwrap();
    let details: Value =
        serde_json::from_str(sub["detail"]["subscribeDetails"].as_str().unwrap()).unwrap();
    assert_eq!(details["tmplA"], r#"{"status":"reject"}"#, "{details}");

    if let Ok(dir) = std::env::var("WXJS_SCREENSHOTS") {
        for (name, w, h) in [("desktop", 1280, 900), ("phone", 390, 844)] {
            c.set_window_size(w, h).await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            let png = c.screenshot().await.unwrap();
            std::fs::write(format!("{dir}/open-tags-{name}.png"), png).unwrap();
        }
    }

    // wx-open-launch-app opens only an app linked to the account.
    for (appid, expect) in [
        ("wxNotLinked000000001", "error"),
        ("wx1234567890abcdef", "launch"),
    ] {
        c.goto(&format!(
            "http://localhost:{p}/opentags.html?tags=wx-open-launch-app&appid={appid}"
        ))
        .await
        .unwrap();
        wait_tag_events(&c, |e| {
            e.iter().any(|v| v["t"] == "ready" && v["id"] == "app")
        })
        .await;
        post(
            format!("{phone}/__wxjs/user/next"),
            json!({"api": "wx-open-launch-app", "action": "ok"}),
        )
        .await;
        c.find(fantoccini::Locator::Id("app"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let e = wait_tag_events(&c, |e| {
            e.iter()
                .any(|v| v["id"] == "app" && (v["t"] == "error" || v["t"] == "launch"))
        })
        .await;
        let got = e
            .iter()
            .find(|v| v["id"] == "app" && v["t"] != "ready")
            .unwrap();
        assert_eq!(got["t"], expect, "{appid}: {e:?}");
        if expect == "error" {
            assert_eq!(got["detail"]["errMsg"], "launch:fail_check fail");
        }
    }
    // The unused answer of the refused launch is dropped with a reset.
    reqwest::Client::new()
        .post(format!("{phone}/__wxjs/reset"))
        .send()
        .await
        .unwrap();

    // A config that names no tag: nothing renders.
    c.goto(&format!("http://localhost:{p}/opentags.html?tags="))
        .await
        .unwrap();
    let e = wait_tag_events(&c, |e| {
        e.iter().filter(|v| v["t"] == "WeixinOpenTagsError").count() == 3
    })
    .await;
    assert!(!e.iter().any(|v| v["t"] == "ready"), "{e:?}");
    c.close().await.unwrap();
    child.stop().await;
}

/// Every later row of the protocol table on both platforms: the parameters the 1.6.0 build
/// sends (read back from the call log) and the result as the page gets it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_later_rows_send_and_answer_as_the_table_says() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    for platform in ["android", "ios"] {
        post(
            format!("{phone}/__wxjs/settings"),
            json!({"platform": platform}),
        )
        .await;
        c.goto(&format!("{base}/suite.html?scenario=good&lib=1.6.0"))
            .await
            .unwrap();
        assert_eq!(kinds(&wait_done(&c).await), ["ready"], "{platform}");
        let last = |api: &'static str| {
            let phone = phone.clone();
            async move { logged(&phone, api).await.pop().unwrap_or(Value::Null) }
        };
        let link = format!("{base}/suite.html");
        let r = call_wx(
            &c,
            "updateAppMessageShareData",
            json!({"title": "T", "desc": "D", "link": link, "imgUrl": "https://x/i.png"}),
        )
        .await;
        assert_eq!(
            r["res"]["errMsg"], "updateAppMessageShareData:ok",
            "{platform}"
        );
        let e = last("updateAppMessageShareData").await;
        for (k, v) in [("title", "T"), ("desc", "D"), ("imgUrl", "https://x/i.png")] {
            assert_eq!(e["params"][k], v, "{platform}: {e}");
        }
        assert_eq!(e["params"]["link"], json!(link));
        let r = call_wx(
            &c,
            "updateTimelineShareData",
            json!({"title": "T", "link": link, "imgUrl": ""}),
        )
        .await;
        assert_eq!(
            r["res"]["errMsg"], "updateTimelineShareData:ok",
            "{platform}"
        );
        assert!(
            last("updateTimelineShareData").await["params"]
                .get("desc")
                .is_none(),
            "no desc for the timeline"
        );

        let r = call_wx(
            &c,
            "consumeAndShareCard",
            json!({"cardId": "c1", "code": "k1"}),
        )
        .await;
        assert_eq!(r["res"]["errMsg"], "consumeAndShareCard:ok", "{platform}");
        let e = last("consumeAndShareCard").await;
        assert_eq!(
            (
                e["name"].clone(),
                e["params"]["consumedCardId"].clone(),
                e["params"]["consumedCode"].clone()
            ),
            (json!("consumedShareCard"), json!("c1"), json!("k1"))
        );

        let r = call_wx(
            &c,
            "openEnterpriseChat",
            json!({"userIds": "a;b", "groupName": "g"}),
        )
        .await;
        assert_eq!(
            (r["res"]["errMsg"].clone(), r["res"]["errCode"].clone()),
            (json!("openEnterpriseChat:ok"), json!(0)),
            "{platform}"
        );
        let e = last("openEnterpriseChat").await;
        assert_eq!(
            (
                e["params"]["useridlist"].clone(),
                e["params"]["chatname"].clone()
            ),
            (json!("a;b"), json!("g"))
        );

        let r = call_wx(&c, "startSearchBeacons", json!({"ticket": "tk"})).await;
        assert_eq!(r["res"]["errMsg"], "startSearchBeacons:ok", "{platform}");
        let e = last("startSearchBeacons").await;
        assert_eq!(
            (e["name"].clone(), e["params"]["ticket"].clone()),
            (json!("startMonitoringBeacons"), json!("tk"))
        );
        assert_eq!(
            call_wx(&c, "stopSearchBeacons", json!({})).await["res"]["errMsg"],
            "stopSearchBeacons:ok"
        );

        let r = call_wx(
            &c,
            "openEnterpriseRedPacket",
            json!({"timestamp": 1700000000, "nonceStr": "n", "package": "p", "paySign": "x"}),
        )
        .await;
        assert_eq!(r["cb"], "fail", "{platform}");
        let e = last("openEnterpriseRedPacket").await;
        assert_eq!(
            (
                e["name"].clone(),
                e["params"]["timeStamp"].clone(),
                e["params"]["signType"].clone()
            ),
            (
                json!("getRecevieBizHongBaoRequest"),
                json!("1700000000"),
                json!("SHA1")
            )
        );

        post(
            format!("{phone}/__wxjs/user/next"),
            json!({"api": "launchMiniProgram", "action": "cancel"}),
        )
        .await;
        let r = call_wx(
            &c,
            "launchMiniProgram",
            json!({"appId": "gh_x", "path": "p/q", "envVersion": "trial"}),
        )
        .await;
        assert_eq!(r["res"]["errMsg"], "launchMiniProgram:cancel", "{platform}");
        let e = last("launchMiniProgram").await;
        assert_eq!(
            (
                e["params"]["path"].clone(),
                e["params"]["envVersion"].clone()
            ),
            (json!("p/q.html"), json!("trial"))
        );

        post(format!("{phone}/__wxjs/user/next"), json!({"api": "openBusinessView", "action": "ok", "data": {"extraData": {"k": platform}}})).await;
        let r = call_wx(&c, "openBusinessView", json!({"businessType": "b"})).await;
        // Android hands extraData over as a JSON string; the library parses it on both.
        assert_eq!(
            r["res"]["extraData"],
            json!({"k": platform}),
            "{platform}: {r}"
        );
        let e = last("openBusinessView").await;
        assert_eq!(e["params"]["queryString"], "", "{platform}");
        let raw = &e["result"]["extraData"];
        assert_eq!(raw.is_string(), platform == "android", "{platform}: {raw}");

        post(
            format!("{phone}/__wxjs/user/next"),
            json!({"api": "openAddress", "action": "ok"}),
        )
        .await;
        let r = call_wx(&c, "openAddress", json!({})).await;
        assert_eq!(
            r["res"]["detailInfo"], "福中三路市民中心",
            "{platform}: {r}"
        );
        assert!(
            r["res"].get("addressDetailInfo").is_none(),
            "renamed by the library"
        );
    }
    c.close().await.unwrap();
    child.stop().await;
}

/// Review: `wxjs dev` opened the phone's whole origin to every merchant's payments; a merchant
/// of the user's keeps the payment directories its configuration gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_opened_every_merchant_s_payments_to_the_phone_origin() {
    let toml = r#"
[[apps]]
app_id = "wx1a2b3c4d5e6f7a8b"
app_secret = "0123456789abcdef0123456789abcdef"
domains = ["shop.example.com"]
[apps.merchant]
partner_id = "1900000999"
partner_key = "k"
pay_sign_key = "p"
pay_dirs = ["https://shop.example.com/pay/"]
"#;
    let sim: wxjs_sim::SimConfig = toml::from_str(toml).unwrap();
    let options = wxjs_dev::DevOptions {
        sim: Some(sim),
        ..wxjs_dev::DevOptions::default()
    };
    let dev = wxjs_dev::start(options, wxjs_dev::Listeners::any_port().await.unwrap())
        .await
        .unwrap();
    let merchants: Vec<Value> = get_json(format!("{}/__sim/merchants", dev.urls().platform)).await;
    let mine = merchants
        .iter()
        .find(|m| m["mchId"] == "1900000999")
        .unwrap();
    assert_eq!(mine["payDirs"], json!(["https://shop.example.com/pay/"]));
    let demo = merchants
        .iter()
        .find(|m| m["mchId"] == "1900000109")
        .unwrap();
    let port = dev.urls().addrs[0].port();
    assert!(
        demo["payDirs"]
            .as_array()
            .unwrap()
            .contains(&json!(format!("http://localhost:{port}/")))
    );
    dev.stop().await;
}

/// The WeChat version is a setting: an older app does not have what later WeChat added — the
/// 1.4.0 share interfaces before 6.7.2 (`function not exist`, and `checkJsApi` says so), open
/// tags before 7.0.12 (they stay unknown elements).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_wechat_had_everything_later_versions_added() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    let bad = post(
        format!("{phone}/__wxjs/settings"),
        json!({"clientVersion": "six"}),
    )
    .await;
    assert_eq!(bad.status(), 400);
    let set = post(
        format!("{phone}/__wxjs/settings"),
        json!({"clientVersion": "6.7.0"}),
    )
    .await;
    assert_eq!(set.status(), 200);
    c.goto(&format!("{base}/suite.html?scenario=good&lib=1.6.0"))
        .await
        .unwrap();
    assert_eq!(kinds(&wait_done(&c).await), ["ready"]);
    let ua = c
        .execute(
            "return navigator.userAgent.indexOf('MicroMessenger/6.7.0') !== -1",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(ua, json!(true));
    let r = call_wx(
        &c,
        "updateAppMessageShareData",
        json!({"title": "t", "desc": "d", "link": base, "imgUrl": ""}),
    )
    .await;
    assert_eq!(
        r["res"]["errMsg"], "updateAppMessageShareData:function not exist",
        "{r}"
    );
    let check = call_wx(
        &c,
        "checkJsApi",
        json!({"jsApiList": ["updateAppMessageShareData", "onMenuShareAppMessage"]}),
    )
    .await;
    assert_eq!(
        check["res"]["checkResult"],
        json!({"updateAppMessageShareData": false, "onMenuShareAppMessage": true})
    );
    c.goto(&format!("{base}/opentags.html")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let defined = c
        .execute(
            "return [!!customElements.get('wx-open-launch-weapp'), window.__tagEvents.length]",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(defined, json!([false, 0]));
    // 8.0.47 again: both are there.
    post(
        format!("{phone}/__wxjs/settings"),
        json!({"clientVersion": "8.0.47"}),
    )
    .await;
    c.goto(&format!("{base}/suite.html?scenario=good&lib=1.6.0"))
        .await
        .unwrap();
    assert_eq!(kinds(&wait_done(&c).await), ["ready"]);
    let r = call_wx(
        &c,
        "updateAppMessageShareData",
        json!({"title": "t", "desc": "d", "link": base, "imgUrl": ""}),
    )
    .await;
    assert_eq!(r["res"]["errMsg"], "updateAppMessageShareData:ok", "{r}");
    c.close().await.unwrap();
    child.stop().await;
}

/// A single-page app under `--static`: its history-mode routes got 404 where its own dev
/// server answers index.html, and its library from WeChat's CDN did not load offline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_page_app_s_routes_and_cdn_library_failed_under_static() {
    let site = tempfile::tempdir().unwrap();
    std::fs::write(
        site.path().join("index.html"),
        r#"<!doctype html><html><head><script src="https://res.wx.qq.com/open/js/jweixin-1.6.0.js"></script></head><body><div id="app"></div></body></html>"#,
    )
    .unwrap();
    std::fs::write(site.path().join("app.js"), "console.log(1)").unwrap();
    let (child, p) = dev(Some(site.path().to_str().unwrap())).await;
    let phone = format!("http://127.0.0.1:{p}");
    let page = |url: String| {
        reqwest::Client::new()
            .get(url)
            .header("Accept", "text/html,application/xhtml+xml")
            .send()
    };
    // Review: the fallback answered API calls and mistyped /__wxjs/ paths with index.html.
    for not_a_page in ["/api/orders", "/__wxjs/nope"] {
        let res = reqwest::Client::new()
            .get(format!("{phone}{not_a_page}"))
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{not_a_page}");
    }
    assert_eq!(
        page(format!("{phone}/__wxjs/nope")).await.unwrap().status(),
        404
    );
    for route in ["/", "/orders/7", "/user/profile"] {
        let res = page(format!("{phone}{route}")).await.unwrap();
        assert_eq!(res.status(), 200, "{route}");
        let html = res.text().await.unwrap();
        assert!(
            html.contains(r#"<script src="/__wxjs/bridge.js"></script>"#),
            "{route}: {html}"
        );
        assert!(
            html.contains(r#"<script src="/jweixin-1.6.0.js"></script>"#),
            "{route}: {html}"
        );
        assert!(!html.contains("res.wx.qq.com"), "{route}");
    }
    for missing in ["/missing.js", "/img/logo.png"] {
        assert_eq!(
            reqwest::get(format!("{phone}{missing}"))
                .await
                .unwrap()
                .status(),
            404,
            "{missing}"
        );
    }
    assert_eq!(get_text(format!("{phone}/app.js")).await, "console.log(1)");
    // The CDN build itself, offline.
    let lib = get_text(format!("{phone}/jweixin-1.6.0.js")).await;
    assert!(lib.contains("\"1.6.0\""));
    child.stop().await;
}

pub(crate) async fn call_wx_pub(c: &Client, name: &str, opts: Value) -> Value {
    call_wx(c, name, opts).await
}

pub(crate) async fn post_json(url: String, body: Value) -> reqwest::Response {
    post(url, body).await
}

pub(crate) async fn wait_for_pub(c: &Client, script: &str, pred: impl Fn(&Value) -> bool) -> Value {
    wait_for(c, script, pred).await
}

/// The automation API was documented only in the README: `GET /__wxjs/` lists every endpoint
/// with an example, legible at desktop and phone sizes, and each GET endpoint it names answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_automation_api_was_not_documented_where_a_developer_looks() {
    let (child, p) = dev(None).await;
    let phone = format!("http://127.0.0.1:{p}");
    for wxjs_http::openapi::Endpoint { method, path, .. } in wxjs_phone::index::ENDPOINTS {
        if method != "GET" || path.contains('{') {
            continue;
        }
        let res = reqwest::get(format!("{phone}{path}")).await.unwrap();
        assert_ne!(res.status(), 404, "{path}");
    }
    let c = browser().await;
    c.goto(&format!("http://localhost:{p}/__wxjs/"))
        .await
        .unwrap();
    let doc: Value = get_json(format!("{phone}/__wxjs/openapi.json")).await;
    for e in wxjs_phone::index::ENDPOINTS {
        assert!(
            doc["paths"][e.path][e.method.to_ascii_lowercase()]["summary"].is_string(),
            "{} {}",
            e.method,
            e.path
        );
    }
    let rows = c
        .execute("return document.querySelectorAll('tr').length", vec![])
        .await
        .unwrap();
    assert_eq!(rows, json!(wxjs_phone::index::ENDPOINTS.len()));
    let visible = c
        .execute("var c = document.querySelector('tr code'); var r = c.getBoundingClientRect(); var s = getComputedStyle(c); return [r.width > 0 && r.height > 0, s.color, getComputedStyle(document.querySelector('table')).backgroundColor];", vec![])
        .await
        .unwrap();
    assert_eq!(
        visible,
        json!([true, "rgb(87, 107, 149)", "rgb(255, 255, 255)"])
    );
    if let Ok(dir) = std::env::var("WXJS_SCREENSHOTS") {
        for (name, w, h) in [("desktop", 1280, 900), ("phone", 390, 844)] {
            c.set_window_size(w, h).await.unwrap();
            tokio::time::sleep(Duration::from_millis(200)).await;
            std::fs::write(
                format!("{dir}/automation-api-{name}.png"),
                c.screenshot().await.unwrap(),
            )
            .unwrap();
        }
    }
    c.close().await.unwrap();
    child.stop().await;
}

/// The demo's payment button sent empty parameters and could not succeed. Now it runs the
/// modern flow in Chromium on both platforms, through v3 (the demo merchant) and v2 (a
/// merchant with only an API key): web authorisation on WeChat's own address → the demo back
/// end orders through the service → `chooseWXPay` (answered by automation) → the platform's
/// notification, verified by the service for the demo back end → the order queried: SUCCESS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_s_payment_button_could_not_succeed() {
    for api in ["v3", "v2"] {
        let mut sim = wxjs_sim::SimConfig::default();
        if api == "v2" {
            let mut apps = sim.accounts();
            for a in &mut apps {
                if let Some(m) = &mut a.merchant {
                    m.api_v3_key.clear();
                }
            }
            sim = wxjs_sim::SimConfig {
                include_demo: false,
                apps,
                users: Vec::new(),
            };
        }
        let (child, p) = crate::dev_with(wxjs_dev::DevOptions {
            sim: Some(sim),
            ..wxjs_dev::DevOptions::default()
        })
        .await;
        let phone = format!("http://127.0.0.1:{p}");
        let platform = format!("http://127.0.0.1:{}", p.platform);
        let c = browser().await;
        for os in ["ios", "android"] {
            post(format!("{phone}/__wxjs/settings"), json!({"platform": os})).await;
            c.goto(&format!("http://localhost:{p}/")).await.unwrap();
            wait_for(&c, "var s = document.getElementById('status').textContent; return s.indexOf('wx.config verified') === 0 ? s : null;", |v| v.is_string()).await;
            // The person consents to web authorisation and pays.
            post(
                format!("{platform}/__sim/oauth/next"),
                json!({"action": "approve"}),
            )
            .await;
            c.execute(
                "document.querySelector('button[data-api=chooseWXPay]').click()",
                vec![],
            )
            .await
            .unwrap();
            // Back from web authorisation, the page that pays is a new page session: the
            // person's answer goes to it.
            wait_for_secs(&c, "var b = document.querySelector('button[data-api=chooseWXPay]'); var t = b && b.nextSibling.textContent; return t && t.indexOf('waiting for the payment sheet') !== -1 ? t : null;", 30, |v| v.is_string()).await;
            post(
                format!("{phone}/__wxjs/user/next"),
                json!({"api": "chooseWXPay", "action": "ok"}),
            )
            .await;
            let deadline = Instant::now() + Duration::from_secs(30);
            let shown = loop {
                let t = c
                    .execute("var b = document.querySelector('button[data-api=chooseWXPay]'); return b && b.nextSibling.textContent;", vec![])
                    .await
                    .unwrap();
                if t.as_str()
                    .is_some_and(|t| t.contains("queried through the service"))
                {
                    break t;
                }
                if Instant::now() > deadline {
                    let log = logged(&phone, "chooseWXPay").await;
                    let notes = get_text(format!("{platform}/__sim/pay/notifications")).await;
                    panic!(
                        "{api} {os}: the page shows {t}; call log {log:?}; notifications {notes}"
                    );
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            let shown = shown.as_str().unwrap();
            assert!(
                shown.contains(": SUCCESS (queried through the service, API ")
                    && shown.contains(&format!("API {api})")),
                "{api} {os}: {shown}"
            );
            let url = c.current_url().await.unwrap();
            assert!(url.as_str().contains("state=pay"), "{url}");
            assert!(
                url.as_str().starts_with(&format!("http://localhost:{p}/")),
                "{url}"
            );
            // The demo back end received the notification, and the service verified it.
            let list: Vec<Value> = get_json(format!("{phone}/__wxjs/demo/notify")).await;
            let no = shown
                .split_whitespace()
                .nth(1)
                .unwrap()
                .trim_end_matches(':');
            let deadline = Instant::now() + Duration::from_secs(5);
            let mut list = list;
            while !list.iter().any(|n| n["outTradeNo"] == no) {
                assert!(
                    Instant::now() < deadline,
                    "{api} {os}: no notification for {no}: {list:?}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
                list = get_json(format!("{phone}/__wxjs/demo/notify")).await;
            }
            let n = list.iter().find(|n| n["outTradeNo"] == no).unwrap();
            assert_eq!(n["form"], api, "{n}");
            assert_eq!(n["verified"], true, "{n}");
            assert_eq!(n["answered"], "success", "{n}");
            // The page shows it decoded, live, without a reload.
            let decoded = wait_for_secs(&c, &format!("var n = document.querySelector('[data-notification=\"{no}\"]'); return n ? n.textContent : null;"), 10, |v| v.is_string()).await;
            let decoded = decoded.as_str().unwrap();
            assert!(
                decoded.contains("SUCCESS")
                    && decoded.contains("signature verified by the service"),
                "{api} {os}: {decoded}"
            );
            if let Ok(dir) = std::env::var("WXJS_SCREENSHOTS") {
                c.execute("document.querySelector('button[data-api=chooseWXPay]').scrollIntoView({ block: 'center' })", vec![]).await.unwrap();
                std::fs::write(
                    format!("{dir}/demo-pay-{api}-{os}.png"),
                    c.screenshot().await.unwrap(),
                )
                .unwrap();
            }
        }
        c.close().await.unwrap();
        child.stop().await;
    }
}

/// A page of another site (here another port of 127.0.0.1: the same site, a different origin)
/// could become "the page loaded most recently" with an `<img>` of `GET /__wxjs/events` or a
/// `no-cors` fetch of the bridge script — requests that carry no `Origin` — and then take the
/// automation answers queued for the real page.
#[tokio::test]
async fn a_foreign_page_could_register_itself_and_take_automation_answers() {
    let (_dev, p) = dev(Some(PAGES)).await;
    let phone = p.phone;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let foreign = listener.local_addr().unwrap().port();
    let html = format!(
        r#"<!doctype html><title>elsewhere</title>
<img id=i src="http://127.0.0.1:{phone}/__wxjs/events?session=evil1&open=">
<script>
var base = "http://127.0.0.1:{phone}";
window.__settled = 0;
function settle() {{ window.__settled++; }}
document.getElementById("i").onerror = settle;
document.getElementById("i").onload = settle;
fetch(base + "/__wxjs/events?session=evil2&open=", {{ mode: "no-cors" }}).then(settle, settle);
fetch(base + "/__wxjs/bridge.js", {{ mode: "no-cors" }}).then(settle, settle);
</script>"#
    );
    let site = axum::Router::new().route(
        "/",
        axum::routing::get(move || async move { axum::response::Html(html) }),
    );
    tokio::spawn(async move { axum::serve(listener, site).await.unwrap() });

    let c = browser().await;
    c.goto(&format!("http://127.0.0.1:{foreign}/"))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while c.execute("return window.__settled", vec![]).await.unwrap() != json!(3) {
        assert!(
            Instant::now() < deadline,
            "the foreign page's requests never settled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pages: Vec<Value> = get_json(format!("http://127.0.0.1:{phone}/__wxjs/pages")).await;
    assert!(pages.is_empty(), "a foreign page registered: {pages:?}");
    let log: Vec<Value> = get_json(format!("http://127.0.0.1:{phone}/__wxjs/log")).await;
    assert!(log.is_empty(), "{log:?}");

    // The phone's own pages still register and poll.
    c.goto(&format!("http://127.0.0.1:{phone}/pay-sample.html"))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pages: Vec<Value> = get_json(format!("http://127.0.0.1:{phone}/__wxjs/pages")).await;
        if pages.len() == 1 {
            assert!(
                pages[0]["url"]
                    .as_str()
                    .unwrap()
                    .ends_with("/pay-sample.html")
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the page never registered: {pages:?}"
        );
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    c.close().await.unwrap();
}
