//! What the person at the screen sees while debugging, in real headless Chromium: the debug
//! console of JS-SDK calls, the browser console's mirror of each call, and the toast that names
//! why a call failed.

use std::time::Duration;

use fantoccini::Client;
use fantoccini::key::Key;
use serde_json::{Value, json};

use crate::browser::{
    PAGES, browser, call_wx, configured_suite_page, get_json, get_text, kinds, package_params,
    scenario, wait_done, wait_for,
};
use crate::dev;

/// Runs `body` with `root` bound to the client's shadow root (the device view's console's, in
/// the device view), and the helpers a visibility check
/// needs: `contrast(el)` (WCAG ratio of the text colour on the first opaque background behind
/// it, through the shadow host) and `onScreen(el)` (a box of its own, inside the viewport).
fn in_client(body: &str) -> String {
    format!(
        r#"var root = (document.getElementById('wxjs-client') || document.getElementById('wxjs-device-console')).shadowRoot;
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
    let (text, ratio) = shown(c, "[data-toast]").await;
    assert!(ratio >= 4.5, "toast unreadable: {text} at {ratio}");
    text
}

/// Records the page's console groups and errors (the mirror of each call must be there, and no
/// error of the emulator's own).
const WATCH_CONSOLE: &str = "window.__groups = []; window.__errors = [];
    window.addEventListener('error', function (e) { __errors.push('uncaught ' + e.message); });
    window.addEventListener('unhandledrejection', function (e) { __errors.push('unhandled ' + e.reason); });
    var g = console.groupCollapsed, e = console.error;
    console.groupCollapsed = function () { __groups.push(Array.prototype.join.call(arguments, ' ')); return g.apply(console, arguments); };
    console.error = function () { __errors.push(Array.prototype.join.call(arguments, ' ')); return e.apply(console, arguments); };";

/// Writes a screenshot into the directory the environment variable `var` names, if it does.
async fn shot_into(var: &str, c: &Client, name: &str) {
    if let Ok(dir) = std::env::var(var) {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(format!("{dir}/{name}.png"), c.screenshot().await.unwrap()).unwrap();
    }
}

/// A screenshot for the person reviewing a run (`WXJS_SCREENSHOTS`).
async fn shot(c: &Client, name: &str) {
    shot_into("WXJS_SCREENSHOTS", c, name).await;
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
    assert_eq!(
        r["res"]["errMsg"], "chooseWXPay:fail",
        "the page's string stays WeChat's"
    );
    let said = toast(&c).await;
    assert!(
        said.contains("paySign does not match the paySignKey"),
        "{said}"
    );
    let groups = wait_for(
        &c,
        "return __groups.length ? __groups : null",
        Value::is_array,
    )
    .await;
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
    assert_eq!(
        (&lines[1][0], &lines[1][1]),
        (&json!("config"), &json!("ok")),
        "{lines:?}"
    );
    let config_fail = lines.last().unwrap();
    assert_eq!(
        (&config_fail[0], &config_fail[1]),
        (&json!("config"), &json!("fail")),
        "{lines:?}"
    );
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
        &in_client(
            "var d = root.querySelector('[data-console-detail]'); return d ? d.textContent : null;",
        ),
        Value::is_string,
    )
    .await;
    let detail = detail.as_str().unwrap();
    assert!(
        detail.contains("expected string1: jsapi_ticket=[current jsapi_ticket]&noncestr="),
        "{detail}"
    );
    assert!(
        detail.contains("verifySignature"),
        "the parameters: {detail}"
    );
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
    assert!(
        copied.starts_with("chooseWXPay (getBrandWCPayRequest) ✗"),
        "{copied}"
    );
    assert!(
        copied.contains("why: payment refused: paySign does not match"),
        "{copied}"
    );

    // Esc closes it; the 调试 menu item opens it again.
    press_key(&c, Key::Escape).await;
    gone(&c, "[data-console]").await;
    click_in_client(&c, "[data-menu-button]").await;
    click_in_client(&c, "[data-item='menuItem:jsDebug']").await;
    console_lines(&c, 3).await;

    // A reload of the page keeps the tab's calls; clear hides them for good.
    c.refresh().await.unwrap();
    wait_done(&c).await;
    click_in_client(&c, "[data-log-button]").await;
    let lines = console_lines(&c, 4).await;
    assert_eq!(
        lines[0][0], "config",
        "the reloaded page's config: {lines:?}"
    );
    assert_eq!(
        (&lines[1][0], &lines[1][1]),
        (&json!("tap jsDebug"), &json!("note")),
        "the menu tap, neither ok nor failed: {lines:?}"
    );
    assert_eq!(lines[2][0], "chooseWXPay", "{lines:?}");
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
    let v: Vec<f64> = panel
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert!(
        v[0] > v[3] * 0.2 && (v[1] - v[3]).abs() < 1.0 && (v[2] - v[4]).abs() < 1.0,
        "{panel}"
    );
    assert!(assert_readable(&c2, "[data-console] *").await >= 3);
    shot(&c2, "console-phone").await;
    c2.close().await.unwrap();
    child2.stop().await;
}

