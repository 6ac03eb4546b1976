//! [`Credentials`]: the credential cache of one process, for many accounts.
//!
//! - Readers get the cached value without waiting while it is valid. The access token is
//!   refreshed ahead of expiry in the background; tickets are refreshed when they expire, because
//!   the platform hands out the same ticket for its whole lifetime (asking earlier only spends
//!   quota).
//! - **Single flight**: one refresh per credential at a time in this process.
//! - **Across instances**: a refresh takes the store's lease first, then re-reads the store (a
//!   value published meanwhile is adopted, not fetched again), then fetches and writes with a
//!   compare-and-set on the value it saw. Instances without the lease wait for the leader's
//!   value, or for its lease to lapse if it died.
//! - A call rejected with 40001/40014/42001 expires that token only if the store still holds it,
//!   refreshes once and retries once.
//! - -1, 5xx, timeouts: exponential backoff with jitter; 45009/45011: no platform calls until the
//!   quota window passes. Valid values keep being served meanwhile; errors and empty values are
//!   never cached.
//! - The store is treated like the platform: every operation is bounded by `store_timeout`, and
//!   a failure closes the store's own backoff gate, so that during an outage one caller per
//!   window makes one short attempt and everybody else is answered at once (the valid local
//!   value, or an error with `retry_after`).
//! - Backoff windows follow the cache's clock, like every lifetime (a test that moves the clock
//!   moves them too); a failing state is logged when it begins and when it ends, the failures
//!   between only counted in the metrics.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::{Mutex, RwLock};
use std::time::{Duration, Instant};

use rand::Rng;
use serde::Serialize;
use wxjs_platform::ErrCode;
use wxjs_platform::ticket::TicketType;
use wxjs_sign::{AccessToken, AppSecret, CardTicket, JsapiTicket, PageUrl};

use crate::clock::{Clock, SystemClock};
use crate::error::{ClientError, CredentialError, StoreError};
use crate::metrics::{Metrics, MetricsSnapshot};
use crate::platform::{Fetched, PlatformClient};
use crate::store::{CredentialStore, Kind, MemoryStore, Stored};

/// How the access token is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TokenMode {
    /// `GET /cgi-bin/token`: a new token each call.
    #[default]
    Basic,
    /// `POST /cgi-bin/stable_token`: the same token while valid, rotated 5 minutes before expiry.
    Stable,
}

/// Tuning of the cache. The defaults suit production.
#[derive(Debug, Clone)]
pub struct CacheOptions {
    /// `Basic` or `Stable`.
    pub token_mode: TokenMode,
    /// A basic token is refreshed once this share of its lifetime has passed.
    pub refresh_ratio: f64,
    /// Each instance starts its background refresh up to this share of the lifetime later, so
    /// that instances do not all try at once.
    pub refresh_jitter: f64,
    /// The refresh lease's lifetime: longer than a platform call's timeout.
    pub lease: Duration,
    /// How often a waiting instance looks for the leader's value.
    pub poll: Duration,
    /// The first backoff after a failed refresh.
    pub backoff_base: Duration,
    /// The longest backoff.
    pub backoff_max: Duration,
    /// The longest a store operation may take before it counts as failed.
    pub store_timeout: Duration,
    /// Each backoff is shortened by a random share up to this (0.5: it lasts between half and
    /// all of its window), so that instances do not retry in step. 0 makes backoff exact.
    pub backoff_jitter: f64,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            token_mode: TokenMode::Basic,
            refresh_ratio: 0.8,
            refresh_jitter: 0.05,
            lease: Duration::from_secs(15),
            poll: Duration::from_millis(50),
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            store_timeout: Duration::from_secs(2),
            backoff_jitter: 0.5,
        }
    }
}

/// A stable token is refreshed this long before it expires: inside the platform's 5-minute
/// rotation window, so the call yields the next token.
const STABLE_REFRESH_BEFORE: u64 = 240;

#[derive(Debug, Default)]
struct Gate {
    failures: u32,
    /// Milliseconds on the cache's clock.
    next_try: Option<u64>,
    quota_until: u64,
    last: Option<ClientError>,
    store_failures: u32,
    /// Milliseconds on the cache's clock.
    store_next_try: Option<u64>,
    store_last: Option<StoreError>,
}

