//! What the person at the screen sees while debugging, in real headless Chromium: the debug
//! console of JS-SDK calls, the browser console's mirror of each call, and the toast that names
//! why a call failed.

use std::time::Duration;

use fantoccini::Client;
use fantoccini::key::Key;
use serde_json::{Value, json};

use crate::browser::{
    PAGES, browser, call_wx, configured_suite_page, kinds, package_params, scenario, wait_done,
    wait_for,
};
use crate::dev;

/// Runs `body` with `root` bound to the client's shadow root, and the helpers a visibility check
/// needs: `contrast(el)` (WCAG ratio of the text colour on the first opaque background behind
/// it, through the shadow host) and `onScreen(el)` (a box of its own, inside the viewport).
fn in_client(body: &str) -> String {
    format!(
        r#"var root = document.getElementById('wxjs-client').shadowRoot;
        function rgba(c) {{ var m = c.match(/[\d.]+/g).map(Number); return {{ r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1 }}; }}
        function lum(c) {{ return [c.r, c.g, c.b].map(function (v) {{ v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }}).reduce(function (s, v, i) {{ return s + v * [0.2126, 0.7152, 0.0722][i]; }}, 0); }}
        function background(el) {{
          for (var n = el; n; n = n.parentElement || (n.getRootNode && n.getRootNode().host)) {{
            var b = rgba(getComputedStyle(n).backgroundColor);
            if (b.a > 0.5) return b;
          }}
          return {{ r: 255, g: 255, b: 255, a: 1 }};
        }}
        function contrast(el) {{
          var a = lum(rgba(getComputedStyle(el).color)), b = lum(background(el));
          return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        }}
        function onScreen(el) {{
          var r = el.getBoundingClientRect();
          return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth && getComputedStyle(el).visibility !== 'hidden';
        }}
        {body}"#
    )
}

/// The console's lines as shown: `[api, outcome, first reason or null]`, top to bottom.
async fn console_lines(c: &Client, at_least: usize) -> Vec<Value> {
    let script = in_client(&format!(
        "var ls = Array.from(root.querySelectorAll('[data-console-entry]')); if (ls.length < {at_least}) return null;
         return ls.map(function (l) {{ var w = l.querySelector('[data-console-why]'); return [l.getAttribute('data-console-entry'), l.getAttribute('data-outcome'), w ? w.textContent : null]; }});"
    ));
    wait_for(c, &script, Value::is_array)
        .await
        .as_array()
        .unwrap()
        .clone()
}

/// Every text of the console (or of what `selector` picks) that is on screen must reach a
/// contrast of 4.5:1; gives how many were checked.
async fn assert_readable(c: &Client, selector: &str) -> usize {
    let script = in_client(&format!(
        "return Array.from(root.querySelectorAll({selector:?})).filter(function (e) {{ return e.textContent.trim() && onScreen(e); }})
           .map(function (e) {{ return [e.textContent.slice(0, 40), contrast(e), getComputedStyle(e).color]; }});"
    ));
    let shown = c.execute(&script, vec![]).await.unwrap();
    let shown = shown.as_array().unwrap();
    for t in shown {
        assert!(
            t[1].as_f64().unwrap() >= 4.5,
            "text below 4.5:1 contrast: {t}"
        );
    }
    shown.len()
}

async fn click_in_client(c: &Client, selector: &str) {
    let script = in_client(&format!(
        "var e = root.querySelector({selector:?}); if (!e) return false; e.click(); return true;"
    ));
    assert_eq!(
        c.execute(&script, vec![]).await.unwrap(),
        json!(true),
        "nothing to click at {selector}"
    );
}

/// The toast's text, once it is on screen and readable.
async fn toast(c: &Client) -> String {
    let script = in_client(
        "var t = root.querySelector('[data-toast]'); return t && onScreen(t) ? [t.textContent, contrast(t)] : null;",
    );
    let t = wait_for(c, &script, Value::is_array).await;
    assert!(t[1].as_f64().unwrap() >= 4.5, "toast unreadable: {t}");
    t[0].as_str().unwrap().to_owned()
}

