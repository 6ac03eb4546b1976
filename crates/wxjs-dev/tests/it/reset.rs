//! `POST /__sim/reset` and the service beside it.

use serde_json::{Value, json};

use crate::browser::get_json;
use crate::{Ports, dev_with};
use wxjs_dev::DevOptions;

/// What the phone answers a page's `wx.config` signed by the service now (`preVerifyJSAPI`).
async fn config_outcome(p: Ports, http: &reqwest::Client) -> String {
    let url = format!("http://127.0.0.1:{}/page", p.phone);
    let c: Value = get_json(
        reqwest::Url::parse_with_params(
            &format!(
                "http://127.0.0.1:{}/v1/wxdemo000000000001/jssdk/config",
                p.service
            ),
            [("url", &url)],
        )
        .unwrap(),
    )
    .await;
    let answer: Value = http
        .post(format!("http://127.0.0.1:{}/__wxjs/invoke", p.phone))
        .json(&json!({
            "session": "s-reset",
            "landingUrl": url,
            "currentUrl": url,
            "name": "preVerifyJSAPI",
            "params": {
                "verifyAppId": "wxdemo000000000001",
                "verifySignType": "sha1",
                "verifyTimestamp": c["timestamp"].to_string(),
                "verifyNonceStr": c["nonceStr"],
                "verifySignature": c["signature"],
                "verifyJsApiList": ["chooseImage"],
            },
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["result"]["err_msg"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// After `POST /__sim/reset` the simulator had forgotten its tokens and tickets but the
/// service in the same `wxjs dev` kept signing with its cached ticket: every `wx.config` failed
/// with "invalid signature" until the cached ticket expired, up to two hours later.
#[tokio::test]
async fn a_simulator_reset_left_the_service_signing_with_a_forgotten_ticket() {
    let data = tempfile::tempdir().unwrap();
    for options in [
        DevOptions::default(),
        DevOptions {
            data: Some(data.path().to_owned()),
            ..DevOptions::default()
        },
    ] {
        let store = if options.data.is_some() {
            "sqlite"
        } else {
            "memory"
        };
        let (dev, p) = dev_with(options).await;
        let http = reqwest::Client::new();
        assert_eq!(
            config_outcome(p, &http).await,
            "preVerifyJSAPI:ok",
            "{store}"
        );
        let before: Value = get_json(format!(
            "http://127.0.0.1:{}/__sim/tickets/wxdemo000000000001",
            p.platform
        ))
        .await;
        let res = http
            .post(format!("http://127.0.0.1:{}/__sim/reset", p.platform))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        // At once, not after a while: the reset answered after the service forgot.
        assert_eq!(
            config_outcome(p, &http).await,
            "preVerifyJSAPI:ok",
            "{store}"
        );
        let after: Value = get_json(format!(
            "http://127.0.0.1:{}/__sim/tickets/wxdemo000000000001",
            p.platform
        ))
        .await;
        assert_ne!(
            after["jsapi"]["ticket"], before["jsapi"]["ticket"],
            "{store}"
        );
        let stats: Value = get_json(format!("http://127.0.0.1:{}/__sim/stats", p.platform)).await;
        // One fresh token and one fresh ticket since the reset, no more.
        assert_eq!(
            stats["calls"],
            json!({"/cgi-bin/token": 1, "/cgi-bin/ticket/getticket": 1}),
            "{store}"
        );
        dev.stop().await;
    }
}