#[derive(Debug, Default)]
struct Slot {
    local: RwLock<Option<Stored>>,
    refresh_at: AtomicU64,
    flight: tokio::sync::Mutex<()>,
    background: AtomicBool,
    gate: Mutex<Gate>,
    /// Values this process held before the current one, newest first (for diagnosis: a page
    /// signed with a ticket that has since been replaced).
    previous: Mutex<std::collections::VecDeque<String>>,
}

/// Earlier values remembered per credential.
const PREVIOUS_KEPT: usize = 5;

/// Keeps `old`, a value this process held, among the slot's earlier values (newest first).
fn remember_previous(slot: &Slot, old: String) {
    let mut prev = slot.previous.lock();
    prev.retain(|v| *v != old);
    prev.push_front(old);
    prev.truncate(PREVIOUS_KEPT);
}

impl Slot {
    fn valid(&self, now: u64) -> Option<Stored> {
        self.local
            .read()
            .as_ref()
            .filter(|s| s.is_valid(now))
            .cloned()
    }

    fn gate(&self) -> parking_lot::MutexGuard<'_, Gate> {
        self.gate.lock()
    }
}

#[derive(Debug)]
struct App {
    id: String,
    secret: AppSecret,
    slots: [Slot; 3],
}

impl App {
    fn slot(&self, kind: Kind) -> &Slot {
        &self.slots[kind as usize]
    }
}

struct Inner {
    client: PlatformClient,
    store: Arc<dyn CredentialStore>,
    clock: Arc<dyn Clock>,
    apps: HashMap<String, App>,
    holder: String,
    opts: CacheOptions,
    metrics: Arc<Metrics>,
}

/// The credential cache. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Credentials {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("apps", &self.inner.apps.keys().collect::<Vec<_>>())
            .field("store", &self.inner.store.name())
            .field("holder", &self.inner.holder)
            .finish_non_exhaustive()
    }
}

/// Builds [`Credentials`].
#[derive(Debug)]
pub struct CredentialsBuilder {
    client: PlatformClient,
    store: Option<Arc<dyn CredentialStore>>,
    clock: Option<Arc<dyn Clock>>,
    apps: Vec<(String, AppSecret)>,
    opts: CacheOptions,
}

impl CredentialsBuilder {
    /// Adds an account.
    #[must_use]
    pub fn app(mut self, app_id: &str, secret: AppSecret) -> Self {
        self.apps.push((app_id.to_owned(), secret));
        self
    }

