//! The service as a WeChat Pay merchant: orders on the merchant API (v3 with signed requests and
//! verified answers, or v2 XML), and verification of the platform's notifications.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{Value, json};
use wxjs_sign::{
    PayApiKey, PaySignType, PrivateKeyPem, SignatureError, V3Authorization, V3PrivateKey,
    V3PublicKey, WechatpayHeaders,
};

use crate::config::Merchant;
use crate::error::ApiError;

/// How long the platform may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Downloaded platform certificates are fetched again at most this often (an unknown serial
/// triggers a fetch).
const CERT_REFETCH: Duration = Duration::from_secs(60);
/// Answers read at most.
const MAX_ANSWER: usize = 256 * 1024;

/// A merchant's platform keys by serial.
type PlatformKeys = HashMap<String, V3PublicKey>;

/// A client of the merchant API, shared by every merchant of the service.
pub(crate) struct MerchantApi {
    http: reqwest::Client,
    base: String,
    /// Platform certificate keys per merchant: serial → key, and when they were fetched.
    certificates: tokio::sync::Mutex<HashMap<String, (Instant, PlatformKeys)>>,
}

/// An order to create.
#[derive(Debug, Clone)]
pub(crate) struct NewOrder {
    pub(crate) out_trade_no: String,
    pub(crate) description: String,
    pub(crate) total: u64,
    pub(crate) openid: String,
    pub(crate) notify_url: String,
    pub(crate) attach: String,
    pub(crate) time_expire: Option<String>,
    pub(crate) client_ip: String,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn not_configured(what: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "merchant_not_configured",
        format!("the merchant's {what} is not configured"),
    )
}

fn unavailable(e: reqwest::Error) -> ApiError {
    let e = e.without_url();
    tracing::warn!(error = %e, "merchant API unreachable");
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "merchant_api_unavailable",
        format!("WeChat Pay's merchant API did not answer: {e}"),
    )
}

fn unverified(why: &str) -> ApiError {
    tracing::warn!(why, "merchant API answer not verified");
    ApiError::new(
        StatusCode::BAD_GATEWAY,
        "merchant_api_unverified",
        format!("WeChat Pay's answer is not to be trusted: {why}"),
    )
}

/// How long a caller waits after WeChat Pay's `FREQUENCY_LIMITED` before it tries again.
const FREQUENCY_LIMITED_RETRY_SECS: u64 = 5;

/// An answer of the platform that refused: its code and message, kept as WeChat Pay gave them.
/// Its rate limit is the caller's to wait out: 429 with `Retry-After`, not a refusal of the
/// order.
fn refused(status: u16, code: &str, message: &str) -> ApiError {
    if code == "FREQUENCY_LIMITED" || status == 429 {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "merchant_api_rate_limited",
            format!("WeChat Pay asks to slow down: {code}: {message}"),
        );
        e.retry_after = Some(FREQUENCY_LIMITED_RETRY_SECS);
        return e;
    }
    let http = match status {
        400..=499 => StatusCode::CONFLICT,
        _ => StatusCode::BAD_GATEWAY,
    };
    ApiError::new(
        http,
        "merchant_api_refused",
        format!("WeChat Pay refused the order: {code}: {message}"),
    )
}

fn key_of(m: &Merchant) -> Result<V3PrivateKey, ApiError> {
    let pem: &PrivateKeyPem = m
        .private_key
        .as_ref()
        .ok_or_else(|| not_configured("private_key"))?;
    V3PrivateKey::from_pem(pem).map_err(|_| not_configured("private_key (a usable RSA key)"))
}

