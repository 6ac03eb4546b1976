//! The serving policy through a real listener: raw TCP clients that are slow, idle, too many or
//! malformed, and a router whose lower layers answer in plain text.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::routing::{get, post};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use wxjs_http::{HostPolicy, Policy};

async fn spawn(policy: Policy) -> SocketAddr {
    let router = Router::new()
        .route("/", get(|| async { "hello" }))
        .route(
            "/echo",
            post(|b: axum::body::Bytes| async move { b.len().to_string() }),
        )
        .route(
            "/items/{id}",
            get(|Path(id): Path<String>| async move { id }),
        )
        .route("/big", get(|| async { vec![b'x'; 16 << 20] }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(wxjs_http::serve(
        listener,
        router,
        policy,
        std::future::pending(),
    ));
    addr
}

/// Sends raw bytes and reads until the server closes (or 5 s pass).
async fn raw(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).await.expect("connect");
    let _ = s.write_all(bytes).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn body_json(answer: &str) -> serde_json::Value {
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {answer}"))
}

/// Whether the server closes `s` within `within`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(within, s.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
            Err(_) => return false,
        }
    }
}

fn quick() -> Policy {
    Policy {
        header_read_timeout: Duration::from_millis(300),
        ..Policy::default()
    }
}

#[tokio::test]
async fn service_and_phone_listeners_never_timed_out_idle_connections() {
    let addr = spawn(quick()).await;
    // A connection that never sends anything.
    let mut idle = TcpStream::connect(addr).await.expect("connect");
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await);
    // A slow header that never completes.
    let mut slow = TcpStream::connect(addr).await.expect("connect");
    slow.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .expect("write");
    assert!(closed_within(&mut slow, Duration::from_secs(5)).await);
    // A keep-alive connection left idle after its answer.
    let mut kept = TcpStream::connect(addr).await.expect("connect");
    kept.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
    let mut buf = [0u8; 512];
    let n = kept.read(&mut buf).await.expect("answer");
    assert!(String::from_utf8_lossy(&buf[..n]).contains("hello"));
    assert!(closed_within(&mut kept, Duration::from_secs(5)).await);
}

#[tokio::test]
async fn idle_connections_beyond_the_bound_cannot_lock_clients_out() {
    let addr = spawn(Policy {
        max_connections: 2,
        header_read_timeout: Duration::from_secs(30),
        ..Policy::default()
    })
    .await;
    let mut a = TcpStream::connect(addr).await.expect("a");
    let _b = TcpStream::connect(addr).await.expect("b");
    // Both slots are taken: the third client waits in the backlog…
    let mut c = TcpStream::connect(addr).await.expect("c");
    c.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let early = tokio::time::timeout(Duration::from_millis(300), c.read_to_end(&mut buf)).await;
    assert!(early.is_err(), "answered beyond the bound");
    // …and is answered as soon as one slot frees.
    a.shutdown().await.expect("close a");
    drop(a);
    tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut buf))
        .await
        .expect("answered once a slot is free")
        .expect("read");
    assert!(String::from_utf8_lossy(&buf).contains("hello"));
}

#[tokio::test]
async fn hyper_s_own_414_431_and_400_answers_were_empty() {
    let addr = spawn(Policy::default()).await;
    let long_uri = format!(
        "GET /{} HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "a".repeat(70_000)
    );
    let answer = raw(addr, long_uri.as_bytes()).await;
    // Over both hyper's URI limit and the head limit: whichever hyper meets first.
    assert!(
        answer.starts_with("HTTP/1.1 414") || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    let code = body_json(&answer)["error"]["code"].clone();
    assert!(
        code == "uri_too_long" || code == "headers_too_large",
        "{code}"
    );

    let mut many = String::from("GET / HTTP/1.1\r\nHost: localhost\r\n");
    for i in 0..200 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let answer = raw(addr, many.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert_eq!(body_json(&answer)["error"]["code"], "headers_too_large");

    let big = format!(
        "GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n",
        "b".repeat(100_000)
    );
    let answer = raw(addr, big.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert!(answer.contains("nosniff"));

    let answer = raw(addr, b"G@T / HTTP/1.1\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert_eq!(body_json(&answer)["error"]["code"], "bad_request");
}

#[tokio::test]
async fn lower_layer_errors_in_plain_text_become_json() {
    let addr = spawn(Policy::default().with_body_limit(1024)).await;
    let http = reqwest::Client::new();
    // axum's path rejection (invalid UTF-8) is plain text underneath.
    let res = http
        .get(format!("http://{addr}/items/%FF"))
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 400);
    assert_eq!(
        res.headers()["x-content-type-options"],
        "nosniff",
        "every answer carries nosniff"
    );
    let v: serde_json::Value = res.json().await.expect("json");
    assert_eq!(v["error"]["code"], "bad_request");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    // 404 and 405 of the router.
    for (method, path, status) in [("GET", "/nope", 404), ("GET", "/echo", 405)] {
        let res = http
            .request(
                method.parse().expect("method"),
                format!("http://{addr}{path}"),
            )
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), status);
        let v: serde_json::Value = res.json().await.expect("json");
        assert!(v["error"]["code"].is_string());
    }
    // The body limit.
    let res = http
        .post(format!("http://{addr}/echo"))
        .body(vec![b'x'; 2048])
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 413);
    let v: serde_json::Value = res.json().await.expect("json");
    assert_eq!(v["error"]["code"], "payload_too_large");
    assert_eq!(v["error"]["message"], "the body is larger than 1024 bytes");
    let ok = http
        .post(format!("http://{addr}/echo"))
        .body(vec![b'x'; 1000])
        .send()
        .await
        .expect("send");
    assert_eq!(ok.text().await.expect("text"), "1000");
}

