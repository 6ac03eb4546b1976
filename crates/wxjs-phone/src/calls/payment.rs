//! `chooseWXPay` in the emulated app: the checks the app makes before showing an order (the
//! 2014 `package` signed with the partner key and its SHA-1 `paySign`; or a prepay id the
//! platform issued with its v2 or v3 `paySign`). Paying it is the platform's business
//! ([`wxjs_sim::pay`]).

use serde_json::{Map, Value};
use wxjs_sign::{PartnerKey, PayApiKey, PaySignKey, PaySignType};
use wxjs_sim::Sim;
use wxjs_sim::pay::{PayForm, PendingPay};
use wxjs_sim::state::Order;

fn text<'a>(p: &'a Map<String, Value>, k: &str) -> &'a str {
    p.get(k).and_then(Value::as_str).unwrap_or("")
}

/// The order a v2/v3 `package` (`prepay_id=…`) names, if the platform issued it to this account.
fn issued_order(sim: &Sim, app_id: &str, package: &str) -> Result<Order, String> {
    let prepay = package
        .strip_prefix("prepay_id=")
        .ok_or("package must be prepay_id=…")?;
    let (rec, now) = sim.read(|s, now| (s.order_rec(prepay).cloned(), now));
    let rec = rec
        .filter(|r| r.order.app_id == app_id)
        .ok_or("the prepay_id was not issued by the platform for this account (or was replaced after its 2 hours)")?;
    if now >= rec.created_at + wxjs_sim::state::PREPAY_LIFETIME_SECS {
        return Err(
            "the prepay_id has expired: it is valid 2 hours; order again for a new one".into(),
        );
    }
    if rec.closed_at.is_some() {
        return Err(format!(
            "order {} is closed (ORDERCLOSED)",
            rec.order.out_trade_no
        ));
    }
    if !rec.payer.is_empty() {
        let user = sim
            .users()
            .first()
            .map(|u| u.id.clone())
            .unwrap_or_default();
        if rec.payer != wxjs_sim::state::openid(app_id, &user) {
            return Err(format!(
                "the order's payer openid {} is not this user's openid on {app_id}: the payer must be the person who pays",
                rec.payer
            ));
        }
    }
    payable(sim, &rec.order)?;
    Ok(rec.order)
}

/// Refuses an order that is paid already or past its `time_expire`.
fn payable(sim: &Sim, order: &Order) -> Result<(), String> {
    sim.read(|s, now| {
        wxjs_sim::state::unpayable(order, s.is_paid(&order.app_id, &order.out_trade_no), now)
    })
    .map_or(Ok(()), Err)
}

/// the app's checks of a `getBrandWCPayRequest`. The error says what failed (for the log).
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
    let params = wxjs_sign::PayParams {
        app_id,
        time_stamp: ts,
        nonce_str: nonce,
        package,
    };
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
            if !params.verify_2014(&PaySignKey::new(merchant.pay_sign_key.clone()), pay_sign) {
                return Err("paySign does not match the paySignKey".into());
            }
            let f = |k: &str| parsed.fields.get(k).cloned().unwrap_or_default();
            let time_expire = match f("time_expire").as_str() {
                "" => None,
                t => Some(
                    wxjs_sim::state::parse_beijing_datetime(t)
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
            wxjs_sim::pay::check_notify_url(&order.notify_url)?;
            payable(sim, &order)?;
            Ok(PendingPay {
                app_id: app_id.to_owned(),
                form: PayForm::Package2014,
                order,
            })
        }
        st @ ("MD5" | "HMAC-SHA256") => {
            let sign_type = PaySignType::parse(st).ok_or("signType")?;
            let order = issued_order(sim, app_id, package)?;
            if !params.verify_v2(
                sign_type,
                &PayApiKey::new(merchant.api_key.clone()),
                pay_sign,
            ) {
                return Err("paySign does not match the API key".into());
            }
            Ok(PendingPay {
                app_id: app_id.to_owned(),
                form: PayForm::V2(sign_type),
                order,
            })
        }
        "RSA" => {
            let order = issued_order(sim, app_id, package)?;
            let public = wxjs_sign::pay_v3_public_key_pem(&wxjs_sign::PrivateKeyPem::new(
                merchant.v3_private_key.clone(),
            ))
            .map_err(|_| "the merchant has no v3 key")?;
            if !params.verify_v3(&public, pay_sign).unwrap_or(false) {
                return Err("paySign does not verify with the merchant's v3 public key".into());
            }
            Ok(PendingPay {
                app_id: app_id.to_owned(),
                form: PayForm::V3,
                order,
            })
        }
        other => Err(format!(
            "signType {other:?} is not one of SHA1, MD5, HMAC-SHA256, RSA"
        )),
    }
}

/// `chooseWXPay`: a page under one of the merchant's payment authorization directories with a
/// verified order gets the payment sheet, which waits for the person; a page outside them, or a
/// refused order, fails at once with the reason in the log (and, for the directory, in
/// `err_desc`, as the real app says it).
pub(super) fn carry_out(
    phone: &crate::phone::Phone,
    app_id: &str,
    params: &Map<String, Value>,
    page: &str,
) -> super::Outcome {
    let merchant = phone.sim().account(app_id).and_then(|a| a.merchant.clone());
    if let Some(m) = &merchant
        && !m.pays_from(page)
    {
        return super::Outcome::refused(
            format!(
                "payment refused: the page is not under the merchant's payment authorization directories ({})",
                m.pay_dirs.join(", ")
            ),
            serde_json::json!({
                "err_msg": "get_brand_wcpay_request:fail",
                "err_desc": format!("当前页面的URL未注册：{page}"),
            }),
        );
    }
    match verify(phone.sim(), app_id, params) {
        Ok(pay) => super::Outcome::prompt(serde_json::json!({
            "body": pay.order.body,
            "totalFee": pay.order.total_fee,
            "outTradeNo": pay.order.out_trade_no,
            // The cashier names who is paid: the account's name.
            "payee": phone.sim().account(app_id).map(|a| a.name.clone()).unwrap_or_default(),
        }))
        .pending(super::Pending::Pay(pay)),
        Err(why) => super::Outcome::refused(
            format!("payment refused: {why}"),
            super::fail("get_brand_wcpay_request", "fail"),
        ),
    }
}
