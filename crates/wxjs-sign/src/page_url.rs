//! Page URLs as the config signature needs them, and JS-safe-domain matching.
//!
//! The signature covers the page URL byte for byte without its `#…` part (appendix 1), so
//! [`PageUrl`] keeps the caller's text untouched: it validates, it never rewrites. What the
//! browser *would* write instead ([`PageUrl::browser_href`]) is available for diagnosis.

use std::fmt;

/// The longest page URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 4096;

/// An absolute `http`/`https` page URL, validated, with its original text kept for signing.
#[derive(Clone, PartialEq, Eq)]
pub struct PageUrl {
    text: String,
    /// Byte index of `#` in `text`, if any.
    fragment_at: Option<usize>,
    scheme: Scheme,
    /// Lower-case host as the browser compares it (IDNA applied; IPv6 with brackets).
    host: String,
    port: Option<u16>,
}

/// The scheme of a [`PageUrl`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http`, default port 80.
    Http,
    /// `https`, default port 443.
    Https,
}

impl Scheme {
    /// The scheme's default port.
    #[must_use]
    pub fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }

    /// The scheme's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// Why a text is not a usable page URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PageUrlError {
    /// Nothing was given.
    #[error("url is empty")]
    Empty,
    /// Longer than [`MAX_URL_LEN`] bytes.
    #[error("url is {0} bytes long; at most 4096 are accepted")]
    TooLong(usize),
    /// Holds a control character (a byte below 0x20, or DEL).
    #[error("url contains a control character at byte {0}")]
    ControlCharacter(usize),
    /// Holds a space or other white space, which a browser never leaves in `location.href`.
    #[error("url contains white space at byte {0}; the browser's URL would have %20 there")]
    Whitespace(usize),
    /// No scheme: a relative or protocol-relative reference.
    #[error("url must be absolute (http:// or https://), not relative")]
    Relative,
    /// A scheme other than `http` or `https`.
    #[error("url scheme {0:?} is not allowed; only http and https pages can use the JS-SDK")]
    Scheme(String),
    /// `http:` not followed by `//host`.
    #[error("url must have \"//\" and a host after the scheme")]
    MissingAuthority,
    /// `http://` followed by no host.
    #[error("url has no host")]
    MissingHost,
    /// `user:password@` before the host.
    #[error("url must not contain user information (user@host)")]
    UserInfo,
    /// A port that is not a number from 1 to 65535.
    #[error("url port {0:?} is not a number from 1 to 65535")]
    Port(String),
    /// A host the URL standard rejects.
    #[error("url host {0:?} is not a valid host name or address")]
    Host(String),
    /// The URL standard rejects the URL for another reason.
    #[error("url is not a valid URL: {0}")]
    Invalid(String),
}

