//! `wxjs sign KIND`: the sandbox tool. Human mode takes `field=value` arguments; `--json` reads
//! one object with exactly the `input` fields of that kind in `vectors.json` and prints the
//! vector's output fields.

use std::collections::BTreeMap;

use clap::{Args, ValueEnum};
use serde_json::{Map, Value, json};
use wxjs_sign as ws;

use crate::CliError;

/// The kinds of signature, named as in `vectors.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kind {
    /// wx.config signature (appendix 1).
    Config,
    /// Payment package and its sign (appendix 5).
    Package,
    /// 2014 paySign, SHA-1 (appendix 5).
    PaySignV1,
    /// 2014 cardExt signature (appendix 6).
    #[value(name = "card-ext-2014")]
    CardExt2014,
    /// Later cardExt signature, with api_ticket and nonce_str.
    CardExt,
    /// chooseCard cardSign (appendix 6).
    CardSign,
    /// editAddress addrSign (appendix 4).
    AddrSign,
    /// WeChat Pay v2 paySign, MD5 or HMAC-SHA256.
    PaySignV2,
    /// WeChat Pay v3 paySign, SHA256withRSA.
    PaySignV3,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Package => "package",
            Self::PaySignV1 => "pay-sign-v1",
            Self::CardExt2014 => "card-ext-2014",
            Self::CardExt => "card-ext",
            Self::CardSign => "card-sign",
            Self::AddrSign => "addr-sign",
            Self::PaySignV2 => "pay-sign-v2",
            Self::PaySignV3 => "pay-sign-v3",
        }
    }

    /// The input fields: `(name, required)`. Optional fields default to "" (or, in human mode,
    /// a fresh nonce or timestamp where noted in `generated`).
    fn fields(self) -> &'static [(&'static str, bool)] {
        match self {
            Self::Config => &[
                ("jsapi_ticket", true),
                ("noncestr", true),
                ("timestamp", true),
                ("url", true),
            ],
            Self::Package => &[("fields", true), ("partner_key", true)],
            Self::PaySignV1 => &[
                ("appid", true),
                ("appkey", true),
                ("noncestr", true),
                ("package", true),
                ("timestamp", true),
            ],
            Self::CardExt2014 => &[
                ("appsecret", true),
                ("timestamp", true),
                ("card_id", true),
                ("code", false),
                ("openid", false),
                ("balance", false),
            ],
            Self::CardExt => &[
                ("api_ticket", true),
                ("timestamp", true),
                ("card_id", true),
                ("code", false),
                ("openid", false),
                ("nonce_str", true),
            ],
            Self::CardSign => &[
                ("api_ticket", true),
                ("app_id", true),
                ("location_id", false),
                ("times_tamp", true),
                ("nonce_str", true),
                ("card_id", false),
                ("card_type", false),
            ],
            Self::AddrSign => &[
                ("appid", true),
                ("url", true),
                ("timestamp", true),
                ("noncestr", true),
                ("accesstoken", true),
            ],
            Self::PaySignV2 => &[
                ("appId", true),
                ("timeStamp", true),
                ("nonceStr", true),
                ("package", true),
                ("signType", true),
                ("key", true),
            ],
            Self::PaySignV3 => &[
                ("appId", true),
                ("timeStamp", true),
                ("nonceStr", true),
                ("package", true),
                ("private_key_pem", true),
            ],
        }
    }

    /// Fields that human mode fills in when left out: a nonce or the current time.
    fn generated(field: &str) -> Option<String> {
        match field {
            "noncestr" | "nonce_str" | "nonceStr" => Some(ws::nonce_str()),
            "timestamp" | "times_tamp" | "timeStamp" => Some(ws::timestamp_now().to_string()),
            _ => None,
        }
    }
}

const AFTER_HELP: &str = "\
Fields of each KIND (as in vectors.json; * = required):
  config         jsapi_ticket* noncestr timestamp url*
  package        partner_key*  and the order fields: bank_type body attach partner out_trade_no
                 total_fee fee_type notify_url spbill_create_ip time_start time_expire
                 transport_fee product_fee goods_tag input_charset (GBK when absent)
  pay-sign-v1    appid* appkey* noncestr package* timestamp
  card-ext-2014  appsecret* timestamp card_id* code openid balance
  card-ext       api_ticket* timestamp card_id* code openid nonce_str
  card-sign      api_ticket* app_id* location_id times_tamp nonce_str card_id card_type
  addr-sign      appid* url* timestamp noncestr accesstoken*
  pay-sign-v2    appId* timeStamp nonceStr package* signType* (MD5 or HMAC-SHA256) key*
  pay-sign-v3    appId* timeStamp nonceStr package* private_key_pem* (or private_key_file=PATH)
