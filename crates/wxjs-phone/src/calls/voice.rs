//! Voice: recording and playback happen in the page's UI (the microphone or a generated tone);
//! voice media go through the platform's media store like photos.

use serde_json::{Map, Value};
use wxjs_platform::media::MediaType;

use super::image::{download, upload};
use super::{Outcome, Voice};
use crate::phone::Phone;

pub(super) fn carry_out(
    phone: &Phone,
    call: Voice,
    app_id: &str,
    name: &str,
    params: &Map<String, Value>,
) -> Outcome {
    match call {
        Voice::StartRecord
        | Voice::StopRecord
        | Voice::Play
        | Voice::Pause
        | Voice::Stop
        | Voice::Translate => Outcome::ui(),
        Voice::Upload => Outcome::result(upload(phone, app_id, params, MediaType::Voice, name)),
        Voice::Download => Outcome::result(download(phone, app_id, params, MediaType::Voice, name)),
    }
}
