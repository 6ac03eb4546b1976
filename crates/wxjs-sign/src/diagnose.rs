//! Diagnosis of a config signature that does not match: what the page used, against what the
//! client checks, and the likely cause, as structured findings.
//!
//! The client checks `sha1(jsapi_ticket, nonceStr, timestamp, page URL without #…)`. When that
//! fails, the cause is nearly always one of a few mistakes: the signed URL is not the browser's
//! (fragment, `&amp;`, percent-encoding, a bare host without `/`, scheme or port), the nonce or
//! timestamp differ from the signed ones, or the ticket is not the current one. The diagnosis
//! looks for each, and then searches for the inputs that *do* give the signature, so that a
//! finding is confirmed rather than guessed. It never reveals a ticket.

use serde::Serialize;

#[cfg(test)]
use crate::config::sign_config;
use crate::config::{sign_config_raw, strip_fragment};
use crate::secret::JsapiTicket;

/// What the page passed to `wx.config` (and the URL it had signed).
#[derive(Clone, Copy, Debug)]
pub struct UsedConfig<'a> {
    /// The URL the server signed for the page.
    pub url: &'a str,
    /// `timestamp` as the page passed it.
    pub timestamp: &'a str,
    /// `nonceStr` as the page passed it.
    pub nonce_str: &'a str,
    /// `signature` as the page passed it.
    pub signature: &'a str,
}

/// Everything the diagnosis can use.
#[derive(Clone, Copy, Debug)]
pub struct DiagnoseInput<'a> {
    /// What the page used.
    pub used: UsedConfig<'a>,
    /// The page's real URL (`location.href`; on iOS the URL it first landed on). When `None`, the
    /// browser's form of `used.url` is assumed.
    pub page_url: Option<&'a str>,
    /// The current jsapi ticket.
    pub ticket: &'a JsapiTicket,
    /// Earlier tickets, newest first, to recognise a signature made with a stale one.
    pub previous_tickets: &'a [JsapiTicket],
    /// The timestamp and nonce the server issued with the signature, if it remembers them.
    pub issued: Option<(u64, &'a str)>,
}

/// The outcome: whether the signature verifies, and why not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// Whether the client would accept the signature.
    pub valid: bool,
    /// The URL the client checks against (the page URL without `#…`).
    pub checked_url: String,
    /// What was found, most decisive first.
    pub findings: Vec<Finding>,
}

/// One finding: a machine-readable kind with its details, and a sentence for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What was found.
    #[serde(flatten)]
    pub kind: FindingKind,
    /// The finding explained in one sentence.
    pub message: String,
}

/// The kinds of findings. Serialized with a `code` tag in snake case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingKind {
    /// The signed URL includes its `#…` part.
    Fragment {
        /// The fragment, without `#`.
        fragment: String,
    },
    /// The signed URL holds HTML escapes such as `&amp;`: it was copied from HTML source.
    HtmlEscaped {
        /// The first escape seen.
        entity: String,
    },
    /// The signed URL is a bare host; the browser's URL has `/` after it.
    MissingRootSlash {
        /// The browser's form.
        browser_url: String,
    },
    /// The signed URL is percent-encoded differently from the browser's.
    PercentEncoding {
        /// The browser's form.
        browser_url: String,
    },
    /// The signed URL writes the default port (`:80`, `:443`), which the browser drops.
    DefaultPort {
        /// The browser's form.
        browser_url: String,
    },
    /// The signed URL has upper-case letters in scheme or host, which the browser lower-cases.
    LetterCase {
        /// The browser's form.
        browser_url: String,
    },
    /// The schemes of the signed URL and the page differ.
    SchemeDiffers {
        /// The signed URL's scheme.
        signed: String,
        /// The page's scheme.
        page: String,
    },
    /// The hosts differ.
    HostDiffers {
        /// The signed URL's host.
        signed: String,
        /// The page's host.
        page: String,
    },
    /// The ports differ.
    PortDiffers {
        /// The signed URL's effective port.
        signed: u16,
        /// The page's effective port.
        page: u16,
    },
    /// Path or query differ (for example a single-page app that changed its URL).
    PathOrQueryDiffers {
        /// The signed URL.
        signed: String,
        /// The page URL.
        page: String,
    },
    /// The timestamp is not a whole number of seconds.
    TimestampNotNumber,
    /// The timestamp has 13 digits: milliseconds, where the document wants seconds.
    TimestampMilliseconds,
    /// The page's timestamp is not the signed one.
    TimestampNotSigned {
        /// The signed timestamp.
        signed: u64,
    },
    /// The page's nonce is not the signed one.
    NonceNotSigned,
    /// The signature is not 40 hex digits.
    SignatureMalformed,
    /// The signature is upper-case hex; the client compares lower-case.
    SignatureUpperCase,
    /// The signature was made with an earlier ticket.
    StaleTicket {
        /// How many tickets ago (1 = the one before the current).
        tickets_ago: usize,
    },
    /// The signature was made over another URL than the page's.
    SignedOtherUrl {
        /// The URL that was signed.
        signed_url: String,
    },
    /// Nothing tried reproduces the signature: another ticket (another appId?), nonce or URL.
    Unexplained,
}

