//! `wxjs dev` as a library: the whole WeChat JS-SDK system in one process, on three listeners
//! that mirror the real topology — the phone origin where pages live (the emulated WeChat app,
//! with a demo back end beside the pages), the simulated platform, and the signing service
//! configured against the simulator's accounts. The service's credential cache follows the
//! simulator's clock, so `/__sim/clock/advance` expires cached values exactly when the platform
//! expires them, and `/__sim/reset` empties it.
//!
//! The caller binds the listeners, so tests run the system in-process on port 0:
//!
//! ```no_run
//! # async fn demo() -> Result<(), wxjs_dev::DevError> {
//! let listeners = wxjs_dev::Listeners::any_port().await?;
//! let dev = wxjs_dev::start(wxjs_dev::DevOptions::default(), listeners).await?;
//! println!("open {}/", dev.urls().phone);
//! dev.stop().await;
//! # Ok(()) }
//! ```

mod backend;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use wxjs_phone::{Os, PhoneConfig};
use wxjs_service::config::{ApiKey, AppConfig, LogFormat, RateLimit, StoreConfig};
use wxjs_service::{AppState, ServiceConfig};
use wxjs_sim::{Sim, SimConfig, config};

/// The back-end API key `wxjs dev` configures (printed on start; it guards nothing real).
pub const DEV_API_KEY: &str = "wxjs-dev-api-key-0000";

/// How long in-flight requests may run on after [`Dev::stop`].
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// What the system runs with.
#[derive(Debug, Clone, Default)]
pub struct DevOptions {
    /// Keep state (platform and credential cache) in SQLite under this directory; `None` keeps
    /// everything in memory.
    pub data: Option<PathBuf>,
    /// Serve these pages at the phone origin instead of the demo page.
    pub static_dir: Option<PathBuf>,
    /// Put the phone in front of this dev server (`http://localhost:5173`) instead.
    pub proxy: Option<String>,
    /// The emulated app's operating system.
    pub os: Os,
    /// Host names the platform and the service answer to besides this machine's own.
    pub allow_hosts: Vec<String>,
    /// The simulator's accounts, users and merchants (the demo's when `None`).
    pub sim: Option<SimConfig>,
}

/// Why the system did not start.
#[derive(Debug, thiserror::Error)]
pub enum DevError {
    /// A listener could not be bound or read.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// Where.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The static directory is not one.
    #[error("--static: {0} is not a directory")]
    StaticDir(PathBuf),
    /// The dev server's URL is not one the proxy can use.
    #[error("{0}")]
    Proxy(String),
    /// The simulator's state could not be opened.
    #[error("--data: {0}")]
    Data(#[source] wxjs_sim::persist::PersistError),
    /// The signing service did not start.
    #[error("the signing service did not start: {0}")]
    Service(#[source] wxjs_service::StartError),
}

/// The three listeners, bound by the caller.
#[derive(Debug)]
pub struct Listeners {
    /// Where pages live (`P` in the CLI).
    pub phone: TcpListener,
    /// The simulated platform (`P+1`).
    pub platform: TcpListener,
    /// The signing service (`P+2`).
    pub service: TcpListener,
}

impl Listeners {
    /// `P`, `P+1` and `P+2` on `ip`, as the CLI binds them; `P = 0` lets the system pick three
    /// free ports.
    pub async fn consecutive(ip: IpAddr, first: u16) -> Result<Self, DevError> {
        if first == 0 {
            let any = SocketAddr::new(ip, 0);
            return Ok(Self {
                phone: bind(any).await?,
                platform: bind(any).await?,
                service: bind(any).await?,
            });
        }
        let port = |n: u16| {
            first.checked_add(n).ok_or(DevError::Listen {
                addr: SocketAddr::new(ip, first),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "P+2 must be a valid port",
                ),
            })
        };
        Ok(Self {
            phone: bind(SocketAddr::new(ip, first)).await?,
            platform: bind(SocketAddr::new(ip, port(1)?)).await?,
            service: bind(SocketAddr::new(ip, port(2)?)).await?,
        })
    }

    /// Three ports the system picks on 127.0.0.1 (what tests use).
    pub async fn any_port() -> Result<Self, DevError> {
        Self::consecutive(IpAddr::V4(Ipv4Addr::LOCALHOST), 0).await
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, DevError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| DevError::Listen { addr, source })
}

/// Where each part answers.
#[derive(Debug, Clone)]
pub struct Urls {
    /// The phone origin, by the name pages use (`http://localhost:8080`).
    pub phone: String,
    /// The simulated platform.
    pub platform: String,
    /// The signing service.
    pub service: String,
    /// The listeners' addresses: phone, platform, service.
    pub addrs: [SocketAddr; 3],
}

/// The running system.
#[derive(Debug)]
pub struct Dev {
    sim: Sim,
    urls: Urls,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<(&'static str, JoinHandle<std::io::Result<()>>)>,
}

impl Dev {
    /// Where each part answers.
    #[must_use]
    pub fn urls(&self) -> &Urls {
        &self.urls
    }

