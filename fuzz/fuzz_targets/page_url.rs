//! `PageUrl::parse`, config signing and `diagnose`, on arbitrary text: never a panic, and a
//! parsed URL signs exactly what it is given without its `#…` part, and the plain-host shortcut
//! answers exactly as the URL standard's full parsers do.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wxjs_sign::{DiagnoseInput, JsapiTicket, PageUrl, SafeDomain, UsedConfig};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Lines: the URL, then what a page used (timestamp, nonce, signature), then a safe domain.
    let mut lines = text.split('\n');
    let url = lines.next().unwrap_or("");
    let ts = lines.next().unwrap_or("1414587457");
    let nonce = lines.next().unwrap_or("n");
    let sig = lines.next().unwrap_or("");
    let domain = lines.next().unwrap_or("example.com");
    let ticket = JsapiTicket::new("sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg");
    let parsed = PageUrl::parse(url);
    assert_eq!(parsed, PageUrl::parse_with(url, false), "the shortcut differs");
    if let Ok(page) = parsed {
        let signed = page.for_signing();
        assert!(url.starts_with(signed), "signs a prefix of the text");
        assert!(!signed.contains('#'));
        let _ = wxjs_sign::ConfigParams { url: signed, timestamp: 1, nonce_str: nonce }.sign(&ticket);
        if let Ok(d) = SafeDomain::parse(domain) {
            let _ = wxjs_sign::domain_allowed(&[d], &page);
        }
        let _ = page.browser_href();
    }
    let d = wxjs_sign::diagnose(&DiagnoseInput {
        used: UsedConfig {
            url,
            timestamp: ts,
            nonce_str: nonce,
            signature: sig,
        },
        page_url: lines.next(),
        ticket: &ticket,
        previous_tickets: &[],
        issued: ts.parse::<u64>().ok().map(|t| (t, nonce)),
    });
    let _ = serde_json::to_string(&d.findings);
});