/// A call that succeeds shows no toast: the toast is for failures only. And a page callback
/// that throws was called a second time with `…:fail_client`, and its call never reached the
/// browser console.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_successful_call_showed_a_toast() {
    let (child, _p, c) = configured_suite_page().await;
    // A failure shows one; it goes.
    let r = call_wx(
        &c,
        "chooseWXPay",
        json!({"timestamp": 1, "nonceStr": "n", "package": "prepay_id=1", "paySign": "x"}),
    )
    .await;
    assert_eq!(r["cb"], "fail", "{r}");
    toast(&c).await;
    c.execute(
        &in_client("root.querySelector('[data-toast]').remove();"),
        vec![],
    )
    .await
    .unwrap();
    // A callback that throws: called once, its call mirrored, its error the page's own.
    c.execute(WATCH_CONSOLE, vec![]).await.unwrap();
    c.execute(
        "window.__calls = 0; wx.getNetworkType({ complete: function () { window.__calls++; throw new Error('the page broke'); } });",
        vec![],
    )
    .await
    .unwrap();
    wait_for(
        &c,
        "return __groups.length ? __groups : null",
        Value::is_array,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = c
        .execute("return [__calls, __errors];", vec![])
        .await
        .unwrap();
    assert_eq!(
        seen,
        json!([1, ["uncaught Uncaught Error: the page broke"]])
    );
    let r = call_wx(&c, "getNetworkType", json!({})).await;
    assert_eq!(r["cb"], "success", "{r}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        c.execute(
            &in_client(
                "var t = root.querySelector('[data-toast]'); return t ? t.textContent : false;"
            ),
            vec![]
        )
        .await
        .unwrap(),
        json!(false)
    );
    c.close().await.unwrap();
    child.stop().await;
}

/// The menu's visible item texts, in order (the menu is opened first).
async fn open_menu(c: &Client) -> Vec<String> {
    click_in_client(c, "[data-menu-button]").await;
    let items = wait_for(
        c,
        &in_client("var m = root.querySelector('[data-menu]'); return m && onScreen(m) ? Array.from(m.querySelectorAll('[data-item]')).map(function (b) { return b.getAttribute('data-item'); }) : null;"),
        Value::is_array,
    )
    .await;
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

async fn gone(c: &Client, selector: &str) {
    wait_for(
        c,
        &in_client(&format!("return !root.querySelector({selector:?});")),
        |v| v == &json!(true),
    )
    .await;
}

async fn press_key(c: &Client, key: Key) {
    c.active_element()
        .await
        .unwrap()
        .send_keys(&key.to_string())
        .await
        .unwrap();
}

async fn press_escape(c: &Client) {
    press_key(c, Key::Escape).await;
}

/// The client's own menu items did nothing but share: 刷新 did not reload, 复制链接 copied
/// nothing, 日间模式 and 夜间模式 (and 查看公众号 已添加/未添加) showed side by side, the
/// menu had no 取消, Esc closed nothing, and a closed window could not be reopened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_menu_s_own_items_did_nothing() {
    let (child, p, c) = configured_suite_page().await;
    let base = format!("http://localhost:{p}");
    let items = open_menu(&c).await;
    assert!(
        items.contains(&"menuItem:nightMode".to_owned()),
        "{items:?}"
    );
    assert!(!items.contains(&"menuItem:dayMode".to_owned()), "{items:?}");
    assert!(items.contains(&"menuItem:profile".to_owned()), "{items:?}");
    assert!(
        !items.contains(&"menuItem:addContact".to_owned()),
        "{items:?}"
    );
    assert!(assert_readable(&c, "[data-menu] button").await >= 10);
    shot(&c, "menu").await;

    // 夜间模式: switched, and now only 日间模式 is offered.
    click_in_client(&c, "[data-item='menuItem:nightMode']").await;
    let (said, ratio) = shown(&c, "[data-toast=ok]").await;
    assert_eq!(said, "✓ 已切换到夜间模式");
    assert!(ratio >= 4.5, "{said}: {ratio}");
    let items = open_menu(&c).await;
    assert!(items.contains(&"menuItem:dayMode".to_owned()), "{items:?}");
    assert!(
        !items.contains(&"menuItem:nightMode".to_owned()),
        "{items:?}"
    );

    // 日间模式 switches back; an item the emulator does not simulate says so.
    click_in_client(&c, "[data-item='menuItem:dayMode']").await;
    let (said, _) = shown(&c, "[data-toast=ok]").await;
    assert_eq!(said, "✓ 已切换到日间模式");
    let items = open_menu(&c).await;
    assert!(
        items.contains(&"menuItem:nightMode".to_owned()),
        "{items:?}"
    );
    click_in_client(&c, "[data-item='menuItem:readMode']").await;
    let (said, _) = shown(&c, "[data-toast=info]").await;
    assert_eq!(said, "阅读模式: the emulator does not simulate this item");
    open_menu(&c).await;

    // 取消 closes the menu; so does Esc.
    click_in_client(&c, "[data-menu] [data-cancel]").await;
    gone(&c, "[data-menu]").await;
    open_menu(&c).await;
    press_escape(&c).await;
    gone(&c, "[data-menu]").await;

    // 复制链接 copies the page's URL.
    c.execute(
        "window.__copied = null; navigator.clipboard.writeText = function (t) { window.__copied = t; return Promise.resolve(); };",
        vec![],
    )
    .await
    .unwrap();
    open_menu(&c).await;
    click_in_client(&c, "[data-item='menuItem:copyUrl']").await;
    let copied = wait_for(&c, "return window.__copied", Value::is_string).await;
    assert_eq!(copied, format!("{base}/suite.html?scenario=good"));

    // 刷新 reloads: a new page session, the same URL.
    let before = crate::browser::page_id(&c).await;
    open_menu(&c).await;
    click_in_client(&c, "[data-item='menuItem:refresh']").await;
    let after = wait_for(
        &c,
        "return window.__wxjsClient && window.__done ? window.__wxjsClient.session : null",
        |v| v.is_string() && v != &json!(before),
    )
    .await;
    assert_ne!(after, json!(before));

    // A share sheet closes with Esc as with 取消: the page hears cancel.
    c.execute(
        "window.__shared = null; wx.onMenuShareTimeline({ title: 't', link: location.href, imgUrl: location.origin + '/__wxjs/samples/0.png', cancel: function (r) { window.__shared = r.errMsg; } });",
        vec![],
    )
    .await
    .unwrap();
    open_menu(&c).await;
    click_in_client(&c, "[data-item='menuItem:share:timeline']").await;
    wait_for(
        &c,
        &in_client("return !!root.querySelector('[data-share] [data-send]');"),
        |v| v == &json!(true),
    )
    .await;
    press_escape(&c).await;
    let r = wait_for(&c, "return window.__shared", Value::is_string).await;
    assert_eq!(r, "shareTimeline:cancel");
    gone(&c, "[data-share]").await;

    // closeWindow offers to reopen the page, fresh from its link — also when only its
    // #fragment moved since.
    c.execute("location.hash = 'moved';", vec![]).await.unwrap();
    let r = call_wx(&c, "closeWindow", json!({})).await;
    assert_eq!(r["res"]["errMsg"], "closeWindow:ok");
    let closed = wait_for(
        &c,
        &in_client("var d = root.querySelector('[data-closed]'); var b = d && d.querySelector('[data-reopen]'); return b && onScreen(b) ? [d.textContent, contrast(d.querySelector('p')), contrast(b)] : null;"),
        Value::is_array,
    )
    .await;
    assert!(
        closed[0].as_str().unwrap().contains("closeWindow"),
        "{closed}"
    );
    assert!(
        closed[1].as_f64().unwrap() >= 4.5 && closed[2].as_f64().unwrap() >= 4.5,
        "{closed}"
    );
    shot(&c, "closed").await;
    let before = crate::browser::page_id(&c).await;
    click_in_client(&c, "[data-reopen]").await;
    wait_for(
        &c,
        "return window.__wxjsClient && window.__done ? window.__wxjsClient.session : null",
        |v| v.is_string() && v != &json!(before),
    )
    .await;
    assert_eq!(
        c.current_url().await.unwrap().as_str(),
        format!("{base}/suite.html?scenario=good")
    );
    // ✕ closes it too, saying who did.
    click_in_client(&c, "[data-bar] button[title='关闭']").await;
    let who = wait_for(
        &c,
        &in_client("var d = root.querySelector('[data-closed]'); return d ? d.getAttribute('data-closed') : null;"),
        Value::is_string,
    )
    .await;
    assert_eq!(who, "person");
    c.close().await.unwrap();
    child.stop().await;
}

