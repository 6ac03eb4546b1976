//! The emulated WeChat app, server half: verification of every bridge invoke like the real app,
//! the automation queues (`/__wxjs/user/next`, `/__wxjs/user/tap`), the call log (`/__wxjs/log`)
//! and the app's settings. The browser half is `web/bridge.js`.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use parking_lot::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use wxjs_platform::jsapi;

use crate::calls::{Call, Outcome, Pending, fail};
use wxjs_platform::ticket::TicketType;
use wxjs_sign::{DiagnoseInput, JsapiTicket, PageUrl, UsedConfig, domain_allowed};

use wxjs_sim::Sim;

/// Which system the page runs in: decides the user agent, which URL signatures are checked
/// against, and which results arrive as JSON strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    /// Checks the current URL; some results are JSON strings.
    #[default]
    Android,
    /// Checks the URL the web view first landed on.
    Ios,
}

impl Os {
    /// Reads `android` or `ios`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "android" => Some(Self::Android),
            "ios" => Some(Self::Ios),
            _ => None,
        }
    }

    /// The web view's user agent for WeChat `version` (`8.0.47`).
    #[must_use]
    pub fn user_agent(self, version: &str) -> String {
        match self {
            Self::Android => format!(
                "Mozilla/5.0 (Linux; Android 13; Pixel 7 Build/TQ3A.230901.001; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 MMWEBSDK/20231202 MicroMessenger/{version}.2540(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64"
            ),
            Self::Ios => format!(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/{version}(0x18002f2c) NetType/WIFI Language/zh_CN"
            ),
        }
    }
}

/// The WeChat version the app reports unless a setting says otherwise.
pub const DEFAULT_CLIENT_VERSION: &str = "8.0.47";

/// The first WeChat version that renders open tags.
pub const OPEN_TAGS_SINCE: &str = "7.0.12";

/// The first WeChat version that has a bridge call, where WeChat says so: the 1.4.0 share
/// interfaces need 6.7.2 (open tags, 7.0.12, are the browser half's). Others: every version the
/// app can be set to.
#[must_use]
pub fn client_since(invoke: &str) -> Option<&'static str> {
    match invoke {
        "updateAppMessageShareData" | "updateTimelineShareData" => Some("6.7.2"),
        _ => None,
    }
}

/// Whether WeChat `version` has the bridge call `invoke`.
#[must_use]
pub fn client_has(version: &str, invoke: &str) -> bool {
    client_since(invoke).is_none_or(|since| version_numbers(version) >= version_numbers(since))
}

/// A WeChat version's numbers, for comparing (`None` unless `d.d.d`).
#[must_use]
pub fn version_numbers(version: &str) -> Option<[u32; 3]> {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
    let v = [parts.next()??, parts.next()??, parts.next()??];
    parts.next().is_none().then_some(v)
}

/// The network type the app reports.
pub const NETWORK_TYPES: [&str; 5] = ["wifi", "2g", "3g", "4g", "offline"];

/// The menus automation can tap, and the bridge events they fire.
pub const MENUS: [(&str, &str); 5] = [
    ("share:timeline", "menu:share:timeline"),
    ("share:appMessage", "menu:share:appmessage"),
    ("share:qq", "menu:share:qq"),
    ("share:weiboApp", "menu:share:weiboApp"),
    ("share:QZone", "menu:share:QZone"),
];

/// The open tags the app renders (1.6.0, WeChat ≥ 7.0.12); automation answers their prompts by
/// these names.
pub const OPEN_TAGS: [&str; 4] = [
    "wx-open-launch-weapp",
    "wx-open-launch-app",
    "wx-open-subscribe",
    "wx-open-audio",
];

/// How iOS spells a photo's local id (the browser lower-cases the scheme of an element's `src`).
pub const IOS_LOCAL_PREFIX: &str = "wxLocalResource://imageid";

/// Local files (photos, recordings) the phone holds at most.
pub const MAX_LOCALS: usize = 500;
/// Bytes of local files the phone holds at most.
pub const MAX_LOCAL_BYTES: usize = 64 << 20;

/// The wx interface of a bridge call (a share invoke counts as its `onMenuShare*`).
#[must_use]
pub fn wx_name(bridge: &str) -> &str {
    match bridge {
        "preVerifyJSAPI" => "config",
        _ => jsapi::by_invoke(bridge).map_or(bridge, |i| i.wx),
    }
}

/// The name a bridge call goes by in `verifyJsApiList`.
fn listed_name(bridge: &str) -> &str {
    jsapi::by_invoke(bridge).map_or(bridge, |i| i.bridge.listed())
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvokeRequest {
    /// The page instance.
    pub session: String,
    /// The URL the web view first landed on.
    pub landing_url: String,
    /// The URL now.
    pub current_url: String,
    /// The bridge call.
    pub name: String,
    /// Its parameters, with the verification fields.
    #[serde(default)]
    pub params: Map<String, Value>,
}

/// the app's decision on an invoke.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InvokeAnswer {
    /// The log entry.
    pub id: u64,
    /// The final result, when the app decides without the person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// An automated answer to the prompt this call opens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<UserAnswer>,
    /// What the prompt shows (the order of a payment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Value>,
}

/// An automated answer (`POST /__wxjs/user/next`). Unknown fields are refused: a misspelt
/// `page` would otherwise send the answer to the page loaded most recently.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UserAnswer {
    /// The wx interface whose prompt it answers.
    pub api: String,
    /// `ok`, `cancel` or `fail`.
    pub action: String,
    /// Data the answer carries (for later interfaces: a file, a choice…).
    #[serde(default)]
    pub data: Value,
    /// The page it is for (`GET /__wxjs/pages`); without it, the page loaded most recently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
}

/// One call in the log.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntry {
    /// Order of arrival.
    pub id: u64,
    /// The page instance.
    pub session: String,
    /// The wx interface.
    pub api: String,
    /// The bridge call.
    pub name: String,
    /// The parameters as sent.
    pub params: Map<String, Value>,
    /// `ok`, or why the app refused (`invalid signature`…).
    pub verification: String,
    /// The result given to the page.
    pub result: Option<Value>,
    /// For a refused config: what the app expected and the diagnosis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Value>,
    /// When the call arrived: milliseconds since the Unix epoch, by the machine's clock (what
    /// the debug console shows), not the simulator's.
    pub at: u64,
}

/// Why the app refuses cards an `addCard` prompt offers, for the log: `{"why": …}`, or `None`
/// when it takes them all.
fn refused_cards(prompt: Option<&Value>) -> Option<Value> {
    let refused: Vec<String> = prompt?
        .get("cards")?
        .as_array()?
        .iter()
        .filter(|c| c.get("accepted") == Some(&Value::Bool(false)))
        .map(|c| {
            format!(
                "card {} refused: {}",
                c.get("cardId").and_then(Value::as_str).unwrap_or("?"),
                c.get("why").and_then(Value::as_str).unwrap_or("invalid")
            )
        })
        .collect();
    (!refused.is_empty()).then(|| json!({ "why": refused.join("; ") }))
}

