//! The JS interfaces of jweixin 1.0.0: the 34 of appendix 2 and `onMenuShareQZone`.

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
    },
    Interface {
        wx: "onMenuShareAppMessage",
        bridge: Bridge::MenuShare {
            event: "menu:share:appmessage",
            invoke: "sendAppMessage",
        },
    },
    Interface {
        wx: "onMenuShareQQ",
        bridge: Bridge::MenuShare {
            event: "menu:share:qq",
            invoke: "shareQQ",
        },
    },
    Interface {
        wx: "onMenuShareWeibo",
        bridge: Bridge::MenuShare {
            event: "menu:share:weiboApp",
            invoke: "shareWeiboApp",
        },
    },
    Interface {
        wx: "onMenuShareQZone",
        bridge: Bridge::MenuShare {
            event: "menu:share:QZone",
            invoke: "shareQZone",
        },
    },
    Interface {
        wx: "startRecord",
        bridge: Bridge::Invoke("startRecord"),
    },
    Interface {
        wx: "stopRecord",
        bridge: Bridge::Invoke("stopRecord"),
    },
    Interface {
        wx: "onVoiceRecordEnd",
        bridge: Bridge::Event("onVoiceRecordEnd"),
    },
    Interface {
        wx: "playVoice",
        bridge: Bridge::Invoke("playVoice"),
    },
    Interface {
        wx: "pauseVoice",
        bridge: Bridge::Invoke("pauseVoice"),
    },
    Interface {
        wx: "stopVoice",
        bridge: Bridge::Invoke("stopVoice"),
    },
    Interface {
        wx: "onVoicePlayEnd",
        bridge: Bridge::Event("onVoicePlayEnd"),
    },
    Interface {
        wx: "uploadVoice",
        bridge: Bridge::Invoke("uploadVoice"),
    },
    Interface {
        wx: "downloadVoice",
        bridge: Bridge::Invoke("downloadVoice"),
    },
    Interface {
        wx: "chooseImage",
        bridge: Bridge::Invoke("chooseImage"),
    },
    Interface {
        wx: "previewImage",
        bridge: Bridge::Invoke("imagePreview"),
    },
    Interface {
        wx: "uploadImage",
        bridge: Bridge::Invoke("uploadImage"),
    },
    Interface {
        wx: "downloadImage",
        bridge: Bridge::Invoke("downloadImage"),
    },
    Interface {
        wx: "translateVoice",
        bridge: Bridge::Invoke("translateVoice"),
    },
    Interface {
        wx: "getNetworkType",
        bridge: Bridge::Invoke("getNetworkType"),
    },
    Interface {
        wx: "openLocation",
        bridge: Bridge::Invoke("openLocation"),
    },
    Interface {
        wx: "getLocation",
        bridge: Bridge::Invoke("geoLocation"),
    },
    Interface {
        wx: "hideOptionMenu",
        bridge: Bridge::Invoke("hideOptionMenu"),
    },
    Interface {
        wx: "showOptionMenu",
        bridge: Bridge::Invoke("showOptionMenu"),
    },
    Interface {
        wx: "hideMenuItems",
        bridge: Bridge::Invoke("hideMenuItems"),
    },
    Interface {
        wx: "showMenuItems",
        bridge: Bridge::Invoke("showMenuItems"),
    },
    Interface {
        wx: "hideAllNonBaseMenuItem",
        bridge: Bridge::Invoke("hideAllNonBaseMenuItem"),
    },
    Interface {
        wx: "showAllNonBaseMenuItem",
        bridge: Bridge::Invoke("showAllNonBaseMenuItem"),
    },
    Interface {
        wx: "closeWindow",
        bridge: Bridge::Invoke("closeWindow"),
    },
    Interface {
        wx: "scanQRCode",
        bridge: Bridge::Invoke("scanQRCode"),
    },
    Interface {
        wx: "chooseWXPay",
        bridge: Bridge::Invoke("getBrandWCPayRequest"),
    },
    Interface {
        wx: "openProductSpecificView",
        bridge: Bridge::Invoke("openProductViewWithPid"),
    },
    Interface {
        wx: "addCard",
        bridge: Bridge::Invoke("batchAddCard"),
    },
    Interface {
        wx: "chooseCard",
        bridge: Bridge::Invoke("chooseCard"),
    },
    Interface {
        wx: "openCard",
        bridge: Bridge::Invoke("batchViewCard"),
    },
];

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
    INTERFACES
        .iter()
        .find(|i| i.bridge.invoke() == Some(invoke))
}

/// The interface of a `wx` name.
#[must_use]
pub fn by_wx(wx: &str) -> Option<&'static Interface> {
    INTERFACES.iter().find(|i| i.wx == wx)
}

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
