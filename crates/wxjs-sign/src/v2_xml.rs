//! WeChat Pay v2's XML: flat `<xml>` documents of fields, text usually in `CDATA`.

use std::collections::BTreeMap;

/// Reads a v2 document: the flat fields of `<xml>`. Documents with a DOCTYPE are refused (the
/// XXE attacks WeChat Pay warns merchants about start there).
pub fn parse_v2_xml(body: &[u8]) -> Result<BTreeMap<String, String>, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut fields = BTreeMap::new();
    let mut depth = 0usize;
    let mut current: Option<String> = None;
    let mut text = String::new();
    let mut seen_root = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
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
            Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                match depth {
                    0 if name == "xml" => seen_root = true,
                    1 => {
                        fields.insert(name, String::new());
                    }
                    _ => return Err("fields must be flat".into()),
                }
            }
            Ok(Event::Text(t)) => {
                if depth == 2 {
                    let raw = String::from_utf8_lossy(t.as_ref()).into_owned();
                    let un =
                        quick_xml::escape::unescape(&raw).map_err(|e| format!("bad text: {e}"))?;
                    text.push_str(&un);
                }
            }
            Ok(Event::GeneralRef(r)) => {
                if depth == 2 {
                    let name = String::from_utf8_lossy(r.as_ref()).into_owned();
                    let entity = format!("&{name};");
                    let un = quick_xml::escape::unescape(&entity)
                        .map_err(|e| format!("bad entity: {e}"))?;
                    text.push_str(&un);
                }
            }
            Ok(Event::CData(c)) => {
                if depth == 2 {
                    text.push_str(&String::from_utf8_lossy(c.as_ref()));
                }
            }
            Ok(Event::End(_)) => {
                if depth == 2
                    && let Some(name) = current.take()
                {
                    fields.insert(name, std::mem::take(&mut text));
                }
                depth = depth.saturating_sub(1);
            }
            Ok(Event::DocType(_)) => return Err("a DOCTYPE is not accepted".into()),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(format!("not XML: {e}")),
        }
    }
    if !seen_root || depth != 0 {
        return Err("the document must be one <xml> element".into());
    }
    Ok(fields)
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