impl PageUrl {
    /// Parses an absolute `http`/`https` URL with a host, keeping its text as given.
    ///
    /// ```
    /// use wxjs_sign::PageUrl;
    /// let url = PageUrl::parse("https://Example.com:8443/h5/活动页?a=1#/route").unwrap();
    /// assert_eq!(url.host(), "example.com");
    /// assert_eq!(url.port(), Some(8443));
    /// assert_eq!(url.for_signing(), "https://Example.com:8443/h5/活动页?a=1");
    /// assert!(PageUrl::parse("/relative").is_err());
    /// assert!(PageUrl::parse("javascript:alert(1)").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, PageUrlError> {
        Self::parse_with(text, true)
    }

    /// [`PageUrl::parse`] with the common case's shortcut on or off: off, every host goes through
    /// the URL standard's host parser and the whole text through its URL parser. Both ways must
    /// give the same answer for every text; the tests compare them.
    #[doc(hidden)]
    pub fn parse_with(text: &str, shortcut: bool) -> Result<Self, PageUrlError> {
        if text.is_empty() {
            return Err(PageUrlError::Empty);
        }
        if text.len() > MAX_URL_LEN {
            return Err(PageUrlError::TooLong(text.len()));
        }
        for (i, c) in text.char_indices() {
            if c.is_control() {
                return Err(PageUrlError::ControlCharacter(i));
            }
            if c.is_whitespace() {
                return Err(PageUrlError::Whitespace(i));
            }
        }
        let scheme_end = match text.find(':') {
            Some(i) if is_scheme(&text[..i]) => i,
            _ => return Err(PageUrlError::Relative),
        };
        let scheme = match &text[..scheme_end] {
            s if s.eq_ignore_ascii_case("http") => Scheme::Http,
            s if s.eq_ignore_ascii_case("https") => Scheme::Https,
            other => return Err(PageUrlError::Scheme(other.to_ascii_lowercase())),
        };
        let rest = &text[scheme_end + 1..];
        let Some(after_slashes) = rest.strip_prefix("//") else {
            return Err(PageUrlError::MissingAuthority);
        };
        let authority_end = after_slashes
            .find(['/', '?', '#', '\\'])
            .unwrap_or(after_slashes.len());
        let authority = &after_slashes[..authority_end];
        if authority.contains('@') {
            return Err(PageUrlError::UserInfo);
        }
        let (host_text, port_text) = split_host_port(authority);
        if host_text.is_empty() {
            return Err(PageUrlError::MissingHost);
        }
        let port = match port_text {
            None => None,
            Some(p) => Some(parse_port(p).ok_or_else(|| PageUrlError::Port(p.to_owned()))?),
        };
        let host = if shortcut && is_plain_host(host_text) {
            // All the URL standard would do to this host is lower-case it, and with the scheme,
            // host and port checked above nothing else in the text can make it fail.
            host_text.to_ascii_lowercase()
        } else {
            let host = url::Host::parse(host_text)
                .map_err(|_| PageUrlError::Host(host_text.to_owned()))?
                .to_string();
            // The URL standard has the last word on everything else (it is what the browser
            // runs).
            url::Url::parse(text).map_err(|e| PageUrlError::Invalid(e.to_string()))?;
            host
        };
        Ok(Self {
            fragment_at: text.find('#'),
            text: text.to_owned(),
            scheme,
            host,
            port,
        })
    }

    /// The URL as given, fragment included.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The URL that is signed: the text as given, without `#` and what follows.
    #[must_use]
    pub fn for_signing(&self) -> &str {
        &self.text[..self.fragment_at.unwrap_or(self.text.len())]
    }

    /// The fragment after `#`, if there is one.
    #[must_use]
    pub fn fragment(&self) -> Option<&str> {
        self.fragment_at.map(|i| &self.text[i + 1..])
    }

    /// The scheme.
    #[must_use]
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host, lower-case, as browsers compare it (`[::1]` for IPv6).
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port written in the URL, if any.
    #[must_use]
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The port the browser connects to: the written one or the scheme's default.
    #[must_use]
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or_else(|| self.scheme.default_port())
    }

    /// What a browser's `location.href` would be for this URL, without the fragment: the URL
    /// standard's serialization (lower-case scheme and host, default port dropped, `/` added to a
    /// bare host, non-ASCII percent-encoded). When it differs from [`for_signing`](Self::for_signing),
    /// a page that signs `location.href` signs something else.
    #[must_use]
    pub fn browser_href(&self) -> String {
        // `parse` already accepted the text, so the URL standard's parser accepts it too.
        let mut url = url::Url::parse(&self.text).expect("validated in PageUrl::parse");
        url.set_fragment(None);
        url.into()
    }
}

impl fmt::Debug for PageUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PageUrl").field(&self.text).finish()
    }
}

