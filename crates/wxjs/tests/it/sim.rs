//! `wxjs sim` as a user runs it: the real binary on a free port, stopped with SIGINT.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn sim(args: &[&str]) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxjs"))
        .args(["sim", "--port", "0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let base = first.rsplit_once(" on ").unwrap().1.to_owned();
    // Keep draining the log so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, base)
}

fn interrupt(child: &mut std::process::Child) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap()
}

#[test]
fn sim_serves_the_platform_and_stops_on_sigint_keeping_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let (mut child, base) = sim(&["--data", data]);
    let token_url = format!(
        "{base}/cgi-bin/token?grant_type=client_credential&appid=wxdemo000000000001&secret=5f1c8a2e9b7d4c6a3e0f1b2d8c7a9e4f"
    );
    let v: serde_json::Value = reqwest::blocking::get(&token_url).unwrap().json().unwrap();
    assert_eq!(v["expires_in"], 7200);
    assert!(interrupt(&mut child).success());
    assert!(dir.path().join("sim.sqlite3").exists());

    let (mut child, base) = sim(&["--data", data]);
    let stats: serde_json::Value = reqwest::blocking::get(format!("{base}/__sim/stats"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        stats["calls"]["/cgi-bin/token"], 1,
        "state restored from --data"
    );
    assert!(interrupt(&mut child).success());
}

#[test]
fn sim_with_a_bad_config_exits_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, "[[apps]]\napp_id = \"nope\"\napp_secret = \"s\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_wxjs"))
        .args(["sim", "--port", "0", "--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("appId must start"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_wxjs"))
        .args(["sim", "--port", "0", "--config", "/nonexistent.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // The example config in the repository is valid.
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/sim.example.toml");
    wxjs_sim::SimConfig::from_file(std::path::Path::new(example)).unwrap();
}
