//! Photos: choosing and previewing happen in the page's UI; uploading puts a local photo into
//! the platform's media store, downloading brings a medium of the account back as a local one.

use serde_json::{Map, Value, json};
use wxjs_platform::media::MediaType;

use super::{Image, Outcome, fail};
use crate::phone::Phone;

pub(super) fn carry_out(
    phone: &Phone,
    call: Image,
    app_id: &str,
    name: &str,
    params: &Map<String, Value>,
) -> Outcome {
    match call {
        Image::Choose | Image::Preview => Outcome::ui(),
        Image::Upload => Outcome::result(upload(phone, app_id, params, MediaType::Image, name)),
        Image::Download => Outcome::result(download(phone, app_id, params, MediaType::Image, name)),
        Image::LocalData => Outcome::result(local_data(phone, params)),
    }
}

/// `getLocalImgData`: the photo as a data URL (iOS pages need it: an `<img>` cannot load a
/// `wxlocalresource://` id there).
fn local_data(phone: &Phone, params: &Map<String, Value>) -> Value {
    use base64::Engine as _;
    let local = params
        .get("localId")
        .and_then(Value::as_str)
        .and_then(|l| phone.local(l))
        .filter(|l| l.content_type.starts_with("image/"));
    match local {
        Some(l) => json!({
            "err_msg": "getLocalImgData:ok",
            "localData": format!(
                "data:{};base64,{}",
                l.content_type,
                base64::engine::general_purpose::STANDARD.encode(&l.bytes)
            ),
        }),
        None => fail("getLocalImgData", "fail_invalid_localid"),
    }
}

/// `uploadImage`/`uploadVoice`: the local resource goes into the platform's media store; its
/// `media_id` is the `serverId`.
pub(super) fn upload(
    phone: &Phone,
    app_id: &str,
    params: &Map<String, Value>,
    kind: MediaType,
    api: &str,
) -> Value {
    let Some(local) = params
        .get("localId")
        .and_then(Value::as_str)
        .and_then(|l| phone.local(l))
    else {
        return fail(api, "fail_invalid_localid");
    };
    let is_voice = local.content_type.starts_with("audio/");
    if is_voice != (kind == MediaType::Voice) {
        return fail(api, "fail_invalid_localid");
    }
    let size = local.bytes.len();
    let media_id = phone
        .sim()
        .update(|s, now| s.add_media(app_id, kind, local.ext, size, now));
    phone.sim().put_media_bytes(&media_id, local.bytes);
    json!({ "err_msg": format!("{api}:ok"), "serverId": media_id })
}

/// `downloadImage`/`downloadVoice`: a media id of this account becomes a local resource.
pub(super) fn download(
    phone: &Phone,
    app_id: &str,
    params: &Map<String, Value>,
    kind: MediaType,
    api: &str,
) -> Value {
    let id = params.get("serverId").and_then(Value::as_str).unwrap_or("");
    let found = phone
        .sim()
        .read(|s, now| s.media(app_id, Some(id), now).map(|m| m.media_type).ok());
    let bytes = if found == Some(kind) {
        phone.sim().media_bytes(id)
    } else {
        None
    };
    let local = bytes.map(|b| {
        if kind == MediaType::Voice {
            phone.add_local_voice(b)
        } else {
            phone.add_local(b)
        }
    });
    match local {
        Some(Ok(local_id)) => json!({ "err_msg": format!("{api}:ok"), "localId": local_id }),
        _ => fail(api, "fail_invalid_serverid"),
    }
}
