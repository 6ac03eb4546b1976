//! The 2014 `package` parser and verifier on arbitrary text: never a panic; a package that
//! parses and verifies signs again to the same text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wxjs_sign::PartnerKey;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let key = PartnerKey::new("8934e7d15453e97507ef794cf7b0519d");
    let verified = wxjs_sign::verify_package(text, &key);
    if let Ok(parsed) = wxjs_sign::parse_package(text) {
        let _ = wxjs_sign::charset_of(&parsed.fields);
        if verified {
            assert!(wxjs_sign::sign_package(&parsed.fields, &key).is_ok());
        }
    }
});
