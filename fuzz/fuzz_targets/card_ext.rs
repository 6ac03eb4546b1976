//! `cardExt` JSON as a page passes it to `addCard`: parsing it as the client does never
//! panics, and what parses serialises back to JSON that parses the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wxjs_sign::{CardExt, CardTicket};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(ext) = serde_json::from_str::<CardExt>(text) {
        let again: CardExt = serde_json::from_str(&ext.to_json()).expect("round trip");
        assert_eq!(again, ext);
        let ticket = CardTicket::new("IpK_1T69hDhZkLQTlwsAX8XwxpFyIjBUCA7Bqe5DFb8WEuj2bbVbl5QG3QuXMkm6UP8v_WqPUk3j6J8pxUAbEA");
        let _ = wxjs_sign::CardExtParams { card_id: "pDemoGroupon00000000000000001", code: &ext.code, openid: &ext.openid, timestamp: &ext.timestamp, nonce_str: &ext.nonce_str }.verify(&ticket, &ext.signature);
        let _ = wxjs_sign::CardExt2014Params { card_id: "pDemoGroupon00000000000000001", code: &ext.code, openid: &ext.openid, timestamp: &ext.timestamp, balance: &ext.balance }.verify(&wxjs_sign::AppSecret::new("5f1c8a2e9b7d4c6a3e0f1b2d8c7a9e4f"), &ext.signature);
    }
});
