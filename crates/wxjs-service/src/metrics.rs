//! HTTP metrics and the Prometheus text exposition of `/metrics`: requests by route and status,
//! a latency histogram, platform calls, refreshes, quota blocks and credential ages.

use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::fmt::Write;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

/// One route's counters.
#[derive(Debug, Default)]
struct RouteMetrics {
    /// Requests by method and status.
    requests: BTreeMap<(&'static str, u16), u64>,
    latency: Histogram,
}

/// Counters of the HTTP layer: one lock per request, and no allocation once a route has been
/// seen (labels come from fixed sets: the router's routes and the known methods).
#[derive(Debug, Default)]
pub struct HttpMetrics {
    routes: Mutex<BTreeMap<String, RouteMetrics>>,
}

impl HttpMetrics {
    /// Records one request.
    pub fn record(&self, route: &str, method: &'static str, status: u16, seconds: f64) {
        let mut routes = self.routes.lock();
        let r = match routes.get_mut(route) {
            Some(r) => r,
            None => routes.entry(route.to_owned()).or_default(),
        };
        *r.requests.entry((method, status)).or_default() += 1;
        let h = &mut r.latency;
        for (i, le) in BUCKETS.iter().enumerate() {
            if seconds <= *le {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }
}

/// Escapes a label value.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The exposition text.
pub fn render(http: &HttpMetrics, creds: &wxjs_client::Credentials) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP wxjs_http_requests_total HTTP requests by route, method and status.\n# TYPE wxjs_http_requests_total counter"
    );
    let routes = http.routes.lock();
    for (route, r) in routes.iter() {
        for ((method, status), n) in &r.requests {
            let _ = writeln!(
                out,
                "wxjs_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                label(route)
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP wxjs_http_request_duration_seconds Request latency by route.\n# TYPE wxjs_http_request_duration_seconds histogram"
    );
    for (route, h) in routes.iter().map(|(route, r)| (route, &r.latency)) {
        let r = label(route);
        for (i, le) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "wxjs_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"{le}\"}} {}",
                h.counts[i]
            );
        }
        let _ = writeln!(
            out,
            "wxjs_http_request_duration_seconds_bucket{{route=\"{r}\",le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(
            out,
            "wxjs_http_request_duration_seconds_sum{{route=\"{r}\"}} {}",
            h.sum
        );
        let _ = writeln!(
            out,
            "wxjs_http_request_duration_seconds_count{{route=\"{r}\"}} {}",
            h.count
        );
    }
    let m = creds.metrics();
    let _ = writeln!(
        out,
        "# HELP wxjs_platform_calls_total Platform API calls by endpoint and outcome (ok or the errcode).\n# TYPE wxjs_platform_calls_total counter"
    );
    for (endpoint, outcome, n) in &m.platform_calls {
        let _ = writeln!(
            out,
            "wxjs_platform_calls_total{{endpoint=\"{}\",outcome=\"{}\"}} {n}",
            label(endpoint),
            label(outcome)
        );
    }
    let _ = writeln!(
        out,
        "# HELP wxjs_credential_refreshes_total Credential refreshes by kind and outcome.\n# TYPE wxjs_credential_refreshes_total counter"
    );
    for (kind, outcome, n) in &m.refreshes {
        let _ = writeln!(
            out,
            "wxjs_credential_refreshes_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} {n}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP wxjs_quota_blocks_total Times a platform quota error stopped refreshes.\n# TYPE wxjs_quota_blocks_total counter\nwxjs_quota_blocks_total {}",
        m.quota_blocks
    );
    let now = creds.now();
    let cached = creds.cached();
    let _ = writeln!(
        out,
        "# HELP wxjs_credential_age_seconds Age of the cached credential.\n# TYPE wxjs_credential_age_seconds gauge"
    );
    for c in &cached {
        let _ = writeln!(
            out,
            "wxjs_credential_age_seconds{{app=\"{}\",kind=\"{}\"}} {}",
            c.app_id,
            c.kind.as_str(),
            now.saturating_sub(c.fetched_at)
        );
    }
    let _ = writeln!(
        out,
        "# HELP wxjs_credential_expires_in_seconds Seconds until the cached credential expires.\n# TYPE wxjs_credential_expires_in_seconds gauge"
    );
    for c in &cached {
        let _ = writeln!(
            out,
            "wxjs_credential_expires_in_seconds{{app=\"{}\",kind=\"{}\"}} {}",
            c.app_id,
            c.kind.as_str(),
            c.expires_at.saturating_sub(now)
        );
    }
    out
}
