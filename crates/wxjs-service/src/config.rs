//! The service's configuration: a TOML file, environment overrides, and secrets taken from the
//! file, the environment (`env:NAME`) or a file (`file:/path`). Secrets never reach `Debug`.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use wxjs_sign::{
    ApiV3Key, AppId, AppSecret, PartnerKey, PayApiKey, PaySignKey, PrivateKeyPem, SafeDomain,
};

/// Why the configuration is unusable. Messages name the key, never a secret's value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The TOML is malformed or has unknown keys.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// A value is invalid.
    #[error("{key}: {message}")]
    Invalid {
        /// The key (`apps[0].domains`).
        key: String,
        /// What is wrong.
        message: String,
    },
}

fn invalid(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        message: message.into(),
    }
}

/// The file's shape.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    listen: Option<SocketAddr>,
    platform_base_url: Option<String>,
    pay_base_url: Option<String>,
    environment: Option<String>,
    token_mode: Option<String>,
    log_format: Option<String>,
    #[serde(default)]
    store: StoreFile,
    #[serde(default)]
    rate_limit: RateLimitFile,
    #[serde(default)]
    api_keys: Vec<String>,
    #[serde(default)]
    allowed_hosts: Vec<String>,
    max_connections: Option<usize>,
    #[serde(default)]
    apps: Vec<AppFile>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StoreFile {
    kind: Option<String>,
    path: Option<PathBuf>,
    url: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RateLimitFile {
    per_minute: Option<u32>,
    burst: Option<u32>,
    trust_forwarded_for: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppFile {
    app_id: String,
    app_secret: Option<String>,
    #[serde(default)]
    domains: Vec<String>,
    js_api_list: Option<Vec<String>>,
    merchant: Option<MerchantFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MerchantFile {
    #[serde(alias = "mch_id")]
    partner_id: String,
    partner_key: Option<String>,
    pay_sign_key: Option<String>,
    api_key: Option<String>,
    private_key: Option<String>,
    api_v3_key: Option<String>,
    merchant_serial: Option<String>,
    platform_public_key: Option<String>,
    platform_public_key_id: Option<String>,
    notify_url: Option<String>,
}

/// Where credentials are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// In memory: lost on restart.
    Memory,
    /// A SQLite file: the embedded default.
    Sqlite(PathBuf),
    /// Redis, shared by instances. The URL may hold a password: `Debug` hides it.
    Redis(RedisUrl),
}

/// A Redis URL, kept out of `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisUrl(pub String);

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisUrl([redacted])")
    }
}

/// The per-client rate limit of the page endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests a minute per client; 0 turns the limit off.
    pub per_minute: u32,
    /// Requests allowed at once.
    pub burst: u32,
    /// Take the client from `X-Forwarded-For` (behind a trusted proxy only).
    pub trust_forwarded_for: bool,
}

/// A merchant's keys.
#[derive(Clone)]
pub struct Merchant {
    /// `partner` of the 2014 package.
    pub partner_id: String,
    /// Signs the 2014 package.
    pub partner_key: Option<PartnerKey>,
    /// The 2014 paySign's `appkey`.
    pub pay_sign_key: Option<PaySignKey>,
    /// The v2 API key (MD5, HMAC-SHA256).
    pub api_key: Option<PayApiKey>,
    /// The v3 private key (RSA): `apiclient_key.pem`.
    pub private_key: Option<PrivateKeyPem>,
    /// The APIv3 key (32 characters): decrypts notifications and the certificate list.
    pub api_v3_key: Option<ApiV3Key>,
    /// The serial of the merchant's API certificate (`serial_no` of v3 requests).
    pub merchant_serial: Option<String>,
    /// The WeChat Pay public key (PEM) and its id (`PUB_KEY_ID_…`), for merchants in public-key
    /// mode; without them the platform certificates are downloaded (`/v3/certificates`).
    pub platform_public_key: Option<(String, String)>,
    /// Where WeChat Pay notifies orders made through the service, unless the order says.
    pub notify_url: Option<String>,
}

impl Merchant {
    /// A merchant with only its id: add keys with struct update syntax.
    #[must_use]
    pub fn new(partner_id: impl Into<String>) -> Self {
        Self {
            partner_id: partner_id.into(),
            partner_key: None,
            pay_sign_key: None,
            api_key: None,
            private_key: None,
            api_v3_key: None,
            merchant_serial: None,
            platform_public_key: None,
            notify_url: None,
        }
    }

    /// Whether orders go to API v3 (an RSA key, its serial and an APIv3 key are configured).
    #[must_use]
    pub fn uses_v3(&self) -> bool {
        self.private_key.is_some() && self.merchant_serial.is_some() && self.api_v3_key.is_some()
    }
}