In human mode a left-out nonce or timestamp is generated and shown.

Examples:
  wxjs sign config jsapi_ticket=TICKET url='https://example.com/page?a=1'
  echo '{\"jsapi_ticket\":\"T\",\"noncestr\":\"N\",\"timestamp\":1414587457,\"url\":\"http://mp.weixin.qq.com\"}' | wxjs sign config --json";

/// Arguments of `wxjs sign`.
#[derive(Debug, Args)]
#[command(after_help = AFTER_HELP)]
pub(crate) struct SignArgs {
    /// Which signature.
    #[arg(value_enum)]
    kind: Kind,
    /// The inputs as FIELD=VALUE (not with --json).
    #[arg(value_name = "FIELD=VALUE", conflicts_with = "json")]
    fields: Vec<String>,
    /// Read one JSON object of the kind's input fields from stdin; print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs `wxjs sign`.
pub(crate) fn run(args: &SignArgs) -> Result<(), CliError> {
    let kind = args.kind;
    if args.json {
        // One JSON object of a few fields: 1 MiB is plenty, and a runaway pipe stops there.
        let text = wxjs_http::read_text_file(
            std::path::Path::new("/dev/stdin"),
            wxjs_http::TEXT_FILE_LIMIT,
        )
        .map_err(|e| CliError::input(format!("{}: stdin {e}", kind.name())))?;
        if !text.trim_start().starts_with('{') && serde_json::from_str::<Value>(&text).is_ok() {
            return Err(CliError::input(format!(
                "{}: stdin must be a JSON object",
                kind.name()
            )));
        }
        let DistinctObject(input) = serde_json::from_str(&text).map_err(|e| {
            CliError::input(format!(
                "{}: stdin is not one JSON object: {e}",
                kind.name()
            ))
        })?;
        let out =
            compute(kind, &input).map_err(|e| CliError::input(format!("{}: {e}", kind.name())))?;
        return crate::output(&format!("{}\n", out.json()));
    }
    let input = human_input(kind, &args.fields)
        .map_err(|e| CliError::input(format!("{}: {e}", kind.name())))?;
    let out =
        compute(kind, &input).map_err(|e| CliError::input(format!("{}: {e}", kind.name())))?;
    crate::output(&out.human(kind, &input))
}

/// A JSON object whose keys are distinct: `{"key":"a","key":"b"}` is refused, as the
/// `FIELD=VALUE` form refuses a field given twice (serde_json would keep the last silently).
struct DistinctObject(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for DistinctObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = DistinctObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Self::Value, A::Error> {
                let mut map = Map::new();
                while let Some((k, v)) = m.next_entry::<String, Value>()? {
                    if map.contains_key(&k) {
                        return Err(serde::de::Error::custom(format!(
                            "field {k:?} is given twice"
                        )));
                    }
                    map.insert(k, v);
                }
                Ok(DistinctObject(map))
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// Turns `FIELD=VALUE` arguments into the kind's JSON input, generating a left-out nonce or
/// timestamp. For `package`, fields other than `partner_key` are the order fields.
fn human_input(kind: Kind, args: &[String]) -> Result<Map<String, Value>, String> {
    let mut input = Map::new();
    let mut order = Map::new();
    for arg in args {
        let (k, v) = arg
            .split_once('=')
            .ok_or_else(|| format!("argument {arg:?} is not FIELD=VALUE"))?;
        let (k, v) = if k == "private_key_file" && kind == Kind::PaySignV3 {
            let pem =
                wxjs_http::read_text_file(std::path::Path::new(v), wxjs_http::TEXT_FILE_LIMIT)
                    .map_err(|e| format!("private_key_file {v:?}: {e}"))?;
            ("private_key_pem", pem)
        } else {
            (k, v.to_owned())
        };
        let target = if kind == Kind::Package && k != "partner_key" {
            &mut order
        } else {
            &mut input
        };
        if target.insert(k.to_owned(), Value::String(v)).is_some() {
            return Err(format!("field {k:?} is given twice"));
        }
    }
    if kind == Kind::Package {
        input.insert("fields".into(), Value::Object(order));
    }
    for (name, _) in kind.fields() {
        if !input.contains_key(*name)
            && let Some(v) = Kind::generated(name)
        {
            input.insert((*name).to_owned(), Value::String(v));
        }
    }
    Ok(input)
}

/// The result of one signature.
#[derive(Debug)]
enum Output {
    Signature { string1: String, signature: String },
    Package(ws::SignedPackage),
}

impl Output {
    fn json(&self) -> Value {
        match self {
            Self::Signature { string1, signature } => {
                json!({ "string1": string1, "signature": signature })
            }
            Self::Package(p) => {
                json!({ "string1": p.string1, "sign": p.sign, "package": p.package })
            }
        }
    }

    fn human(&self, kind: Kind, input: &Map<String, Value>) -> String {
        let mut out = format!("{:<12} {}\n", "kind", kind.name());
        for (name, _) in kind.fields() {
            if *name == "fields" || *name == "private_key_pem" {
                continue;
            }
            if let Some(v) = input.get(*name) {
                out.push_str(&format!("{name:<12} {}\n", plain(v)));
            }
        }
        match self {
            Self::Signature { string1, signature } => {
                let shown = if kind == Kind::PaySignV3 {
                    string1.escape_default().to_string()
                } else {
                    string1.clone()
                };
                out.push_str(&format!(
                    "{:<12} {shown}\n{:<12} {signature}\n",
                    "string1", "signature"
                ));
            }
            Self::Package(p) => {
                out.push_str(&format!(
                    "{:<12} {}\n{:<12} {}\n{:<12} {}\n",
                    "string1", p.string1, "sign", p.sign, "package", p.package
                ));
            }
        }
        if kind == Kind::Config
            && let Some(Value::String(url)) = input.get("url")
            && url.contains('#')
        {
            out.push_str(&format!(
                "{:<12} the #… part of the url is not signed\n",
                "note"
            ));
        }
        out
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Reads the kind's fields from `input` and signs. Errors name the field.
fn compute(kind: Kind, input: &Map<String, Value>) -> Result<Output, String> {
    let known: Vec<&str> = kind.fields().iter().map(|(n, _)| *n).collect();
    if let Some(extra) = input.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!(
            "unknown field {extra:?} (expected {})",
            known.join(", ")
        ));
    }
    let f = Fields { kind, input };
    let sig = |signed: ws::Signed| {
        let (string1, signature) = signed.into_parts();
        Output::Signature { string1, signature }
    };
    Ok(match kind {
        Kind::Config => {
            let url = f.page_url("url")?;
            let ts = f.timestamp("timestamp")?;
            sig(ws::ConfigParams {
                url: url.for_signing(),
                timestamp: ts,
                nonce_str: &f.text("noncestr")?,
            }
            .sign(&ws::JsapiTicket::new(f.secret("jsapi_ticket")?)))
        }
        Kind::Package => {
            let fields = f.order_fields()?;
            let key = ws::PartnerKey::new(f.secret("partner_key")?);
            Output::Package(ws::sign_package(&fields, &key).map_err(|e| format!("fields: {e}"))?)
        }
        Kind::PaySignV1 => sig(ws::PayParams {
            app_id: &f.app_id("appid")?,
            time_stamp: &f.timestamp("timestamp")?.to_string(),
            nonce_str: &f.text("noncestr")?,
            package: &f.text("package")?,
        }
        .sign_2014(&ws::PaySignKey::new(f.secret("appkey")?))),
        Kind::CardExt2014 => sig(ws::CardExt2014Params {
            card_id: &f.text("card_id")?,
            code: &f.text("code")?,
            openid: &f.text("openid")?,
            timestamp: &f.timestamp("timestamp")?.to_string(),
            balance: &f.text("balance")?,
        }
        .sign(&ws::AppSecret::new(f.secret("appsecret")?))),
        Kind::CardExt => sig(ws::CardExtParams {
            card_id: &f.text("card_id")?,
            code: &f.text("code")?,
            openid: &f.text("openid")?,
            timestamp: &f.timestamp("timestamp")?.to_string(),
            nonce_str: &f.text("nonce_str")?,
        }
        .sign(&ws::CardTicket::new(f.secret("api_ticket")?))),
        Kind::CardSign => sig(ws::CardSignParams {
            app_id: &f.app_id("app_id")?,
            location_id: &f.text("location_id")?,
            timestamp: &f.timestamp("times_tamp")?.to_string(),
            nonce_str: &f.text("nonce_str")?,
            card_id: &f.text("card_id")?,
            card_type: &f.text("card_type")?,
        }
        .sign(&ws::CardTicket::new(f.secret("api_ticket")?))),
        Kind::AddrSign => {
            let url = f.page_url("url")?;
            sig(ws::AddrParams {
                app_id: &f.app_id("appid")?,
                url: url.as_str(),
                timestamp: &f.timestamp("timestamp")?.to_string(),
                nonce_str: &f.text("noncestr")?,
            }
            .sign(&ws::AccessToken::new(f.secret("accesstoken")?)))
        }
        Kind::PaySignV2 => {
            let st = f.text("signType")?;
            let sign_type = ws::PaySignType::parse(&st).ok_or_else(|| {
                format!("field \"signType\" must be \"MD5\" or \"HMAC-SHA256\", not {st:?}")
            })?;
            sig(ws::PayParams {
                app_id: &f.app_id("appId")?,
                time_stamp: &f.timestamp("timeStamp")?.to_string(),
                nonce_str: &f.text("nonceStr")?,
                package: &f.text("package")?,
            }
            .sign_v2(sign_type, &ws::PayApiKey::new(f.secret("key")?)))
        }
        Kind::PaySignV3 => sig(ws::PayParams {
            app_id: &f.app_id("appId")?,
            time_stamp: &f.timestamp("timeStamp")?.to_string(),
            nonce_str: &f.text("nonceStr")?,
            package: &f.text("package")?,
        }
        .sign_v3(&ws::PrivateKeyPem::new(f.secret("private_key_pem")?))
        .map_err(|e| format!("field \"private_key_pem\": {e}"))?),
    })
}

/// Typed access to the input fields, with errors that name the field and never show a secret.
struct Fields<'a> {
    kind: Kind,
    input: &'a Map<String, Value>,
}

impl Fields<'_> {
    fn required(&self, name: &str) -> bool {
        self.kind.fields().iter().any(|(n, r)| *n == name && *r)
    }

    fn raw(&self, name: &str) -> Result<Option<&Value>, String> {
        match self.input.get(name) {
            None | Some(Value::Null) if self.required(name) => {
                Err(format!("field {name:?} is missing"))
            }
            v => Ok(v.filter(|v| !v.is_null())),
        }
    }

    /// A string field; integers are accepted as their decimal text.
    fn text(&self, name: &str) -> Result<String, String> {
        match self.raw(name)? {
            None => Ok(String::new()),
            Some(Value::String(s)) => {
                if s.is_empty() && self.required(name) {
                    Err(format!("field {name:?} is empty"))
                } else {
                    Ok(s.clone())
                }
            }
            Some(Value::Number(n)) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
            Some(_) => Err(format!("field {name:?} must be a string")),
        }
    }

    /// A secret: like `text`, but its value never appears in an error.
    fn secret(&self, name: &str) -> Result<String, String> {
        match self.raw(name)? {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Value::String(_)) | None => Err(format!("field {name:?} is empty")),
            Some(_) => Err(format!("field {name:?} must be a string")),
        }
    }

