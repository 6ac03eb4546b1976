//! Bridge calls: each `WeixinJSBridge.invoke` name parsed into a [`Call`], and carried out by
//! the module of its family once the app has verified it. A new interface is a new variant
//! and a match arm in its family's module; the compiler lists every place that must handle it.

pub mod cards;
mod image;
mod later;
mod location;
pub(crate) mod menu;
pub mod payment;
mod scan;
mod voice;

use serde_json::{Map, Value, json};

use crate::phone::{Os, Phone};

/// A bridge call, by family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// `preVerifyJSAPI`: `wx.config`.
    Config,
    /// `checkJsApi`.
    CheckJsApi,
    /// `getNetworkType`.
    NetworkType,
    /// Shares, the option menu, the window.
    Menu(Menu),
    /// Photos.
    Image(Image),
    /// Recording, playback, media and recognition of voice.
    Voice(Voice),
    /// `getLocation`, `openLocation`.
    Location(Location),
    /// `scanQRCode`.
    Scan,
    /// `getBrandWCPayRequest`: `chooseWXPay`.
    Pay,
    /// Cards and the wallet.
    Card(Card),
    /// `editAddress`: `openAddress` (1.1.0).
    Address,
    /// `getRecevieBizHongBaoRequest` (sic): `openEnterpriseRedPacket` (1.1.0), checked like
    /// `chooseWXPay`.
    RedPacket,
    /// iBeacons (1.1.0).
    Beacons(Beacons),
    /// `openEnterpriseChat` (1.1.0).
    EnterpriseChat,
    /// `launchMiniProgram` (1.3.2).
    LaunchMiniProgram,
    /// `openBusinessView` (1.6.0).
    BusinessView,
    /// `chooseInvoice`, through `wx.invoke` (signed with the card ticket).
    ChooseInvoice,
    /// `invokeMiniProgramAPI`: `wx.miniProgram.*`, needs no `wx.config`.
    MiniProgram,
    /// A tap on an open tag (the app's own call, `openTagLaunch`: the tag and its attributes).
    OpenTag,
    /// A name this app does not have: `function not exist`.
    Unknown,
}

/// Shares, the option menu and the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Menu {
    /// A share invoke (`shareTimeline`, `sendAppMessage`…), sent from a menu tap.
    Share,
    /// `hideOptionMenu`.
    HideOptionMenu,
    /// `showOptionMenu`.
    ShowOptionMenu,
    /// `hideMenuItems`.
    HideMenuItems,
    /// `showMenuItems`.
    ShowMenuItems,
    /// `hideAllNonBaseMenuItem`.
    HideAllNonBase,
    /// `showAllNonBaseMenuItem`.
    ShowAllNonBase,
    /// `closeWindow`.
    CloseWindow,
    /// `openProductViewWithPid`: `openProductSpecificView`.
    ProductView,
    /// `updateAppMessageShareData` / `updateTimelineShareData` (1.4.0): what the next menu
    /// share sends.
    UpdateShareData,
}

/// Photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Image {
    /// `chooseImage`.
    Choose,
    /// `imagePreview`: `previewImage`.
    Preview,
    /// `uploadImage`.
    Upload,
    /// `downloadImage`.
    Download,
    /// `getLocalImgData` (1.2.0): a local photo as a data URL.
    LocalData,
}

/// Voice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voice {
    /// `startRecord`.
    StartRecord,
    /// `stopRecord`.
    StopRecord,
    /// `playVoice`.
    Play,
    /// `pauseVoice`.
    Pause,
    /// `stopVoice`.
    Stop,
    /// `uploadVoice`.
    Upload,
    /// `downloadVoice`.
    Download,
    /// `translateVoice`.
    Translate,
}

/// Location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// `geoLocation`: `getLocation`.
    Get,
    /// `openLocation`.
    Open,
}

/// iBeacons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beacons {
    /// `startMonitoringBeacons`: `startSearchBeacons`.
    Start,
    /// `stopMonitoringBeacons`: `stopSearchBeacons`.
    Stop,
}

/// Cards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    /// `batchAddCard`: `addCard`.
    Add,
    /// `chooseCard`.
    Choose,
    /// `batchViewCard`: `openCard`.
    View,
    /// `consumedShareCard`: `consumeAndShareCard` (1.1.0).
    ConsumeAndShare,
}

