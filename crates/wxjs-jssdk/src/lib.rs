//! wxjs's `wx` library: the browser script a page loads as `jweixin-1.0.0.js` to get `window.wx`
//! (the JS-SDK of the document, compatible with WeChat's published build), and its TypeScript
//! declarations. Both the signing service and the emulated WeChat app serve it; this crate only
//! embeds the files.
//!
//! ```
//! assert!(wxjs_jssdk::JWEIXIN_1_0_0.contains("wx"));
//! assert_eq!(wxjs_jssdk::build_at("/jweixin-1.0.0.js"), Some(wxjs_jssdk::JWEIXIN_1_0_0));
//! ```

/// `jweixin-1.0.0.js`: the `wx` library of the 1.0.0 document.
pub const JWEIXIN_1_0_0: &str = include_str!("../js/jweixin-1.0.0.js");

/// `jweixin.d.ts`: TypeScript declarations of `window.wx`.
pub const TYPESCRIPT_DECLARATIONS: &str = include_str!("../js/jweixin.d.ts");

/// Every build with the path it is served at.
pub const BUILDS: [(&str, &str); 1] = [("/jweixin-1.0.0.js", JWEIXIN_1_0_0)];

/// The build served at `path`, if any.
pub fn build_at(path: &str) -> Option<&'static str> {
    BUILDS.iter().find(|(p, _)| *p == path).map(|(_, b)| *b)
}