impl MerchantApi {
    pub(crate) fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap_or_default();
        Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            certificates: tokio::sync::Mutex::default(),
        }
    }

    /// A signed v3 call; the answer's status, `Wechatpay-*` headers and body.
    async fn v3_send(
        &self,
        m: &Merchant,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, WechatpayHeaders, Vec<u8>), ApiError> {
        let key = key_of(m)?;
        let serial = m
            .merchant_serial
            .as_deref()
            .ok_or_else(|| not_configured("merchant_serial"))?;
        let text = body.unwrap_or_default();
        let auth = V3Authorization::sign(
            &key,
            &m.partner_id,
            serial,
            method.as_str(),
            path,
            unix_now(),
            &wxjs_sign::nonce_str(),
            text.as_bytes(),
        );
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", auth.to_header())
            .header("Accept", "application/json")
            .header("User-Agent", concat!("wxjs/", env!("CARGO_PKG_VERSION")));
        if !text.is_empty() {
            req = req.header("Content-Type", "application/json").body(text);
        }
        let mut res = req.send().await.map_err(unavailable)?;
        let h = |k: &str| {
            res.headers()
                .get(k)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let headers = WechatpayHeaders::read(h);
        let status = res.status().as_u16();
        let mut bytes = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(unavailable)? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > MAX_ANSWER {
                return Err(unverified("the answer is too large"));
            }
        }
        Ok((status, headers, bytes))
    }

    /// A signed v3 call whose answer must verify with a platform key.
    async fn v3_call(
        &self,
        m: &Merchant,
        method: reqwest::Method,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, Value), ApiError> {
        let (status, headers, bytes) = self.v3_send(m, method, path, body).await?;
        if status == 401 {
            // A signature failure of ours: the platform's message says what it expected.
            let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "merchant_api_sign_error",
                format!(
                    "WeChat Pay did not accept the request's signature (check private_key and merchant_serial): {}",
                    v["message"].as_str().unwrap_or("401")
                ),
            ));
        }
        self.verify(m, &headers, &bytes)
            .await
            .map_err(|e| unverified(&e.to_string()))?;
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|_| unverified("the answer is not JSON"))?
        };
        Ok((status, v))
    }

    /// Verifies `Wechatpay-*` headers over `body` with the merchant's platform keys.
    pub(crate) async fn verify(
        &self,
        m: &Merchant,
        headers: &WechatpayHeaders,
        body: &[u8],
    ) -> Result<(), SignatureError> {
        if headers
            .signature
            .starts_with(wxjs_sign::PROBE_SIGNATURE_PREFIX)
        {
            return Err(SignatureError::Probe);
        }
        let key = self.platform_key(m, &headers.serial).await;
        headers.verify(body, unix_now(), |_| key.as_ref())
    }

    /// The platform key with `serial`: the configured public key, or a downloaded certificate's.
    async fn platform_key(&self, m: &Merchant, serial: &str) -> Option<V3PublicKey> {
        if let Some((pem, id)) = &m.platform_public_key
            && id == serial
        {
            return V3PublicKey::from_pem(pem).ok();
        }
        let mut certs = self.certificates.lock().await;
        let fresh = certs
            .get(&m.partner_id)
            .is_some_and(|(at, _)| at.elapsed() < CERT_REFETCH);
        if let Some(key) = certs
            .get(&m.partner_id)
            .and_then(|(_, keys)| keys.get(&serial.to_ascii_uppercase()))
        {
            return Some(key.clone());
        }
        if fresh || m.api_v3_key.is_none() {
            return None;
        }
        match self.download_certificates(m).await {
            Ok(keys) => {
                let key = keys.get(&serial.to_ascii_uppercase()).cloned();
                certs.insert(m.partner_id.clone(), (Instant::now(), keys));
                key
            }
            Err(e) => {
                tracing::warn!(error = %e, "platform certificates not downloaded");
                certs.insert(m.partner_id.clone(), (Instant::now(), HashMap::new()));
                None
            }
        }
    }

    /// `GET /v3/certificates`: decrypts each certificate with the APIv3 key, then verifies the
    /// answer with the certificate that signed it.
    async fn download_certificates(
        &self,
        m: &Merchant,
    ) -> Result<HashMap<String, V3PublicKey>, String> {
        let api_v3_key = m.api_v3_key.as_ref().ok_or("no api_v3_key")?;
        let (status, headers, bytes) = self
            .v3_send(m, reqwest::Method::GET, "/v3/certificates", None)
            .await
            .map_err(|e| e.message)?;
        if status != 200 {
            return Err(format!("HTTP {status}"));
        }
        let v: Value = serde_json::from_slice(&bytes).map_err(|_| "not JSON")?;
        let mut keys = HashMap::new();
        for c in v["data"].as_array().into_iter().flatten() {
            let e = &c["encrypt_certificate"];
            let s = |k: &str| e[k].as_str().unwrap_or("");
            let pem = wxjs_sign::aead_decrypt(
                api_v3_key,
                s("nonce"),
                s("associated_data"),
                s("ciphertext"),
            )
            .map_err(|e| e.to_string())?;
            let pem = String::from_utf8(pem).map_err(|_| "certificate is not text")?;
            let (key, serial) =
                V3PublicKey::from_certificate_pem(&pem).map_err(|e| e.to_string())?;
            keys.insert(serial, key);
        }
        let signer = keys
            .get(&headers.serial.to_ascii_uppercase())
            .cloned()
            .or_else(|| {
                m.platform_public_key
                    .as_ref()
                    .filter(|(_, id)| *id == headers.serial)
                    .and_then(|(pem, _)| V3PublicKey::from_pem(pem).ok())
            })
            .ok_or("the answer's signer is unknown")?;
        headers
            .verify(&bytes, unix_now(), |_| Some(&signer))
            .map_err(|e| e.to_string())?;
        Ok(keys)
    }

    /// Creates a JSAPI order with API v3: its `prepay_id`.
    pub(crate) async fn create_v3(
        &self,
        app_id: &str,
        m: &Merchant,
        o: &NewOrder,
    ) -> Result<String, ApiError> {
        let mut body = json!({
            "appid": app_id,
            "mchid": m.partner_id,
            "description": o.description,
            "out_trade_no": o.out_trade_no,
            "notify_url": o.notify_url,
            "amount": { "total": o.total, "currency": "CNY" },
            "payer": { "openid": o.openid },
        });
        if !o.attach.is_empty() {
            body["attach"] = o.attach.clone().into();
        }
        if let Some(t) = &o.time_expire {
            body["time_expire"] = t.clone().into();
        }
        let (status, v) = self
            .v3_call(
                m,
                reqwest::Method::POST,
                "/v3/pay/transactions/jsapi",
                Some(body.to_string()),
            )
            .await?;
        match (status, v["prepay_id"].as_str()) {
            (200, Some(id)) => Ok(id.to_owned()),
            _ => Err(refused(
                status,
                v["code"].as_str().unwrap_or("UNKNOWN"),
                v["message"].as_str().unwrap_or(""),
            )),
        }
    }

    /// Creates a JSAPI order with API v2 (HMAC-SHA256): its `prepay_id`.
    pub(crate) async fn create_v2(
        &self,
        app_id: &str,
        m: &Merchant,
        o: &NewOrder,
    ) -> Result<String, ApiError> {
        let key = m
            .api_key
            .as_ref()
            .ok_or_else(|| not_configured("api_key"))?;
        let mut f: BTreeMap<String, String> = [
            ("appid", app_id),
            ("mch_id", m.partner_id.as_str()),
            ("body", &o.description),
            ("out_trade_no", &o.out_trade_no),
            ("total_fee", &o.total.to_string()),
            ("spbill_create_ip", &o.client_ip),
            ("notify_url", &o.notify_url),
            ("trade_type", "JSAPI"),
            ("openid", &o.openid),
            ("attach", &o.attach),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        if let Some(t) = &o.time_expire {
            f.insert("time_expire".into(), t.clone());
        }
        let a = self.v2_call("unifiedorder", f, key).await?;
        let get = |k: &str| a.get(k).map_or("", String::as_str);
        if a.contains_key("sign") && !wxjs_sign::verify_v2_fields(&a, PaySignType::HmacSha256, key)
        {
            return Err(unverified(
                "the v2 answer's sign does not match the API key",
            ));
        }
        if get("result_code") != "SUCCESS" {
            return Err(refused(400, get("err_code"), get("err_code_des")));
        }
        if !a.contains_key("sign") {
            return Err(unverified("the v2 answer is not signed"));
        }
        Ok(get("prepay_id").to_owned())
    }
}

