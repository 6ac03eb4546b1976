//! Regression tests of the hardening issue that need the real binary: what its surroundings do
//! to it (a closed log output, a listener reached from beyond loopback).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::dev::{DevProcess, free_port, ports_of};

/// `wxjs dev 2>&1 | head -c1`: once the reader of stderr is gone, every log line fails to
/// write. Every listener must go on answering.
#[test]
fn a_closed_log_output_killed_every_request() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxjs"))
        .args(["dev", "--memory", "--port", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut banner = String::new();
    let started = lines.by_ref().map_while(Result::ok).any(|l| {
        banner.push_str(&l);
        banner.push('\n');
        l.starts_with("Ctrl-C")
    });
    let mut child = DevProcess::new(child);
    assert!(started, "wxjs dev did not start");
    let p = ports_of(&banner);
    // Close the only reader of the log output.
    drop(lines);
    let http = reqwest::blocking::Client::new();
    for round in 0..3 {
        for url in [
            format!("http://127.0.0.1:{p}/"),
            format!("http://127.0.0.1:{}/__sim/stats", p.platform),
            format!(
                "http://127.0.0.1:{}/cgi-bin/token?grant_type=client_credential&appid=wxdemo000000000001&secret=x",
                p.platform
            ),
            format!("http://127.0.0.1:{}/healthz", p.service),
            format!(
                "http://127.0.0.1:{}/v1/wxdemo000000000001/jssdk/config?url=http%3A%2F%2Flocalhost%2F",
                p.service
            ),
        ] {
            let res = http
                .get(&url)
                .send()
                .unwrap_or_else(|e| panic!("round {round}: {url}: {e}"));
            assert_eq!(res.status(), 200, "round {round}: {url}");
            assert!(!res.bytes().expect("body").is_empty(), "{url}");
        }
    }
    let status = crate::dev::interrupt(&mut child);
    assert!(
        status.success(),
        "a closed stderr must not make the exit fail: {status}"
    );
}

/// A config with no API key started without a word; one whose merchant `private_key` is not a
/// key started and failed every v3 payment later.
#[test]
fn serve_started_with_zero_api_keys_or_a_broken_private_key_without_a_word() {
    let dir = tempfile::tempdir().expect("dir");
    let base = "listen = \"127.0.0.1:0\"\n[store]\nkind = \"memory\"\n[[apps]]\napp_id = \"wx1a2b3c4d5e6f7a8b\"\napp_secret = \"s3cr3t\"\ndomains = [\"example.com\"]\n";
    let broken = dir.path().join("broken.toml");
    std::fs::write(
        &broken,
        format!("{base}[apps.merchant]\npartner_id = \"1900000109\"\nprivate_key = \"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\"\n"),
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_wxjs"))
        .args(["serve", "--config", broken.to_str().expect("utf-8")])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("apps[0].merchant.private_key: is not an RSA private key"),
        "{err}"
    );

    let keyless = dir.path().join("keyless.toml");
    std::fs::write(&keyless, base).expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxjs"))
        .args(["serve", "--config", keyless.to_str().expect("utf-8")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut child = DevProcess::new(child);
    let mut warned = false;
    for line in lines.map_while(Result::ok) {
        if line.contains("WARNING: no api_keys configured") {
            warned = true;
        }
        if line.starts_with("wxjs serve: listening") {
            break;
        }
    }
    assert!(warned, "no warning about the missing API keys");
    crate::dev::interrupt(&mut child);
}

fn send(req: reqwest::blocking::RequestBuilder) -> (u16, String) {
    let res = req.send().expect("send");
    let status = res.status().as_u16();
    (status, res.text().expect("text"))
}

fn error_code(body: &str) -> String {
    let v: serde_json::Value =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    v["error"]["code"].as_str().unwrap_or_default().to_owned()
}

/// A page the developer visits could reset the simulator or move its clock (JSON sent as
/// `text/plain`), and read the secrets through DNS rebinding (any Host was served).
#[test]
fn dev_servers_obeyed_any_web_page() {
    let (_child, p, _) = crate::dev::dev(&["--memory", "--allow-host", "sim.example.test"]);
    let http = reqwest::blocking::Client::new();
    let sim = |path: &str| format!("http://127.0.0.1:{}{path}", p.platform);
    let phone = |path: &str| format!("http://127.0.0.1:{p}{path}");
    let clock = |http: &reqwest::blocking::Client| -> serde_json::Value {
        http.get(sim("/__sim/clock"))
            .send()
            .expect("clock")
            .json()
            .expect("json")
    };
    let before = clock(&http)["offset"].clone();
    // A form-free cross-site POST: text/plain, from a foreign origin.
    let (status, body) = send(
        http.post(sim("/__sim/clock/advance"))
            .header("content-type", "text/plain")
            .header("origin", "http://evil.example")
            .body(r#"{"seconds":86400}"#),
    );
    assert_eq!(status, 415, "{body}");
    assert_eq!(error_code(&body), "unsupported_media_type");
    let (status, _) = send(
        http.post(sim("/__sim/reset"))
            .header("origin", "http://evil.example"),
    );
    assert_eq!(status, 415);
    assert_eq!(clock(&http)["offset"], before, "the clock moved");
    // The same from a tool, as JSON, works.
    let (status, _) = send(
        http.post(sim("/__sim/clock/advance"))
            .json(&serde_json::json!({ "seconds": 60 })),
    );
    assert_eq!(status, 200);
    // DNS rebinding: a foreign name for the platform and the service.
    for url in [
        sim("/__sim/apps"),
        format!("http://127.0.0.1:{}/healthz", p.service),
    ] {
        let (status, body) = send(http.get(&url).header("host", "attacker.example"));
        assert_eq!(status, 421, "{url}: {body}");
        assert_eq!(error_code(&body), "host_not_allowed");
        assert!(!body.contains("appSecret"));
    }
    let (status, body) = send(
        http.get(sim("/__sim/apps"))
            .header("host", "sim.example.test:1"),
    );
    assert_eq!(status, 200, "a name given with --allow-host: {body}");
    // The phone serves its pages under any name…
    let (status, page) = send(http.get(phone("/")).header("host", "shop.example.com"));
    assert_eq!(status, 200);
    assert!(page.contains("/__wxjs/bridge.js"));
    // …but its automation takes JSON from its own origin only.
    let tap = serde_json::json!({ "menu": "share:timeline" }).to_string();
    let (status, body) = send(
        http.post(phone("/__wxjs/user/tap"))
            .header("content-type", "application/json")
            .header("origin", "http://evil.example")
            .body(tap.clone()),
    );
    assert_eq!(status, 403, "{body}");
    assert_eq!(error_code(&body), "cross_origin");
    let (status, _) = send(
        http.post(phone("/__wxjs/user/tap"))
            .header("content-type", "text/plain")
            .body(tap.clone()),
    );
    assert_eq!(status, 415);
    let (status, body) = send(
        http.post(phone("/__wxjs/user/tap"))
            .header("content-type", "application/json")
            .header("host", "shop.example.com")
            .header("origin", "http://shop.example.com")
            .body(tap),
    );
    assert!(status < 300, "{status}: {body}");
}

/// Invalid UTF-8 in a path segment or a query, and errors of lower layers, answered in plain
/// text (or nothing) on some listeners.
#[test]
fn some_errors_were_not_json() {
    let (_child, p, _) = crate::dev::dev(&["--memory"]);
    let http = reqwest::blocking::Client::new();
    for url in [
        format!("http://127.0.0.1:{}/v1/%FF/jssdk/config?url=x", p.service),
        format!(
            "http://127.0.0.1:{}/v1/wxdemo000000000001/jssdk/config?url=%FF",
            p.service
        ),
        format!("http://127.0.0.1:{}/__sim/tickets/%FF", p.platform),
        format!("http://127.0.0.1:{}/__sim/nope", p.platform),
        format!("http://127.0.0.1:{p}/__wxjs/demo/notify?failures=many"),
        format!("http://127.0.0.1:{p}/__wxjs/local/nope"),
        format!("http://127.0.0.1:{p}/__wxjs/samples/99"),
        format!("http://127.0.0.1:{p}/nope"),
    ] {
        let res = if url.contains("/demo/notify") {
            http.post(&url).body("<xml/>").send()
        } else {
            http.get(&url).send()
        }
        .expect("send");
        let status = res.status().as_u16();
        assert!((400..500).contains(&status), "{url}: {status}");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{url}");
        let body = res.text().expect("text");
        assert!(!error_code(&body).is_empty(), "{url}: {body}");
    }
}

/// The phone's and the demo back end's queries were decoded lossily: `%FF` reached them as
/// U+FFFD (a page's reported URL, a log filter), where the service's config URL was already
/// refused (item 24). Every listener now reads queries through `wxjs_http::Query`.
#[test]
fn the_phone_s_queries_were_decoded_lossily() {
    let (_child, p, _) = crate::dev::dev(&["--memory"]);
    let http = reqwest::blocking::Client::new();
    let base = format!("http://127.0.0.1:{p}");
    for (post, path) in [
        (false, "/__wxjs/log?session=%FF"),
        (false, "/__wxjs/log?after=1&session=a%C3"),
        (false, "/__wxjs/device?url=%2F%FF&preset=iphone-14"),
        (
            false,
            "/__wxjs/events?session=s1&url=http%3A%2F%2Flocalhost%2F%FF",
        ),
        (true, "/__wxjs/demo/notify?failures=1&x=%ED%A0%80"),
    ] {
        let url = format!("{base}{path}");
        let req = if post {
            http.post(&url).body("<xml/>")
        } else {
            http.get(&url)
        };
        let (status, body) = send(req);
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(error_code(&body), "bad_query", "{path}: {body}");
        assert!(body.contains("not UTF-8"), "{path}: {body}");
    }
    // Nothing was recorded: no page took the altered URL.
    let (status, pages) = send(http.get(format!("{base}/__wxjs/pages")));
    assert_eq!(status, 200);
    assert!(!pages.contains('\u{FFFD}'), "{pages}");
    // UTF-8 that is not ASCII still passes.
    let (status, body) = send(http.get(format!("{base}/__wxjs/log?session=%E4%B8%AD")));
    assert_eq!((status, body.as_str()), (200, "[]"));
}

/// `wxjs sign`, `serve --openapi` (and `explain`) panicked with exit 101 when their output was
/// a closed pipe or a full disk (`println!` panics on a failed write).
#[test]
fn the_cli_panicked_when_its_output_was_closed() {
    let commands: [&[&str]; 3] = [
        &["sign", "config", "jsapi_ticket=T", "url=http://a.example/"],
        &["sign", "config", "--json"],
        &["serve", "--config", "unused.toml", "--openapi"],
    ];
    for args in commands {
        for target in ["closed pipe", "/dev/full"] {
            let stdout = if target == "/dev/full" {
                Stdio::from(
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open("/dev/full")
                        .expect("/dev/full"),
                )
            } else {
                let (reader, writer) = std::io::pipe().expect("pipe");
                drop(reader);
                Stdio::from(writer)
            };
            let mut child = Command::new(env!("CARGO_BIN_EXE_wxjs"))
                .args(args)
                .stdin(Stdio::piped())
                .stdout(stdout)
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn");
            {
                use std::io::Write as _;
                let mut stdin = child.stdin.take().expect("stdin");
                let _ = stdin.write_all(br#"{"jsapi_ticket":"T","noncestr":"n","timestamp":1,"url":"http://a.example/"}"#);
            }
            let out = child.wait_with_output().expect("wait");
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?} to {target}: {err}");
            assert!(!err.contains("panicked"), "{args:?} to {target}: {err}");
            assert_eq!(err.lines().count(), 1, "{args:?} to {target}: {err}");
            assert!(
                err.starts_with("wxjs: cannot write the output"),
                "{args:?} to {target}: {err}"
            );
        }
    }
}

/// Inputs were read without limit: `serve --config /dev/zero` grew to 1.7 GB, a
/// `private_key_file=/dev/zero` to 3 GB, `app_secret = "file:/dev/zero"` never finished, and
/// `sign --json` read 400 MB of stdin whole (and answered exit 1 to stdin that was not UTF-8).
#[test]
fn inputs_were_read_without_limit() {
    let dir = tempfile::tempdir().expect("dir");
    let secret_from_zero = dir.path().join("zero.toml");
    std::fs::write(
        &secret_from_zero,
        "[[apps]]\napp_id = \"wx1a2b3c4d5e6f7a8b\"\napp_secret = \"file:/dev/zero\"\ndomains = [\"example.com\"]\n",
    )
    .expect("write");
    let dir_path = dir.path().to_str().expect("utf-8").to_owned();
    let zero_toml = secret_from_zero.to_str().expect("utf-8").to_owned();
    let cases: Vec<(Vec<&str>, Vec<u8>, &str)> = vec![
        (
            vec!["serve", "--config", "/dev/zero"],
            vec![],
            "larger than 1024 KiB",
        ),
        (
            vec!["serve", "--config", &dir_path],
            vec![],
            "is a directory",
        ),
        (
            vec!["serve", "--config", &zero_toml],
            vec![],
            "/dev/zero is larger than 1024 KiB",
        ),
        (
            vec!["sim", "--config", "/dev/zero"],
            vec![],
            "larger than 1024 KiB",
        ),
        (
            vec![
                "dev",
                "--memory",
                "--port",
                "0",
                "--sim-config",
                "/dev/zero",
            ],
            vec![],
            "larger than 1024 KiB",
        ),
        (
            vec![
                "sign",
                "pay-sign-v3",
                "app_id=wx1a2b3c4d5e6f7a8b",
                "private_key_file=/dev/zero",
            ],
            vec![],
            "larger than 1024 KiB",
        ),
        (
            vec!["sign", "config", "--json"],
            vec![b' '; 2 << 20],
            "larger than 1024 KiB",
        ),
        (
            vec!["sign", "config", "--json"],
            b"{\"url\":\"\xff\"}".to_vec(),
            "not UTF-8",
        ),
    ];
    for (args, stdin, why) in cases {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wxjs"))
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut input = child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || {
            use std::io::Write as _;
            let _ = input.write_all(&stdin);
        });
        let out = child.wait_with_output().expect("wait");
        let _ = writer.join();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: {err}");
    }
}

/// Failures named neither where nor why: a Redis store that was down gave `cannot open the
/// credential store: credential store: redis: IoError`, a URL that was not Redis `…:
/// InvalidClientConfig` (exit 1, as if the machine were at fault), `explain --service notaurl`
/// `builder error` (exit 1) and an unreachable service `error sending request`.
#[test]
fn failures_named_neither_where_nor_why() {
    let dir = tempfile::tempdir().expect("dir");
    let port = crate::dev::free_port();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_wxjs"))
            .args(args)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let last = err.trim().lines().last().unwrap_or("").to_owned();
        (out.status.code(), last, err)
    };
    let config = |url: &str| {
        let path = dir.path().join(format!("{}.toml", url.len()));
        std::fs::write(
            &path,
            format!(
                "[store]\nkind = \"redis\"\nurl = \"{url}\"\n[[apps]]\napp_id = \"wx1a2b3c4d5e6f7a8b\"\napp_secret = \"s\"\ndomains = [\"example.com\"]\n"
            ),
        )
        .expect("write");
        path.to_str().expect("utf-8").to_owned()
    };
    let down = config(&format!("redis://:hunter2@127.0.0.1:{port}/0"));
    let (code, last, all) = run(&["serve", "--config", &down]);
    assert_eq!(code, Some(1), "{all}");
    assert_eq!(
        last,
        format!(
            "wxjs: cannot open the credential store: redis at 127.0.0.1:{port}: connection refused (is Redis running there?)"
        ),
        "{all}"
    );
    assert!(!all.contains("hunter2"), "{all}");
    let (code, last, all) = run(&["serve", "--config", &config("mysql://localhost/db")]);
    assert_eq!(code, Some(2), "{all}");
    assert!(last.contains("store.url: is not a Redis URL"), "{all}");

    let explain = |service: &str| {
        run(&[
            "explain",
            "--service",
            service,
            "--app",
            "wx1a2b3c4d5e6f7a8b",
            "--url",
            "https://example.com/",
            "--timestamp",
            "1",
            "--nonce",
            "n",
            "--signature",
            "s",
        ])
    };
    let (code, _, all) = explain("notaurl");
    assert_eq!(code, Some(2), "{all}");
    assert!(all.contains("is not the service's URL"), "{all}");
    let (code, last, all) = explain(&format!("http://127.0.0.1:{port}"));
    assert_eq!(code, Some(1), "{all}");
    assert!(last.contains("Connection refused"), "{all}");
}

/// A configuration error quoted the value it was about: `app_secret = 12345678901234` gave
/// `invalid type: integer `12345678901234`, expected a string`, with no key and no line.
#[test]
fn config_errors_quoted_the_secret() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("c.toml");
    std::fs::write(
        &file,
        "[[apps]]\napp_id = \"wx1a2b3c4d5e6f7a8b\"\napp_secret = 12345678901234\ndomains = [\"example.com\"]\n",
    )
    .expect("write");
    let path = file.to_str().expect("utf-8");
    for args in [
        vec!["serve", "--config", path],
        vec!["sim", "--config", path],
        vec!["dev", "--memory", "--port", "0", "--sim-config", path],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_wxjs"))
            .args(&args)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("12345678901234"), "{args:?}: {err}");
        assert!(
            err.contains("line 3, app_secret: invalid type: integer"),
            "{args:?}: {err}"
        );
    }
}

