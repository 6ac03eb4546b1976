//! `wxjs dev --proxy`: the phone in front of a dev server that this test runs itself (gzip
//! HTML under a strict Content-Security-Policy, a redirect to its own address, a WebSocket-style
//! upgrade that echoes, JSON an app fetches), and in front of one that is down.

use std::io::Write as _;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use axum::routing::{get, post};
use fantoccini::Locator;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::browser::{browser, call_wx_pub as call_wx, post_json, wait_for_pub as wait_for};

const PAGE: &str = r##"<!doctype html><html><head><meta charset="utf-8"><title>my vite app</title>
<script nonce="appnonce" src="https://res.wx.qq.com/open/js/jweixin-1.6.0.js"></script></head>
<body><div id="app">my app</div>
<script nonce="appnonce">
window.__events = [];
fetch("/api/hello").then(function (r) { return r.json(); }).then(function (j) { window.__api = j.hello; });
fetch("/__wxjs/info").then(function (r) { return r.json(); }).then(function (info) {
  var url = location.href.split("#")[0];
  return fetch(info.serviceUrl + "/v1/" + info.appId + "/jssdk/config?url=" + encodeURIComponent(url)).then(function (r) { return r.json(); });
}).then(function (cfg) {
  wx.config({ appId: cfg.appId, timestamp: cfg.timestamp, nonceStr: cfg.nonceStr, signature: cfg.signature, jsApiList: ["chooseImage", "updateAppMessageShareData", "onMenuShareTimeline"] });
  wx.ready(function () { window.__ready = true; });
  wx.error(function (e) { window.__error = e.errMsg; });
});
window.callWx = function (name, opts) {
  return new Promise(function (resolve) {
    var o = Object.assign({}, opts || {});
    o.success = function (r) { resolve({ cb: "success", res: r }); };
    o.fail = function (r) { resolve({ cb: "fail", res: r }); };
    o.cancel = function (r) { resolve({ cb: "cancel", res: r }); };
    wx[name](o);
  });
};
</script></body></html>"##;

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn gzip(text: &str) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap()
}

/// A dev server: HTML gzip-compressed under a strict CSP, an API, a redirect to its own
/// address, and an upgrade that echoes raw bytes.
async fn dev_server() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                Response::builder()
                    .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                    .header(header::CONTENT_ENCODING, "gzip")
                    .header(
                        header::CONTENT_SECURITY_POLICY,
                        "default-src 'self'; script-src 'nonce-appnonce' 'strict-dynamic'; connect-src 'self' http://localhost:*",
                    )
                    .body(Body::from(gzip(PAGE)))
                    .unwrap()
            }),
        )
        .route(
            "/api/hello",
            get(|| async { axum::Json(json!({"hello": "world"})) }),
        )
        .route("/api/echo", post(|body: String| async move { body }))
        // A back end sending the user through WeChat's web authorisation, back to /callback on
        // the host the user came by.
        .route(
            "/wx-login",
            get(|headers: axum::http::HeaderMap| async move {
                let host = headers
                    .get("x-forwarded-host")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                let back = format!("http://{host}/callback");
                let to = format!(
                    "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wxdemo000000000001&redirect_uri={}&response_type=code&scope=snsapi_base&state=s1#wechat_redirect",
                    percent_encode(&back)
                );
                Response::builder()
                    .status(StatusCode::FOUND)
                    .header(header::LOCATION, to)
                    .body(Body::empty())
                    .unwrap()
            }),
        )
        .route(
            "/callback",
            get(|uri: axum::http::Uri| async move { uri.query().unwrap_or("").to_owned() }),
        )
        .route(
            "/login",
            get(move || async move {
                Response::builder()
                    .status(StatusCode::FOUND)
                    .header(
                        header::LOCATION,
                        format!("http://127.0.0.1:{port}/landing?x=1"),
                    )
                    .body(Body::empty())
                    .unwrap()
            }),
        )
        .route(
            "/hmr",
            get(|mut req: Request<Body>| async move {
                let on = hyper::upgrade::on(&mut req);
                tokio::spawn(async move {
                    if let Ok(up) = on.await {
                        let mut io = hyper_util::rt::TokioIo::new(up);
                        let mut buf = [0u8; 64];
                        while let Ok(n) = io.read(&mut buf).await {
                            if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                    }
                });
                Response::builder()
                    .status(StatusCode::SWITCHING_PROTOCOLS)
                    .header(header::CONNECTION, "upgrade")
                    .header(header::UPGRADE, "websocket")
                    .body(Body::empty())
                    .unwrap()
            }),
        );
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (port, task)
}

async fn started(proxy: String) -> (crate::Running, crate::Ports) {
    crate::dev_with(wxjs_dev::DevOptions {
        proxy: Some(proxy),
        ..wxjs_dev::DevOptions::default()
    })
    .await
}