/// The share sheet did not say where it sends, nor that the share would fail or look broken:
/// an empty or relative imgUrl, a link outside the account's JS safe domains, an over-long
/// title. After sending, nothing said 已发送.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_share_sheet_hid_what_breaks_a_real_share() {
    let (child, _p, c) = configured_suite_page().await;
    c.set_window_size(390, 844).await.unwrap();
    c.execute(
        "window.__shared = null; wx.onMenuShareAppMessage({ title: arguments[0], link: 'https://evil.test/landing', imgUrl: '/logo.png', success: function (r) { window.__shared = r.errMsg; } });",
        vec![json!("双十一大促销：全场商品五折起，限时抢购，先到先得，错过再等一整年！")],
    )
    .await
    .unwrap();
    open_menu(&c).await;
    click_in_client(&c, "[data-item='menuItem:share:appMessage']").await;
    let sheet = wait_for(
        &c,
        &in_client("var s = root.querySelector('[data-share]'); var w = s ? Array.from(s.querySelectorAll('[data-share-warning]')) : []; return w.length >= 3 ? [s.querySelector('[data-share-channel]').textContent, w.map(function (e) { return [e.textContent, contrast(e), onScreen(e)]; })] : null;"),
        Value::is_array,
    )
    .await;
    assert_eq!(sheet[0], "发送给朋友");
    let warnings = sheet[1].as_array().unwrap();
    let text: Vec<&str> = warnings.iter().map(|w| w[0].as_str().unwrap()).collect();
    assert!(
        text[0].contains("\"/logo.png\" is not an absolute http(s) URL"),
        "{text:?}"
    );
    assert!(
        text[1].contains("evil.test is not a JS safe domain of wxdemo000000000001"),
        "{text:?}"
    );
    assert!(
        text[2].contains("characters: about 32 are shown"),
        "{text:?}"
    );
    for w in warnings {
        assert!(w[1].as_f64().unwrap() >= 4.5 && w[2] == json!(true), "{w}");
    }
    assert!(assert_readable(&c, "[data-share] *").await >= 5);
    shot(&c, "share-sheet-phone").await;
    click_in_client(&c, "[data-share] [data-send]").await;
    let (sent, ratio) = shown(&c, "[data-toast=ok]").await;
    assert_eq!(sent, "✓ 已发送");
    assert!(ratio >= 4.5);
    // The page gets what WeChat gives: the warnings are the emulator's, not the page's.
    let r = wait_for(&c, "return window.__shared", Value::is_string).await;
    assert_eq!(r, "sendAppMessage:ok");
    c.close().await.unwrap();
    child.stop().await;
}

/// Waits for an element of the client's UI that is on screen; gives `[text, contrast]`.
async fn shown(c: &Client, selector: &str) -> (String, f64) {
    let v = wait_for(
        c,
        &in_client(&format!("var e = root.querySelector({selector:?}); return e && onScreen(e) ? [e.textContent, contrast(e)] : null;")),
        Value::is_array,
    )
    .await;
    (v[0].as_str().unwrap().to_owned(), v[1].as_f64().unwrap())
}

