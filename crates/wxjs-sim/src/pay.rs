//! Payment on the platform: a payment the person made in the emulated app is paid at most once
//! and makes the platform notify the merchant, in the form the page paid with.

use std::collections::BTreeMap;

use sha1::{Digest, Sha1};
use wxjs_sign::{PartnerKey, PayApiKey, PaySignType};

use crate::sim::Sim;
use crate::state::{
    Notification, Order, OrderApi, OrderRec, Trade, TradeState, beijing_datetime, openid,
};

pub use crate::notify::check_notify_url;

/// How a page asked to pay, which decides the notification's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayForm {
    /// The 2014 `package` of the document (appendix 5).
    Package2014,
    /// A `prepay_id` with a v2 `paySign` of this type.
    V2(PaySignType),
    /// A `prepay_id` with a v3 (RSA) `paySign`.
    V3,
}

/// A payment the app verified, waiting for the person.
#[derive(Debug, Clone)]
pub struct PendingPay {
    /// The paying account.
    pub app_id: String,
    /// How the page asked.
    pub form: PayForm,
    /// The order shown to the person.
    pub order: Order,
}

impl Sim {
    /// Pays `pay`'s order as the app's user — at most once, not once closed, not after its
    /// `time_expire` — and queues the merchant's notification in the form of the API that made
    /// the order (or, for control-API orders, of the page's `signType`). The error says why it
    /// cannot be paid.
    pub fn pay(&self, pay: &PendingPay) -> Result<(), String> {
        let user = self
            .users()
            .first()
            .map(|u| u.id.clone())
            .unwrap_or_default();
        let payer = openid(&pay.app_id, &user);
        let now = self.now();
        let transaction_id = format!(
            "42000{}{}",
            &beijing_datetime(now)[..8],
            wxjs_sign::nonce_of_len(15)
                .bytes()
                .map(|b| char::from(b'0' + b % 10))
                .collect::<String>()
        );
        let rec = self.read(|s, _| {
            s.order_rec_by_number(&pay.order.app_id, &pay.order.out_trade_no)
                .cloned()
        });
        let notifications = notifications(self, pay, rec.as_ref(), &payer, &transaction_id, now);
        self.update(|s, now| {
            s.pay(&pay.order, &payer, &transaction_id, now)?;
            for n in notifications {
                s.add_notification(n, now);
            }
            Ok(())
        })
    }

    /// Records that the person's payment of `pay` failed: the order's state becomes `PAYERROR`
    /// until it is paid.
    ///
    /// # Errors
    /// Why the order can no longer be paid (paid, closed, expired): nothing is recorded then.
    pub fn pay_failed(&self, pay: &PendingPay, why: &str) -> Result<(), String> {
        self.update(|s, now| s.pay_failed(&pay.order, why, now))
    }
}

/// A trade as the v3 API shows it (queries and the decrypted notification resource).
#[must_use]
pub fn v3_transaction(trade: &Trade) -> serde_json::Value {
    let o = &trade.rec.order;
    let mut t = serde_json::json!({
        "appid": o.app_id,
        "mchid": trade.rec.mch_id,
        "out_trade_no": o.out_trade_no,
        "trade_state": trade.state.as_str(),
        "trade_state_desc": trade.state.desc(),
        "attach": o.attach,
        "amount": { "total": o.total_fee, "currency": "CNY" },
    });
    if let Some(p) = &trade.paid {
        t["transaction_id"] = p.transaction_id.clone().into();
        t["trade_type"] = "JSAPI".into();
        t["bank_type"] = "OTHERS".into();
        t["success_time"] = rfc3339_beijing(p.paid_at).into();
        t["payer"] = serde_json::json!({ "openid": p.openid });
        t["amount"] = serde_json::json!({
            "total": o.total_fee, "payer_total": p.total_fee,
            "currency": "CNY", "payer_currency": "CNY",
        });
    } else if !trade.rec.payer.is_empty() {
        t["payer"] = serde_json::json!({ "openid": trade.rec.payer });
    }
    t
}

