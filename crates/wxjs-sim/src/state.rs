//! The simulated platform's state and rules, as pure functions of the state and `now` (seconds on
//! the simulator's clock): tokens with their 5-minute overlap, stable tokens, tickets, quotas,
//! media and OAuth codes. The HTTP layer (`routes`) only parses and answers.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::tracked::Records;

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use wxjs_platform::ErrCode;
use wxjs_platform::media::MediaType;
use wxjs_platform::oauth::{
    ACCESS_TOKEN_LIFETIME_SECS, CODE_LIFETIME_SECS, REFRESH_TOKEN_LIFETIME_SECS, Scope,
};
use wxjs_platform::ticket::TicketType;
use wxjs_sign::nonce_of_len;

use crate::config::{Account, User};

/// Lifetime of access tokens and tickets.
pub const LIFETIME_SECS: u64 = 7200;
/// How long a superseded token stays valid.
pub const OVERLAP_SECS: u64 = 300;
/// Stable tokens rotate this long before they expire.
pub const STABLE_ROTATE_BEFORE_SECS: u64 = 300;
/// `force_refresh` limits.
pub const FORCE_REFRESH_PER_DAY: u32 = 20;
/// Minimum spacing of forced refreshes.
pub const FORCE_REFRESH_SPACING_SECS: u64 = 30;
/// `clear_quota` calls a month.
pub const CLEAR_QUOTA_PER_MONTH: u32 = 10;
/// Old records are forgotten this long after they stop mattering.
const FORGET_AFTER_SECS: u64 = 24 * 3600;
/// Tickets remembered per account and type, newest first, for diagnosis.
const TICKET_HISTORY: usize = 5;

/// A refusal: the errcode and, where the platform words it specially, the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    /// The code.
    pub code: ErrCode,
    /// A message other than the code's usual one.
    pub message: Option<String>,
}

impl Fail {
    /// The errmsg without its rid suffix.
    #[must_use]
    pub fn errmsg(&self) -> &str {
        self.message
            .as_deref()
            .unwrap_or_else(|| self.code.message())
    }
}

impl From<ErrCode> for Fail {
    fn from(code: ErrCode) -> Self {
        Self {
            code,
            message: None,
        }
    }
}

type R<T> = Result<T, Fail>;

/// Which kind of access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenKind {
    /// From `/cgi-bin/token`.
    Basic,
    /// From `/cgi-bin/stable_token`.
    Stable,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TokenRec {
    app: String,
    kind: TokenKind,
    expires_at: u64,
    /// When set, the token stops being valid at this time (superseded or revoked).
    invalid_at: Option<u64>,
}

/// A ticket and its lifetime.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TicketRec {
    /// The ticket.
    pub value: String,
    /// When it was issued.
    pub issued_at: u64,
    /// When it stops being valid.
    pub expires_at: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct AppCreds {
    basic: Option<String>,
    stable: Option<String>,
    force_day: u64,
    force_count: u32,
    force_last: Option<u64>,
    tickets: BTreeMap<String, TicketRec>,
    /// Earlier tickets per type, newest first.
    ticket_history: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Quota {
    day: u64,
    counts: BTreeMap<String, u64>,
    month: u64,
    clears: u32,
}

/// A fault to inject into the next calls of a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fault {
    /// The platform path (`/cgi-bin/token`).
    pub path: String,
    /// Answer this errcode (HTTP 200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errcode: Option<i64>,
    /// Answer this HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Wait this long before answering (then answer normally unless another fault is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Close the connection without answering.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drop: bool,
    /// WeChat Pay's merchant API only: answer this error code in the API's own form (v2
    /// `SYSTEMERROR`, `NOAUTH`…; v3 `SYSTEM_ERROR`, `FREQUENCY_LIMITED`, `NO_AUTH`…), with
    /// `status` for v3 (else 500 for system errors, 429 for limits, 403 otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// How many calls remain.
    pub count: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CodeRec {
    app: String,
    user: String,
    scope: Scope,
    issued_at: u64,
    used: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct UserTokenRec {
    app: String,
    user: String,
    scope: Scope,
    expires_at: u64,
}

/// What the consent step decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuthAnswer {
    /// Only for this app (any app when `None`).
    #[serde(default)]
    pub app_id: Option<String>,
    /// Approve or refuse.
    pub approve: bool,
    /// Which user (id or openid; the first user when `None`).
    #[serde(default)]
    pub user: Option<String>,
}

/// A stored medium's metadata (the bytes live beside the state).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MediaRec {
    /// The account that uploaded it.
    pub app: String,
    /// Its type.
    pub media_type: MediaType,
    /// File extension (`jpg`, `amr`…).
    pub ext: String,
    /// Upload time.
    pub created_at: u64,
    /// Size in bytes.
    pub size: usize,
    /// Text attached to a voice (for `translateVoice`).
    #[serde(default)]
    pub text: Option<String>,
}

impl MediaRec {
    /// The `Content-Type` the platform answers with.
    #[must_use]
    pub fn content_type(&self) -> &'static str {
        content_type_of(&self.ext)
    }
}

/// The content type of a file extension.
#[must_use]
pub fn content_type_of(ext: &str) -> &'static str {
    match ext {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "amr" => "audio/amr",
        "mp3" => "audio/mpeg",
        "mp4" => "video/mp4",
        "wav" => "audio/wav",
        "webm" => "audio/webm",
        "ogg" => "audio/ogg",
        _ => "application/octet-stream",
    }
}

/// An order the platform knows: from a unified order (prepay id) or a 2014 package.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    /// The account.
    pub app_id: String,
    /// What is sold.
    pub body: String,
    /// The amount in fen.
    pub total_fee: u64,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// Where the payment is notified.
    pub notify_url: String,
    /// Returned unchanged in the notification.
    #[serde(default)]
    pub attach: String,
    /// When the order can no longer be paid (`time_expire`), on the simulator's clock.
    #[serde(default)]
    pub time_expire: Option<u64>,
}

/// Why an order cannot be paid now, if it cannot.
#[must_use]
pub fn unpayable(order: &Order, paid: bool, now: u64) -> Option<String> {
    if paid {
        return Some(format!(
            "order {} is already paid (ORDERPAID): an out_trade_no is paid at most once",
            order.out_trade_no
        ));
    }
    match order.time_expire {
        Some(t) if t <= now => Some(format!(
            "order {} expired at {} Beijing time (time_expire)",
            order.out_trade_no,
            beijing_datetime(t)
        )),
        _ => None,
    }
}

/// A paid order: what was paid, so that the number is never paid or reused again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Paid {
    /// The amount in fen.
    pub total_fee: u64,
    /// When (simulator clock).
    pub paid_at: u64,
    /// The platform's transaction id.
    #[serde(default)]
    pub transaction_id: String,
    /// Who paid.
    #[serde(default)]
    pub openid: String,
}

/// A payment notification and its deliveries.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// Its number.
    pub id: u64,
    /// `2014` (query string + XML) or `v2` (XML).
    pub form: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// The amount in fen.
    pub total_fee: u64,
    /// The URL posted to (with the 2014 form's query).
    pub url: String,
    /// The XML body.
    pub body: String,
    /// Deliveries tried.
    pub attempts: u32,
    /// Whether the merchant answered success.
    pub delivered: bool,
    /// When the next delivery is due (simulator clock).
    pub next_at: u64,
    /// What the merchant answered last: the status and whether it counted as accepted.
    #[serde(default)]
    pub last_response: Option<String>,
    /// When it was last tried (simulator clock).
    #[serde(default)]
    pub last_at: u64,
    /// The merchant (v3: whose platform key mode signs it).
    #[serde(default)]
    pub mch_id: String,
    /// A probe (`WECHATPAY/SIGNTEST/…`): sent once; a correct merchant rejects it.
    #[serde(default)]
    pub probe: bool,
}