impl fmt::Display for PageUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for PageUrl {
    type Err = PageUrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// A host name that the URL standard's host parser leaves as it is but for lower-casing: ASCII
/// letters, digits and `-` in non-empty labels between single dots, no punycode (`xn--`) label
/// to decode and check, and a last label that starts with a letter, so that the host cannot be
/// read as an IPv4 address. Nearly every page's host is one; the others take the full parsers.
fn is_plain_host(host: &str) -> bool {
    let mut last_first = 0u8;
    for label in host.split('.') {
        let bytes = label.as_bytes();
        let Some(&first) = bytes.first() else {
            return false;
        };
        if !bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            || (bytes.len() >= 4 && bytes[..4].eq_ignore_ascii_case(b"xn--"))
        {
            return false;
        }
        last_first = first;
    }
    last_first.is_ascii_alphabetic()
}

fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// A port from 1 to 65535, written in digits only.
fn parse_port(p: &str) -> Option<u16> {
    p.parse::<u16>()
        .ok()
        .filter(|n| *n > 0 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Splits `host[:port]`, leaving the colons of a bracketed IPv6 address alone.
fn split_host_port(authority: &str) -> (&str, Option<&str>) {
    let search_from = if authority.starts_with('[') {
        authority.find(']').map_or(authority.len(), |i| i + 1)
    } else {
        0
    };
    match authority[search_from..].rfind(':') {
        Some(i) => {
            let at = search_from + i;
            let port = &authority[at + 1..];
            // `host:` with an empty port means the default port, as in the URL standard.
            (&authority[..at], (!port.is_empty()).then_some(port))
        }
        None => (authority, None),
    }
}

/// One entry of an account's JS safe domains: a host (covering its subdomains), optionally with a
/// port (then matching only that port).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SafeDomain {
    host: String,
    port: Option<u16>,
}

/// Why a text is not a JS safe domain entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SafeDomainError {
    /// Nothing was given.
    #[error("domain is empty")]
    Empty,
    /// A scheme, path or other URL part was given where only `host[:port]` belongs.
    #[error("domain {0:?} must be a host with an optional port, without scheme or path")]
    NotAHost(String),
    /// A port that is not a number from 1 to 65535.
    #[error("domain port {0:?} is not a number from 1 to 65535")]
    Port(String),
}

impl SafeDomain {
    /// Parses `host` or `host:port` (`example.com`, `localhost:8080`, `127.0.0.1`).
    pub fn parse(text: &str) -> Result<Self, SafeDomainError> {
        if text.is_empty() {
            return Err(SafeDomainError::Empty);
        }
        if text.contains(['/', '?', '#', '@', ' ']) || text.chars().any(char::is_control) {
            return Err(SafeDomainError::NotAHost(text.to_owned()));
        }
        let (host_text, port_text) = split_host_port(text);
        let port = match port_text {
            None => None,
            Some(p) => Some(parse_port(p).ok_or_else(|| SafeDomainError::Port(p.to_owned()))?),
        };
        let host = url::Host::parse(host_text)
            .map_err(|_| SafeDomainError::NotAHost(text.to_owned()))?
            .to_string();
        Ok(Self { host, port })
    }

    /// The host, lower-case.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, if the entry names one.
    #[must_use]
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// Whether the entry covers the page: same host or a subdomain of it, and, if the entry has a
    /// port, the page's effective port is that port.
    #[must_use]
    pub fn matches(&self, url: &PageUrl) -> bool {
        let host = url.host();
        let host_ok = host == self.host
            || (host.len() > self.host.len()
                && host.ends_with(self.host.as_str())
                && host.as_bytes()[host.len() - self.host.len() - 1] == b'.'
                // Addresses have no subdomains.
                && !self.host.starts_with('[')
                && self.host.parse::<std::net::Ipv4Addr>().is_err());
        host_ok && self.port.is_none_or(|p| p == url.port_or_default())
    }
}

impl fmt::Display for SafeDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(p) => write!(f, "{}:{p}", self.host),
            None => f.write_str(&self.host),
        }
    }
}