/// The first-use permission prompts automation can answer (`/__wxjs/user/next`).
pub const PERMISSION_PROMPTS: [&str; 2] = ["permission:location", "permission:microphone"];

/// Now, in milliseconds since the Unix epoch, by the machine's clock.
fn wall_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[derive(Debug, Clone)]
struct Verified {
    app_id: String,
    fields: [Option<String>; 4],
    list: Vec<String>,
    /// `verifyOpenTagList`: the open tags the page may show.
    open_tags: Vec<String>,
}

/// A resource on the phone: a photo chosen or downloaded.
#[derive(Debug, Clone)]
pub struct Local {
    /// The bytes.
    pub bytes: bytes::Bytes,
    /// Their content type.
    pub content_type: &'static str,
    /// The file extension.
    pub ext: &'static str,
}

/// Where the phone is, in WGS-84.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// Accuracy in metres.
    #[serde(default = "default_accuracy")]
    pub accuracy: f64,
    /// Speed in metres a second.
    #[serde(default)]
    pub speed: f64,
}

fn default_accuracy() -> f64 {
    30.0
}

/// `getLocation`'s answer for a WGS-84 fix, in the datum the call asked for.
pub(crate) fn geo_result(kind: &str, fix: Fix) -> Value {
    let (latitude, longitude) = if kind == "gcj02" {
        crate::device::wgs84_to_gcj02(fix.latitude, fix.longitude)
    } else {
        (fix.latitude, fix.longitude)
    };
    json!({ "err_msg": "geo_location:ok", "type": kind, "latitude": latitude, "longitude": longitude, "speed": fix.speed, "accuracy": fix.accuracy })
}

/// A saved address of the simulated user (`openAddress`), with the names the library gives the
/// page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Address {
    /// The recipient.
    pub user_name: String,
    /// The postal code.
    pub postal_code: String,
    /// The province.
    pub province_name: String,
    /// The city.
    pub city_name: String,
    /// The district (the library calls it `countryName`).
    pub country_name: String,
    /// Street and number.
    pub detail_info: String,
    /// The national code of the district.
    pub national_code: String,
    /// The phone number.
    pub tel_number: String,
}

impl Address {
    /// The address as the app answers `editAddress` (before the library renames the fields).
    #[must_use]
    pub fn as_result(&self) -> Value {
        json!({
            "userName": self.user_name,
            "addressPostalCode": self.postal_code,
            "proviceFirstStageName": self.province_name,
            "addressCitySecondStageName": self.city_name,
            "addressCountiesThirdStageName": self.country_name,
            "addressDetailInfo": self.detail_info,
            "nationalCode": self.national_code,
            "telNumber": self.tel_number,
        })
    }

    /// The simulated user's address until a setting says otherwise.
    #[must_use]
    pub fn demo() -> Vec<Self> {
        vec![Self {
            user_name: "张三".into(),
            postal_code: "518000".into(),
            province_name: "广东省".into(),
            city_name: "深圳市".into(),
            country_name: "福田区".into(),
            detail_info: "福中三路市民中心".into(),
            national_code: "440304".into(),
            tel_number: "13800138000".into(),
        }]
    }
}

/// The default fix: Shenzhen's Civic Center.
pub(crate) const SHENZHEN: Fix = Fix {
    latitude: 22.543_096,
    longitude: 114.057_865,
    accuracy: 30.0,
    speed: 0.0,
};

/// The person's answer to a first-use permission prompt (location, microphone).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Not asked yet: a person is asked; a page under WebDriver or Playwright
    /// (`navigator.webdriver`) is allowed without a prompt, so that tests never hang on one.
    #[default]
    Auto,
    /// Not asked yet, and asked even under automation (which answers `permission:location` or
    /// `permission:microphone` through `/__wxjs/user/next`).
    Ask,
    /// Allowed: no prompt.
    Allow,
    /// Denied: the call fails with `auth deny`, no prompt.
    Deny,
}

/// The first-use permissions of the simulated user, for every account.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permissions {
    /// `getLocation`.
    #[serde(default)]
    pub location: Permission,
    /// `startRecord`.
    #[serde(default)]
    pub microphone: Permission,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) os: Os,
    /// First-use permission answers.
    permissions: Permissions,
    pub(crate) network: String,
    /// Recordings stop by themselves after this long (60 s, as WeChat's).
    record_limit_ms: Option<u64>,
    /// Take `getLocation` from the browser's geolocation instead of the `location` setting.
    pub(crate) browser_location: bool,
    /// Record the generated tone even when the browser has a microphone.
    no_microphone: bool,
    pub(crate) location: Option<Fix>,
    /// A WeChat web view, or a mini program's `<web-view>`.
    environment: crate::miniprogram::Environment,
    /// The host mini program (its page stack and messages).
    host: crate::miniprogram::Host,
    /// The WeChat version; [`DEFAULT_CLIENT_VERSION`] when `None`.
    client_version: Option<String>,
    /// The saved addresses (`openAddress`); the demo one when `None`.
    addresses: Option<Vec<Address>>,
    locals: HashMap<String, Local>,
    /// What waits on the person's answer, per open call.
    pending: HashMap<u64, Pending>,
    pub(crate) wallet: Vec<crate::calls::cards::WalletCard>,
    sessions: HashMap<String, Verified>,
    /// The latest [`LOG_KEPT`] calls.
    log: VecDeque<LogEntry>,
    /// The last log id given.
    log_seq: u64,
    answers: VecDeque<UserAnswer>,
    /// Menu events waiting, with the page they are for.
    taps: VecDeque<(Option<String>, String)>,
    sessions_seen: VecDeque<String>,
    pages: crate::pages::Pages,
}

/// Calls the log keeps (the oldest go first).
pub const LOG_KEPT: usize = 1000;
/// Strings longer than this are kept in the log by their start only (the page gets them whole):
/// a photo's base64 from `getLocalImgData` would otherwise sit in the log at full size.
pub const LOG_STRING_KEPT: usize = 2048;
/// What one log entry's parameters or result may hold, strings cut; beyond it the log keeps a
/// note of the size instead.
pub const LOG_VALUE_KEPT: usize = 16 * 1024;
/// Automated answers and taps that can wait at once.
pub const QUEUED_KEPT: usize = 100;
/// The data of all automated answers waiting at once, in bytes of JSON.
pub const QUEUED_BYTES: usize = 8 << 20;