/// Runs `wx[name](opts)` without waiting; its outcome lands in `window[slot]`.
async fn start_wx(c: &Client, name: &str, opts: Value, slot: &str) {
    c.execute(
        "var slot = arguments[2]; window[slot] = null; window.callWx(arguments[0], arguments[1]).then(function (r) { window[slot] = r; });",
        vec![json!(name), opts, json!(slot)],
    )
    .await
    .unwrap();
}

async fn outcome_of(c: &Client, slot: &str) -> Value {
    wait_for(c, &format!("return window[{slot:?}];"), |v| !v.is_null()).await
}

/// What the person did left nothing to see: no cashier naming who is paid and no 支付成功, no
/// recording indicator, three tiny album thumbnails with a border for a choice, a preview in a
/// sheet, and no permission prompt before the location or the microphone was used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_person_did_left_nothing_to_see() {
    let (child, p, c) = configured_suite_page().await;
    let phone = format!("http://127.0.0.1:{p}");
    c.set_window_size(390, 844).await.unwrap();

    // The cashier: amount, payee, order; 支付成功 after paying.
    let params = package_params(p, "o-outcomes-1", "123", json!({})).await;
    start_wx(&c, "chooseWXPay", params, "__paid").await;
    let (amount, ratio) = shown(&c, "[data-pay='o-outcomes-1'] [data-pay-amount]").await;
    assert_eq!(amount, "¥1.23");
    assert!(ratio >= 4.5);
    let (payee, _) = shown(&c, "[data-pay-payee] .v").await;
    assert!(!payee.is_empty(), "the cashier names who is paid");
    assert!(assert_readable(&c, "[data-pay] *").await >= 8);
    shot(&c, "cashier-phone").await;
    click_in_client(&c, "[data-pay] [data-send]").await;
    let (done, ratio) = shown(&c, "[data-toast=ok]").await;
    assert_eq!(done, "✓ 支付成功 ¥1.23");
    assert!(ratio >= 4.5);
    assert_eq!(
        outcome_of(&c, "__paid").await["res"]["errMsg"],
        "chooseWXPay:ok"
    );

    // The recording indicator, with the time recorded, while recording.
    assert_eq!(
        call_wx(&c, "startRecord", json!({})).await["res"]["errMsg"],
        "startRecord:ok"
    );
    let (rec, ratio) = shown(&c, "[data-recording]").await;
    assert!(rec.starts_with("录音中 0:0"), "{rec}");
    assert!(ratio >= 4.5);
    wait_for(
        &c,
        &in_client("return root.querySelector('[data-recording]').textContent;"),
        |v| v.as_str().is_some_and(|t| t.ends_with("0:01")),
    )
    .await;
    shot(&c, "recording-phone").await;
    assert_eq!(
        call_wx(&c, "stopRecord", json!({})).await["res"]["errMsg"],
        "stopRecord:ok"
    );
    gone(&c, "[data-recording]").await;

    // The album: a grid; the chosen photos carry their numbers, 完成 counts them.
    start_wx(&c, "chooseImage", json!({"count": 2}), "__chosen").await;
    shown(&c, "[data-choose-image] [data-sample='3']").await;
    for n in ["2", "0", "1"] {
        click_in_client(&c, &format!("[data-sample='{n}']")).await;
    }
    let badges = c
        .execute(
            &in_client("return Array.from(root.querySelectorAll('[data-sample]')).map(function (t) { return t.textContent; });"),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        badges,
        json!(["2", "", "1", ""]),
        "at most count photos, numbered in order"
    );
    let (finish, _) = shown(&c, "[data-choose-image] [data-send]").await;
    assert_eq!(finish, "完成(2/2)");
    let tiles = c
        .execute(
            &in_client("return Array.from(root.querySelectorAll('[data-sample]')).map(function (t) { var r = t.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height), t.querySelector('img').naturalWidth]; });"),
            vec![],
        )
        .await
        .unwrap();
    for t in tiles.as_array().unwrap() {
        assert!(
            t[0].as_f64() >= Some(60.0) && t[0] == t[1] && t[2].as_f64() > Some(0.0),
            "{tiles}"
        );
    }
    shot(&c, "album-phone").await;
    click_in_client(&c, "[data-choose-image] [data-send]").await;
    let chosen = outcome_of(&c, "__chosen").await;
    assert_eq!(
        chosen["res"]["localIds"].as_array().map(Vec::len),
        Some(2),
        "{chosen}"
    );

    // The preview: full-screen on black, the current image, ‹ › and the arrow keys, Esc.
    let urls: Vec<String> = (0..3)
        .map(|n| format!("http://localhost:{p}/__wxjs/samples/{n}.png"))
        .collect();
    call_wx(
        &c,
        "previewImage",
        json!({"current": urls[1], "urls": urls}),
    )
    .await;
    let (counter, _) = shown(&c, "[data-preview-counter]").await;
    assert_eq!(counter, "2 / 3");
    let view = c
        .execute(
            &in_client("var v = root.querySelector('[data-preview]'); var r = v.getBoundingClientRect(); var i = v.querySelector('img'); return [r.width === innerWidth && r.height === innerHeight, getComputedStyle(v).backgroundColor, i.complete && i.naturalWidth > 0, i.getAttribute('src')];"),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(view[0], json!(true), "full-screen: {view}");
    assert_eq!(view[1], "rgb(0, 0, 0)");
    assert_eq!(view[3], json!(urls[1]));
    press_key(&c, Key::Right).await;
    wait_for(
        &c,
        &in_client("return root.querySelector('[data-preview-counter]').textContent;"),
        |v| v == &json!("3 / 3"),
    )
    .await;
    shot(&c, "preview-phone").await;
    press_escape(&c).await;
    gone(&c, "[data-preview]").await;

    // Permissions: asked the first time (here even under automation, as set), remembered.
    let settings = crate::browser::post(
        format!("{phone}/__wxjs/settings"),
        json!({"permissions": {"location": "ask", "microphone": "ask"}}),
    )
    .await;
    assert_eq!(settings.status(), 200);
    start_wx(&c, "getLocation", json!({}), "__where").await;
    let (asked, ratio) = shown(&c, "[data-permission='location'] .t").await;
    assert!(
        asked.ends_with("申请获取你的地理位置 (location)"),
        "{asked}"
    );
    assert!(ratio >= 4.5);
    shot(&c, "permission-phone").await;
    // Dismissed (Esc): this call fails, nothing is remembered; 拒绝 is remembered.
    press_escape(&c).await;
    let dismissed = outcome_of(&c, "__where").await;
    assert_eq!(dismissed["res"]["errMsg"], "getLocation:fail auth deny");
    let kept: Value = get_json(format!("{phone}/__wxjs/settings")).await;
    assert_eq!(kept["permissions"]["location"], "ask");
    start_wx(&c, "getLocation", json!({}), "__where").await;
    shown(&c, "[data-permission='location'] .t").await;
    click_in_client(&c, "[data-permission='location'] [data-cancel]").await;
    let denied = outcome_of(&c, "__where").await;
    assert_eq!(
        denied["res"]["errMsg"], "getLocation:fail auth deny",
        "{denied}"
    );
    let again = call_wx(&c, "getLocation", json!({})).await;
    assert_eq!(
        again["res"]["errMsg"], "getLocation:fail auth deny",
        "remembered, no prompt"
    );
    let now: Value = get_json(format!("{phone}/__wxjs/settings")).await;
    assert_eq!(
        now["permissions"],
        json!({"location": "deny", "microphone": "ask"})
    );
    // Automation answers the microphone's prompt.
    let queued = crate::browser::post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "permission:microphone", "action": "ok"}),
    )
    .await;
    assert_eq!(queued.status(), 204);
    assert_eq!(
        call_wx(&c, "startRecord", json!({})).await["res"]["errMsg"],
        "startRecord:ok"
    );
    assert_eq!(
        call_wx(&c, "stopRecord", json!({})).await["res"]["errMsg"],
        "stopRecord:ok"
    );
    // The console says why getLocation failed, and how to allow it again.
    click_in_client(&c, "[data-log-button]").await;
    let lines = console_lines(&c, 3).await;
    let denied_line = lines
        .iter()
        .find(|l| l[0] == "getLocation")
        .expect("the denied getLocation is in the console");
    assert!(
        denied_line[2]
            .as_str()
            .unwrap()
            .contains("the person denied the location permission"),
        "{lines:?}"
    );
    c.close().await.unwrap();
    child.stop().await;
}

