//! `POST /cgi-bin/media/upload`, `GET /cgi-bin/media/get`, `GET /cgi-bin/media/get/jssdk`.

use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use wxjs_platform::ErrCode;
use wxjs_platform::media::{GetQuery, MediaType, UploadQuery, UploadResponse, VideoUrlResponse};

use super::credentials::query;
use super::reply::{fail, ok};
use crate::sim::Sim;
use crate::state::{Fail, MediaRec};

/// The file format from its name, or from its first bytes when the name says nothing.
fn format_of(filename: Option<&str>, bytes: &[u8]) -> Option<&'static str> {
    let by_name = filename
        .and_then(|n| n.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase());
    if let Some(ext) = by_name {
        return ["png", "jpeg", "jpg", "gif", "amr", "mp3", "mp4"]
            .into_iter()
            .find(|e| *e == ext);
    }
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if starts(b"\xFF\xD8\xFF") {
        Some("jpg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("gif")
    } else if starts(b"#!AMR") {
        Some("amr")
    } else if starts(b"ID3") || (bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0) {
        Some("mp3")
    } else if bytes.get(4..8) == Some(b"ftyp") {
        Some("mp4")
    } else {
        None
    }
}

/// `POST /cgi-bin/media/upload?access_token=&type=`, multipart field `media`: 40004 bad type,
/// 41005 no `media`, 40006 too large, 40005 wrong format.
pub(super) async fn upload(
    State(sim): State<Sim>,
    q: Result<Query<UploadQuery>, QueryRejection>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let q: UploadQuery = query(q);
    let app = match sim.read(|s, now| s.check_token(q.access_token.as_deref(), now)) {
        Ok(app) => app,
        Err(f) => return fail(f),
    };
    let Some(media_type) = q.media_type.as_deref().and_then(MediaType::parse) else {
        return fail(ErrCode::InvalidMediaType);
    };
    let Ok(mut multipart) = multipart else {
        return fail(ErrCode::MediaDataMissing);
    };
    let (filename, bytes) = loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("media") => {
                let filename = field.file_name().map(str::to_owned);
                match field.bytes().await {
                    Ok(b) => break (filename, b),
                    // The body went over the route's limit: far too large for any type.
                    Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                        return fail(ErrCode::InvalidMediaSize);
                    }
                    Err(_) => return fail(ErrCode::MediaDataMissing),
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => return fail(ErrCode::MediaDataMissing),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                return fail(ErrCode::InvalidMediaSize);
            }
            Err(_) => return fail(ErrCode::MediaDataMissing),
        }
    };
    if bytes.is_empty() {
        return fail(ErrCode::MediaDataMissing);
    }
    if bytes.len() > media_type.max_bytes() {
        return fail(ErrCode::InvalidMediaSize);
    }
    let Some(ext) =
        format_of(filename.as_deref(), &bytes).filter(|e| media_type.extensions().contains(e))
    else {
        return fail(ErrCode::InvalidFileType);
    };
    let size = bytes.len();
    let (id, created_at) =
        sim.update(|s, now| (s.add_media(&app, media_type, ext, size, now), now));
    sim.put_media_bytes(&id, bytes);
    ok(UploadResponse {
        media_type,
        media_id: id,
        created_at,
    })
}

fn file_response(bytes: bytes::Bytes, content_type: &str, filename: &str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert("Content-disposition", v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, must-revalidate"),
    );
    res
}

/// The record a `get` query names, checking its access token first.
fn stored(sim: &Sim, q: &GetQuery) -> Result<MediaRec, Fail> {
    sim.read(|s, now| {
        let app = s.check_token(q.access_token.as_deref(), now)?;
        s.media(&app, q.media_id.as_deref(), now).cloned()
    })
}

/// `GET /cgi-bin/media/get`: the bytes, or for a video a `video_url`.
pub(super) async fn get(
    State(sim): State<Sim>,
    headers: HeaderMap,
    q: Result<Query<GetQuery>, QueryRejection>,
) -> Response {
    let q: GetQuery = query(q);
    let found = stored(&sim, &q);
    let rec = match found {
        Ok(rec) => rec,
        Err(f) => return fail(f),
    };
    let id = q.media_id.unwrap_or_default();
    if rec.media_type == MediaType::Video {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1");
        return ok(VideoUrlResponse {
            video_url: format!("http://{host}/__sim/media/{id}"),
        });
    }
    match sim.media_bytes(&id) {
        Some(bytes) => file_response(bytes, rec.content_type(), &format!("{id}.{}", rec.ext)),
        None => fail(ErrCode::InvalidMediaId),
    }
}

/// `GET /cgi-bin/media/get/jssdk`: a voice from `uploadVoice` "in high quality". The simulator
/// keeps no speex encoder, so it answers the stored bytes under the platform's content type.
pub(super) async fn get_jssdk(
    State(sim): State<Sim>,
    q: Result<Query<GetQuery>, QueryRejection>,
) -> Response {
    let q: GetQuery = query(q);
    let found = stored(&sim, &q);
    match found {
        Ok(rec) if rec.media_type == MediaType::Voice => {}
        Ok(_) => return fail(ErrCode::InvalidMediaId),
        Err(f) => return fail(f),
    }
    let id = q.media_id.unwrap_or_default();
    match sim.media_bytes(&id) {
        Some(bytes) => file_response(bytes, "voice/speex", &format!("{id}.speex")),
        None => fail(ErrCode::InvalidMediaId),
    }
}

#[cfg(test)]
mod tests {
    use super::format_of;

    #[test]
    fn formats_by_name_then_by_magic() {
        assert_eq!(format_of(Some("a.JPG"), b""), Some("jpg"));
        assert_eq!(format_of(Some("a.exe"), b"\x89PNG\r\n\x1a\n"), None);
        assert_eq!(format_of(None, b"\x89PNG\r\n\x1a\n..."), Some("png"));
        assert_eq!(format_of(None, b"#!AMR\n"), Some("amr"));
        assert_eq!(format_of(None, b"\0\0\0\x18ftypmp42"), Some("mp4"));
        assert_eq!(format_of(None, b"hello"), None);
    }
}
