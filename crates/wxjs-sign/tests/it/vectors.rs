//! Every vector of `tests/data/vectors.json` (a copy of the shared spec's) through the library.

use std::collections::BTreeMap;

use serde_json::Value;
use wxjs_sign::*;

fn vectors() -> Vec<Value> {
    let text = include_str!("../data/vectors.json");
    let doc: Value = serde_json::from_str(text).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("field {k} is not a string"))
}

/// Compares as the vector file says: hex case-insensitively unless `case` is given.
fn assert_digest(v: &Value, got: &str, want: &str) {
    match v["case"].as_str() {
        Some("lower") => assert_eq!(got, want.to_ascii_lowercase(), "{}", v["source"]),
        Some("upper") => assert_eq!(got, want.to_ascii_uppercase(), "{}", v["source"]),
        Some("exact") => assert_eq!(got, want, "{}", v["source"]),
        _ => assert_eq!(
            got.to_ascii_lowercase(),
            want.to_ascii_lowercase(),
            "{}",
            v["source"]
        ),
    }
}

#[test]
fn every_vector_signs_and_verifies() {
    let mut seen = BTreeMap::<String, usize>::new();
    for v in vectors() {
        let kind = s(&v, "kind");
        *seen.entry(kind.to_owned()).or_default() += 1;
        let i = &v["input"];
        match kind {
            "config" => {
                let t = JsapiTicket::new(s(i, "jsapi_ticket"));
                let ts = i["timestamp"].as_u64().unwrap();
                let signed = wxjs_sign::ConfigParams {
                    url: s(i, "url"),
                    timestamp: ts,
                    nonce_str: s(i, "noncestr"),
                }
                .sign(&t);
                assert_eq!(signed.string1(), s(&v, "string1"));
                assert_digest(&v, signed.signature(), s(&v, "signature"));
                let alone = wxjs_sign::ConfigParams {
                    url: s(i, "url"),
                    timestamp: ts,
                    nonce_str: s(i, "noncestr"),
                }
                .signature(&t);
                assert_digest(&v, &alone, s(&v, "signature"));
                assert!(
                    wxjs_sign::ConfigParams {
                        url: s(i, "url"),
                        timestamp: ts,
                        nonce_str: s(i, "noncestr")
                    }
                    .verify(&t, s(&v, "signature"))
                );
                // Through a validated PageUrl too.
                let url = PageUrl::parse(s(i, "url")).unwrap();
                assert_eq!(
                    wxjs_sign::ConfigParams {
                        url: url.for_signing(),
                        timestamp: ts,
                        nonce_str: s(i, "noncestr")
                    }
                    .sign(&t),
                    signed
                );
            }
            "package" => {
                let fields: BTreeMap<String, String> =
                    serde_json::from_value(i["fields"].clone()).unwrap();
                let key = PartnerKey::new(s(i, "partner_key"));
                let p = sign_package(&fields, &key).unwrap();
                assert_eq!(p.string1, s(&v, "string1"));
                assert_digest(&v, &p.sign, s(&v, "sign"));
                assert_eq!(p.package, s(&v, "package"));
                assert!(verify_package(s(&v, "package"), &key));
                let parsed = parse_package(&p.package).unwrap();
                let non_empty: BTreeMap<_, _> =
                    fields.into_iter().filter(|(_, v)| !v.is_empty()).collect();
                assert_eq!(parsed.fields, non_empty);
            }
            "pay-sign-v1" => {
                let key = PaySignKey::new(s(i, "appkey"));
                let args = (
                    s(i, "appid"),
                    s(i, "noncestr"),
                    s(i, "package"),
                    s(i, "timestamp"),
                );
                let signed = wxjs_sign::PayParams {
                    app_id: args.0,
                    time_stamp: args.3,
                    nonce_str: args.1,
                    package: args.2,
                }
                .sign_2014(&key);
                assert_eq!(signed.string1(), s(&v, "string1"));
                assert_digest(&v, signed.signature(), s(&v, "signature"));
                assert!(
                    wxjs_sign::PayParams {
                        app_id: args.0,
                        time_stamp: args.3,
                        nonce_str: args.1,
                        package: args.2
                    }
                    .verify_2014(&key, s(&v, "signature"))
                );
            }
            "card-ext-2014" => {
                let secret = AppSecret::new(s(i, "appsecret"));
                let a = [
                    s(i, "timestamp"),
                    s(i, "card_id"),
                    s(i, "code"),
                    s(i, "openid"),
                    s(i, "balance"),
                ];
                let signed = wxjs_sign::CardExt2014Params {
                    card_id: a[1],
                    code: a[2],
                    openid: a[3],
                    timestamp: a[0],
                    balance: a[4],
                }
                .sign(&secret);
                assert_eq!(signed.string1(), s(&v, "string1"));
                assert_digest(&v, signed.signature(), s(&v, "signature"));
                assert!(
                    wxjs_sign::CardExt2014Params {
                        card_id: a[1],
                        code: a[2],
                        openid: a[3],
                        timestamp: a[0],
                        balance: a[4]
                    }
                    .verify(&secret, s(&v, "signature"))
                );
            }
            "card-ext" => {
                let t = CardTicket::new(s(i, "api_ticket"));
                let a = [
                    s(i, "timestamp"),
                    s(i, "card_id"),
                    s(i, "code"),
                    s(i, "openid"),
                    s(i, "nonce_str"),
                ];
                let signed = wxjs_sign::CardExtParams {
                    card_id: a[1],
                    code: a[2],
                    openid: a[3],
                    timestamp: a[0],
                    nonce_str: a[4],
                }
                .sign(&t);
                assert_eq!(signed.string1(), s(&v, "string1"));
                assert_digest(&v, signed.signature(), s(&v, "signature"));
                assert!(
                    wxjs_sign::CardExtParams {
                        card_id: a[1],
                        code: a[2],
                        openid: a[3],
                        timestamp: a[0],
                        nonce_str: a[4]
                    }
                    .verify(&t, s(&v, "signature"))
                );
                let ext = wxjs_sign::CardExtParams {
                    card_id: a[1],
                    code: a[2],
                    openid: a[3],
                    timestamp: a[0],
                    nonce_str: a[4],
                }
                .card_ext(&t);
                let json: Value = serde_json::from_str(&ext.to_json()).unwrap();
                assert_eq!(json["timestamp"], a[0]);
                assert_eq!(json["nonce_str"], a[4]);
                assert_digest(&v, json["signature"].as_str().unwrap(), s(&v, "signature"));
            }
            "card-sign" => {
                let t = CardTicket::new(s(i, "api_ticket"));
                let a = [
                    s(i, "app_id"),
                    s(i, "location_id"),
                    s(i, "times_tamp"),
                    s(i, "nonce_str"),
                    s(i, "card_id"),
                    s(i, "card_type"),
                ];
                let signed = wxjs_sign::CardSignParams {
                    app_id: a[0],
                    location_id: a[1],
                    timestamp: a[2],
                    nonce_str: a[3],
                    card_id: a[4],
                    card_type: a[5],
                }
                .sign(&t);
                assert_eq!(signed.string1(), s(&v, "string1"));
                assert_digest(&v, signed.signature(), s(&v, "signature"));
                assert!(
                    wxjs_sign::CardSignParams {
                        app_id: a[0],
                        location_id: a[1],
                        timestamp: a[2],
                        nonce_str: a[3],
                        card_id: a[4],
                        card_type: a[5]
                    }
                    .verify(&t, s(&v, "signature"))
                );
            }
            "addr-sign" => {
                let tok = AccessToken::new(s(i, "accesstoken"));
                let a = [
                    s(i, "appid"),
                    s(i, "url"),
                    s(i, "timestamp"),
                    s(i, "noncestr"),
                ];
                let signed = wxjs_sign::AddrParams {
                    app_id: a[0],
                    url: a[1],
                    timestamp: a[2],
                    nonce_str: a[3],
                }
                .sign(&tok);
                assert_eq!(signed.string1(), s(&v, "string1"));
                assert_digest(&v, signed.signature(), s(&v, "signature"));
                assert!(
                    wxjs_sign::AddrParams {
                        app_id: a[0],
                        url: a[1],
                        timestamp: a[2],
                        nonce_str: a[3]
                    }
                    .verify(&tok, s(&v, "signature"))
                );
            }
            "pay-sign-v2" => {
                let key = PayApiKey::new(s(i, "key"));
                let st = PaySignType::parse(s(i, "signType")).unwrap();
                let a = [
                    s(i, "appId"),
                    s(i, "timeStamp"),
                    s(i, "nonceStr"),
                    s(i, "package"),
                ];
                let signed = wxjs_sign::PayParams {
                    app_id: a[0],
                    time_stamp: a[1],
                    nonce_str: a[2],
                    package: a[3],
                }
                .sign_v2(st, &key);
                assert_eq!(signed.string1(), s(&v, "string1"));
                assert_digest(&v, signed.signature(), s(&v, "signature"));
                assert!(
                    wxjs_sign::PayParams {
                        app_id: a[0],
                        time_stamp: a[1],
                        nonce_str: a[2],
                        package: a[3]
                    }
                    .verify_v2(st, &key, s(&v, "signature"))
                );
            }
            // Without the feature there is no v3 to check (scripts/test runs with it).
            #[cfg(not(feature = "pay-v3"))]
            "pay-sign-v3" => {}
            #[cfg(feature = "pay-v3")]
            "pay-sign-v3" => {
                let pem = PrivateKeyPem::new(s(i, "private_key_pem"));
                let a = [
                    s(i, "appId"),
                    s(i, "timeStamp"),
                    s(i, "nonceStr"),
                    s(i, "package"),
                ];
                let signed = wxjs_sign::PayParams {
                    app_id: a[0],
                    time_stamp: a[1],
                    nonce_str: a[2],
                    package: a[3],
                }
                .sign_v3(&pem)
                .unwrap();
                assert_eq!(signed.string1(), s(&v, "string1"));
                assert_digest(&v, signed.signature(), s(&v, "signature"));
                let public = pay_v3_public_key_pem(&pem).unwrap();
                assert!(
                    wxjs_sign::PayParams {
                        app_id: a[0],
                        time_stamp: a[1],
                        nonce_str: a[2],
                        package: a[3]
                    }
                    .verify_v3(&public, s(&v, "signature"))
                    .unwrap()
                );
                assert!(
                    !wxjs_sign::PayParams {
                        app_id: a[0],
                        time_stamp: "1414561700",
                        nonce_str: a[2],
                        package: a[3]
                    }
                    .verify_v3(&public, s(&v, "signature"))
                    .unwrap()
                );
            }
            other => panic!("unknown vector kind {other}"),
        }
    }
    // Every kind of the contract is covered by at least one vector.
    for kind in [
        "config",
        "package",
        "pay-sign-v1",
        "card-ext-2014",
        "card-ext",
        "card-sign",
        "addr-sign",
        "pay-sign-v2",
        "pay-sign-v3",
    ] {
        assert!(seen.contains_key(kind), "no vector for {kind}");
    }
}

/// Cases of our own beside the shared vectors: ports, Unicode, `&`, `=`, `%` and queries are signed
/// byte for byte.
#[test]
fn urls_are_signed_byte_for_byte() {
    let t = JsapiTicket::new("T");
    for url in [
        "http://localhost:8080/",
        "https://a.com/p?q=%E6%B4%BB&x=a=b&y=%",
        "https://a.com/活动?x=1",
        "https://a.com/p?x=1&amp;y=2",
        "https://a.com",
    ] {
        let signed = wxjs_sign::ConfigParams {
            url,
            timestamp: 1,
            nonce_str: "n",
        }
        .sign(&t);
        assert_eq!(
            signed.string1(),
            format!("jsapi_ticket=T&noncestr=n&timestamp=1&url={url}")
        );
    }
}