/// In the device view's frame: `[innerWidth, innerHeight, screen.width, devicePixelRatio, userAgent, href]`.
async fn framed(c: &Client) -> Value {
    c.enter_frame(0).await.unwrap();
    let v = wait_for(
        c,
        "return window.__done ? [innerWidth, innerHeight, screen.width, devicePixelRatio, navigator.userAgent, location.href] : null;",
        Value::is_array,
    )
    .await;
    c.enter_parent_frame().await.unwrap();
    v
}

/// On a desktop the "web view" was the whole browser window, ✕ and … 1,200 pixels apart. The
/// device view frames the page at a phone's size with presets for both platforms, an iOS/Android
/// switch and the console beside — and the page keeps its URL, signs it, and sees a phone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_view_was_the_whole_desktop_window() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    c.set_window_size(1400, 1000).await.unwrap();

    // The 设备 button of a page in a desktop window opens it in the device view.
    assert_eq!(kinds(&scenario(&c, &base, "good").await), ["ready"]);
    click_in_client(&c, "[data-device-button]").await;
    wait_for(
        &c,
        "return location.pathname === '/__wxjs/device' ? location.search : null;",
        Value::is_string,
    )
    .await;
    let inside = framed(&c).await;
    assert_eq!(
        inside[5],
        format!("{base}/suite.html?scenario=good"),
        "the page keeps its URL"
    );
    let platform: Value = get_json(format!("{phone}/__wxjs/settings")).await;
    assert_eq!(
        platform["platform"], "android",
        "the default platform's preset: {inside}"
    );
    assert_eq!(inside[0], 412, "{inside}");

    // Every preset of both platforms: the page's viewport, screen and user agent follow.
    let presets: Vec<(&str, &str, u64, u64, u64)> = vec![
        ("ios", "iphone-se", 375, 667, 20),
        ("ios", "iphone-14", 390, 844, 47),
        ("ios", "iphone-15-pro-max", 430, 932, 54),
        ("android", "pixel-7", 412, 915, 24),
        ("android", "galaxy-s20", 360, 800, 24),
        ("android", "huawei-p30", 360, 780, 24),
    ];
    for (os, id, w, h, bar) in presets {
        let switch = c
            .execute(
                "var b = document.querySelector('[data-platform=' + arguments[0] + ']'); if (b.getAttribute('aria-pressed') !== 'true') { b.click(); return 'switched'; } var s = document.querySelector('[data-preset]'); s.value = arguments[1]; s.dispatchEvent(new Event('change')); return 'chosen';",
                vec![json!(os), json!(id)],
            )
            .await
            .unwrap();
        if switch == "switched" {
            // The switch picks the platform's first preset; then choose this one.
            let has =
                format!("return !!document.querySelector('[data-preset] option[value=\"{id}\"]');");
            wait_for(&c, &has, |v| v == &json!(true)).await;
            c.execute(
                "var s = document.querySelector('[data-preset]'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
                vec![json!(id)],
            )
            .await
            .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let inside = loop {
            let v = framed(&c).await;
            if v[0] == w && v[1] == h - bar && v[2] == w {
                break v;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let ua = inside[4].as_str().unwrap();
        assert_eq!(ua.contains("iPhone"), os == "ios", "{id}: {ua}");
        assert_eq!(ua.contains("Android"), os == "android", "{id}: {ua}");
        let pressed = c
            .execute(
                "return document.querySelector('[data-platform][aria-pressed=true]').textContent;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(pressed, if os == "ios" { "iOS" } else { "Android" });
        if id == "iphone-14" || id == "pixel-7" {
            // The console beside lists the framed page's calls, readable.
            let lines = console_lines(&c, 1).await;
            assert_eq!(lines[0][0], "config", "{lines:?}");
            assert_eq!(lines[0][1], "ok", "the page signed its own URL: {lines:?}");
            assert!(assert_readable(&c, "[data-console] *").await >= 3);
            shot(&c, &format!("device-{id}")).await;
        }
    }

    // The framed page counts as the open top-level page: unaddressed automation reaches it.
    let pages: Value = get_json(format!("{phone}/__wxjs/pages")).await;
    assert!(
        pages.as_array().unwrap().iter().any(|p| p["url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/suite.html?scenario=good"))),
        "{pages}"
    );
    // The device view's own URL keeps the page and the preset; bad ones get a clear error.
    let here = c.execute("return location.search", vec![]).await.unwrap();
    assert_eq!(
        here,
        "?url=%2Fsuite.html%3Fscenario%3Dgood&preset=huawei-p30"
    );
    for bad in ["?url=https://evil.test/", "?preset=nokia-3310", "?page=/"] {
        let r = reqwest::get(format!("{phone}/__wxjs/device{bad}"))
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert!(body["error"]["message"].is_string(), "{bad}: {body}");
    }
    c.close().await.unwrap();
    child.stop().await;
}

/// Clicks a demo button and waits for its result: `[className, text, contrast]`.
async fn demo_click(c: &Client, api: &str) -> Value {
    c.execute(
        "var b = document.querySelector('button[data-api=\"' + arguments[0] + '\"]'); b.scrollIntoView({ block: 'center' }); b.nextSibling.className = ''; b.nextSibling.textContent = ''; b.click();",
        vec![json!(api)],
    )
    .await
    .unwrap();
    let script = in_client(&format!(
        "var o = document.querySelector('button[data-api=\"{api}\"]').nextSibling; return o.className && onScreen(o) ? [o.className, o.textContent, contrast(o)] : null;"
    ));
    wait_for(c, &script, Value::is_array).await
}

/// The demo's card buttons sent empty parameters (addCard an empty list, chooseCard no
/// cardSign, openCard nothing, chooseInvoice an empty sign), so nobody saw a card succeed; the
/// config JSON filled the first screen; results squeezed beside their buttons at 390 px.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_s_card_buttons_sent_empty_parameters() {
    let (child, p) = dev(None).await;
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("http://localhost:{p}/")).await.unwrap();
    wait_for(&c, "var s = document.getElementById('status').textContent; return s.indexOf('wx.config verified') === 0 ? s : null;", Value::is_string).await;
    // The signed config is there, folded.
    let folded = c
        .execute("var d = document.querySelector('details'); return [d.open, d.querySelector('pre').textContent.indexOf('signature') !== -1];", vec![])
        .await
        .unwrap();
    assert_eq!(folded, json!([false, true]));
    for (api, data) in [
        ("addCard", json!({})),
        ("chooseCard", json!({})),
        (
            "chooseInvoice",
            json!({"invoices": [{"card_id": "pInvoice", "encrypt_code": "e"}]}),
        ),
    ] {
        let r = crate::browser::post(
            format!("{phone}/__wxjs/user/next"),
            json!({"api": api, "action": "ok", "data": data}),
        )
        .await;
        assert_eq!(r.status(), 204, "{api}");
    }
    let added = demo_click(&c, "addCard").await;
    assert_eq!(added[0], "ok", "{added}");
    assert!(
        added[1].as_str().unwrap().contains("\"isSuccess\":true"),
        "{added}"
    );
    assert!(added[2].as_f64().unwrap() >= 4.5, "{added}");
    let opened = demo_click(&c, "openCard").await;
    assert_eq!(
        opened[0], "ok",
        "openCard with the wallet's cards: {opened}"
    );
    c.execute(
        "document.getElementById('wxjs-client').shadowRoot.querySelectorAll('.mask').forEach(function (m) { m.__dismiss(); });",
        vec![],
    )
    .await
    .unwrap();
    let chosen = demo_click(&c, "chooseCard").await;
    assert_eq!(chosen[0], "ok", "{chosen}");
    assert!(
        chosen[1].as_str().unwrap().contains("pDemoGroupon"),
        "{chosen}"
    );
    let invoice = demo_click(&c, "chooseInvoice").await;
    assert_eq!(invoice[0], "ok", "{invoice}");
    // The failure row keeps its colour and tells where the reason is.
    let packet = demo_click(&c, "openEnterpriseRedPacket").await;
    assert_eq!(packet[0], "fail");
    assert!(packet[2].as_f64().unwrap() >= 4.5, "{packet}");
    // 390 px: nothing wider than the screen, each result under its button.
    let layout = c
        .execute(
            "var b = document.querySelector('button[data-api=addCard]'); var o = b.nextSibling; return [document.documentElement.scrollWidth <= innerWidth, o.getBoundingClientRect().top >= b.getBoundingClientRect().bottom];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(layout, json!([true, true]));
    shot(&c, "demo-cards-phone").await;
    c.close().await.unwrap();
    child.stop().await;
}

/// Writes a README screenshot when `WXJS_README_SCREENSHOTS` names a directory
/// (`scripts/screenshots` sets it to `docs/screenshots`).
async fn readme_shot(c: &Client, name: &str) {
    shot_into("WXJS_README_SCREENSHOTS", c, name).await;
}

/// The README's screenshots, from the real UI: the device view with the demo and the console
/// beside it, a sheet (the cashier) on a phone, and the console with a failing config and
/// payment. Each state is checked before it is shot, so the pictures cannot show a broken UI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readme_screenshots() {
    // The device view, with the demo page.
    let (child, p) = dev(None).await;
    let c = browser().await;
    c.set_window_size(1440, 960).await.unwrap();
    c.goto(&format!(
        "http://localhost:{p}/__wxjs/device?url=/&preset=iphone-14"
    ))
    .await
    .unwrap();
    c.enter_frame(0).await.unwrap();
    wait_for(&c, "var s = document.getElementById('status'); return s && s.textContent.indexOf('wx.config verified') === 0 ? s.textContent : null;", Value::is_string).await;
    c.enter_parent_frame().await.unwrap();
    let lines = console_lines(&c, 1).await;
    assert_eq!(
        (&lines[0][0], &lines[0][1]),
        (&json!("config"), &json!("ok")),
        "{lines:?}"
    );
    readme_shot(&c, "device-view").await;
    c.close().await.unwrap();
    child.stop().await;

    // A sheet: the cashier, on a phone-sized window.
    let (child, p, c) = configured_suite_page().await;
    c.set_window_size(390, 844).await.unwrap();
    let params = package_params(p, "o-readme-1", "1999", json!({})).await;
    start_wx(&c, "chooseWXPay", params, "__paid").await;
    let (amount, _) = shown(&c, "[data-pay='o-readme-1'] [data-pay-amount]").await;
    assert_eq!(amount, "¥19.99");
    readme_shot(&c, "sheet-cashier").await;

    // The console: a config that failed, a payment refused, newest first, the reason open.
    click_in_client(&c, "[data-pay] [data-cancel]").await;
    outcome_of(&c, "__paid").await;
    let base = format!("http://localhost:{p}");
    c.set_window_size(1280, 800).await.unwrap();
    scenario(&c, &base, "badsig").await;
    assert_eq!(kinds(&scenario(&c, &base, "good").await), ["ready"]);
    let mut bad = package_params(p, "o-readme-2", "100", json!({})).await;
    bad["paySign"] = json!("0".repeat(32));
    call_wx(&c, "chooseWXPay", bad).await;
    c.execute(
        &in_client("var t = root.querySelector('[data-toast]'); if (t) t.remove();"),
        vec![],
    )
    .await
    .unwrap();
    click_in_client(&c, "[data-log-button]").await;
    let lines = console_lines(&c, 4).await;
    assert_eq!(lines[0][0], "chooseWXPay", "{lines:?}");
    let open_config_failure = in_client(
        "var ls = root.querySelectorAll('[data-console-entry][data-outcome=fail] .c-head'); ls[ls.length - 1].click(); return true;",
    );
    c.execute(&open_config_failure, vec![]).await.unwrap();
    shown(&c, "[data-console-detail]").await;
    readme_shot(&c, "console").await;
    c.close().await.unwrap();
    child.stop().await;
}