    /// The simulated platform (its clock, accounts and state).
    #[must_use]
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Stops every listener, gives in-flight requests [`STOP_GRACE`], and writes the
    /// simulator's state.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let all = async {
            for (name, task) in self.tasks {
                match task.await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!(listener = name, error = %e, "server error"),
                    Err(e) => tracing::error!(listener = name, error = %e, "server task failed"),
                }
            }
        };
        if tokio::time::timeout(STOP_GRACE, all).await.is_err() {
            tracing::warn!("requests still open after the grace period; stopping anyway");
        }
        self.sim.close();
    }
}

/// The service's configuration for the simulator's accounts: every account with every
/// interface, the demo API key, no page rate limit (a browser suite loads many pages at once
/// from one address).
fn service_config(
    sim: &Sim,
    options: &DevOptions,
    listen: SocketAddr,
    platform: &str,
) -> ServiceConfig {
    let apps = sim
        .accounts()
        .iter()
        .filter_map(|a| {
            Some(AppConfig {
                app_id: wxjs_sign::AppId::parse(&a.app_id).ok()?,
                app_secret: wxjs_sign::AppSecret::new(a.app_secret.clone()),
                domains: a.safe_domains(),
                js_api_list: wxjs_platform::jsapi::ALL
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect(),
                merchant: a.merchant.as_ref().map(|m| wxjs_service::config::Merchant {
                    partner_id: m.partner_id.clone(),
                    partner_key: Some(wxjs_sign::PartnerKey::new(m.partner_key.clone())),
                    pay_sign_key: Some(wxjs_sign::PaySignKey::new(m.pay_sign_key.clone())),
                    api_key: (!m.api_key.is_empty())
                        .then(|| wxjs_sign::PayApiKey::new(m.api_key.clone())),
                    private_key: (!m.v3_private_key.is_empty())
                        .then(|| wxjs_sign::PrivateKeyPem::new(m.v3_private_key.clone())),
                    api_v3_key: (m.api_v3_key.len() == 32)
                        .then(|| wxjs_sign::ApiV3Key::new(m.api_v3_key.clone())),
                    merchant_serial: (!m.merchant_serial.is_empty())
                        .then(|| m.merchant_serial.clone()),
                    // Public-key mode: the key and its id, as the merchant platform shows
                    // them; certificate mode: downloaded from the simulator.
                    platform_public_key: match m.platform_key_mode {
                        wxjs_sim::config::PlatformKeyMode::Certificate => None,
                        _ => Some((
                            sim.platform_keys().public_key_pem(),
                            wxjs_sim::platform_keys::PlatformKeys::public_key_id(&m.partner_id),
                        )),
                    },
                    notify_url: None,
                }),
            })
        })
        .collect();
    ServiceConfig {
        listen,
        platform_base_url: platform.to_owned(),
        // The simulator answers WeChat Pay's merchant API on the same listener.
        pay_base_url: platform.to_owned(),
        environment: "dev".into(),
        token_mode: wxjs_client::TokenMode::Basic,
        log_format: LogFormat::Text,
        store: match &options.data {
            None => StoreConfig::Memory,
            Some(dir) => StoreConfig::Sqlite(dir.join("credentials.sqlite3")),
        },
        rate_limit: RateLimit {
            per_minute: 0,
            burst: 0,
            trust_forwarded_for: false,
        },
        api_keys: vec![ApiKey::new(DEV_API_KEY)],
        allowed_hosts: options.allow_hosts.clone(),
        max_connections: 1024,
        apps,
    }
}

