//! Every store honours compare-and-set, compare-and-expire and the lease the same way.

use std::sync::Arc;
use std::time::Duration;

use wxjs_client::{CredentialStore, Kind, MemoryStore, SqliteStore, Stored};

use crate::{redis_store, unique};

fn stored(value: &str, at: u64) -> Stored {
    Stored {
        value: value.to_owned(),
        fetched_at: at,
        expires_at: at + 7200,
    }
}

async fn semantics(store: Arc<dyn CredentialStore>) {
    let app = unique("wxapp");
    let k = Kind::JsapiTicket;
    store.ping().await.unwrap();
    assert_eq!(store.get(&app, k).await.unwrap(), None);
    // First write expects nothing stored.
    assert!(
        !store
            .compare_and_set(&app, k, Some("x"), &stored("v1", 100))
            .await
            .unwrap()
    );
    assert!(
        store
            .compare_and_set(&app, k, None, &stored("v1", 100))
            .await
            .unwrap()
    );
    assert_eq!(store.get(&app, k).await.unwrap(), Some(stored("v1", 100)));
    // A slow refresher that saw nothing (or an older value) cannot overwrite v2.
    assert!(
        store
            .compare_and_set(&app, k, Some("v1"), &stored("v2", 200))
            .await
            .unwrap()
    );
    assert!(
        !store
            .compare_and_set(&app, k, None, &stored("slow", 150))
            .await
            .unwrap()
    );
    assert!(
        !store
            .compare_and_set(&app, k, Some("v1"), &stored("slow", 150))
            .await
            .unwrap()
    );
    assert_eq!(store.get(&app, k).await.unwrap().unwrap().value, "v2");
    // Compare-and-expire only expires the value it names.
    assert!(!store.compare_and_expire(&app, k, "v1").await.unwrap());
    assert!(store.get(&app, k).await.unwrap().unwrap().is_valid(250));
    assert!(store.compare_and_expire(&app, k, "v2").await.unwrap());
    let expired = store.get(&app, k).await.unwrap().unwrap();
    assert_eq!(expired.value, "v2");
    assert!(!expired.is_valid(250));
    // Kinds and apps are separate keys.
    assert_eq!(store.get(&app, Kind::AccessToken).await.unwrap(), None);
    assert_eq!(store.get(&unique("wxother"), k).await.unwrap(), None);
    // The lease: one holder at a time, released only by its holder, lapsing by itself. Held
    // leases last a minute, so that no pause of a slow machine decides an assertion (a 300 ms
    // window once did); the one meant to lapse is short, and a pause only makes it lapse more.
    const HELD: Duration = Duration::from_secs(60);
    const LAPSING: Duration = Duration::from_millis(50);
    assert!(store.try_lease(&app, k, "a", HELD).await.unwrap());
    assert!(!store.try_lease(&app, k, "b", HELD).await.unwrap());
    store.release_lease(&app, k, "b").await.unwrap();
    assert!(!store.try_lease(&app, k, "b", HELD).await.unwrap());
    store.release_lease(&app, k, "a").await.unwrap();
    assert!(store.try_lease(&app, k, "b", LAPSING).await.unwrap());
    tokio::time::sleep(LAPSING * 3).await;
    assert!(
        store.try_lease(&app, k, "c", HELD).await.unwrap(),
        "a lapsed lease can be taken"
    );
}

#[tokio::test]
async fn memory_store_semantics() {
    semantics(Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn sqlite_store_semantics() {
    let dir = tempfile::tempdir().unwrap();
    semantics(Arc::new(
        SqliteStore::open(&dir.path().join("c.sqlite3"), "test").unwrap(),
    ))
    .await;
}

#[tokio::test]
async fn redis_store_semantics() {
    semantics(redis_store(&unique("semantics")).await).await;
}

#[tokio::test]
async fn sqlite_store_is_shared_between_two_connections_to_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.sqlite3");
    let a = SqliteStore::open(&path, "prod").unwrap();
    let b = SqliteStore::open(&path, "prod").unwrap();
    let other_env = SqliteStore::open(&path, "staging").unwrap();
    assert!(
        a.compare_and_set("wx1", Kind::AccessToken, None, &stored("t", 1))
            .await
            .unwrap()
    );
    assert_eq!(
        b.get("wx1", Kind::AccessToken)
            .await
            .unwrap()
            .unwrap()
            .value,
        "t"
    );
    assert_eq!(
        other_env.get("wx1", Kind::AccessToken).await.unwrap(),
        None,
        "environments are namespaced"
    );
    assert!(
        a.try_lease("wx1", Kind::AccessToken, "a", Duration::from_secs(5))
            .await
            .unwrap()
    );
    assert!(
        !b.try_lease("wx1", Kind::AccessToken, "b", Duration::from_secs(5))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn store_errors_never_show_the_redis_password() {
    let err = wxjs_client::RedisStore::connect("redis://:hunter2pw@127.0.0.1:1/", "wxjs", "x")
        .await
        .unwrap_err();
    assert!(!err.to_string().contains("hunter2pw"), "{err}");
}

/// Errors flattened their sources into strings (`Transport(String)`, `StoreError(String)`):
/// the error underneath is now kept for `source()`, and still carries no secret.
#[tokio::test]
async fn errors_flattened_their_sources_into_strings() {
    use std::error::Error as _;
    let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = refused.local_addr().unwrap().port();
    drop(refused);
    let client = wxjs_client::PlatformClient::with_base_url(&format!("http://127.0.0.1:{port}"));
    let err = client
        .get_access_token("wxapp", &wxjs_sign::AppSecret::new("SECRET-never-shown"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, wxjs_client::ClientError::Transport(_)),
        "{err:?}"
    );
    assert!(err.source().is_some(), "the transport error is kept");
    let mut chain = err.to_string();
    let mut next = err.source();
    while let Some(e) = next {
        chain.push_str(&e.to_string());
        next = e.source();
    }
    assert!(!chain.contains("SECRET"), "{chain}");

    let dir = tempfile::tempdir().unwrap();
    // A directory where the database file should be.
    let err = SqliteStore::open(dir.path(), "t").unwrap_err();
    assert!(err.source().is_some(), "{err}");
}
