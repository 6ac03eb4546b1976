//! `wxjs dev`: the whole system in one process on three listeners that mirror the real
//! topology — the phone (`P`), the simulated platform (`P+1`) and the signing service (`P+2`),
//! configured against the simulator with its demo accounts. The service's credential cache
//! follows the simulator's clock.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use wxjs_service::config::{ApiKey, AppConfig, LogFormat, RateLimit, StoreConfig};
use wxjs_service::{AppState, ServiceConfig};
use wxjs_sim::phone::PhoneConfig;
use wxjs_sim::{Sim, SimConfig, config};

use crate::CliError;

/// The back-end API key `wxjs dev` configures (printed on start; it guards nothing real).
pub(crate) const DEV_API_KEY: &str = "wxjs-dev-api-key-0000";

/// Arguments of `wxjs dev`.
#[derive(Debug, Args)]
pub(crate) struct DevArgs {
    /// The phone's port; the platform listens on P+1, the service on P+2.
    #[arg(long, short, default_value_t = 8080, value_name = "P")]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// Keep state (platform and credential cache) in SQLite under DIR.
    #[arg(
        long,
        value_name = "DIR",
        default_value = ".wxjs",
        conflicts_with = "memory"
    )]
    data: PathBuf,
    /// Keep nothing on disk.
    #[arg(long)]
    memory: bool,
    /// Serve the pages in DIR at the phone origin instead of the demo page, with the emulated
    /// client injected into every HTML page.
    #[arg(long = "static", value_name = "DIR")]
    static_dir: Option<PathBuf>,
    /// The emulated client: Android (checks the current URL) or iOS (the URL first landed on).
    #[arg(long, value_enum, default_value = "android")]
    platform: PlatformArg,
    /// A further Host name the platform and the service answer to, besides this machine's own
    /// names (repeatable; `*.example.com` for subdomains). The phone answers to any name.
    #[arg(long = "allow-host", value_name = "NAME")]
    allow_hosts: Vec<String>,
}

/// `--platform`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum PlatformArg {
    Android,
    Ios,
}

/// The cache follows the simulator's clock, so `/__sim/clock/advance` expires cached values
/// exactly when it expires them on the platform.
#[derive(Debug)]
struct SimTime(wxjs_sim::SimClock);

impl wxjs_client::Clock for SimTime {
    fn now(&self) -> u64 {
        self.0.now()
    }

    fn now_millis(&self) -> u64 {
        self.0.now_millis()
    }
}

