//! The JS interfaces of jweixin 1.0.0 (the 34 of appendix 2 and `onMenuShareQZone`) and those
//! 1.1.0 to 1.6.0 added.

/// How a page's `wx` call reaches the WeChat app (`bridge-protocol.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bridge {
    /// `WeixinJSBridge.invoke(name, …)`.
    Invoke(&'static str),
    /// `WeixinJSBridge.on(event, …)`: the app fires it.
    Event(&'static str),
    /// A menu share: the app fires `event` when the person taps the menu item, and the page
    /// answers with `invoke`.
    MenuShare {
        /// The menu event (also the name in `verifyJsApiList`).
        event: &'static str,
        /// The invoke that shares.
        invoke: &'static str,
    },
}

impl Bridge {
    /// The name the interface goes by in `preVerifyJSAPI`'s `verifyJsApiList`.
    #[must_use]
    pub fn listed(self) -> &'static str {
        match self {
            Self::Invoke(n) | Self::Event(n) => n,
            Self::MenuShare { event, .. } => event,
        }
    }

    /// The invoke name, if the page invokes it.
    #[must_use]
    pub fn invoke(self) -> Option<&'static str> {
        match self {
            Self::Invoke(n) | Self::MenuShare { invoke: n, .. } => Some(n),
            Self::Event(_) => None,
        }
    }
}

/// One interface of the JS-SDK.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interface {
    /// Its `wx` name, as `jsApiList` lists it.
    pub wx: &'static str,
    /// How it reaches the app.
    pub bridge: Bridge,
    /// The jweixin revision that added it.
    pub since: &'static str,
}

/// The interfaces of jweixin 1.0.0, in the document's order: the one table every part of
/// wxjs reads names from.
pub const INTERFACES: [Interface; 35] = [
    Interface {
        wx: "onMenuShareTimeline",
        bridge: Bridge::MenuShare {
            event: "menu:share:timeline",
            invoke: "shareTimeline",
        },
        since: "1.0.0",
    },
    Interface {
        wx: "onMenuShareAppMessage",
        bridge: Bridge::MenuShare {
            event: "menu:share:appmessage",
            invoke: "sendAppMessage",
        },
        since: "1.0.0",
    },
    Interface {
        wx: "onMenuShareQQ",
        bridge: Bridge::MenuShare {
            event: "menu:share:qq",
            invoke: "shareQQ",
        },
        since: "1.0.0",
    },
    Interface {
        wx: "onMenuShareWeibo",
        bridge: Bridge::MenuShare {
            event: "menu:share:weiboApp",
            invoke: "shareWeiboApp",
        },
        since: "1.0.0",
    },
    Interface {
        wx: "onMenuShareQZone",
        bridge: Bridge::MenuShare {
            event: "menu:share:QZone",
            invoke: "shareQZone",
        },
        since: "1.0.0",
    },
    Interface {
        wx: "startRecord",
        bridge: Bridge::Invoke("startRecord"),
        since: "1.0.0",
    },
    Interface {
        wx: "stopRecord",
        bridge: Bridge::Invoke("stopRecord"),
        since: "1.0.0",
    },
    Interface {
        wx: "onVoiceRecordEnd",
        bridge: Bridge::Event("onVoiceRecordEnd"),
        since: "1.0.0",
    },
    Interface {
        wx: "playVoice",
        bridge: Bridge::Invoke("playVoice"),
        since: "1.0.0",
    },
    Interface {
        wx: "pauseVoice",
        bridge: Bridge::Invoke("pauseVoice"),
        since: "1.0.0",
    },
    Interface {
        wx: "stopVoice",
        bridge: Bridge::Invoke("stopVoice"),
        since: "1.0.0",
    },
    Interface {
        wx: "onVoicePlayEnd",
        bridge: Bridge::Event("onVoicePlayEnd"),
        since: "1.0.0",
    },
    Interface {
        wx: "uploadVoice",
        bridge: Bridge::Invoke("uploadVoice"),
        since: "1.0.0",
    },
    Interface {
        wx: "downloadVoice",
        bridge: Bridge::Invoke("downloadVoice"),
        since: "1.0.0",
    },
    Interface {
        wx: "chooseImage",
        bridge: Bridge::Invoke("chooseImage"),
        since: "1.0.0",
    },
    Interface {
        wx: "previewImage",
        bridge: Bridge::Invoke("imagePreview"),
        since: "1.0.0",
    },
    Interface {
        wx: "uploadImage",
        bridge: Bridge::Invoke("uploadImage"),
        since: "1.0.0",
    },
    Interface {
        wx: "downloadImage",
        bridge: Bridge::Invoke("downloadImage"),
        since: "1.0.0",
    },
    Interface {
        wx: "translateVoice",
        bridge: Bridge::Invoke("translateVoice"),
        since: "1.0.0",
    },
    Interface {
        wx: "getNetworkType",
        bridge: Bridge::Invoke("getNetworkType"),
        since: "1.0.0",
    },
    Interface {
        wx: "openLocation",
        bridge: Bridge::Invoke("openLocation"),
        since: "1.0.0",
    },
    Interface {
        wx: "getLocation",
        bridge: Bridge::Invoke("geoLocation"),
        since: "1.0.0",
    },
    Interface {
        wx: "hideOptionMenu",
        bridge: Bridge::Invoke("hideOptionMenu"),
        since: "1.0.0",
    },
    Interface {
        wx: "showOptionMenu",
        bridge: Bridge::Invoke("showOptionMenu"),
        since: "1.0.0",
    },
    Interface {
        wx: "hideMenuItems",
        bridge: Bridge::Invoke("hideMenuItems"),
        since: "1.0.0",
    },
    Interface {
        wx: "showMenuItems",
        bridge: Bridge::Invoke("showMenuItems"),
        since: "1.0.0",
    },
    Interface {
        wx: "hideAllNonBaseMenuItem",
        bridge: Bridge::Invoke("hideAllNonBaseMenuItem"),
        since: "1.0.0",
    },
    Interface {
        wx: "showAllNonBaseMenuItem",
        bridge: Bridge::Invoke("showAllNonBaseMenuItem"),
        since: "1.0.0",
    },
    Interface {
        wx: "closeWindow",
        bridge: Bridge::Invoke("closeWindow"),
        since: "1.0.0",
    },
    Interface {
        wx: "scanQRCode",
        bridge: Bridge::Invoke("scanQRCode"),
        since: "1.0.0",
    },
    Interface {
        wx: "chooseWXPay",
        bridge: Bridge::Invoke("getBrandWCPayRequest"),
        since: "1.0.0",
    },
    Interface {
        wx: "openProductSpecificView",
        bridge: Bridge::Invoke("openProductViewWithPid"),
        since: "1.0.0",
    },
    Interface {
        wx: "addCard",
        bridge: Bridge::Invoke("batchAddCard"),
        since: "1.0.0",
    },
    Interface {
        wx: "chooseCard",
        bridge: Bridge::Invoke("chooseCard"),
        since: "1.0.0",
    },
    Interface {
        wx: "openCard",
        bridge: Bridge::Invoke("batchViewCard"),
        since: "1.0.0",
    },
];

