//! The device view (`GET /__wxjs/device?url=/page&preset=iphone-14`): on a desktop, the page in
//! a phone-sized frame with its status bar, an iOS/Android switch and presets, and the debug
//! console beside it — the way WeChat's devtools lay out a simulator and its panels.
//!
//! The frame is of the page's own origin: the page keeps its URL (and signs it), its CSS sees
//! the preset's viewport, and the bridge inside it counts it as a top-level page. ARCHITECTURE.md
//! says what a page could still notice.

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::phone::Os;

/// A phone the device view can show: its screen in CSS pixels, its status bar and pixel ratio.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preset {
    /// What `?preset=` names it.
    pub id: &'static str,
    /// As the menu shows it.
    pub name: &'static str,
    /// The platform it runs.
    pub os: Os,
    /// Screen width in CSS pixels.
    pub width: u32,
    /// Screen height in CSS pixels, status bar included.
    pub height: u32,
    /// The system status bar above the web view.
    pub status_bar: u32,
    /// `devicePixelRatio`.
    pub dpr: f32,
}

const fn preset(
    id: &'static str,
    name: &'static str,
    os: Os,
    size: (u32, u32),
    status_bar: u32,
    dpr: f32,
) -> Preset {
    Preset {
        id,
        name,
        os,
        width: size.0,
        height: size.1,
        status_bar,
        dpr,
    }
}

/// Common phones, iOS first.
pub const PRESETS: [Preset; 6] = [
    preset("iphone-se", "iPhone SE", Os::Ios, (375, 667), 20, 2.0),
    preset("iphone-14", "iPhone 14", Os::Ios, (390, 844), 47, 3.0),
    preset(
        "iphone-15-pro-max",
        "iPhone 15 Pro Max",
        Os::Ios,
        (430, 932),
        54,
        3.0,
    ),
    preset("pixel-7", "Pixel 7", Os::Android, (412, 915), 24, 2.625),
    preset("galaxy-s20", "Galaxy S20", Os::Android, (360, 800), 24, 4.0),
    preset("huawei-p30", "HUAWEI P30", Os::Android, (360, 780), 24, 3.0),
];

/// The preset a device view opens with when none is asked for: the platform's usual phone.
#[must_use]
pub fn default_preset(os: Os) -> &'static Preset {
    let id = match os {
        Os::Ios => "iphone-14",
        Os::Android => "pixel-7",
    };
    PRESETS.iter().find(|p| p.id == id).unwrap_or(&PRESETS[0])
}

const PAGE: &str = include_str!("../web/device/device.html");

/// The device view's script: the console of the bridge, docked, and the frame's controls.
const DEVICE_JS: &str = concat!(
    "/*! wxjs — the device view (/__wxjs/device.js).\n",
    " * Sources: crates/wxjs-phone/web/bridge/{dom,console}.js, crates/wxjs-phone/web/device/view.js */\n",
    "(function () {\n",
    "  \"use strict\";\n",
    include_str!("../web/bridge/dom.js"),
    include_str!("../web/bridge/console.js"),
    include_str!("../web/device/view.js"),
    "})();\n",
);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceQuery {
    /// The page, as a path of this origin (`/index.html?a=1`).
    url: Option<String>,
    /// One of [`PRESETS`].
    preset: Option<String>,
}

/// Checks a `?url=`: a path of this origin, not another site.
fn page_path(url: Option<&str>) -> Result<String, String> {
    let Some(url) = url else {
        return Ok("/".to_owned());
    };
    if url.len() > 2048 {
        return Err("url is longer than 2048 characters".to_owned());
    }
    if !url.starts_with('/') || url.starts_with("//") || url.contains('\\') {
        return Err(format!(
            "url must be a path of this origin such as /index.html?a=1, not {url:?}"
        ));
    }
    if url.chars().any(char::is_control) {
        return Err("url contains a control character".to_owned());
    }
    Ok(url.to_owned())
}

/// `GET /__wxjs/device`.
pub(crate) fn page(os: Os, q: &DeviceQuery) -> Response {
    let url = match page_path(q.url.as_deref()) {
        Ok(u) => u,
        Err(m) => return wxjs_http::json_error(StatusCode::BAD_REQUEST, "bad_request", m),
    };
    let preset = match q.preset.as_deref() {
        None | Some("") => default_preset(os),
        Some(id) => match PRESETS.iter().find(|p| p.id == id) {
            Some(p) => p,
            None => {
                return wxjs_http::json_error(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!(
                        "preset must be one of {}, not {id:?}",
                        PRESETS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        },
    };
    let device = json!({ "presets": PRESETS, "preset": preset.id, "url": url, "platform": os });
    // The page's script is served apart (/__wxjs/device.js); its settings go in a data island
    // of JSON, escaped so that no `</script>` can end it.
    let island = device.to_string().replace('<', "\\u003c");
    let html = PAGE.replace(
        "<script src=\"/__wxjs/device.js\"></script>",
        &format!(
            "<script type=\"application/json\" id=\"wxjs-device\">{island}</script>\n<script src=\"/__wxjs/device.js\"></script>"
        ),
    );
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            // Another site must not frame the view: its script changes the phone's platform.
            (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
            (header::CONTENT_SECURITY_POLICY, "frame-ancestors 'self'"),
        ],
        Html(html),
    )
        .into_response()
}

/// `GET /__wxjs/device.js`.
pub(crate) fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        DEVICE_JS,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_origin_are_framed() {
        assert_eq!(page_path(None).unwrap(), "/");
        assert_eq!(
            page_path(Some("/a/b.html?x=1#y")).unwrap(),
            "/a/b.html?x=1#y"
        );
        for bad in [
            "https://evil.test/",
            "//evil.test/",
            "/\\evil.test",
            "javascript:alert(1)",
            "a.html",
            "/a\nb",
        ] {
            assert!(page_path(Some(bad)).is_err(), "{bad:?}");
        }
        assert!(page_path(Some(&format!("/{}", "a".repeat(2048)))).is_err());
    }

    #[test]
    fn every_platform_has_presets_and_a_default_of_its_own() {
        for os in [Os::Ios, Os::Android] {
            assert_eq!(default_preset(os).os, os);
            assert!(PRESETS.iter().filter(|p| p.os == os).count() >= 2);
        }
        let mut ids: Vec<_> = PRESETS.iter().map(|p| p.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), PRESETS.len());
    }
}