/// The demo is a working reference for what 1.1.0–1.6.0 added: every later button succeeds
/// when the person (here automation) agrees — all but the enterprise red packet, which needs
/// an enterprise payment back end the demo does not have.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_s_later_buttons_worked_as_a_reference() {
    let (child, p) = dev(None).await;
    let phone = format!("http://127.0.0.1:{p}");
    let c = browser().await;
    c.goto(&format!("http://localhost:{p}/")).await.unwrap();
    wait_for(&c, "var s = document.getElementById('status').textContent; return s.indexOf('wx.config verified') === 0 ? s : null;", Value::is_string).await;
    for (api, data) in [
        ("chooseImage", json!({"samples": [1]})),
        ("openAddress", json!({})),
        ("launchMiniProgram", json!({})),
        ("openBusinessView", json!({"extraData": {"a": 1}})),
    ] {
        let r = crate::browser::post(
            format!("{phone}/__wxjs/user/next"),
            json!({"api": api, "action": "ok", "data": data}),
        )
        .await;
        assert_eq!(r.status(), 204, "{api}");
    }
    // A photo first: getLocalImgData reads it.
    assert_eq!(demo_click(&c, "chooseImage").await[0], "ok");
    for api in [
        "updateAppMessageShareData",
        "updateTimelineShareData",
        "getLocalImgData",
        "openAddress",
        "consumeAndShareCard",
        "openEnterpriseChat",
        "startSearchBeacons",
        "stopSearchBeacons",
        "launchMiniProgram",
        "openBusinessView",
    ] {
        let r = demo_click(&c, api).await;
        assert_eq!(r[0], "ok", "{api}: {r}");
        assert!(r[2].as_f64().unwrap() >= 4.5, "{api}: {r}");
    }
    c.close().await.unwrap();
    child.stop().await;
}