/// `--static` followed symlinks out of its directory.
#[test]
fn static_followed_symlinks_out_of_its_directory() {
    let outside = tempfile::tempdir().expect("dir");
    std::fs::write(outside.path().join("secret.txt"), "outside-secret").expect("write");
    let site = tempfile::tempdir().expect("dir");
    std::fs::write(site.path().join("index.html"), "<p>in</p>").expect("write");
    std::fs::write(site.path().join("real.txt"), "inside").expect("write");
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        site.path().join("link.txt"),
    )
    .expect("symlink");
    std::os::unix::fs::symlink(outside.path(), site.path().join("dir")).expect("symlink");
    std::os::unix::fs::symlink(site.path().join("real.txt"), site.path().join("alias.txt"))
        .expect("symlink");
    let dir = site.path().to_str().expect("utf-8");
    let (_child, p, _) = crate::dev::dev(&["--memory", "--static", dir]);
    let http = reqwest::blocking::Client::new();
    for path in ["/link.txt", "/dir/secret.txt"] {
        let (status, body) = send(http.get(format!("http://127.0.0.1:{p}{path}")));
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("outside-secret"));
    }
    let (status, body) = send(http.get(format!("http://127.0.0.1:{p}/alias.txt")));
    assert_eq!(
        (status, body.as_str()),
        (200, "inside"),
        "a link that stays inside"
    );
    // Files other than HTML are served as tower-http serves them: MIME types, ranges.
    std::fs::write(site.path().join("app.css"), "body{color:red}").expect("write");
    std::fs::write(site.path().join("app.mjs"), "export {}").expect("write");
    for (path, ct) in [
        ("/app.css", "text/css"),
        ("/app.mjs", "application/javascript"),
    ] {
        let res = http
            .get(format!("http://127.0.0.1:{p}{path}"))
            .send()
            .expect("get");
        let got = res.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(got.starts_with(ct), "{path}: {got}");
    }
    let res = http
        .get(format!("http://127.0.0.1:{p}/app.css"))
        .header("Range", "bytes=0-3")
        .send()
        .expect("get");
    assert_eq!(res.status(), 206);
    assert_eq!(res.text().expect("body"), "body");
}

