//! The simulated WeChat platform: the Official Account API of `platform.md` (tokens, stable
//! tokens, tickets, quotas, media, OAuth) with its real codes, messages and lifetimes, and the
//! control API under `/__sim/` (accounts, stats, clock, faults, reset).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use wxjs_sim::{Sim, SimConfig};
//! let sim = Sim::new(&SimConfig::default(), None).expect("in memory");
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! wxjs_sim::run(listener, sim, async { let _ = tokio::signal::ctrl_c().await; }).await
//! # }
//! ```

pub mod clock;
pub mod config;
mod notify;
pub mod pay;
pub mod persist;
pub mod platform_keys;
mod routes;
pub mod serve;
mod sim;
pub mod state;
pub mod tracked;

use std::future::Future;

pub use clock::SimClock;
pub use config::{Account, AccountKind, SimConfig};
pub use routes::control::ENDPOINTS as CONTROL_ENDPOINTS;
/// WeChat Pay's merchant API (v2 and v3): its paths and the v2 XML reader.
pub use routes::merchant as merchant_api;
pub use routes::reply::rid;
pub use sim::{ResetHook, Sim};

/// The simulator's router.
pub fn router(sim: Sim) -> axum::Router {
    routes::router(sim)
}

/// Serves the simulator on `listener` until `shutdown`, delivering payment notifications
/// meanwhile, then writes its state to disk. Only the machine's own Host names are served.
pub async fn run(
    listener: tokio::net::TcpListener,
    sim: Sim,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    run_with(listener, sim, serve::policy([]), shutdown).await
}

/// [`run`] under another serving policy (see [`serve::policy`]).
pub async fn run_with(
    listener: tokio::net::TcpListener,
    sim: Sim,
    policy: wxjs_http::Policy,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let notifier = tokio::spawn(notify::deliver_forever(sim.clone()));
    let result = wxjs_http::serve(listener, router(sim.clone()), policy, shutdown).await;
    notifier.abort();
    sim.close();
    result
}