/// Timestamps this far from the page's are tried when searching for the signed one.
const TIMESTAMP_WINDOW: u64 = 300;

/// Explains whether and why a config signature fails.
#[must_use]
pub fn diagnose(input: &DiagnoseInput<'_>) -> Diagnosis {
    let used = &input.used;
    let checked_url = match input.page_url {
        Some(page) => strip_fragment(page).to_owned(),
        None => browser_form(strip_fragment(used.url))
            .unwrap_or_else(|| strip_fragment(used.url).to_owned()),
    };
    let mut findings = Vec::new();
    let mut push = |kind: FindingKind| {
        let message = message(&kind);
        findings.push(Finding { kind, message });
    };

    // The signature itself.
    let sig = used.signature;
    let hex = sig.len() == 40 && sig.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex {
        push(FindingKind::SignatureMalformed);
    } else if sig.bytes().any(|b| b.is_ascii_uppercase()) {
        push(FindingKind::SignatureUpperCase);
    }

    // The timestamp.
    let ts: Option<u64> = used
        .timestamp
        .parse()
        .ok()
        .filter(|_| used.timestamp.bytes().all(|b| b.is_ascii_digit()));
    match ts {
        None => push(FindingKind::TimestampNotNumber),
        Some(t) if used.timestamp.len() >= 13 && t >= 1_000_000_000_000 => {
            push(FindingKind::TimestampMilliseconds)
        }
        Some(_) => {}
    }
    if let Some((signed_ts, signed_nonce)) = input.issued {
        if ts != Some(signed_ts) {
            push(FindingKind::TimestampNotSigned { signed: signed_ts });
        }
        if signed_nonce != used.nonce_str {
            push(FindingKind::NonceNotSigned);
        }
    }

    // The URL that was signed, against the browser's form of it and against the page.
    url_findings(used.url, &checked_url, &mut push);

    let valid =
        ts.is_some_and(|t| sign_config_raw(input.ticket, used.nonce_str, t, &checked_url) == sig);
    if !valid && hex {
        search(input, ts, &checked_url, &mut push);
    }
    Diagnosis {
        valid,
        checked_url,
        findings,
    }
}

