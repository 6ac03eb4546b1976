//! The cache against the simulator: stampedes, restarts, passive refresh, dying lease holders.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_like::join_all;
use wxjs_client::{CredentialStore, Credentials, Kind, MemoryStore, PlatformClient, SqliteStore};
use wxjs_platform::ticket::TicketType;
use wxjs_sign::AccessToken;

use crate::{APP, Platform, SECRET, platform, redis_store, unique};

/// Joins futures without an extra dependency.
mod futures_like {
    pub async fn join_all<T: Send + 'static>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
        let mut out = Vec::with_capacity(tasks.len());
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    }
}

/// Hundreds of concurrent readers spread over `instances` across one expiry: one token fetch and
/// one ticket fetch in all.
async fn stampede(p: &Platform, instances: &[Credentials]) {
    let (tokens, tickets) = (p.token_calls().await, p.ticket_calls().await);
    let mut tasks = Vec::new();
    for i in 0..400 {
        let c = instances[i % instances.len()].clone();
        tasks.push(tokio::spawn(async move {
            c.jsapi_ticket(APP).await.map(|t| t.secret().to_owned())
        }));
    }
    let results = join_all(tasks).await;
    let current = p.current_jsapi_ticket();
    for r in results {
        assert_eq!(r.expect("every reader gets the ticket"), current);
    }
    assert_eq!(p.token_calls().await - tokens, 1, "one token fetch");
    assert_eq!(p.ticket_calls().await - tickets, 1, "one ticket fetch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stampede_across_instances_on_redis_makes_one_fetch_per_expiry() {
    let p = platform().await;
    let env = unique("stampede");
    let mut instances = Vec::new();
    for _ in 0..4 {
        // Separate connections and clients, as separate servers would have.
        instances.push(p.instance(redis_store(&env).await));
    }
    stampede(&p, &instances).await;
    // Across the next two expiries, the same.
    for _ in 0..2 {
        p.advance(7200).await;
        stampede(&p, &instances).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stampede_on_sqlite_and_memory_stores() {
    let p = platform().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("creds.sqlite3");
    let sqlite: Vec<Credentials> = (0..3)
        .map(|_| p.instance(Arc::new(SqliteStore::open(&path, "prod").unwrap())))
        .collect();
    stampede(&p, &sqlite).await;
    p.advance(7200).await;
    stampede(&p, &sqlite).await;

    let p = platform().await;
    let shared = MemoryStore::new();
    let memory: Vec<Credentials> = (0..3)
        .map(|_| p.instance(Arc::new(shared.clone())))
        .collect();
    stampede(&p, &memory).await;
}

#[tokio::test]
async fn a_restarted_instance_makes_no_platform_call_while_values_are_valid() {
    let p = platform().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("creds.sqlite3");
    let env = unique("restart");
    for store in [
        Arc::new(SqliteStore::open(&path, "prod").unwrap()) as Arc<dyn CredentialStore>,
        redis_store(&env).await,
    ] {
        let first = p.instance(store.clone());
        let ticket = first.jsapi_ticket(APP).await.unwrap();
        first.card_ticket(APP).await.unwrap();
        drop(first);
        let (tokens, tickets) = (p.token_calls().await, p.ticket_calls().await);
        // A new process: a new store connection, nothing in memory.
        let reopened: Arc<dyn CredentialStore> = if store.name() == "sqlite" {
            Arc::new(SqliteStore::open(&path, "prod").unwrap())
        } else {
            redis_store(&env).await
        };
        let second = p.instance(reopened);
        p.advance(3000).await;
        assert_eq!(second.jsapi_ticket(APP).await.unwrap(), ticket);
        second.card_ticket(APP).await.unwrap();
        second.access_token(APP).await.unwrap();
        assert_eq!(
            (p.token_calls().await, p.ticket_calls().await),
            (tokens, tickets),
            "{}: no fetch",
            store.name()
        );
        p.advance(4200).await;
    }
}

#[tokio::test]
async fn a_token_replaced_by_another_party_is_refreshed_once_and_the_call_retried_once() {
    let p = platform().await;
    let creds = p.instance(Arc::new(MemoryStore::new()));
    let old = creds.access_token(APP).await.unwrap();
    // Another party fetches a token: ours stays valid 5 minutes, then 40001.
    let other = PlatformClient::with_base_url(&p.base);
    other
        .get_access_token(APP, &wxjs_sign::AppSecret::new(SECRET))
        .await
        .unwrap();
    p.advance(301).await;
    let (tokens, tickets) = (p.token_calls().await, p.ticket_calls().await);
    // The internal path: the card ticket fetch meets 40001.
    creds.card_ticket(APP).await.unwrap();
    assert_eq!(p.token_calls().await - tokens, 1, "one refresh");
    assert_eq!(
        p.ticket_calls().await - tickets,
        2,
        "the rejected call and one retry"
    );
    let new = creds.access_token(APP).await.unwrap();
    assert_ne!(new, old);

    // The public path: a back end's own call with a rejected token.
    other
        .get_access_token(APP, &wxjs_sign::AppSecret::new(SECRET))
        .await
        .unwrap();
    p.advance(301).await;
    let tokens = p.token_calls().await;
    let client = PlatformClient::with_base_url(&p.base);
    let attempts = std::sync::atomic::AtomicU32::new(0);
    let ticket = creds
        .with_access_token(APP, |t: AccessToken| {
            attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let client = client.clone();
            async move { client.get_ticket(&t, TicketType::Jsapi).await }
        })
        .await
        .unwrap();
    assert!(!ticket.value.is_empty());
    assert_eq!(attempts.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(p.token_calls().await - tokens, 1);

    // A call that keeps failing is not retried in a loop.
    let attempts = std::sync::atomic::AtomicU32::new(0);
    let err = creds
        .with_access_token(APP, |_t: AccessToken| {
            attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async {
                Err::<(), _>(wxjs_client::ClientError::Platform {
                    code: wxjs_platform::ErrCode::InvalidCredential,
                    errmsg: "invalid credential".into(),
                })
            }
        })
        .await
        .unwrap_err();
    assert!(matches!(err, wxjs_client::CallError::Platform(_)));
    assert_eq!(attempts.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[tokio::test]
async fn compare_and_expire_leaves_a_token_another_instance_already_replaced() {
    let p = platform().await;
    let store = MemoryStore::new();
    let a = p.instance(Arc::new(store.clone()));
    let b = p.instance(Arc::new(store.clone()));
    let t1 = a.access_token(APP).await.unwrap();
    assert_eq!(b.access_token(APP).await.unwrap(), t1);
    // A finds t1 rejected and refreshes.
    assert!(a.invalidate_token(APP, t1.secret()).await.unwrap());
    let t2 = a.access_token(APP).await.unwrap();
    assert_ne!(t1, t2);
    // B, late, reports t1 too: the store holds t2 now and keeps it.
    assert!(!b.invalidate_token(APP, t1.secret()).await.unwrap());
    assert_eq!(b.access_token(APP).await.unwrap(), t2);
    assert_eq!(p.token_calls().await, 2);
}

#[tokio::test]
async fn a_holder_dying_mid_refresh_blocks_others_only_until_its_lease_lapses() {
    let p = platform().await;
    let env = unique("dying");
    let store = redis_store(&env).await;
    let creds = p.instance(store.clone());
    creds.jsapi_ticket(APP).await.unwrap();
    p.advance(7200).await;
    // A holder takes the ticket's lease and dies without releasing it.
    assert!(
        store
            .try_lease(
                APP,
                Kind::JsapiTicket,
                "dead-instance",
                Duration::from_millis(800)
            )
            .await
            .unwrap()
    );
    let tickets = p.ticket_calls().await;
    let start = Instant::now();
    let ticket = creds.jsapi_ticket(APP).await.unwrap();
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_millis(700),
        "it waited for the lease: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(5),
        "but not much beyond it: {waited:?}"
    );
    assert_eq!(ticket.secret(), p.current_jsapi_ticket());
    assert_eq!(p.ticket_calls().await - tickets, 1);
}

#[tokio::test]
async fn the_token_is_refreshed_ahead_of_expiry_in_the_background() {
    let p = platform().await;
    let creds = p.instance(Arc::new(MemoryStore::new()));
    let t1 = creds.access_token(APP).await.unwrap();
    // Past 80 % plus the largest jitter (5 %): due.
    p.advance(6200).await;
    // The reader is not kept waiting: it gets the still-valid token at once.
    assert_eq!(creds.access_token(APP).await.unwrap(), t1);
    let deadline = Instant::now() + Duration::from_secs(5);
    let t2 = loop {
        let t = creds.access_token(APP).await.unwrap();
        if t != t1 {
            break t;
        }
        assert!(
            Instant::now() < deadline,
            "the background refresh never landed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_ne!(t1, t2);
    assert_eq!(p.token_calls().await, 2);
    let m = creds.metrics();
    assert!(
        m.platform_calls
            .iter()
            .any(|(e, o, n)| e == "/cgi-bin/token" && o == "ok" && *n == 2),
        "{m:?}"
    );
    let cached = creds.cached();
    assert_eq!(cached.len(), 1);
    assert_eq!(cached[0].expires_at - cached[0].fetched_at, 7200);
}

#[tokio::test]
async fn stable_token_mode_uses_stable_token() {
    let p = platform().await;
    let opts = wxjs_client::CacheOptions {
        token_mode: wxjs_client::TokenMode::Stable,
        ..Platform::options()
    };
    let creds = p.instance_with(Arc::new(MemoryStore::new()), opts, Duration::from_secs(5));
    let t = creds.access_token(APP).await.unwrap();
    creds.jsapi_ticket(APP).await.unwrap();
    assert_eq!(p.calls("/cgi-bin/stable_token").await, 1);
    assert_eq!(p.token_calls().await, 0);
    // Refreshed inside the platform's rotation window (240 s before expiry, plus this instance's
    // jitter of at most half the time left): a new token.
    p.advance(7200 - 100).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        creds.access_token(APP).await.unwrap();
        if p.calls("/cgi-bin/stable_token").await == 2 {
            break;
        }
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The platform counted the call when it arrived; the new token lands once it is answered.
    let deadline = Instant::now() + Duration::from_secs(5);
    while creds.access_token(APP).await.unwrap() == t {
        assert!(Instant::now() < deadline, "the rotated token never landed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn unknown_apps_are_an_error_not_a_platform_call() {
    let p = platform().await;
    let creds = p.instance(Arc::new(MemoryStore::new()));
    let err = creds.jsapi_ticket("wxnope0000000000001").await.unwrap_err();
    assert!(matches!(err, wxjs_client::CredentialError::UnknownApp(_)));
    assert_eq!(p.token_calls().await, 0);
    assert!(!format!("{creds:?}").contains(SECRET));
}
