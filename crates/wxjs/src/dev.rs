//! `wxjs dev`: the shell around [`wxjs_dev`] — binds `P`, `P+1` and `P+2`, prints where
//! everything is, and stops on Ctrl-C or SIGTERM.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use clap::Args;
use wxjs_dev::{DEV_API_KEY, DevOptions, Listeners};
use wxjs_sim::config;

use crate::CliError;

/// Arguments of `wxjs dev`.
#[derive(Debug, Args)]
pub(crate) struct DevArgs {
    /// The phone's port; the platform listens on P+1, the service on P+2. 0 picks three free
    /// ports (the banner says which).
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
    #[arg(long = "static", value_name = "DIR", conflicts_with = "proxy")]
    static_dir: Option<PathBuf>,
    /// Put the phone in front of your own dev server (Vite, webpack, Next…): everything outside
    /// /__wxjs/ goes there, HTML gets the emulated app injected, WebSockets (hot reload) pass.
    #[arg(long, value_name = "URL")]
    proxy: Option<String>,
    /// The emulated app's system: Android (checks the current URL) or iOS (the URL first
    /// landed on).
    #[arg(long, value_enum, default_value = "android")]
    platform: OsArg,
    /// The simulator's accounts, users, cards and merchants from this TOML file (as `wxjs sim
    /// --config` takes it): your real appId, JS safe domains and merchants, simulated.
    #[arg(long = "sim-config", value_name = "FILE")]
    sim_config: Option<PathBuf>,
    /// A further Host name the platform and the service answer to, besides this machine's own
    /// names (repeatable; `*.example.com` for subdomains). The phone answers to any name.
    /// `*` lets any name through, which turns the DNS-rebinding guard off.
    #[arg(long = "allow-host", value_name = "NAME", value_parser = host_name)]
    allow_hosts: Vec<String>,
}

/// `url` with any `user:password@` replaced by `…@`, for the banner.
fn without_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://…@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// `--allow-host NAME`: a host name, `*.domain` or `*`.
fn host_name(name: &str) -> Result<String, String> {
    wxjs_http::HostPolicy::check_name(name).map(|()| name.to_owned())
}

/// `--platform`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum OsArg {
    Android,
    Ios,
}

/// Runs `wxjs dev` until Ctrl-C or SIGTERM.
pub(crate) fn run(args: &DevArgs) -> Result<(), CliError> {
    crate::init_logging(false);
    if !args.memory && args.data.exists() && !args.data.is_dir() {
        return Err(CliError::input(format!(
            "--data: {} is a file, not a directory",
            args.data.display()
        )));
    }
    let options = DevOptions {
        data: (!args.memory).then(|| args.data.clone()),
        static_dir: args.static_dir.clone(),
        proxy: args.proxy.clone(),
        os: match args.platform {
            OsArg::Android => wxjs_phone::Os::Android,
            OsArg::Ios => wxjs_phone::Os::Ios,
        },
        allow_hosts: args.allow_hosts.clone(),
        sim: match &args.sim_config {
            Some(path) => Some(
                wxjs_sim::SimConfig::from_file(path)
                    .map_err(|e| CliError::input(format!("--sim-config: {e}")))?,
            ),
            None => None,
        },
    };
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async {
        let listeners = Listeners::consecutive(args.host, args.port)
            .await
            .map_err(|e| match e {
                wxjs_dev::DevError::Listen { ref source, .. }
                    if source.kind() == std::io::ErrorKind::InvalidInput =>
                {
                    CliError::input("--port: P+2 must be a valid port")
                }
                e => CliError::failure(e.to_string()),
            })?;
        let dev = wxjs_dev::start(options, listeners)
            .await
            .map_err(|e| match e {
                wxjs_dev::DevError::StaticDir(_) | wxjs_dev::DevError::Proxy(_) => {
                    CliError::input(e.to_string())
                }
                e => CliError::failure(e.to_string()),
            })?;
        let urls = dev.urls().clone();
        let (phone_url, platform_url, service_url) = (&urls.phone, &urls.platform, &urls.service);

        crate::say!("wxjs dev — the WeChat JS-SDK system on this machine");
        crate::say!(
            "  phone     {phone_url}/   (the page origin{})",
            match (&args.static_dir, &args.proxy) {
                (Some(_), _) => ", your --static files".to_owned(),
                (None, Some(url)) => format!(", in front of your dev server {}", without_userinfo(url)),
                (None, None) => ", the demo page".to_owned(),
            }
        );
        crate::say!(
            "  device    {phone_url}/__wxjs/device   (on a desktop: the page in a phone-sized frame, the debug console beside)"
        );
        crate::say!("  platform  {platform_url}   (simulated WeChat API; control at /__sim/)");
        crate::say!(
            "  service   {service_url}   (wx.config signing, credentials; /metrics, /openapi.json)"
        );
        // The secret the simulator has for the demo account: a --sim-config may set its own.
        match dev.sim().account(config::DEMO_APP_ID) {
            Some(demo) => crate::say!(
                "  demo account  appId {}  appSecret {}",
                demo.app_id,
                demo.app_secret
            ),
            None => crate::say!(
                "  demo account  appId {} is not in --sim-config: the demo page will not verify",
                config::DEMO_APP_ID
            ),
        }
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
        if args.allow_hosts.iter().any(|h| h == "*") {
            crate::say!(
                "WARNING: --allow-host '*': the platform and the service answer to any Host name, \
                 so a web page can read the demo secrets at /__sim/apps through DNS rebinding. \
                 Name the hosts you need instead (--allow-host dev.example.com or '*.example.com')."
            );
        }
        crate::say!("Ctrl-C stops.");
        crate::shutdown_signal().await;
        crate::say!("wxjs dev: stopping");
        dev.stop().await;
        Ok(())
    })
}
