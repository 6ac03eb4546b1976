//! `wxjs dev`, `wxjs serve` and `wxjs explain` as a user runs them.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A port that is free now (for `wxjs sim` and `wxjs serve`, which take one port).
pub(crate) fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The ports of one `wxjs dev`. Shown with `{}`, it is the phone's port (where pages live).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ports {
    pub(crate) phone: u16,
    pub(crate) platform: u16,
    pub(crate) service: u16,
}

impl std::fmt::Display for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.phone)
    }
}

/// The ports `wxjs dev` printed in its banner.
pub(crate) fn ports_of(banner: &str) -> Ports {
    let port = |label: &str| -> u16 {
        banner
            .lines()
            .find_map(|l| l.trim_start().strip_prefix(label))
            .and_then(|rest| rest.trim_start().strip_prefix("http://"))
            .and_then(|rest| rest.split(['/', ' ']).next())
            .and_then(|host_port| host_port.rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no {label} URL in the banner:\n{banner}"))
    };
    Ports {
        phone: port("phone"),
        platform: port("platform"),
        service: port("service"),
    }
}

/// Starts `wxjs dev --port 0` (three ports the system picks), waits for its banner, and
/// returns it with its ports.
pub(crate) fn dev(args: &[&str]) -> (DevProcess, Ports, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxjs"))
        .args(["dev", "--port", "0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut banner = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        banner.push_str(&line);
        banner.push('\n');
        if line.starts_with("Ctrl-C") {
            std::thread::spawn(move || for _ in lines {});
            let ports = ports_of(&banner);
            return (DevProcess(child), ports, banner);
        }
    }
    let _ = child.wait();
    panic!("wxjs dev did not start:\n{banner}");
}

/// A running `wxjs dev`, killed when dropped, so a failing test leaves no process behind.
#[derive(Debug)]
pub(crate) struct DevProcess(Child);

impl DevProcess {
    /// Takes charge of a started process.
    pub(crate) fn new(child: Child) -> Self {
        Self(child)
    }

    /// `kill -9`: no chance to write anything.
    pub(crate) fn kill_hard(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for DevProcess {
    fn drop(&mut self) {
        // Harmless when it already stopped.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Stops `wxjs dev` as Ctrl-C does.
pub(crate) fn interrupt(child: &mut DevProcess) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-INT", &child.0.id().to_string()])
        .status()
        .unwrap();
    child.0.wait().unwrap()
}

fn get(url: &str) -> Value {
    reqwest::blocking::get(url).unwrap().json().unwrap()
}

#[test]
fn dev_memory_serves_its_page_and_stops_on_sigint() {
    let (mut child, p, banner) = dev(&["--memory"]);
    for want in [
        format!("http://localhost:{p}/"),
        format!("http://localhost:{}", p.platform),
        format!("http://localhost:{}", p.service),
        "wxdemo000000000001".to_owned(),
    ] {
        assert!(banner.contains(&want), "banner lacks {want}:\n{banner}");
    }
    let page = reqwest::blocking::get(format!("http://127.0.0.1:{p}/"))
        .unwrap()
        .text()
        .unwrap();
    assert!(
        page.contains("wxjs demo") && page.contains(&format!("http://localhost:{}", p.service)),
        "{page}"
    );
    // What the page does: ask the service for its config.
    let cfg = get(&format!(
        "http://127.0.0.1:{}/v1/wxdemo000000000001/jssdk/config?url=http%3A%2F%2Flocalhost%3A{p}%2F",
        p.service
    ));
    let tickets = get(&format!(
        "http://127.0.0.1:{}/__sim/tickets/wxdemo000000000001",
        p.platform
    ));
    let ticket = wxjs_sign::JsapiTicket::new(tickets["jsapi"]["ticket"].as_str().unwrap());
    assert!(
        wxjs_sign::ConfigParams {
            url: &format!("http://localhost:{p}/"),
            timestamp: cfg["timestamp"].as_u64().unwrap(),
            nonce_str: cfg["nonceStr"].as_str().unwrap()
        }
        .verify(&ticket, cfg["signature"].as_str().unwrap())
    );
    assert!(interrupt(&mut child).success());
}

#[test]
fn dev_restart_on_the_same_data_makes_no_platform_call_and_follows_the_sim_clock() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (mut child, p, _) = dev(&["--data", data]);
    let config_url = format!(
        "http://127.0.0.1:{}/v1/wxdemo000000000001/jssdk/config?url=http%3A%2F%2Flocalhost%2F",
        p.service
    );
    let first = get(&config_url);
    assert!(interrupt(&mut child).success());

    let (mut child, p, _) = dev(&["--data", data]);
    let config_url = config_url.replace(
        &format!(":{}/v1", first_port(&config_url)),
        &format!(":{}/v1", p.service),
    );
    get(&config_url);
    let stats = get(&format!("http://127.0.0.1:{}/__sim/stats", p.platform));
    assert_eq!(stats["calls"]["/cgi-bin/token"], 1, "{stats}");
    assert_eq!(stats["calls"]["/cgi-bin/ticket/getticket"], 1, "{stats}");
    // Advancing the simulator's clock expires the service's cached values with it.
    let client = reqwest::blocking::Client::new();
    client
        .post(format!(
            "http://127.0.0.1:{}/__sim/clock/advance",
            p.platform
        ))
        .json(&serde_json::json!({"seconds": 7200}))
        .send()
        .unwrap();
    let after = get(&config_url);
    let stats = get(&format!("http://127.0.0.1:{}/__sim/stats", p.platform));
    assert_eq!(stats["calls"]["/cgi-bin/ticket/getticket"], 2, "{stats}");
    let tickets = get(&format!(
        "http://127.0.0.1:{}/__sim/tickets/wxdemo000000000001",
        p.platform
    ));
    let ticket = wxjs_sign::JsapiTicket::new(tickets["jsapi"]["ticket"].as_str().unwrap());
    assert!(
        wxjs_sign::ConfigParams {
            url: "http://localhost/",
            timestamp: after["timestamp"].as_u64().unwrap(),
            nonce_str: after["nonceStr"].as_str().unwrap()
        }
        .verify(&ticket, after["signature"].as_str().unwrap())
    );
    assert_ne!(first["signature"], after["signature"]);

    // wxjs explain against the running service: a good signature, then a fragment signed.
    let explain = |url: &str, sig: &str| {
        Command::new(env!("CARGO_BIN_EXE_wxjs"))
            .args([
                "explain",
                "--service",
                &format!("http://127.0.0.1:{}", p.service),
                "--app",
                "wxdemo000000000001",
                "--url",
                url,
            ])
            .args([
                "--timestamp",
                &after["timestamp"].to_string(),
                "--nonce",
                after["nonceStr"].as_str().unwrap(),
                "--signature",
                sig,
            ])
            .output()
            .unwrap()
    };
    let out = explain("http://localhost/", after["signature"].as_str().unwrap());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("valid"));
    let bad = wxjs_sign::ConfigParams {
        url: "http://localhost",
        timestamp: after["timestamp"].as_u64().unwrap(),
        nonce_str: after["nonceStr"].as_str().unwrap(),
    }
    .sign(&ticket);
    let out = explain("http://localhost", bad.signature());
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("invalid") && text.contains("[missing_root_slash]"),
        "{text}"
    );
    assert!(interrupt(&mut child).success());
}

fn first_port(url: &str) -> u16 {
    url.split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn serve_rejects_bad_configs_with_one_line_and_documents_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wxjs.toml");
    for (text, want) in [
        (
            "[[apps]]\napp_id = \"wx1a2b3c4d5e6f7a8b\"\napp_secret = \"env:WXJS_TEST_NOT_SET_ANYWHERE\"\ndomains = [\"example.com\"]\n",
            "apps[0].app_secret: environment variable WXJS_TEST_NOT_SET_ANYWHERE is not set",
        ),
        ("listen = 5\n", "invalid type"),
        ("", "apps: at least one"),
    ] {
        std::fs::write(&path, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_wxjs"))
            .args(["serve", "--config", path.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{err}");
    }
    let help = Command::new(env!("CARGO_BIN_EXE_wxjs"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for key in [
        "listen",
        "platform_base_url",
        "environment",
        "token_mode",
        "log_format",
        "[store]",
        "[rate_limit]",
        "api_keys",
        "[[apps]]",
        "domains",
        "js_api_list",
        "[apps.merchant]",
        "WXJS_APP_SECRET_",
    ] {
        assert!(help.contains(key), "--help lacks {key}");
    }
    // The documented example parses (its secrets come from the environment).
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/service.example.toml"
    );
    let env: std::collections::HashMap<String, String> = [
        "WXJS_BACKEND_KEY",
        "WX_APP_SECRET",
        "WX_PARTNER_KEY",
        "WX_PAY_SIGN_KEY",
        "WX_PAY_API_KEY",
    ]
    .iter()
    .map(|k| ((*k).to_owned(), "value-of-sixteen-chars".to_owned()))
    .chain([(
        "WX_PAY_API_V3_KEY".to_owned(),
        "an-api-v3-key-of-32-characters00".to_owned(),
    )])
    .collect();
    // The key must be a real one: the service refuses to start on a key that cannot sign.
    let key = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key.path(), wxjs_sim::config::DEMO_V3_PRIVATE_KEY).unwrap();
    let text = std::fs::read_to_string(example).unwrap().replace(
        "file:/etc/wxjs/apiclient_key.pem",
        &format!("file:{}", key.path().display()),
    );
    wxjs_service::ServiceConfig::from_toml(&text, &env).unwrap();
}

/// `wxjs dev --sim-config FILE`: the developer's own accounts are simulated (their appId and
/// JS safe domains); a file that is not a simulator config is one readable line and exit 2.
#[test]
fn dev_simulated_only_the_demo_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sim.toml");
    std::fs::write(
        &file,
        "[[apps]]\napp_id = \"wx1a2b3c4d5e6f7a8b\"\napp_secret = \"0123456789abcdef0123456789abcdef\"\ndomains = [\"shop.example.com\"]\n",
    )
    .unwrap();
    let (mut child, p, _) = dev(&["--memory", "--sim-config", file.to_str().unwrap()]);
    let apps = get(&format!("http://127.0.0.1:{}/__sim/apps", p.platform));
    let mine = apps
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["appId"] == "wx1a2b3c4d5e6f7a8b")
        .expect("the file's account");
    assert_eq!(mine["domains"], serde_json::json!(["shop.example.com"]));
    // The service signs for it too.
    let cfg = get(&format!(
        "http://127.0.0.1:{}/v1/wx1a2b3c4d5e6f7a8b/jssdk/config?url=https%3A%2F%2Fshop.example.com%2F",
        p.service
    ));
    assert_eq!(cfg["appId"], "wx1a2b3c4d5e6f7a8b");
    interrupt(&mut child);

    std::fs::write(&file, "apps = 3").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wxjs"))
        .args(["dev", "--memory", "--port", "0", "--sim-config"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--sim-config"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// The banner printed the built-in demo secret even when `--sim-config` gave the demo account
/// another one (which then got `40125 invalid appsecret`), printed `--proxy`'s password, and
/// `--allow-host` took `''`, `'a b'` and `'*'` without a word (`*` turns the DNS-rebinding guard
/// off).
#[test]
fn the_dev_banner_misled_and_allow_host_took_anything() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sim.toml");
    std::fs::write(
        &file,
        "[[apps]]\napp_id = \"wxdemo000000000001\"\napp_secret = \"mysecret00000000mysecret00000000\"\ndomains = [\"localhost\"]\n",
    )
    .unwrap();
    let (mut child, _, banner) = dev(&[
        "--memory",
        "--sim-config",
        file.to_str().unwrap(),
        "--proxy",
        "http://user:hunter2@127.0.0.1:9/",
        "--allow-host",
        "*",
    ]);
    assert!(
        banner.contains("appSecret mysecret00000000mysecret00000000"),
        "{banner}"
    );
    assert!(
        !banner.contains("5f1c8a2e9b7d4c6a3e0f1b2d8c7a9e4f"),
        "{banner}"
    );
    assert!(
        !banner.contains("hunter2") && !banner.contains("user:"),
        "{banner}"
    );
    assert!(banner.contains("http://…@127.0.0.1:9/"), "{banner}");
    assert!(banner.contains("WARNING: --allow-host '*'"), "{banner}");
    interrupt(&mut child);

    for bad in ["", "a b", "*.", "exa_mple.com", "a..b"] {
        let out = Command::new(env!("CARGO_BIN_EXE_wxjs"))
            .args(["dev", "--memory", "--port", "0", "--allow-host", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("is not a host name"), "{bad:?}: {err}");
    }
}

/// A second Ctrl-C did not cut the 10 s grace period short: with a request in flight, `wxjs dev`
/// kept waiting whatever the person pressed. It now ends at once (exit 130).
#[test]
fn a_second_ctrl_c_did_not_stop_dev_at_once() {
    use std::io::Write as _;
    let (mut child, p, _) = dev(&["--memory"]);
    // A request whose body never finishes keeps the graceful shutdown waiting.
    let mut slow = std::net::TcpStream::connect(("127.0.0.1", p.phone)).unwrap();
    slow.write_all(
        b"POST /__wxjs/note HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pid = child.0.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        child.0.try_wait().unwrap().is_none(),
        "dev should still be waiting for the request in flight"
    );
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let status = child.0.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    drop(slow);
}

/// `wxjs dev --data FILE` (a file where a directory belongs) exited 1, as if the machine were at
/// fault; it is the person's input: exit 2 and one line.
#[test]
fn dev_data_that_is_a_file_was_not_an_input_error() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wxjs"))
        .args(["dev", "--port", "0", "--data"])
        .arg(file.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("is a file, not a directory"), "{err}");
}