impl MerchantApi {
    /// Posts a v2 call (`/pay/{path}`): the fields with a nonce, signed HMAC-SHA256 with `key`,
    /// as XML; the answer's fields once its `return_code` is `SUCCESS` (the caller checks its
    /// signature and business result, whose rules differ per call).
    async fn v2_call(
        &self,
        path: &str,
        mut f: BTreeMap<String, String>,
        key: &PayApiKey,
    ) -> Result<BTreeMap<String, String>, ApiError> {
        f.insert("nonce_str".into(), wxjs_sign::nonce_str());
        f.insert("sign_type".into(), "HMAC-SHA256".into());
        let sign = wxjs_sign::sign_v2_fields(&f, PaySignType::HmacSha256, key);
        f.insert("sign".into(), sign);
        let res = self
            .http
            .post(format!("{}/pay/{path}", self.base))
            .header("Content-Type", "text/xml")
            .body(wxjs_sign::write_v2_xml(&f))
            .send()
            .await
            .map_err(unavailable)?;
        let bytes = res.bytes().await.map_err(unavailable)?;
        let a = wxjs_sign::parse_v2_xml(&bytes).map_err(|e| unverified(&e))?;
        if a.get("return_code").map(String::as_str) != Some("SUCCESS") {
            let msg = a.get("return_msg").map_or("", String::as_str);
            return Err(refused(502, "FAIL", msg));
        }
        Ok(a)
    }

