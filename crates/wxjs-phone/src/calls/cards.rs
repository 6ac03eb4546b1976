//! Cards in the emulated app: `addCard` checks each `cardExt` signature (the card api_ticket
//! form, or the 2014 appsecret form) and adds the accepted cards to the simulated user's wallet;
//! `chooseCard` checks `cardSign` — a wrong one yields an empty list, not an error, as the real
//! app does — and offers the wallet's matching cards; `openCard` shows cards.

use serde_json::{Map, Value, json};
use wxjs_platform::ticket::TicketType;
use wxjs_sign::{AppSecret, CardTicket};

use wxjs_sim::Sim;

/// A card in the simulated user's wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletCard {
    /// The card id.
    pub card_id: String,
    /// GROUPON, CASH…
    pub card_type: String,
    /// The title.
    pub title: String,
    /// The code.
    pub code: String,
}

/// One card of an `addCard` call, checked.
#[derive(Debug, Clone)]
pub struct CardOffer {
    /// The card id.
    pub card_id: String,
    /// The cardExt string as given.
    pub card_ext: String,
    /// Whether its signature and card are good.
    pub accepted: bool,
    /// Why not.
    pub why: Option<String>,
    /// The card as it would enter the wallet.
    pub card: Option<WalletCard>,
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// Checks the cards of a `batchAddCard`.
#[must_use]
pub fn check_add(sim: &Sim, app_id: &str, params: &Map<String, Value>) -> Vec<CardOffer> {
    let account = sim.account(app_id);
    let ticket = sim
        .current_ticket(app_id, TicketType::WxCard)
        .map(|t| CardTicket::new(t.value));
    let list = params
        .get("card_list")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    list.iter()
        .map(|c| {
            let card_id = s(c, "card_id").to_owned();
            let card_ext = s(c, "card_ext").to_owned();
            let def = account.and_then(|a| a.cards.iter().find(|d| d.id == card_id));
            let ext: Option<Value> = serde_json::from_str(&card_ext).ok();
            let verdict = match (def, &ext) {
                (None, _) => Err("the account has no such card".to_owned()),
                (_, None) => Err("cardExt is not a JSON object".to_owned()),
                (Some(_), Some(e)) => {
                    let (ts, code, openid, nonce, balance, sig) = (s(e, "timestamp"), s(e, "code"), s(e, "openid"), s(e, "nonce_str"), s(e, "balance"), s(e, "signature"));
                    let later = ticket.as_ref().is_some_and(|t| wxjs_sign::CardExtParams { card_id: &card_id, code, openid, timestamp: ts, nonce_str: nonce }.verify(t, sig));
                    let legacy = account.is_some_and(|a| wxjs_sign::CardExt2014Params { card_id: &card_id, code, openid, timestamp: ts, balance }.verify(&AppSecret::new(a.app_secret.clone()), sig));
                    if later || legacy { Ok(()) } else { Err("cardExt signature does not match the card ticket (or the 2014 appsecret form)".to_owned()) }
                }
            };
            let card = def.map(|d| WalletCard {
                card_id: d.id.clone(),
                card_type: d.card_type.clone(),
                title: d.title.clone(),
                code: ext.as_ref().map(|e| s(e, "code")).filter(|c| !c.is_empty()).map_or_else(
                    || wxjs_sign::nonce_of_len(12).bytes().map(|b| char::from(b'0' + b % 10)).collect(),
                    str::to_owned,
                ),
            });
            CardOffer { card_id, card_ext, accepted: verdict.is_ok(), why: verdict.err(), card }
        })
        .collect()
}

/// Checks a `chooseCard`'s `cardSign`.
#[must_use]
pub fn check_choose(sim: &Sim, params: &Map<String, Value>) -> bool {
    let p = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or("");
    let Some(ticket) = sim.current_ticket(p("app_id"), TicketType::WxCard) else {
        return false;
    };
    wxjs_sign::CardSignParams {
        app_id: p("app_id"),
        location_id: p("location_id"),
        timestamp: p("time_stamp"),
        nonce_str: p("nonce_str"),
        card_id: p("card_id"),
        card_type: p("card_type"),
    }
    .verify(&CardTicket::new(ticket.value), p("card_sign"))
}

/// A wallet card as the app's UI shows it, with the encrypted code `chooseCard` returns.
#[must_use]
pub fn shown(card: &WalletCard) -> Value {
    use base64::Engine as _;
    json!({
        "cardId": card.card_id,
        "cardType": card.card_type,
        "title": card.title,
        "code": card.code,
        "encryptCode": base64::engine::general_purpose::STANDARD.encode(format!("wxjs:{}", card.code)),
    })
}

/// `addCard` offers each card (accepted or refused, with why) and waits for the person;
/// `chooseCard` offers the wallet's matching cards; `openCard` shows the listed cards.
pub(super) fn carry_out(
    phone: &crate::phone::Phone,
    call: super::Card,
    app_id: &str,
    params: &Map<String, Value>,
) -> super::Outcome {
    use super::{Card, Outcome, Pending};
    match call {
        Card::Add => {
            let offers = check_add(phone.sim(), app_id, params);
            let shown: Vec<Value> = offers
                .iter()
                .map(|o| {
                    json!({
                        "cardId": o.card_id, "cardExt": o.card_ext, "accepted": o.accepted, "why": o.why,
                        "title": o.card.as_ref().map(|c| c.title.clone()),
                        "cardType": o.card.as_ref().map(|c| c.card_type.clone()),
                    })
                })
                .collect();
            Outcome::prompt(json!({ "cards": shown })).pending(Pending::Cards(offers))
        }
        Card::Choose => {
            if !check_choose(phone.sim(), params) {
                // The real app answers an empty choice, not an error.
                return Outcome::refused(
                    "cardSign does not match: an empty list".to_owned(),
                    json!({ "err_msg": "choose_card:ok", "choose_card_info": "[]" }),
                );
            }
            let p = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or("");
            let (want_id, want_type) = (p("card_id"), p("card_type"));
            let offered: Vec<Value> = phone
                .lock()
                .wallet
                .iter()
                .filter(|c| {
                    (want_id.is_empty() || c.card_id == want_id)
                        && (want_type.is_empty() || c.card_type == want_type)
                })
                .map(shown)
                .collect();
            Outcome::prompt(json!({ "wallet": offered }))
        }
        Card::ConsumeAndShare => Outcome::result(json!({ "err_msg": "consumedShareCard:ok" })),
        Card::View => {
            let list = params
                .get("card_list")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let wallet = phone.lock().wallet.clone();
            let cards: Vec<Value> = list
                .iter()
                .map(|c| {
                    let id = c.get("card_id").and_then(Value::as_str).unwrap_or("");
                    let code = c.get("code").and_then(Value::as_str).unwrap_or("");
                    json!({
                        "cardId": id, "code": code,
                        "inWallet": wallet.iter().any(|w| w.card_id == id && (code.is_empty() || w.code == code)),
                        "title": wallet.iter().find(|w| w.card_id == id).map(|w| w.title.clone()),
                    })
                })
                .collect();
            Outcome::prompt(json!({ "cards": cards }))
        }
    }
}
