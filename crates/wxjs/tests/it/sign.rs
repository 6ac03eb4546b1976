//! `wxjs sign`: every vector through the real binary with `--json`, human mode, and a table of
//! bad inputs.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn wxjs(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxjs"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the wxjs binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn vectors() -> Vec<Value> {
    let doc: Value =
        serde_json::from_str(include_str!("../../../wxjs-sign/tests/data/vectors.json")).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

fn same_digest(case: Option<&str>, got: &str, want: &str) -> bool {
    match case {
        Some("exact" | "lower" | "upper") => got == want,
        _ => got.eq_ignore_ascii_case(want),
    }
}

#[test]
fn json_mode_reproduces_every_vector() {
    for v in vectors() {
        let kind = v["kind"].as_str().unwrap();
        let out = wxjs(&["sign", kind, "--json"], &v["input"].to_string());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{kind}: {stderr}");
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        let case = v["case"].as_str();
        assert_eq!(got["string1"], v["string1"], "{kind}");
        if kind == "package" {
            assert_eq!(got.as_object().unwrap().len(), 3, "{kind}: {got}");
            assert!(
                same_digest(
                    case,
                    got["sign"].as_str().unwrap(),
                    v["sign"].as_str().unwrap()
                ),
                "{kind}"
            );
            assert_eq!(got["package"], v["package"]);
        } else {
            assert_eq!(got.as_object().unwrap().len(), 2, "{kind}: {got}");
            assert!(
                same_digest(
                    case,
                    got["signature"].as_str().unwrap(),
                    v["signature"].as_str().unwrap()
                ),
                "{kind}: {got}"
            );
        }
    }
}