impl Notification {
    /// A notification of `form` for an order, not yet tried (its id is given when queued).
    #[must_use]
    pub fn new(
        form: &str,
        order: &Order,
        url: String,
        body: String,
        mch_id: &str,
        probe: bool,
    ) -> Self {
        Self {
            id: 0,
            form: form.into(),
            out_trade_no: order.out_trade_no.clone(),
            total_fee: order.total_fee,
            url,
            body,
            attempts: 0,
            delivered: false,
            next_at: 0,
            last_response: None,
            last_at: 0,
            mch_id: mch_id.to_owned(),
            probe,
        }
    }

    /// When its last delivery was tried (simulator clock), for retention.
    fn finished_at(&self) -> u64 {
        self.last_at
    }
}

/// Marks every record of a map changed (for a full copy).
trait MarkAll {
    fn mark_all(&mut self);
}

impl<V> MarkAll for Records<V> {
    fn mark_all(&mut self) {
        let _ = self.values_mut().count();
    }
}

/// Seconds between deliveries of a notification the merchant did not acknowledge, as WeChat Pay
/// documents them: 15 s, 15 s, 30 s, 3 min, 10 min, 20 min, 30 min ×3, 1 h, 3 h ×3, 6 h ×2.
pub const NOTIFY_RETRIES: [u64; 15] = [
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10_800, 10_800, 10_800, 21_600, 21_600,
];

/// The whole mutable state of the simulated platform. Persisted record by record: every map is
/// a [`Records`] that remembers which keys changed, and the small queues (faults, OAuth
/// answers) and the clock's offset are records of their own; see [`State::take_changes`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    /// The clock's offset from real time.
    clock_offset: i64,
    /// Platform calls by path.
    stats: Records<u64>,
    tokens: Records<TokenRec>,
    creds: Records<AppCreds>,
    quota: Records<Quota>,
    faults: Vec<Fault>,
    codes: Records<CodeRec>,
    user_tokens: Records<UserTokenRec>,
    refresh_tokens: Records<UserTokenRec>,
    oauth_next: VecDeque<OAuthAnswer>,
    media: Records<MediaRec>,
    #[serde(default)]
    orders: Records<OrderRec>,
    #[serde(default)]
    notifications: Records<Notification>,
    /// The last notification id given.
    #[serde(default)]
    notification_seq: u64,
    /// Paid orders by `{appId}|{out_trade_no}`.
    #[serde(default)]
    paid: Records<Paid>,
    /// Singletons changed since the last [`State::take_changes`].
    #[serde(skip)]
    meta_changed: BTreeSet<&'static str>,
    /// When records were last pruned (simulator seconds).
    #[serde(skip)]
    pruned_at: u64,
}

/// Which API created an order: it decides the form of the order's notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OrderApi {
    /// The simulator's control API (`/__sim/pay/prepay`): the page's `signType` decides.
    #[default]
    Control,
    /// `POST /pay/unifiedorder` (XML).
    V2,
    /// `POST /v3/pay/transactions/jsapi` (JSON).
    V3,
}

/// A unified order and what the platform knows of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OrderRec {
    /// The order.
    pub order: Order,
    /// When its current prepay id was issued (valid 2 hours).
    pub created_at: u64,
    /// The merchant (empty for control-API orders of old state files).
    #[serde(default)]
    pub mch_id: String,
    /// Which API made it.
    #[serde(default)]
    pub api: OrderApi,
    /// v2: the `sign_type` of the unified order (signs its notification).
    #[serde(default)]
    pub sign_type: String,
    /// The payer's openid given with the order (empty: whoever the app's user is).
    #[serde(default)]
    pub payer: String,
    /// When it was closed.
    #[serde(default)]
    pub closed_at: Option<u64>,
    /// Why the last payment attempt failed (`PAYERROR`).
    #[serde(default)]
    pub failed: Option<String>,
}

/// How long a `prepay_id` can be paid.
pub const PREPAY_LIFETIME_SECS: u64 = 2 * 3600;

/// The state of a trade, as order queries and notifications name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeState {
    /// Paid.
    Success,
    /// Not paid yet.
    NotPay,
    /// Closed by the merchant, or expired unpaid.
    Closed,
    /// The last payment attempt failed.
    PayError,
}

impl TradeState {
    /// The wire name (`SUCCESS`, `NOTPAY`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "SUCCESS",
            Self::NotPay => "NOTPAY",
            Self::Closed => "CLOSED",
            Self::PayError => "PAYERROR",
        }
    }

    /// The description the platform gives.
    #[must_use]
    pub fn desc(self) -> &'static str {
        match self {
            Self::Success => "支付成功",
            Self::NotPay => "订单未支付",
            Self::Closed => "订单已关闭",
            Self::PayError => "支付失败，请重新下单支付",
        }
    }
}

/// A trade as a query sees it.
#[derive(Debug, Clone)]
pub struct Trade {
    /// Its current prepay id.
    pub prepay_id: String,
    /// The order and its record.
    pub rec: OrderRec,
    /// Its state now.
    pub state: TradeState,
    /// The payment, once paid.
    pub paid: Option<Paid>,
}

/// Why an order cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderRefusal {
    /// The number is paid.
    #[error("ORDERPAID: order {0} is already paid")]
    Paid(String),
    /// The number was closed.
    #[error("ORDERCLOSED: order {0} is closed")]
    Closed(String),
    /// The number was used for another order.
    #[error("OUT_TRADE_NO_USED: out_trade_no {0} is already used by an order with other content")]
    NumberUsed(String),
}

/// One change to persist: a record of a table, or its removal (`None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The table (`tokens`, `media`, `meta`…).
    pub table: &'static str,
    /// The record's key.
    pub key: String,
    /// The record as JSON; `None` when it was removed.
    pub json: Option<String>,
}

/// The tables of the state, in the order they are written and read.
pub const TABLES: [&str; 12] = [
    "meta",
    "stats",
    "tokens",
    "creds",
    "quota",
    "codes",
    "user_tokens",
    "refresh_tokens",
    "media",
    "orders",
    "notifications",
    "paid",
];

/// Notifications, orders and payments are forgotten this long after they stop mattering.
pub const RETENTION_SECS: u64 = 30 * 86_400;
/// Faults and OAuth answers queued at most.
pub const MAX_QUEUED: usize = 100;

/// A granted token or ticket: the value and the seconds it has left.
#[derive(Clone, PartialEq, Eq)]
pub struct Granted {
    /// The value.
    pub value: String,
    /// Seconds left (`expires_in`).
    pub expires_in: u64,
}

impl std::fmt::Debug for Granted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Granted")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// An issued user token (OAuth).
#[derive(Clone, PartialEq, Eq)]
pub struct UserGrant {
    /// The access token.
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
    /// The user's openid.
    pub openid: String,
    /// The scope.
    pub scope: Scope,
    /// The unionid (userinfo scope).
    pub unionid: Option<String>,
}

impl std::fmt::Debug for UserGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserGrant")
            .field("openid", &self.openid)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

pub use wxjs_platform::quota::beijing_day;

/// Beijing's offset from UTC, signed for date arithmetic.
const BEIJING_OFFSET: i64 = wxjs_platform::quota::BEIJING_OFFSET_SECS as i64;

/// The Beijing month as `year * 12 + month - 1`.
#[must_use]
pub fn beijing_month(now: u64) -> u64 {
    let (y, m, _) = civil(beijing_day(now));
    u64::try_from(y * 12 + m - 1).unwrap_or(0)
}

