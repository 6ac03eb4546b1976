//! The simulator's accounts: a TOML file and the built-in demo accounts.

use std::net::IpAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};
use wxjs_sign::{AppId, SafeDomain};

/// An account's kind, which sets its daily quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    /// A normal account: 2000 token calls a day.
    #[default]
    Normal,
    /// A test account: 200 token calls a day.
    Test,
}

impl AccountKind {
    /// Daily `/cgi-bin/token` calls.
    #[must_use]
    pub fn token_quota(self) -> u64 {
        match self {
            Self::Normal => 2000,
            Self::Test => 200,
        }
    }
}

/// A card the account has defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardDef {
    /// The card id.
    pub id: String,
    /// GROUPON, CASH, DISCOUNT, GIFT, GENERAL_COUPON, MEMBER_CARD, LUCKY_MONEY…
    #[serde(rename = "type")]
    pub card_type: String,
    /// Shown in the client.
    #[serde(default)]
    pub title: String,
}

/// Which platform key signs a merchant's v3 answers and notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PlatformKeyMode {
    /// The platform certificate's key (`Wechatpay-Serial` = the certificate's serial).
    #[default]
    Certificate,
    /// The WeChat Pay public key (`Wechatpay-Serial` = `PUB_KEY_ID_…`), as for newer merchants.
    PublicKey,
    /// The switch from the certificate to the public key: either key signs, turn by turn.
    Switching,
}

/// The account's merchant, for payments. Several accounts bind the same merchant by naming the
/// same `mch_id`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Merchant {
    /// The merchant id: `mch_id` (v2), `mchid` (v3), `partner` of the 2014 package.
    #[serde(alias = "mch_id")]
    pub partner_id: String,
    /// Signs the 2014 `package`.
    pub partner_key: String,
    /// The 2014 `paySignKey` (`appkey`).
    pub pay_sign_key: String,
    /// The WeChat Pay v2 API key.
    #[serde(default)]
    pub api_key: String,
    /// The merchant's WeChat Pay v3 private key (PEM). The platform verifies with its public half;
    /// the simulator keeps the whole key so that `wxjs dev` can hand it to the service.
    #[serde(default)]
    pub v3_private_key: String,
    /// The merchant's v3 public key (PEM), when the simulator is not given the private key.
    #[serde(default)]
    pub v3_public_key: String,
    /// The serial of the merchant's API certificate (`serial_no` of its requests).
    #[serde(default)]
    pub merchant_serial: String,
    /// The APIv3 key (32 characters): encrypts notifications and the certificate list.
    #[serde(default)]
    pub api_v3_key: String,
    /// Which platform key signs v3 answers and notifications.
    #[serde(default)]
    pub platform_key_mode: PlatformKeyMode,
    /// Before each v3 notification, send a probe whose signature starts `WECHATPAY/SIGNTEST/`
    /// (a correct merchant rejects it).
    #[serde(default)]
    pub probe_notifications: bool,
    /// Payment authorization directories (支付授权目录): URL prefixes ending in `/`; the app lets
    /// a page pay only when its URL lies under one.
    #[serde(default)]
    pub pay_dirs: Vec<String>,
}

impl Merchant {
    /// The merchant's v3 public key (PEM): the configured one, else the private key's half.
    #[must_use]
    pub fn v3_public_key_pem(&self) -> Option<String> {
        if !self.v3_public_key.trim().is_empty() {
            return Some(self.v3_public_key.clone());
        }
        wxjs_sign::pay_v3_public_key_pem(&wxjs_sign::PrivateKeyPem::new(
            self.v3_private_key.clone(),
        ))
        .ok()
    }

    /// Whether a page at `url` may ask this merchant's payments.
    #[must_use]
    pub fn pays_from(&self, url: &str) -> bool {
        let url = url.split('#').next().unwrap_or(url);
        self.pay_dirs.iter().any(|d| url.starts_with(d.as_str()))
    }
}

impl std::fmt::Debug for Merchant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Merchant")
            .field("partner_id", &self.partner_id)
            .finish_non_exhaustive()
    }
}

