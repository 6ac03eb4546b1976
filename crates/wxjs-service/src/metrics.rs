//! `/metrics` through `prometheus-client` (OpenMetrics text): requests by route, method and
//! status, a latency histogram per route, and — read from the credential cache at each scrape —
//! platform calls, refreshes, quota blocks and the age and remaining lifetime of each cached
//! credential.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The `Content-Type` of the OpenMetrics exposition, for scrapers that ask for it.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `Content-Type` of the Prometheus text exposition (0.0.4), the default.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The service's metrics. Labels come from fixed sets (the router's routes, the known methods,
/// status codes), so raw input never makes a new series.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
}

impl Metrics {
    /// Metrics that also report `creds`.
    #[must_use]
    pub fn new(creds: wxjs_client::Credentials) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(|| Histogram::new(BUCKETS));
        registry.register(
            "wxjs_http_requests",
            "HTTP requests by route, method and status",
            requests.clone(),
        );
        registry.register(
            "wxjs_http_request_duration_seconds",
            "Request latency by route",
            latency.clone(),
        );
        registry.register_collector(Box::new(CredentialCollector(creds)));
        Self {
            registry,
            requests,
            latency,
        }
    }

    /// Records one request.
    pub fn record(&self, route: &'static str, method: &'static str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(seconds);
    }

    /// The OpenMetrics text.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "cannot encode the metrics");
        }
        out
    }

    /// The exposition in the format `accept` asks for: OpenMetrics when it names it, else the
    /// Prometheus text format. Gives the content type and the text.
    #[must_use]
    pub fn render_for(&self, accept: Option<&str>) -> (&'static str, String) {
        let text = self.render();
        if accept.is_some_and(|a| a.contains("application/openmetrics-text")) {
            (OPENMETRICS, text)
        } else {
            (PROMETHEUS_TEXT, prometheus_text(&text))
        }
    }
}

/// OpenMetrics text as Prometheus text (0.0.4): a counter family's `HELP` and `TYPE` name its
/// samples (`…_total`), and the `# EOF` and `# UNIT` lines go.
fn prometheus_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        match renamed {
            Some(l) => out.push_str(&l),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn openmetrics_counters_become_prometheus_counters() {
        let om = "# HELP a_requests Requests.\n# TYPE a_requests counter\na_requests_total{route=\"/x\"} 3\n# HELP b Age.\n# TYPE b gauge\nb 4\n# EOF\n";
        assert_eq!(
            super::prometheus_text(om),
            "# HELP a_requests_total Requests.\n# TYPE a_requests_total counter\na_requests_total{route=\"/x\"} 3\n# HELP b Age.\n# TYPE b gauge\nb 4\n"
        );
    }
}

/// What the credential cache knows, read at each scrape.
#[derive(Debug)]
struct CredentialCollector(wxjs_client::Credentials);

impl Collector for CredentialCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let m = self.0.metrics();
        let counter = ConstCounter::new(0u64);
        let mut calls = encoder.encode_descriptor(
            "wxjs_platform_calls",
            "Platform API calls by endpoint and outcome (ok or the errcode)",
            None,
            counter.metric_type(),
        )?;
        for (endpoint, outcome, n) in &m.platform_calls {
            ConstCounter::new(*n).encode(calls.encode_family(&[
                ("endpoint", endpoint.as_str()),
                ("outcome", outcome.as_str()),
            ])?)?;
        }
        let mut refreshes = encoder.encode_descriptor(
            "wxjs_credential_refreshes",
            "Credential refreshes by kind and outcome",
            None,
            counter.metric_type(),
        )?;
        for (kind, outcome, n) in &m.refreshes {
            ConstCounter::new(*n).encode(
                refreshes
                    .encode_family(&[("kind", kind.as_str()), ("outcome", outcome.as_str())])?,
            )?;
        }
        ConstCounter::new(m.quota_blocks).encode(encoder.encode_descriptor(
            "wxjs_quota_blocks",
            "Times a platform quota error stopped refreshes",
            None,
            counter.metric_type(),
        )?)?;

        let now = self.0.now();
        let cached = self.0.cached();
        let gauge = ConstGauge::new(0i64);
        let secs = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let mut age = encoder.encode_descriptor(
            "wxjs_credential_age_seconds",
            "Age of the cached credential",
            None,
            gauge.metric_type(),
        )?;
        for c in &cached {
            ConstGauge::new(secs(now.saturating_sub(c.fetched_at))).encode(
                age.encode_family(&[("app", c.app_id.as_str()), ("kind", c.kind.as_str())])?,
            )?;
        }
        let mut left = encoder.encode_descriptor(
            "wxjs_credential_expires_in_seconds",
            "Seconds until the cached credential expires",
            None,
            gauge.metric_type(),
        )?;
        for c in &cached {
            ConstGauge::new(secs(c.expires_at.saturating_sub(now))).encode(
                left.encode_family(&[("app", c.app_id.as_str()), ("kind", c.kind.as_str())])?,
            )?;
        }
        Ok(())
    }
}