    /// The store (memory when not set).
    #[must_use]
    pub fn store(mut self, store: Arc<dyn CredentialStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The clock (the system's when not set).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Tuning.
    #[must_use]
    pub fn options(mut self, opts: CacheOptions) -> Self {
        self.opts = opts;
        self
    }

    /// The cache.
    #[must_use]
    pub fn build(self) -> Credentials {
        let metrics = Arc::new(Metrics::default());
        let observed = metrics.clone();
        let client = self
            .client
            .observe(move |c| observed.call(c.endpoint, c.outcome));
        let apps = self
            .apps
            .into_iter()
            .map(|(id, secret)| {
                (
                    id.clone(),
                    App {
                        id,
                        secret,
                        slots: Default::default(),
                    },
                )
            })
            .collect();
        Credentials {
            inner: Arc::new(Inner {
                client,
                store: self.store.unwrap_or_else(|| Arc::new(MemoryStore::new())),
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
                apps,
                holder: format!("{}-{}", std::process::id(), wxjs_sign::nonce_of_len(12)),
                opts: self.opts,
                metrics,
            }),
        }
    }
}

/// What `wx.config` needs, signed for a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WxConfig {
    /// The appId.
    pub app_id: String,
    /// Seconds since the epoch (a number in JSON).
    pub timestamp: u64,
    /// The nonce.
    pub nonce_str: String,
    /// The SHA-1 signature.
    pub signature: String,
    /// The signed URL (without `#…`).
    pub url: String,
}

/// What the cache holds for one credential, without the value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CachedInfo {
    /// The appId.
    pub app_id: String,
    /// Which credential.
    pub kind: Kind,
    /// When it was fetched.
    pub fetched_at: u64,
    /// When it expires.
    pub expires_at: u64,
}

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Credentials {
    /// Starts building a cache that talks to the platform through `client`.
    #[must_use]
    pub fn builder(client: PlatformClient) -> CredentialsBuilder {
        CredentialsBuilder {
            client,
            store: None,
            clock: None,
            apps: Vec::new(),
            opts: CacheOptions::default(),
        }
    }

    /// Whether the account is configured.
    #[must_use]
    pub fn has_app(&self, app_id: &str) -> bool {
        self.inner.apps.contains_key(app_id)
    }

    /// The configured appIds.
    #[must_use]
    pub fn app_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.inner.apps.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Now, on the cache's clock.
    #[must_use]
    pub fn now(&self) -> u64 {
        self.inner.clock.now()
    }

    /// The counters.
    #[must_use]
    pub fn metrics(&self) -> MetricsSnapshot {
        self.inner.metrics.snapshot()
    }

    /// The store's name.
    #[must_use]
    pub fn store_name(&self) -> &'static str {
        self.inner.store.name()
    }

    /// Whether the store answers.
    pub async fn ping_store(&self) -> Result<(), CredentialError> {
        tokio::time::timeout(self.inner.opts.store_timeout, self.inner.store.ping())
            .await
            .unwrap_or_else(|_| Err(StoreError::new("no answer to ping")))
            .map_err(|source| CredentialError::Store {
                kind: "store",
                source,
                retry_after: 1,
            })
    }

    /// What this process holds, without values (for credential-age metrics).
    #[must_use]
    pub fn cached(&self) -> Vec<CachedInfo> {
        let mut out = Vec::new();
        for app in self.inner.apps.values() {
            for kind in Kind::ALL {
                if let Some(s) = app.slot(kind).local.read().as_ref() {
                    out.push(CachedInfo {
                        app_id: app.id.clone(),
                        kind,
                        fetched_at: s.fetched_at,
                        expires_at: s.expires_at,
                    });
                }
            }
        }
        out.sort_by(|a, b| (&a.app_id, a.kind).cmp(&(&b.app_id, b.kind)));
        out
    }

    /// Values of a credential this process held before the current one, newest first (at most
    /// five): what a page may have signed with before a rotation.
    #[must_use]
    pub fn previous_values(&self, app_id: &str, kind: Kind) -> Vec<String> {
        self.inner
            .apps
            .get(app_id)
            .map(|a| a.slot(kind).previous.lock().iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The account's access token.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), wxjs_client::CredentialError> {
    /// use wxjs_client::{Credentials, PlatformClient};
    /// use wxjs_sign::AppSecret;
    /// let creds = Credentials::builder(PlatformClient::new())
    ///     .app("wxf8b4f85f3a794e77", AppSecret::new(std::env::var("APP_SECRET").unwrap()))
    ///     .build();
    /// let token = creds.access_token("wxf8b4f85f3a794e77").await?;
    /// # let _ = token; Ok(()) }
    /// ```
    pub async fn access_token(&self, app_id: &str) -> Result<AccessToken, CredentialError> {
        Ok(AccessToken::new(
            self.get(app_id, Kind::AccessToken).await?.value,
        ))
    }

    /// The account's jsapi ticket.
    pub async fn jsapi_ticket(&self, app_id: &str) -> Result<JsapiTicket, CredentialError> {
        Ok(JsapiTicket::new(
            self.get(app_id, Kind::JsapiTicket).await?.value,
        ))
    }

    /// The account's card api_ticket.
    pub async fn card_ticket(&self, app_id: &str) -> Result<CardTicket, CredentialError> {
        Ok(CardTicket::new(
            self.get(app_id, Kind::CardTicket).await?.value,
        ))
    }

    /// `wx.config` parameters for a page, signed with the current jsapi ticket.
    ///
    /// ```no_run
    /// # async fn demo(creds: wxjs_client::Credentials) -> Result<(), Box<dyn std::error::Error>> {
    /// let page = wxjs_sign::PageUrl::parse("https://h5.example.com/activity?id=7#/share")?;
    /// let config = creds.sign_config("wxf8b4f85f3a794e77", &page).await?;
    /// assert_eq!(config.url, "https://h5.example.com/activity?id=7");
    /// # Ok(()) }
    /// ```
    pub async fn sign_config(
        &self,
        app_id: &str,
        page: &PageUrl,
    ) -> Result<WxConfig, CredentialError> {
        let ticket = self.jsapi_ticket(app_id).await?;
        let nonce = wxjs_sign::nonce_str();
        let timestamp = wxjs_sign::timestamp_now();
        let url = page.for_signing();
        let signature = wxjs_sign::ConfigParams {
            url,
            timestamp,
            nonce_str: &nonce,
        }
        .sign(&ticket)
        .into_parts()
        .1;
        Ok(WxConfig {
            app_id: app_id.to_owned(),
            timestamp,
            nonce_str: nonce,
            signature,
            url: url.to_owned(),
        })
    }

    /// Passive refresh: a call made with `token` was rejected (40001/40014/42001). Expires it
    /// here, and in the store only if the store still holds it, so that a token another instance
    /// already replaced is left alone. Returns whether the store's value was expired.
    pub async fn invalidate_token(
        &self,
        app_id: &str,
        token: &str,
    ) -> Result<bool, CredentialError> {
        let app = self.app(app_id)?;
        {
            let mut local = app.slot(Kind::AccessToken).local.write();
            if local.as_ref().is_some_and(|s| s.value == token) {
                *local = None;
            }
        }
        // Like every store operation: bounded, and not tried while the store backs off.
        let slot = app.slot(Kind::AccessToken);
        if let Some(e) = self.store_gate_closed(slot, Kind::AccessToken) {
            return Err(e);
        }
        self.store_op(
            slot,
            app_id,
            Kind::AccessToken,
            self.inner
                .store
                .compare_and_expire(app_id, Kind::AccessToken, token),
        )
        .await
    }

    /// Forgets every credential of every app, here and in the store (each stored value is
    /// expired only if it is still the one read, as [`Credentials::invalidate_token`] does): for
    /// a platform that forgot them itself, such as the simulator after `POST /__sim/reset`. The
    /// next read fetches afresh. Backoff gates are opened too: the new platform state owes
    /// nothing to the old one's failures.
    ///
    /// # Errors
    /// The first store error; the local values are forgotten whatever the store answers.
    pub async fn forget_all(&self) -> Result<(), CredentialError> {
        let mut first_error = None;
        for app in self.inner.apps.values() {
            for kind in Kind::ALL {
                let slot = app.slot(kind);
                // A refresh in flight finishes first (else it would publish a value of the
                // forgotten state afterwards); none starts until this slot is done.
                let _flight = slot.flight.lock().await;
                // The store first: once the local copy is gone, a reader must not adopt the old
                // value from the store.
                let stored = self
                    .store_op(slot, &app.id, kind, self.inner.store.get(&app.id, kind))
                    .await;
                let expired = match stored {
                    Ok(Some(s)) => {
                        self.store_op(
                            slot,
                            &app.id,
                            kind,
                            self.inner.store.compare_and_expire(&app.id, kind, &s.value),
                        )
                        .await
                    }
                    Ok(None) => Ok(false),
                    Err(e) => Err(e),
                };
                if let Err(e) = expired {
                    first_error.get_or_insert(e);
                }
                if let Some(old) = slot.local.write().take() {
                    remember_previous(slot, old.value);
                }
                slot.refresh_at.store(0, Ordering::Relaxed);
                *slot.gate() = Gate::default();
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Runs a platform call with the access token; if the platform rejects the token, expires it
    /// (compare-and-expire), gets a fresh one and runs the call once more — never a loop.
    pub async fn with_access_token<T, F, Fut>(&self, app_id: &str, call: F) -> Result<T, CallError>
    where
        F: Fn(AccessToken) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let token = self.get(app_id, Kind::AccessToken).await?;
        match call(AccessToken::new(token.value.clone())).await {
            Err(e) if e.is_invalid_credential() => {
                tracing::warn!(app = app_id, errcode = ?e.errcode().map(ErrCode::code), "access token rejected; refreshing once");
                self.invalidate_token(app_id, &token.value).await?;
                let fresh = self.get(app_id, Kind::AccessToken).await?;
                Ok(call(AccessToken::new(fresh.value)).await?)
            }
            other => Ok(other?),
        }
    }

    fn app(&self, app_id: &str) -> Result<&App, CredentialError> {
        self.inner
            .apps
            .get(app_id)
            .ok_or_else(|| CredentialError::UnknownApp(app_id.to_owned()))
    }

    /// A credential with its lifetime.
    pub async fn get(&self, app_id: &str, kind: Kind) -> Result<Stored, CredentialError> {
        let app = self.app(app_id)?;
        let slot = app.slot(kind);
        let now = self.now();
        self.inner.metrics.read();
        if let Some(v) = slot.valid(now) {
            if now >= slot.refresh_at.load(Ordering::Relaxed) && self.refreshes_ahead(kind) {
                self.spawn_refresh(app_id, kind);
            }
            return Ok(v);
        }
        // Boxed: a read answered from memory (nearly all of them) then never lays out the
        // refresh's large state machine, and every caller's future stays small.
        Box::pin(self.refresh(app, kind, false)).await
    }

    fn get_boxed<'a>(
        &'a self,
        app_id: &'a str,
        kind: Kind,
    ) -> BoxFut<'a, Result<Stored, CredentialError>> {
        Box::pin(self.get(app_id, kind))
    }

    fn refreshes_ahead(&self, kind: Kind) -> bool {
        kind == Kind::AccessToken
    }

    /// When a value is due for refresh, the same for every instance.
    fn due_at(&self, kind: Kind, s: &Stored) -> u64 {
        match kind {
            Kind::AccessToken => match self.inner.opts.token_mode {
                TokenMode::Basic => {
                    // The ratio is a share, so the product fits the lifetime.
                    #[allow(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        clippy::cast_precision_loss
                    )]
                    let ahead = (s.lifetime() as f64 * self.inner.opts.refresh_ratio) as u64;
                    s.fetched_at + ahead
                }
                TokenMode::Stable => s
                    .expires_at
                    .saturating_sub(STABLE_REFRESH_BEFORE)
                    .max(s.fetched_at),
            },
            Kind::JsapiTicket | Kind::CardTicket => s.expires_at,
        }
    }

    fn due(&self, kind: Kind, s: &Stored, now: u64) -> bool {
        now >= self.due_at(kind, s)
    }

    fn adopt(&self, slot: &Slot, kind: Kind, s: &Stored) {
        let due = self.due_at(kind, s);
        let room = s.expires_at.saturating_sub(due);
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let spread = ((s.lifetime() as f64 * self.inner.opts.refresh_jitter) as u64).min(room / 2);
        let jitter = if spread > 0 {
            rand::rng().random_range(0..=spread)
        } else {
            0
        };
        let replaced = slot.local.write().replace(s.clone());
        if let Some(old) = replaced.filter(|o| o.value != s.value) {
            slot.previous.lock().retain(|v| *v != s.value);
            remember_previous(slot, old.value);
        }
        slot.refresh_at.store(due + jitter, Ordering::Relaxed);
    }

    fn spawn_refresh(&self, app_id: &str, kind: Kind) {
        let Ok(app) = self.app(app_id) else { return };
        if app.slot(kind).background.swap(true, Ordering::AcqRel) {
            return;
        }
        let this = self.clone();
        let app_id = app_id.to_owned();
        tokio::spawn(async move {
            if let Ok(app) = this.app(&app_id) {
                let _ = this.refresh(app, kind, true).await;
                app.slot(kind).background.store(false, Ordering::Release);
            }
        });
    }

    /// A valid local value if there is one, else the error.
    fn fallback(slot: &Slot, now: u64, err: CredentialError) -> Result<Stored, CredentialError> {
        slot.valid(now).ok_or(err)
    }

    fn gate_closed(&self, slot: &Slot, kind: Kind, now: u64) -> Option<CredentialError> {
        let g = slot.gate();
        let last = || g.last.clone().unwrap_or(ClientError::Timeout);
        if g.quota_until > now {
            return Some(CredentialError::Platform {
                kind: kind.describe(),
                source: last(),
                retry_after: g.quota_until - now,
            });
        }
        let wait = g.next_try?.checked_sub(self.inner.clock.now_millis())?;
        // A wait longer than any window means the clock went back (a simulator reset): open.
        (wait > 0 && self.within_window(wait)).then(|| CredentialError::Platform {
            kind: kind.describe(),
            source: last(),
            retry_after: wait / 1000 + 1,
        })
    }

    fn gate_failed(&self, slot: &Slot, app_id: &str, kind: Kind, e: &ClientError) -> u64 {
        let mut g = slot.gate();
        g.last = Some(e.clone());
        self.inner.metrics.refresh(kind.as_str(), "failed");
        if e.is_quota() {
            let now = self.now();
            g.quota_until = if e.errcode() == Some(ErrCode::DailyQuota) {
                wxjs_platform::quota::next_beijing_midnight(now)
            } else {
                wxjs_platform::quota::next_minute(now)
            };
            self.inner.metrics.quota_block();
            tracing::warn!(
                app = app_id,
                kind = kind.as_str(),
                errcode = e.errcode().map(ErrCode::code),
                retry_in_secs = g.quota_until - now,
                "platform quota reached: no more calls until the quota window passes; valid values are still served"
            );
            return g.quota_until - now;
        }
        g.failures += 1;
        let (delay, until) = self.backoff(g.failures);
        g.next_try = Some(until);
        let backoff_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        // The change of state is logged; the failures that follow are counted in the metrics.
        if g.failures == 1 {
            tracing::error!(app = app_id, kind = kind.as_str(), error = %e, backoff_ms,
                "refresh failing; backing off (valid values are still served; logged again when it recovers)");
        } else {
            tracing::debug!(app = app_id, kind = kind.as_str(), error = %e, failures = g.failures, backoff_ms, "refresh failed again");
        }
        delay.as_secs() + 1
    }

    fn gate_ok(slot: &Slot, app_id: &str, kind: Kind) {
        let mut g = slot.gate();
        if g.failures > 0 || g.quota_until > 0 {
            tracing::info!(
                app = app_id,
                kind = kind.as_str(),
                failures = g.failures,
                "refresh recovered"
            );
        }
        g.failures = 0;
        g.next_try = None;
        g.quota_until = 0;
        g.last = None;
    }

    /// The backoff after the `failures`-th failure in a row: the base doubling up to the
    /// maximum, shortened by the configured random share; and the time (ms on the cache's
    /// clock) when the window ends. The platform's gate and the store's share it.
    fn backoff(&self, failures: u32) -> (Duration, u64) {
        let o = &self.inner.opts;
        let window = o
            .backoff_base
            .saturating_mul(1 << failures.saturating_sub(1).min(16))
            .min(o.backoff_max);
        let j = o.backoff_jitter.clamp(0.0, 1.0);
        let delay = if j == 0.0 {
            window
        } else {
            window.mul_f64(rand::rng().random_range((1.0 - j)..=1.0))
        };
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        (delay, self.inner.clock.now_millis().saturating_add(ms))
    }

    /// Whether a wait (ms) fits in a backoff window; one that does not means the clock went
    /// back since the window was set.
    fn within_window(&self, wait_ms: u64) -> bool {
        u128::from(wait_ms) <= self.inner.opts.backoff_max.as_millis()
    }

    /// The store's backoff gate, when it is closed.
    fn store_gate_closed(&self, slot: &Slot, kind: Kind) -> Option<CredentialError> {
        let g = slot.gate();
        let wait = g
            .store_next_try?
            .checked_sub(self.inner.clock.now_millis())?;
        (wait > 0 && self.within_window(wait)).then(|| CredentialError::Store {
            kind: kind.describe(),
            source: g
                .store_last
                .clone()
                .unwrap_or_else(|| StoreError::new("unavailable")),
            retry_after: wait / 1000 + 1,
        })
    }

    /// Runs a store operation bounded by the store timeout. A failure closes the store's
    /// backoff gate (exponential, with jitter, like the platform's); a success after failures
    /// opens it again. Each change of state is logged once.
    async fn store_op<T>(
        &self,
        slot: &Slot,
        app_id: &str,
        kind: Kind,
        op: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, CredentialError> {
        let result = match tokio::time::timeout(self.inner.opts.store_timeout, op).await {
            Ok(r) => r,
            Err(_) => Err(StoreError::new(format!(
                "no answer within {} ms",
                self.inner.opts.store_timeout.as_millis()
            ))),
        };
        let mut g = slot.gate();
        match result {
            Ok(v) => {
                if g.store_failures > 0 {
                    tracing::info!(
                        app = app_id,
                        kind = kind.as_str(),
                        failures = g.store_failures,
                        "credential store recovered"
                    );
                    g.store_failures = 0;
                    g.store_next_try = None;
                    g.store_last = None;
                }
                Ok(v)
            }
            Err(e) => {
                g.store_failures += 1;
                let (delay, until) = self.backoff(g.store_failures);
                g.store_next_try = Some(until);
                g.store_last = Some(e.clone());
                self.inner.metrics.refresh(kind.as_str(), "store_failed");
                let backoff_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
                if g.store_failures == 1 {
                    tracing::error!(app = app_id, kind = kind.as_str(), error = %e, backoff_ms,
                        "credential store failing; backing off (valid values are still served; logged again when it recovers)");
                } else {
                    tracing::debug!(app = app_id, kind = kind.as_str(), error = %e, failures = g.store_failures, backoff_ms, "credential store failed again");
                }
                Err(CredentialError::Store {
                    kind: kind.describe(),
                    source: e,
                    retry_after: delay.as_secs() + 1,
                })
            }
        }
    }

    async fn refresh(
        &self,
        app: &App,
        kind: Kind,
        background: bool,
    ) -> Result<Stored, CredentialError> {
        let slot = app.slot(kind);
        // During a store outage nobody queues for the flight: one attempt per window.
        if let Some(e) = self.store_gate_closed(slot, kind) {
            return Self::fallback(slot, self.now(), e);
        }
        let _flight = slot.flight.lock().await;
        let deadline = Instant::now() + self.inner.opts.lease * 2 + Duration::from_secs(2);
        loop {
            let now = self.now();
            // A refresh may have finished while this one waited for the flight.
            if let Some(v) = slot.valid(now)
                && (!background || !self.due(kind, &v, now))
            {
                return Ok(v);
            }
            // The store may have failed for the caller ahead in the flight.
            if let Some(e) = self.store_gate_closed(slot, kind) {
                return Self::fallback(slot, now, e);
            }
            // Another instance may have published a value.
            let stored = match self
                .store_op(slot, &app.id, kind, self.inner.store.get(&app.id, kind))
                .await
            {
                Ok(s) => s,
                Err(e) => return Self::fallback(slot, now, e),
            };
            if let Some(s) = stored
                .as_ref()
                .filter(|s| s.is_valid(now) && !self.due(kind, s, now))
            {
                self.adopt(slot, kind, s);
                self.inner.metrics.refresh(kind.as_str(), "adopted");
                return Ok(s.clone());
            }
            if let Some(e) = self.gate_closed(slot, kind, now) {
                return Self::fallback(slot, now, e);
            }
            let leased = match self
                .store_op(
                    slot,
                    &app.id,
                    kind,
                    self.inner.store.try_lease(
                        &app.id,
                        kind,
                        &self.inner.holder,
                        self.inner.opts.lease,
                    ),
                )
                .await
            {
                Ok(l) => l,
                Err(e) => return Self::fallback(slot, now, e),
            };
            if leased {
                let result = self.refresh_under_lease(app, kind).await;
                let released = tokio::time::timeout(
                    self.inner.opts.store_timeout,
                    self.inner
                        .store
                        .release_lease(&app.id, kind, &self.inner.holder),
                )
                .await
                .unwrap_or_else(|_| Err(StoreError::new("no answer to the lease release")));
                if let Err(e) = released {
                    tracing::warn!(app = %app.id, kind = kind.as_str(), error = %e, "cannot release the refresh lease; it lapses by itself");
                }
                return result.or_else(|e| Self::fallback(slot, self.now(), e));
            }
            if background {
                // The leader will publish; look again on a later read.
                slot.refresh_at.store(now + 1, Ordering::Relaxed);
                return Self::fallback(slot, now, CredentialError::Busy(kind.describe()));
            }
            if Instant::now() >= deadline {
                return Err(CredentialError::Busy(kind.describe()));
            }
            tokio::time::sleep(self.inner.opts.poll).await;
        }
    }

    async fn refresh_under_lease(&self, app: &App, kind: Kind) -> Result<Stored, CredentialError> {
        let slot = app.slot(kind);
        // Re-read under the lease: the previous holder may have just published.
        let now = self.now();
        let stored = self
            .store_op(slot, &app.id, kind, self.inner.store.get(&app.id, kind))
            .await?;
        if let Some(s) = stored
            .as_ref()
            .filter(|s| s.is_valid(now) && !self.due(kind, s, now))
        {
            self.adopt(slot, kind, s);
            self.inner.metrics.refresh(kind.as_str(), "adopted");
            return Ok(s.clone());
        }
        let fetched = match self.fetch(app, kind).await {
            Ok(f) => f,
            Err(FetchError::Platform(e)) => {
                let retry_after = self.gate_failed(slot, &app.id, kind, &e);
                return Err(CredentialError::Platform {
                    kind: kind.describe(),
                    source: e,
                    retry_after,
                });
            }
            Err(FetchError::Credential(e)) => return Err(e),
        };
        Self::gate_ok(slot, &app.id, kind);
        let now = self.now();
        let mut new = Stored {
            value: fetched.value,
            fetched_at: now,
            expires_at: now + fetched.expires_in,
        };
        // The same value again (a ticket within its lifetime): never extend its life.
        if let Some(old) = stored
            .as_ref()
            .filter(|o| o.value == new.value && o.expires_at > now)
        {
            new.expires_at = new.expires_at.min(old.expires_at);
        }
        let expected = stored.as_ref().map(|s| s.value.as_str());
        match self
            .store_op(
                slot,
                &app.id,
                kind,
                self.inner
                    .store
                    .compare_and_set(&app.id, kind, expected, &new),
            )
            .await
        {
            Ok(true) => {
                tracing::info!(app = %app.id, kind = kind.as_str(), expires_in = new.expires_at - now, "refreshed");
                self.inner.metrics.refresh(kind.as_str(), "ok");
                self.adopt(slot, kind, &new);
                Ok(new)
            }
            Ok(false) => {
                // Someone wrote meanwhile (this refresh outlived its lease): theirs stands.
                let theirs = self
                    .store_op(slot, &app.id, kind, self.inner.store.get(&app.id, kind))
                    .await?;
                let chosen = theirs.filter(|t| t.is_valid(now)).unwrap_or(new);
                tracing::warn!(app = %app.id, kind = kind.as_str(), "store changed during the refresh; keeping the stored value");
                self.inner.metrics.refresh(kind.as_str(), "adopted");
                self.adopt(slot, kind, &chosen);
                Ok(chosen)
            }
            Err(e) => {
                tracing::warn!(app = %app.id, kind = kind.as_str(), error = %e, "cannot store the refreshed value; using it in this process only");
                self.adopt(slot, kind, &new);
                Ok(new)
            }
        }
    }

    async fn fetch(&self, app: &App, kind: Kind) -> Result<Fetched, FetchError> {
        let client = &self.inner.client;
        let ticket_type = match kind {
            Kind::AccessToken => {
                return match self.inner.opts.token_mode {
                    TokenMode::Basic => client.get_access_token(&app.id, &app.secret).await,
                    TokenMode::Stable => client.get_stable_token(&app.id, &app.secret, false).await,
                }
                .map_err(FetchError::Platform);
            }
            Kind::JsapiTicket => TicketType::Jsapi,
            Kind::CardTicket => TicketType::WxCard,
        };
        let token = self.get_boxed(&app.id, Kind::AccessToken).await?;
        match client
            .get_ticket(&AccessToken::new(token.value.clone()), ticket_type)
            .await
        {
            Err(e) if e.is_invalid_credential() => {
                tracing::warn!(app = %app.id, errcode = ?e.errcode().map(ErrCode::code), "access token rejected while fetching a ticket; refreshing it once");
                self.invalidate_token(&app.id, &token.value).await?;
                let fresh = self.get_boxed(&app.id, Kind::AccessToken).await?;
                client
                    .get_ticket(&AccessToken::new(fresh.value), ticket_type)
                    .await
                    .map_err(FetchError::Platform)
            }
            other => other.map_err(FetchError::Platform),
        }
    }
}

enum FetchError {
    Platform(ClientError),
    Credential(CredentialError),
}

impl From<CredentialError> for FetchError {
    fn from(e: CredentialError) -> Self {
        Self::Credential(e)
    }
}

/// Why [`Credentials::with_access_token`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// No access token could be had.
    #[error(transparent)]
    Credential(#[from] CredentialError),
    /// The call itself failed.
    #[error(transparent)]
    Platform(#[from] ClientError),
}