/// One simulated Official Account.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// The appId.
    pub app_id: String,
    /// The AppSecret.
    pub app_secret: String,
    /// A name shown in pages.
    #[serde(default)]
    pub name: String,
    /// Normal or test.
    #[serde(default)]
    pub kind: AccountKind,
    /// JS safe domains (`host` or `host:port`).
    #[serde(default)]
    pub domains: Vec<String>,
    /// JS APIs the account may use; `["*"]` for all.
    #[serde(default = "all_apis")]
    pub js_apis: Vec<String>,
    /// Mobile apps (their appIds) linked to the account on the open platform: the only ones its
    /// pages' `wx-open-launch-app` may open.
    #[serde(default)]
    pub linked_apps: Vec<String>,
    /// If not empty, only these caller IPs may fetch tokens.
    #[serde(default)]
    pub ip_allowlist: Vec<IpAddr>,
    /// Daily `getticket` calls.
    #[serde(default = "ticket_quota")]
    pub ticket_quota: u64,
    /// Defined cards.
    #[serde(default)]
    pub cards: Vec<CardDef>,
    /// The merchant, if the account takes payments.
    #[serde(default)]
    pub merchant: Option<Merchant>,
}

fn all_apis() -> Vec<String> {
    vec!["*".to_owned()]
}

fn ticket_quota() -> u64 {
    10_000
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("app_id", &self.app_id)
            .field("kind", &self.kind)
            .field("domains", &self.domains)
            .finish_non_exhaustive()
    }
}

impl Account {
    /// Whether the account may use a JS API.
    #[must_use]
    pub fn permits(&self, api: &str) -> bool {
        self.js_apis.iter().any(|a| a == "*" || a == api)
    }

    /// The parsed JS safe domains.
    #[must_use]
    pub fn safe_domains(&self) -> Vec<SafeDomain> {
        self.domains
            .iter()
            .filter_map(|d| SafeDomain::parse(d).ok())
            .collect()
    }
}

/// A simulated WeChat user who can authorise pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// A stable id; openids are derived from it per account.
    pub id: String,
    /// Nickname.
    pub nickname: String,
    /// 1 male, 2 female, 0 unknown.
    #[serde(default)]
    pub sex: u8,
    /// Province.
    #[serde(default)]
    pub province: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// Country.
    #[serde(default)]
    pub country: String,
}

/// The simulator's whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimConfig {
    /// Include the built-in demo accounts beside the file's.
    #[serde(default = "yes")]
    pub include_demo: bool,
    /// Accounts.
    #[serde(default, rename = "apps")]
    pub apps: Vec<Account>,
    /// Simulated users; the built-in ones when empty.
    #[serde(default)]
    pub users: Vec<User>,
}

fn yes() -> bool {
    true
}

/// The built-in demo account's appId.
pub const DEMO_APP_ID: &str = "wxdemo000000000001";
/// The built-in demo account's AppSecret (public: it is a demo).
pub const DEMO_APP_SECRET: &str = "5f1c8a2e9b7d4c6a3e0f1b2d8c7a9e4f";
/// The demo merchant's WeChat Pay v3 key: the published test key of the signature vectors.
/// It signs nothing real.
pub const DEMO_V3_PRIVATE_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCgKbHvn/zTOMu3\nEdERX21x/LMIgdDoFt9sIR0ebYgD77PZWxaA/eQxOkoDLOU+ceDYmIOs+9BwVLqP\nP3TEzT/Mq0PfwPvlQktxWBVN4wOlEPhlcz2jRovOVMw/HFB3Q+D4jFjFrOH+XorY\nmLoQkOSg3rAe1grRUp0CZB28p9UYJ9Plw/pegDs7pOxyb7bLbxkPYFqsGXhuYNxw\nKIdzl1gRI6Ad0AAul2Wg/ELa2tnVxdgZQ0+aswfkSSCvwvrwLIC5cwbcuegd/2pE\nsAaW99zXgNuzCtdCAFGD/OxN9cAE+5W0LWMZNwoGq50U5e7aqjOzVI7YgAY12KoX\nRKN2pTLRAgMBAAECggEAJTTabaC8cnMQvAQLDd6dxaufCZxio+/gUjW1FoL6ZHO0\nU4t6BFg2wQrZ87fjv2hkA90WRcKvztCYEDv9C9Tke87TczDZM459iSSdulzA1YFG\nOwcU7A+w3atMUWLp/HLL2eF8o9tAGr/qwFtmaf/G5OomfttZYvwulkYctF1Gvxfv\nUBUBu7LTv8+MrORPNxFYlPuCIq47QlquZfwToOX7pDUSyB2o2LamS0OQXH9h4aHb\n8wvagc0w/0pVWe0EAMUv27kQvvjSBP3KPVkYhQghK7+MKnwvpWiyne/t4/zPUnN7\nKch4IhW0N0KiVJw/f/DL3pNN9JjGIVbXRtzsRxHH+wKBgQDT54Y2/ICTWRd4Db1C\nK1sq5dQ2cb7iubd4X7E3bPMTC9+w1gtHOp0DEcmGDRDZfLZBoLj6OWtyfKeiPaaN\nebEY94pO6Lds944T4pvdWtvblNOw0YPrNyXvbhzro4Ko1VbFeUyCfRaG+1+jQOqf\nPHZkUko19EpK0c2xF5L6LWWMAwKBgQDBfdHY/rrzWS+PVyLUE+YIAF2wJptbcLaY\nRakmfkl1o1B6luadHjEzp8aU0RbQd4i2mPaHXCf3ZQCL+BQSXNx3vdug7KTDRds5\n3NBw3VRBkCXbztB+bqTx04OKME94n+mX3r0HehIp5D8YFSFNerNwayKI++giplpy\nYgQv21HPmwKBgCWUzynbWFZJm67wCNu+YrnV7vAE9kyxkUdo+T4SNX3wQijTnUZx\nr70Gn44FrTJVOuGixouiOVshnn1Yn7xBk9YQuNfL0BQkR29hZjE41vs3ht+6GMJT\nkofHKJvl8NtOksgM/jO6SY+A73I9ph69k2WxbnXpMG/ai7dXrfpuqK7PAoGBAIJr\nWlzXJhAM11/YreMhHnXaOUwYWbNCv/DXU3JcwQsH76ERwZO53BQjTFjWrngJeh8J\n73HBjjbU3494wZ629OvJDxbjKxNsLJ5N1jmdFcOzc7E7L5Fo5skRdqJYedimgP8a\n5XL6tu+Bp32GEJJ22Cg4LmkC0q84TdK3enb/b59tAoGASmhrq5yuMQTkmJVXyfVf\nhRgb4Qo/hZ8OGFMikhDG3C+PFBuG4NeH1wSnKOzvlGHinLFhG7x9XlMc6LfkLyG4\nDGvbt5XR30s4xO2Dg/W9o0Q3AOWGVtx9UfZM9YfBK6LYvLJ5bLjTOn3z0Kq7+TKT\ncYIn9C8MffKoAAMdJb01RYs=\n-----END PRIVATE KEY-----\n";

