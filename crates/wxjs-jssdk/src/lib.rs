//! wxjs's `wx` library: the browser script a page loads to get `window.wx` (the JS-SDK,
//! compatible with WeChat's published builds), and its TypeScript declarations. One source
//! (`js/jweixin.js`) makes two builds that differ where the two revisions differ: 1.0.0, the
//! document's, and 1.6.0, what pages load today (`openTagList`, `wx.invoke`/`wx.on`, `error`
//! keeping the last registration, the later interfaces, `wx.miniProgram`, the iOS rewriting of
//! local-resource images). Both the signing service and the emulated WeChat app serve them; this
//! crate only embeds the files.
//!
//! ```
//! assert!(wxjs_jssdk::JWEIXIN_1_6_0.contains("REVISION"));
//! assert_eq!(wxjs_jssdk::build_at("/jweixin-1.0.0.js"), Some(wxjs_jssdk::JWEIXIN_1_0_0));
//! ```

/// Wraps the source in a function that passes the revision.
macro_rules! build {
    ($revision:literal) => {
        concat!(
            "/*! wxjs — the `wx` library of the WeChat JS-SDK, jweixin-",
            $revision,
            " compatible (built from wxjs's js/jweixin.js) */\n",
            "(function (REVISION) {\n",
            include_str!("../js/jweixin.js"),
            "\n})(\"",
            $revision,
            "\");\n"
        )
    };
}

/// `jweixin-1.0.0.js`: the `wx` library of the 1.0.0 document.
pub const JWEIXIN_1_0_0: &str = build!("1.0.0");

/// `jweixin-1.6.0.js`: the `wx` library as pages load it today.
pub const JWEIXIN_1_6_0: &str = build!("1.6.0");

/// `jweixin.d.ts`: TypeScript declarations of `window.wx` (1.6.0's, a superset of 1.0.0's).
pub const TYPESCRIPT_DECLARATIONS: &str = include_str!("../js/jweixin.d.ts");

/// Every build with the path it is served at.
pub const BUILDS: [(&str, &str); 2] = [
    ("/jweixin-1.0.0.js", JWEIXIN_1_0_0),
    ("/jweixin-1.6.0.js", JWEIXIN_1_6_0),
];

/// The build served at `path`, if any.
#[must_use]
pub fn build_at(path: &str) -> Option<&'static str> {
    BUILDS.iter().find(|(p, _)| *p == path).map(|(_, b)| *b)
}
