//! Query strings and form bodies read strictly. axum's `Query` and `Form` decode with
//! `form_urlencoded`, which replaces bytes that are not UTF-8 once percent-decoded with U+FFFD:
//! `state=%FF` would reach a handler as `"\u{FFFD}"` and be echoed back as `%EF%BF%BD`, a value the
//! client never sent. Handlers that keep or echo what they are sent read it through [`Query`] or
//! [`form`] instead, which refuse such text.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use serde::de::DeserializeOwned;

use crate::Refusal;

/// A request's query deserialised as `T`, refused with a 400 in the JSON error shape (code
/// `bad_query`) when a key or value is not UTF-8 once percent-decoded, or does not fit `T`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> Query<T> {
    /// Reads the query of `uri`.
    ///
    /// # Errors
    /// A [`Refusal`] (400, `bad_query`) saying what is wrong.
    pub fn try_from_uri(uri: &Uri) -> Result<Self, Refusal> {
        form(uri.query().unwrap_or("")).map(Self)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Self::try_from_uri(&parts.uri)
    }
}

/// Form-encoded text (a query, or an `application/x-www-form-urlencoded` body) deserialised as
/// `T`, strictly: every key and value must be UTF-8 once percent-decoded.
///
/// # Errors
/// A [`Refusal`] (400, `bad_query`) saying what is wrong.
pub fn form<T: DeserializeOwned>(text: &str) -> Result<T, Refusal> {
    check_utf8(text)?;
    serde_urlencoded::from_str(text).map_err(|e| bad_query(format!("bad parameters: {e}")))
}

/// Whether every key and value of a form-encoded query is UTF-8 once percent-decoded (`+`, a
/// space, cannot change that). Names the first that is not, by its position.
///
/// # Errors
/// A [`Refusal`] (400, `bad_query`).
fn check_utf8(query: &str) -> Result<(), Refusal> {
    for (n, pair) in query.split('&').filter(|p| !p.is_empty()).enumerate() {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        for (what, part) in [("name", key), ("value", value)] {
            if !part.contains('%') {
                continue;
            }
            let bytes: Vec<u8> = percent_encoding::percent_decode_str(part).collect();
            if std::str::from_utf8(&bytes).is_err() {
                let name: String = percent_encoding::percent_decode_str(key)
                    .decode_utf8_lossy()
                    .chars()
                    .take(40)
                    .collect();
                return Err(bad_query(format!(
                    "the {what} of query parameter {} ({name:?}) is not UTF-8 once percent-decoded",
                    n + 1
                )));
            }
        }
    }
    Ok(())
}

fn bad_query(message: impl Into<String>) -> Refusal {
    Refusal::new(StatusCode::BAD_REQUEST, "bad_query", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Q {
        state: Option<String>,
        n: Option<u32>,
    }

    fn read(uri: &str) -> Result<Q, Refusal> {
        Query::<Q>::try_from_uri(&uri.parse().unwrap()).map(|Query(q)| q)
    }

    #[test]
    fn utf8_once_decoded_is_read_as_axum_reads_it() {
        let q = read("/p?state=%E4%B8%AD+x&n=7&other=%41").unwrap();
        assert_eq!(q.state.as_deref(), Some("中 x"));
        assert_eq!(q.n, Some(7));
        assert!(read("/p").unwrap().state.is_none());
        // A lone `%` is no escape: form decoding keeps it, and it is UTF-8.
        assert_eq!(
            read("/p?state=100%").unwrap().state.as_deref(),
            Some("100%")
        );
    }

    #[test]
    fn bytes_that_are_not_utf8_are_refused_not_replaced() {
        for uri in [
            "/p?state=%FF",
            "/p?n=1&state=ok%C3",
            "/p?%FF=x",
            "/p?state=%ED%A0%80", // an encoded surrogate
            "/p?unused=%C0%AF",   // overlong, in a parameter nobody reads
            "/p?state=%C3+%A9",   // a space between a lead byte and its continuation
            "/p?state=%F%FF",
            "/p?state=a=%FF",
        ] {
            let e = read(uri).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(e.code, "bad_query", "{uri}");
            assert!(e.message.contains("not UTF-8"), "{uri}: {}", e.message);
        }
        let e = read("/p?n=1&state=%FF").unwrap_err();
        assert!(
            e.message.contains("parameter 2 (\"state\")"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_form_body_is_read_as_strictly() {
        let q: Q = form("state=%E4%B8%AD&n=2").unwrap();
        assert_eq!((q.state.as_deref(), q.n), (Some("中"), Some(2)));
        let e = form::<Q>("state=%FF").unwrap_err();
        assert_eq!((e.status, e.code), (StatusCode::BAD_REQUEST, "bad_query"));
    }

    #[test]
    fn a_query_that_does_not_fit_is_a_bad_query_too() {
        let e = read("/p?n=seven").unwrap_err();
        assert_eq!((e.status, e.code), (StatusCode::BAD_REQUEST, "bad_query"));
        assert!(e.message.contains('n'), "{}", e.message);
    }
}
