//! The JS interfaces of jweixin 1.0.0: the 34 of appendix 2 and `onMenuShareQZone`.

/// Every interface name, in the document's order.
pub const ALL: [&str; 35] = [
    "onMenuShareTimeline",
    "onMenuShareAppMessage",
    "onMenuShareQQ",
    "onMenuShareWeibo",
    "onMenuShareQZone",
    "startRecord",
    "stopRecord",
    "onVoiceRecordEnd",
    "playVoice",
    "pauseVoice",
    "stopVoice",
    "onVoicePlayEnd",
    "uploadVoice",
    "downloadVoice",
    "chooseImage",
    "previewImage",
    "uploadImage",
    "downloadImage",
    "translateVoice",
    "getNetworkType",
    "openLocation",
    "getLocation",
    "hideOptionMenu",
    "showOptionMenu",
    "hideMenuItems",
    "showMenuItems",
    "hideAllNonBaseMenuItem",
    "showAllNonBaseMenuItem",
    "closeWindow",
    "scanQRCode",
    "chooseWXPay",
    "openProductSpecificView",
    "addCard",
    "chooseCard",
    "openCard",
];

/// Whether `name` is one of the interfaces.
#[must_use]
pub fn is_known(name: &str) -> bool {
    ALL.contains(&name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn thirty_five_distinct_names() {
        let set: std::collections::HashSet<_> = super::ALL.iter().collect();
        assert_eq!(set.len(), 35);
        assert!(super::is_known("chooseWXPay"));
        assert!(
            !super::is_known("checkJsApi"),
            "checkJsApi is a base interface, not a listed one"
        );
    }
}