/// The demo merchant's API certificate serial.
pub const DEMO_MERCHANT_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A72";
/// The demo merchant's APIv3 key (a test key, published on purpose).
pub const DEMO_API_V3_KEY: &str = "wxjsDemoApiV3Key0123456789abcdef";

/// The built-in test account's appId.
pub const DEMO_TEST_APP_ID: &str = "wxtest000000000001";

/// Why a configuration is unusable.
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
    /// The TOML is malformed.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// A value is invalid.
    #[error("app {app}: {message}")]
    Invalid {
        /// The appId (or its index).
        app: String,
        /// What is wrong.
        message: String,
    },
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            include_demo: true,
            apps: Vec::new(),
            users: Vec::new(),
        }
    }
}

impl SimConfig {
    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text =
            wxjs_http::read_text_file(path, wxjs_http::TEXT_FILE_LIMIT).map_err(|message| {
                ConfigError::Read {
                    path: path.display().to_string(),
                    message,
                }
            })?;
        Self::from_toml(&text).map_err(|e| match e {
            ConfigError::Parse { message, .. } => ConfigError::Parse {
                path: path.display().to_string(),
                message,
            },
            other => other,
        })
    }

    /// Reads TOML text.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: "config".into(),
            message: wxjs_http::toml_error(text, &e),
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let mut seen = std::collections::HashSet::new();
        for (i, app) in self.apps.iter().enumerate() {
            let invalid = |message: String| ConfigError::Invalid {
                app: if app.app_id.is_empty() {
                    format!("#{i}")
                } else {
                    app.app_id.clone()
                },
                message,
            };
            AppId::parse(&app.app_id).map_err(|e| invalid(e.to_string()))?;
            if app.app_secret.is_empty() {
                return Err(invalid("app_secret is empty".into()));
            }
            for d in &app.domains {
                SafeDomain::parse(d).map_err(|e| invalid(e.to_string()))?;
            }
            if !seen.insert(app.app_id.clone()) {
                return Err(invalid("appears twice".into()));
            }
        }
        Ok(())
    }

    /// The accounts in force: the file's, then the demo accounts unless left out.
    #[must_use]
    pub fn accounts(&self) -> Vec<Account> {
        let mut apps = self.apps.clone();
        if self.include_demo {
            for demo in demo_accounts() {
                if !apps.iter().any(|a| a.app_id == demo.app_id) {
                    apps.push(demo);
                }
            }
        }
        apps
    }

    /// The simulated users in force.
    #[must_use]
    pub fn users(&self) -> Vec<User> {
        if self.users.is_empty() {
            demo_users()
        } else {
            self.users.clone()
        }
    }
}

