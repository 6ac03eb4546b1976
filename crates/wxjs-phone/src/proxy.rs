//! `wxjs dev --proxy URL`: the phone origin in front of the developer's own dev server (Vite,
//! webpack, Next). Everything outside `/__wxjs/` goes there; HTML comes back with the bridge
//! injected first (whatever its encoding: the answer is decoded), its Content-Security-Policy
//! adjusted so that the bridge runs, and WeChat's CDN library pointed at wxjs's build;
//! WebSocket upgrades pass through (hot reload); redirects to the upstream's own address come
//! back as the phone's; an upstream that is down or fails gets a clear page, never a hang.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;

/// How long the dev server may take to start answering (a compile can be slow; a dead server
/// must not hang the page).
pub const ANSWER_WITHIN: Duration = Duration::from_secs(60);

/// The largest HTML page the proxy rewrites (it is read whole to inject the bridge).
pub const HTML_LIMIT: usize = 32 << 20;

/// Headers that belong to one connection, never forwarded.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// The developer's dev server.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// `http://localhost:5173` (no trailing slash).
    origin: String,
    host: String,
    port: u16,
    http: reqwest::Client,
    /// The simulated platform, where WeChat's web authorisation lands.
    platform: Option<String>,
}

impl Upstream {
    /// The dev server at `url` (`http://host[:port]`, or https); the error says what is wrong.
    pub fn new(url: &str) -> Result<Self, String> {
        let parsed =
            reqwest::Url::parse(url).map_err(|e| format!("--proxy {url:?} is not a URL: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "--proxy {url:?}: the dev server must be http or https"
            ));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| format!("--proxy {url:?} has no host"))?
            .to_owned();
        let port = parsed
            .port_or_known_default()
            .ok_or_else(|| format!("--proxy {url:?} has no port"))?;
        if parsed.path() != "/" || parsed.query().is_some() {
            return Err(format!(
                "--proxy {url:?}: give the dev server's origin only (scheme, host, port)"
            ));
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            // The dev server is on this machine: never through a system proxy.
            .no_proxy()
            .build()
            .map_err(|e| format!("cannot build the proxy's client: {e}"))?;
        Ok(Self {
            origin: format!("{}://{}", parsed.scheme(), parsed.authority()),
            host,
            port,
            http,
            platform: None,
        })
    }

    /// Web authorisation (`open.weixin.qq.com/connect/oauth2/…`) goes to this platform.
    #[must_use]
    pub fn with_platform(mut self, platform_url: &str) -> Self {
        self.platform = Some(platform_url.trim_end_matches('/').to_owned());
        self
    }