/// The interfaces jweixin 1.1.0 to 1.6.0 added (`bridge-protocol-later.md`), in the same table
/// form. `chooseInvoice` has no `wx` method: pages call it through `wx.invoke`.
pub const LATER: [Interface; 13] = [
    Interface {
        wx: "updateAppMessageShareData",
        bridge: Bridge::Invoke("updateAppMessageShareData"),
        since: "1.4.0",
    },
    Interface {
        wx: "updateTimelineShareData",
        bridge: Bridge::Invoke("updateTimelineShareData"),
        since: "1.4.0",
    },
    Interface {
        wx: "getLocalImgData",
        bridge: Bridge::Invoke("getLocalImgData"),
        since: "1.2.0",
    },
    Interface {
        wx: "openAddress",
        bridge: Bridge::Invoke("editAddress"),
        since: "1.1.0",
    },
    Interface {
        wx: "consumeAndShareCard",
        bridge: Bridge::Invoke("consumedShareCard"),
        since: "1.1.0",
    },
    Interface {
        wx: "openEnterpriseRedPacket",
        bridge: Bridge::Invoke("getRecevieBizHongBaoRequest"),
        since: "1.1.0",
    },
    Interface {
        wx: "startSearchBeacons",
        bridge: Bridge::Invoke("startMonitoringBeacons"),
        since: "1.1.0",
    },
    Interface {
        wx: "stopSearchBeacons",
        bridge: Bridge::Invoke("stopMonitoringBeacons"),
        since: "1.1.0",
    },
    Interface {
        wx: "onSearchBeacons",
        bridge: Bridge::Event("onBeaconsInRange"),
        since: "1.1.0",
    },
    Interface {
        wx: "openEnterpriseChat",
        bridge: Bridge::Invoke("openEnterpriseChat"),
        since: "1.1.0",
    },
    Interface {
        wx: "chooseInvoice",
        bridge: Bridge::Invoke("chooseInvoice"),
        since: "1.1.0",
    },
    Interface {
        wx: "launchMiniProgram",
        bridge: Bridge::Invoke("launchMiniProgram"),
        since: "1.3.2",
    },
    Interface {
        wx: "openBusinessView",
        bridge: Bridge::Invoke("openBusinessView"),
        since: "1.6.0",
    },
];

/// Every interface of 1.0.0 and later.
pub fn every() -> impl Iterator<Item = &'static Interface> {
    INTERFACES.iter().chain(LATER.iter())
}

/// Every interface's `wx` name, in the document's order.
pub const ALL: [&str; 35] = {
    let mut names = [""; 35];
    let mut i = 0;
    while i < names.len() {
        names[i] = INTERFACES[i].wx;
        i += 1;
    }
    names
};

/// The interface a bridge invoke belongs to (`imagePreview` → `previewImage`; a share invoke
/// to its `onMenuShare*`).
#[must_use]
pub fn by_invoke(invoke: &str) -> Option<&'static Interface> {
    every().find(|i| i.bridge.invoke() == Some(invoke))
}

/// The interface of a `wx` name.
#[must_use]
pub fn by_wx(wx: &str) -> Option<&'static Interface> {
    every().find(|i| i.wx == wx)
}

/// Whether `name` is one of the interfaces.
#[must_use]
pub fn is_known(name: &str) -> bool {
    by_wx(name).is_some()
}

#[cfg(test)]
mod tests {
    #[test]
    fn thirty_five_distinct_names() {
        let set: std::collections::HashSet<_> = super::ALL.iter().collect();
        assert_eq!(set.len(), 35);
        assert!(super::is_known("chooseWXPay"));
        assert_eq!(super::by_invoke("imagePreview").unwrap().wx, "previewImage");
        assert_eq!(super::by_invoke("shareQQ").unwrap().wx, "onMenuShareQQ");
        assert_eq!(
            super::by_wx("onMenuShareTimeline").unwrap().bridge.listed(),
            "menu:share:timeline"
        );
        assert!(
            super::by_invoke("onVoicePlayEnd").is_none(),
            "an event is not invoked"
        );
        assert!(
            !super::is_known("checkJsApi"),
            "checkJsApi is a base interface, not a listed one"
        );
    }
}