/// The page a new one is loaded by (`GET /__wxjs/bridge.js`, as a page's first script): its id.
async fn load_page(phone: &str) -> String {
    let js = get_text(format!("{phone}/__wxjs/bridge.js")).await;
    let at = js
        .find("\"session\":\"")
        .expect("the bridge carries its page id")
        + 11;
    js[at..].split('"').next().unwrap().to_owned()
}

async fn poll(phone: &str, page: &str, extra: &str) -> Value {
    get_json(format!(
        "{phone}/__wxjs/events?session={page}&open=chooseWXPay{extra}"
    ))
    .await
}

/// The flake of the payment tests, through the phone's listener: a page that navigated away had
/// a poll on its way when it said it was leaving; answered after the leave, the poll took it
/// back in as the newest page, and the next page's unaddressed payment answer went to it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_poll_brought_a_page_that_left_back_as_the_newest() {
    let (child, p) = dev(None).await;
    let phone = format!("http://127.0.0.1:{p}");
    let old = load_page(&phone).await;
    poll(&phone, &old, "").await;
    let left = reqwest::Client::new()
        .delete(format!("{phone}/__wxjs/pages/{old}"))
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(left.status(), 204);
    let new = load_page(&phone).await;
    poll(&phone, &new, "").await;
    // The old page's late poll.
    poll(&phone, &old, "").await;
    let pages: Value = get_json(format!("{phone}/__wxjs/pages")).await;
    let ids: Vec<&str> = pages
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [new.as_str()]);
    let queued = crate::browser::post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "chooseWXPay", "action": "ok"}),
    )
    .await;
    assert_eq!(queued.status(), 204);
    assert_eq!(poll(&phone, &old, "").await["answers"], json!([]));
    assert_eq!(poll(&phone, &new, "").await["answers"][0]["action"], "ok");
    // A page the back-forward cache restores says so, and is a page again.
    poll(&phone, &old, "&restored=1").await;
    let pages: Value = get_json(format!("{phone}/__wxjs/pages")).await;
    assert_eq!(pages.as_array().unwrap().len(), 2, "{pages}");
    child.stop().await;
}