/// What the log keeps of a value: strings longer than [`LOG_STRING_KEPT`] cut to their start
/// with a note of their length, and a value still larger than [`LOG_VALUE_KEPT`] replaced by a
/// note of its size. The log stays readable and bounded whatever pages send.
fn for_log(mut v: Value) -> Value {
    /// Cuts long strings in place; returns about how many bytes of JSON `v` now takes.
    fn cut(v: &mut Value) -> usize {
        match v {
            Value::String(s) if s.len() > LOG_STRING_KEPT => {
                let mut end = 256;
                while !s.is_char_boundary(end) {
                    end -= 1;
                }
                let note = format!("{}… ({} bytes, cut in the log)", &s[..end], s.len());
                *s = note;
                s.len() * 6 + 2
            }
            // Control characters take six bytes once escaped (`\u0001`), quotes two.
            Value::String(s) => {
                s.len()
                    + 2
                    + s.bytes()
                        .filter(|&b| b < 0x20 || b == b'"' || b == b'\\')
                        .count()
                        * 5
            }
            Value::Array(a) => a.iter_mut().map(|v| cut(v) + 1).sum::<usize>() + 2,
            Value::Object(m) => {
                m.iter_mut()
                    .map(|(k, v)| k.len() + 4 + cut(v))
                    .sum::<usize>()
                    + 2
            }
            _ => 8,
        }
    }
    let size = cut(&mut v);
    if size > LOG_VALUE_KEPT {
        json!({ "cutInTheLog": format!("about {size} bytes of JSON, too large for the log") })
    } else {
        v
    }
}

fn map_for_log(params: Map<String, Value>) -> Map<String, Value> {
    match for_log(Value::Object(params)) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
/// Page sessions whose verification is remembered.
const SESSIONS_KEPT: usize = 1000;

impl State {
    fn version(&self) -> &str {
        self.client_version
            .as_deref()
            .unwrap_or(DEFAULT_CLIENT_VERSION)
    }

    /// Drops queued automation for pages that went away: nothing would ever take it, and it
    /// would hold places in the bounded queues.
    fn drop_undeliverable(&mut self) {
        let State {
            answers,
            taps,
            pages,
            ..
        } = self;
        answers.retain(|a| pages.deliverable(a.page.as_deref()));
        taps.retain(|(to, _)| pages.deliverable(to.as_deref()));
    }

    /// A new log id; forgets the oldest entry when the log is full.
    fn next_log_id(&mut self) -> u64 {
        if self.log.len() >= LOG_KEPT {
            // A call that old will not be answered any more: forget what waits on it too.
            if let Some(old) = self.log.pop_front() {
                self.pending.remove(&old.id);
            }
        }
        self.log_seq += 1;
        self.log_seq
    }
}

/// The emulated app's state. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Phone {
    sim: Sim,
    /// The system the app starts on, and returns to on [`Phone::reset`].
    default_os: Os,
    state: Arc<Mutex<State>>,
}