#[test]
fn human_mode_shows_string1_and_result() {
    let out = wxjs(
        &[
            "sign",
            "config",
            "jsapi_ticket=sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
            "noncestr=Wm3WZYTPz0wzccnW",
            "timestamp=1414587457",
            "url=http://mp.weixin.qq.com#frag",
        ],
        "",
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("string1      jsapi_ticket=sM4AOV"), "{text}");
    assert!(text.contains("url=http://mp.weixin.qq.com\n"), "{text}");
    assert!(
        text.contains("signature    f4d90daf4b3bca3078ab155816175ba34c443a7b"),
        "{text}"
    );
    assert!(text.contains("not signed"), "{text}");

    // A left-out nonce and timestamp are generated and shown.
    let out = wxjs(
        &["sign", "config", "jsapi_ticket=T", "url=https://a.com/"],
        "",
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let nonce = text
        .lines()
        .find_map(|l| l.strip_prefix("noncestr"))
        .unwrap()
        .trim();
    assert_eq!(nonce.len(), 16);

    // Package order fields go into `fields`.
    let out = wxjs(
        &[
            "sign",
            "package",
            "partner_key=8934e7d15453e97507ef794cf7b0519d",
            "body=a b",
            "input_charset=UTF-8",
        ],
        "",
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("package      body=a%20b&input_charset=UTF-8&sign="),
        "{text}"
    );
}

#[test]
fn bad_input_exits_non_zero_with_one_line_naming_the_field() {
    let config = r#"{"jsapi_ticket":"T","noncestr":"N","timestamp":1,"url":"http://a.com/"}"#;
    let with = |k: &str, v: Value| {
        let mut o: Value = serde_json::from_str(config).unwrap();
        o[k] = v;
        o.to_string()
    };
    let without = |k: &str| {
        let mut o: Value = serde_json::from_str(config).unwrap();
        o.as_object_mut().unwrap().remove(k);
        o.to_string()
    };
    let long_url = format!("http://a.com/{}", "x".repeat(10 * 1024));
    let table: Vec<(&str, String, &str)> = vec![
        ("config", "not json".into(), "not one JSON object"),
        ("config", "[]".into(), "must be a JSON object"),
        ("config", without("jsapi_ticket"), "\"jsapi_ticket\" is missing"),
        ("config", with("jsapi_ticket", "".into()), "\"jsapi_ticket\" is empty"),
        ("config", with("timestamp", "12a".into()), "\"timestamp\" must be a whole number"),
        ("config", with("timestamp", (-1).into()), "\"timestamp\" must be a whole number"),
        ("config", with("url", "/relative".into()), "\"url\": url must be absolute"),
        ("config", with("url", "javascript:alert(1)".into()), "\"url\": url scheme \"javascript\""),
        ("config", with("url", long_url.clone().into()), "\"url\": url is 10253 bytes"),
        ("config", with("url", "http://a.com/\u{1}".into()), "\"url\": url contains a control character"),
        ("config", with("url", 5.into()), "\"url\" must be a string"),
        ("config", with("extra", "x".into()), "unknown field \"extra\""),
        ("config", with("timestamp", "99999999999999999999999".into()), "\"timestamp\" is too large"),
        ("package", r#"{"partner_key":"k"}"#.into(), "\"fields\" is missing"),
        ("package", r#"{"fields":{"body":"x"}}"#.into(), "\"partner_key\" is missing"),
        ("package", r#"{"fields":{"body":{}},"partner_key":"k"}"#.into(), "\"fields.body\" must be a string"),
        ("package", r#"{"fields":{"body":"😀"},"partner_key":"k"}"#.into(), "\"body\" has characters that Gbk cannot encode"),
        ("package", r#"{"fields":{"input_charset":"BIG5","body":"x"},"partner_key":"k"}"#.into(), "input_charset \"BIG5\""),
        ("pay-sign-v2", r#"{"appId":"wxd678efh567hg6787","timeStamp":"1","nonceStr":"n","package":"p","signType":"SHA1","key":"k"}"#.into(), "\"signType\" must be"),
        ("pay-sign-v2", r#"{"appId":"bad","timeStamp":"1","nonceStr":"n","package":"p","signType":"MD5","key":"k"}"#.into(), "\"appId\": appId must start"),
        ("pay-sign-v3", r#"{"appId":"wx8888888888888888","timeStamp":"1","nonceStr":"n","package":"p","private_key_pem":"SECRET-NOT-A-KEY"}"#.into(), "\"private_key_pem\": private key is not"),
        ("card-sign", r#"{"api_ticket":"t","app_id":"wx1a2b3c4d5e6f7a8b","times_tamp":"x","nonce_str":"n"}"#.into(), "\"times_tamp\" must be a whole number"),
    ];
    for (kind, stdin, want) in table {
        let out = wxjs(&["sign", kind, "--json"], &stdin);
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{kind} {stdin}: {stderr}");
        assert!(out.stdout.is_empty(), "{kind}: nothing on stdout");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains(want),
            "{kind} {stdin}: want {want:?}, got {stderr}"
        );
        assert!(!stderr.contains("SECRET"), "no secret in errors: {stderr}");
    }

    // Human mode and the argument parser.
    for (args, want) in [
        (vec!["sign", "config", "jsapi_ticket"], "is not FIELD=VALUE"),
        (
            vec![
                "sign",
                "config",
                "url=http://a.com/",
                "url=http://b.com/",
                "jsapi_ticket=t",
            ],
            "given twice",
        ),
        (vec!["sign", "nope"], "invalid value 'nope'"),
    ] {
        let out = wxjs(&args, "");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
    }
}

/// `sign --json` kept the last of a field given twice, where `FIELD=VALUE` refuses it.
#[test]
fn sign_json_took_the_last_of_a_field_given_twice() {
    use std::io::Write as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wxjs"))
        .args(["sign", "config", "--json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            br#"{"jsapi_ticket":"a","jsapi_ticket":"b","noncestr":"n","timestamp":1,"url":"http://a.example/"}"#,
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("\"jsapi_ticket\" is given twice"), "{err}");
    assert!(out.stdout.is_empty());
}