impl Call {
    /// The call a bridge invoke name stands for.
    #[must_use]
    pub fn parse(name: &str) -> Self {
        match name {
            "preVerifyJSAPI" => Self::Config,
            "checkJsApi" => Self::CheckJsApi,
            "getNetworkType" => Self::NetworkType,
            "shareTimeline" | "sendAppMessage" | "shareQQ" | "shareWeiboApp" | "shareQZone" => {
                Self::Menu(Menu::Share)
            }
            "hideOptionMenu" => Self::Menu(Menu::HideOptionMenu),
            "showOptionMenu" => Self::Menu(Menu::ShowOptionMenu),
            "hideMenuItems" => Self::Menu(Menu::HideMenuItems),
            "showMenuItems" => Self::Menu(Menu::ShowMenuItems),
            "hideAllNonBaseMenuItem" => Self::Menu(Menu::HideAllNonBase),
            "showAllNonBaseMenuItem" => Self::Menu(Menu::ShowAllNonBase),
            "closeWindow" => Self::Menu(Menu::CloseWindow),
            "openProductViewWithPid" => Self::Menu(Menu::ProductView),
            "chooseImage" => Self::Image(Image::Choose),
            "imagePreview" => Self::Image(Image::Preview),
            "uploadImage" => Self::Image(Image::Upload),
            "downloadImage" => Self::Image(Image::Download),
            "startRecord" => Self::Voice(Voice::StartRecord),
            "stopRecord" => Self::Voice(Voice::StopRecord),
            "playVoice" => Self::Voice(Voice::Play),
            "pauseVoice" => Self::Voice(Voice::Pause),
            "stopVoice" => Self::Voice(Voice::Stop),
            "uploadVoice" => Self::Voice(Voice::Upload),
            "downloadVoice" => Self::Voice(Voice::Download),
            "translateVoice" => Self::Voice(Voice::Translate),
            "geoLocation" => Self::Location(Location::Get),
            "openLocation" => Self::Location(Location::Open),
            "scanQRCode" => Self::Scan,
            "getBrandWCPayRequest" => Self::Pay,
            "batchAddCard" => Self::Card(Card::Add),
            "chooseCard" => Self::Card(Card::Choose),
            "batchViewCard" => Self::Card(Card::View),
            "updateAppMessageShareData" | "updateTimelineShareData" => {
                Self::Menu(Menu::UpdateShareData)
            }
            "getLocalImgData" => Self::Image(Image::LocalData),
            "editAddress" => Self::Address,
            "consumedShareCard" => Self::Card(Card::ConsumeAndShare),
            "getRecevieBizHongBaoRequest" => Self::RedPacket,
            "startMonitoringBeacons" => Self::Beacons(Beacons::Start),
            "stopMonitoringBeacons" => Self::Beacons(Beacons::Stop),
            "openEnterpriseChat" => Self::EnterpriseChat,
            "launchMiniProgram" => Self::LaunchMiniProgram,
            "openBusinessView" => Self::BusinessView,
            "chooseInvoice" => Self::ChooseInvoice,
            "invokeMiniProgramAPI" => Self::MiniProgram,
            "openTagLaunch" => Self::OpenTag,
            _ => Self::Unknown,
        }
    }
}

/// What waits on the person's answer to an open call.
#[derive(Debug, Clone)]
pub(crate) enum Pending {
    /// A verified payment: paid when the person pays.
    Pay(wxjs_sim::pay::PendingPay),
    /// Cards offered: the accepted ones go into the wallet when the person adds them.
    Cards(Vec<cards::CardOffer>),
    /// A scan with its parameters: the person supplies the image.
    Scan(Map<String, Value>),
    /// `getLocation` from the browser, in this datum.
    Geo(String),
}

/// What the app does with a verified call.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// `ok`, or why the app refused, for the log.
    pub(crate) verification: Option<String>,
    /// The final result, when the app decides without the person; `None` when the page's UI
    /// carries the call out.
    pub(crate) result: Option<Value>,
    /// What the prompt shows.
    pub(crate) prompt: Option<Value>,
    /// What waits on the person's answer.
    pub(crate) pending: Option<Pending>,
}

impl Outcome {
    /// The page's UI carries the call out.
    pub(crate) fn ui() -> Self {
        Self::default()
    }

    /// The app answers at once.
    pub(crate) fn result(result: Value) -> Self {
        Self {
            result: Some(result),
            ..Self::default()
        }
    }

    /// The page's UI shows `prompt` and carries the call out.
    pub(crate) fn prompt(prompt: Value) -> Self {
        Self {
            prompt: Some(prompt),
            ..Self::default()
        }
    }

    /// Waits on the person with `pending`.
    #[must_use]
    pub(crate) fn pending(mut self, pending: Pending) -> Self {
        self.pending = Some(pending);
        self
    }

    /// The app refused the call for `why`, answering `result`.
    pub(crate) fn refused(why: String, result: Value) -> Self {
        Self {
            verification: Some(why),
            result: Some(result),
            ..Self::default()
        }
    }
}

/// `{"err_msg": "name:suffix"}`.
pub(crate) fn fail(name: &str, suffix: &str) -> Value {
    json!({ "err_msg": format!("{name}:{suffix}") })
}