/// 刷新 shows the iOS landing-URL rule in one click: a single-page app that signed the URL it
/// pushed fails on iOS; reloaded there, that URL is the landing URL and the same code passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_showed_the_ios_landing_url_rule_in_one_click() {
    let (child, p) = dev(Some(PAGES)).await;
    let base = format!("http://localhost:{p}");
    let phone = format!("http://127.0.0.1:{p}");
    let set = crate::browser::post(
        format!("{phone}/__wxjs/settings"),
        json!({"platform": "ios"}),
    )
    .await;
    assert_eq!(set.status(), 200);
    let c = browser().await;
    assert_eq!(
        kinds(&scenario(&c, &base, "spa").await),
        ["error:config:invalid signature", "ready"]
    );
    c.execute("window.__before = true;", vec![]).await.unwrap();
    open_menu(&c).await;
    click_in_client(&c, "[data-item='menuItem:refresh']").await;
    let events = wait_for(
        &c,
        "return !window.__before && window.__done && location.search.indexOf('step=2') !== -1 ? window.__events : null;",
        Value::is_array,
    )
    .await;
    assert_eq!(kinds(events.as_array().unwrap()), ["ready"]);
    c.close().await.unwrap();
    child.stop().await;
}

/// A card call WeChat answers as done although it refused part of it looked like a success:
/// addCard's refused cards (only `isSuccess: false` reaches the page) and a chooseCard with a
/// wrong cardSign (an empty choice). The console and a toast now say what was refused and why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_card_looked_like_a_success() {
    let (child, p, c) = configured_suite_page().await;
    let phone = format!("http://127.0.0.1:{p}");
    let cards = json!({"cards": [{"cardId": "pDemoGroupon00000000000000001"}, {"cardId": "pDemoCash0000000000000000001"}]});
    let signed = crate::browser::service_post(p, "cards/ext", &cards).await;
    let mut list = signed["cardList"].as_array().unwrap().clone();
    list[1]["cardExt"] = json!(
        list[1]["cardExt"]
            .as_str()
            .unwrap()
            .replace("\"timestamp\":\"", "\"timestamp\":\"9")
    );
    crate::browser::post(
        format!("{phone}/__wxjs/user/next"),
        json!({"api": "addCard", "action": "ok"}),
    )
    .await;
    let r = call_wx(&c, "addCard", json!({"cardList": list})).await;
    assert_eq!(
        r["res"]["errMsg"], "addCard:ok",
        "WeChat's answer stays: {r}"
    );
    let said = toast(&c).await;
    assert!(
        said.starts_with("addCard — card pDemoCash0000000000000000001 refused: "),
        "{said}"
    );
    let r = call_wx(
        &c,
        "chooseCard",
        json!({"timestamp": 1, "nonceStr": "n", "signType": "SHA1", "cardSign": "wrong"}),
    )
    .await;
    assert_eq!(r["res"]["errMsg"], "chooseCard:ok");
    click_in_client(&c, "[data-log-button]").await;
    let lines = console_lines(&c, 3).await;
    assert_eq!(
        (&lines[0][0], &lines[0][1]),
        (&json!("chooseCard"), &json!("ok")),
        "{lines:?}"
    );
    assert_eq!(
        lines[0][2], "cardSign does not match: an empty list",
        "{lines:?}"
    );
    assert_eq!(lines[1][0], "addCard", "{lines:?}");
    assert!(
        lines[1][2]
            .as_str()
            .unwrap()
            .contains("card pDemoCash0000000000000000001 refused"),
        "{lines:?}"
    );
    assert!(assert_readable(&c, "[data-console-why]").await >= 2);
    c.close().await.unwrap();
    child.stop().await;
}
