//! The payment `package` of appendix 5: fields, `string1`, `sign`, and the final string.
//!
//! 1. Non-empty fields sorted by name, joined as `k=v&…` with raw values: `string1`.
//! 2. `sign` = upper-case hex MD5 of `string1&key=PARTNERKEY`.
//! 3. Each value URL-encoded like `encodeURIComponent` (space → `%20`), joined again: `string2`.
//! 4. `package` = `string2&sign=SIGN`.
//!
//! Bytes for both the MD5 and the URL-encoding follow the `input_charset` field: `GBK` (the
//! document's default when the field is absent) or `UTF-8`.

use std::collections::BTreeMap;

use encoding_rs::{Encoding, GBK, UTF_8};

use crate::digest::{ct_eq, md5_hex_upper};
use crate::secret::PartnerKey;

/// The character set of a package, from its `input_charset` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Charset {
    /// `GBK`: the document's default.
    Gbk,
    /// `UTF-8`.
    Utf8,
}

impl Charset {
    /// Reads an `input_charset` value (`GBK` or `UTF-8`, any case); `None` for any other.
    #[must_use]
    pub fn from_field(value: &str) -> Option<Self> {
        if value.eq_ignore_ascii_case("GBK") {
            Some(Self::Gbk)
        } else if value.eq_ignore_ascii_case("UTF-8") {
            Some(Self::Utf8)
        } else {
            None
        }
    }

    fn encoding(self) -> &'static Encoding {
        match self {
            Self::Gbk => GBK,
            Self::Utf8 => UTF_8,
        }
    }
}

/// Why a package cannot be built, parsed or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// No field with a value was given.
    #[error("package has no non-empty fields")]
    NoFields,
    /// A field name that is empty or holds something other than ASCII letters, digits and `_`.
    #[error("package field name {0:?} must be ASCII letters, digits or '_'")]
    FieldName(String),
    /// A field called `sign`, which the package appends itself.
    #[error("package field \"sign\" is computed, not given")]
    SignField,
    /// `input_charset` is neither `GBK` nor `UTF-8`.
    #[error("input_charset {0:?} must be \"GBK\" or \"UTF-8\"")]
    Charset(String),
    /// A value has a character that the charset cannot encode.
    #[error("package field {field:?} has characters that {charset:?} cannot encode")]
    Unencodable {
        /// The field's name.
        field: String,
        /// The charset in force.
        charset: Charset,
    },
    /// The partner key is empty.
    #[error("partner key is empty")]
    EmptyKey,
    /// A package string that is not `k=v&…&sign=…`.
    #[error("package string is malformed: {0}")]
    Malformed(&'static str),
    /// A value whose percent-decoded bytes are not text in the charset.
    #[error("package field {0:?} does not decode in its charset")]
    Undecodable(String),
}

/// A signed package: the three strings of appendix 5.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedPackage {
    /// `string1`: the sorted non-empty fields, raw.
    pub string1: String,
    /// `sign`: upper-case hex MD5 of `string1&key=…` in the package's charset.
    pub sign: String,
    /// The final `package` value: URL-encoded fields and `&sign=…`.
    pub package: String,
}

impl std::fmt::Debug for SignedPackage {
    // The package carries order details (body, attach) but no secret; still keep Debug short.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedPackage")
            .field("sign", &self.sign)
            .field("package", &self.package)
            .finish()
    }
}

/// The charset that `fields` ask for.
pub fn charset_of(fields: &BTreeMap<String, String>) -> Result<Charset, PackageError> {
    match fields.get("input_charset").map(String::as_str) {
        None | Some("") => Ok(Charset::Gbk),
        Some(v) => Charset::from_field(v).ok_or_else(|| PackageError::Charset(v.to_owned())),
    }
}

