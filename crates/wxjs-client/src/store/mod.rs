//! Where cached credentials live, behind one async trait usable as `Arc<dyn CredentialStore>`:
//! in memory ([`MemoryStore`]), in SQLite (`SqliteStore`, feature `sqlite`: the embedded
//! default, survives a restart) or in Redis (`RedisStore`, feature `redis`: shared by many
//! instances). Both features are on by default.
//!
//! Every write is a compare-and-set on the value the writer last saw, so a slow refresher can
//! never overwrite a newer value; expiring a rejected token is a compare-and-expire; refreshes are
//! serialised across instances by a lease with a holder id and a bounded lifetime.

mod memory;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[cfg(feature = "redis")]
pub use self::redis::RedisStore;
use crate::error::StoreError;
pub use memory::MemoryStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

/// The forms a Redis URL takes, for messages about one that is not.
pub const REDIS_URL_FORMS: &str = "redis://host:port/db, rediss:// for TLS, or redis+unix:///path";
/// The schemes a Redis URL starts with.
pub const REDIS_URL_SCHEMES: [&str; 4] = ["redis://", "rediss://", "redis+unix://", "unix://"];

/// Which credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The account's `access_token`.
    AccessToken,
    /// The `jsapi_ticket`.
    JsapiTicket,
    /// The card `api_ticket` (`wx_card`).
    CardTicket,
}

impl Kind {
    /// All kinds.
    pub const ALL: [Kind; 3] = [Kind::AccessToken, Kind::JsapiTicket, Kind::CardTicket];

    /// The name used in keys, logs and metrics.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token",
            Self::JsapiTicket => "jsapi_ticket",
            Self::CardTicket => "card_ticket",
        }
    }

    /// Words for messages.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::AccessToken => "access token",
            Self::JsapiTicket => "jsapi ticket",
            Self::CardTicket => "card ticket",
        }
    }
}

/// A cached credential with its lifetime on the cache's clock.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// The token or ticket.
    pub value: String,
    /// When it was fetched from the platform.
    pub fetched_at: u64,
    /// When it stops being valid (0 once expired on purpose).
    pub expires_at: u64,
}

impl Stored {
    /// Whether it is valid at `now`.
    #[must_use]
    pub fn is_valid(&self, now: u64) -> bool {
        !self.value.is_empty() && now < self.expires_at
    }

    /// The lifetime the platform gave it.
    #[must_use]
    pub fn lifetime(&self) -> u64 {
        self.expires_at.saturating_sub(self.fetched_at)
    }
}

impl std::fmt::Debug for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stored")
            .field("value", &"[redacted]")
            .field("fetched_at", &self.fetched_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A credential store. Implementations must make `compare_and_set`, `compare_and_expire` and
/// `try_lease` atomic with respect to every other user of the same store.
#[async_trait::async_trait]
pub trait CredentialStore: Send + Sync + std::fmt::Debug {
    /// The stored credential, if any (valid or not).
    async fn get(&self, app: &str, kind: Kind) -> Result<Option<Stored>, StoreError>;

    /// Writes `new` only if the store still holds `expected` (compared by value; `None` means
    /// nothing stored). Returns whether it wrote.
    async fn compare_and_set(
        &self,
        app: &str,
        kind: Kind,
        expected: Option<&str>,
        new: &Stored,
    ) -> Result<bool, StoreError>;

    /// Marks the credential expired only if the store still holds `value`. Returns whether it did.
    async fn compare_and_expire(
        &self,
        app: &str,
        kind: Kind,
        value: &str,
    ) -> Result<bool, StoreError>;

    /// Takes the refresh lease of a credential for `lifetime`, if no one holds it or the holder's
    /// lease lapsed. Returns whether `holder` now holds it.
    async fn try_lease(
        &self,
        app: &str,
        kind: Kind,
        holder: &str,
        lifetime: Duration,
    ) -> Result<bool, StoreError>;

    /// Gives the lease back, if `holder` still holds it.
    async fn release_lease(&self, app: &str, kind: Kind, holder: &str) -> Result<(), StoreError>;

    /// Whether the store answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// `memory`, `sqlite` or `redis`.
    fn name(&self) -> &'static str;
}

/// The key of a credential: `{namespace}:{env}:{app}:{kind}`.
#[must_use]
pub fn key(namespace: &str, env: &str, app: &str, kind: Kind) -> String {
    format!("{namespace}:{env}:{app}:{}", kind.as_str())
}

/// Milliseconds since the epoch on the system clock: leases measure real time, whatever clock
/// the credentials follow, because they guard against real processes dying.
pub(crate) fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
