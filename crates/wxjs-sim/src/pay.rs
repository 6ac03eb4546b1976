//! Payment on the platform: a payment the person made in the emulated app is paid at most once
//! and makes the platform notify the merchant, in the form the page paid with.

use std::collections::BTreeMap;

use sha1::{Digest, Sha1};
use wxjs_sign::{PartnerKey, PayApiKey, PaySignType};

use crate::sim::Sim;
use crate::state::{Notification, Order, beijing_datetime, openid};

pub use crate::notify::check_notify_url;

/// How a page asked to pay, which decides the notification's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayForm {
    /// The 2014 `package` of the document (appendix 5).
    Package2014,
    /// A `prepay_id` with a v2 `paySign` of this type (v3 pages get the v2 form too: v3's
    /// encrypted notifications are not simulated yet).
    V2(PaySignType),
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
    /// Pays `pay`'s order — at most once, and not after its `time_expire` — and queues the
    /// merchant's notification. The error says why it cannot be paid.
    pub fn pay(&self, pay: &PendingPay) -> Result<(), String> {
        let notification = notification(self, pay, self.now());
        self.update(|s, now| {
            s.pay(&pay.order, now)?;
            if let Some(n) = notification {
                s.add_notification(n, now);
            }
            Ok(())
        })
    }
}

fn cdata(v: &str) -> String {
    format!("<![CDATA[{}]]>", v.replace("]]>", "]]]]><![CDATA[>"))
}

/// The notification the platform sends once the person paid.
fn notification(sim: &Sim, pay: &PendingPay, now: u64) -> Option<Notification> {
    let merchant = sim.account(&pay.app_id)?.merchant.clone()?;
    let open_id = openid(&pay.app_id, &sim.users().first()?.id);
    let time_end = beijing_datetime(now);
    let transaction_id = format!(
        "{}{}{}",
        merchant.partner_id,
        &time_end[..8],
        &wxjs_sign::nonce_of_len(10)
            .bytes()
            .map(|b| char::from(b'0' + b % 10))
            .collect::<String>()
    );
    let nonce = wxjs_sign::nonce_str();
    let o = &pay.order;
    let (form, url, body) = match pay.form {
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
                ("transaction_id", &transaction_id),
                ("out_trade_no", &o.out_trade_no),
                ("attach", &o.attach),
                ("time_end", &time_end),
                ("discount", "0"),
            ] {
                fields.insert(k.to_owned(), v.to_owned());
            }
            let query =
                wxjs_sign::sign_package(&fields, &PartnerKey::new(merchant.partner_key.clone()))
                    .ok()?
                    .package;
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
                cdata(&open_id),
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
                ("openid", &open_id),
                ("is_subscribe", "Y"),
                ("trade_type", "JSAPI"),
                ("bank_type", "OTHERS"),
                ("total_fee", &o.total_fee.to_string()),
                ("cash_fee", &o.total_fee.to_string()),
                ("fee_type", "CNY"),
                ("transaction_id", &transaction_id),
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
            let inner: String = fields
                .iter()
                .map(|(k, v)| format!("<{k}>{}</{k}>", cdata(v)))
                .collect();
            ("v2", o.notify_url.clone(), format!("<xml>{inner}</xml>"))
        }
    };
    Some(Notification {
        id: 0,
        form: form.into(),
        out_trade_no: o.out_trade_no.clone(),
        total_fee: o.total_fee,
        url,
        body,
        attempts: 0,
        delivered: false,
        next_at: 0,
        last_response: None,
        last_at: 0,
    })
}