fn field(params: &Map<String, Value>, name: &str) -> Option<String> {
    match params.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn no_page(id: &str) -> String {
    format!("no open page {id:?} (GET /__wxjs/pages lists them)")
}

impl Phone {
    /// The emulated WeChat app on the simulated platform, as on Android or iOS.
    #[must_use]
    pub fn new(sim: Sim, os: Os) -> Self {
        Self {
            sim,
            default_os: os,
            state: Arc::new(Mutex::new(State {
                os,
                network: "wifi".into(),
                ..State::default()
            })),
        }
    }

    /// Forgets the app's state: queued answers and taps, the call log, the wallet, local
    /// files, and what waits on open calls; settings go back to their defaults. Open pages stay
    /// open (and configured).
    pub fn reset(&self) {
        let mut s = self.lock();
        let pages = std::mem::take(&mut s.pages);
        let sessions = std::mem::take(&mut s.sessions);
        let sessions_seen = std::mem::take(&mut s.sessions_seen);
        let log_seq = s.log_seq;
        *s = State {
            os: self.default_os,
            network: "wifi".into(),
            pages,
            sessions,
            sessions_seen,
            // Ids stay unique across resets: a late result must not close a newer call.
            log_seq,
            ..State::default()
        };
    }

    /// The simulated platform the app runs against.
    #[must_use]
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// A page is loading: its id.
    pub fn open_page(&self, url: &str) -> String {
        let mut s = self.lock();
        let env = s.environment;
        s.pages.open(url, env)
    }

    /// The open pages, in the order they were loaded.
    #[must_use]
    pub fn pages(&self) -> Vec<crate::pages::PageInfo> {
        self.lock().pages.list()
    }

    /// The page `id` is going away: automation queued for it is dropped.
    pub fn close_page(&self, id: &str) {
        let mut s = self.lock();
        let was = s.pages.environment(id);
        s.pages.close(id);
        s.drop_undeliverable();
        // A <web-view> page (not a frame in it) going away destroys the web-view.
        if was == Some((crate::miniprogram::Environment::Miniprogram, false)) {
            s.host.deliver("destroy");
        }
    }

    /// The WeChat version pages loaded from now on see.
    #[must_use]
    pub fn client_version(&self) -> String {
        self.lock().version().to_owned()
    }

    /// Sets the WeChat version (`d.d.d`): the user agent, and what the app has (open tags from
    /// 7.0.12).
    pub fn set_client_version(&self, version: &str) -> Result<(), String> {
        if version_numbers(version).is_none() {
            return Err(format!(
                "clientVersion must look like 8.0.47, not {version:?}"
            ));
        }
        self.lock().client_version = Some(version.to_owned());
        Ok(())
    }

    /// Where pages loaded from now on run.
    #[must_use]
    pub fn environment(&self) -> crate::miniprogram::Environment {
        self.lock().environment
    }

    /// Makes pages loaded from now on a WeChat web view or a mini program's `<web-view>`.
    pub fn set_environment(&self, environment: crate::miniprogram::Environment) {
        self.lock().environment = environment;
    }

    /// The user agent of pages loaded now: a `<web-view>`'s says `miniProgram`.
    #[must_use]
    pub fn user_agent(&self) -> String {
        let s = self.lock();
        let ua = s.os.user_agent(s.version());
        match s.environment {
            crate::miniprogram::Environment::Webview => ua.to_owned(),
            crate::miniprogram::Environment::Miniprogram => format!("{ua} miniProgram"),
        }
    }

    /// What the host mini program received: its stack, the delivered messages, and the
    /// launches of mini programs and apps from pages (from the call log).
    #[must_use]
    pub fn mini_program_report(&self) -> Value {
        let s = self.lock();
        let launches: Vec<Value> = s
            .log
            .iter()
            .filter(|e| e.api == "launchMiniProgram" || e.api.starts_with("wx-open-launch-"))
            .map(|e| json!({ "api": e.api, "page": e.session, "params": e.params, "result": e.result }))
            .collect();
        s.host.report(launches)
    }

    /// A tap on a rendered open tag: allowed when the page's config verified and named the tag;
    /// `wx-open-launch-app` only for an app linked to the account (`launch:fail_check fail`).
    fn open_tag(&self, req: &InvokeRequest) -> Outcome {
        let tag = req.params.get("tag").and_then(Value::as_str).unwrap_or("");
        let s = self.lock();
        let Some(v) = s.sessions.get(&req.session) else {
            return Outcome::refused(
                "open tags render only after wx.config verified".into(),
                json!({ "err_msg": "launch:fail" }),
            );
        };
        if !v.open_tags.iter().any(|t| t == tag) {
            return Outcome::refused(
                format!("{tag:?} is not in the config's openTagList"),
                json!({ "err_msg": "launch:fail" }),
            );
        }
        if tag == "wx-open-launch-app" {
            let appid = req
                .params
                .get("attrs")
                .and_then(|a| a.get("appid"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let linked = self
                .sim
                .account(&v.app_id)
                .is_some_and(|a| a.linked_apps.iter().any(|l| l == appid));
            if !linked {
                return Outcome::refused(
                    format!(
                        "the app {appid:?} is not linked to {} on the open platform",
                        v.app_id
                    ),
                    json!({ "err_msg": "launch:fail_check fail" }),
                );
            }
        }
        Outcome::ui()
    }

    /// `invokeMiniProgramAPI`: needs no `wx.config` (WeChat's own web-view sample has none),
    /// only a `<web-view>` around the page.
    fn mini_program(&self, session: &str, params: &Map<String, Value>) -> Outcome {
        let mut s = self.lock();
        // The environment the page was loaded in (the setting now, for a page not known).
        let env = s
            .pages
            .environment(session)
            .map_or(s.environment, |(e, _)| e);
        if env != crate::miniprogram::Environment::Miniprogram {
            return Outcome::refused(
                "not in a mini program's web-view (set {\"environment\":\"miniprogram\"})".into(),
                fail("invokeMiniProgramAPI", "fail_not_in_miniprogram"),
            );
        }
        let name = params.get("name").and_then(Value::as_str).unwrap_or("");
        let arg = params.get("arg").cloned().unwrap_or(Value::Null);
        match s.host.call(name, &arg) {
            Ok(()) => Outcome::result(
                json!({ "err_msg": "invokeMiniProgramAPI:ok", "stack": s.host.stack() }),
            ),
            Err(suffix) => Outcome::result(fail("invokeMiniProgramAPI", suffix)),
        }
    }

    pub(crate) fn lock(&self) -> parking_lot::MutexGuard<'_, State> {
        self.state.lock()
    }

    /// The operating system in force.
    #[must_use]
    pub fn os(&self) -> Os {
        self.lock().os
    }

    /// The settings: platform and network type.
    #[must_use]
    pub fn settings(&self) -> Value {
        let s = self.lock();
        json!({ "platform": s.os, "networkType": s.network, "userAgent": s.os.user_agent(s.version()), "clientVersion": s.version(), "environment": s.environment, "location": s.location.unwrap_or(SHENZHEN), "recordLimitMs": s.record_limit_ms.unwrap_or(60_000), "locationSource": if s.browser_location { "browser" } else { "setting" }, "microphone": !s.no_microphone, "addresses": s.addresses.clone().unwrap_or_else(Address::demo), "permissions": s.permissions })
    }

    /// The person's answer to the permission prompt of `kind` (location, microphone).
    pub(crate) fn permission(&self, kind: &str) -> Permission {
        let s = self.lock();
        match kind {
            "location" => s.permissions.location,
            _ => s.permissions.microphone,
        }
    }

    /// Sets the answers to the first-use permission prompts (the person's, or automation's).
    pub fn set_permissions(&self, location: Option<Permission>, microphone: Option<Permission>) {
        let mut s = self.lock();
        if let Some(p) = location {
            s.permissions.location = p;
        }
        if let Some(p) = microphone {
            s.permissions.microphone = p;
        }
    }

    /// Sets how long a recording may run before `onVoiceRecordEnd` (60 s unless changed).
    pub fn set_record_limit(&self, ms: u64) -> Result<(), String> {
        if !(100..=60_000).contains(&ms) {
            return Err("recordLimitMs must be from 100 to 60000".into());
        }
        self.lock().record_limit_ms = Some(ms);
        Ok(())
    }

    /// Records from the browser's microphone when it has one (`true`), or always the generated tone.
    pub fn set_microphone(&self, on: bool) {
        self.lock().no_microphone = !on;
    }

    /// Takes `getLocation` from the browser (`"browser"`) or the `location` setting (`"setting"`).
    pub fn set_location_source(&self, source: &str) -> Result<(), String> {
        let browser = match source {
            "browser" => true,
            "setting" => false,
            other => {
                return Err(format!(
                    "locationSource must be browser or setting, not {other:?}"
                ));
            }
        };
        self.lock().browser_location = browser;
        Ok(())
    }

    /// Answers an open `getLocation` with the browser's WGS-84 fix, converted as the call asked.
    pub fn browser_fix(&self, id: u64, fix: Fix) -> Result<Value, String> {
        Self::check_location(&fix)?;
        let mut s = self.lock();
        let Some(Pending::Geo(kind)) = s.pending.remove(&id) else {
            return Err("no open getLocation call with that id".into());
        };
        drop(s);
        Ok(geo_result(&kind, fix))
    }

    /// Checks a fix before anything is changed.
    pub fn check_location(fix: &Fix) -> Result<(), String> {
        if !(-90.0..=90.0).contains(&fix.latitude) || !(-180.0..=180.0).contains(&fix.longitude) {
            return Err(
                "location must have a latitude from -90 to 90 and a longitude from -180 to 180"
                    .into(),
            );
        }
        if fix.accuracy < 0.0 || fix.speed < 0.0 {
            return Err("location accuracy and speed must not be negative".into());
        }
        Ok(())
    }

    /// The simulated user's saved addresses.
    #[must_use]
    pub fn addresses(&self) -> Vec<Address> {
        self.lock().addresses.clone().unwrap_or_else(Address::demo)
    }

    /// Checks addresses before anything is changed: at most 20, none empty.
    pub fn check_addresses(addresses: &[Address]) -> Result<(), String> {
        if addresses.len() > 20 {
            return Err("at most 20 addresses".into());
        }
        if addresses
            .iter()
            .any(|a| a.user_name.is_empty() || a.detail_info.is_empty())
        {
            return Err("every address needs a userName and a detailInfo".into());
        }
        Ok(())
    }

    /// Replaces the saved addresses.
    pub fn set_addresses(&self, addresses: Vec<Address>) -> Result<(), String> {
        Self::check_addresses(&addresses)?;
        self.lock().addresses = Some(addresses);
        Ok(())
    }

    /// Moves the phone.
    pub fn set_location(&self, fix: Fix) -> Result<(), String> {
        Self::check_location(&fix)?;
        self.lock().location = Some(fix);
        Ok(())
    }

    /// Keeps a recording (WAV from the generated tone, WebM or Ogg from the microphone) as a local
    /// resource; gives its local id.
    pub fn add_local_voice(&self, bytes: bytes::Bytes) -> Result<String, String> {
        let (content_type, ext) = if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WAVE")
        {
            ("audio/wav", "wav")
        } else if bytes.starts_with(b"\x1a\x45\xdf\xa3") {
            ("audio/webm", "webm")
        } else if bytes.starts_with(b"OggS") {
            ("audio/ogg", "ogg")
        } else {
            return Err("a recording must be WAV, WebM or Ogg".into());
        };
        if bytes.len() > wxjs_platform::media::MediaType::Voice.max_bytes() {
            return Err("a recording is at most 2 MB".into());
        }
        self.store_local(bytes, content_type, ext)
    }

    /// Keeps bytes as a local resource; gives its local id (a URL the page can load).
    pub fn add_local(&self, bytes: bytes::Bytes) -> Result<String, String> {
        let (content_type, ext) =
            crate::device::image_kind(&bytes).ok_or("not a PNG, JPEG or GIF image")?;
        self.store_local(bytes, content_type, ext)
    }

    /// Keeps checked bytes under a fresh id; gives the local id the page loads. The phone's
    /// storage is bounded ([`MAX_LOCALS`], [`MAX_LOCAL_BYTES`]): beyond it the call fails with
    /// a message that says so.
    fn store_local(
        &self,
        bytes: bytes::Bytes,
        content_type: &'static str,
        ext: &'static str,
    ) -> Result<String, String> {
        let id = wxjs_sign::nonce_of_len(24);
        let mut s = self.lock();
        let ios_image = s.os == Os::Ios && content_type.starts_with("image/");
        let held: usize = s.locals.values().map(|l| l.bytes.len()).sum();
        if s.locals.len() >= MAX_LOCALS || held + bytes.len() > MAX_LOCAL_BYTES {
            return Err(format!(
                "the phone's storage is full: at most {MAX_LOCALS} local files and {} MiB (it holds {} files, {} MiB); restart wxjs dev to empty it",
                MAX_LOCAL_BYTES >> 20,
                s.locals.len(),
                held >> 20
            ));
        }
        s.locals.insert(
            id.clone(),
            Local {
                bytes,
                content_type,
                ext,
            },
        );
        // On iOS a photo's local id is a wxLocalResource:// URL, which an <img> cannot load
        // (why pages call getLocalImgData there); on Android it loads as it is.
        Ok(if ios_image {
            format!("{IOS_LOCAL_PREFIX}{id}")
        } else {
            format!("/__wxjs/local/{id}")
        })
    }

    /// A local resource by its local id (either form; the scheme in any case, as a browser
    /// normalises it) or its bare id.
    #[must_use]
    pub fn local(&self, local_id: &str) -> Option<Local> {
        let last = local_id.rsplit('/').next().unwrap_or(local_id);
        let id = last.strip_prefix("imageid").unwrap_or(last);
        self.lock().locals.get(id).cloned()
    }

    /// Changes settings; the error names the bad value.
    pub fn set(&self, platform: Option<&str>, network: Option<&str>) -> Result<(), String> {
        let platform = platform
            .map(|p| {
                Os::parse(p).ok_or_else(|| format!("platform must be android or ios, not {p:?}"))
            })
            .transpose()?;
        if let Some(n) = network
            && !NETWORK_TYPES.contains(&n)
        {
            return Err(format!(
                "networkType must be one of {}, not {n:?}",
                NETWORK_TYPES.join(", ")
            ));
        }
        let mut s = self.lock();
        if let Some(p) = platform {
            s.os = p;
        }
        if let Some(n) = network {
            s.network = n.to_owned();
        }
        Ok(())
    }

    /// Queues an automated answer to the next prompt of `api`.
    pub fn push_answer(&self, answer: UserAnswer) -> Result<(), String> {
        if !matches!(answer.action.as_str(), "ok" | "cancel" | "fail") {
            return Err(format!(
                "action must be ok, cancel or fail, not {:?}",
                answer.action
            ));
        }
        if !wxjs_platform::jsapi::is_known(&answer.api)
            && wx_name(&answer.api) == answer.api
            && !OPEN_TAGS.contains(&answer.api.as_str())
            && !PERMISSION_PROMPTS.contains(&answer.api.as_str())
        {
            return Err(format!(
                "{:?} is not a JS-SDK interface, an open tag or a permission prompt (permission:location, permission:microphone)",
                answer.api
            ));
        }
        let mut s = self.lock();
        if let Some(page) = &answer.page
            && !s.pages.contains(page)
        {
            return Err(no_page(page));
        }
        s.drop_undeliverable();
        if s.answers.len() >= QUEUED_KEPT {
            return Err(format!(
                "at most {QUEUED_KEPT} automated answers can wait at once; no page has taken them"
            ));
        }
        let bytes = |a: &UserAnswer| serde_json::to_vec(&a.data).map_or(0, |v| v.len());
        let waiting: usize = s.answers.iter().map(bytes).sum();
        if waiting + bytes(&answer) > QUEUED_BYTES {
            return Err(format!(
                "the automated answers waiting may carry {} MiB of data at most (they carry {} KiB, this one {} KiB); no page has taken them",
                QUEUED_BYTES >> 20,
                waiting >> 10,
                bytes(&answer) >> 10
            ));
        }
        s.answers.push_back(answer);
        Ok(())
    }

    /// Queues a menu tap for `page` (`None`: the page loaded most recently).
    pub fn tap(&self, menu: &str, page: Option<&str>) -> Result<(), String> {
        let (_, event) = MENUS.iter().find(|(m, _)| *m == menu).ok_or_else(|| {
            format!(
                "menu must be one of {}, not {menu:?}",
                MENUS.iter().map(|(m, _)| *m).collect::<Vec<_>>().join(", ")
            )
        })?;
        let mut s = self.lock();
        if let Some(page) = page
            && !s.pages.contains(page)
        {
            return Err(no_page(page));
        }
        s.drop_undeliverable();
        if s.taps.len() >= QUEUED_KEPT {
            return Err(format!(
                "at most {QUEUED_KEPT} taps can wait at once; no page has taken them"
            ));
        }
        s.taps
            .push_back((page.map(str::to_owned), (*event).to_owned()));
        Ok(())
    }

    /// What page `session` is to do now: the taps and automated answers addressed to it (for
    /// the prompts it has open), both consumed. The page reports where it is when that changed,
    /// and whether it is a frame inside another page.
    #[must_use]
    pub fn events(
        &self,
        session: &str,
        open: &[&str],
        url: Option<&str>,
        title: Option<&str>,
        frame: bool,
        restored: bool,
    ) -> Value {
        let mut s = self.lock();
        let env = s.environment;
        s.pages.seen(session, url, title, frame, env, restored);
        let State { taps, pages, .. } = &mut *s;
        let mut mine = Vec::new();
        taps.retain(|(to, event)| {
            let take = pages.addressed(to.as_deref(), session);
            if take {
                mine.push(event.clone());
            }
            !take
        });
        let taps = mine;
        let mut answers = Vec::new();
        for api in open {
            if let Some(i) = s.answers.iter().position(|a| {
                (a.api == *api || a.api == wx_name(api))
                    && s.pages.addressed(a.page.as_deref(), session)
            }) {
                answers.extend(s.answers.remove(i));
            }
        }
        // Settings the browser half applies itself reach pages already open, not only new ones.
        let settings = json!({
            "recordLimitMs": s.record_limit_ms.unwrap_or(60_000),
            "microphone": !s.no_microphone,
            "permissions": s.permissions,
        });
        json!({ "taps": taps, "answers": answers, "settings": settings })
    }

    /// The call log.
    #[must_use]
    pub fn log(&self) -> Vec<LogEntry> {
        self.lock().log.iter().cloned().collect()
    }

    /// The calls of the given page sessions (all of them for `None`) that came after call
    /// `after`: what a page's debug console asks for each second, without the whole log.
    #[must_use]
    pub fn log_matching(&self, sessions: Option<&[&str]>, after: u64) -> Vec<LogEntry> {
        self.lock()
            .log
            .iter()
            .filter(|e| e.id > after)
            .filter(|e| sessions.is_none_or(|s| s.contains(&e.session.as_str())))
            .cloned()
            .collect()
    }

    /// Records the final result of a call the page's UI carried out, and gives the result the
    /// page is to receive (`None` when no such call is open): what it records first, so that
    /// nothing the page does next can run ahead of it (the wallet, the payment). A payment the
    /// person made is paid on the platform at most once and makes it notify the merchant; one
    /// that can no longer be paid (paid meanwhile, or expired) fails.
    pub fn record_result(&self, id: u64, mut result: Value) -> Option<Value> {
        let paid = result
            .get("err_msg")
            .and_then(Value::as_str)
            .is_some_and(|m| m.ends_with(":ok"));
        // Close the call and take what waits on it under one lock, so that a second post of the
        // same result finds it closed; no guard may live into the blocks below.
        let (offers, pay) = {
            let mut s = self.lock();
            let entry = s
                .log
                .iter_mut()
                .find(|e| e.id == id && e.result.is_none())?;
            entry.result = Some(json!({ "recording": true }));
            match s.pending.remove(&id) {
                Some(Pending::Cards(offers)) => (Some(offers), None),
                Some(Pending::Pay(pay)) => (None, Some(pay)),
                _ => (None, None),
            }
        };
        if let (Some(offers), true) = (offers, paid) {
            let accepted: Vec<_> = offers
                .into_iter()
                .filter(|o| o.accepted)
                .filter_map(|o| o.card)
                .collect();
            self.lock().wallet.extend(accepted);
        }
        let failed = result
            .get("err_msg")
            .and_then(Value::as_str)
            .is_some_and(|m| m.ends_with(":fail"));
        if let (Some(pay), true) = (&pay, failed) {
            // An order paid, closed or expired meanwhile stays as it is.
            let _ = self.sim.pay_failed(pay, "the payment failed in the app");
        }
        let mut reason = None;
        if let (Some(pay), true) = (pay, paid)
            && let Err(why) = self.sim.pay(&pay)
        {
            // Paid in another tab meanwhile, or expired while the sheet was open.
            let msg = result
                .get("err_msg")
                .and_then(Value::as_str)
                .unwrap_or("chooseWXPay:ok")
                .replace(":ok", ":fail");
            result = json!({ "err_msg": msg });
            reason = Some(why);
        }
        let mut s = self.lock();
        match s.log.iter_mut().find(|e| e.id == id) {
            Some(e) => {
                e.result = Some(for_log(result.clone()));
                if let Some(why) = reason {
                    e.reason = Some(json!({ "payment": why }));
                }
                Some(result)
            }
            // Forgotten meanwhile (a full log): what was done stands.
            None => Some(result),
        }
    }

    /// Scans an image for the open `scanQRCode` call `id`: the result as the app answers it
    /// (iOS wraps `resultStr` in JSON), and the text for the app to show.
    pub fn scan(&self, id: u64, png: &[u8]) -> Result<(Value, String), String> {
        let (params, platform) = {
            let s = self.lock();
            let Some(Pending::Scan(params)) = s.pending.get(&id) else {
                return Err("no open scanQRCode call with that id".into());
            };
            (params.clone(), s.os)
        };
        let types: Vec<&str> = match params.get("scanType") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec!["qrCode", "barCode"],
        };
        let scanned = match crate::scan::decode_png(
            png,
            types.contains(&"qrCode"),
            types.contains(&"barCode"),
        ) {
            Ok(s) => s,
            Err(why) => return Ok((json!({ "err_msg": "scanQRCode:fail_no_code" }), why)),
        };
        let text = scanned.result_str();
        let need_result = params.get("needResult").and_then(Value::as_u64) == Some(1);
        let result = if !need_result {
            json!({ "err_msg": "scanQRCode:ok" })
        } else if platform == Os::Ios {
            json!({ "err_msg": "scanQRCode:ok", "resultStr": json!({ "scan_code": { "scan_result": text } }).to_string() })
        } else {
            json!({ "err_msg": "scanQRCode:ok", "resultStr": text })
        };
        Ok((result, text))
    }

    /// The simulated user's wallet.
    #[must_use]
    pub fn wallet(&self) -> Vec<Value> {
        self.lock()
            .wallet
            .iter()
            .map(crate::calls::cards::shown)
            .collect()
    }

    /// What would make a share of this content fail or look broken in the real app (the share
    /// sheet shows it): the link is checked against the JS safe domains of the account the
    /// page's config verified for.
    #[must_use]
    pub fn share_warnings(
        &self,
        session: &str,
        title: &str,
        link: &str,
        img_url: &str,
    ) -> Vec<String> {
        let app_id = self.lock().sessions.get(session).map(|v| v.app_id.clone());
        let account = app_id.as_deref().and_then(|a| self.sim.account(a));
        let domains = account.map(|a| (a.app_id.as_str(), a.safe_domains()));
        crate::calls::menu::share_warnings(
            title,
            link,
            img_url,
            domains.as_ref().map(|(a, d)| (*a, d.as_slice())),
        )
    }

    /// Records a note (a menu tap, a closed window) in the log.
    pub fn note(&self, session: &str, api: &str, result: Value) {
        self.note_with(session, api, Map::new(), result);
    }

    /// Records a note with what it was about (an open tag's attributes).
    pub fn note_with(&self, session: &str, api: &str, params: Map<String, Value>, result: Value) {
        let mut s = self.lock();
        // A share from the menu of a <web-view> page hands the host what the page posted (a
        // tap on a hidden item shares nothing).
        if api.starts_with("tap share:")
            && result.get("ignored").is_none()
            && s.pages.environment(session).map(|(e, _)| e)
                == Some(crate::miniprogram::Environment::Miniprogram)
        {
            s.host.deliver("share");
        }
        let id = s.next_log_id();
        s.log.push_back(LogEntry {
            id,
            session: session.to_owned(),
            api: api.to_owned(),
            name: api.to_owned(),
            params: map_for_log(params),
            verification: "n/a".into(),
            result: Some(for_log(result)),
            reason: None,
            at: wall_millis(),
        });
    }

    /// Verifies and answers an invoke, as the real app does.
    pub fn invoke(&self, req: InvokeRequest) -> InvokeAnswer {
        let name = req.name.as_str();
        let call = Call::parse(name);
        let (outcome, reason) = match call {
            Call::Config => self.configure(&req),
            Call::MiniProgram => (self.mini_program(&req.session, &req.params), None),
            Call::OpenTag => (self.open_tag(&req), None),
            // The official payment sample calls it straight on WeixinJSBridge, without the
            // verification fields of a wx.config (the page may have one for other calls): the
            // payment's own appId, its paySign and the merchant's directories decide.
            Call::Pay
                if field(&req.params, "verifySignature").is_none()
                    || !self.lock().sessions.contains_key(&req.session) =>
            {
                match field(&req.params, "appId").filter(|a| self.sim.account(a).is_some()) {
                    Some(app_id) => (
                        self.carry_out(call, name, &app_id, &req.params, &req.current_url),
                        None,
                    ),
                    None => (
                        Outcome::refused(
                            "no wx.config on this page, and the payment's appId is not a simulated account".into(),
                            fail("get_brand_wcpay_request", "fail_invalid_appid"),
                        ),
                        None,
                    ),
                }
            }
            // A call this WeChat version does not have.
            _ if !client_has(&self.client_version(), name) => (
                Outcome::refused(
                    format!(
                        "WeChat {} does not have {name} (it needs {})",
                        self.client_version(),
                        client_since(name).unwrap_or("?")
                    ),
                    fail(name, "fail_function_not_exist"),
                ),
                None,
            ),
            _ => match self.check_call(&req) {
                Err((suffix, why)) => (Outcome::refused(why, fail(name, &suffix)), None),
                Ok(app_id) => (
                    self.carry_out(call, name, &app_id, &req.params, &req.current_url),
                    None,
                ),
            },
        };
        let Outcome {
            verification,
            result,
            prompt,
            pending,
        } = outcome;
        // addCard: the cards the app refuses, with why (the page only learns `isSuccess`).
        let reason = reason.or_else(|| refused_cards(prompt.as_ref()));
        // An open tag's tap goes by the tag's name (automation answers it by that name).
        let api = if call == Call::OpenTag {
            req.params
                .get("tag")
                .and_then(Value::as_str)
                .filter(|t| OPEN_TAGS.contains(t))
                .unwrap_or("openTagLaunch")
                .to_owned()
        } else {
            wx_name(name).to_owned()
        };
        let mut s = self.lock();
        // A prompt this call opens may already have its automated answer.
        let answer = if result.is_none() {
            let wx = api.as_str();
            let session = req.session.as_str();
            s.answers
                .iter()
                .position(|a| {
                    (a.api == wx || a.api == name) && s.pages.addressed(a.page.as_deref(), session)
                })
                .and_then(|i| s.answers.remove(i))
        } else {
            None
        };
        let id = s.next_log_id();
        if let Some(p) = pending {
            s.pending.insert(id, p);
        }
        s.log.push_back(LogEntry {
            id,
            session: req.session,
            api,
            name: name.to_owned(),
            params: map_for_log(req.params),
            verification: verification.unwrap_or_else(|| "ok".to_owned()),
            result: result.clone().map(for_log),
            reason,
            at: wall_millis(),
        });
        InvokeAnswer {
            id,
            result,
            answer,
            prompt,
        }
    }

    /// `preVerifyJSAPI`: verifies the page's config and remembers it for the page's session.
    fn configure(&self, req: &InvokeRequest) -> (Outcome, Option<Value>) {
        let page = match self.os() {
            Os::Ios => &req.landing_url,
            Os::Android => &req.current_url,
        };
        match self.preverify(&req.params, page) {
            Ok(verified) => {
                let mut s = self.lock();
                // Remember the verification of the latest pages only.
                if s.sessions.insert(req.session.clone(), verified).is_none() {
                    s.sessions_seen.push_back(req.session.clone());
                    if s.sessions_seen.len() > SESSIONS_KEPT
                        && let Some(old) = s.sessions_seen.pop_front()
                    {
                        s.sessions.remove(&old);
                    }
                }
                (
                    Outcome::result(json!({ "err_msg": "preVerifyJSAPI:ok" })),
                    None,
                )
            }
            Err((suffix, why, reason)) => {
                self.lock().sessions.remove(&req.session);
                (
                    Outcome::refused(why, fail("preVerifyJSAPI", suffix)),
                    reason,
                )
            }
        }
    }

    /// `preVerifyJSAPI`: appId, domain, signature. On failure: the err_msg suffix, the reason in
    /// words, and for a bad signature what was expected.
    #[allow(clippy::type_complexity)]
    fn preverify(
        &self,
        p: &Map<String, Value>,
        page: &str,
    ) -> Result<Verified, (&'static str, String, Option<Value>)> {
        let app_id = field(p, "appId").or_else(|| field(p, "verifyAppId"));
        let (Some(app_id), Some(timestamp), Some(nonce), Some(signature)) = (
            app_id,
            field(p, "verifyTimestamp"),
            field(p, "verifyNonceStr"),
            field(p, "verifySignature"),
        ) else {
            return Err((
                "fail",
                "incomplete config: appId, timestamp, nonceStr and signature are required".into(),
                None,
            ));
        };
        let Some(account) = self.sim.account(&app_id) else {
            return Err((
                "fail_invalid_appid",
                format!("invalid appid: {app_id} is not a simulated account"),
                None,
            ));
        };
        let domains = account.safe_domains();
        let page_url = PageUrl::parse(page)
            .ok()
            .filter(|u| domain_allowed(&domains, u));
        let Some(page_url) = page_url else {
            return Err((
                "fail_invalid_url_domain",
                format!(
                    "invalid url domain: the page is not on {}",
                    account.domains.join(", ")
                ),
                None,
            ));
        };
        let list: Vec<String> = match p.get("verifyJsApiList") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        let Some(ticket) = self.sim.current_ticket(&app_id, TicketType::Jsapi) else {
            return Err((
                "fail_invalid_signature",
                "invalid signature".into(),
                Some(
                    json!({ "why": "the account has no valid jsapi_ticket: none was fetched, or it expired" }),
                ),
            ));
        };
        let ticket = JsapiTicket::new(ticket.value);
        let checked = page_url.for_signing();
        let ts: Option<u64> = timestamp.parse().ok();
        if ts.is_some_and(|t| {
            wxjs_sign::ConfigParams {
                url: checked,
                timestamp: t,
                nonce_str: &nonce,
            }
            .verify(&ticket, &signature)
        }) {
            let open_tags = match p.get("verifyOpenTagList") {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|t| OPEN_TAGS.contains(t))
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            };
            return Ok(Verified {
                app_id,
                fields: [Some(timestamp), Some(nonce), Some(signature), None],
                list,
                open_tags,
            });
        }
        let expected = wxjs_sign::ConfigParams {
            url: checked,
            timestamp: ts.unwrap_or(0),
            nonce_str: &nonce,
        }
        .sign(&ticket);
        let masked = expected
            .string1()
            .replacen(ticket.secret(), "[current jsapi_ticket]", 1);
        let previous: Vec<JsapiTicket> = self
            .sim
            .previous_tickets(&app_id, TicketType::Jsapi)
            .into_iter()
            .map(JsapiTicket::new)
            .collect();
        let diagnosis = wxjs_sign::diagnose(&DiagnoseInput {
            used: UsedConfig {
                url: checked,
                timestamp: &timestamp,
                nonce_str: &nonce,
                signature: &signature,
            },
            page_url: Some(checked),
            ticket: &ticket,
            previous_tickets: &previous,
            issued: None,
        });
        Err((
            "fail_invalid_signature",
            "invalid signature".into(),
            Some(
                json!({ "checkedUrl": checked, "expectedString1": masked, "diagnosis": diagnosis }),
            ),
        ))
    }

    /// Every other call: verified config in this page, same verification fields, API listed and
    /// permitted.
    fn check_call(&self, req: &InvokeRequest) -> Result<String, (String, String)> {
        let name = req.name.as_str();
        let offline = || {
            ("fail, the permission value is offline verifying".to_owned(), "not verified: config has not succeeded in this page, or the API is not in jsApiList".to_owned())
        };
        let s = self.lock();
        let Some(v) = s.sessions.get(&req.session) else {
            return Err(offline());
        };
        let p = &req.params;
        let same = field(p, "appId")
            .or_else(|| field(p, "verifyAppId"))
            .as_deref()
            == Some(v.app_id.as_str())
            && field(p, "verifyTimestamp") == v.fields[0]
            && field(p, "verifyNonceStr") == v.fields[1]
            && field(p, "verifySignature") == v.fields[2];
        if !same {
            return Err(offline());
        }
        if name != "checkJsApi" && !v.list.iter().any(|l| l == listed_name(name)) {
            return Err(offline());
        }
        let permitted = self
            .sim
            .account(&v.app_id)
            .is_some_and(|a| a.permits(wx_name(name)));
        if !permitted {
            return Err((
                "access_denied".into(),
                "permission denied: the account may not use this API".into(),
            ));
        }
        Ok(v.app_id.clone())
    }
}

