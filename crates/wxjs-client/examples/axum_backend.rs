//! A page's own back end in Rust, as a user of wxjs writes one: an axum server that hands pages
//! their `wx.config` parameters and signs a v2 payment, with the credential cache (tokens and
//! tickets shared through SQLite) and the signing crate.
//!
//! Against `wxjs sim` (or `wxjs dev`, whose platform is on P+1):
//!
//! ```sh
//! cargo run --release -- sim --port 8081 &
//! WX_PLATFORM=http://127.0.0.1:8081 WX_APP_ID=wxdemo000000000001 \
//!   WX_APP_SECRET=5f1c8a2e9b7d4c6a3e0f1b2d8c7a9e4f \
//!   cargo run -p wxjs-client --example axum_backend
//! curl 'localhost:3000/wx-config?url=http%3A%2F%2Flocalhost%2Fh5'
//! ```
//!
//! Against the real platform, leave `WX_PLATFORM` unset.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use wxjs_client::{AppSecret, Credentials, PageUrl, PlatformClient, SafeDomain, SqliteStore};
use wxjs_sign::{PayApiKey, PayParams, PaySignType, domain_allowed, nonce_str, timestamp_now};

#[derive(Clone)]
struct App {
    creds: Credentials,
    app_id: String,
    domains: Arc<Vec<SafeDomain>>,
}

#[derive(Deserialize)]
struct ConfigQuery {
    url: String,
}

/// `GET /wx-config?url=…`: what the page passes to `wx.config`.
async fn wx_config(State(app): State<App>, Query(q): Query<ConfigQuery>) -> Response {
    let page = match PageUrl::parse(&q.url) {
        Ok(p) if domain_allowed(&app.domains, &p) => p,
        Ok(_) => return (StatusCode::FORBIDDEN, "not one of our pages").into_response(),
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    match app.creds.sign_config(&app.app_id, &page).await {
        Ok(config) => Json(config).into_response(),
        // The cache says how long to wait; never the secret.
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
struct PayQuery {
    prepay_id: String,
}

/// `GET /pay?prepay_id=…`: `chooseWXPay` parameters for an order created on the merchant API.
async fn pay(State(app): State<App>, Query(q): Query<PayQuery>) -> Response {
    let Ok(key) = std::env::var("WX_PAY_API_KEY") else {
        return (StatusCode::NOT_IMPLEMENTED, "set WX_PAY_API_KEY").into_response();
    };
    let (time_stamp, nonce) = (timestamp_now().to_string(), nonce_str());
    let package = format!("prepay_id={}", q.prepay_id);
    let params = PayParams {
        app_id: &app.app_id,
        time_stamp: &time_stamp,
        nonce_str: &nonce,
        package: &package,
    };
    let signed = params.sign_v2(PaySignType::HmacSha256, &PayApiKey::new(key));
    Json(json!({
        "appId": app.app_id, "timeStamp": time_stamp, "nonceStr": nonce, "package": package,
        "signType": "HMAC-SHA256", "paySign": signed.signature(),
    }))
    .into_response()
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app_id = env("WX_APP_ID")?;
    let secret = AppSecret::new(env("WX_APP_SECRET")?);
    let client = match std::env::var("WX_PLATFORM") {
        Ok(base) => PlatformClient::with_base_url(&base),
        Err(_) => PlatformClient::new(),
    };
    let store = SqliteStore::open(std::path::Path::new("credentials.sqlite3"), "example")?;
    let creds = Credentials::builder(client)
        .app(&app_id, secret)
        .store(Arc::new(store))
        .build();
    let domains = vec![SafeDomain::parse("localhost")?];
    let state = App {
        creds,
        app_id,
        domains: Arc::new(domains),
    };
    let router = Router::new()
        .route("/wx-config", get(wx_config))
        .route("/pay", get(pay))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router).await?;
    Ok(())
}