fn url_findings(signed: &str, checked: &str, push: &mut impl FnMut(FindingKind)) {
    if let Some((_, fragment)) = signed.split_once('#') {
        push(FindingKind::Fragment {
            fragment: fragment.to_owned(),
        });
    }
    let signed = strip_fragment(signed);
    if let Some(entity) = html_entity(signed) {
        push(FindingKind::HtmlEscaped { entity });
    }
    let Some(browser_url) = browser_form(signed) else {
        return;
    };
    if browser_url != signed {
        let parsed = url::Url::parse(signed).ok();
        let authority_only = parsed.as_ref().is_some_and(|u| {
            let after = signed.split_once("://").map_or("", |(_, a)| a);
            u.path() == "/" && !after.contains(['/', '?'])
        });
        if authority_only {
            push(FindingKind::MissingRootSlash {
                browser_url: browser_url.clone(),
            });
        }
        if has_default_port(signed) {
            push(FindingKind::DefaultPort {
                browser_url: browser_url.clone(),
            });
        }
        let scheme_host = |s: &str| {
            let end = s.find("://").map_or(0, |i| i + 3);
            let rest = &s[end..];
            s[..end].to_owned() + &rest[..rest.find(['/', '?', ':']).unwrap_or(rest.len())]
        };
        let sh = scheme_host(signed);
        if sh != sh.to_ascii_lowercase() {
            push(FindingKind::LetterCase {
                browser_url: browser_url.clone(),
            });
        }
        let path_query = |s: &str| {
            let end = s.find("://").map_or(0, |i| i + 3);
            let rest = &s[end..];
            rest[rest.find(['/', '?']).unwrap_or(rest.len())..].to_owned()
        };
        let (a, b) = (path_query(signed), path_query(&browser_url));
        if a != b && !(a.is_empty() && b == "/") {
            push(FindingKind::PercentEncoding { browser_url });
        }
    }
    // Against the page URL the client checks.
    let (Ok(s), Ok(p)) = (url::Url::parse(signed), url::Url::parse(checked)) else {
        return;
    };
    if s.scheme() != p.scheme() {
        push(FindingKind::SchemeDiffers {
            signed: s.scheme().to_owned(),
            page: p.scheme().to_owned(),
        });
    }
    if s.host_str() != p.host_str() {
        push(FindingKind::HostDiffers {
            signed: s.host_str().unwrap_or_default().to_owned(),
            page: p.host_str().unwrap_or_default().to_owned(),
        });
    }
    let (sp, pp) = (s.port_or_known_default(), p.port_or_known_default());
    if sp != pp {
        push(FindingKind::PortDiffers {
            signed: sp.unwrap_or_default(),
            page: pp.unwrap_or_default(),
        });
    }
    if (s.path(), s.query()) != (p.path(), p.query()) {
        push(FindingKind::PathOrQueryDiffers {
            signed: signed.to_owned(),
            page: checked.to_owned(),
        });
    }
}

/// Looks for the ticket, nonce, timestamp and URL that reproduce the signature.
fn search(
    input: &DiagnoseInput<'_>,
    ts: Option<u64>,
    checked_url: &str,
    push: &mut impl FnMut(FindingKind),
) {
    let used = &input.used;
    let sig = used.signature.to_ascii_lowercase();
    let tickets: Vec<&JsapiTicket> = std::iter::once(input.ticket)
        .chain(input.previous_tickets)
        .collect();
    let mut nonces = vec![used.nonce_str];
    if let Some((_, n)) = input.issued
        && n != used.nonce_str
    {
        nonces.push(n);
    }
    let mut urls: Vec<String> = vec![
        checked_url.to_owned(),
        used.url.to_owned(),
        strip_fragment(used.url).to_owned(),
    ];
    urls.push(html_unescape(strip_fragment(used.url)));
    if let Some(b) = browser_form(strip_fragment(used.url)) {
        urls.push(b);
    }
    if let Ok(decoded) = percent_decode_utf8(strip_fragment(used.url)) {
        urls.push(decoded);
    }
    let mut seen = std::collections::HashSet::new();
    urls.retain(|u| seen.insert(u.clone()));

    let mut near: Vec<u64> = Vec::new();
    if let Some(t) = ts {
        near.push(t);
        if t >= 1_000_000_000_000 {
            near.push(t / 1000);
        }
    }
    if let Some((t, _)) = input.issued {
        near.push(t);
    }
    let window: Vec<u64> = ts
        .map(|t| {
            (t.saturating_sub(TIMESTAMP_WINDOW)..=t.saturating_add(TIMESTAMP_WINDOW)).collect()
        })
        .unwrap_or_default();

    for stamps in [&near, &window] {
        for (age, ticket) in tickets.iter().enumerate() {
            for &nonce in &nonces {
                for &t in stamps {
                    for url in &urls {
                        if sign_config_raw(ticket, nonce, t, url) != sig {
                            continue;
                        }
                        if age > 0 {
                            push(FindingKind::StaleTicket { tickets_ago: age });
                        }
                        if Some(t) != ts
                            && input.issued.is_none_or(|(it, _)| it != t || ts == Some(it))
                        {
                            push(FindingKind::TimestampNotSigned { signed: t });
                        }
                        if nonce != used.nonce_str && input.issued.is_none() {
                            push(FindingKind::NonceNotSigned);
                        }
                        if url != checked_url {
                            push(FindingKind::SignedOtherUrl {
                                signed_url: url.clone(),
                            });
                        }
                        return;
                    }
                }
            }
        }
    }
    push(FindingKind::Unexplained);
}