#[tokio::test]
async fn foreign_host_names_were_served_dns_rebinding() {
    let addr = spawn(Policy::default().with_hosts(HostPolicy::local(
        ["shop.example.com".to_owned()],
        "add it with --allow-host",
    )))
    .await;
    let answer = raw(
        addr,
        b"GET / HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 421"), "{answer}");
    let v = body_json(&answer);
    assert_eq!(v["error"]["code"], "host_not_allowed");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("--allow-host"))
    );
    for host in ["localhost:1", "127.0.0.1", "shop.example.com"] {
        let req = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        let answer = raw(addr, req.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{host}: {answer}");
    }
}

#[test]
fn json_bodies_must_say_application_json() {
    use axum::http::{HeaderMap, HeaderValue, header};
    let body = axum::body::Bytes::from_static(b"{\"seconds\":1}");
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    let refused = wxjs_http::json_body::<serde_json::Value>(&h, &body).expect_err("text/plain");
    assert_eq!(refused.status, 415);
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    assert!(wxjs_http::json_body::<serde_json::Value>(&h, &body).is_ok());
    // Origin must match the Host the request was addressed to.
    h.insert(header::HOST, HeaderValue::from_static("localhost:8080"));
    assert!(wxjs_http::same_origin(&h).is_ok());
    h.insert(
        header::ORIGIN,
        HeaderValue::from_static("http://localhost:8080"),
    );
    assert!(wxjs_http::same_origin(&h).is_ok());
    h.insert(
        header::ORIGIN,
        HeaderValue::from_static("http://attacker.example"),
    );
    assert_eq!(wxjs_http::same_origin(&h).expect_err("foreign").status, 403);
}

/// A foreign page's `<img>` or `no-cors` fetch sends no `Origin`, only `Sec-Fetch-Site`: the
/// phone's GET /__wxjs/events took such requests as a page's polls (and gave them the answers
/// queued for the real page).
#[test]
fn requests_without_origin_from_other_sites_passed_the_origin_check() {
    use axum::http::{HeaderMap, HeaderValue, header};
    let mut h = HeaderMap::new();
    h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
    for site in ["same-origin", "none"] {
        h.insert("sec-fetch-site", HeaderValue::from_static(site));
        assert!(wxjs_http::same_origin(&h).is_ok(), "{site}");
    }
    for site in ["same-site", "cross-site", "something-new"] {
        h.insert("sec-fetch-site", HeaderValue::from_static(site));
        let refused = wxjs_http::same_origin(&h).expect_err(site);
        assert_eq!(
            (refused.status.as_u16(), refused.code),
            (403, "cross_origin")
        );
        assert!(refused.message.contains(site), "{}", refused.message);
    }
    // Same-origin by Sec-Fetch-Site does not excuse a foreign Origin.
    h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
    h.insert(
        header::ORIGIN,
        HeaderValue::from_static("http://127.0.0.1:9999"),
    );
    assert!(wxjs_http::same_origin(&h).is_err());
}

/// A client that asked for answers and never read them held its connection slot forever once
/// the socket buffers were full: a write that makes no progress ends the connection.
#[tokio::test]
async fn a_client_that_never_reads_held_its_slot_forever() {
    let addr = spawn(Policy {
        max_connections: 1,
        write_timeout: Duration::from_millis(300),
        header_read_timeout: Duration::from_secs(30),
        ..Policy::default()
    })
    .await;
    // A small receive window, so that the answer cannot all sit in kernel buffers.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("rcvbuf");
    let mut greedy = socket.connect(addr).await.expect("connect");
    greedy
        .write_all(b"GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .expect("write");
    // It never reads. The only slot is taken; the next client waits, then is served.
    let mut next = TcpStream::connect(addr).await.expect("connect");
    next.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), next.read_to_end(&mut buf))
        .await
        .expect("served once the stalled connection was closed")
        .expect("read");
    assert!(String::from_utf8_lossy(&buf).contains("hello"));
    drop(greedy);
}

/// serde reads a struct from a JSON array by position: every listener's JSON bodies took
/// `["a","b"]` as `{"first":"a","second":"b"}`.
#[test]
fn json_arrays_passed_as_objects() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Two {
        first: String,
        second: String,
    }
    let ok: Two = wxjs_http::json_object(br#" {"first":"a","second":"b"}"#).expect("object");
    assert_eq!((ok.first.as_str(), ok.second.as_str()), ("a", "b"));
    for (body, code) in [
        (&br#"["a","b"]"#[..], "bad_request"),
        (b"\"a\"", "bad_request"),
        (b"null", "bad_request"),
        (b"", "bad_json"),
        (b"not json", "bad_json"),
        (b"{\"first\":", "bad_json"),
        (br#"{"first":"a"}"#, "bad_request"),
    ] {
        let refused = wxjs_http::json_object::<Two>(body).expect_err("refused");
        assert_eq!(
            (refused.status.as_u16(), refused.code),
            (400, code),
            "{}: {}",
            String::from_utf8_lossy(body),
            refused.message
        );
    }
}

/// A body that stopped arriving was answered 400 (the service said `bad_json`, "…data was not
/// received within the designated timeout"): it is the client's slowness, a 408.
#[tokio::test]
async fn a_stalled_body_was_called_a_bad_body() {
    let addr = spawn(Policy {
        body_read_timeout: Duration::from_millis(300),
        ..Policy::default()
    })
    .await;
    let answer = raw(
        addr,
        b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nonly a part",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"request_timeout""#), "{answer}");
    // A body that arrives in time is read as before.
    let answer = raw(
        addr,
        b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("\r\n\r\n5"), "{answer}");
}
