//! [`AppState`]: the service's shared state — accounts, the credential cache, API keys, the rate
//! limiter, metrics, and a short memory of tickets and issued nonces for `explain`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use subtle::ConstantTimeEq;
use wxjs_client::{
    CacheOptions, Clock, CredentialStore, Credentials, MemoryStore, PlatformClient, RedisStore,
    SqliteStore,
};

use crate::config::{ApiKey, AppConfig, ServiceConfig, StoreConfig};
use crate::error::ApiError;
use crate::metrics::Metrics;

/// Why the service cannot start.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the {0}")]
pub struct StartError(pub wxjs_client::StoreError);

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// An issued nonce: 10 random characters, the timestamp in 6, a 4-character seal.
const NONCE_RANDOM: usize = 10;
const NONCE_TS: usize = 6;
const NONCE_SEAL: usize = 4;
/// Addresses the rate limiter holds before it forgets those whose rate has recovered.
const PRUNE_ABOVE: usize = 100_000;
/// How often (in admissions per worker thread) the rate limiter's size is looked at.
const PRUNE_EVERY: u32 = 1024;

fn base62(mut n: u64, width: usize, out: &mut String) {
    let mut digits = [0u8; 16];
    for d in digits.iter_mut().take(width) {
        *d = BASE62[(n % 62) as usize];
        n /= 62;
    }
    digits[..width].reverse();
    out.extend(digits[..width].iter().map(|b| char::from(*b)));
}

fn from_base62(text: &str) -> Option<u64> {
    text.bytes().try_fold(0u64, |n, b| {
        let d = BASE62.iter().position(|c| *c == b)? as u64;
        n.checked_mul(62)?.checked_add(d)
    })
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
    pub(crate) metrics: Metrics,
    /// WeChat Pay's merchant API.
    pub(crate) pay: crate::pay::MerchantApi,
    /// Seals the timestamps the service puts into its nonces (a key of this process).
    nonce_seal: std::collections::hash_map::RandomState,
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
            metrics: Metrics::new(creds.clone()),
            pay: crate::pay::MerchantApi::new(&config.pay_base_url),
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
            nonce_seal: std::collections::hash_map::RandomState::new(),
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

    /// 429 with `Retry-After` when the caller exceeds its rate. The limiter forgets addresses whose
    /// rate has recovered once it holds more than [`PRUNE_ABOVE`] of them.
    pub(crate) fn rate_limit(&self, caller: IpAddr) -> Result<(), ApiError> {
        let Some(limiter) = &self.0.limiter else {
            return Ok(());
        };
        match limiter.check_key(&caller) {
            Ok(()) => {
                // Counting the limiter's entries locks each of its shards, so it is done once per
                // `PRUNE_EVERY` admissions of a worker thread, not on every request.
                thread_local!(static ADMITTED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) });
                let due = ADMITTED.with(|n| {
                    n.set(n.get().wrapping_add(1));
                    n.get() % PRUNE_EVERY == 0
                });
                if due && limiter.len() > PRUNE_ABOVE {
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
                        "too many requests from this address; slow down",
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

    fn seal(&self, random: &str, timestamp: u64) -> u64 {
        use std::hash::BuildHasher;
        self.0.nonce_seal.hash_one((random, timestamp)) % 62u64.pow(NONCE_SEAL as u32)
    }

    /// A fresh nonce for a signature made at `timestamp`. It carries the timestamp, sealed with
    /// a key of this process, so that `explain` can tell which timestamp went with a nonce this
    /// service issued — without a shared memory that every config request would lock.
    pub(crate) fn issue_nonce(&self, timestamp: u64) -> String {
        let mut nonce = String::with_capacity(NONCE_RANDOM + NONCE_TS + NONCE_SEAL);
        wxjs_sign::push_nonce(&mut nonce, NONCE_RANDOM);
        let seal = self.seal(&nonce, timestamp);
        base62(timestamp, NONCE_TS, &mut nonce);
        base62(seal, NONCE_SEAL, &mut nonce);
        nonce
    }

    /// The timestamp this process issued `nonce` with, if it issued it.
    pub(crate) fn issued(&self, nonce: &str) -> Option<u64> {
        if nonce.len() != NONCE_RANDOM + NONCE_TS + NONCE_SEAL || !nonce.is_ascii() {
            return None;
        }
        let (random, rest) = nonce.split_at(NONCE_RANDOM);
        let (ts, seal) = rest.split_at(NONCE_TS);
        let timestamp = from_base62(ts)?;
        (from_base62(seal)? == self.seal(random, timestamp)).then_some(timestamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> AppState {
        let config = ServiceConfig::from_toml(
            "[[apps]]\napp_id = \"wx1a2b3c4d5e6f7a8b\"\napp_secret = \"s\"\ndomains = [\"example.com\"]\n",
            &std::collections::HashMap::<String, String>::new(),
        )
        .unwrap();
        let creds = Credentials::builder(PlatformClient::with_base_url("http://127.0.0.1:9"))
            .app("wx1a2b3c4d5e6f7a8b", wxjs_sign::AppSecret::new("s"))
            .build();
        AppState::with_credentials(&config, creds)
    }

    /// The config endpoint took two global mutexes per request to remember issued nonces; the
    /// nonce now carries its timestamp under a seal of this process.
    #[test]
    fn config_requests_took_global_mutexes_to_remember_nonces() {
        let s = state();
        let n = s.issue_nonce(1_414_587_457);
        assert_eq!(n.len(), 20);
        assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(s.issued(&n), Some(1_414_587_457));
        // Another timestamp under the same random part, a foreign nonce, another process.
        let mut forged = n[..10].to_owned();
        base62(1_414_587_999, NONCE_TS, &mut forged);
        forged.push_str(&n[16..]);
        assert_eq!(s.issued(&forged), None);
        assert_eq!(s.issued("Wm3WZYTPz0wzccnW"), None);
        assert_eq!(state().issued(&n), None);
        assert_ne!(s.issue_nonce(1), s.issue_nonce(1));
    }
}