/// Runs `wxjs dev` until Ctrl-C or SIGTERM.
pub(crate) fn run(args: &DevArgs) -> Result<(), CliError> {
    crate::init_logging(false);
    if let Some(dir) = &args.static_dir {
        if !dir.is_dir() {
            return Err(CliError::input(format!(
                "--static: {} is not a directory",
                dir.display()
            )));
        }
    }
    let p = args.port;
    let (Some(platform_port), Some(service_port)) = (p.checked_add(1), p.checked_add(2)) else {
        return Err(CliError::input("--port: P+2 must be a valid port"));
    };
    let data = (!args.memory).then_some(args.data.as_path());
    let sim = Sim::new(&SimConfig::default(), data)
        .map_err(|e| CliError::failure(format!("--data: {e}")))?;
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let bind = |port: u16| async move {
            let addr = SocketAddr::new(args.host, port);
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| CliError::failure(format!("cannot listen on {addr}: {e}")))
        };
        let (phone_l, platform_l, service_l) = (
            bind(p).await?,
            bind(platform_port).await?,
            bind(service_port).await?,
        );
        let host = if args.host.is_loopback() {
            "localhost".to_owned()
        } else {
            args.host.to_string()
        };
        let url = |l: &tokio::net::TcpListener| {
            l.local_addr()
                .map(|a| format!("http://{host}:{}", a.port()))
                .unwrap_or_default()
        };
        let (phone_url, platform_url, service_url) =
            (url(&phone_l), url(&platform_l), url(&service_l));
        let platform_loopback = format!(
            "http://127.0.0.1:{}",
            platform_l
                .local_addr()
                .map(|a| a.port())
                .unwrap_or(platform_port)
        );

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
                    }),
                })
            })
            .collect();
        let service_config = ServiceConfig {
            listen: service_l
                .local_addr()
                .map_err(|e| CliError::failure(e.to_string()))?,
            platform_base_url: platform_loopback.clone(),
            environment: "dev".into(),
            token_mode: wxjs_client::TokenMode::Basic,
            log_format: LogFormat::Text,
            store: if args.memory {
                StoreConfig::Memory
            } else {
                StoreConfig::Sqlite(args.data.join("credentials.sqlite3"))
            },
            // No page rate limit: a browser suite loads many pages at once from one address.
            rate_limit: RateLimit {
                per_minute: 0,
                burst: 0,
                trust_forwarded_for: false,
            },
            api_keys: vec![ApiKey::new(DEV_API_KEY)],
            allowed_hosts: args.allow_hosts.clone(),
            max_connections: 1024,
            apps,
        };
        let state = AppState::new(&service_config, Arc::new(SimTime(sim.clock().clone())))
            .await
            .map_err(|e| CliError::failure(e.to_string()))?;
        let phone = PhoneConfig {
            service_url: service_url.clone(),
            platform_url: platform_url.clone(),
            app_id: config::DEMO_APP_ID.to_owned(),
            static_dir: args.static_dir.clone(),
            api_key: Some(DEV_API_KEY.to_owned()),
            platform: match args.platform {
                PlatformArg::Android => wxjs_sim::client::Platform::Android,
                PlatformArg::Ios => wxjs_sim::client::Platform::Ios,
            },
        };

        crate::say!("wxjs dev — the WeChat JS-SDK system on this machine");
        crate::say!(
            "  phone     {phone_url}/   (the page origin{})",
            if args.static_dir.is_some() {
                ", your --static files"
            } else {
                ", the demo page"
            }
        );
        crate::say!("  platform  {platform_url}   (simulated WeChat API; control at /__sim/)");
        crate::say!(
            "  service   {service_url}   (wx.config signing, credentials; /metrics, /openapi.json)"
        );
        crate::say!(
            "  demo account  appId {}  appSecret {}",
            config::DEMO_APP_ID,
            config::DEMO_APP_SECRET
        );
        crate::say!("  back-end API key  {DEV_API_KEY}");
        crate::say!(
            "  test keys  {platform_url}/__sim/apps (secrets, card ids)  {platform_url}/__sim/merchants (merchant keys)"
        );
        crate::say!(
            "  state     {}",
            if args.memory {
                "in memory".to_owned()
            } else {
                args.data.display().to_string()
            }
        );
        if !args.host.is_loopback() {
            crate::say!(
                "WARNING: listening on {}: anyone who can reach this machine can read the demo \
                 secrets at /__sim/apps, move the simulator's clock and drive the phone. Use \
                 --host 127.0.0.1 unless this network is yours alone.",
                args.host
            );
        }
        crate::say!("Ctrl-C stops.");

        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let phone_task = tokio::spawn(wxjs_sim::phone::run(
            phone_l,
            phone,
            sim.clone(),
            stopped(stop_rx.clone()),
        ));
        let platform_task = tokio::spawn(wxjs_sim::run_with(
            platform_l,
            sim.clone(),
            wxjs_sim::serve::policy(args.allow_hosts.clone()),
            stopped(stop_rx.clone()),
        ));
        let service_task = tokio::spawn(wxjs_service::run(
            service_l,
            state,
            stopped(stop_rx.clone()),
        ));
        crate::shutdown_signal().await;
        crate::say!("wxjs dev: stopping");
        let _ = stop_tx.send(true);
        // In-flight requests get ten seconds to finish; a stuck one must not keep the process.
        let all = async {
            for (name, task) in [
                ("phone", phone_task),
                ("platform", platform_task),
                ("service", service_task),
            ] {
                match task.await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!(listener = name, error = %e, "server error"),
                    Err(e) => tracing::error!(listener = name, error = %e, "server task failed"),
                }
            }
        };
        if tokio::time::timeout(std::time::Duration::from_secs(10), all)
            .await
            .is_err()
        {
            crate::say!("wxjs dev: requests still open after 10 s; stopping anyway");
            sim.close();
        }
        Ok(())
    })
}