/// The page endpoints allowed 600 requests a minute per peer address: a browser suite loading
/// pages in parallel got 429 from `wxjs dev`.
#[test]
fn dev_answered_429_to_a_parallel_test_suite() {
    let (_child, p, _) = crate::dev::dev(&["--memory"]);
    let url = format!(
        "http://127.0.0.1:{}/v1/wxdemo000000000001/jssdk/config?url=http%3A%2F%2Flocalhost%2F",
        p.service
    );
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let http = reqwest::blocking::Client::new();
                    (0..300)
                        .map(|_| http.get(&url).send().expect("send").status().as_u16())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    assert_eq!(statuses.len(), 1200);
    assert!(statuses.iter().all(|s| *s == 200), "{:?}", {
        let mut other: Vec<_> = statuses.iter().filter(|s| **s != 200).collect();
        other.dedup();
        other
    });
}

/// The phone kept everything in memory without bound: 40 uploads of 1.4 MB added 66 MB, 2000
/// demo notifications of 100 KB added 181 MB and reading the list returned 190 MB.
#[test]
fn the_phone_kept_everything_in_memory_without_bound() {
    use base64::Engine as _;
    let (_child, p, _) = crate::dev::dev(&["--memory"]);
    let http = reqwest::blocking::Client::new();
    let mut photo = b"\x89PNG\r\n\x1a\n".to_vec();
    photo.resize(1 << 20, 0);
    let file = serde_json::json!({
        "name": "big.png",
        "base64": base64::engine::general_purpose::STANDARD.encode(&photo)
    });
    let nine = serde_json::json!({ "files": vec![file; 9] });
    let mut refused = None;
    for round in 0..20 {
        let (status, body) = send(
            http.post(format!("http://127.0.0.1:{p}/__wxjs/local"))
                .header("content-type", "application/json")
                .body(nine.to_string()),
        );
        if status != 200 {
            refused = Some((round, status, body));
            break;
        }
    }
    let (round, status, body) = refused.expect("uploads never hit a limit");
    assert!(round >= 5, "refused too early, after {round} rounds");
    assert_eq!(status, 400);
    assert!(body.contains("storage is full"), "{body}");
    // The demo back end: bodies beyond a notification's size are refused, the list is bounded.
    let big = "x".repeat(100 * 1024);
    let (status, _) = send(
        http.post(format!("http://127.0.0.1:{p}/__wxjs/demo/notify"))
            .body(big),
    );
    assert_eq!(status, 413);
    for _ in 0..130 {
        let (status, _) = send(
            http.post(format!("http://127.0.0.1:{p}/__wxjs/demo/notify"))
                .body("<xml><return_code>SUCCESS</return_code></xml>"),
        );
        // Unsigned: the service does not verify it, so the demo back end refuses it (and
        // records it).
        assert_eq!(status, 500);
    }
    let list: Vec<serde_json::Value> = http
        .get(format!("http://127.0.0.1:{p}/__wxjs/demo/notify"))
        .send()
        .expect("send")
        .json()
        .expect("json");
    assert_eq!(list.len(), 100, "the latest 100 are kept");
}

