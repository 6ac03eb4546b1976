//! WeChat Pay v2's XML: flat `<xml>` documents of fields, text usually in `CDATA`.

use std::collections::BTreeMap;

/// Reads a v2 document: the flat fields of `<xml>`. Refused: documents with a DOCTYPE (the XXE
/// attacks WeChat Pay warns merchants about start there), bytes that are not UTF-8 (they would be
/// read as U+FFFD: a signature over altered text), a field given twice (which one a reader takes
/// differs between XML libraries: an unsigned copy could stand before the signed one), and
/// anything after the `<xml>` element.
pub fn parse_v2_xml(body: &[u8]) -> Result<BTreeMap<String, String>, String> {
    use quick_xml::events::Event;
    let body = std::str::from_utf8(body).map_err(|e| {
        format!(
            "the document is not UTF-8 (byte {} is not)",
            e.valid_up_to()
        )
    })?;
    let mut reader = quick_xml::Reader::from_str(body);
    let mut fields = BTreeMap::new();
    let mut depth = 0usize;
    let mut current: Option<String> = None;
    let mut text = String::new();
    let mut seen_root = false;
    let mut root_closed = false;
    loop {
        let event = reader.read_event().map_err(|e| format!("not XML: {e}"))?;
        let after_root = root_closed
            && match &event {
                Event::Text(t) => !t.as_ref().iter().all(u8::is_ascii_whitespace),
                Event::Comment(_) | Event::PI(_) | Event::Decl(_) | Event::Eof => false,
                _ => true,
            };
        if after_root {
            return Err("nothing may follow the </xml> element".into());
        }
        match event {
            Event::Start(e) => {
                depth += 1;
                let name = utf8(e.name().as_ref());
                match depth {
                    1 if name == "xml" => seen_root = true,
                    1 => return Err(format!("the root element is <{name}>, not <xml>")),
                    2 => {
                        current = Some(name);
                        text.clear();
                    }
                    _ => return Err("fields must be flat: no element inside a field".into()),
                }
            }
            Event::Empty(e) => {
                let name = utf8(e.name().as_ref());
                match depth {
                    0 if name == "xml" => {
                        seen_root = true;
                        root_closed = true;
                    }
                    1 => add(&mut fields, name, String::new())?,
                    _ => return Err("fields must be flat".into()),
                }
            }
            Event::Text(t) if depth == 2 => {
                let raw = utf8(t.as_ref());
                let un = quick_xml::escape::unescape(&raw).map_err(|e| format!("bad text: {e}"))?;
                text.push_str(&un);
            }
            Event::GeneralRef(r) if depth == 2 => {
                let entity = format!("&{};", utf8(r.as_ref()));
                let un =
                    quick_xml::escape::unescape(&entity).map_err(|e| format!("bad entity: {e}"))?;
                text.push_str(&un);
            }
            Event::CData(c) if depth == 2 => text.push_str(&utf8(c.as_ref())),
            Event::End(_) => {
                if depth == 2
                    && let Some(name) = current.take()
                {
                    add(&mut fields, name, std::mem::take(&mut text))?;
                }
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    root_closed = true;
                }
            }
            Event::DocType(_) => return Err("a DOCTYPE is not accepted".into()),
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root || depth != 0 {
        return Err("the document must be one <xml> element".into());
    }
    Ok(fields)
}

/// Adds a field; one given twice is refused.
fn add(fields: &mut BTreeMap<String, String>, name: String, value: String) -> Result<(), String> {
    if fields.contains_key(&name) {
        return Err(format!("the field <{name}> is given twice"));
    }
    fields.insert(name, value);
    Ok(())
}

/// Bytes of a document already checked to be UTF-8 (a slice of it ends on a character
/// boundary: quick-xml splits only at ASCII delimiters).
fn utf8(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn cdata(v: &str) -> String {
    format!("<![CDATA[{}]]>", v.replace("]]>", "]]]]><![CDATA[>"))
}

/// Writes fields as a v2 document, every value in `CDATA`.
#[must_use]
pub fn write_v2_xml(fields: &BTreeMap<String, String>) -> String {
    let mut out = String::from("<xml>");
    for (k, v) in fields {
        out.push('<');
        out.push_str(k);
        out.push('>');
        out.push_str(&cdata(v));
        out.push_str("</");
        out.push_str(k);
        out.push('>');
    }
    out.push_str("</xml>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that are not UTF-8 became U+FFFD and the signature was checked over the altered
    /// text; a field given twice kept the last copy (PHP's SimpleXML takes the first); a second
    /// root after `</xml>` was read too.
    #[test]
    fn v2_documents_were_read_leniently() {
        for (doc, why) in [
            (&b"<xml><attach>A\xffB</attach></xml>"[..], "not UTF-8"),
            (b"<xml><a><![CDATA[\xc3]]></a></xml>", "not UTF-8"),
            (
                b"<xml><total_fee>1</total_fee><total_fee>100</total_fee></xml>",
                "given twice",
            ),
            (b"<xml><e/><e></e></xml>", "given twice"),
            (
                b"<xml><a>1</a></xml><xml><a>2</a></xml>",
                "nothing may follow",
            ),
            (b"<xml><a>1</a></xml><b/>", "nothing may follow"),
            (b"<xml><a>1</a></xml>tail", "nothing may follow"),
            (b"<xml/><xml/>", "nothing may follow"),
        ] {
            let e = parse_v2_xml(doc).unwrap_err();
            assert!(e.contains(why), "{}: {e}", String::from_utf8_lossy(doc));
        }
        // What may follow: white space, a comment.
        let ok =
            parse_v2_xml(b"<?xml version=\"1.0\"?><xml><a>\xe4\xb8\xad</a></xml>\n <!-- x -->\n")
                .unwrap();
        assert_eq!(ok["a"], "中");
    }

    #[test]
    fn documents_round_trip_with_cdata_text_and_entities() {
        let fields: BTreeMap<String, String> = [("a", "x]]>y"), ("b", "1 < 2 & 3"), ("c", "")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        assert_eq!(
            parse_v2_xml(write_v2_xml(&fields).as_bytes()).unwrap(),
            fields
        );
        let plain = parse_v2_xml(b"<xml><n>1 &lt; 2</n><e/></xml>").unwrap();
        assert_eq!(plain["n"], "1 < 2");
        assert_eq!(plain["e"], "");
    }

    #[test]
    fn doctypes_nesting_and_other_roots_are_refused() {
        assert!(
            parse_v2_xml(
                b"<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><xml><a>&e;</a></xml>"
            )
            .is_err()
        );
        assert!(parse_v2_xml(b"<xml><a><b>1</b></a></xml>").is_err());
        assert!(parse_v2_xml(b"<root><a>1</a></root>").is_err());
        assert!(parse_v2_xml(b"not xml").is_err());
        assert!(parse_v2_xml(b"<xml><a>1</a>").is_err());
    }
}
