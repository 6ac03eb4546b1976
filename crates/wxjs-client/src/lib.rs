//! The platform client and the credential cache of wxjs.
//!
//! - [`PlatformClient`]: an async client of the platform API (reqwest with rustls), base URL
//!   and timeouts configurable, typed answers and errors from `wxjs-platform`.
//! - [`Credentials`]: a cache of access tokens, jsapi tickets and card tickets for many accounts
//!   that makes at most one platform fetch per credential per expiry across every instance
//!   sharing a [`CredentialStore`] ([`MemoryStore`]; `SqliteStore` with the `sqlite` feature,
//!   `RedisStore` with `redis`; both on by default).
//!
//! The types a caller needs from the signing and platform crates ([`AppSecret`], [`PageUrl`],
//! [`ErrCode`], …) are re-exported here.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use wxjs_client::{AppSecret, Credentials, PageUrl, PlatformClient, SqliteStore};
//!
//! let store = SqliteStore::open(std::path::Path::new(".wxjs/credentials.sqlite3"), "prod")?;
//! let creds = Credentials::builder(PlatformClient::new())
//!     .app("wxf8b4f85f3a794e77", AppSecret::new(std::env::var("WX_APP_SECRET")?))
//!     .store(Arc::new(store))
//!     .build();
//! let page = PageUrl::parse("https://h5.example.com/activity?id=7")?;
//! let config = creds.sign_config("wxf8b4f85f3a794e77", &page).await?; // ready for wx.config
//! println!("{}", config.signature);
//! # Ok(()) }
//! ```

mod cache;
mod clock;
mod error;
mod metrics;
mod platform;
pub mod store;

pub use cache::{
    CacheOptions, CachedInfo, CallError, Credentials, CredentialsBuilder, TokenMode, WxConfig,
};
pub use clock::{Clock, MillisClock, SystemClock};
pub use error::{Cause, ClientError, CredentialError, StoreError};
pub use metrics::{Metrics, MetricsSnapshot};
pub use platform::{CallRecord, DEFAULT_TIMEOUT, Fetched, PlatformClient};
#[cfg(feature = "redis")]
pub use store::RedisStore;
#[cfg(feature = "sqlite")]
pub use store::SqliteStore;
pub use store::{CredentialStore, Kind, MemoryStore, Stored};

// What a user of this crate needs from the others, so that one dependency is enough.
pub use wxjs_platform::ErrCode;
pub use wxjs_sign::{AppSecret, ConfigParams, JsapiTicket, PageUrl, SafeDomain};