/// Starts the system on `listeners` and returns once every part serves.
pub async fn start(options: DevOptions, listeners: Listeners) -> Result<Dev, DevError> {
    if let Some(dir) = &options.static_dir
        && !dir.is_dir()
    {
        return Err(DevError::StaticDir(dir.clone()));
    }
    let addr = |l: &TcpListener| {
        l.local_addr().map_err(|source| DevError::Listen {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            source,
        })
    };
    let addrs = [
        addr(&listeners.phone)?,
        addr(&listeners.platform)?,
        addr(&listeners.service)?,
    ];
    let host = if addrs[0].ip().is_loopback() {
        "localhost".to_owned()
    } else {
        addrs[0].ip().to_string()
    };
    let url = |a: SocketAddr| format!("http://{host}:{}", a.port());
    let urls = Urls {
        phone: url(addrs[0]),
        platform: url(addrs[1]),
        service: url(addrs[2]),
        addrs,
    };
    // The demo merchants' payment directories cover the phone's own origin, whatever its port
    // (a merchant of the user's keeps the directories its configuration gives).
    let demo_ids: Vec<String> = wxjs_sim::config::demo_accounts()
        .into_iter()
        .map(|a| a.app_id)
        .collect();
    let mut sim_config = options.sim.clone().unwrap_or_default();
    sim_config.apps = sim_config.accounts();
    sim_config.include_demo = false;
    let mut origins = vec![
        format!("http://localhost:{}/", addrs[0].port()),
        format!("http://127.0.0.1:{}/", addrs[0].port()),
    ];
    if !addrs[0].ip().is_loopback() {
        origins.push(format!("{}/", urls.phone));
    }
    for merchant in sim_config
        .apps
        .iter_mut()
        .filter(|a| demo_ids.contains(&a.app_id))
        .filter_map(|a| a.merchant.as_mut())
    {
        for origin in &origins {
            if !merchant.pay_dirs.contains(origin) {
                merchant.pay_dirs.push(origin.clone());
            }
        }
    }
    let sim = Sim::new(&sim_config, options.data.as_deref()).map_err(DevError::Data)?;
    // The service and the demo back end reach the platform over loopback whatever the names.
    let loopback = |a: SocketAddr| {
        let ip = if a.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            a.ip()
        };
        format!("http://{}", SocketAddr::new(ip, a.port()))
    };

    let clock = sim.clock().clone();
    let state = AppState::new(
        &service_config(&sim, &options, addrs[2], &loopback(addrs[1])),
        Arc::new(wxjs_client::MillisClock::new(move || clock.now_millis())),
    )
    .await
    .map_err(DevError::Service)?;
    // The simulator forgets its tokens and tickets on reset: so does the service, before the
    // reset answers (else it would sign with a ticket the platform no longer knows).
    let creds = state.credentials().clone();
    sim.on_reset(Arc::new(move || {
        let creds = creds.clone();
        Box::pin(async move {
            if let Err(e) = creds.forget_all().await {
                tracing::warn!(error = %e, "the service's credential store could not forget the old values");
            }
        })
    }));
    let phone = PhoneConfig {
        service_url: urls.service.clone(),
        platform_url: urls.platform.clone(),
        app_id: config::DEMO_APP_ID.to_owned(),
        static_dir: options.static_dir.clone(),
        proxy: match &options.proxy {
            Some(url) => Some(wxjs_phone::proxy::Upstream::new(url).map_err(DevError::Proxy)?),
            None => None,
        },
        os: options.os,
    };
    let phone_router = wxjs_phone::origin::phone_router(phone, sim.clone()).merge(backend::router(
        loopback(addrs[2]),
        loopback(addrs[1]),
        config::DEMO_APP_ID.to_owned(),
        config::DEMO_APP_SECRET.to_owned(),
        Some(DEV_API_KEY.to_owned()),
    ));

    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let tasks = vec![
        (
            "phone",
            tokio::spawn(wxjs_phone::origin::serve(
                listeners.phone,
                phone_router,
                stopped(stop_rx.clone()),
            )),
        ),
        (
            "platform",
            tokio::spawn(wxjs_sim::run_with(
                listeners.platform,
                sim.clone(),
                wxjs_sim::serve::policy(options.allow_hosts.clone()),
                stopped(stop_rx.clone()),
            )),
        ),
        (
            "service",
            tokio::spawn(wxjs_service::run(
                listeners.service,
                state,
                stopped(stop_rx),
            )),
        ),
    ];
    Ok(Dev {
        sim,
        urls,
        stop,
        tasks,
    })
}