/// Beijing time as `yyyyMMddHHmmss`, as payment notifications write it.
#[must_use]
pub fn beijing_datetime(now: u64) -> String {
    let (y, m, d) = civil(beijing_day(now));
    let secs = (now + wxjs_platform::quota::BEIJING_OFFSET_SECS) % 86_400;
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The time a Beijing `yyyyMMddHHmmss` stands for (`time_expire`), if it is one.
#[must_use]
pub fn parse_beijing_datetime(text: &str) -> Option<u64> {
    if text.len() != 14 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| text[r].parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (hh, mm, ss) = (n(8..10)?, n(10..12)?, n(12..14)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + hh * 3600 + mm * 60 + ss - BEIJING_OFFSET;
    u64::try_from(secs).ok()
}

/// Year, month, day of a day number (Howard Hinnant's civil-from-days).
fn civil(day: u64) -> (i64, i64, i64) {
    let z = i64::try_from(day).unwrap_or(0) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let d = doy - (153 * mp + 2) / 5 + 1;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// An openid: stable per account and user, 28 characters like the platform's.
#[must_use]
pub fn openid(app: &str, user: &str) -> String {
    derived_id("o", &format!("{app}:{user}"))
}

/// A unionid: stable per user across accounts.
#[must_use]
pub fn unionid(user: &str) -> String {
    derived_id("u", &format!("union:{user}"))
}

fn derived_id(prefix: &str, seed: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = Sha1::digest(seed.as_bytes()).to_vec();
    bytes.extend(Sha1::digest(format!("{seed}#").as_bytes()));
    let tail: String = bytes
        .iter()
        .take(27)
        .map(|b| char::from(ALPHABET[usize::from(b & 63)]))
        .collect();
    format!("{prefix}{tail}")
}

fn token_like(s: &str) -> bool {
    s.len() >= 32
        && s.len() <= 512
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl State {
    // ---- bookkeeping ------------------------------------------------------------------------

    /// Counts a platform call.
    pub fn count_call(&mut self, path: &str) {
        *self.stats.entry_or_default(path) += 1;
    }

    /// Platform calls by path.
    #[must_use]
    pub fn stats(&self) -> &BTreeMap<String, u64> {
        &self.stats
    }

    /// The clock's offset that was stored.
    #[must_use]
    pub fn clock_offset(&self) -> i64 {
        self.clock_offset
    }

    /// Stores the clock's offset.
    pub fn set_clock_offset(&mut self, offset: i64) {
        if self.clock_offset != offset {
            self.clock_offset = offset;
            self.meta_changed.insert("clock_offset");
        }
    }

    /// Everything changed since the last call, as records to write (and forgets the changes).
    pub fn take_changes(&mut self) -> Vec<Change> {
        fn table<V: Serialize>(out: &mut Vec<Change>, name: &'static str, r: &mut Records<V>) {
            for (key, v) in r.take_changed() {
                out.push(Change {
                    table: name,
                    key,
                    json: v.and_then(|v| serde_json::to_string(v).ok()),
                });
            }
        }
        let mut out = Vec::new();
        for name in std::mem::take(&mut self.meta_changed) {
            let json = match name {
                "clock_offset" => serde_json::to_string(&self.clock_offset),
                "faults" => serde_json::to_string(&self.faults),
                "oauth_next" => serde_json::to_string(&self.oauth_next),
                _ => serde_json::to_string(&self.notification_seq),
            };
            out.push(Change {
                table: "meta",
                key: name.to_owned(),
                json: json.ok(),
            });
        }
        table(&mut out, "stats", &mut self.stats);
        table(&mut out, "tokens", &mut self.tokens);
        table(&mut out, "creds", &mut self.creds);
        table(&mut out, "quota", &mut self.quota);
        table(&mut out, "codes", &mut self.codes);
        table(&mut out, "user_tokens", &mut self.user_tokens);
        table(&mut out, "refresh_tokens", &mut self.refresh_tokens);
        table(&mut out, "media", &mut self.media);
        table(&mut out, "orders", &mut self.orders);
        table(&mut out, "notifications", &mut self.notifications);
        table(&mut out, "paid", &mut self.paid);
        out
    }

    /// Every record, as [`State::take_changes`] writes them (a full copy, for a fresh store).
    pub fn all_records(&mut self) -> Vec<Change> {
        self.meta_changed
            .extend(["clock_offset", "faults", "oauth_next", "notification_seq"]);
        for r in [
            &mut self.stats as &mut dyn MarkAll,
            &mut self.tokens,
            &mut self.creds,
            &mut self.quota,
            &mut self.codes,
            &mut self.user_tokens,
            &mut self.refresh_tokens,
            &mut self.media,
            &mut self.orders,
            &mut self.notifications,
            &mut self.paid,
        ] {
            r.mark_all();
        }
        self.take_changes()
    }

    /// Rebuilds a state from stored records; records that do not parse are skipped and named.
    pub fn from_records(
        rows: impl IntoIterator<Item = (String, String, String)>,
    ) -> (Self, Vec<String>) {
        fn put<V: serde::de::DeserializeOwned>(
            r: &mut Records<V>,
            key: String,
            json: &str,
        ) -> bool {
            match serde_json::from_str(json) {
                Ok(v) => {
                    r.insert(key, v);
                    true
                }
                Err(_) => false,
            }
        }
        let mut s = Self::default();
        let mut bad = Vec::new();
        for (table, key, json) in rows {
            let ok = match table.as_str() {
                "meta" => match key.as_str() {
                    "clock_offset" => serde_json::from_str(&json)
                        .map(|v| s.clock_offset = v)
                        .is_ok(),
                    "faults" => serde_json::from_str(&json).map(|v| s.faults = v).is_ok(),
                    "oauth_next" => serde_json::from_str(&json)
                        .map(|v| s.oauth_next = v)
                        .is_ok(),
                    "notification_seq" => serde_json::from_str(&json)
                        .map(|v| s.notification_seq = v)
                        .is_ok(),
                    _ => false,
                },
                "stats" => put(&mut s.stats, key.clone(), &json),
                "tokens" => put(&mut s.tokens, key.clone(), &json),
                "creds" => put(&mut s.creds, key.clone(), &json),
                "quota" => put(&mut s.quota, key.clone(), &json),
                "codes" => put(&mut s.codes, key.clone(), &json),
                "user_tokens" => put(&mut s.user_tokens, key.clone(), &json),
                "refresh_tokens" => put(&mut s.refresh_tokens, key.clone(), &json),
                "media" => put(&mut s.media, key.clone(), &json),
                "orders" => put(&mut s.orders, key.clone(), &json),
                "notifications" => put(&mut s.notifications, key.clone(), &json),
                "paid" => put(&mut s.paid, key.clone(), &json),
                _ => false,
            };
            if !ok {
                bad.push(format!("{table}/{key}"));
            }
        }
        s.settle();
        (s, bad)
    }

    /// Marks changes taken by [`State::take_changes`] as changed again: their write failed, so
    /// the next write carries them.
    pub fn restore_changes(&mut self, changes: &[Change]) {
        for c in changes {
            let key = c.key.as_str();
            match c.table {
                "meta" => {
                    if let Some(name) = ["clock_offset", "faults", "oauth_next", "notification_seq"]
                        .into_iter()
                        .find(|n| *n == key)
                    {
                        self.meta_changed.insert(name);
                    }
                }
                "stats" => self.stats.mark(key),
                "tokens" => self.tokens.mark(key),
                "creds" => self.creds.mark(key),
                "quota" => self.quota.mark(key),
                "codes" => self.codes.mark(key),
                "user_tokens" => self.user_tokens.mark(key),
                "refresh_tokens" => self.refresh_tokens.mark(key),
                "media" => self.media.mark(key),
                "orders" => self.orders.mark(key),
                "notifications" => self.notifications.mark(key),
                "paid" => self.paid.mark(key),
                _ => {}
            }
        }
    }

    /// The last notification id given (kept across a reset, so that ids are never reused).
    #[must_use]
    pub fn notification_seq(&self) -> u64 {
        self.notification_seq
    }

    /// Continues notification ids after `seq`.
    pub fn continue_notifications_after(&mut self, seq: u64) {
        self.notification_seq = self.notification_seq.max(seq);
        self.meta_changed.insert("notification_seq");
    }

    /// Whether a medium's record exists (its bytes are kept only then).
    #[must_use]
    pub fn has_media(&self, id: &str) -> bool {
        self.media.contains_key(id)
    }

    /// Forgets the changes without writing them (the state matches its store, or there is
    /// none).
    pub fn settle(&mut self) {
        self.meta_changed.clear();
        self.stats.settle();
        self.tokens.settle();
        self.creds.settle();
        self.quota.settle();
        self.codes.settle();
        self.user_tokens.settle();
        self.refresh_tokens.settle();
        self.media.settle();
        self.orders.settle();
        self.notifications.settle();
        self.paid.settle();
    }

    /// Takes one use of the first fault set for `path`.
    pub fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let i = self
            .faults
            .iter()
            .position(|f| f.path == path && f.count > 0)?;
        self.meta_changed.insert("faults");
        let fault = &mut self.faults[i];
        fault.count -= 1;
        let taken = fault.clone();
        if fault.count == 0 {
            self.faults.remove(i);
        }
        Some(taken)
    }

    /// Sets a fault; at most [`MAX_QUEUED`] are set at once.
    pub fn add_fault(&mut self, fault: Fault) -> Result<(), String> {
        if self.faults.len() >= MAX_QUEUED {
            return Err(format!(
                "at most {MAX_QUEUED} faults can be set at once; clear them first (DELETE /__sim/faults)"
            ));
        }
        self.faults.push(fault);
        self.meta_changed.insert("faults");
        Ok(())
    }

    /// The faults still set.
    #[must_use]
    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    /// Clears all faults.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
        self.meta_changed.insert("faults");
    }

    /// Forgets records that no longer matter, keeping memory bounded.
    pub fn prune(&mut self, now: u64) -> Vec<String> {
        // Once a simulated second is enough: pruning looks at every record.
        if now == self.pruned_at {
            return Vec::new();
        }
        self.pruned_at = now;
        self.notifications.retain(|_, n| {
            let finished = n.delivered || n.attempts as usize > NOTIFY_RETRIES.len();
            !finished || now < n.finished_at().saturating_add(RETENTION_SECS)
        });
        self.orders
            .retain(|_, o| now < o.created_at.saturating_add(RETENTION_SECS));
        self.paid
            .retain(|_, p| now < p.paid_at.saturating_add(RETENTION_SECS));
        self.tokens.retain(|_, t| {
            let end = t.invalid_at.map_or(t.expires_at, |i| i.min(t.expires_at));
            now < end + FORGET_AFTER_SECS
        });
        self.codes
            .retain(|_, c| now < c.issued_at + CODE_LIFETIME_SECS + FORGET_AFTER_SECS);
        self.user_tokens
            .retain(|_, t| now < t.expires_at + FORGET_AFTER_SECS);
        self.refresh_tokens
            .retain(|_, t| now < t.expires_at + FORGET_AFTER_SECS);
        let expired: Vec<String> = self
            .media
            .iter()
            .filter(|(_, m)| now >= m.created_at + wxjs_platform::media::LIFETIME_SECS)
            .map(|(id, _)| id.clone())
            .collect();
        for id in &expired {
            self.media.remove(id);
        }
        expired
    }

    fn quota_for(&mut self, app: &str, now: u64) -> &mut Quota {
        let q = self.quota.entry_or_default(app);
        let day = beijing_day(now);
        if q.day != day {
            q.day = day;
            q.counts.clear();
        }
        let month = beijing_month(now);
        if q.month != month {
            q.month = month;
            q.clears = 0;
        }
        q
    }

    fn spend(&mut self, app: &str, api: &str, limit: u64, now: u64) -> R<()> {
        let q = self.quota_for(app, now);
        let used = q.counts.entry(api.to_owned()).or_default();
        if *used >= limit {
            return Err(ErrCode::DailyQuota.into());
        }
        *used += 1;
        Ok(())
    }

    // ---- access tokens ----------------------------------------------------------------------

    /// Checks an access token: 41001 missing, 40014 malformed, 40001 unknown or superseded,
    /// 42001 expired. Gives the token's account.
    pub fn check_token(&self, token: Option<&str>, now: u64) -> R<String> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(ErrCode::AccessTokenMissing)?;
        if !token_like(token) {
            return Err(ErrCode::InvalidAccessToken.into());
        }
        let rec = self.tokens.get(token).ok_or(ErrCode::InvalidCredential)?;
        if rec.invalid_at.is_some_and(|at| now >= at) {
            return Err(ErrCode::InvalidCredential.into());
        }
        if now >= rec.expires_at {
            return Err(ErrCode::AccessTokenExpired.into());
        }
        Ok(rec.app.clone())
    }

    fn issue_token(&mut self, app: &str, kind: TokenKind, now: u64) -> String {
        let value = nonce_of_len(128);
        self.tokens.insert(
            value.clone(),
            TokenRec {
                app: app.to_owned(),
                kind,
                expires_at: now + LIFETIME_SECS,
                invalid_at: None,
            },
        );
        value
    }

    /// `GET /cgi-bin/token`, once the caller is authenticated: a new token each call; the previous
    /// one stays valid for [`OVERLAP_SECS`].
    pub fn grant_token(&mut self, account: &Account, now: u64) -> R<Granted> {
        self.spend(&account.app_id, "token", account.kind.token_quota(), now)?;
        let value = self.issue_token(&account.app_id, TokenKind::Basic, now);
        let creds = self.creds.entry_or_default(&account.app_id);
        if let Some(old) = creds.basic.replace(value.clone())
            && let Some(rec) = self.tokens.get_mut(&old)
        {
            rec.invalid_at = Some(
                rec.invalid_at
                    .map_or(now + OVERLAP_SECS, |at| at.min(now + OVERLAP_SECS)),
            );
        }
        Ok(Granted {
            value,
            expires_in: LIFETIME_SECS,
        })
    }

    /// `POST /cgi-bin/stable_token`, once the caller is authenticated.
    pub fn grant_stable_token(&mut self, account: &Account, force: bool, now: u64) -> R<Granted> {
        let app = account.app_id.clone();
        self.spend(&app, "stable_token", 500_000, now)?;
        let creds = self.creds.entry_or_default(&app);
        let day = beijing_day(now);
        if creds.force_day != day {
            creds.force_day = day;
            creds.force_count = 0;
        }
        let force_allowed = force
            && creds.force_count < FORCE_REFRESH_PER_DAY
            && creds
                .force_last
                .is_none_or(|t| now >= t + FORCE_REFRESH_SPACING_SECS);
        let current = creds.stable.clone();
        if force_allowed {
            creds.force_count += 1;
            creds.force_last = Some(now);
            if let Some(old) = current.and_then(|c| self.tokens.get_mut(&c)) {
                old.invalid_at = Some(now);
            }
        } else if let Some(cur) = current
            && let Some(rec) = self.tokens.get(&cur)
        {
            let valid = now < rec.expires_at && rec.invalid_at.is_none_or(|at| now < at);
            if valid && now + STABLE_ROTATE_BEFORE_SECS < rec.expires_at {
                return Ok(Granted {
                    value: cur,
                    expires_in: rec.expires_at - now,
                });
            }
        }
        // A new token; a rotated one keeps its own (at most 5-minute) remaining life.
        let value = self.issue_token(&app, TokenKind::Stable, now);
        self.creds.entry_or_default(&app).stable = Some(value.clone());
        Ok(Granted {
            value,
            expires_in: LIFETIME_SECS,
        })
    }

    // ---- tickets ----------------------------------------------------------------------------

    /// `GET /cgi-bin/ticket/getticket`: the same ticket for its whole lifetime, whichever valid
    /// token asks; a new one after expiry. `expires_in` is the time it has left.
    pub fn grant_ticket(&mut self, account: &Account, kind: TicketType, now: u64) -> R<Granted> {
        self.spend(&account.app_id, kind.as_str(), account.ticket_quota, now)?;
        let creds = self.creds.entry_or_default(&account.app_id);
        let key = kind.as_str().to_owned();
        if let Some(t) = creds.tickets.get(&key)
            && now < t.expires_at
        {
            return Ok(Granted {
                value: t.value.clone(),
                expires_in: t.expires_at - now,
            });
        }
        let rec = TicketRec {
            value: nonce_of_len(86),
            issued_at: now,
            expires_at: now + LIFETIME_SECS,
        };
        if let Some(old) = creds.tickets.insert(key.clone(), rec.clone()) {
            let history = creds.ticket_history.entry(key).or_default();
            history.insert(0, old.value);
            history.truncate(TICKET_HISTORY);
        }
        Ok(Granted {
            value: rec.value,
            expires_in: LIFETIME_SECS,
        })
    }

    /// The account's current ticket of a type, if one is valid now: what the emulated client
    /// verifies page signatures against.
    #[must_use]
    pub fn current_ticket(&self, app: &str, kind: TicketType, now: u64) -> Option<&TicketRec> {
        self.creds
            .get(app)?
            .tickets
            .get(kind.as_str())
            .filter(|t| now < t.expires_at)
    }

    /// Earlier tickets of a type, newest first.
    #[must_use]
    pub fn previous_tickets(&self, app: &str, kind: TicketType) -> &[String] {
        self.creds
            .get(app)
            .and_then(|c| c.ticket_history.get(kind.as_str()))
            .map_or(&[], Vec::as_slice)
    }

    /// `POST /cgi-bin/clear_quota`: resets the day's counters, 10 times a month.
    pub fn clear_quota(&mut self, app: &str, now: u64) -> R<()> {
        let q = self.quota_for(app, now);
        if q.clears >= CLEAR_QUOTA_PER_MONTH {
            return Err(ErrCode::ClearQuotaLimit.into());
        }
        q.clears += 1;
        q.counts.clear();
        Ok(())
    }

    // ---- media ------------------------------------------------------------------------------

    /// Stores a medium's metadata; returns its id.
    pub fn add_media(
        &mut self,
        app: &str,
        media_type: MediaType,
        ext: &str,
        size: usize,
        now: u64,
    ) -> String {
        let id = nonce_of_len(64);
        self.media.insert(
            id.clone(),
            MediaRec {
                app: app.to_owned(),
                media_type,
                ext: ext.to_owned(),
                created_at: now,
                size,
                text: None,
            },
        );
        id
    }

    /// A medium of this account that has not expired: 41006 missing, 40007 otherwise.
    pub fn media(&self, app: &str, id: Option<&str>, now: u64) -> R<&MediaRec> {
        let id = id
            .filter(|i| !i.is_empty())
            .ok_or(ErrCode::MediaIdMissing)?;
        self.media
            .get(id)
            .filter(|m| m.app == app && now < m.created_at + wxjs_platform::media::LIFETIME_SECS)
            .ok_or_else(|| ErrCode::InvalidMediaId.into())
    }

    /// Any account's medium that has not expired.
    #[must_use]
    pub fn media_any(&self, id: &str, now: u64) -> Option<&MediaRec> {
        self.media
            .get(id)
            .filter(|m| now < m.created_at + wxjs_platform::media::LIFETIME_SECS)
    }

    /// Attaches recognised text to a voice.
    pub fn set_media_text(&mut self, id: &str, text: String) -> bool {
        self.media
            .get_mut(id)
            .map(|m| m.text = Some(text))
            .is_some()
    }

    // ---- payment ----------------------------------------------------------------------------

    /// Records a control-API order; gives its prepay id (see [`State::add_merchant_order`]).
    pub fn add_order(&mut self, order: Order, now: u64) -> Result<String, OrderRefusal> {
        self.add_merchant_order(
            order,
            String::new(),
            OrderApi::Control,
            String::new(),
            String::new(),
            now,
        )
    }

    /// Records a unified order; gives its prepay id. The same unpaid order again gives the
    /// same id (a new one once the old is past its 2 hours); another order under a used number,
    /// a paid number or a closed one is refused. Numbers are unique per merchant (per account
    /// for control-API orders).
    pub fn add_merchant_order(
        &mut self,
        order: Order,
        mch_id: String,
        api: OrderApi,
        sign_type: String,
        payer: String,
        now: u64,
    ) -> Result<String, OrderRefusal> {
        if self.is_paid(&order.app_id, &order.out_trade_no) {
            return Err(OrderRefusal::Paid(order.out_trade_no));
        }
        let same_number = |o: &OrderRec| {
            o.order.out_trade_no == order.out_trade_no
                && if mch_id.is_empty() || o.mch_id.is_empty() {
                    o.order.app_id == order.app_id
                } else {
                    o.mch_id == mch_id
                }
        };
        if let Some((id, existing)) = self.orders.iter().find(|(_, o)| same_number(o)) {
            if existing.closed_at.is_some() {
                return Err(OrderRefusal::Closed(order.out_trade_no));
            }
            if self
                .paid
                .contains_key(&format!("{}|{}", existing.order.app_id, order.out_trade_no))
            {
                return Err(OrderRefusal::Paid(order.out_trade_no));
            }
            if existing.order != order || existing.payer != payer || existing.api != api {
                return Err(OrderRefusal::NumberUsed(order.out_trade_no));
            }
            if now < existing.created_at.saturating_add(PREPAY_LIFETIME_SECS) {
                return Ok(id.clone());
            }
            // The old prepay id lapsed: the same order gets a new one.
            let id = id.clone();
            let mut rec = self.orders.remove(&id).unwrap_or_else(|| unreachable!());
            rec.created_at = now;
            let new_id = format!("wx{}", nonce_of_len(32).to_ascii_lowercase());
            self.orders.insert(new_id.clone(), rec);
            return Ok(new_id);
        }
        let id = format!("wx{}", nonce_of_len(32).to_ascii_lowercase());
        self.orders.insert(
            id.clone(),
            OrderRec {
                order,
                created_at: now,
                mch_id,
                api,
                sign_type,
                payer,
                closed_at: None,
                failed: None,
            },
        );
        Ok(id)
    }

    /// Whether an order number of the account is paid.
    #[must_use]
    pub fn is_paid(&self, app: &str, out_trade_no: &str) -> bool {
        self.paid.contains_key(&format!("{app}|{out_trade_no}"))
    }

    /// Pays an order, at most once: why it cannot be paid, if it cannot (already paid, closed,
    /// or past its `time_expire`).
    pub fn pay(
        &mut self,
        order: &Order,
        openid: &str,
        transaction_id: &str,
        now: u64,
    ) -> Result<(), String> {
        self.payable(order, now)?;
        let key = format!("{}|{}", order.app_id, order.out_trade_no);
        self.paid.insert(
            key,
            Paid {
                total_fee: order.total_fee,
                paid_at: now,
                transaction_id: transaction_id.to_owned(),
                openid: openid.to_owned(),
            },
        );
        Ok(())
    }

    /// Whether `order` can still be paid (or fail to be): not paid, closed or expired.
    fn payable(&self, order: &Order, now: u64) -> Result<(), String> {
        let key = format!("{}|{}", order.app_id, order.out_trade_no);
        if let Some(why) = unpayable(order, self.paid.contains_key(&key), now) {
            return Err(why);
        }
        if let Some((_, rec)) = self.order_rec_of(order)
            && rec.closed_at.is_some()
        {
            return Err(format!(
                "order {} is closed (ORDERCLOSED)",
                order.out_trade_no
            ));
        }
        Ok(())
    }

    /// Records a failed payment attempt (`PAYERROR`) on an order that can still be paid; one
    /// that is paid, closed or expired stays as it is.
    ///
    /// # Errors
    /// Why the order can no longer be paid.
    pub fn pay_failed(&mut self, order: &Order, why: &str, now: u64) -> Result<(), String> {
        self.payable(order, now)?;
        if let Some(id) = self.order_rec_of(order).map(|(id, _)| id.clone())
            && let Some(rec) = self.orders.get_mut(&id)
        {
            rec.failed = Some(why.to_owned());
        }
        Ok(())
    }

    /// An order's record by account and number.
    #[must_use]
    pub fn order_rec_by_number(&self, app: &str, out_trade_no: &str) -> Option<&OrderRec> {
        self.orders
            .values()
            .find(|o| o.order.app_id == app && o.order.out_trade_no == out_trade_no)
    }

    fn order_rec_of(&self, order: &Order) -> Option<(&String, &OrderRec)> {
        self.orders.iter().find(|(_, o)| {
            o.order.app_id == order.app_id && o.order.out_trade_no == order.out_trade_no
        })
    }

    /// A unified order by prepay id.
    #[must_use]
    pub fn order(&self, prepay_id: &str) -> Option<&Order> {
        self.orders.get(prepay_id).map(|o| &o.order)
    }

    /// A unified order's record by prepay id.
    #[must_use]
    pub fn order_rec(&self, prepay_id: &str) -> Option<&OrderRec> {
        self.orders.get(prepay_id)
    }

    fn trade(&self, id: &str, rec: &OrderRec, now: u64) -> Trade {
        let paid = self
            .paid
            .get(&format!("{}|{}", rec.order.app_id, rec.order.out_trade_no))
            .cloned();
        let state = if paid.is_some() {
            TradeState::Success
        } else if rec.closed_at.is_some() || rec.order.time_expire.is_some_and(|t| t <= now) {
            TradeState::Closed
        } else if rec.failed.is_some() {
            TradeState::PayError
        } else {
            TradeState::NotPay
        };
        Trade {
            prepay_id: id.to_owned(),
            rec: rec.clone(),
            state,
            paid,
        }
    }

    /// A merchant's trade by its order number.
    #[must_use]
    pub fn trade_by_out_trade_no(
        &self,
        mch_id: &str,
        out_trade_no: &str,
        now: u64,
    ) -> Option<Trade> {
        self.orders
            .iter()
            .find(|(_, o)| o.mch_id == mch_id && o.order.out_trade_no == out_trade_no)
            .map(|(id, rec)| self.trade(id, rec, now))
    }

    /// A merchant's trade by the platform's transaction id.
    #[must_use]
    pub fn trade_by_transaction_id(
        &self,
        mch_id: &str,
        transaction_id: &str,
        now: u64,
    ) -> Option<Trade> {
        let key = self
            .paid
            .iter()
            .find(|(_, p)| p.transaction_id == transaction_id)
            .map(|(k, _)| k.clone())?;
        self.orders
            .iter()
            .find(|(_, o)| {
                o.mch_id == mch_id && format!("{}|{}", o.order.app_id, o.order.out_trade_no) == key
            })
            .map(|(id, rec)| self.trade(id, rec, now))
    }

    /// Closes a merchant's unpaid order: `Err` when it is paid (`ORDERPAID`), unknown (`None`
    /// inside), or closed already (closing again is fine).
    pub fn close_order(
        &mut self,
        mch_id: &str,
        out_trade_no: &str,
        now: u64,
    ) -> Result<(), Option<OrderRefusal>> {
        let trade = self
            .trade_by_out_trade_no(mch_id, out_trade_no, now)
            .ok_or(None)?;
        if trade.state == TradeState::Success {
            return Err(Some(OrderRefusal::Paid(out_trade_no.to_owned())));
        }
        if let Some(rec) = self.orders.get_mut(&trade.prepay_id)
            && rec.closed_at.is_none()
        {
            rec.closed_at = Some(now);
        }
        Ok(())
    }

    /// Queues a notification, due at once.
    pub fn add_notification(&mut self, mut n: Notification, now: u64) {
        self.notification_seq += 1;
        self.meta_changed.insert("notification_seq");
        n.id = self.notification_seq;
        n.next_at = now;
        self.notifications.insert(format!("{:012}", n.id), n);
    }

    /// Notifications due now (not delivered, retries left).
    #[must_use]
    pub fn due_notifications(&self, now: u64) -> Vec<Notification> {
        self.notifications
            .values()
            .filter(|n| {
                !n.delivered && n.next_at <= now && (n.attempts as usize) <= NOTIFY_RETRIES.len()
            })
            .cloned()
            .collect()
    }

    /// Records a delivery: acknowledged, or due again after the next retry interval.
    pub fn delivered(&mut self, id: u64, ok: bool, response: String, now: u64) {
        if let Some(n) = self.notifications.get_mut(&format!("{id:012}")) {
            n.attempts += 1;
            n.last_at = now;
            n.last_response = Some(response);
            // A probe goes out once, whatever the answer.
            n.delivered = ok || n.probe;
            if !n.delivered {
                let wait = NOTIFY_RETRIES
                    .get(n.attempts as usize - 1)
                    .copied()
                    .unwrap_or(u64::MAX / 2);
                n.next_at = now.saturating_add(wait);
            }
        }
    }

    /// Every notification.
    #[must_use]
    pub fn notifications(&self) -> Vec<Notification> {
        self.notifications.values().cloned().collect()
    }

    // ---- OAuth ------------------------------------------------------------------------------

    /// Queues an automated answer for the next consent prompt.
    pub fn push_oauth_answer(&mut self, answer: OAuthAnswer) -> Result<(), String> {
        if self.oauth_next.len() >= MAX_QUEUED {
            return Err(format!(
                "at most {MAX_QUEUED} consent answers can wait at once"
            ));
        }
        self.oauth_next.push_back(answer);
        self.meta_changed.insert("oauth_next");
        Ok(())
    }

    /// Takes the first queued answer meant for `app`.
    pub fn take_oauth_answer(&mut self, app: &str) -> Option<OAuthAnswer> {
        let i = self
            .oauth_next
            .iter()
            .position(|a| a.app_id.as_deref().is_none_or(|id| id == app))?;
        self.meta_changed.insert("oauth_next");
        self.oauth_next.remove(i)
    }

    /// Issues a single-use code for a user who approved.
    pub fn issue_code(&mut self, app: &str, user: &str, scope: Scope, now: u64) -> String {
        let code = nonce_of_len(32);
        self.codes.insert(
            code.clone(),
            CodeRec {
                app: app.to_owned(),
                user: user.to_owned(),
                scope,
                issued_at: now,
                used: false,
            },
        );
        code
    }

    /// `/sns/oauth2/access_token`, once the app is authenticated: 40029 unknown or expired code,
    /// 40163 a used one.
    pub fn redeem_code(&mut self, app: &str, code: &str, now: u64) -> R<UserGrant> {
        let rec = self
            .codes
            .get_mut(code)
            .filter(|c| c.app == app)
            .ok_or(ErrCode::InvalidCode)?;
        if rec.used {
            return Err(ErrCode::CodeBeenUsed.into());
        }
        if now >= rec.issued_at + CODE_LIFETIME_SECS {
            return Err(ErrCode::InvalidCode.into());
        }
        rec.used = true;
        let (user, scope) = (rec.user.clone(), rec.scope);
        let refresh_token = nonce_of_len(86);
        self.refresh_tokens.insert(
            refresh_token.clone(),
            UserTokenRec {
                app: app.to_owned(),
                user: user.clone(),
                scope,
                expires_at: now + REFRESH_TOKEN_LIFETIME_SECS,
            },
        );
        Ok(self.grant_user_token(app, &user, scope, refresh_token, now))
    }

    fn grant_user_token(
        &mut self,
        app: &str,
        user: &str,
        scope: Scope,
        refresh_token: String,
        now: u64,
    ) -> UserGrant {
        let access_token = nonce_of_len(86);
        self.user_tokens.insert(
            access_token.clone(),
            UserTokenRec {
                app: app.to_owned(),
                user: user.to_owned(),
                scope,
                expires_at: now + ACCESS_TOKEN_LIFETIME_SECS,
            },
        );
        UserGrant {
            access_token,
            refresh_token,
            openid: openid(app, user),
            scope,
            unionid: (scope == Scope::UserInfo).then(|| unionid(user)),
        }
    }

    /// `/sns/oauth2/refresh_token`: 40030 unknown, 42002 expired.
    pub fn refresh_user_token(&mut self, app: &str, refresh_token: &str, now: u64) -> R<UserGrant> {
        let rec = self
            .refresh_tokens
            .get(refresh_token)
            .filter(|r| r.app == app)
            .ok_or(ErrCode::InvalidRefreshToken)?
            .clone();
        if now >= rec.expires_at {
            return Err(ErrCode::RefreshTokenExpired.into());
        }
        Ok(self.grant_user_token(app, &rec.user, rec.scope, refresh_token.to_owned(), now))
    }

    /// Checks a user token and its openid: 41001/41009 missing, 40001 unknown, 42001 expired,
    /// 40003 another user's openid. Gives `(app, user id, scope)`.
    pub fn check_user_token(
        &self,
        token: Option<&str>,
        open_id: Option<&str>,
        now: u64,
    ) -> R<(String, String, Scope)> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(ErrCode::AccessTokenMissing)?;
        let open_id = open_id
            .filter(|o| !o.is_empty())
            .ok_or(ErrCode::OpenidMissing)?;
        let rec = self
            .user_tokens
            .get(token)
            .ok_or(ErrCode::InvalidCredential)?;
        if now >= rec.expires_at {
            return Err(ErrCode::AccessTokenExpired.into());
        }
        if openid(&rec.app, &rec.user) != open_id {
            return Err(ErrCode::InvalidOpenid.into());
        }
        Ok((rec.app.clone(), rec.user.clone(), rec.scope))
    }

    /// The user a user token belongs to, if it is valid (for `addrSign` checks later).
    #[must_use]
    pub fn user_token_owner(&self, token: &str, now: u64) -> Option<(&str, &str)> {
        self.user_tokens
            .get(token)
            .filter(|t| now < t.expires_at)
            .map(|t| (t.app.as_str(), t.user.as_str()))
    }
}