/// Records the page's console groups and errors (the mirror of each call must be there, and no
/// error of the emulator's own).
const WATCH_CONSOLE: &str = "window.__groups = []; window.__errors = [];
    var g = console.groupCollapsed, e = console.error;
    console.groupCollapsed = function () { __groups.push(Array.prototype.join.call(arguments, ' ')); return g.apply(console, arguments); };
    console.error = function () { __errors.push(Array.prototype.join.call(arguments, ' ')); return e.apply(console, arguments); };";

async fn shot(c: &Client, name: &str) {
    if let Ok(dir) = std::env::var("WXJS_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{name}.png"), c.screenshot().await.unwrap()).unwrap();
    }
}

/// A failing payment or config returned a bare `…:fail` to the page; the reason sat only in a
/// call log of raw JSON with the newest entry at the bottom. Now the failure shows a toast
/// naming the reason, the browser console gets a group per call, and the debug console lists
/// the calls newest first with the reason under each failure — kept across reloads of the tab,
/// filtered, cleared, copied and closed with Esc.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reason_for_a_failure_was_a_bare_fail_at_the_bottom_of_a_json_log() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let c = browser().await;
    c.set_window_size(1280, 860).await.unwrap();

    // A config with a wrong signature: the page gets exactly what WeChat says, the toast why.
    assert_eq!(
        kinds(&scenario(&c, &base, "badsig").await),
        ["error:config:invalid signature", "ready"]
    );
    let said = toast(&c).await;
    assert!(said.starts_with("config — "), "{said}");
    assert!(
        said.contains("no variant tried reproduces the signature"),
        "the diagnosis, not the errMsg again: {said}"
    );

    // The same tab, a good config, then a payment whose paySign is wrong.
    assert_eq!(kinds(&scenario(&c, &base, "good").await), ["ready"]);
    c.execute(WATCH_CONSOLE, vec![]).await.unwrap();
    let mut bad = package_params(p, "o-console-1", "100", json!({})).await;
    bad["paySign"] = json!("0".repeat(32));
    let r = call_wx(&c, "chooseWXPay", bad).await;
    assert_eq!(r["res"]["errMsg"], "chooseWXPay:fail", "the page's string stays WeChat's");
    let said = toast(&c).await;
    assert!(
        said.contains("paySign does not match the paySignKey"),
        "{said}"
    );
    let groups = wait_for(&c, "return __groups.length ? __groups : null", Value::is_array).await;
    assert!(
        groups[0]
            .as_str()
            .unwrap()
            .starts_with("%cwx.chooseWXPay ✗"),
        "{groups}"
    );
    assert_eq!(
        c.execute("return __errors", vec![]).await.unwrap(),
        json!([])
    );

    // The console: newest first, the reason under each failure, across both page sessions.
    click_in_client(&c, "[data-log-button]").await;
    let lines = console_lines(&c, 3).await;
    assert_eq!(lines[0][0], "chooseWXPay", "{lines:?}");
    assert_eq!(lines[0][1], "fail");
    assert!(
        lines[0][2]
            .as_str()
            .unwrap()
            .contains("paySign does not match the paySignKey"),
        "{lines:?}"
    );
    assert_eq!((&lines[1][0], &lines[1][1]), (&json!("config"), &json!("ok")), "{lines:?}");
    let config_fail = lines.last().unwrap();
    assert_eq!((&config_fail[0], &config_fail[1]), (&json!("config"), &json!("fail")), "{lines:?}");
    assert!(config_fail[2].is_string(), "{lines:?}");
    assert!(assert_readable(&c, "[data-console] *").await >= 8);
    shot(&c, "console-desktop").await;

    // A failing config's line opens to the expected string1 (ticket masked) and the diagnosis.
    let script = in_client(
        "var ls = root.querySelectorAll('[data-console-entry] .c-head'); ls[ls.length - 1].click(); return true;",
    );
    c.execute(&script, vec![]).await.unwrap();
    let detail = wait_for(
        &c,
        &in_client("var d = root.querySelector('[data-console-detail]'); return d ? d.textContent : null;"),
        Value::is_string,
    )
    .await;
    let detail = detail.as_str().unwrap();
    assert!(
        detail.contains("expected string1: jsapi_ticket=[current jsapi_ticket]&noncestr="),
        "{detail}"
    );
    assert!(detail.contains("verifySignature"), "the parameters: {detail}");
    let n = assert_readable(&c, "[data-console-detail] *").await;
    shot(&c, "console-detail").await;
    assert!(n >= 4, "{n} texts of the detail on screen");

    // Filter.
    let filter = in_client(
        "var f = root.querySelector('[data-console-filter]'); f.value = arguments[0]; f.dispatchEvent(new Event('input')); return true;",
    );
    c.execute(&filter, vec![json!("paysign")]).await.unwrap();
    let lines = console_lines(&c, 1).await;
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0][0], "chooseWXPay");
    c.execute(&filter, vec![json!("")]).await.unwrap();

    // Copy: the calls as text, newest first.
    c.execute(
        "window.__copied = null; navigator.clipboard.writeText = function (t) { window.__copied = t; return Promise.resolve(); };",
        vec![],
    )
    .await
    .unwrap();
    click_in_client(&c, "[data-console-copy]").await;
    let copied = wait_for(&c, "return window.__copied", Value::is_string).await;
    let copied = copied.as_str().unwrap();
    assert!(copied.starts_with("chooseWXPay (getBrandWCPayRequest) ✗"), "{copied}");
    assert!(copied.contains("why: payment refused: paySign does not match"), "{copied}");

    // Esc closes it; the 调试 menu item opens it again.
    c.active_element()
        .await
        .unwrap()
        .send_keys(&Key::Escape.to_string())
        .await
        .unwrap();
    wait_for(
        &c,
        &in_client("return !root.querySelector('[data-console]');"),
        |v| v == &json!(true),
    )
    .await;
    click_in_client(&c, "[data-menu-button]").await;
    click_in_client(&c, "[data-item='menuItem:jsDebug']").await;
    console_lines(&c, 3).await;

    // A reload of the page keeps the tab's calls; clear hides them for good.
    c.refresh().await.unwrap();
    wait_done(&c).await;
    click_in_client(&c, "[data-log-button]").await;
    let lines = console_lines(&c, 4).await;
    assert_eq!(lines[0][0], "config", "the reloaded page's config: {lines:?}");
    assert_eq!(lines[1][0], "chooseWXPay", "{lines:?}");
    click_in_client(&c, "[data-console-clear]").await;
    wait_for(
        &c,
        &in_client("return root.querySelectorAll('[data-console-entry]').length === 0 && root.querySelector('.c-empty').textContent;"),
        |v| v == &json!("no JS-SDK call yet"),
    )
    .await;
    c.refresh().await.unwrap();
    wait_done(&c).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    click_in_client(&c, "[data-log-button]").await;
    let lines = console_lines(&c, 1).await;
    assert_eq!(lines.len(), 1, "only the call after the clear: {lines:?}");

    // On a phone the console is the lower part of the screen, still readable.
    let (child2, c2) = (child, c);
    c2.set_window_size(390, 844).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let panel = c2
        .execute(
            &in_client("var r = root.querySelector('[data-console]').getBoundingClientRect(); return [r.top, r.bottom, r.width, innerHeight, innerWidth];"),
            vec![],
        )
        .await
        .unwrap();
    let v: Vec<f64> = panel.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert!(v[0] > v[3] * 0.2 && (v[1] - v[3]).abs() < 1.0 && (v[2] - v[4]).abs() < 1.0, "{panel}");
    assert!(assert_readable(&c2, "[data-console] *").await >= 3);
    shot(&c2, "console-phone").await;
    c2.close().await.unwrap();
    child2.stop().await;
}

/// A call that succeeds shows no toast: the toast is for failures only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successful_call_showed_a_toast() {
    let (child, _p, c) = configured_suite_page().await;
    let r = call_wx(&c, "getNetworkType", json!({})).await;
    assert_eq!(r["cb"], "success", "{r}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        c.execute(&in_client("return !!root.querySelector('[data-toast]');"), vec![])
            .await
            .unwrap(),
        json!(false)
    );
    c.close().await.unwrap();
    child.stop().await;
}