/// Beijing time in RFC 3339 (`2026-11-27T19:30:00+08:00`), as v3 writes times.
#[must_use]
pub fn rfc3339_beijing(at: u64) -> String {
    let c = beijing_datetime(at);
    format!(
        "{}-{}-{}T{}:{}:{}+08:00",
        &c[..4],
        &c[4..6],
        &c[6..8],
        &c[8..10],
        &c[10..12],
        &c[12..14]
    )
}

/// Reads an RFC 3339 time with an offset (`2026-11-27T19:30:00+08:00`, `…Z`); seconds since
/// the epoch.
#[must_use]
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let digits: String = [
        &text[..4],
        &text[5..7],
        &text[8..10],
        &text[11..13],
        &text[14..16],
        &text[17..19],
    ]
    .concat();
    // As if Beijing time, then moved by the real offset.
    let as_beijing = crate::state::parse_beijing_datetime(&digits)? as i64;
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = rest[1..].split_once(':')?;
            if h.len() != 2 || m.len() != 2 {
                return None;
            }
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
        }
    };
    u64::try_from(as_beijing + 8 * 3600 - offset).ok()
}

fn cdata(v: &str) -> String {
    format!("<![CDATA[{}]]>", v.replace("]]>", "]]]]><![CDATA[>"))
}