/// Builds and signs a package from its fields (appendix 5). Empty values are left out of both
/// strings; the field order of the input does not matter.
///
/// ```
/// use std::collections::BTreeMap;
/// use wxjs_sign::{PartnerKey, sign_package};
/// let fields: BTreeMap<String, String> = [
///     ("bank_type", "WX"), ("body", "支付测试"), ("fee_type", "1"), ("input_charset", "UTF-8"),
///     ("notify_url", "http://weixin.qq.com"), ("out_trade_no", "7240b65810859cbf2a8d9f76a638c0a3"),
///     ("partner", "1900000109"), ("spbill_create_ip", "196.168.1.1"), ("total_fee", "1"),
/// ].into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
/// let key = PartnerKey::new("8934e7d15453e97507ef794cf7b0519d");
/// let p = sign_package(&fields, &key).unwrap();
/// assert_eq!(p.sign, "7F77B507B755B3262884291517E380F8");
/// assert!(p.package.starts_with("bank_type=WX&body=%E6%94%AF%E4%BB%98%E6%B5%8B%E8%AF%95&"));
/// ```
pub fn sign_package(
    fields: &BTreeMap<String, String>,
    partner_key: &PartnerKey,
) -> Result<SignedPackage, PackageError> {
    if partner_key.is_empty() {
        return Err(PackageError::EmptyKey);
    }
    for name in fields.keys() {
        check_name(name)?;
    }
    let charset = charset_of(fields)?;
    let encoding = charset.encoding();
    // A BTreeMap of Strings iterates in byte order: ASCII order for ASCII names.
    let present: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if present.is_empty() {
        return Err(PackageError::NoFields);
    }
    let mut string1 = String::new();
    let mut string2 = String::new();
    for (i, (k, v)) in present.iter().enumerate() {
        if i > 0 {
            string1.push('&');
            string2.push('&');
        }
        string1.push_str(k);
        string1.push('=');
        string1.push_str(v);
        let (bytes, _, unmappable) = encoding.encode(v);
        if unmappable {
            return Err(PackageError::Unencodable {
                field: (*k).to_owned(),
                charset,
            });
        }
        string2.push_str(k);
        string2.push('=');
        encode_uri_component(&bytes, &mut string2);
    }
    let sign = package_sign(&string1, charset, partner_key);
    string2.push_str("&sign=");
    string2.push_str(&sign);
    Ok(SignedPackage {
        string1,
        sign,
        package: string2,
    })
}

fn package_sign(string1: &str, charset: Charset, partner_key: &PartnerKey) -> String {
    let mut temp = String::with_capacity(string1.len() + 5 + partner_key.secret().len());
    temp.push_str(string1);
    temp.push_str("&key=");
    temp.push_str(partner_key.secret());
    // string1's fields were checked encodable; the key is the merchant's ASCII key.
    let (bytes, _, _) = charset.encoding().encode(&temp);
    md5_hex_upper(&bytes)
}

/// A package string read back into its fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedPackage {
    /// The fields, decoded in the package's charset.
    pub fields: BTreeMap<String, String>,
    /// The `sign` it carries.
    pub sign: String,
    /// The charset the fields were decoded with.
    pub charset: Charset,
}

/// Reads a `package` string (`k=v&…&sign=…`) back into its fields, percent-decoding each value in
/// the charset its `input_charset` field names (GBK when absent).
pub fn parse_package(package: &str) -> Result<ParsedPackage, PackageError> {
    let (body, sign) = package
        .rsplit_once("&sign=")
        .ok_or(PackageError::Malformed("no &sign= at the end"))?;
    if sign.is_empty() {
        return Err(PackageError::Malformed("empty sign"));
    }
    let mut raw: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for pair in body.split('&') {
        let (k, v) = pair
            .split_once('=')
            .ok_or(PackageError::Malformed("a field without '='"))?;
        check_name(k)?;
        let bytes =
            percent_decode_strict(v).ok_or(PackageError::Malformed("bad percent-escape"))?;
        if raw.insert(k.to_owned(), bytes).is_some() {
            return Err(PackageError::Malformed("a field given twice"));
        }
    }
    let charset = match raw.get("input_charset") {
        None => Charset::Gbk,
        Some(v) => {
            let v = String::from_utf8_lossy(v);
            Charset::from_field(&v).ok_or_else(|| PackageError::Charset(v.into_owned()))?
        }
    };
    let mut fields = BTreeMap::new();
    for (k, bytes) in raw {
        let (text, malformed) = charset.encoding().decode_without_bom_handling(&bytes);
        if malformed {
            return Err(PackageError::Undecodable(k));
        }
        fields.insert(k, text.into_owned());
    }
    Ok(ParsedPackage {
        fields,
        sign: sign.to_owned(),
        charset,
    })
}

