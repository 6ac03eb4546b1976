//! Which `Host` headers a listener serves. A page on `attacker.example` whose name is made to
//! resolve to 127.0.0.1 (DNS rebinding) reaches a loopback listener with `Host:
//! attacker.example`; refusing names that are not the machine's own keeps such a page from
//! reading what the listener answers.

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode, header};

use crate::errors::Refusal;

/// Which `Host` headers are served.
#[derive(Debug, Clone)]
pub enum HostPolicy {
    /// Any (the phone: developers map production host names to it on purpose).
    Any,
    /// IP addresses, `localhost` and `*.localhost`, the machine's host name, and the names given
    /// (exact, or `*.example.com` for its subdomains; `*` alone allows any).
    Local {
        /// Further names, lower case.
        names: Arc<[String]>,
        /// What to tell the user whose name was refused (the flag or key that adds names).
        hint: &'static str,
    },
}

impl HostPolicy {
    /// Checks a name to add to [`HostPolicy::local`]: a host name (`example.com`), a domain's
    /// subdomains (`*.example.com`), or `*` (any name: the Host check is off).
    ///
    /// # Errors
    /// What is wrong, for a person.
    pub fn check_name(name: &str) -> Result<(), String> {
        // A fully qualified name's trailing dot is what `allows` ignores too.
        let bare = name.strip_prefix("*.").unwrap_or(name);
        let bare = bare.strip_suffix('.').unwrap_or(bare);
        let ok = name == "*"
            || (!bare.is_empty()
                && bare.len() <= 253
                && bare.split('.').all(|l| {
                    !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                }));
        if ok {
            Ok(())
        } else {
            Err(format!(
                "{name:?} is not a host name (example.com, *.example.com or *)"
            ))
        }
    }

    /// The machine's own names and `names`; `hint` names the setting that adds more.
    pub fn local(names: impl IntoIterator<Item = String>, hint: &'static str) -> Self {
        let mut all: Vec<String> = names.into_iter().map(|n| n.to_ascii_lowercase()).collect();
        if let Some(h) = machine_hostname() {
            all.push(format!("{h}.local"));
            all.push(h);
        }
        Self::Local {
            names: all.into(),
            hint,
        }
    }

    /// Whether a `Host` header value is served.
    #[must_use]
    pub fn allows(&self, host: &str) -> bool {
        let Self::Local { names, .. } = self else {
            return true;
        };
        let name = strip_port(host).to_ascii_lowercase();
        if name.parse::<IpAddr>().is_ok() {
            // An address is never the victim of rebinding: no page can change what it means.
            return true;
        }
        let name = name.trim_end_matches('.');
        if name == "localhost" || name.ends_with(".localhost") {
            return true;
        }
        names.iter().any(|n| {
            n == "*"
                || n == name
                || n.strip_prefix("*.").is_some_and(|d| {
                    name.ends_with(d) && name[..name.len() - d.len()].ends_with('.')
                })
        })
    }

    pub(crate) fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let Self::Local { hint, .. } = self else {
            return Ok(());
        };
        // HTTP/1.0 clients may send none; browsers always do.
        let Some(host) = headers.get(header::HOST) else {
            return Ok(());
        };
        let text = host.to_str().unwrap_or("");
        if !text.is_empty() && self.allows(text) {
            return Ok(());
        }
        Err(Refusal::new(
            StatusCode::MISDIRECTED_REQUEST,
            "host_not_allowed",
            format!(
                "Host {:?} is not a name of this machine; {hint}",
                text.chars().take(100).collect::<String>()
            ),
        ))
    }
}

/// `example.com:8080` → `example.com`, `[::1]:8080` → `::1`.
fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

fn machine_hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {

    /// `allowed_hosts = ["example.com."]` was valid until the names were checked in one place;
    /// a fully qualified name's dot is what `allows` ignores anyway.
    #[test]
    fn check_name_takes_what_allows_takes() {
        for ok in [
            "example.com",
            "example.com.",
            "*.example.com",
            "*.example.com.",
            "*",
            "a-b.c",
        ] {
            assert!(HostPolicy::check_name(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "",
            ".",
            "a..b",
            "a b",
            "*.",
            "exa_mple.com",
            "*.*.com",
            "ex/ample",
        ] {
            assert!(HostPolicy::check_name(bad).is_err(), "{bad:?}");
        }
    }

    use super::*;

    #[test]
    fn machine_names_and_configured_names_pass_others_do_not() {
        let p = HostPolicy::local(["shop.example.com".into(), "*.dev.example".into()], "");
        for ok in [
            "localhost",
            "localhost:8081",
            "app.localhost:1",
            "127.0.0.1:8081",
            "[::1]:8081",
            "10.0.0.5",
            "shop.example.com",
            "SHOP.example.com:443",
            "a.dev.example",
        ] {
            assert!(p.allows(ok), "{ok}");
        }
        for bad in [
            "attacker.example",
            "attacker.example:8081",
            "localhost.attacker.example",
            "xdev.example",
            "dev.example",
            "",
        ] {
            assert!(!p.allows(bad), "{bad}");
        }
        assert!(HostPolicy::Any.allows("attacker.example"));
        assert!(HostPolicy::local(["*".into()], "").allows("anything.example"));
    }
}