/// The notifications the platform sends once the person paid: the notification, preceded by a
/// probe when the merchant asked for probes (v3).
fn notifications(
    sim: &Sim,
    pay: &PendingPay,
    rec: Option<&OrderRec>,
    open_id: &str,
    transaction_id: &str,
    now: u64,
) -> Vec<Notification> {
    let Some(merchant) = sim.account(&pay.app_id).and_then(|a| a.merchant.clone()) else {
        return Vec::new();
    };
    let form = match rec.map(|r| (r.api, r.sign_type.as_str())) {
        Some((OrderApi::V3, _)) => PayForm::V3,
        Some((OrderApi::V2, st)) => PayForm::V2(PaySignType::parse(st).unwrap_or(PaySignType::Md5)),
        _ => pay.form,
    };
    // Without an APIv3 key nothing can be encrypted: the merchant gets the v2 form.
    let form = match form {
        PayForm::V3 if merchant.api_v3_key.len() != 32 => PayForm::V2(PaySignType::Md5),
        f => f,
    };
    if form == PayForm::V3 {
        let trade = Trade {
            prepay_id: String::new(),
            rec: rec.cloned().unwrap_or_else(|| OrderRec {
                order: pay.order.clone(),
                created_at: now,
                mch_id: merchant.partner_id.clone(),
                api: OrderApi::Control,
                sign_type: String::new(),
                payer: String::new(),
                closed_at: None,
                failed: None,
            }),
            state: TradeState::Success,
            paid: Some(crate::state::Paid {
                total_fee: pay.order.total_fee,
                paid_at: now,
                transaction_id: transaction_id.to_owned(),
                openid: open_id.to_owned(),
            }),
        };
        let mut transaction = v3_transaction(&trade);
        transaction["mchid"] = merchant.partner_id.clone().into();
        let nonce = wxjs_sign::nonce_of_len(12);
        let Ok(ciphertext) = wxjs_sign::aead_encrypt(
            &wxjs_sign::ApiV3Key::new(merchant.api_v3_key.clone()),
            &nonce,
            "transaction",
            transaction.to_string().as_bytes(),
        ) else {
            return Vec::new();
        };
        let id = uuid_like();
        let body = serde_json::json!({
            "id": id,
            "create_time": rfc3339_beijing(now),
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {
                "original_type": "transaction",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": ciphertext,
                "associated_data": "transaction",
                "nonce": nonce,
            }
        })
        .to_string();
        let n = |probe: bool| {
            Notification::new(
                "v3",
                &pay.order,
                pay.order.notify_url.clone(),
                body.clone(),
                &merchant.partner_id,
                probe,
            )
        };
        let mut out = Vec::new();
        if merchant.probe_notifications {
            out.push(n(true));
        }
        out.push(n(false));
        return out;
    }
    let nonce = wxjs_sign::nonce_str();
    let o = &pay.order;
    let time_end = beijing_datetime(now);
    let (form, url, body) = match form {
        PayForm::Package2014 => {
            let mut fields = BTreeMap::new();
            for (k, v) in [
                ("sign_type", "MD5"),
                ("service_version", "1.0"),
                ("input_charset", "UTF-8"),
                ("trade_mode", "1"),
                ("trade_state", "0"),
                ("partner", merchant.partner_id.as_str()),
                ("bank_type", "WX"),
                ("total_fee", &o.total_fee.to_string()),
                ("fee_type", "1"),
                ("notify_id", &wxjs_sign::nonce_of_len(32)),
                ("transaction_id", transaction_id),
                ("out_trade_no", &o.out_trade_no),
                ("attach", &o.attach),
                ("time_end", &time_end),
                ("discount", "0"),
            ] {
                fields.insert(k.to_owned(), v.to_owned());
            }
            let Ok(signed) =
                wxjs_sign::sign_package(&fields, &PartnerKey::new(merchant.partner_key.clone()))
            else {
                return Vec::new();
            };
            let query = signed.package;
            let sep = if o.notify_url.contains('?') { '&' } else { '?' };
            let ts = now.to_string();
            // AppSignature: SHA-1 over the sorted k=v of appid, appkey, issubscribe, noncestr,
            // openid, timestamp.
            let string1 = format!(
                "appid={}&appkey={}&issubscribe=1&noncestr={nonce}&openid={open_id}&timestamp={ts}",
                pay.app_id, merchant.pay_sign_key
            );
            let app_signature: String = Sha1::digest(string1.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            let body = format!(
                "<xml><OpenId>{}</OpenId><AppId>{}</AppId><IsSubscribe>1</IsSubscribe><TimeStamp>{ts}</TimeStamp><NonceStr>{}</NonceStr><AppSignature>{}</AppSignature><SignMethod>{}</SignMethod></xml>",
                cdata(open_id),
                cdata(&pay.app_id),
                cdata(&nonce),
                cdata(&app_signature),
                cdata("sha1")
            );
            ("2014", format!("{}{sep}{query}", o.notify_url), body)
        }
        PayForm::V2(sign_type) => {
            let mut fields = BTreeMap::new();
            for (k, v) in [
                ("appid", pay.app_id.as_str()),
                ("mch_id", merchant.partner_id.as_str()),
                ("nonce_str", &nonce),
                ("openid", open_id),
                ("is_subscribe", "Y"),
                ("trade_type", "JSAPI"),
                ("bank_type", "OTHERS"),
                ("total_fee", &o.total_fee.to_string()),
                ("cash_fee", &o.total_fee.to_string()),
                ("fee_type", "CNY"),
                ("transaction_id", transaction_id),
                ("out_trade_no", &o.out_trade_no),
                ("attach", &o.attach),
                ("time_end", &time_end),
                ("result_code", "SUCCESS"),
                ("return_code", "SUCCESS"),
            ] {
                if !v.is_empty() {
                    fields.insert(k.to_owned(), v.to_owned());
                }
            }
            let sign = wxjs_sign::sign_v2_fields(
                &fields,
                sign_type,
                &PayApiKey::new(merchant.api_key.clone()),
            );
            fields.insert("sign".into(), sign);
            ("v2", o.notify_url.clone(), wxjs_sign::write_v2_xml(&fields))
        }
        PayForm::V3 => unreachable!("v3 is handled above"),
    };
    vec![Notification::new(
        form,
        o,
        url,
        body,
        &merchant.partner_id,
        false,
    )]
}

/// A notification id in the shape v3 uses (a UUID).
fn uuid_like() -> String {
    let h = wxjs_sign::nonce_of_len(32).to_ascii_lowercase();
    let hex: String = h
        .bytes()
        .map(|b| char::from(b"0123456789abcdef"[usize::from(b % 16)]))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