/// The phone's log and its queue of automated answers were bounded by count, not by size: 63
/// `getLocalImgData` calls on a 6.7 MB photo made a 567 MB log (1.5 GB of memory while it was
/// read), and 100 queued answers of 15 MB each held 1.6 GB. A misspelt `page` in `user/next`
/// was ignored, so the answer went to the page loaded most recently.
#[test]
fn the_phone_s_log_and_answers_were_bounded_by_count_not_size() {
    let (_child, p, _) = crate::dev::dev(&["--memory"]);
    let http = reqwest::blocking::Client::new();
    let post = |path: &str, body: serde_json::Value| {
        send(
            http.post(format!("http://127.0.0.1:{p}{path}"))
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
    };
    let photo = format!("data:image/png;base64,{}", "A".repeat(2 << 20));
    for _ in 0..30 {
        let (status, body) = post(
            "/__wxjs/note",
            serde_json::json!({
                "session": "s1",
                "api": "getLocalImgData",
                "params": { "localId": "wxLocalResource://1" },
                "result": { "errMsg": "getLocalImgData:ok", "localData": photo },
            }),
        );
        assert_eq!(status, 204, "{body}");
    }
    // Many small values are as large as one big one.
    let many: serde_json::Map<String, serde_json::Value> = (0..20_000)
        .map(|i| (format!("k{i}"), serde_json::json!("v")))
        .collect();
    let (status, _) = post(
        "/__wxjs/note",
        serde_json::json!({ "session": "s1", "api": "many", "result": many }),
    );
    assert_eq!(status, 204);
    let (status, log) = send(http.get(format!("http://127.0.0.1:{p}/__wxjs/log")));
    assert_eq!(status, 200);
    assert!(log.len() < 200_000, "the log is {} bytes", log.len());
    let log: Vec<serde_json::Value> = serde_json::from_str(&log).expect("json");
    assert_eq!(log.len(), 31);
    let kept = log[0]["result"]["localData"].as_str().expect("localData");
    assert!(kept.starts_with("data:image/png;base64,AAAA"), "{kept}");
    assert!(
        kept.ends_with(&format!("… ({} bytes, cut in the log)", photo.len())),
        "{kept}"
    );
    assert_eq!(log[0]["params"]["localId"], "wxLocalResource://1");
    assert!(log[30]["result"]["cutInTheLog"].is_string(), "{}", log[30]);

    // Queued answers: bounded in bytes, and a misspelt field is refused.
    let (status, body) = post(
        "/__wxjs/user/next",
        serde_json::json!({ "api": "chooseImage", "action": "ok", "pgae": "p1" }),
    );
    assert_eq!((status, error_code(&body).as_str()), (400, "bad_request"));
    assert!(body.contains("pgae"), "{body}");
    let big = "x".repeat(3 << 20);
    let mut refused = None;
    for n in 0..10 {
        let (status, body) = post(
            "/__wxjs/user/next",
            serde_json::json!({ "api": "chooseImage", "action": "ok", "data": { "blob": big } }),
        );
        if status != 204 {
            refused = Some((n, status, body));
            break;
        }
    }
    let (n, status, body) = refused.expect("the queue never refused");
    assert_eq!((n, status), (2, 400), "{body}");
    assert!(body.contains("8 MiB of data at most"), "{body}");
    // Small answers still queue.
    let (status, body) = post(
        "/__wxjs/user/next",
        serde_json::json!({ "api": "chooseImage", "action": "cancel" }),
    );
    assert_eq!(status, 204, "{body}");
}

/// Starts `wxjs sim` on its own port with state under `data`; waits until it answers.
fn sim_on(port: u16, data: &std::path::Path) -> DevProcess {
    let child = Command::new(env!("CARGO_BIN_EXE_wxjs"))
        .args(["sim", "--port", &port.to_string(), "--data"])
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let child = DevProcess::new(child);
    for _ in 0..200 {
        if reqwest::blocking::get(format!("http://127.0.0.1:{port}/__sim/clock")).is_ok() {
            return child;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("wxjs sim did not start");
}

/// `kill -9` under load lost acknowledged writes: 0–14 acknowledged clock advances per round.
#[test]
fn kill_9_under_load_lost_acknowledged_writes() {
    let data = tempfile::tempdir().expect("dir");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    for round in 0..3 {
        let mut sim = sim_on(port, data.path());
        let http = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .expect("client");
        let offset_before = http
            .get(format!("{base}/__sim/clock"))
            .send()
            .and_then(reqwest::blocking::Response::json::<serde_json::Value>)
            .expect("clock")["offset"]
            .as_i64()
            .expect("offset");
        let acknowledged = std::sync::atomic::AtomicI64::new(0);
        let sent = std::sync::atomic::AtomicI64::new(0);
        let stop = std::sync::atomic::AtomicBool::new(false);
        let last_token = std::sync::Mutex::new(None::<String>);
        std::thread::scope(|scope| {
            for _ in 0..3 {
                scope.spawn(|| {
                    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                        sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let ok = http
                            .post(format!("{base}/__sim/clock/advance"))
                            .json(&serde_json::json!({ "seconds": 1 }))
                            .send()
                            .is_ok_and(|r| r.status() == 200);
                        if ok {
                            acknowledged.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                    }
                });
            }
            scope.spawn(|| {
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let token = http
                        .get(format!("{base}/cgi-bin/token?grant_type=client_credential&appid=wxdemo000000000001&secret=5f1c8a2e9b7d4c6a3e0f1b2d8c7a9e4f"))
                        .send()
                        .and_then(reqwest::blocking::Response::json::<serde_json::Value>);
                    if let Ok(t) = token
                        && let Some(t) = t["access_token"].as_str() {
                            *last_token.lock().expect("lock") = Some(t.to_owned());
                        }
                }
            });
            std::thread::sleep(std::time::Duration::from_millis(300 + round * 100));
            // kill -9 while requests are in flight.
            sim.kill_hard();
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let acknowledged = acknowledged.load(std::sync::atomic::Ordering::SeqCst);
        let sent = sent.load(std::sync::atomic::Ordering::SeqCst);
        assert!(acknowledged > 0, "round {round}: nothing was acknowledged");
        let _sim = sim_on(port, data.path());
        let after = http
            .get(format!("{base}/__sim/clock"))
            .send()
            .and_then(reqwest::blocking::Response::json::<serde_json::Value>)
            .expect("clock")["offset"]
            .as_i64()
            .expect("offset");
        let moved = after - offset_before;
        assert!(
            moved >= acknowledged && moved <= sent,
            "round {round}: {acknowledged} advances acknowledged, {sent} sent, the clock moved {moved}"
        );
        // The last token an answer gave out is still known after the restart.
        let token = last_token.lock().expect("lock").clone().expect("a token");
        let ticket: serde_json::Value = http
            .get(format!(
                "{base}/cgi-bin/ticket/getticket?type=jsapi&access_token={token}"
            ))
            .send()
            .and_then(reqwest::blocking::Response::json)
            .expect("ticket");
        assert_eq!(ticket["errcode"], 0, "round {round}: {ticket}");
        drop(_sim);
    }
}

/// `wxjs dev` listening beyond loopback says so, loudly, in its banner.
#[test]
fn dev_beyond_loopback_warns_loudly() {
    let (_child, _p, banner) = crate::dev::dev(&["--memory", "--host", "0.0.0.0"]);
    assert!(banner.contains("WARNING: listening on 0.0.0.0"), "{banner}");
    assert!(
        banner.contains("/__sim/merchants"),
        "the banner says where the keys are"
    );
}