/// Whether a `package` string carries the right `sign` for its fields under `partner_key`, and is
/// the canonical encoding of them (compared in constant time).
#[must_use]
pub fn verify_package(package: &str, partner_key: &PartnerKey) -> bool {
    let Ok(parsed) = parse_package(package) else {
        return false;
    };
    match sign_package(&parsed.fields, partner_key) {
        Ok(expected) => ct_eq(&expected.package, package),
        Err(_) => false,
    }
}

fn check_name(name: &str) -> Result<(), PackageError> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(PackageError::FieldName(name.to_owned()));
    }
    if name == "sign" {
        return Err(PackageError::SignField);
    }
    Ok(())
}

/// What JavaScript's `encodeURIComponent` escapes: everything except
/// `A–Z a–z 0–9 - _ . ! ~ * ' ( )`.
const URI_COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// Percent-encodes bytes as JavaScript's `encodeURIComponent` does, as `%XX` with upper-case
/// hex.
pub fn encode_uri_component(bytes: &[u8], out: &mut String) {
    out.extend(percent_encoding::percent_encode(bytes, URI_COMPONENT));
}

/// Decodes `%XX` escapes, refusing a `%` that is not followed by two hex digits.
pub(crate) fn percent_decode_strict(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    });
    well_formed.then(|| percent_encoding::percent_decode(bytes).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn encodes_like_encode_uri_component() {
        let mut out = String::new();
        encode_uri_component("a b&c=d/é~*'()!".as_bytes(), &mut out);
        assert_eq!(out, "a%20b%26c%3Dd%2F%C3%A9~*'()!");
    }

    #[test]
    fn rejects_bad_fields() {
        let key = PartnerKey::new("k");
        let err = |f: &[(&str, &str)]| sign_package(&fields(f), &key).unwrap_err();
        assert_eq!(err(&[]), PackageError::NoFields);
        assert_eq!(err(&[("body", "")]), PackageError::NoFields);
        assert_eq!(
            err(&[("bo dy", "x")]),
            PackageError::FieldName("bo dy".into())
        );
        assert_eq!(err(&[("sign", "x")]), PackageError::SignField);
        assert_eq!(
            err(&[("input_charset", "latin1")]),
            PackageError::Charset("latin1".into())
        );
        assert_eq!(
            err(&[("body", "😀")]),
            PackageError::Unencodable {
                field: "body".into(),
                charset: Charset::Gbk
            }
        );
        assert_eq!(
            sign_package(&fields(&[("a", "b")]), &PartnerKey::new("")).unwrap_err(),
            PackageError::EmptyKey
        );
    }

    #[test]
    fn parse_rejects_malformed_strings() {
        for bad in [
            "a=b",
            "a=b&sign=",
            "ab&sign=X",
            "a=%G1&sign=X",
            "a=1&a=2&sign=X",
            "a=%E6&sign=X",
        ] {
            assert!(parse_package(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn verify_detects_tampering() {
        let key = PartnerKey::new("8934e7d15453e97507ef794cf7b0519d");
        let p = sign_package(&fields(&[("body", "测试 a&b"), ("total_fee", "1")]), &key).unwrap();
        assert!(verify_package(&p.package, &key));
        assert!(!verify_package(
            &p.package.replace("total_fee=1", "total_fee=2"),
            &key
        ));
        assert!(!verify_package(&p.package, &PartnerKey::new("other")));
    }

    /// `u8::from_str_radix` takes a sign: the hand-written decoders read `%+1` as byte 1.
    #[test]
    fn percent_plus_one_was_read_as_byte_one() {
        assert_eq!(super::percent_decode_strict("a%+1"), None);
        assert_eq!(super::percent_decode_strict("a%-1"), None);
        assert_eq!(super::percent_decode_strict("a%4"), None);
        assert_eq!(
            super::percent_decode_strict("a%41%e6%B4%bb+"),
            Some("aA活+".as_bytes().to_vec())
        );
        let mut out = String::new();
        super::encode_uri_component("a b-_.!~*'()&活".as_bytes(), &mut out);
        assert_eq!(out, "a%20b-_.!~*'()%26%E6%B4%BB");
    }
}
