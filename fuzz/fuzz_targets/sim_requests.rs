//! The simulated platform's request parsing — queries, JSON and multipart bodies, on its real
//! routes — with arbitrary requests: every request gets an answer, never a panic.
#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::ConnectInfo;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;
use wxjs_sim::{Sim, SimConfig};

const PATHS: &[&str] = &[
    "/cgi-bin/token",
    "/cgi-bin/stable_token",
    "/cgi-bin/ticket/getticket",
    "/cgi-bin/clear_quota",
    "/cgi-bin/media/upload",
    "/cgi-bin/media/get",
    "/cgi-bin/media/get/jssdk",
    "/connect/oauth2/authorize",
    "/sns/oauth2/access_token",
    "/sns/oauth2/refresh_token",
    "/sns/userinfo",
    "/sns/auth",
    "/__sim/faults",
    "/__sim/oauth/next",
    "/__sim/pay/prepay",
    "/__sim/tickets/wxdemo000000000001",
    "/__sim/media/x",
    "/cgi-bin/unknown",
];

fn runtime() -> &'static (tokio::runtime::Runtime, axum::Router) {
    static RT: OnceLock<(tokio::runtime::Runtime, axum::Router)> = OnceLock::new();
    RT.get_or_init(|| {
        // Paused time: a `delayMs` fault the fuzzer sets passes at once.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime");
        let sim = Sim::new(&SimConfig::default(), None).expect("in memory");
        (rt, wxjs_sim::router(sim))
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let method = if data[0] % 2 == 0 { "GET" } else { "POST" };
    let path = PATHS[usize::from(data[1]) % PATHS.len()];
    let rest = &data[2..];
    // The query up to the first newline, the content type up to the second, then the body.
    let mut parts = rest.splitn(3, |b| *b == b'\n');
    let query = String::from_utf8_lossy(parts.next().unwrap_or(b""));
    let content_type = String::from_utf8_lossy(parts.next().unwrap_or(b"application/json"));
    let body = parts.next().unwrap_or(b"").to_vec();
    let uri = format!("{path}?{}", query.replace([' ', '#'], "%20"));
    let Ok(mut req) = axum::http::Request::builder()
        .method(method)
        .uri(&uri)
        .header("content-type", content_type.trim())
        .header("host", "127.0.0.1")
        .body(Body::from(body))
    else {
        return;
    };
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 1234))));
    let (rt, router) = runtime();
    let res = rt.block_on(router.clone().oneshot(req)).expect("infallible");
    // Faults set through /__sim/faults may make later answers 5xx on purpose; what matters is
    // that every request was answered.
    let _ = res.status();
});