impl std::fmt::Debug for Merchant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Merchant")
            .field("partner_id", &self.partner_id)
            .finish_non_exhaustive()
    }
}

/// One account.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The appId.
    pub app_id: AppId,
    /// Its secret.
    pub app_secret: AppSecret,
    /// JS safe domains.
    pub domains: Vec<SafeDomain>,
    /// The `jsApiList` returned when a page asks for none.
    pub js_api_list: Vec<String>,
    /// The merchant, if any.
    pub merchant: Option<Merchant>,
}

/// An API key of a back end, kept out of `Debug`.
#[derive(Clone)]
pub struct ApiKey(pub(crate) String);

impl ApiKey {
    /// Wraps a key.
    #[must_use]
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

/// How the service logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One JSON object a line.
    #[default]
    Json,
    /// Human-readable lines.
    Text,
}

/// The whole configuration, resolved: secrets read, defaults applied, values checked.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The platform's base URL.
    pub platform_base_url: String,
    /// WeChat Pay's merchant API (`https://api.mch.weixin.qq.com`).
    pub pay_base_url: String,
    /// Namespaces store keys (`prod`, `staging`…).
    pub environment: String,
    /// Basic or stable tokens.
    pub token_mode: wxjs_client::TokenMode,
    /// JSON or text logs.
    pub log_format: LogFormat,
    /// Where credentials live.
    pub store: StoreConfig,
    /// Page endpoints' rate limit.
    pub rate_limit: RateLimit,
    /// Keys that open the back-end endpoints.
    pub api_keys: Vec<ApiKey>,
    /// Host names served besides the machine's own (`*.example.com` for subdomains, `*` for
    /// any): the name a reverse proxy passes on.
    pub allowed_hosts: Vec<String>,
    /// Open connections at most.
    pub max_connections: usize,
    /// Accounts.
    pub apps: Vec<AppConfig>,
}

/// WeChat Pay's merchant API.
pub const DEFAULT_PAY_BASE_URL: &str = "https://api.mch.weixin.qq.com";

/// The page endpoints' default limit per client: high enough that a whole site behind one
/// reverse proxy (one peer address) does not trip it; set `trust_forwarded_for` behind your
/// own proxy and lower it to limit each visitor.
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit {
    per_minute: 60_000,
    burst: 2_000,
    trust_forwarded_for: false,
};

