//! The platform client and the credential cache of wxjs.
//!
//! - [`PlatformClient`]: an async client of the platform API (reqwest with rustls), base URL
//!   and timeouts configurable, typed answers and errors from `wxjs-platform`.
//! - [`Credentials`]: a cache of access tokens, jsapi tickets and card tickets for many accounts
//!   that makes at most one platform fetch per credential per expiry across every instance
//!   sharing a [`CredentialStore`] ([`MemoryStore`], [`SqliteStore`], [`RedisStore`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use wxjs_client::{Credentials, PlatformClient, SqliteStore};
//! use wxjs_sign::{AppSecret, PageUrl};
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
pub use error::{ClientError, CredentialError, StoreError};
pub use metrics::{Metrics, MetricsSnapshot};
pub use platform::{CallRecord, DEFAULT_TIMEOUT, Fetched, PlatformClient};
pub use store::{CredentialStore, Kind, MemoryStore, RedisStore, SqliteStore, Stored};