impl Phone {
    /// Carries out a verified call of account `app_id` (every call but `Config`).
    pub(crate) fn carry_out(
        &self,
        call: Call,
        name: &str,
        app_id: &str,
        params: &Map<String, Value>,
        page: &str,
    ) -> Outcome {
        match call {
            // Verified separately; never carried out here.
            Call::Config => Outcome::result(json!({ "err_msg": "preVerifyJSAPI:ok" })),
            Call::CheckJsApi => Outcome::result(self.check_js_api(params)),
            Call::NetworkType => Outcome::result(match self.lock().network.as_str() {
                "wifi" => json!({ "err_msg": "network_type:wifi" }),
                "offline" => json!({ "err_msg": "network_type:fail" }),
                sub => json!({ "err_msg": "network_type:wwan", "subtype": sub }),
            }),
            Call::Menu(m) => menu::carry_out(m, name),
            Call::Image(i) => image::carry_out(self, i, app_id, name, params),
            Call::Voice(v) => {
                let outcome = voice::carry_out(self, v, app_id, name, params);
                if v == Voice::StartRecord {
                    self.with_permission("microphone", name, outcome)
                } else {
                    outcome
                }
            }
            Call::Location(l) => {
                let outcome = location::carry_out(self, l, name, params);
                if l == Location::Get {
                    self.with_permission("location", name, outcome)
                } else {
                    outcome
                }
            }
            Call::Scan => scan::carry_out(params),
            Call::Pay => payment::carry_out(self, app_id, params, page),
            Call::Card(c) => cards::carry_out(self, c, app_id, params),
            Call::Address => later::address(self),
            Call::RedPacket => later::red_packet(self, app_id, name, params),
            Call::Beacons(b) => later::beacons(b, name),
            Call::EnterpriseChat => later::enterprise_chat(params),
            Call::LaunchMiniProgram => later::launch_mini_program(params),
            Call::BusinessView => later::business_view(params),
            Call::ChooseInvoice => later::choose_invoice(self, app_id, params),
            // Carried out before verification (Phone::invoke): never here.
            Call::MiniProgram | Call::OpenTag => Outcome::result(fail(name, "fail")),
            Call::Unknown => Outcome::result(fail(name, "fail_function_not_exist")),
        }
    }

    /// A verified call that needs the person's permission (`kind`: location, microphone): as
    /// `outcome` when allowed; `auth deny` when denied; otherwise the page's UI asks first
    /// (the prompt names the permission and carries the answer the app would give).
    fn with_permission(&self, kind: &str, name: &str, outcome: Outcome) -> Outcome {
        use crate::phone::Permission;
        let setting = self.permission(kind);
        // Refused, or failed on its own parameters: no prompt.
        let failed = outcome.result.as_ref().is_some_and(|r| {
            !r.get("err_msg")
                .and_then(Value::as_str)
                .is_some_and(|m| m.ends_with(":ok"))
        });
        if outcome.verification.is_some() || failed {
            return outcome;
        }
        match setting {
            Permission::Allow => outcome,
            Permission::Deny => Outcome::result(fail(name, "fail auth deny")),
            Permission::Auto | Permission::Ask => {
                let mut prompt = json!({
                    "permission": kind,
                    "setting": setting,
                });
                if let Some(then) = &outcome.result {
                    prompt["then"] = then.clone();
                } else if let Some(inner) = &outcome.prompt {
                    prompt["prompt"] = inner.clone();
                }
                Outcome {
                    verification: None,
                    result: None,
                    prompt: Some(prompt),
                    pending: outcome.pending,
                }
            }
        }
    }

    /// `checkJsApi`: whether each name (as the page lists it to the bridge: invokes, events,
    /// menu events) is one this app has.
    fn check_js_api(&self, params: &Map<String, Value>) -> Value {
        let version = self.client_version();
        let mut result = Map::new();
        if let Some(Value::Array(list)) = params.get("jsApiList") {
            for api in list.iter().filter_map(Value::as_str) {
                let supported = (Call::parse(api) != Call::Unknown
                    || wxjs_platform::jsapi::every().any(|i| i.bridge.listed() == api))
                    && crate::phone::client_has(&version, api);
                result.insert(api.to_owned(), Value::Bool(supported));
            }
        }
        let check = Value::Object(result);
        let check = if self.os() == Os::Android {
            Value::String(check.to_string())
        } else {
            check
        };
        json!({ "err_msg": "checkJsApi:ok", "checkResult": check })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every invoke of the interface table, later ones included, parses to a call this app
    /// carries out.
    #[test]
    fn every_interface_of_the_table_is_a_call() {
        for i in wxjs_platform::jsapi::every() {
            if let Some(invoke) = i.bridge.invoke() {
                assert_ne!(Call::parse(invoke), Call::Unknown, "{}", i.wx);
            }
        }
        assert_eq!(Call::parse("openAddress"), Call::Unknown);
    }
}
