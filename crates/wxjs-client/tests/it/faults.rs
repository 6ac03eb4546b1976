//! Faults injected through `/__sim/faults`: valid values keep being served, platform calls stay
//! within the backoff budget, errors are never cached, and the cache recovers by itself.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use wxjs_client::{CredentialError, Kind, MemoryStore};

use crate::{APP, Platform, platform};

/// Reads the token `times` times, asserting every read gets `expected`, then waits until every
/// refresh attempt those reads started has been answered; returns the token calls made.
async fn read_through(
    p: &Platform,
    creds: &wxjs_client::Credentials,
    expected: &str,
    times: usize,
) -> u64 {
    let before = p.token_calls().await;
    for _ in 0..times {
        assert_eq!(
            creds.access_token(APP).await.expect("still valid").secret(),
            expected
        );
        tokio::task::yield_now().await;
    }
    // Each call the platform counted is answered (and recorded by the cache) before returning.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let sent = p.token_calls().await;
        let answered: u64 = creds
            .metrics()
            .platform_calls
            .iter()
            .filter(|(e, _, _)| e == "/cgi-bin/token")
            .map(|(_, _, n)| *n)
            .sum();
        if answered >= sent {
            return sent - before;
        }
        assert!(
            Instant::now() < deadline,
            "a refresh attempt was never answered"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn recovers(p: &Platform, creds: &wxjs_client::Credentials, old: &str) {
    p.clear_faults().await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let t = creds.access_token(APP).await.unwrap();
        if t.secret() != old {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "did not recover after the fault cleared"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Failed refreshes so far, as the cache counts them.
fn failures(creds: &wxjs_client::Credentials) -> u64 {
    creds
        .metrics()
        .refreshes
        .iter()
        .filter(|(kind, outcome, _)| kind == "access_token" && outcome == "failed")
        .map(|(_, _, n)| *n)
        .sum()
}

/// Backoff followed real time while lifetimes followed the injectable clock, so this test slept
/// and asserted loosely (`(1..=14).contains(&calls)`). Backoff now follows the cache's clock:
/// the simulator's clock moves one second a step, and the attempts are exactly those of the
/// schedule (1 s doubling to 8 s, no jitter): at 0, 1, 3, 7 and 15 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backoff_followed_real_time_so_fault_tests_slept_and_asserted_loosely() {
    let p = platform().await;
    let schedule = [0u64, 1, 3, 7, 15];
    for fault in [
        json!({"path":"/cgi-bin/token","errcode":-1,"count":1000}),
        json!({"path":"/cgi-bin/token","status":500,"count":1000}),
        json!({"path":"/cgi-bin/token","drop":true,"count":1000}),
        json!({"path":"/cgi-bin/token","delayMs":1500,"count":1000}),
    ] {
        // A client timeout shorter than the delay.
        let creds = p.instance_with(
            Arc::new(MemoryStore::new()),
            wxjs_client::CacheOptions {
                backoff_base: Duration::from_secs(1),
                backoff_max: Duration::from_secs(8),
                backoff_jitter: 0.0,
                ..Platform::options()
            },
            Duration::from_millis(300),
        );
        let old = creds.access_token(APP).await.unwrap();
        p.advance(6500).await; // due for refresh, still valid
        p.fault(fault.clone()).await;
        let calls_before = p.token_calls().await;
        for t in 0..=20u64 {
            let expected = schedule.iter().filter(|a| **a <= t).count() as u64;
            // Read until the attempt due at this second (if any) has been made and failed…
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                let got = creds.access_token(APP).await.expect("still valid");
                assert_eq!(got.secret(), old.secret());
                let n = failures(&creds);
                assert!(
                    n <= expected,
                    "{fault} at {t} s: {n} attempts, {expected} due"
                );
                if n == expected {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{fault} at {t} s: attempt never made"
                );
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            // …and no more than that, however often pages read.
            for _ in 0..5 {
                creds.access_token(APP).await.expect("still valid");
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            assert_eq!(failures(&creds), expected, "{fault} at {t} s");
            p.advance(1).await;
        }
        assert_eq!(
            p.token_calls().await - calls_before,
            schedule.len() as u64,
            "{fault}"
        );
        recovers(&p, &creds, old.secret()).await;
        p.advance(7200).await;
    }
}

#[tokio::test]
async fn quota_errors_stop_calls_until_the_window_passes() {
    let p = platform().await;
    let creds = p.instance(Arc::new(MemoryStore::new()));
    let old = creds.access_token(APP).await.unwrap();
    p.advance(6500).await;
    p.fault(json!({"path":"/cgi-bin/token","errcode":45009,"count":1000}))
        .await;
    let before = p.token_calls().await;
    // Pages read until the background refresh has met the quota…
    let deadline = Instant::now() + Duration::from_secs(5);
    while creds.metrics().quota_blocks == 0 {
        assert_eq!(creds.access_token(APP).await.unwrap(), old);
        assert!(Instant::now() < deadline, "the quota was never met");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // …and however much they read after it, no further call is made.
    read_through(&p, &creds, old.secret(), 200).await;
    assert_eq!(
        p.token_calls().await - before,
        1,
        "one call meets the quota, then none"
    );
    p.clear_faults().await;
    // Still inside the quota day: no calls even though the platform would answer now.
    assert_eq!(read_through(&p, &creds, old.secret(), 100).await, 0);
    // 45009 is a daily quota: the next Beijing day opens the window. The old token has expired by
    // then, so the read refreshes in the foreground.
    p.advance(86_400).await;
    let fresh = creds.access_token(APP).await.unwrap();
    assert_ne!(fresh, old);
}

#[tokio::test]
async fn with_no_valid_value_a_failure_is_an_error_and_is_not_cached() {
    let p = platform().await;
    let creds = p.instance(Arc::new(MemoryStore::new()));
    p.fault(json!({"path":"/cgi-bin/ticket/getticket","errcode":-1,"count":1}))
        .await;
    let err = creds.jsapi_ticket(APP).await.unwrap_err();
    assert!(matches!(err, CredentialError::Platform { .. }), "{err}");
    assert!(err.retry_after() >= 1);
    // Within the backoff: answered from the gate, no platform call.
    let calls = p.ticket_calls().await;
    assert!(creds.jsapi_ticket(APP).await.is_err());
    assert_eq!(p.ticket_calls().await, calls);
    // After the backoff (on the cache's clock): a real value (the error was never stored).
    p.advance(1).await;
    let t = creds.jsapi_ticket(APP).await.unwrap();
    assert_eq!(t.secret(), p.current_jsapi_ticket());

    // An empty or non-JSON answer is never cached either.
    let p = platform().await;
    let store = MemoryStore::new();
    let creds = p.instance(Arc::new(store.clone()));
    p.fault(json!({"path":"/cgi-bin/token","status":502,"count":1}))
        .await;
    assert!(creds.access_token(APP).await.is_err());
    use wxjs_client::CredentialStore;
    assert_eq!(store.get(APP, Kind::AccessToken).await.unwrap(), None);
}

/// A Redis server of this test's own, so that it can be stopped without disturbing others.
struct OwnRedis {
    child: std::process::Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl OwnRedis {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..20 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let child = std::process::Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(dir.path())
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("redis-server (scripts/test installs it)");
            let mut own = Self {
                child,
                url: format!("redis://127.0.0.1:{port}/"),
                _dir: tempfile::tempdir().unwrap(),
            };
            let _ = &dir;
            for _ in 0..100 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return own;
                }
                if own.child.try_wait().unwrap().is_some() {
                    break; // the port was taken meanwhile
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = own.child.kill();
        }
        panic!("cannot start redis-server");
    }

    fn signal(&self, sig: &str) {
        std::process::Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.signal("-CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// During a Redis outage each cold read waited for its own ~5 s attempt in turn (8 reads
/// finished at 0, 5, 10 … 35 s): one attempt per backoff window, the others answered at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_made_cold_reads_queue() {
    let p = platform().await;
    let redis = OwnRedis::start();
    let store = Arc::new(
        wxjs_client::RedisStore::connect(&redis.url, "wxjs-outage", "test")
            .await
            .unwrap(),
    );
    let creds = p.instance_with(
        store,
        wxjs_client::CacheOptions {
            store_timeout: Duration::from_millis(300),
            // A window far longer than the test: every failure inside it is counted.
            backoff_base: Duration::from_secs(120),
            backoff_max: Duration::from_secs(120),
            ..wxjs_client::CacheOptions::default()
        },
        Duration::from_secs(5),
    );
    // The store hangs: the process is stopped, its socket stays open.
    redis.signal("-STOP");
    let reads: Vec<_> = (0..8)
        .map(|_| {
            let creds = creds.clone();
            tokio::spawn(async move { creds.access_token(APP).await })
        })
        .collect();
    for r in reads {
        match r.await.unwrap() {
            Err(e @ CredentialError::Store { .. }) => assert!(e.retry_after() >= 60, "{e}"),
            other => panic!("expected a store error, got {other:?}"),
        }
    }
    let failed = creds
        .metrics()
        .refreshes
        .iter()
        .filter(|(kind, outcome, _)| kind == "access_token" && outcome == "store_failed")
        .map(|(_, _, n)| *n)
        .sum::<u64>();
    assert_eq!(failed, 1, "one store attempt for the eight readers");
    assert_eq!(
        p.token_calls().await,
        0,
        "no platform call without the store"
    );
    // Further reads inside the window do not touch the store at all.
    assert!(matches!(
        creds.access_token(APP).await,
        Err(CredentialError::Store { .. })
    ));
    assert_eq!(
        creds
            .metrics()
            .refreshes
            .iter()
            .filter(|(_, outcome, _)| outcome == "store_failed")
            .count(),
        1
    );
}

/// Backoff windows are times on the cache's clock; when that clock goes back (a simulator reset
/// after `clock/advance`), a window set before must not stay shut for the distance travelled.
#[tokio::test]
async fn a_clock_that_went_back_left_the_backoff_gate_shut() {
    let p = platform().await;
    let creds = p.instance(Arc::new(MemoryStore::new()));
    p.advance(30 * 86_400).await;
    p.fault(json!({"path":"/cgi-bin/token","errcode":-1,"count":1}))
        .await;
    assert!(creds.access_token(APP).await.is_err());
    p.sim.reset().await;
    let t = creds.access_token(APP).await;
    assert!(
        t.is_ok(),
        "the gate stayed shut after the clock went back: {t:?}"
    );
}
