//! [`AppState`]: the service's shared state — accounts, the credential cache, API keys, the rate
//! limiter, metrics, and a short memory of tickets and issued nonces for `explain`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use subtle::ConstantTimeEq;
use wxjs_client::{
    CacheOptions, Clock, CredentialStore, Credentials, MemoryStore, PlatformClient, RedisStore,
    SqliteStore,
};

use crate::config::{ApiKey, AppConfig, ServiceConfig, StoreConfig};
use crate::error::ApiError;
use crate::metrics::HttpMetrics;

/// Tickets remembered per account, to recognise a signature made with a stale one.
const TICKET_MEMORY: usize = 5;
/// Issued nonces remembered per account, to tell which timestamp went with a nonce.
const NONCE_MEMORY: usize = 4096;

/// Why the service cannot start.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the credential store: {0}")]
pub struct StartError(pub wxjs_client::StoreError);

#[derive(Debug, Default)]
struct History {
    tickets: VecDeque<String>,
    issued: HashMap<String, u64>,
    order: VecDeque<String>,
}

pub(crate) struct Inner {
    pub(crate) creds: Credentials,
    pub(crate) apps: BTreeMap<String, AppConfig>,
    /// Each app's default `jsApiList`, serialized once: cloning and encoding 35 names on every
    /// request cost a fifth of the config endpoint's throughput.
    pub(crate) default_lists: BTreeMap<String, Box<serde_json::value::RawValue>>,
    api_keys: Vec<ApiKey>,
    /// `None` when the configuration turns the limit off.
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// How the listener treats connections (limits, timeouts, Host names).
    pub(crate) serving: wxjs_http::Policy,
    pub(crate) trust_forwarded_for: bool,
    pub(crate) http: HttpMetrics,
    history: Mutex<HashMap<String, History>>,
}

