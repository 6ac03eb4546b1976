//! The emulated WeChat app: the party between a page and the platform. A browser page served
//! by the phone origin becomes a WeChat web view (the bridge script injected first, the user
//! agent, `WeixinJSBridge`, the top bar and its menus); every JS-SDK call the page makes is
//! verified like the real app verifies it (appId, signature over the page URL, `jsApiList`,
//! payment and card signatures) against the simulated platform ([`wxjs_sim`]), then answered
//! by the person at the screen or by automation (`/__wxjs/user/next`).
//!
//! - [`phone`]: the app's server half — verification, automation queues, call log, settings.
//! - [`origin`]: the phone origin's HTTP routes (pages, the bridge script, `/__wxjs/*`).
//! - [`calls`]: every bridge call parsed into a [`calls::Call`] and carried out by its family's
//!   module (menus and shares, images, voice, location, scan, payment, cards).
//! - [`pages`]: pages as sessions.
//! - [`scan`], [`device`]: the devices (code reader, location datum, sample photos).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use wxjs_phone::origin::{PhoneConfig, run};
//! let sim = wxjs_sim::Sim::new(&wxjs_sim::SimConfig::default(), None).expect("in memory");
//! let config = PhoneConfig {
//!     service_url: "http://localhost:8082".into(),
//!     platform_url: "http://localhost:8081".into(),
//!     app_id: "wxdemo000000000001".into(),
//!     static_dir: None,
//!     proxy: None,
//!     os: wxjs_phone::Os::Android,
//! };
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! run(listener, config, sim, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

pub mod calls;
pub mod device;
pub mod device_view;
pub mod index;
pub mod miniprogram;
pub mod origin;
pub mod pages;
pub mod phone;
pub mod proxy;
pub mod scan;

pub use origin::PhoneConfig;
pub use phone::{Os, Phone};