    /// Queries an order by the merchant's number: v3's transaction object, or v2's fields.
    pub(crate) async fn query(
        &self,
        m: &Merchant,
        app_id: &str,
        out_trade_no: &str,
    ) -> Result<(&'static str, Value), ApiError> {
        if m.uses_v3() {
            let path = format!(
                "/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={}",
                m.partner_id
            );
            let (status, v) = self.v3_call(m, reqwest::Method::GET, &path, None).await?;
            if status == 404 {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    "order_not_found",
                    format!("WeChat Pay knows no order {out_trade_no}"),
                ));
            }
            if status != 200 {
                return Err(refused(
                    status,
                    v["code"].as_str().unwrap_or("UNKNOWN"),
                    v["message"].as_str().unwrap_or(""),
                ));
            }
            return Ok(("v3", v));
        }
        let key = m
            .api_key
            .as_ref()
            .ok_or_else(|| not_configured("api_key"))?;
        let f: BTreeMap<String, String> = [
            ("appid", app_id),
            ("mch_id", m.partner_id.as_str()),
            ("out_trade_no", out_trade_no),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let a = self.v2_call("orderquery", f, key).await?;
        let get = |k: &str| a.get(k).map_or("", String::as_str);
        if !wxjs_sign::verify_v2_fields(&a, PaySignType::HmacSha256, key) {
            return Err(unverified(
                "the v2 answer's sign does not match the API key",
            ));
        }
        if get("err_code") == "ORDERNOTEXIST" {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "order_not_found",
                format!("WeChat Pay knows no order {out_trade_no}"),
            ));
        }
        if get("result_code") != "SUCCESS" {
            return Err(refused(400, get("err_code"), get("err_code_des")));
        }
        Ok(("v2", serde_json::to_value(&a).unwrap_or(Value::Null)))
    }
}

/// Why a notification is refused (the merchant answers WeChat Pay with an error, so it
/// retries, except for probes).
pub(crate) fn notification_error(why: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "notification_invalid",
        format!("the notification is not genuine: {why}"),
    )
}

/// Opens a v3 notification's resource with the APIv3 key.
pub(crate) fn open_v3_resource(m: &Merchant, body: &Value) -> Result<Value, ApiError> {
    let key = m
        .api_v3_key
        .as_ref()
        .ok_or_else(|| not_configured("api_v3_key"))?;
    let r = &body["resource"];
    let s = |k: &str| r[k].as_str().unwrap_or("");
    if s("algorithm") != "AEAD_AES_256_GCM" {
        return Err(notification_error(
            "resource.algorithm is not AEAD_AES_256_GCM",
        ));
    }
    let plain = wxjs_sign::aead_decrypt(key, s("nonce"), s("associated_data"), s("ciphertext"))
        .map_err(notification_error)?;
    serde_json::from_slice(&plain).map_err(|_| notification_error("the resource is not JSON"))
}
