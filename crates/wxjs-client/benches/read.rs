//! The cached read path: a credential read that the cache answers from memory (the hot path of
//! every config signature), and a store read (what an instance pays to adopt another's value),
//! for each store tier. Run with `cargo bench -p wxjs-client --bench read`; the Redis tier needs
//! `WXJS_TEST_REDIS_URL` (scripts/bench starts one).

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use wxjs_client::{
    CredentialStore, Credentials, Kind, MemoryStore, PlatformClient, RedisStore, SqliteStore,
};
use wxjs_sign::AppSecret;
use wxjs_sim::{Sim, SimConfig};

const APP: &str = wxjs_sim::config::DEMO_APP_ID;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let base = rt.block_on(async {
        let sim = Sim::new(&SimConfig::default(), None).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(wxjs_sim::run(listener, sim, std::future::pending()));
        base
    });
    let dir = tempfile::tempdir().unwrap();
    let mut tiers: Vec<Arc<dyn CredentialStore>> = vec![
        Arc::new(MemoryStore::new()),
        Arc::new(SqliteStore::open(&dir.path().join("bench.sqlite3"), "bench").unwrap()),
    ];
    match std::env::var("WXJS_TEST_REDIS_URL") {
        Ok(url) => tiers.push(rt.block_on(async {
            Arc::new(
                RedisStore::connect(&url, "wxjs-bench", "bench")
                    .await
                    .unwrap(),
            )
        })),
        Err(_) => eprintln!("WXJS_TEST_REDIS_URL not set: skipping the Redis tier"),
    }
    let mut g = c.benchmark_group("read");
    for store in tiers {
        let creds = Credentials::builder(PlatformClient::with_base_url(&base))
            .app(APP, AppSecret::new(wxjs_sim::config::DEMO_APP_SECRET))
            .store(store.clone())
            .build();
        rt.block_on(creds.jsapi_ticket(APP)).unwrap();
        let name = store.name();
        g.bench_function(format!("{name}: cached jsapi_ticket"), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(creds.jsapi_ticket(APP).await.unwrap()) });
        });
        g.bench_function(format!("{name}: store get"), |b| {
            b.to_async(&rt)
                .iter(|| async { black_box(store.get(APP, Kind::JsapiTicket).await.unwrap()) });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