impl std::str::FromStr for SafeDomain {
    type Err = SafeDomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Whether any of `domains` covers the page.
#[must_use]
pub fn domain_allowed(domains: &[SafeDomain], url: &PageUrl) -> bool {
    domains.iter().any(|d| d.matches(url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_text_and_exposes_parts() {
        let u = PageUrl::parse("https://example.com:8443/h5/活动页?from=a&b=1#/x?y").unwrap();
        assert_eq!(
            u.for_signing(),
            "https://example.com:8443/h5/活动页?from=a&b=1"
        );
        assert_eq!(u.fragment(), Some("/x?y"));
        assert_eq!(u.host(), "example.com");
        assert_eq!(u.port(), Some(8443));
        assert_eq!(u.scheme(), Scheme::Https);
        let bare = PageUrl::parse("http://mp.weixin.qq.com").unwrap();
        assert_eq!(bare.for_signing(), "http://mp.weixin.qq.com");
        assert_eq!(bare.browser_href(), "http://mp.weixin.qq.com/");
        assert_eq!(bare.port_or_default(), 80);
        let v6 = PageUrl::parse("http://[::1]:8080/").unwrap();
        assert_eq!((v6.host(), v6.port()), ("[::1]", Some(8080)));
    }

    #[test]
    fn bad_urls_get_precise_errors() {
        use PageUrlError as E;
        let long = format!("https://example.com/{}", "a".repeat(5000));
        let table: &[(&str, PageUrlError)] = &[
            ("", E::Empty),
            (&long, E::TooLong(long.len())),
            ("/path/page.html", E::Relative),
            ("page.html?x=1", E::Relative),
            ("//example.com/x", E::Relative),
            ("example.com:8080/x", E::Scheme("example.com".into())),
            ("javascript:alert(1)", E::Scheme("javascript".into())),
            ("ftp://example.com/", E::Scheme("ftp".into())),
            ("data:text/html,hi", E::Scheme("data".into())),
            ("http:example.com", E::MissingAuthority),
            ("https://", E::MissingHost),
            ("https:///path", E::MissingHost),
            ("https://:80/", E::MissingHost),
            ("https://user:pw@example.com/", E::UserInfo),
            ("https://example.com:0/", E::Port("0".into())),
            ("https://example.com:70000/", E::Port("70000".into())),
            ("https://example.com:8a/", E::Port("8a".into())),
            ("https://exa mple.com/", E::Whitespace(11)),
            ("https://example.com/\na", E::ControlCharacter(20)),
            ("https://example.com/\u{7f}", E::ControlCharacter(20)),
            ("https://exa%00mple.com/", E::Host("exa%00mple.com".into())),
            ("https://[::1/", E::Host("[::1".into())),
        ];
        for (input, want) in table {
            assert_eq!(PageUrl::parse(input).as_ref(), Err(want), "input {input:?}");
        }
    }

    #[test]
    fn safe_domains_cover_subdomains_and_ports() {
        let url = |s: &str| PageUrl::parse(s).unwrap();
        let d = SafeDomain::parse("example.com").unwrap();
        assert!(d.matches(&url("https://example.com/")));
        assert!(d.matches(&url("https://a.b.EXAMPLE.com:9000/")));
        assert!(!d.matches(&url("https://badexample.com/")));
        assert!(!d.matches(&url("https://example.com.evil.net/")));
        let p = SafeDomain::parse("localhost:8080").unwrap();
        assert!(p.matches(&url("http://localhost:8080/x")));
        assert!(!p.matches(&url("http://localhost:8081/x")));
        assert!(!p.matches(&url("http://localhost/x")));
        let https = SafeDomain::parse("example.com:443").unwrap();
        assert!(https.matches(&url("https://example.com/")));
        assert!(!https.matches(&url("http://example.com/")));
        let ip = SafeDomain::parse("127.0.0.1").unwrap();
        assert!(ip.matches(&url("http://127.0.0.1:5/")));
        for bad in [
            "",
            "https://example.com",
            "example.com/x",
            "a b",
            "example.com:x",
        ] {
            assert!(SafeDomain::parse(bad).is_err(), "{bad}");
        }
        assert!(domain_allowed(&[ip, d], &url("http://www.example.com/")));
    }
}