/// The phone could only run pages from a static folder: a real project's dev server (gzip,
/// strict CSP, hot-reload WebSocket, redirects) now runs behind it with its calls verified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_s_own_dev_server_could_not_run_in_the_phone() {
    let (up, server) = dev_server().await;
    let (child, p) = started(format!("http://127.0.0.1:{up}")).await;
    let phone = format!("http://127.0.0.1:{p}");

    // HTML: decoded, bridge first (with the nonce the adjusted policy allows), CDN library local.
    let res = reqwest::Client::builder()
        .no_gzip()
        .build()
        .unwrap()
        .get(format!("{phone}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
    let csp = res.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let html = res.text().await.unwrap();
    let nonce = html
        .split("<script nonce=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the bridge tag with a nonce")
        .to_owned();
    assert!(csp.contains(&format!("'nonce-{nonce}'")), "{csp}");
    assert!(
        html.contains(r#"nonce="appnonce" src="/jweixin-1.6.0.js""#),
        "{html}"
    );
    // Other requests pass through; redirects to the dev server's address stay on the phone.
    let echo = reqwest::Client::new()
        .post(format!("{phone}/api/echo"))
        .body("ping")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(echo, "ping");
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{phone}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 302);
    assert_eq!(redirect.headers()[header::LOCATION], "/landing?x=1");
    // Web authorisation: the back end's redirect to open.weixin.qq.com lands on the simulator's
    // consent page (automation approves), which leads back to the redirect_uri with a code the
    // back end exchanges against the simulator.
    let platform = format!("http://127.0.0.1:{}", p.platform);
    let approve = reqwest::Client::new()
        .post(format!("{platform}/__sim/oauth/next"))
        .json(&json!({"action": "approve"}))
        .send()
        .await
        .unwrap();
    assert!(
        approve.status().is_success(),
        "{}",
        approve.text().await.unwrap()
    );
    let back = reqwest::get(format!("http://localhost:{p}/wx-login"))
        .await
        .unwrap();
    assert_eq!(back.url().path(), "/callback", "{}", back.url());
    let query = back.text().await.unwrap();
    let code = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("code="))
        .unwrap_or_else(|| panic!("no code in {query}"))
        .to_owned();
    assert!(query.contains("state=s1"), "{query}");
    let apps: Vec<Value> = reqwest::get(format!("{platform}/__sim/apps"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = apps
        .iter()
        .find(|a| a["appId"] == "wxdemo000000000001")
        .unwrap()["appSecret"]
        .as_str()
        .unwrap()
        .to_owned();
    let token: Value = reqwest::get(format!(
        "{platform}/sns/oauth2/access_token?appid=wxdemo000000000001&secret={secret}&code={code}&grant_type=authorization_code"
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(token["openid"].is_string(), "{token}");

    // The upgrade (hot reload) passes through: bytes both ways.
    let mut ws = tokio::net::TcpStream::connect(("127.0.0.1", p.phone))
        .await
        .unwrap();
    ws.write_all(format!("GET /hmr HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", p.phone).as_bytes()).await.unwrap();
    let mut head = vec![0u8; 1024];
    let n = ws.read(&mut head).await.unwrap();
    let head = String::from_utf8_lossy(&head[..n]).to_string();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    ws.write_all(b"hot-reload").await.unwrap();
    let mut back = [0u8; 10];
    ws.read_exact(&mut back).await.unwrap();
    assert_eq!(&back, b"hot-reload");

    // In the browser: the app runs, its own script and the bridge under the strict policy, its
    // config verified, and a share-content call answered.
    let c = browser().await;
    c.goto(&format!("http://localhost:{p}/")).await.unwrap();
    let ready = wait_for(
        &c,
        "return window.__ready || window.__error || null;",
        |v| !v.is_null(),
    )
    .await;
    assert_eq!(ready, json!(true));
    assert_eq!(
        c.execute("return window.__api", vec![]).await.unwrap(),
        json!("world")
    );
    let r = call_wx(
        &c,
        "updateAppMessageShareData",
        json!({"title": "t", "desc": "d", "link": format!("http://localhost:{p}/"), "imgUrl": ""}),
    )
    .await;
    assert_eq!(r["res"]["errMsg"], "updateAppMessageShareData:ok", "{r}");
    let bar = c.find(Locator::Css("#wxjs-client")).await.is_ok();
    assert!(bar, "the app's bar is there");
    post_json(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "chooseImage", "action": "ok", "data": {"samples": [0]}}),
    )
    .await;
    let img = call_wx(&c, "chooseImage", json!({"count": 1})).await;
    assert_eq!(img["res"]["errMsg"], "chooseImage:ok", "{img}");
    // A page's script sending the user to web authorisation lands on the consent page too, and
    // comes back to the redirect_uri with a code.
    let approve = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/__sim/oauth/next", p.platform))
        .json(&json!({"action": "approve"}))
        .send()
        .await
        .unwrap();
    assert!(approve.status().is_success());
    c.execute("location.href = 'https://open.weixin.qq.com/connect/oauth2/authorize?appid=wxdemo000000000001&redirect_uri=' + encodeURIComponent(location.origin + '/callback') + '&response_type=code&scope=snsapi_base&state=js#wechat_redirect';", vec![]).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let url = c.current_url().await.unwrap();
        if url.path() == "/callback" {
            let q = url.query().unwrap_or("");
            assert!(q.contains("code=") && q.contains("state=js"), "{url}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never came back: {url}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    c.close().await.unwrap();
    child.stop().await;
    server.abort();
}

/// A dev server that is down: a clear page naming it, at once — never a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dev_server_that_is_down_hung_the_page() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let (child, p) = started(format!("http://127.0.0.1:{port}")).await;
    let res = reqwest::get(format!("http://127.0.0.1:{p}/some/page"))
        .await
        .unwrap();
    assert_eq!(res.status(), 502);
    let body = res.text().await.unwrap();
    assert!(body.contains("the dev server is not answering"), "{body}");
    assert!(body.contains(&format!("127.0.0.1:{port}")), "{body}");
    // The phone's own endpoints still answer.
    let pages: Value = reqwest::get(format!("http://127.0.0.1:{p}/__wxjs/pages"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(pages.is_array());
    child.stop().await;
    let bad = wxjs_dev::start(
        wxjs_dev::DevOptions {
            proxy: Some("localhost:5173".into()),
            ..wxjs_dev::DevOptions::default()
        },
        wxjs_dev::Listeners::any_port().await.unwrap(),
    )
    .await
    .unwrap_err();
    assert!(bad.to_string().contains("--proxy"), "{bad}");
}