/// Reads the environment: swappable in tests.
pub trait Env {
    /// The variable's value.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process's environment.
#[derive(Debug, Clone, Copy)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Env for std::collections::HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// A Redis URL by its scheme (the rest is the Redis client's to judge; the URL may hold a
/// password, so the error does not repeat it).
fn redis_url(key: &str, url: String) -> Result<String, ConfigError> {
    use wxjs_client::store::{REDIS_URL_FORMS, REDIS_URL_SCHEMES};
    if REDIS_URL_SCHEMES.iter().any(|s| url.starts_with(s)) {
        Ok(url)
    } else {
        Err(invalid(
            key,
            format!("is not a Redis URL ({REDIS_URL_FORMS})"),
        ))
    }
}

/// Resolves a secret given as a literal, `env:NAME` or `file:/path`.
fn secret(key: &str, spec: &str, env: &dyn Env) -> Result<String, ConfigError> {
    let value = if let Some(name) = spec.strip_prefix("env:") {
        env.var(name)
            .ok_or_else(|| invalid(key, format!("environment variable {name} is not set")))?
    } else if let Some(path) = spec.strip_prefix("file:") {
        wxjs_http::read_text_file(Path::new(path), wxjs_http::TEXT_FILE_LIMIT)
            .map_err(|e| invalid(key, format!("{path} {e}")))?
            .trim_end_matches(['\n', '\r'])
            .to_owned()
    } else {
        spec.to_owned()
    };
    if value.is_empty() {
        return Err(invalid(key, "is empty"));
    }
    Ok(value)
}

impl ServiceConfig {
    /// Reads a TOML file and applies the process's environment.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text =
            wxjs_http::read_text_file(path, wxjs_http::TEXT_FILE_LIMIT).map_err(|message| {
                ConfigError::Read {
                    path: path.display().to_string(),
                    message,
                }
            })?;
        Self::from_toml(&text, &ProcessEnv).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Reads TOML text with `env` for overrides and `env:` secrets.
    pub fn from_toml(text: &str, env: &dyn Env) -> Result<Self, ConfigError> {
        let file: File = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: "config".into(),
            message: wxjs_http::toml_error(text, &e),
        })?;
        Self::resolve(file, env)
    }

    fn resolve(file: File, env: &dyn Env) -> Result<Self, ConfigError> {
        let listen = match env.var("WXJS_LISTEN") {
            Some(v) => v
                .parse()
                .map_err(|_| invalid("WXJS_LISTEN", "is not an address such as 127.0.0.1:8082"))?,
            None => file
                .listen
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8082))),
        };
        let platform_base_url = env
            .var("WXJS_PLATFORM_BASE_URL")
            .or(file.platform_base_url)
            .unwrap_or_else(|| wxjs_platform::DEFAULT_BASE_URL.to_owned());
        let parsed = url::Url::parse(&platform_base_url)
            .map_err(|e| invalid("platform_base_url", e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid("platform_base_url", "must be an http or https URL"));
        }
        let environment = file.environment.unwrap_or_else(|| "prod".to_owned());
        if environment.is_empty()
            || !environment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid("environment", "must be letters, digits, - or _"));
        }
        let token_mode = match file.token_mode.as_deref() {
            None | Some("basic") => wxjs_client::TokenMode::Basic,
            Some("stable") => wxjs_client::TokenMode::Stable,
            Some(other) => {
                return Err(invalid(
                    "token_mode",
                    format!("must be basic or stable, not {other:?}"),
                ));
            }
        };
        let log_format = match file.log_format.as_deref() {
            None | Some("json") => LogFormat::Json,
            Some("text") => LogFormat::Text,
            Some(other) => {
                return Err(invalid(
                    "log_format",
                    format!("must be json or text, not {other:?}"),
                ));
            }
        };
        let store = match (
            env.var("WXJS_STORE").or(file.store.kind).as_deref(),
            env.var("WXJS_REDIS_URL"),
        ) {
            (_, Some(url)) => StoreConfig::Redis(RedisUrl(redis_url("WXJS_REDIS_URL", url)?)),
            (None | Some("sqlite"), None) => StoreConfig::Sqlite(
                file.store
                    .path
                    .unwrap_or_else(|| PathBuf::from(".wxjs/credentials.sqlite3")),
            ),
            (Some("memory"), None) => StoreConfig::Memory,
            (Some("redis"), None) => {
                let spec = file.store.url.ok_or_else(|| {
                    invalid(
                        "store.url",
                        "is required for the redis store (or set WXJS_REDIS_URL)",
                    )
                })?;
                StoreConfig::Redis(RedisUrl(redis_url(
                    "store.url",
                    secret("store.url", &spec, env)?,
                )?))
            }
            (Some(other), None) => {
                return Err(invalid(
                    "store.kind",
                    format!("must be memory, sqlite or redis, not {other:?}"),
                ));
            }
        };
        let rate_limit = RateLimit {
            per_minute: file
                .rate_limit
                .per_minute
                .unwrap_or(DEFAULT_RATE_LIMIT.per_minute),
            burst: file.rate_limit.burst.unwrap_or(DEFAULT_RATE_LIMIT.burst),
            trust_forwarded_for: file.rate_limit.trust_forwarded_for.unwrap_or(false),
        };
        if rate_limit.per_minute > 0 && rate_limit.burst == 0 {
            return Err(invalid(
                "rate_limit.burst",
                "must be at least 1 (or set per_minute = 0 to turn the limit off)",
            ));
        }
        for (i, h) in file.allowed_hosts.iter().enumerate() {
            wxjs_http::HostPolicy::check_name(h)
                .map_err(|why| invalid(format!("allowed_hosts[{i}]"), why))?;
        }
        let max_connections = file.max_connections.unwrap_or(1024);
        if max_connections == 0 {
            return Err(invalid("max_connections", "must be at least 1"));
        }
        let mut api_keys = Vec::new();
        for (i, spec) in file.api_keys.iter().enumerate() {
            api_keys.push(ApiKey(secret(&format!("api_keys[{i}]"), spec, env)?));
        }
        if let Some(list) = env.var("WXJS_API_KEYS") {
            api_keys.extend(
                list.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(|k| ApiKey(k.to_owned())),
            );
        }
        if api_keys.iter().any(|k| k.0.len() < 16) {
            return Err(invalid(
                "api_keys",
                "every API key must be at least 16 characters",
            ));
        }
        if file.apps.is_empty() {
            return Err(invalid("apps", "at least one [[apps]] entry is required"));
        }
        let mut seen = BTreeSet::new();
        let mut apps = Vec::new();
        for (i, a) in file.apps.into_iter().enumerate() {
            let k = |field: &str| format!("apps[{i}].{field}");
            let app_id =
                AppId::parse(&a.app_id).map_err(|e| invalid(k("app_id"), e.to_string()))?;
            if !seen.insert(app_id.clone()) {
                return Err(invalid(k("app_id"), "appears twice"));
            }
            let env_name = format!("WXJS_APP_SECRET_{}", app_id.as_str().to_ascii_uppercase());
            let app_secret = match (env.var(&env_name), a.app_secret) {
                (Some(v), _) => v,
                (None, Some(spec)) => secret(&k("app_secret"), &spec, env)?,
                (None, None) => {
                    return Err(invalid(
                        k("app_secret"),
                        format!("is required (or set {env_name})"),
                    ));
                }
            };
            let mut domains = Vec::new();
            for d in &a.domains {
                domains
                    .push(SafeDomain::parse(d).map_err(|e| invalid(k("domains"), e.to_string()))?);
            }
            if domains.is_empty() {
                return Err(invalid(
                    k("domains"),
                    "at least one JS safe domain is required",
                ));
            }
            let js_api_list = a.js_api_list.unwrap_or_else(|| {
                wxjs_platform::jsapi::ALL
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect()
            });
            if let Some(bad) = js_api_list
                .iter()
                .find(|n| !wxjs_platform::jsapi::is_known(n))
            {
                return Err(invalid(
                    k("js_api_list"),
                    format!("{bad:?} is not a JS-SDK interface"),
                ));
            }
            let merchant = a
                .merchant
                .map(|m| {
                    let opt = |field: &str, spec: Option<String>| {
                        spec.map(|s| secret(&k(&format!("merchant.{field}")), &s, env))
                            .transpose()
                    };
                    Ok::<_, ConfigError>(Merchant {
                        partner_id: m.partner_id,
                        partner_key: opt("partner_key", m.partner_key)?.map(PartnerKey::new),
                        pay_sign_key: opt("pay_sign_key", m.pay_sign_key)?.map(PaySignKey::new),
                        api_key: opt("api_key", m.api_key)?.map(PayApiKey::new),
                        private_key: opt("private_key", m.private_key)?
                            .map(PrivateKeyPem::new)
                            .map(|pem| {
                                // Refuse to start on a key that cannot sign, rather than fail
                                // every payment later.
                                wxjs_sign::pay_v3_public_key_pem(&pem)
                                    .map(|_| pem)
                                    .map_err(|_| {
                                        invalid(
                                            k("merchant.private_key"),
                                            "is not an RSA private key in PEM (PKCS#8 or PKCS#1)",
                                        )
                                    })
                            })
                            .transpose()?,
                        api_v3_key: opt("api_v3_key", m.api_v3_key)?
                            .map(|key| {
                                if key.len() == 32 {
                                    Ok(ApiV3Key::new(key))
                                } else {
                                    Err(invalid(
                                        k("merchant.api_v3_key"),
                                        format!(
                                            "must be 32 characters (it has {})",
                                            key.chars().count()
                                        ),
                                    ))
                                }
                            })
                            .transpose()?,
                        merchant_serial: m.merchant_serial.filter(|s| !s.is_empty()),
                        platform_public_key: match (m.platform_public_key, m.platform_public_key_id)
                        {
                            (None, None) => None,
                            (Some(pem), Some(id)) => {
                                let pem = secret(&k("merchant.platform_public_key"), &pem, env)?;
                                wxjs_sign::V3PublicKey::from_pem(&pem).map_err(|_| {
                                    invalid(
                                        k("merchant.platform_public_key"),
                                        "is not an RSA public key in PEM",
                                    )
                                })?;
                                Some((pem, id))
                            }
                            _ => {
                                return Err(invalid(
                                    k("merchant.platform_public_key"),
                                    "platform_public_key and platform_public_key_id go together",
                                ));
                            }
                        },
                        notify_url: m
                            .notify_url
                            .map(|u| {
                                wxjs_sign::PageUrl::parse(&u).map(|_| u).map_err(|_| {
                                    invalid(
                                        k("merchant.notify_url"),
                                        "must be an http or https URL",
                                    )
                                })
                            })
                            .transpose()?,
                    })
                })
                .transpose()?;
            apps.push(AppConfig {
                app_id,
                app_secret: AppSecret::new(app_secret),
                domains,
                js_api_list,
                merchant,
            });
        }
        let pay_base_url = env
            .var("WXJS_PAY_BASE_URL")
            .or(file.pay_base_url)
            .unwrap_or_else(|| DEFAULT_PAY_BASE_URL.to_owned());
        if !(pay_base_url.starts_with("https://") || pay_base_url.starts_with("http://")) {
            return Err(invalid("pay_base_url", "must be an http or https URL"));
        }
        Ok(Self {
            listen,
            platform_base_url: platform_base_url.trim_end_matches('/').to_owned(),
            pay_base_url: pay_base_url.trim_end_matches('/').to_owned(),
            environment,
            token_mode,
            log_format,
            store,
            rate_limit,
            api_keys,
            allowed_hosts: file.allowed_hosts,
            max_connections,
            apps,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const MIN: &str = "[[apps]]\napp_id = \"wx1a2b3c4d5e6f7a8b\"\napp_secret = \"env:SECRET_X\"\ndomains = [\"example.com\"]\n";

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_and_env_secrets() {
        let c = ServiceConfig::from_toml(MIN, &env(&[("SECRET_X", "s3cr3t-value")])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8082");
        assert_eq!(c.platform_base_url, "https://api.weixin.qq.com");
        assert_eq!(
            c.store,
            StoreConfig::Sqlite(PathBuf::from(".wxjs/credentials.sqlite3"))
        );
        assert_eq!(c.apps[0].app_secret.secret(), "s3cr3t-value");
        assert_eq!(c.apps[0].js_api_list.len(), 35);
        assert!(!format!("{c:?}").contains("s3cr3t-value"));
        // A whole site behind one proxy shares one peer address: it must not trip the default.
        assert_eq!(c.rate_limit, DEFAULT_RATE_LIMIT);
        assert!(c.rate_limit.per_minute >= 60_000);
        let off = ServiceConfig::from_toml(
            &format!("[rate_limit]\nper_minute = 0\n{MIN}"),
            &env(&[("SECRET_X", "x")]),
        )
        .unwrap();
        assert_eq!(off.rate_limit.per_minute, 0, "0 turns it off");
    }

    #[test]
    fn environment_overrides() {
        let c = ServiceConfig::from_toml(
            MIN,
            &env(&[
                ("SECRET_X", "from-file-spec"),
                ("WXJS_APP_SECRET_WX1A2B3C4D5E6F7A8B", "from-override"),
                ("WXJS_REDIS_URL", "redis://:pw@127.0.0.1/"),
                ("WXJS_LISTEN", "0.0.0.0:9000"),
                ("WXJS_API_KEYS", "k1-0123456789abcdef, k2-0123456789abcdef"),
            ]),
        )
        .unwrap();
        assert_eq!(c.apps[0].app_secret.secret(), "from-override");
        assert!(matches!(c.store, StoreConfig::Redis(_)));
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.api_keys.len(), 2);
        assert!(!format!("{c:?}").contains("pw@"));
    }

    #[test]
    fn errors_name_the_key_and_never_the_secret() {
        let e = |t: &str, pairs: &[(&str, &str)]| {
            ServiceConfig::from_toml(t, &env(pairs))
                .unwrap_err()
                .to_string()
        };
        assert!(
            e(MIN, &[]).contains("apps[0].app_secret: environment variable SECRET_X is not set")
        );
        assert!(e("", &[]).contains("apps: at least one"));
        assert!(e("bogus = 1", &[]).contains("unknown field"));
        let bad_domain = MIN.replace("example.com", "https://example.com/");
        assert!(e(&bad_domain, &[("SECRET_X", "x")]).contains("apps[0].domains"));
        let bad_api = format!("{MIN}js_api_list = [\"fly\"]\n");
        assert!(e(&bad_api, &[("SECRET_X", "x")]).contains("\"fly\" is not a JS-SDK interface"));
        let short_key = format!("api_keys = [\"short-secret\"]\n{MIN}");
        let msg = e(&short_key, &[("SECRET_X", "x")]);
        assert!(
            msg.contains("at least 16") && !msg.contains("short-secret"),
            "{msg}"
        );
        assert!(
            e(&format!("token_mode = \"x\"\n{MIN}"), &[("SECRET_X", "x")]).contains("token_mode")
        );
        let bad_key = format!(
            "{MIN}[apps.merchant]\npartner_id = \"1900000109\"\nprivate_key = \"not a PEM SECRET\"\n"
        );
        let msg = e(&bad_key, &[("SECRET_X", "x")]);
        assert!(
            msg.contains("apps[0].merchant.private_key: is not an RSA private key")
                && !msg.contains("SECRET"),
            "{msg}"
        );
        assert!(
            e(
                &format!("allowed_hosts = [\"a b\"]\n{MIN}"),
                &[("SECRET_X", "x")]
            )
            .contains("allowed_hosts[0]")
        );
        assert!(
            e(
                &format!("[store]\nkind = \"redis\"\n{MIN}"),
                &[("SECRET_X", "x")]
            )
            .contains("store.url")
        );
    }
}
