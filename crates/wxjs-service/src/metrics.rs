//! HTTP metrics and the Prometheus text exposition of `/metrics`: requests by route and status,
//! a latency histogram, platform calls, refreshes, quota blocks and credential ages.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

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

/// Counters of the HTTP layer.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
}

impl HttpMetrics {
    /// Records one request.
    pub fn record(&self, route: &str, method: &str, status: u16, seconds: f64) {
        *self
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry((route.to_owned(), method.to_owned(), status))
            .or_default() += 1;
        let mut lat = self
            .latency
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let h = lat.entry(route.to_owned()).or_default();
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
    for ((route, method, status), n) in http
        .requests
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
    {
        let _ = writeln!(
            out,
            "wxjs_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
            label(route)
        );
    }
    let _ = writeln!(
        out,
        "# HELP wxjs_http_request_duration_seconds Request latency by route.\n# TYPE wxjs_http_request_duration_seconds histogram"
    );
    for (route, h) in http
        .latency
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
    {
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
