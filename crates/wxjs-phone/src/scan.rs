//! `scanQRCode`'s camera: decodes QR codes and bar codes (EAN-13, EAN-8, UPC, CODE-128, CODE-39)
//! from a PNG the person (or automation) supplies, with `rxing`; and draws codes, for samples and
//! tests.

use rxing::{BarcodeFormat, MultiFormatWriter, Writer};

/// What a scan found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    /// True for a QR code, false for a bar code.
    pub qr: bool,
    /// The text (QR) or the digits (bar code).
    pub text: String,
    /// The format's name as the app reports it (`QR_CODE`, `EAN_13`, `CODE_128`…).
    pub format: &'static str,
}

impl Scanned {
    /// `resultStr` with `needResult: 1`: the QR text, or `FORMAT,digits` for a bar code.
    #[must_use]
    pub fn result_str(&self) -> String {
        if self.qr {
            self.text.clone()
        } else {
            format!("{},{}", self.format, self.text)
        }
    }
}

fn name(format: BarcodeFormat) -> Option<(&'static str, bool)> {
    Some(match format {
        BarcodeFormat::QR_CODE => ("QR_CODE", true),
        BarcodeFormat::EAN_13 => ("EAN_13", false),
        BarcodeFormat::EAN_8 => ("EAN_8", false),
        BarcodeFormat::UPC_A => ("UPC_A", false),
        BarcodeFormat::UPC_E => ("UPC_E", false),
        BarcodeFormat::CODE_128 => ("CODE_128", false),
        BarcodeFormat::CODE_39 => ("CODE_39", false),
        _ => return None,
    })
}

/// Decodes the code in a PNG. `qr_codes` and `bar_codes` follow `scanType`.
pub fn decode_png(png_bytes: &[u8], qr_codes: bool, bar_codes: bool) -> Result<Scanned, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| format!("not a PNG image: {e}"))?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("unreadable PNG: {e}"))?;
    let channels = info.color_type.samples();
    let luma: Vec<u8> = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|px| match channels {
            1 | 2 => px[0],
            _ => {
                let (r, g, b) = (u32::from(px[0]), u32::from(px[1]), u32::from(px[2]));
                u8::try_from((r * 299 + g * 587 + b * 114) / 1000).unwrap_or(255)
            }
        })
        .collect();
    let result = rxing::helpers::detect_in_luma(luma, info.width, info.height, None)
        .map_err(|_| "no code found in the image".to_owned())?;
    let (format, qr) =
        name(*result.getBarcodeFormat()).ok_or("a code of a kind the app does not read")?;
    if (qr && !qr_codes) || (!qr && !bar_codes) {
        return Err(format!(
            "a {format} was found, but scanType does not allow it"
        ));
    }
    Ok(Scanned {
        qr,
        text: result.getText().to_owned(),
        format,
    })
}

/// Draws a code as a PNG (black on white, with a quiet zone).
pub fn encode_png(text: &str, format: &str) -> Result<Vec<u8>, String> {
    let (fmt, w, h) = match format {
        "QR_CODE" => (BarcodeFormat::QR_CODE, 240, 240),
        "EAN_13" => (BarcodeFormat::EAN_13, 300, 120),
        "CODE_128" => (BarcodeFormat::CODE_128, 360, 120),
        other => return Err(format!("cannot draw {other}")),
    };
    let bits = MultiFormatWriter
        .encode(text, &fmt, w, h)
        .map_err(|e| e.to_string())?;
    let (bw, bh) = (bits.width(), bits.height());
    let pad = 20;
    let (pw, ph) = (bw + 2 * pad, bh + 2 * pad);
    let mut data = vec![255u8; (pw * ph) as usize];
    for y in 0..bh {
        for x in 0..bw {
            if bits.get(x, y) {
                data[((y + pad) * pw + x + pad) as usize] = 0;
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, pw, ph);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(&data).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_ean13_and_code128_round_trip() {
        let qr = encode_png("https://example.com/?q=扫一扫", "QR_CODE").unwrap();
        assert_eq!(
            decode_png(&qr, true, true).unwrap().result_str(),
            "https://example.com/?q=扫一扫"
        );
        let ean = encode_png("6901234567892", "EAN_13").unwrap();
        assert_eq!(
            decode_png(&ean, true, true).unwrap().result_str(),
            "EAN_13,6901234567892"
        );
        let c128 = encode_png("WXJS-128", "CODE_128").unwrap();
        assert_eq!(
            decode_png(&c128, false, true).unwrap().result_str(),
            "CODE_128,WXJS-128"
        );
        // scanType is honoured.
        assert!(
            decode_png(&ean, true, false)
                .unwrap_err()
                .contains("scanType")
        );
        assert!(decode_png(&qr, false, true).is_err());
        assert!(decode_png(b"not a png", true, true).is_err());
        assert!(
            decode_png(&crate::device::sample_png(0), true, true)
                .unwrap_err()
                .contains("no code")
        );
    }
}