/// The service's state. Cheap to clone.
#[derive(Clone)]
pub struct AppState(pub(crate) Arc<Inner>);

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("apps", &self.0.apps.keys().collect::<Vec<_>>())
            .field("creds", &self.0.creds)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens the store and builds the credential cache for `config`, on `clock`.
    pub async fn new(config: &ServiceConfig, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let store: Arc<dyn CredentialStore> = match &config.store {
            StoreConfig::Memory => Arc::new(MemoryStore::new()),
            StoreConfig::Sqlite(path) => {
                Arc::new(SqliteStore::open(path, &config.environment).map_err(StartError)?)
            }
            StoreConfig::Redis(url) => Arc::new(
                RedisStore::connect(&url.0, "wxjs", &config.environment)
                    .await
                    .map_err(StartError)?,
            ),
        };
        let mut builder =
            Credentials::builder(PlatformClient::with_base_url(&config.platform_base_url))
                .store(store)
                .clock(clock)
                .options(CacheOptions {
                    token_mode: config.token_mode,
                    ..CacheOptions::default()
                });
        for app in &config.apps {
            builder = builder.app(app.app_id.as_str(), app.app_secret.clone());
        }
        Ok(Self::with_credentials(config, builder.build()))
    }

    /// A state around a cache built elsewhere (it must know every app of `config`).
    #[must_use]
    pub fn with_credentials(config: &ServiceConfig, creds: Credentials) -> Self {
        let limiter = NonZeroU32::new(config.rate_limit.per_minute).map(|per_minute| {
            let burst = NonZeroU32::new(config.rate_limit.burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst))
        });
        let serving = wxjs_http::Policy {
            max_connections: config.max_connections,
            hosts: wxjs_http::HostPolicy::local(
                config.allowed_hosts.iter().cloned(),
                "add the name to allowed_hosts in the service's configuration",
            ),
            ..wxjs_http::Policy::default()
        }
        .with_body_limit(crate::routes::BODY_LIMIT);
        Self(Arc::new(Inner {
            creds,
            default_lists: config
                .apps
                .iter()
                .filter_map(|a| {
                    let raw = serde_json::value::to_raw_value(&a.js_api_list).ok()?;
                    Some((a.app_id.as_str().to_owned(), raw))
                })
                .collect(),
            apps: config
                .apps
                .iter()
                .map(|a| (a.app_id.as_str().to_owned(), a.clone()))
                .collect(),
            api_keys: config.api_keys.clone(),
            limiter,
            serving,
            trust_forwarded_for: config.rate_limit.trust_forwarded_for,
            http: HttpMetrics::default(),
            history: Mutex::new(HashMap::new()),
        }))
    }

    /// The credential cache.
    #[must_use]
    pub fn credentials(&self) -> &Credentials {
        &self.0.creds
    }

    pub(crate) fn app(&self, app_id: &str) -> Result<&AppConfig, ApiError> {
        self.0
            .apps
            .get(app_id)
            .ok_or_else(|| ApiError::unknown_app(app_id))
    }

    /// 429 with `Retry-After` when the client exceeds its rate.
    pub(crate) fn rate_limit(&self, client: IpAddr) -> Result<(), ApiError> {
        let Some(limiter) = &self.0.limiter else {
            return Ok(());
        };
        match limiter.check_key(&client) {
            Ok(()) => {
                if limiter.len() > 100_000 {
                    limiter.retain_recent();
                }
                Ok(())
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                Err(ApiError {
                    retry_after: Some(wait.as_secs() + 1),
                    ..ApiError::new(
                        axum::http::StatusCode::TOO_MANY_REQUESTS,
                        "rate_limited",
                        "too many requests from this client; slow down",
                    )
                })
            }
        }
    }

    /// 401 unless the request carries a configured API key (compared in constant time).
    pub(crate) fn authorize(&self, headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
        let given = headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .or_else(|| {
                headers
                    .get(axum::http::header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "))
            });
        let unauthorized =
            |m: &str| ApiError::new(axum::http::StatusCode::UNAUTHORIZED, "unauthorized", m);
        let Some(given) = given.filter(|g| !g.is_empty()) else {
            return Err(unauthorized(
                "an API key is required (Authorization: Bearer KEY, or X-Api-Key)",
            ));
        };
        // Compare with every key, whatever matches, so timing says nothing.
        let mut ok = subtle::Choice::from(0);
        for key in &self.0.api_keys {
            ok |= key.0.as_bytes().ct_eq(given.as_bytes());
        }
        if bool::from(ok) {
            Ok(())
        } else {
            Err(unauthorized("the API key is not valid"))
        }
    }

    pub(crate) fn remember_ticket(&self, app_id: &str, ticket: &str) {
        let mut h = self
            .0
            .history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let h = h.entry(app_id.to_owned()).or_default();
        if h.tickets.front().map(String::as_str) != Some(ticket) {
            h.tickets.retain(|t| t != ticket);
            h.tickets.push_front(ticket.to_owned());
            h.tickets.truncate(TICKET_MEMORY);
        }
    }

    pub(crate) fn remember_issued(&self, app_id: &str, nonce: &str, timestamp: u64) {
        let mut h = self
            .0
            .history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let h = h.entry(app_id.to_owned()).or_default();
        if h.issued.insert(nonce.to_owned(), timestamp).is_none() {
            h.order.push_back(nonce.to_owned());
            if h.order.len() > NONCE_MEMORY {
                if let Some(old) = h.order.pop_front() {
                    h.issued.remove(&old);
                }
            }
        }
    }

    /// Earlier tickets (not `current`), newest first.
    pub(crate) fn previous_tickets(&self, app_id: &str, current: &str) -> Vec<String> {
        let h = self
            .0
            .history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        h.get(app_id)
            .map(|h| {
                h.tickets
                    .iter()
                    .filter(|t| *t != current)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn issued(&self, app_id: &str, nonce: &str) -> Option<u64> {
        let h = self
            .0
            .history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        h.get(app_id).and_then(|h| h.issued.get(nonce).copied())
    }
}
