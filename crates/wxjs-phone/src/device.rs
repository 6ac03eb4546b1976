//! The emulated app's devices: the location fix (with the real WGS-84 → GCJ-02 conversion),
//! local resources (what `chooseImage` and `downloadImage` give a page, usable as `<img src>`),
//! and the built-in sample photos.

use std::f64::consts::PI;

/// Converts WGS-84 to GCJ-02 (the "Mars" datum of Chinese maps), as the official transform does;
/// points outside China are unchanged.
#[must_use]
pub fn wgs84_to_gcj02(lat: f64, lng: f64) -> (f64, f64) {
    const A: f64 = 6_378_245.0;
    const EE: f64 = 0.006_693_421_622_965_943;
    if !(72.004..=137.8347).contains(&lng) || !(0.8293..=55.8271).contains(&lat) {
        return (lat, lng);
    }
    let (x, y) = (lng - 105.0, lat - 35.0);
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlng += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlng += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlng += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let radlat = lat / 180.0 * PI;
    let magic = 1.0 - EE * radlat.sin() * radlat.sin();
    let sqrtmagic = magic.sqrt();
    dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtmagic) * PI);
    dlng = (dlng * 180.0) / (A / sqrtmagic * radlat.cos() * PI);
    (lat + dlat, lng + dlng)
}

/// A WAV of a 440 Hz tone, 8 kHz 16-bit mono, `ms` long: what sample audio sounds like.
#[must_use]
pub fn tone_wav(ms: u32) -> Vec<u8> {
    let samples = 8 * ms;
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&16000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let t = f64::from(i) / 8000.0;
        #[allow(clippy::cast_possible_truncation)]
        let v = ((2.0 * PI * 440.0 * t).sin() * 8000.0) as i16;
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// A 96×64 PNG: a diagonal gradient in one hue, distinct per `n`.
#[must_use]
pub fn sample_png(n: usize) -> Vec<u8> {
    const W: u32 = 96;
    const H: u32 = 64;
    let hues: [(u8, u8, u8); 4] = [(7, 193, 96), (87, 107, 149), (250, 81, 81), (250, 157, 59)];
    let (r, g, b) = hues[n % hues.len()];
    let mut data = Vec::with_capacity((W * H * 3) as usize);
    for y in 0..H {
        for x in 0..W {
            let t = (x + y) as f32 / (W + H) as f32;
            let mix = |c: u8| (f32::from(c) * (0.35 + 0.65 * t)) as u8;
            data.extend_from_slice(&[mix(r), mix(g), mix(b)]);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, W, H);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        // Writing into a Vec cannot fail.
        let mut writer = enc.write_header().expect("png header");
        writer.write_image_data(&data).expect("png data");
    }
    out
}

/// The number of built-in sample photos.
pub const SAMPLES: usize = 4;

/// The content type and extension of image bytes, by their first bytes.
#[must_use]
pub fn image_kind(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("image/png", "png"))
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some(("image/jpeg", "jpg"))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(("image/gif", "gif"))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcj02_matches_independent_implementations() {
        // wandergis/coordtransform, hutool and coordtransform-rs agree on this point.
        let (lat, lng) = wgs84_to_gcj02(39.915, 116.404);
        assert!((lat - 39.916_404_281_501_64).abs() < 1e-12, "{lat}");
        assert!((lng - 116.410_244_499_169_38).abs() < 1e-12, "{lng}");
        // eviltransform's Beijing point (their constants differ in the last digits).
        let (lat, lng) = wgs84_to_gcj02(39.911_954, 116.377_817);
        assert!(
            (lat - 39.913_345_455_360_69).abs() < 1e-5
                && (lng - 116.384_047_224_556_57).abs() < 1e-5,
            "{lat},{lng}"
        );
        // Outside China nothing moves.
        assert_eq!(wgs84_to_gcj02(48.8584, 2.2945), (48.8584, 2.2945));
    }

    #[test]
    fn samples_are_distinct_pngs() {
        let a = sample_png(0);
        assert_eq!(image_kind(&a), Some(("image/png", "png")));
        assert_ne!(a, sample_png(1));
    }
}
