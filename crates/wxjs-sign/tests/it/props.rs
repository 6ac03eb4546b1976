//! Property tests: order never matters, fragments never count, verify(sign(x)) holds, any
//! one-byte change fails, packages round-trip in GBK and UTF-8.

use std::collections::BTreeMap;

use proptest::prelude::*;
use wxjs_sign::*;

/// Flips one byte of a string to another ASCII character, keeping it valid UTF-8 when the input
/// is ASCII; for non-ASCII input the change is made on a char.
fn mutate(s: &str, at: usize, to: char) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return to.to_string();
    }
    let i = at % chars.len();
    let mut out: Vec<char> = chars;
    if out[i] == to {
        out[i] = if to == 'a' { 'b' } else { 'a' };
    } else {
        out[i] = to;
    }
    out.into_iter().collect()
}

fn url_strategy() -> impl Strategy<Value = String> {
    (
        "(http|https)",
        "[a-z]{1,10}(\\.[a-z]{2,5}){0,2}",
        proptest::option::of(1u16..),
        "(/[a-zA-Z0-9_.~%=&?-]{0,12}){0,3}",
    )
        .prop_map(|(s, h, p, path)| match p {
            Some(p) => format!("{s}://{h}:{p}{path}"),
            None => format!("{s}://{h}{path}"),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_fragment_never_changes_the_config_signature(url in url_strategy(), frag in "[!-~]{0,20}", nonce in "[a-zA-Z0-9]{1,32}", ts in 0u64..4_000_000_000) {
        let t = JsapiTicket::new("ticket");
        let with = format!("{url}#{frag}");
        prop_assert_eq!(wxjs_sign::ConfigParams { url: &with, timestamp: ts, nonce_str: &nonce }.sign(&t), wxjs_sign::ConfigParams { url: &url, timestamp: ts, nonce_str: &nonce }.sign(&t), "signature check");
        let parsed = PageUrl::parse(&with).unwrap();
        prop_assert_eq!(parsed.for_signing(), url.as_str());
    }

    #[test]
    fn the_signature_alone_is_the_signature_over_string1(url in url_strategy(), frag in proptest::option::of("[!-~]{0,20}"), nonce in "[a-zA-Z0-9]{0,32}", ts in proptest::num::u64::ANY, ticket in "[!-~]{0,100}") {
        let t = JsapiTicket::new(ticket);
        let url = frag.map_or(url.clone(), |f| format!("{url}#{f}"));
        let params = wxjs_sign::ConfigParams { url: &url, timestamp: ts, nonce_str: &nonce };
        prop_assert_eq!(params.signature(&t), params.sign(&t).into_parts().1);
    }

    #[test]
    fn config_verify_accepts_its_own_and_rejects_any_change(url in url_strategy(), nonce in "[a-zA-Z0-9]{1,32}", ts in 0u64..4_000_000_000, at in 0usize..64, to in proptest::char::range('!', '~')) {
        let t = JsapiTicket::new("sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3");
        let sig = wxjs_sign::ConfigParams { url: &url, timestamp: ts, nonce_str: &nonce }.sign(&t).into_parts().1;
        prop_assert!(wxjs_sign::ConfigParams { url: &url, timestamp: ts, nonce_str: &nonce }.verify(&t, &sig), "signature check");
        let changed_url = mutate(&url, at, to);
        // A change after '#' is not a change of the signed URL.
        if changed_url.split('#').next() != url.split('#').next() {
            prop_assert!(!wxjs_sign::ConfigParams { url: &changed_url, timestamp: ts, nonce_str: &nonce }.verify(&t, &sig), "signature check");
        }
        prop_assert!(!wxjs_sign::ConfigParams { url: &url, timestamp: ts, nonce_str: &mutate(&nonce, at, to) }.verify(&t, &sig), "signature check");
        prop_assert!(!wxjs_sign::ConfigParams { url: &url, timestamp: ts ^ (1 << (at % 32)), nonce_str: &nonce }.verify(&t, &sig), "signature check");
        prop_assert!(!wxjs_sign::ConfigParams { url: &url, timestamp: ts, nonce_str: &nonce }.verify(&JsapiTicket::new(mutate(t.secret(), at, to)), &sig), "signature check");
        prop_assert!(!wxjs_sign::ConfigParams { url: &url, timestamp: ts, nonce_str: &nonce }.verify(&t, &mutate(&sig, at, to)), "signature check");
    }

    #[test]
    fn package_field_order_never_matters(pairs in proptest::collection::vec(("[a-z_]{1,12}", "[ -~]{0,16}"), 1..10), key in "[a-zA-Z0-9]{32}") {
        // One value per name (the first), so that both insertion orders build the same fields.
        let mut seen = std::collections::HashSet::new();
        let pairs: Vec<(String, String)> = pairs
            .into_iter()
            .filter(|(k, _)| k != "sign" && k != "input_charset" && seen.insert(k.clone()))
            .collect();
        prop_assume!(pairs.iter().any(|(_, v)| !v.is_empty()));
        let key = PartnerKey::new(key);
        let forward: BTreeMap<String, String> = pairs.iter().cloned().collect();
        let backward: BTreeMap<String, String> = pairs.iter().rev().cloned().collect();
        // BTreeMap already normalises order, so also check string1 is sorted regardless of input order.
        let p = sign_package(&forward, &key).unwrap();
        prop_assert_eq!(&p, &sign_package(&backward, &key).unwrap());
        let names: Vec<&str> = p.string1.split('&').filter_map(|kv| kv.split_once('=').map(|(k, _)| k)).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        // Values may contain '&'; only names that are field names count.
        let fields: Vec<&str> = names.iter().copied().filter(|n| forward.contains_key(*n)).collect();
        let mut fields_sorted = fields.clone();
        fields_sorted.sort_unstable();
        prop_assert_eq!(fields, fields_sorted);
    }

    #[test]
    fn package_round_trips_in_utf8(body in "\\PC{0,24}", attach in "\\PC{0,12}", key in "[a-zA-Z0-9]{32}") {
        round_trip("UTF-8", &body, &attach, &key)?;
    }

    #[test]
    fn package_round_trips_in_gbk(body in "\\PC{0,24}", attach in "\\PC{0,12}", key in "[a-zA-Z0-9]{32}") {
        let fields = fields("GBK", &body, &attach);
        match sign_package(&fields, &PartnerKey::new(key.clone())) {
            // Characters outside GBK must be refused, naming the field, not mangled.
            Err(PackageError::Unencodable { field, charset: Charset::Gbk }) => {
                prop_assert!(field == "body" || field == "attach");
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
            Ok(_) => round_trip("GBK", &body, &attach, &key)?,
        }
    }

    #[test]
    fn package_sign_changes_with_any_value(body in "[ -~]{1,24}", at in 0usize..24, to in proptest::char::range('!', '~'), key in "[a-zA-Z0-9]{32}") {
        let key = PartnerKey::new(key);
        let a = sign_package(&fields("UTF-8", &body, ""), &key).unwrap();
        let b = sign_package(&fields("UTF-8", &mutate(&body, at, to), ""), &key).unwrap();
        prop_assert_ne!(a.sign, b.sign);
    }

    #[test]
    fn card_signatures_ignore_argument_order_and_verify(a in "[a-zA-Z0-9]{0,12}", b in "[a-zA-Z0-9]{0,12}", c in "[a-zA-Z0-9]{1,12}", at in 0usize..12, to in proptest::char::range('0', 'z')) {
        let t = CardTicket::new("ticket");
        let s1 = wxjs_sign::CardExtParams { card_id: &b, code: &c, openid: "", timestamp: &a, nonce_str: "n" }.sign(&t);
        // The values are sorted, so swapping which argument holds which value changes nothing.
        let s2 = wxjs_sign::CardExtParams { card_id: &a, code: "", openid: &c, timestamp: &b, nonce_str: "n" }.sign(&t);
        prop_assert_eq!(s1.signature(), s2.signature());
        prop_assert!(wxjs_sign::CardExtParams { card_id: &b, code: &c, openid: "", timestamp: &a, nonce_str: "n" }.verify(&t, s1.signature()), "signature check");
        let changed = mutate(&c, at, to);
        prop_assert!(!wxjs_sign::CardExtParams { card_id: &b, code: &changed, openid: "", timestamp: &a, nonce_str: "n" }.verify(&t, s1.signature()), "signature check");
        let cs = wxjs_sign::CardSignParams { app_id: "wx1", location_id: &a, timestamp: &b, nonce_str: "n", card_id: &c, card_type: "GROUPON" }.sign(&t);
        prop_assert!(wxjs_sign::CardSignParams { app_id: "wx1", location_id: &a, timestamp: &b, nonce_str: "n", card_id: &c, card_type: "GROUPON" }.verify(&t, cs.signature()), "signature check");
        prop_assert!(!wxjs_sign::CardSignParams { app_id: "wx1", location_id: &a, timestamp: &b, nonce_str: "n", card_id: &changed, card_type: "GROUPON" }.verify(&t, cs.signature()), "signature check");
    }

    #[test]
    fn pay_v2_verifies_its_own_and_rejects_changes(nonce in "[A-Z0-9]{32}", pkg in "prepay_id=[a-z0-9]{10,30}", at in 0usize..32, to in proptest::char::range('!', '~')) {
        let key = PayApiKey::new("qazwsxedcrfvtgbyhnujmikolp111111");
        for st in [PaySignType::Md5, PaySignType::HmacSha256] {
            let sig = wxjs_sign::PayParams { app_id: "wxd678efh567hg6787", time_stamp: "1490840662", nonce_str: &nonce, package: &pkg }.sign_v2(st, &key).into_parts().1;
            prop_assert!(wxjs_sign::PayParams { app_id: "wxd678efh567hg6787", time_stamp: "1490840662", nonce_str: &nonce, package: &pkg }.verify_v2(st, &key, &sig), "signature check");
            prop_assert!(!wxjs_sign::PayParams { app_id: "wxd678efh567hg6787", time_stamp: "1490840662", nonce_str: &mutate(&nonce, at, to), package: &pkg }.verify_v2(st, &key, &sig), "signature check");
            prop_assert!(!wxjs_sign::PayParams { app_id: "wxd678efh567hg6787", time_stamp: "1490840662", nonce_str: &nonce, package: &pkg }.verify_v2(st, &key, &mutate(&sig, at, to)), "signature check");
        }
        let v1 = wxjs_sign::PayParams { app_id: "wx1", time_stamp: "1", nonce_str: &nonce, package: &pkg }.sign_2014(&PaySignKey::new("k")).into_parts().1;
        prop_assert!(wxjs_sign::PayParams { app_id: "wx1", time_stamp: "1", nonce_str: &nonce, package: &pkg }.verify_2014(&PaySignKey::new("k"), &v1), "signature check");
        prop_assert!(!wxjs_sign::PayParams { app_id: "wx1", time_stamp: "1", nonce_str: &nonce, package: &mutate(&pkg, at, to) }.verify_2014(&PaySignKey::new("k"), &v1), "signature check");
    }

    #[test]
    fn page_url_parse_never_panics_and_keeps_text(s in "\\PC{0,64}") {
        if let Ok(u) = PageUrl::parse(&s) {
            prop_assert_eq!(u.as_str(), s.as_str());
            prop_assert!(s.starts_with(u.for_signing()));
        }
    }
}

fn fields(charset: &str, body: &str, attach: &str) -> BTreeMap<String, String> {
    [
        ("bank_type", "WX"),
        ("body", body),
        ("attach", attach),
        ("fee_type", "1"),
        ("input_charset", charset),
        ("notify_url", "http://weixin.qq.com/notify?a=1&b=2"),
        ("out_trade_no", "7240b65810859cbf2a8d9f76a638c0a3"),
        ("partner", "1900000109"),
        ("spbill_create_ip", "196.168.1.1"),
        ("total_fee", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn round_trip(charset: &str, body: &str, attach: &str, key: &str) -> Result<(), TestCaseError> {
    let key = PartnerKey::new(key);
    let fields = fields(charset, body, attach);
    let signed = sign_package(&fields, &key).unwrap();
    let parsed = parse_package(&signed.package).unwrap();
    let expected: BTreeMap<String, String> =
        fields.into_iter().filter(|(_, v)| !v.is_empty()).collect();
    prop_assert_eq!(parsed.fields, expected);
    prop_assert_eq!(&parsed.sign, &signed.sign);
    prop_assert!(verify_package(&signed.package, &key));
    Ok(())
}

/// Hosts near the edges of the URL standard's host parser: punycode labels, numbers that read as
/// IPv4, empty labels, escapes, forbidden code points, non-ASCII, brackets.
fn edgy_host() -> impl Strategy<Value = String> {
    let label = prop_oneof![
        "[a-zA-Z][a-zA-Z0-9-]{0,6}",
        "[a-zA-Z0-9-]{0,4}",
        "[0-9]{1,4}",
        "0[xX][0-9a-fA-F]{0,3}",
        "[xX][nN]--[a-z0-9-]{0,8}",
        "[a-z_%*<>|^ 0-9]{1,4}",
        "(例子|测试|Ａ|ß|ｘｎ--a)",
        "\\[[0-9a-f:]{0,8}\\]",
    ];
    (proptest::collection::vec(label, 1..4), "(|\\.)")
        .prop_map(|(labels, trailing)| format!("{}{trailing}", labels.join(".")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// `PageUrl::parse` skips the URL standard's parsers for plain host names; for every text the
    /// answer (the URL, or the exact error) must be the one the full parsers give.
    #[test]
    fn the_plain_host_shortcut_answers_as_the_url_standard_does(
        // Mostly what reaches the host rules; now and then what stops before them.
        scheme in prop_oneof![6 => Just("http"), 3 => Just("HTTPS"), 1 => Just("Http"), 1 => Just("ftp")],
        slashes in prop_oneof![9 => Just("//"), 1 => Just("/"), 1 => Just("\\\\"), 1 => Just("")],
        host in edgy_host(),
        port in "(|:|:80|:443|:0|:08080|:65536|:x)",
        path in "(|[/?#\\\\][ -~]{0,12}|/活动页\\?a=测试#/x)",
    ) {
        let text = format!("{scheme}:{slashes}{host}{port}{path}");
        prop_assert_eq!(PageUrl::parse_with(&text, true), PageUrl::parse_with(&text, false), "{}", text);
    }
}

#[test]
fn the_plain_host_shortcut_agrees_on_known_edges() {
    for text in [
        "http://localhost/h5/page?a=1",
        "https://Example.COM:8443/x",
        "http://a..b/",
        "http://a.b./",
        "http://.a/",
        "http://1.2.3.4/",
        "http://a.1/",
        "http://a.0x1f/",
        "http://a.b1/",
        "http://xn--fiqs8s/",
        "http://XN--fiqs8s.com/",
        "http://xn--a.com/",
        "http://a-.b-/",
        "http://--a--b.c/",
        "http://a%41.com/",
        "http://例子.测试/",
        "http://[::1]:8080/",
        "http://a.b:/",
        "http://a.b\\c",
        "http://a.b?x#y",
    ] {
        assert_eq!(
            PageUrl::parse_with(text, true),
            PageUrl::parse_with(text, false),
            "{text}"
        );
    }
}