fn browser_form(url: &str) -> Option<String> {
    let mut u = url::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    u.set_fragment(None);
    Some(u.into())
}

fn has_default_port(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let default = if scheme.eq_ignore_ascii_case("https") {
        ":443"
    } else {
        ":80"
    };
    authority.ends_with(default)
}

const ENTITIES: [(&str, &str); 6] = [
    ("&amp;", "&"),
    ("&#38;", "&"),
    ("&#x26;", "&"),
    ("&quot;", "\""),
    ("&lt;", "<"),
    ("&gt;", ">"),
];

fn html_entity(url: &str) -> Option<String> {
    ENTITIES
        .iter()
        .filter_map(|(e, _)| url.find(e).map(|i| (i, *e)))
        .min()
        .map(|(_, e)| e.to_owned())
}

fn html_unescape(url: &str) -> String {
    ENTITIES
        .iter()
        .fold(url.to_owned(), |s, (e, r)| s.replace(e, r))
}

fn percent_decode_utf8(url: &str) -> Result<String, ()> {
    let bytes = crate::package::percent_decode_strict(url).ok_or(())?;
    String::from_utf8(bytes).map_err(|_| ())
}

fn message(kind: &FindingKind) -> String {
    use FindingKind as K;
    match kind {
        K::Fragment { fragment } => format!("the signed URL includes \"#{fragment}\"; sign the URL without the # part"),
        K::HtmlEscaped { entity } => format!("the signed URL contains the HTML escape \"{entity}\"; it was copied from HTML source — unescape it"),
        K::MissingRootSlash { browser_url } => format!("the signed URL is a bare host; the browser's URL is \"{browser_url}\" with a trailing /"),
        K::PercentEncoding { browser_url } => format!("the browser percent-encodes this URL as \"{browser_url}\"; sign location.href.split('#')[0] as the page has it"),
        K::DefaultPort { browser_url } => format!("the signed URL writes the default port, which the browser drops: \"{browser_url}\""),
        K::LetterCase { browser_url } => format!("the browser lower-cases scheme and host: \"{browser_url}\""),
        K::SchemeDiffers { signed, page } => format!("the signed URL is {signed} but the page is {page}"),
        K::HostDiffers { signed, page } => format!("the signed URL's host is {signed} but the page's is {page}"),
        K::PortDiffers { signed, page } => format!("the signed URL's port is {signed} but the page's is {page}"),
        K::PathOrQueryDiffers { signed, page } => format!("the signed URL \"{signed}\" is not the page's URL \"{page}\" (a single-page app must re-sign after its URL changes; on iOS the first URL counts)"),
        K::TimestampNotNumber => "timestamp is not a whole number of seconds".to_owned(),
        K::TimestampMilliseconds => "timestamp is in milliseconds; the document wants seconds".to_owned(),
        K::TimestampNotSigned { signed } => format!("the page's timestamp is not the signed one ({signed}); pass the server's timestamp to wx.config unchanged"),
        K::NonceNotSigned => "the page's nonceStr is not the signed one; pass the server's nonceStr to wx.config unchanged".to_owned(),
        K::SignatureMalformed => "signature is not 40 hexadecimal digits".to_owned(),
        K::SignatureUpperCase => "signature is upper-case; the client compares lower-case hex".to_owned(),
        K::StaleTicket { tickets_ago } => format!("the signature was made with an earlier jsapi_ticket ({tickets_ago} before the current one); cache the ticket globally and re-sign"),
        K::SignedOtherUrl { signed_url } => format!("the signature was made over \"{signed_url}\", not over the page's URL"),
        K::Unexplained => "no variant tried reproduces the signature: check that the ticket belongs to this appId and that nonceStr and timestamp are the signed ones".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICKET: &str =
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";

    fn codes(d: &Diagnosis) -> Vec<String> {
        d.findings
            .iter()
            .map(|f| {
                serde_json::to_value(f).unwrap()["code"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    fn run(
        signed_url: &str,
        used_url: &str,
        page: Option<&str>,
        ts: &str,
        sig_ts: u64,
        tickets: (&str, &[JsapiTicket]),
    ) -> Diagnosis {
        let sig = sign_config(&JsapiTicket::new(tickets.0), "nonce", sig_ts, signed_url)
            .into_parts()
            .1;
        let current = JsapiTicket::new(TICKET);
        diagnose(&DiagnoseInput {
            used: UsedConfig {
                url: used_url,
                timestamp: ts,
                nonce_str: "nonce",
                signature: &sig,
            },
            page_url: page,
            ticket: &current,
            previous_tickets: tickets.1,
            issued: None,
        })
    }

    /// `diagnose` computed `t + 300` unchecked: a timestamp near `u64::MAX` overflowed.
    #[test]
    fn diagnose_timestamp_window_overflowed() {
        for ts in [u64::MAX, u64::MAX - 1, u64::MAX - 300] {
            let d = run(
                "https://a.com/",
                "https://a.com/",
                None,
                &ts.to_string(),
                1,
                (TICKET, &[]),
            );
            assert!(!d.valid);
        }
    }

    #[test]
    fn a_good_signature_is_valid_with_no_findings() {
        let d = run(
            "https://a.com/p?x=1",
            "https://a.com/p?x=1#frag",
            Some("https://a.com/p?x=1#other"),
            "100",
            100,
            (TICKET, &[]),
        );
        assert!(d.valid, "{d:?}");
        assert_eq!(codes(&d), ["fragment"]);
        let d = run(
            "https://a.com/p",
            "https://a.com/p",
            None,
            "100",
            100,
            (TICKET, &[]),
        );
        assert!(d.valid && d.findings.is_empty(), "{d:?}");
    }

    #[test]
    fn fragment_signed() {
        let url = "https://a.com/p?x=1#/route";
        let sig = crate::digest::sha1_hex(
            format!("jsapi_ticket={TICKET}&noncestr=n&timestamp=1&url={url}").as_bytes(),
        );
        let d = diagnose(&DiagnoseInput {
            used: UsedConfig {
                url,
                timestamp: "1",
                nonce_str: "n",
                signature: &sig,
            },
            page_url: Some(url),
            ticket: &JsapiTicket::new(TICKET),
            previous_tickets: &[],
            issued: None,
        });
        assert!(!d.valid);
        assert_eq!(codes(&d), ["fragment", "signed_other_url"]);
    }

    #[test]
    fn html_escaped_url() {
        let d = run(
            "https://a.com/p?x=1&amp;y=2",
            "https://a.com/p?x=1&amp;y=2",
            Some("https://a.com/p?x=1&y=2"),
            "5",
            5,
            (TICKET, &[]),
        );
        assert!(!d.valid);
        assert!(codes(&d).contains(&"html_escaped".to_owned()), "{d:?}");
        assert!(codes(&d).contains(&"signed_other_url".to_owned()));
    }

    #[test]
    fn bare_host_percent_encoding_port_and_case() {
        let d = run(
            "http://mp.weixin.qq.com",
            "http://mp.weixin.qq.com",
            None,
            "5",
            5,
            (TICKET, &[]),
        );
        assert_eq!(d.checked_url, "http://mp.weixin.qq.com/");
        assert_eq!(codes(&d), ["missing_root_slash", "signed_other_url"]);
        let d = run(
            "https://a.com/活动",
            "https://a.com/活动",
            None,
            "5",
            5,
            (TICKET, &[]),
        );
        assert_eq!(codes(&d), ["percent_encoding", "signed_other_url"]);
        let d = run(
            "https://a.com:443/x",
            "https://a.com:443/x",
            None,
            "5",
            5,
            (TICKET, &[]),
        );
        assert_eq!(codes(&d), ["default_port", "signed_other_url"]);
        let d = run(
            "https://A.com/x",
            "https://A.com/x",
            None,
            "5",
            5,
            (TICKET, &[]),
        );
        assert_eq!(codes(&d), ["letter_case", "signed_other_url"]);
    }

    #[test]
    fn scheme_port_and_spa_path() {
        let d = run(
            "http://a.com/x",
            "http://a.com/x",
            Some("https://a.com/x"),
            "5",
            5,
            (TICKET, &[]),
        );
        assert_eq!(
            codes(&d),
            ["scheme_differs", "port_differs", "signed_other_url"]
        );
        let d = run(
            "https://a.com/list",
            "https://a.com/list",
            Some("https://a.com/item/7"),
            "5",
            5,
            (TICKET, &[]),
        );
        assert_eq!(codes(&d), ["path_or_query_differs", "signed_other_url"]);
    }

    #[test]
    fn timestamps_nonces_and_tickets() {
        // The page passed milliseconds; the server signed seconds.
        let d = run(
            "https://a.com/",
            "https://a.com/",
            None,
            "1414587457000",
            1_414_587_457,
            (TICKET, &[]),
        );
        assert_eq!(
            codes(&d),
            ["timestamp_milliseconds", "timestamp_not_signed"]
        );
        // The page made its own timestamp a little later.
        let d = run(
            "https://a.com/",
            "https://a.com/",
            None,
            "1060",
            1000,
            (TICKET, &[]),
        );
        assert_eq!(codes(&d), ["timestamp_not_signed"]);
        // A stale ticket.
        let prev = [JsapiTicket::new("old-1"), JsapiTicket::new("old-2")];
        let d = run(
            "https://a.com/",
            "https://a.com/",
            None,
            "5",
            5,
            ("old-2", &prev),
        );
        assert_eq!(codes(&d), ["stale_ticket"]);
        assert_eq!(
            d.findings[0].kind,
            FindingKind::StaleTicket { tickets_ago: 2 }
        );
        // An unknown ticket.
        let d = run(
            "https://a.com/",
            "https://a.com/",
            None,
            "5",
            5,
            ("other-app", &[]),
        );
        assert_eq!(codes(&d), ["unexplained"]);
        assert!(!format!("{d:?}").contains(TICKET));
    }

    #[test]
    fn issued_nonce_and_malformed_signatures() {
        let t = JsapiTicket::new(TICKET);
        let sig = sign_config(&t, "server-nonce", 9, "https://a.com/")
            .into_parts()
            .1;
        let d = diagnose(&DiagnoseInput {
            used: UsedConfig {
                url: "https://a.com/",
                timestamp: "9",
                nonce_str: "page-nonce",
                signature: &sig,
            },
            page_url: None,
            ticket: &t,
            previous_tickets: &[],
            issued: Some((9, "server-nonce")),
        });
        assert_eq!(codes(&d), ["nonce_not_signed"]);
        let upper = sig.to_ascii_uppercase();
        let d = diagnose(&DiagnoseInput {
            used: UsedConfig {
                url: "https://a.com/",
                timestamp: "x",
                nonce_str: "n",
                signature: &upper[..10],
            },
            page_url: None,
            ticket: &t,
            previous_tickets: &[],
            issued: None,
        });
        assert_eq!(codes(&d), ["signature_malformed", "timestamp_not_number"]);
    }
}