#[cfg(test)]
mod bounds {
    use super::*;

    /// The phone kept everything in memory without bound: the call log, queued answers and
    /// taps included.
    #[test]
    fn the_phone_s_log_and_queues_were_unbounded() {
        let sim = Sim::new(&wxjs_sim::SimConfig::default(), None).unwrap();
        let c = Phone::new(sim, Os::Android);
        for i in 0..(LOG_KEPT + 50) {
            c.note("s", &format!("tap {i}"), json!({}));
        }
        let log = c.log();
        assert_eq!(log.len(), LOG_KEPT);
        assert_eq!(
            log.last().unwrap().id,
            (LOG_KEPT + 50) as u64,
            "ids keep counting"
        );
        for _ in 0..QUEUED_KEPT {
            c.tap("share:timeline", None).unwrap();
            c.push_answer(UserAnswer {
                api: "chooseImage".into(),
                action: "ok".into(),
                data: Value::Null,
                page: None,
            })
            .unwrap();
        }
        assert!(
            c.tap("share:timeline", None)
                .unwrap_err()
                .contains("at most")
        );
        assert!(
            c.push_answer(UserAnswer {
                api: "chooseImage".into(),
                action: "ok".into(),
                data: Value::Null,
                page: None,
            })
            .unwrap_err()
            .contains("at most")
        );
    }

