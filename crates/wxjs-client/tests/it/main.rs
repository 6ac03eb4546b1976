//! Integration tests of the credential layer: against the simulator over HTTP, a real Redis
//! server (`WXJS_TEST_REDIS_URL`, started by `scripts/test`), and real SQLite files.

mod cache;
mod faults;
mod stores;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use wxjs_client::{CacheOptions, Clock, CredentialStore, Credentials, PlatformClient, RedisStore};
use wxjs_sign::AppSecret;
use wxjs_sim::{Sim, SimConfig};

pub const APP: &str = wxjs_sim::config::DEMO_APP_ID;
pub const SECRET: &str = wxjs_sim::config::DEMO_APP_SECRET;

/// A clock that follows the simulator's, as in `wxjs dev`.
pub fn sim_time(clock: &wxjs_sim::SimClock) -> Arc<dyn Clock> {
    let clock = clock.clone();
    Arc::new(wxjs_client::MillisClock::new(move || clock.now_millis()))
}

/// A simulator on a free port.
#[derive(Debug)]
pub struct Platform {
    pub base: String,
    pub sim: Sim,
    pub http: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

pub async fn platform() -> Platform {
    let sim = Sim::new(&SimConfig::default(), None).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(wxjs_sim::run(listener, sim.clone(), async {
        let _ = stopped.await;
    }));
    Platform {
        base,
        sim,
        http: reqwest::Client::new(),
        _stop: stop,
    }
}

impl Platform {
    pub async fn calls(&self, path: &str) -> u64 {
        let v: serde_json::Value = self
            .http
            .get(format!("{}/__sim/stats", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["calls"][path].as_u64().unwrap_or(0)
    }

    pub async fn token_calls(&self) -> u64 {
        self.calls("/cgi-bin/token").await
    }

    pub async fn ticket_calls(&self) -> u64 {
        self.calls("/cgi-bin/ticket/getticket").await
    }

    pub async fn advance(&self, seconds: u64) {
        let res = self
            .http
            .post(format!("{}/__sim/clock/advance", self.base))
            .json(&serde_json::json!({ "seconds": seconds }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }

    pub async fn fault(&self, body: serde_json::Value) {
        let res = self
            .http
            .post(format!("{}/__sim/faults", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{body}");
    }

    pub async fn clear_faults(&self) {
        self.http
            .delete(format!("{}/__sim/faults", self.base))
            .send()
            .await
            .unwrap();
    }

    pub fn current_jsapi_ticket(&self) -> String {
        self.sim
            .current_ticket(APP, wxjs_platform::ticket::TicketType::Jsapi)
            .unwrap()
            .value
    }

    /// Options that keep tests quick: short backoff, lease and polls.
    pub fn options() -> CacheOptions {
        CacheOptions {
            lease: Duration::from_secs(3),
            poll: Duration::from_millis(20),
            backoff_base: Duration::from_millis(50),
            backoff_max: Duration::from_millis(400),
            ..CacheOptions::default()
        }
    }

    /// A cache instance with its own HTTP client, as a separate server would have.
    pub fn instance(&self, store: Arc<dyn CredentialStore>) -> Credentials {
        self.instance_with(store, Self::options(), Duration::from_secs(5))
    }

    pub fn instance_with(
        &self,
        store: Arc<dyn CredentialStore>,
        opts: CacheOptions,
        timeout: Duration,
    ) -> Credentials {
        let http = reqwest::Client::builder().timeout(timeout).build().unwrap();
        Credentials::builder(PlatformClient::with_http(http, &self.base))
            .app(APP, AppSecret::new(SECRET))
            .store(store)
            .clock(sim_time(self.sim.clock()))
            .options(opts)
            .build()
    }
}

/// The Redis server `scripts/test` started.
pub fn redis_url() -> String {
    std::env::var("WXJS_TEST_REDIS_URL").expect(
        "WXJS_TEST_REDIS_URL is not set: run scripts/test (it installs and starts redis-server), or start one and set it to redis://127.0.0.1:PORT/",
    )
}

/// A Redis store with a namespace of its own, so tests never see each other's keys.
pub async fn redis_store(env: &str) -> Arc<dyn CredentialStore> {
    Arc::new(
        RedisStore::connect(&redis_url(), "wxjs-test", env)
            .await
            .expect("redis reachable"),
    )
}

/// A namespace no other test run uses.
pub fn unique(name: &str) -> String {
    format!("{name}-{}", wxjs_sign::nonce_of_len(10))
}