    /// The dev server's origin.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

fn is_hop_by_hop(name: &HeaderName) -> bool {
    HOP_BY_HOP.contains(&name.as_str())
}

/// A page saying the dev server did not answer, and a log line.
fn upstream_failed(upstream: &Upstream, why: &str) -> Response {
    tracing::warn!(upstream = %upstream.origin, error = %why, "the dev server behind --proxy failed");
    let body = format!(
        "<!doctype html><meta charset=\"utf-8\"><title>wxjs dev: dev server not answering</title>\
         <h1>wxjs dev: the dev server is not answering</h1>\
         <p><code>--proxy {}</code>: {}</p><p>Start it (or check the URL), then reload.</p>",
        html_escape(&upstream.origin),
        html_escape(why)
    );
    (
        StatusCode::BAD_GATEWAY,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The path and query of a WeChat web-authorisation URL (`https://open.weixin.qq.com/connect/
/// oauth2/authorize?…`), without its `#wechat_redirect`.
#[must_use]
pub fn wechat_oauth_path(url: &str) -> Option<&str> {
    let rest = ["https://open.weixin.qq.com", "http://open.weixin.qq.com"]
        .iter()
        .find_map(|o| url.strip_prefix(o))?;
    rest.starts_with("/connect/oauth2/")
        .then(|| rest.split('#').next().unwrap_or(rest))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A Content-Security-Policy that lets the bridge run, weakening nothing else: where a source
/// list already relies on nonces, hashes or `'strict-dynamic'`, the bridge gets the nonce;
/// where it allows `'unsafe-inline'` (which a nonce would switch off), it gets `'self'` for its
/// script and nothing for its styles; and it may talk to its own origin. Policies of one header
/// separated by commas are adjusted each.
#[must_use]
pub fn adjust_csp(header: &str, nonce: &str) -> String {
    header
        .split(',')
        .map(|policy| adjust_policy(policy, nonce))
        .collect::<Vec<_>>()
        .join(", ")
}

fn adjust_policy(policy: &str, nonce: &str) -> String {
    let nonce_source = format!("'nonce-{nonce}'");
    let mut directives: Vec<(String, Vec<String>)> = policy
        .split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut parts = d.split_whitespace();
            let name = parts.next().unwrap_or("").to_ascii_lowercase();
            (name, parts.map(str::to_owned).collect())
        })
        .collect();
    let default = directives
        .iter()
        .find(|(n, _)| n == "default-src")
        .map(|(_, s)| s.clone());
    let strict = |sources: &[String]| {
        sources.iter().any(|s| {
            let s = s.to_ascii_lowercase();
            s.starts_with("'nonce-")
                || s.starts_with("'sha256-")
                || s.starts_with("'sha384-")
                || s.starts_with("'sha512-")
                || s == "'strict-dynamic'"
        })
    };
    let inline = |sources: &[String]| {
        sources
            .iter()
            .any(|s| s.eq_ignore_ascii_case("'unsafe-inline'"))
    };
    for name in [
        "script-src",
        "script-src-elem",
        "style-src",
        "style-src-elem",
        "connect-src",
        "img-src",
        "media-src",
    ] {
        let existing = directives.iter().position(|(n, _)| n == name);
        let index = match existing {
            Some(i) => i,
            // An -elem directive falls back to its parent: leave it absent.
            None if name.ends_with("-elem") => continue,
            // Without its own directive it falls back to default-src: extend a copy.
            None => match &default {
                Some(d) => {
                    directives.push((name.to_owned(), d.clone()));
                    directives.len() - 1
                }
                None => continue,
            },
        };
        let sources = &mut directives[index].1;
        sources.retain(|s| s != "'none'");
        let script = name.starts_with("script");
        let add: Vec<String> = if script || name.starts_with("style") {
            if strict(sources) || !inline(sources) {
                vec![nonce_source.clone()]
                    .into_iter()
                    .chain(script.then(|| "'self'".to_owned()))
                    .collect()
            } else if script {
                vec!["'self'".into()]
            } else {
                Vec::new()
            }
        } else if name == "connect-src" {
            vec!["'self'".into()]
        } else if name == "img-src" {
            vec!["'self'".into(), "data:".into(), "blob:".into()]
        } else {
            vec!["'self'".into(), "blob:".into()]
        };
        for a in add {
            if !sources.contains(&a) {
                sources.push(a);
            }
        }
    }
    directives
        .into_iter()
        .map(|(n, s)| {
            if s.is_empty() {
                n
            } else {
                format!("{n} {}", s.join(" "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The phone origin's fallback: everything else is the dev server's.
pub async fn forward(State(upstream): State<Upstream>, req: Request) -> Response {
    if req
        .headers()
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
    {
        return upgrade(&upstream, req).await;
    }
    let (parts, body) = req.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", axum::http::uri::PathAndQuery::as_str);
    let mut out = upstream
        .http
        .request(parts.method.clone(), format!("{}{path}", upstream.origin));
    let named = connection_named(&parts.headers);
    for (name, value) in &parts.headers {
        // reqwest negotiates (and decodes) the encoding itself. The Host goes on as the
        // browser sent it, so the dev server's own Host checks (Vite's allowedHosts) still
        // stop a DNS-rebinding page.
        if is_hop_by_hop(name)
            || named.contains(name)
            || name == header::ACCEPT_ENCODING
            || name.as_str() == "x-forwarded-host"
            || name.as_str() == "x-forwarded-proto"
        {
            continue;
        }
        out = out.header(name, value);
    }
    if let Some(host) = parts.headers.get(header::HOST) {
        out = out.header("x-forwarded-host", host);
    }
    out = out.header("x-forwarded-proto", "http");
    let sent = out
        .body(reqwest::Body::wrap_stream(body.into_data_stream()))
        .send();
    let res = match tokio::time::timeout(ANSWER_WITHIN, sent).await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return upstream_failed(&upstream, &e.without_url().to_string()),
        Err(_) => {
            return upstream_failed(
                &upstream,
                &format!("no answer within {} s", ANSWER_WITHIN.as_secs()),
            );
        }
    };
    let status = res.status();
    let mut headers = HeaderMap::new();
    let named = connection_named(res.headers());
    for (name, value) in res.headers() {
        if is_hop_by_hop(name) || named.contains(name) || name == header::CONTENT_LENGTH {
            continue;
        }
        headers.append(name.clone(), value.clone());
    }
    // The back end sends the user through WeChat's web authorisation: it lands on the
    // simulator's consent page, which leads back to the redirect_uri.
    if let (Some(platform), Some(rest)) = (
        upstream.platform.as_deref(),
        headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(wechat_oauth_path),
    ) && let Ok(v) = HeaderValue::from_str(&format!("{platform}{rest}"))
    {
        headers.insert(header::LOCATION, v);
    }
    // A redirect to the dev server's own address stays on the phone.
    if let Some(location) = headers
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|l| l.strip_prefix(upstream.origin.as_str()))
        // `http://localhost:5173` must not match `http://localhost:51730`.
        .filter(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
        .map(|rest| {
            if rest.is_empty() {
                "/".to_owned()
            } else {
                rest.to_owned()
            }
        })
        .and_then(|l| HeaderValue::from_str(&l).ok())
    {
        headers.insert(header::LOCATION, location);
    }
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("text/html"));
    if !html {
        let mut r = Response::new(Body::from_stream(res.bytes_stream()));
        *r.status_mut() = status;
        *r.headers_mut() = headers;
        // The dev server's own answers, errors included, reach the page as it sent them.
        r.extensions_mut().insert(wxjs_http::Verbatim);
        return r;
    }
    let bytes = match read_limited(res).await {
        Ok(b) => b,
        Err(why) => return upstream_failed(&upstream, &why),
    };
    let nonce = wxjs_sign::nonce_of_len(16);
    // A page in another encoding (GBK) keeps it: the bridge tag is ASCII, spliced into the bytes.
    let utf8 = std::str::from_utf8(&bytes).is_ok();
    let page: Vec<u8> = match std::str::from_utf8(&bytes) {
        Ok(text) => crate::origin::inject_with_nonce(text, Some(&nonce)).into_bytes(),
        Err(_) => splice_bridge(&bytes, &nonce),
    };
    for name in [
        header::CONTENT_SECURITY_POLICY,
        HeaderName::from_static("content-security-policy-report-only"),
    ] {
        let given: Vec<HeaderValue> = headers.get_all(&name).iter().cloned().collect();
        headers.remove(&name);
        for v in given {
            // A header that is not text stays as it came (there is nothing to adjust it with).
            let adjusted = v
                .to_str()
                .ok()
                .and_then(|t| HeaderValue::from_str(&adjust_csp(t, &nonce)).ok())
                .unwrap_or(v);
            headers.append(&name, adjusted);
        }
    }
    if utf8 {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
    }
    // The page changed (a new nonce each time): no validators, so no stale 304s.
    headers.remove(header::ETAG);
    headers.remove(header::LAST_MODIFIED);
    let mut r = Response::new(Body::from(page));
    *r.status_mut() = status;
    *r.headers_mut() = headers;
    r.extensions_mut().insert(wxjs_http::Verbatim);
    r
}

/// Headers a `Connection` header names: hop-by-hop too. (`Proxy-Connection` is old clients'.)
fn connection_named(headers: &HeaderMap) -> Vec<HeaderName> {
    let mut named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    named.push(HeaderName::from_static("proxy-connection"));
    named
}

/// The bridge tag spliced into HTML bytes that are not UTF-8, after `<head…>` (ASCII in every
/// encoding a page uses).
fn splice_bridge(bytes: &[u8], nonce: &str) -> Vec<u8> {
    let tag = format!("<script nonce=\"{nonce}\" src=\"/__wxjs/bridge.js\"></script>");
    let lower = bytes.to_ascii_lowercase();
    let at = lower
        .windows(5)
        .position(|w| w == b"<head")
        .and_then(|i| {
            lower[i..]
                .iter()
                .position(|b| *b == b'>')
                .map(|j| i + j + 1)
        })
        .unwrap_or(0);
    let mut out = Vec::with_capacity(bytes.len() + tag.len());
    out.extend_from_slice(&bytes[..at]);
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(&bytes[at..]);
    out
}

async fn read_limited(mut res: reqwest::Response) -> Result<Bytes, String> {
    let mut buf = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| e.without_url().to_string())? {
        if buf.len() + chunk.len() > HTML_LIMIT {
            return Err(format!("an HTML page larger than {} MiB", HTML_LIMIT >> 20));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

/// A WebSocket upgrade (a dev server's hot reload): the handshake goes to the dev server, and
/// once both sides switched protocols the bytes flow both ways untouched.
async fn upgrade(upstream: &Upstream, mut req: Request) -> Response {
    if upstream.origin.starts_with("https:") {
        return upstream_failed(
            upstream,
            "WebSocket upgrades pass through only to an http:// dev server",
        );
    }
    let client_side = hyper::upgrade::on(&mut req);
    let connect = tokio::net::TcpStream::connect((upstream.host.as_str(), upstream.port));
    let stream = match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return upstream_failed(upstream, &e.to_string()),
        Err(_) => return upstream_failed(upstream, "no connection within 5 s"),
    };
    let (mut sender, conn) = match hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    {
        Ok(pair) => pair,
        Err(e) => return upstream_failed(upstream, &e.to_string()),
    };
    tokio::spawn(async move {
        let _ = conn.with_upgrades().await;
    });
    let path = req
        .uri()
        .path_and_query()
        .map_or("/", axum::http::uri::PathAndQuery::as_str)
        .to_owned();
    let mut up = hyper::Request::builder().method(req.method()).uri(path);
    // The browser's own Host, as for every other request.
    for (name, value) in req.headers() {
        up = up.header(name, value);
    }
    let up = match up.body(http_body_util::Empty::<Bytes>::new()) {
        Ok(r) => r,
        Err(e) => return upstream_failed(upstream, &e.to_string()),
    };
    let mut answer = match tokio::time::timeout(ANSWER_WITHIN, sender.send_request(up)).await {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return upstream_failed(upstream, &e.to_string()),
        Err(_) => return upstream_failed(upstream, "no answer to the upgrade"),
    };
    let mut r = Response::new(Body::empty());
    *r.status_mut() = answer.status();
    *r.headers_mut() = answer.headers().clone();
    if answer.status() != StatusCode::SWITCHING_PROTOCOLS {
        return r;
    }
    let upstream_side = hyper::upgrade::on(&mut answer);
    tokio::spawn(async move {
        let (Ok(client), Ok(server)) = (client_side.await, upstream_side.await) else {
            return;
        };
        let (mut client, mut server) = (TokioIo::new(client), TokioIo::new(server));
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    });
    r
}

#[cfg(test)]
mod tests {
    use super::adjust_csp;

    #[test]
    fn a_strict_policy_lets_the_bridge_run() {
        assert_eq!(
            adjust_csp(
                "default-src 'self'; script-src 'nonce-abc' 'strict-dynamic'",
                "N"
            ),
            "default-src 'self'; script-src 'nonce-abc' 'strict-dynamic' 'nonce-N' 'self'; style-src 'self' 'nonce-N'; connect-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:"
        );
        assert_eq!(
            adjust_csp("img-src https:; script-src 'none'", "N"),
            "img-src https: 'self' data: blob:; script-src 'nonce-N' 'self'"
        );
        assert_eq!(
            adjust_csp("frame-ancestors 'none'", "N"),
            "frame-ancestors 'none'"
        );
    }

    /// Review: a nonce added beside 'unsafe-inline' switched it off and broke the page's own
    /// inline scripts and styles.
    #[test]
    fn a_nonce_beside_unsafe_inline_broke_the_page() {
        assert_eq!(
            adjust_csp(
                "script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'",
                "N"
            ),
            "script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'"
        );
        // Two policies in one header are adjusted each.
        assert_eq!(
            adjust_csp("script-src 'none', connect-src 'none'", "N"),
            "script-src 'nonce-N' 'self', connect-src 'self'"
        );
    }

    #[test]
    fn a_page_in_gbk_keeps_its_bytes() {
        let gbk: &[u8] =
            b"<html><head><meta charset=gbk></head><body>\xc4\xe3\xba\xc3</body></html>";
        let out = super::splice_bridge(gbk, "N");
        assert!(out.starts_with(
            b"<html><head><script nonce=\"N\" src=\"/__wxjs/bridge.js\"></script><meta"
        ));
        assert!(out.ends_with(b"\xc4\xe3\xba\xc3</body></html>"));
    }

    #[test]
    fn bad_upstreams_are_one_clear_error() {
        for bad in ["localhost:5173", "ftp://x", "http://x:1/app", "http://"] {
            assert!(super::Upstream::new(bad).is_err(), "{bad}");
        }
        assert_eq!(
            super::Upstream::new("http://localhost:5173")
                .unwrap()
                .origin(),
            "http://localhost:5173"
        );
    }
}