    /// Seconds since the epoch, as a number or a string of digits.
    fn timestamp(&self, name: &str) -> Result<u64, String> {
        let bad = || format!("field {name:?} must be a whole number of seconds");
        match self.raw(name)? {
            Some(Value::Number(n)) => n.as_u64().ok_or_else(bad),
            Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s
                .parse()
                .map_err(|_| format!("field {name:?} is too large: at most {} seconds", u64::MAX)),
            Some(_) | None => Err(bad()),
        }
    }

    fn app_id(&self, name: &str) -> Result<String, String> {
        let text = self.text(name)?;
        ws::AppId::parse(&text)
            .map(|id| id.as_str().to_owned())
            .map_err(|e| format!("field {name:?}: {e}"))
    }

    fn page_url(&self, name: &str) -> Result<ws::PageUrl, String> {
        if matches!(self.raw(name)?, Some(v) if !v.is_string()) {
            return Err(format!("field {name:?} must be a string"));
        }
        let text = self.text(name)?;
        ws::PageUrl::parse(&text).map_err(|e| format!("field {name:?}: {e}"))
    }

    fn order_fields(&self) -> Result<BTreeMap<String, String>, String> {
        let Some(Value::Object(map)) = self.raw("fields")? else {
            return Err("field \"fields\" must be an object of order fields".into());
        };
        map.iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Number(n) if n.is_u64() => Ok((k.clone(), n.to_string())),
                _ => Err(format!("field \"fields.{k}\" must be a string")),
            })
            .collect()
    }
}
