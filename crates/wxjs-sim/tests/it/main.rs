//! Integration tests of the simulated platform, over real HTTP against a spawned simulator.

mod control;
mod credentials;
mod media;
mod merchant;
mod notify;
mod oauth;

use std::path::Path;

use serde_json::Value;
use tokio::sync::oneshot;
use wxjs_sim::{Sim, SimConfig};

pub const APP: &str = wxjs_sim::config::DEMO_APP_ID;
pub const SECRET: &str = wxjs_sim::config::DEMO_APP_SECRET;
pub const TEST_APP: &str = wxjs_sim::config::DEMO_TEST_APP_ID;

/// A simulator serving on a free port.
#[derive(Debug)]
pub struct TestSim {
    pub base: String,
    pub sim: Sim,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub async fn spawn_sim() -> TestSim {
    spawn_with(&SimConfig::default(), None).await
}

pub async fn spawn_with(config: &SimConfig, data: Option<&Path>) -> TestSim {
    let sim = Sim::new(config, data).expect("simulator starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(wxjs_sim::run(listener, sim.clone(), async {
        let _ = stopped.await;
    }));
    TestSim {
        base,
        sim,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        stop: Some(stop),
        task: Some(task),
    }
}

impl TestSim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Value {
        let res = self.http.get(self.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {path}");
        res.json().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn token(&self) -> String {
        let v = self
            .get(&format!(
                "/cgi-bin/token?grant_type=client_credential&appid={APP}&secret={SECRET}"
            ))
            .await;
        v["access_token"].as_str().expect("a token").to_owned()
    }

    pub async fn advance(&self, seconds: u64) {
        let res = self
            .post_json(
                "/__sim/clock/advance",
                &serde_json::json!({ "seconds": seconds }),
            )
            .await;
        assert_eq!(res.status(), 200);
    }

    pub async fn calls(&self, path: &str) -> u64 {
        self.get("/__sim/stats").await["calls"][path]
            .as_u64()
            .unwrap_or(0)
    }

    /// Stops serving and writes the state to disk.
    pub async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

/// Asserts an error answer: HTTP 200, the errcode, and a message ending in a fresh rid.
pub fn assert_err(v: &Value, code: i64) {
    assert_eq!(v["errcode"], code, "{v}");
    let msg = v["errmsg"].as_str().unwrap();
    let (_, rid) = msg
        .rsplit_once(" rid: ")
        .unwrap_or_else(|| panic!("no rid in {msg:?}"));
    assert_eq!(rid.len(), 26, "{rid}");
    assert!(
        rid.split('-')
            .all(|p| p.len() == 8 && p.bytes().all(|b| b.is_ascii_hexdigit())),
        "{rid}"
    );
}
