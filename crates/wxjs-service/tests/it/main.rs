//! Integration tests of the service: a simulator and the service spawned on free ports, talked
//! to over HTTP; every log line of the run captured and searched for secrets.

mod backend;
mod bad_inputs;
mod page;
mod pay;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;
use tokio::sync::oneshot;
use wxjs_service::config::{ApiKey, AppConfig, LogFormat, Merchant, RateLimit, StoreConfig};
use wxjs_service::{AppState, ServiceConfig};
use wxjs_sign::{AppId, AppSecret, PartnerKey, PayApiKey, PaySignKey, PrivateKeyPem, SafeDomain};
use wxjs_sim::{Sim, SimConfig};

pub const APP: &str = wxjs_sim::config::DEMO_APP_ID;
pub const SECRET: &str = wxjs_sim::config::DEMO_APP_SECRET;
pub const API_KEY: &str = "test-backend-key-0123456789";

/// Every log line of the test binary.
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buf.clone());
        let _ = tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .try_init();
        buf
    });
}

pub fn logs() -> String {
    String::from_utf8_lossy(&LOGS.get().unwrap().lock().unwrap()).into_owned()
}

/// The v3 test key of the shared vectors.
pub fn v3_private_key() -> String {
    let doc: Value =
        serde_json::from_str(include_str!("../../../wxjs-sign/tests/data/vectors.json")).unwrap();
    doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["kind"] == "pay-sign-v3")
        .unwrap()["input"]["private_key_pem"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A simulator and a service configured against it with the demo account and its merchant.
#[allow(missing_debug_implementations)]
pub struct System {
    pub sim: Sim,
    pub platform: String,
    pub service: String,
    pub http: reqwest::Client,
    _stops: Vec<oneshot::Sender<()>>,
}

pub async fn spawn() -> System {
    spawn_with(RateLimit {
        per_minute: 6000,
        burst: 600,
        trust_forwarded_for: false,
    })
    .await
}

pub async fn spawn_with(rate_limit: RateLimit) -> System {
    spawn_full(rate_limit, true).await
}

/// A system whose merchant uses API v3 (`v3`), or only v2 (no APIv3 key).
pub async fn spawn_merchant(v3: bool) -> System {
    spawn_full(
        RateLimit {
            per_minute: 6000,
            burst: 600,
            trust_forwarded_for: false,
        },
        v3,
    )
    .await
}

async fn spawn_full(rate_limit: RateLimit, v3: bool) -> System {
    capture_logs();
    let sim = Sim::new(&SimConfig::default(), None).unwrap();
    let pl = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let platform = format!("http://{}", pl.local_addr().unwrap());
    let (stop_p, stopped_p) = oneshot::channel::<()>();
    tokio::spawn(wxjs_sim::run(pl, sim.clone(), async {
        let _ = stopped_p.await;
    }));
    let demo = sim.account(APP).unwrap().clone();
    let m = demo.merchant.clone().unwrap();
    let config = ServiceConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        platform_base_url: platform.clone(),
        pay_base_url: platform.clone(),
        environment: "test".into(),
        token_mode: wxjs_client::TokenMode::Basic,
        log_format: LogFormat::Json,
        store: StoreConfig::Memory,
        rate_limit,
        api_keys: vec![ApiKey::new(API_KEY)],
        allowed_hosts: vec![],
        max_connections: 1024,
        apps: vec![AppConfig {
            app_id: AppId::parse(APP).unwrap(),
            app_secret: AppSecret::new(SECRET),
            domains: vec![
                SafeDomain::parse("localhost").unwrap(),
                SafeDomain::parse("example.com").unwrap(),
            ],
            js_api_list: vec!["chooseImage".into(), "onMenuShareTimeline".into()],
            merchant: Some(Merchant {
                partner_id: m.partner_id,
                partner_key: Some(PartnerKey::new(m.partner_key)),
                pay_sign_key: Some(PaySignKey::new(m.pay_sign_key)),
                api_key: Some(PayApiKey::new(m.api_key)),
                private_key: Some(PrivateKeyPem::new(v3_private_key())),
                api_v3_key: v3.then(|| wxjs_sign::ApiV3Key::new(m.api_v3_key.clone())),
                merchant_serial: Some(m.merchant_serial.clone()),
                platform_public_key: None,
                notify_url: None,
            }),
        }],
    };
    let state = AppState::new(&config, {
        let clock = sim.clock().clone();
        Arc::new(wxjs_client::MillisClock::new(move || clock.now_millis()))
    })
    .await
    .unwrap();
    let sl = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let service = format!("http://{}", sl.local_addr().unwrap());
    let (stop_s, stopped_s) = oneshot::channel::<()>();
    tokio::spawn(wxjs_service::run(sl, state, async {
        let _ = stopped_s.await;
    }));
    System {
        sim,
        platform,
        service,
        http: reqwest::Client::new(),
        _stops: vec![stop_p, stop_s],
    }
}

impl System {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.service)
    }

    pub async fn platform_calls(&self) -> Value {
        self.http
            .get(format!("{}/__sim/stats", self.platform))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn backend(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(API_KEY)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub fn jsapi_ticket(&self) -> String {
        self.sim
            .current_ticket(APP, wxjs_platform::ticket::TicketType::Jsapi)
            .unwrap()
            .value
    }

    pub fn card_ticket(&self) -> String {
        self.sim
            .current_ticket(APP, wxjs_platform::ticket::TicketType::WxCard)
            .unwrap()
            .value
    }

    /// No secret, token or ticket of this run appears in any log line so far.
    pub async fn assert_logs_clean(&self) {
        let logs = logs();
        assert!(!logs.is_empty(), "logs are captured");
        let m = self.sim.account(APP).unwrap().merchant.clone().unwrap();
        let mut secrets = vec![
            SECRET.to_owned(),
            API_KEY.to_owned(),
            m.partner_key,
            m.pay_sign_key,
            m.api_key,
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC".to_owned(),
        ];
        for kind in [
            wxjs_platform::ticket::TicketType::Jsapi,
            wxjs_platform::ticket::TicketType::WxCard,
        ] {
            if let Some(t) = self.sim.current_ticket(APP, kind) {
                secrets.push(t.value);
            }
        }
        let token: Value = self
            .http
            .get(self.url(&format!("/v1/{APP}/credentials/access_token")))
            .bearer_auth(API_KEY)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        secrets.push(token["value"].as_str().unwrap().to_owned());
        for s in secrets {
            assert!(
                !logs.contains(&s),
                "a secret reached the logs: {}…",
                &s[..6]
            );
        }
    }
}

/// An error answer: the status, the JSON shape and the code.
pub async fn assert_error(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "{code}");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["code"], code, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().len() > 5, "{v}");
    assert_eq!(v.as_object().unwrap().len(), 1, "{v}");
    v
}
