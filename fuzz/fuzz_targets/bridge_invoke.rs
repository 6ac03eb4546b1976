//! The emulated WeChat app's server half on arbitrary invoke JSON from a page: every call is
//! answered (a result, or what the page must ask the person), never a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wxjs_phone::phone::{InvokeRequest, Os, Phone};
use wxjs_sim::{Sim, SimConfig};

fn phone() -> &'static Phone {
    static PHONE: OnceLock<Phone> = OnceLock::new();
    PHONE.get_or_init(|| {
        let sim = Sim::new(&SimConfig::default(), None).expect("in memory");
        Phone::new(sim, Os::Ios)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(req) = serde_json::from_slice::<InvokeRequest>(data) else {
        return;
    };
    let c = phone();
    let answer = c.invoke(req);
    // The page half reports what it did with the call; any result is taken or refused.
    let _ = c.record_result(answer.id, serde_json::json!({ "err_msg": "x:ok" }));
    let _ = serde_json::to_string(&answer);
});
