//! The service's router without the network: `/healthz` against the config endpoint, the same
//! router and layers (metrics, CORS, JSON), so the difference is what a config request itself
//! costs in this process. Run with `cargo bench -p wxjs-service --bench endpoints`; the wrk run of
//! `scripts/bench` adds the network.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;
use wxjs_service::{AppState, ServiceConfig};

/// The allocator the `wxjs` binary ships with, so that allocation costs what it costs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn request(uri: &str) -> axum::http::Request<Body> {
    let mut req = axum::http::Request::get(uri)
        .header("host", "127.0.0.1:8082")
        .body(Body::empty())
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    req
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let router = rt.block_on(async {
        let sim = wxjs_sim::Sim::new(&wxjs_sim::SimConfig::default(), None).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(wxjs_sim::run(listener, sim, std::future::pending()));
        let toml = format!(
            "platform_base_url = \"{base}\"\n[store]\nkind = \"memory\"\n[rate_limit]\nper_minute = 1000000000\nburst = 1000000\n[[apps]]\napp_id = \"wxdemo000000000001\"\napp_secret = \"{}\"\ndomains = [\"localhost\"]\n",
            wxjs_sim::config::DEMO_APP_SECRET
        );
        let config =
            ServiceConfig::from_toml(&toml, &std::collections::HashMap::<String, String>::new())
                .unwrap();
        let state = AppState::new(&config, Arc::new(wxjs_client::SystemClock))
            .await
            .unwrap();
        let router = wxjs_http::apply(wxjs_service::router(state), &wxjs_http::Policy::default());
        // Warm the credential cache.
        let res = router
            .clone()
            .oneshot(request("/v1/wxdemo000000000001/jssdk/config?url=http%3A%2F%2Flocalhost%2F"))
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        router
    });
    let mut g = c.benchmark_group("router");
    for (name, uri) in [
        ("healthz", "/healthz"),
        (
            "config",
            "/v1/wxdemo000000000001/jssdk/config?url=http%3A%2F%2Flocalhost%2Fh5%2Fpage%3Fa%3D1",
        ),
        (
            "config_four_interfaces",
            "/v1/wxdemo000000000001/jssdk/config?url=http%3A%2F%2Flocalhost%2Fh5%2Fpage%3Fa%3D1\
             &jsApiList=updateAppMessageShareData,updateTimelineShareData,chooseImage,chooseWXPay",
        ),
    ] {
        g.bench_function(name, |b| {
            b.to_async(&rt).iter(|| async {
                let res = router.clone().oneshot(request(uri)).await.unwrap();
                black_box(
                    axum::body::to_bytes(res.into_body(), 1 << 20)
                        .await
                        .unwrap(),
                )
            });
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
