//! The interfaces jweixin 1.1.0 to 1.6.0 added that are families of their own
//! (`bridge-protocol-later.md`): the address sheet, enterprise red packets and chats, iBeacons,
//! opening mini programs and business views, choosing invoices.

use serde_json::{Map, Value, json};
use wxjs_platform::ticket::TicketType;
use wxjs_sign::{CardSignParams, CardTicket, PayApiKey, PayParams, PaySignKey, PaySignType};

use super::{Beacons, Outcome, fail};
use crate::phone::Phone;

fn text<'a>(p: &'a Map<String, Value>, k: &str) -> &'a str {
    p.get(k).and_then(Value::as_str).unwrap_or("")
}

/// `openAddress`: the address sheet with the simulated user's saved addresses.
pub(super) fn address(phone: &Phone) -> Outcome {
    let shown: Vec<Value> = phone.addresses().iter().map(|a| a.as_result()).collect();
    Outcome::prompt(json!({ "addresses": shown }))
}

/// `openEnterpriseRedPacket`: its `paySign` is checked like `chooseWXPay`'s, with the account's
/// merchant keys (the 2014 form with the paySignKey, v2 with the API key).
pub(super) fn red_packet(
    phone: &Phone,
    app_id: &str,
    name: &str,
    params: &Map<String, Value>,
) -> Outcome {
    let merchant = phone.sim().account(app_id).and_then(|a| a.merchant.clone());
    let Some(merchant) = merchant else {
        return Outcome::refused(
            "red packet refused: the account has no merchant".into(),
            fail(name, "fail"),
        );
    };
    let pay = PayParams {
        app_id,
        time_stamp: text(params, "timeStamp"),
        nonce_str: text(params, "nonceStr"),
        package: text(params, "package"),
    };
    let sign = text(params, "paySign");
    let ok = match text(params, "signType") {
        "" | "SHA1" => pay.verify_2014(&PaySignKey::new(merchant.pay_sign_key.clone()), sign),
        st => PaySignType::parse(st)
            .is_some_and(|t| pay.verify_v2(t, &PayApiKey::new(merchant.api_key.clone()), sign)),
    };
    if ok {
        Outcome::result(json!({ "err_msg": format!("{name}:ok") }))
    } else {
        Outcome::refused(
            "red packet refused: paySign does not match the merchant's key".into(),
            fail(name, "fail"),
        )
    }
}

/// `startSearchBeacons`/`stopSearchBeacons`: the app starts or stops reporting beacons (the
/// browser half then waits for automation's beacons and fires `onBeaconsInRange`).
pub(super) fn beacons(call: Beacons, name: &str) -> Outcome {
    match call {
        Beacons::Start | Beacons::Stop => {
            Outcome::result(json!({ "err_msg": format!("{name}:ok") }))
        }
    }
}

/// `openEnterpriseChat`: the chat opens.
pub(super) fn enterprise_chat(params: &Map<String, Value>) -> Outcome {
    if text(params, "useridlist").is_empty() {
        return Outcome::result(json!({ "err_msg": "openEnterpriseChat:fail", "err_code": 1 }));
    }
    Outcome::result(json!({ "err_msg": "openEnterpriseChat:ok", "err_code": 0 }))
}

/// `launchMiniProgram`: the person (or automation) lets the mini program open, or not.
pub(super) fn launch_mini_program(params: &Map<String, Value>) -> Outcome {
    if text(params, "targetAppId").is_empty() {
        return Outcome::result(fail("launchMiniProgram", "fail_invalid_appid"));
    }
    Outcome::prompt(json!({
        "targetAppId": text(params, "targetAppId"),
        "path": text(params, "path"),
        "envVersion": text(params, "envVersion"),
    }))
}

/// `openBusinessView`: recorded; what the business view hands back comes from the person's
/// answer (automation's `data.extraData`).
pub(super) fn business_view(params: &Map<String, Value>) -> Outcome {
    if text(params, "businessType").is_empty() {
        return Outcome::result(json!({ "err_msg": "openBusinessView:fail", "err_code": 1 }));
    }
    Outcome::prompt(json!({
        "businessType": text(params, "businessType"),
        "queryString": text(params, "queryString"),
        "envVersion": text(params, "envVersion"),
    }))
}

/// `chooseInvoice` (through `wx.invoke`): its `cardSign` is checked with the card api_ticket
/// over appid, timestamp, nonce and the card type `INVOICE`; a wrong one gives an empty choice,
/// as `chooseCard` does.
pub(super) fn choose_invoice(phone: &Phone, app_id: &str, params: &Map<String, Value>) -> Outcome {
    let ticket = phone
        .sim()
        .current_ticket(app_id, TicketType::WxCard)
        .map(|t| CardTicket::new(t.value));
    let timestamp = params
        .get("timestamp")
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default();
    let signed = CardSignParams {
        app_id,
        location_id: "",
        timestamp: &timestamp,
        nonce_str: text(params, "nonceStr"),
        card_id: "",
        card_type: "INVOICE",
    };
    let ok = ticket
        .as_ref()
        .is_some_and(|t| signed.verify(t, text(params, "cardSign")));
    if ok {
        Outcome::prompt(json!({ "invoices": [] }))
    } else {
        Outcome::refused(
            "cardSign does not match (card ticket over appid, timestamp, nonceStr, INVOICE): an empty list".into(),
            json!({ "err_msg": "chooseInvoice:ok", "choose_invoice_info": "[]" }),
        )
    }
}