/// The built-in accounts: a normal demo account and a test account, both on `localhost` and
/// `127.0.0.1`.
#[must_use]
pub fn demo_accounts() -> Vec<Account> {
    let cards = vec![
        CardDef {
            id: "pDemoGroupon00000000000000001".into(),
            card_type: "GROUPON".into(),
            title: "双人套餐团购券".into(),
        },
        CardDef {
            id: "pDemoCash0000000000000000001".into(),
            card_type: "CASH".into(),
            title: "10元代金券".into(),
        },
        CardDef {
            id: "pDemoMember00000000000000001".into(),
            card_type: "MEMBER_CARD".into(),
            title: "会员卡".into(),
        },
    ];
    let domains = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    vec![
        Account {
            app_id: DEMO_APP_ID.into(),
            app_secret: DEMO_APP_SECRET.into(),
            name: "wxjs demo".into(),
            kind: AccountKind::Normal,
            domains: domains.clone(),
            js_apis: all_apis(),
            linked_apps: vec!["wx1234567890abcdef".into()],
            ip_allowlist: Vec::new(),
            ticket_quota: ticket_quota(),
            cards: cards.clone(),
            merchant: Some(Merchant {
                partner_id: "1900000109".into(),
                partner_key: "8934e7d15453e97507ef794cf7b0519d".into(),
                pay_sign_key: "2Wozy2aksie1puXUBpWPqHGs4bK1sEdlCDJMQ2s1IqLr3nI5MavhRqBZWvTEUFsJwTiX0aiVVaSVhYDzcsILlhbxWqfBHPk4Eo45ZZ2brlddqxCcaBzEwd9FGVvV9X1c".into(),
                api_key: "qazwsxedcrfvtgbyhnujmikolp111111".into(),
                v3_private_key: DEMO_V3_PRIVATE_KEY.into(),
                v3_public_key: String::new(),
                merchant_serial: DEMO_MERCHANT_SERIAL.into(),
                api_v3_key: DEMO_API_V3_KEY.into(),
                platform_key_mode: PlatformKeyMode::Certificate,
                probe_notifications: false,
                // `wxjs dev` adds the phone's own origin.
                pay_dirs: vec!["http://localhost/".into(), "https://localhost/".into()],
            }),
        },
        Account {
            app_id: DEMO_TEST_APP_ID.into(),
            app_secret: "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d".into(),
            name: "wxjs test account".into(),
            kind: AccountKind::Test,
            domains,
            js_apis: all_apis(),
            linked_apps: vec!["wx1234567890abcdef".into()],
            ip_allowlist: Vec::new(),
            ticket_quota: 1000,
            cards,
            merchant: None,
        },
    ]
}

/// The built-in users.
#[must_use]
pub fn demo_users() -> Vec<User> {
    let user = |id: &str, nickname: &str, sex, city: &str| User {
        id: id.into(),
        nickname: nickname.into(),
        sex,
        province: "广东".into(),
        city: city.into(),
        country: "中国".into(),
    };
    vec![
        user("alice", "小爱", 2, "深圳"),
        user("bob", "阿波", 1, "广州"),
        user("carol", "Carol", 0, "珠海"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_file_with_defaults() {
        let c = SimConfig::from_toml(
            r#"
            [[apps]]
            app_id = "wx1a2b3c4d5e6f7a8b"
            app_secret = "s"
            kind = "test"
            domains = ["example.com", "localhost:8080"]
            ip_allowlist = ["10.0.0.1"]
            [[apps.cards]]
            id = "p1"
            type = "GROUPON"
            "#,
        )
        .unwrap();
        let apps = c.accounts();
        assert_eq!(apps.len(), 3);
        assert_eq!(apps[0].kind.token_quota(), 200);
        assert!(apps[0].permits("chooseImage"));
        assert_eq!(apps[0].cards[0].card_type, "GROUPON");
        assert_eq!(c.users().len(), 3);
    }

    #[test]
    fn rejects_bad_files_precisely() {
        let err = |t: &str| SimConfig::from_toml(t).unwrap_err().to_string();
        assert!(
            err("[[apps]]\napp_id = \"nope\"\napp_secret = \"s\"").contains("appId must start")
        );
        assert!(
            err("[[apps]]\napp_id = \"wx1a2b3c4d5e6f7a8b\"\napp_secret = \"\"")
                .contains("app_secret is empty")
        );
        assert!(err("[[apps]]\napp_id = \"wx1a2b3c4d5e6f7a8b\"\napp_secret = \"s\"\ndomains = [\"http://x\"]").contains("without scheme"));
        assert!(err("bogus = 1").contains("unknown field"));
        assert!(!format!("{:?}", demo_accounts()).contains(DEMO_APP_SECRET));
    }
}