/// Finds a user by id or by openid within an account.
#[must_use]
pub fn find_user<'a>(users: &'a [User], app: &str, key: &str) -> Option<&'a User> {
    users
        .iter()
        .find(|u| u.id == key || openid(app, &u.id) == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::demo_accounts;

    const T0: u64 = 1_700_000_000;

    fn demo() -> Account {
        demo_accounts().remove(0)
    }

    fn order(no: &str) -> Order {
        Order {
            app_id: demo().app_id,
            body: "b".repeat(128),
            total_fee: 1,
            out_trade_no: no.into(),
            notify_url: "http://localhost:8080/n".into(),
            attach: String::new(),
            time_expire: None,
        }
    }

    fn note(no: &str) -> Notification {
        Notification {
            id: 0,
            form: "v2".into(),
            out_trade_no: no.into(),
            total_fee: 1,
            url: "http://localhost:8080/n".into(),
            body: "<xml/>".into(),
            attempts: 0,
            delivered: false,
            next_at: 0,
            last_response: None,
            last_at: 0,
            mch_id: String::new(),
            probe: false,
        }
    }

    /// Every platform call re-serialised the whole state (20 prepays with large fields cut
    /// getticket from 1370 to 21 req/s): a call writes only the records it touched.
    #[test]
    fn state_was_reserialised_whole_on_every_platform_call() {
        let mut s = State::default();
        let a = demo();
        for i in 0..20 {
            s.add_order(order(&format!("o{i}")), T0).unwrap();
            s.add_notification(note(&format!("o{i}")), T0);
        }
        let token = s.grant_token(&a, T0).unwrap().value;
        assert!(
            s.take_changes().len() > 40,
            "everything new is written once"
        );
        s.count_call("/cgi-bin/ticket/getticket");
        s.check_token(Some(&token), T0).unwrap();
        s.grant_ticket(&a, TicketType::Jsapi, T0).unwrap();
        let changes = s.take_changes();
        let tables: BTreeSet<&str> = changes.iter().map(|c| c.table).collect();
        assert_eq!(
            tables,
            BTreeSet::from(["stats", "quota", "creds"]),
            "{changes:?}"
        );
        assert!(changes.len() <= 3, "{changes:?}");
        // The records round-trip.
        let mut copy = s.clone();
        let rows = copy
            .all_records()
            .into_iter()
            .map(|c| (c.table.to_owned(), c.key, c.json.unwrap()));
        let (back, bad) = State::from_records(rows);
        assert!(bad.is_empty(), "{bad:?}");
        assert_eq!(back.notifications().len(), 20);
        assert_eq!(back.check_token(Some(&token), T0), Ok(a.app_id.clone()));
        assert_eq!(back.stats()["/cgi-bin/ticket/getticket"], 1);
    }

    /// State grew forever: finished notifications, old orders and payments are forgotten after
    /// the retention; what is still in play is kept.
    #[test]
    fn state_grew_forever() {
        let mut s = State::default();
        s.add_order(order("old"), T0).unwrap();
        s.add_notification(note("done"), T0);
        s.add_notification(note("pending"), T0);
        s.delivered(1, true, "HTTP 200, accepted".into(), T0);
        s.pay(&order("old"), "openid", "4200000001", T0).unwrap();
        s.prune(T0 + RETENTION_SECS - 1);
        assert_eq!(s.notifications().len(), 2);
        s.prune(T0 + RETENTION_SECS + 1);
        let left: Vec<String> = s
            .notifications()
            .into_iter()
            .map(|n| n.out_trade_no)
            .collect();
        assert_eq!(left, ["pending"], "an undelivered notification stays");
        assert!(s.orders.is_empty());
        assert!(!s.is_paid(&demo().app_id, "old"));
        let removed = s
            .take_changes()
            .into_iter()
            .filter(|c| c.json.is_none())
            .count();
        assert!(removed >= 3, "the removals are written too");
        // Queues are bounded.
        for _ in 0..MAX_QUEUED {
            s.push_oauth_answer(OAuthAnswer {
                app_id: None,
                approve: true,
                user: None,
            })
            .unwrap();
        }
        assert!(
            s.push_oauth_answer(OAuthAnswer {
                app_id: None,
                approve: true,
                user: None,
            })
            .is_err()
        );
    }

    #[test]
    fn tokens_overlap_five_minutes_then_fail() {
        let mut s = State::default();
        let a = demo();
        let t1 = s.grant_token(&a, T0).unwrap().value;
        assert_eq!(s.check_token(Some(&t1), T0), Ok(a.app_id.clone()));
        let t2 = s.grant_token(&a, T0 + 100).unwrap().value;
        assert_ne!(t1, t2);
        assert!(
            s.check_token(Some(&t1), T0 + 100 + OVERLAP_SECS - 1)
                .is_ok()
        );
        assert_eq!(
            s.check_token(Some(&t1), T0 + 100 + OVERLAP_SECS)
                .unwrap_err()
                .code,
            ErrCode::InvalidCredential
        );
        assert!(
            s.check_token(Some(&t2), T0 + 100 + LIFETIME_SECS - 1)
                .is_ok()
        );
        assert_eq!(
            s.check_token(Some(&t2), T0 + 100 + LIFETIME_SECS)
                .unwrap_err()
                .code,
            ErrCode::AccessTokenExpired
        );
        assert_eq!(
            s.check_token(None, T0).unwrap_err().code,
            ErrCode::AccessTokenMissing
        );
        assert_eq!(
            s.check_token(Some("short"), T0).unwrap_err().code,
            ErrCode::InvalidAccessToken
        );
        assert_eq!(
            s.check_token(Some(&"x".repeat(64)), T0).unwrap_err().code,
            ErrCode::InvalidCredential
        );
    }

    #[test]
    fn token_quota_and_clear_quota() {
        let mut s = State::default();
        let mut a = demo();
        a.kind = crate::config::AccountKind::Test;
        for _ in 0..200 {
            s.grant_token(&a, T0).unwrap();
        }
        assert_eq!(s.grant_token(&a, T0).unwrap_err().code, ErrCode::DailyQuota);
        // The next Beijing day has a fresh quota.
        let next_day = wxjs_platform::quota::next_beijing_midnight(T0);
        assert!(s.grant_token(&a, next_day).is_ok());
        for _ in 0..199 {
            s.grant_token(&a, next_day).unwrap();
        }
        assert!(s.grant_token(&a, next_day).is_err());
        for _ in 0..CLEAR_QUOTA_PER_MONTH {
            s.clear_quota(&a.app_id, next_day).unwrap();
        }
        assert!(s.grant_token(&a, next_day).is_ok());
        assert_eq!(
            s.clear_quota(&a.app_id, next_day).unwrap_err().code,
            ErrCode::ClearQuotaLimit
        );
    }

    #[test]
    fn stable_tokens_rotate_before_expiry_and_limit_force() {
        let mut s = State::default();
        let a = demo();
        let g1 = s.grant_stable_token(&a, false, T0).unwrap();
        assert_eq!(g1.expires_in, LIFETIME_SECS);
        let g2 = s.grant_stable_token(&a, false, T0 + 1000).unwrap();
        assert_eq!(g2.value, g1.value);
        assert_eq!(g2.expires_in, LIFETIME_SECS - 1000);
        // Inside the last five minutes: a new token; the old stays valid until its expiry.
        let g3 = s
            .grant_stable_token(&a, false, T0 + LIFETIME_SECS - 200)
            .unwrap();
        assert_ne!(g3.value, g1.value);
        assert!(
            s.check_token(Some(&g1.value), T0 + LIFETIME_SECS - 1)
                .is_ok()
        );
        assert!(s.check_token(Some(&g1.value), T0 + LIFETIME_SECS).is_err());
        // Forced refresh: the previous one stops at once; 30 s spacing; 20 a day.
        let t = T0 + LIFETIME_SECS;
        let f1 = s.grant_stable_token(&a, true, t).unwrap();
        assert_ne!(f1.value, g3.value);
        assert!(s.check_token(Some(&g3.value), t).is_err());
        let f2 = s.grant_stable_token(&a, true, t + 10).unwrap();
        assert_eq!(f2.value, f1.value, "no refresh within 30 s");
        let mut now = t;
        let mut distinct = std::collections::HashSet::new();
        for _ in 0..25 {
            now += 31;
            distinct.insert(s.grant_stable_token(&a, true, now).unwrap().value);
        }
        assert_eq!(
            distinct.len() + 1,
            FORCE_REFRESH_PER_DAY as usize,
            "20 forced refreshes a day, the first was f1"
        );
        // Stable tokens and basic tokens do not invalidate each other.
        let b = s.grant_token(&a, now).unwrap();
        let st = s.grant_stable_token(&a, false, now).unwrap();
        assert!(s.check_token(Some(&b.value), now).is_ok());
        assert!(s.check_token(Some(&st.value), now).is_ok());
    }

    #[test]
    fn tickets_are_stable_for_their_lifetime() {
        let mut s = State::default();
        let a = demo();
        let j1 = s.grant_ticket(&a, TicketType::Jsapi, T0).unwrap();
        let c1 = s.grant_ticket(&a, TicketType::WxCard, T0).unwrap();
        assert_ne!(j1.value, c1.value);
        let j2 = s.grant_ticket(&a, TicketType::Jsapi, T0 + 7000).unwrap();
        assert_eq!(j2.value, j1.value);
        assert_eq!(j2.expires_in, 200);
        assert_eq!(
            s.current_ticket(&a.app_id, TicketType::Jsapi, T0 + 7199)
                .unwrap()
                .value,
            j1.value
        );
        assert!(
            s.current_ticket(&a.app_id, TicketType::Jsapi, T0 + 7200)
                .is_none()
        );
        let j3 = s.grant_ticket(&a, TicketType::Jsapi, T0 + 7200).unwrap();
        assert_ne!(j3.value, j1.value);
        assert_eq!(s.previous_tickets(&a.app_id, TicketType::Jsapi), [j1.value]);
    }

    #[test]
    fn oauth_codes_are_single_use_and_short_lived() {
        let mut s = State::default();
        let app = "wxdemo000000000001";
        let code = s.issue_code(app, "alice", Scope::UserInfo, T0);
        assert_eq!(
            s.redeem_code("wxother00000000001", &code, T0)
                .unwrap_err()
                .code,
            ErrCode::InvalidCode
        );
        let g = s.redeem_code(app, &code, T0 + 10).unwrap();
        assert_eq!(g.openid, openid(app, "alice"));
        assert_eq!(g.openid.len(), 28);
        assert!(g.unionid.is_some());
        assert_eq!(
            s.redeem_code(app, &code, T0 + 11).unwrap_err().code,
            ErrCode::CodeBeenUsed
        );
        let late = s.issue_code(app, "bob", Scope::Base, T0);
        assert_eq!(
            s.redeem_code(app, &late, T0 + CODE_LIFETIME_SECS)
                .unwrap_err()
                .code,
            ErrCode::InvalidCode
        );
        assert_eq!(
            s.check_user_token(Some(&g.access_token), Some(&g.openid), T0 + 10)
                .unwrap()
                .1,
            "alice"
        );
        assert_eq!(
            s.check_user_token(Some(&g.access_token), Some("o123"), T0)
                .unwrap_err()
                .code,
            ErrCode::InvalidOpenid
        );
        let r = s
            .refresh_user_token(app, &g.refresh_token, T0 + 8000)
            .unwrap();
        assert!(
            s.check_user_token(Some(&r.access_token), Some(&g.openid), T0 + 8000)
                .is_ok()
        );
        assert_eq!(
            s.check_user_token(Some(&g.access_token), Some(&g.openid), T0 + 8000)
                .unwrap_err()
                .code,
            ErrCode::AccessTokenExpired
        );
        assert_eq!(
            s.refresh_user_token(app, &g.refresh_token, T0 + 10 + REFRESH_TOKEN_LIFETIME_SECS)
                .unwrap_err()
                .code,
            ErrCode::RefreshTokenExpired
        );
        assert_eq!(
            s.refresh_user_token(app, "nope", T0).unwrap_err().code,
            ErrCode::InvalidRefreshToken
        );
    }

    #[test]
    fn notifications_retry_on_the_documented_schedule() {
        let mut s = State::default();
        let n = Notification {
            id: 0,
            form: "v2".into(),
            out_trade_no: "o".into(),
            total_fee: 1,
            url: "http://m/n".into(),
            body: String::new(),
            attempts: 0,
            delivered: false,
            next_at: 0,
            last_response: None,
            last_at: 0,
            mch_id: String::new(),
            probe: false,
        };
        s.add_notification(n, T0);
        assert_eq!(s.due_notifications(T0).len(), 1);
        s.delivered(1, false, "fail".into(), T0);
        assert!(s.due_notifications(T0 + 14).is_empty());
        assert_eq!(s.due_notifications(T0 + 15).len(), 1);
        s.delivered(1, false, "fail".into(), T0 + 15);
        assert!(s.due_notifications(T0 + 29).is_empty());
        s.delivered(1, true, "success".into(), T0 + 30);
        assert!(s.due_notifications(T0 + 100_000).is_empty());
        assert_eq!(s.notifications()[0].attempts, 3);
    }

    #[test]
    fn faults_are_used_up() {
        let mut s = State::default();
        s.add_fault(Fault {
            path: "/a".into(),
            errcode: Some(-1),
            status: None,
            delay_ms: None,
            drop: false,
            code: None,
            count: 2,
        })
        .unwrap();
        assert!(s.take_fault("/b").is_none());
        assert!(s.take_fault("/a").is_some());
        assert!(s.take_fault("/a").is_some());
        assert!(s.take_fault("/a").is_none());
        assert!(s.faults().is_empty());
    }

    #[test]
    fn beijing_calendar() {
        // 2023-11-14T22:13:20Z is 2023-11-15 06:13 in Beijing.
        assert_eq!(beijing_month(T0), 2023 * 12 + 10);
        assert_eq!(beijing_day(T0), (T0 + 28_800) / 86_400);
        assert_eq!(beijing_month(1_704_038_400), 2024 * 12); // 2024-01-01 00:00 Beijing
        assert_eq!(beijing_month(1_704_038_399), 2023 * 12 + 11);
        assert_eq!(beijing_datetime(1_704_038_400), "20240101000000");
        assert_eq!(beijing_datetime(T0), "20231115061320");
    }
}
