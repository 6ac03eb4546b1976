//! The service's TOML configuration: any text gives a config or an error naming a key, never a
//! panic, and an error never repeats a secret given as a literal.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env: HashMap<String, String> = HashMap::new();
    match wxjs_service::ServiceConfig::from_toml(text, &env) {
        Ok(config) => {
            let debug = format!("{config:?}");
            for app in &config.apps {
                assert!(
                    app.app_secret.secret().len() < 8 || !debug.contains(app.app_secret.secret()),
                    "a secret in Debug"
                );
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