    /// Two pages open at once: automation addressed to one page reaches only that page, and
    /// unaddressed automation goes to the page loaded most recently.
    #[test]
    fn taps_and_answers_went_to_whichever_page_polled_first() {
        let sim = Sim::new(&wxjs_sim::SimConfig::default(), None).unwrap();
        let c = Phone::new(sim, Os::Android);
        let a = c.open_page("http://localhost/a");
        let b = c.open_page("http://localhost/b");
        let answer = |page: Option<&str>, action: &str| UserAnswer {
            api: "chooseImage".into(),
            action: action.into(),
            data: Value::Null,
            page: page.map(str::to_owned),
        };
        c.push_answer(answer(Some(&a), "cancel")).unwrap();
        c.push_answer(answer(None, "ok")).unwrap();
        c.tap("share:timeline", Some(&a)).unwrap();
        c.tap("share:qq", None).unwrap();
        // Page b polls first: it takes only what is for it (unaddressed: it is the newest).
        let eb = c.events(&b, &["chooseImage"], None, Some("B"), false, false);
        assert_eq!(eb["taps"], json!(["menu:share:qq"]));
        assert_eq!(eb["answers"][0]["action"], "ok");
        assert_eq!(eb["answers"].as_array().unwrap().len(), 1);
        let ea = c.events(
            &a,
            &["chooseImage"],
            Some("http://localhost/a#2"),
            None,
            false,
            false,
        );
        assert_eq!(ea["taps"], json!(["menu:share:timeline"]));
        assert_eq!(ea["answers"][0]["action"], "cancel");
        let pages = c.pages();
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[0].url, "http://localhost/a#2");
        assert_eq!(pages[1].title, "B");
        assert!(
            c.tap("share:qq", Some("nope"))
                .unwrap_err()
                .contains("no open page")
        );
        assert!(
            c.push_answer(answer(Some("nope"), "ok"))
                .unwrap_err()
                .contains("no open page")
        );
    }

    #[test]
    fn reset_forgets_the_app_s_state_and_keeps_open_pages() {
        let sim = Sim::new(&wxjs_sim::SimConfig::default(), None).unwrap();
        let c = Phone::new(sim, Os::Ios);
        let page = c.open_page("http://localhost/");
        c.note(&page, "tap", json!({}));
        c.set(Some("android"), Some("4g")).unwrap();
        c.set_record_limit(1000).unwrap();
        c.tap("share:qq", None).unwrap();
        c.add_local(crate::device::sample_png(0).into()).unwrap();
        let last = c.log().last().unwrap().id;
        c.reset();
        assert!(c.log().is_empty());
        assert_eq!(c.os(), Os::Ios);
        assert_eq!(c.settings()["networkType"], "wifi");
        assert_eq!(c.settings()["recordLimitMs"], 60_000);
        assert_eq!(
            c.events(&page, &[], None, None, false, false)["taps"],
            json!([])
        );
        assert_eq!(c.pages().len(), 1);
        c.note(&page, "tap", json!({}));
        assert!(c.log()[0].id > last, "ids stay unique across resets");
    }
}
