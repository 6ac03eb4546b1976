//! `chooseWXPay` in the emulated client: the checks the client makes before showing an order
//! (the 2014 `package` signed with the partner key and its SHA-1 `paySign`; or a prepay id the
//! platform issued with its v2 `paySign`), and the notification the platform sends the merchant
//! once the person pays.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use wxjs_sign::{PartnerKey, PayApiKey, PaySignKey, PaySignType};

use crate::sim::Sim;
use crate::state::{Notification, Order, beijing_datetime, openid};

/// A verified payment waiting for the person.
#[derive(Debug, Clone)]
pub struct PendingPay {
    app_id: String,
    /// `None` for the 2014 form; the v2 sign type otherwise.
    v2: Option<PaySignType>,
    /// The order shown to the person.
    pub order: Order,
}

fn text<'a>(p: &'a Map<String, Value>, k: &str) -> &'a str {
    p.get(k).and_then(Value::as_str).unwrap_or("")
}

/// The order a v2/v3 `package` (`prepay_id=…`) names, if the platform issued it to this account.
fn issued_order(sim: &Sim, app_id: &str, package: &str) -> Result<Order, String> {
    let prepay = package
        .strip_prefix("prepay_id=")
        .ok_or("package must be prepay_id=…")?;
    let order = sim
        .read(|s, _| s.order(prepay).cloned())
        .filter(|o| o.app_id == app_id)
        .ok_or("the prepay_id was not issued by the platform for this account")?;
    payable(sim, &order)?;
    Ok(order)
}

/// Refuses an order that is paid already or past its `time_expire`.
fn payable(sim: &Sim, order: &Order) -> Result<(), String> {
    sim.read(|s, now| {
        crate::state::unpayable(order, s.is_paid(&order.app_id, &order.out_trade_no), now)
    })
    .map_or(Ok(()), Err)
}

/// The client's checks of a `getBrandWCPayRequest`. The error says what failed (for the log).
pub fn verify(sim: &Sim, app_id: &str, p: &Map<String, Value>) -> Result<PendingPay, String> {
    let account = sim.account(app_id).ok_or("unknown account")?;
    let merchant = account
        .merchant
        .as_ref()
        .ok_or("the account has no merchant")?;
    let (ts, nonce, package, pay_sign) = (
        text(p, "timeStamp"),
        text(p, "nonceStr"),
        text(p, "package"),
        text(p, "paySign"),
    );
    if ts.is_empty() || nonce.is_empty() || package.is_empty() || pay_sign.is_empty() {
        return Err("timeStamp, nonceStr, package and paySign are required".into());
    }
    match text(p, "signType") {
        "SHA1" | "" => {
            let parsed = wxjs_sign::parse_package(package).map_err(|e| format!("package: {e}"))?;
            if !wxjs_sign::verify_package(package, &PartnerKey::new(merchant.partner_key.clone())) {
                return Err("package sign does not match the partner key".into());
            }
            if parsed.fields.get("partner").map(String::as_str)
                != Some(merchant.partner_id.as_str())
            {
                return Err("package partner is not the account's merchant".into());
            }
            if !wxjs_sign::verify_pay_v1(
                app_id,
                &PaySignKey::new(merchant.pay_sign_key.clone()),
                nonce,
                package,
                ts,
                pay_sign,
            ) {
                return Err("paySign does not match the paySignKey".into());
            }
            let f = |k: &str| parsed.fields.get(k).cloned().unwrap_or_default();
            let time_expire = match f("time_expire").as_str() {
                "" => None,
                t => Some(
                    crate::state::parse_beijing_datetime(t)
                        .ok_or("package time_expire is not yyyyMMddHHmmss")?,
                ),
            };
            let order = Order {
                app_id: app_id.to_owned(),
                body: f("body"),
                total_fee: f("total_fee")
                    .parse()
                    .map_err(|_| "package total_fee is not a number")?,
                out_trade_no: f("out_trade_no"),
                notify_url: f("notify_url"),
                attach: f("attach"),
                time_expire,
            };
            crate::notify::check_notify_url(&order.notify_url)?;
            payable(sim, &order)?;
            Ok(PendingPay {
                app_id: app_id.to_owned(),
                v2: None,
                order,
            })
        }
        st @ ("MD5" | "HMAC-SHA256") => {
            let sign_type = PaySignType::parse(st).ok_or("signType")?;
            let order = issued_order(sim, app_id, package)?;
            if !wxjs_sign::verify_pay_v2(
                app_id,
                ts,
                nonce,
                package,
                sign_type,
                &PayApiKey::new(merchant.api_key.clone()),
                pay_sign,
            ) {
                return Err("paySign does not match the API key".into());
            }
            Ok(PendingPay {
                app_id: app_id.to_owned(),
                v2: Some(sign_type),
                order,
            })
        }
        "RSA" => {
            let order = issued_order(sim, app_id, package)?;
            let public = wxjs_sign::pay_v3_public_key_pem(&wxjs_sign::PrivateKeyPem::new(
                merchant.v3_private_key.clone(),
            ))
            .map_err(|_| "the merchant has no v3 key")?;
            if !wxjs_sign::verify_pay_v3(app_id, ts, nonce, package, &public, pay_sign)
                .unwrap_or(false)
            {
                return Err("paySign does not verify with the merchant's v3 public key".into());
            }
            // The notification keeps the v2 XML form: v3's encrypted JSON is not simulated.
            Ok(PendingPay {
                app_id: app_id.to_owned(),
                v2: Some(PaySignType::Md5),
                order,
            })
        }
        other => Err(format!(
            "signType {other:?} is not one of SHA1, MD5, HMAC-SHA256, RSA"
        )),
    }
}

fn cdata(v: &str) -> String {
    format!("<![CDATA[{}]]>", v.replace("]]>", "]]]]><![CDATA[>"))
}

/// The notification the platform sends once the person paid.
#[must_use]
pub fn notification(sim: &Sim, pay: &PendingPay, now: u64) -> Option<Notification> {
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
    let (form, url, body) = match pay.v2 {
        None => {
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
        Some(sign_type) => {
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
