//! `GET /__wxjs/`: every endpoint of the phone origin with an example, where a developer looks.

use wxjs_http::openapi::Endpoint;

/// A row of the table.
const fn e(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    example: &'static str,
) -> Endpoint {
    Endpoint::new(method, path, summary, example)
}

/// Every endpoint: method, path, what it is for, an example.
pub const ENDPOINTS: [Endpoint; 23] = [
    e(
        "POST",
        "/__wxjs/user/next",
        "Answer the next prompt of a wx API (or an open tag) without a person; \"page\" addresses one page",
        r#"{"api":"chooseImage","action":"ok","data":{"samples":[0,1]},"page":"p1abc"}"#,
    ),
    e(
        "POST",
        "/__wxjs/user/tap",
        "Tap a menu item of a page (the newest when \"page\" is left out)",
        r#"{"menu":"share:timeline"}"#,
    ),
    e(
        "GET",
        "/__wxjs/pages",
        "The open pages, in the order they were loaded: [{\"id\",\"url\",\"title\"}]",
        "",
    ),
    e(
        "POST",
        "/__wxjs/reset",
        "Forget queued answers, taps, the log, wallet, local files; settings back to defaults",
        "",
    ),
    e(
        "GET",
        "/__wxjs/log",
        "Every bridge call with its verification outcome, result, reason and time; ?session=a,b&after=N for part of it",
        "",
    ),
    e(
        "POST",
        "/__wxjs/share/check",
        "What would make a share fail or look broken (the share sheet's warnings)",
        r#"{"session":"…","title":"…","link":"https://…","imgUrl":"https://…"}"#,
    ),
    e("GET", "/__wxjs/settings", "The app's settings", ""),
    e(
        "POST",
        "/__wxjs/settings",
        "Change settings (pages loaded afterwards see platform, environment, clientVersion)",
        r#"{"platform":"ios","networkType":"4g","environment":"miniprogram","clientVersion":"8.0.47","recordLimitMs":2000,"location":{"latitude":22.54,"longitude":114.05},"locationSource":"setting","microphone":false,"permissions":{"location":"auto|ask|allow|deny","microphone":"auto"},"addresses":[…]}"#,
    ),
    e(
        "GET",
        "/__wxjs/miniprogram",
        "What the host mini program received: {\"stack\",\"messages\",\"launches\"}",
        "",
    ),
    e("GET", "/__wxjs/wallet", "The simulated user's cards", ""),
    e(
        "POST",
        "/__wxjs/local",
        "Add photos as local files (base64), as if chosen",
        r#"{"files":[{"name":"a.png","base64":"…"}]}"#,
    ),
    e("GET", "/__wxjs/local/{id}", "A local file's bytes", ""),
    e(
        "GET",
        "/__wxjs/samples/{n}.png",
        "Built-in sample photos (0–3), and /__wxjs/samples/tone.wav",
        "",
    ),
    e(
        "POST",
        "/__wxjs/scan",
        "Scan an image for an open scanQRCode call",
        r#"{"id":7,"base64":"…"}"#,
    ),
    e(
        "POST",
        "/__wxjs/voice",
        "Add a recording as a local file",
        r#"{"base64":"…"}"#,
    ),
    e(
        "POST",
        "/__wxjs/geo",
        "Answer an open getLocation call with the browser's fix",
        r#"{"id":7,"latitude":22.54,"longitude":114.05}"#,
    ),
    e(
        "GET",
        "/__wxjs/info",
        "Where the service and the platform are, and the demo account",
        "",
    ),
    e(
        "GET",
        "/__wxjs/device",
        "The device view: the page (?url=/path) in a phone-sized frame (?preset=iphone-se|iphone-14|iphone-15-pro-max|pixel-7|galaxy-s20|huawei-p30), the console beside",
        "",
    ),
    e(
        "GET",
        "/__wxjs/bridge.js",
        "The emulated app's browser half (injected first into every HTML page)",
        "",
    ),
    e(
        "GET",
        "/jweixin-1.6.0.js",
        "wxjs's wx library, 1.6.0 build (also /jweixin-1.0.0.js)",
        "",
    ),
    e(
        "GET",
        "/__wxjs/demo/notify",
        "Payment notifications the demo back end received (the platform POSTs there)",
        "",
    ),
    e(
        "GET",
        "/__wxjs/report",
        "The published library's statistics beacon, answered here",
        "",
    ),
    e(
        "GET",
        "/__wxjs/openapi.json",
        "This list as an OpenAPI document",
        "",
    ),
];

/// The OpenAPI document of the phone's endpoints.
#[must_use]
pub fn openapi() -> serde_json::Value {
    wxjs_http::openapi::document(
        "wxjs phone: the emulated WeChat app's automation API",
        "Served by the phone origin of wxjs dev. State-changing endpoints take JSON, only from the phone's own origin.",
        &ENDPOINTS,
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The page.
#[must_use]
pub fn page(platform_url: &str, service_url: &str) -> String {
    let rows: String = ENDPOINTS
        .iter()
        .map(|e| {
            let (method, path, what, example) = (e.method, e.path, e.summary, e.example);
            let example = if example.is_empty() {
                String::new()
            } else {
                format!("<pre>{}</pre>", escape(example))
            };
            format!(
                "<tr><td><span class=m>{method}</span></td><td><code>{}</code></td><td>{}{example}</td></tr>",
                escape(path),
                escape(what)
            )
        })
        .collect();
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>wxjs — the phone's automation API</title>
<style>
body{{font:15px -apple-system,"PingFang SC",sans-serif;margin:0;background:#ededed;color:#222}}
main{{max-width:960px;margin:0 auto;padding:1em}}
h1{{font-size:20px}} table{{border-collapse:collapse;width:100%;background:#fff;border-radius:8px}}
td{{border-top:1px solid #eee;padding:.5em .6em;vertical-align:top}}
code{{font:13px ui-monospace,monospace;color:#576b95;word-break:break-all}}
pre{{white-space:pre-wrap;word-break:break-all;background:#f7f7f7;padding:.4em;border-radius:4px;font-size:12px;margin:.3em 0 0}}
.m{{display:inline-block;min-width:3.2em;font:600 12px ui-monospace,monospace;color:#fff;background:#07c160;border-radius:4px;padding:1px 4px;text-align:center}}
td:nth-child(2) code{{white-space:nowrap;word-break:normal}}
@media (max-width:640px){{tr{{display:block;border-top:1px solid #eee;padding:.3em 0}} td{{display:block;border:0;padding:.15em .6em}} td:first-child,td:nth-child(2){{display:inline-block}}}}
</style></head><body><main>
<h1>wxjs — the phone's automation API</h1>
<p>Every endpoint of this origin. Endpoints that change state take JSON (<code>Content-Type: application/json</code>) and only from this origin. The simulated platform's control API is at <a href="{p}/__sim/apps">{p}/__sim/</a>, the signing service's API at <a href="{s}/openapi.json">{s}/openapi.json</a>.</p>
<table>{rows}</table>
</main></body></html>"#,
        p = escape(platform_url),
        s = escape(service_url),
    )
}
