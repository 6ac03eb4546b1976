//! Temporary media: `POST /cgi-bin/media/upload`, `GET /cgi-bin/media/get`,
//! `GET /cgi-bin/media/get/jssdk`. A JS-SDK `serverId` is a `media_id`; media are kept 3 days.

use serde::{Deserialize, Serialize};

/// `POST /cgi-bin/media/upload?access_token=&type=`, multipart field `media`.
pub const UPLOAD_PATH: &str = "/cgi-bin/media/upload";
/// `GET /cgi-bin/media/get?access_token=&media_id=`.
pub const GET_PATH: &str = "/cgi-bin/media/get";
/// `GET /cgi-bin/media/get/jssdk?access_token=&media_id=`: a voice in high quality.
pub const GET_JSSDK_PATH: &str = "/cgi-bin/media/get/jssdk";

/// How long the platform keeps temporary media.
pub const LIFETIME_SECS: u64 = 3 * 24 * 3600;

/// The media types and their limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaType {
    /// png, jpeg, jpg, gif; 10 MB.
    Image,
    /// amr, mp3; 2 MB, 60 s.
    Voice,
    /// mp4; 10 MB.
    Video,
    /// jpg; 64 KB.
    Thumb,
}

impl MediaType {
    /// Reads the `type` parameter.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "image" => Some(Self::Image),
            "voice" => Some(Self::Voice),
            "video" => Some(Self::Video),
            "thumb" => Some(Self::Thumb),
            _ => None,
        }
    }

    /// The wire spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Voice => "voice",
            Self::Video => "video",
            Self::Thumb => "thumb",
        }
    }

    /// The largest file accepted, in bytes.
    #[must_use]
    pub fn max_bytes(self) -> usize {
        match self {
            Self::Image | Self::Video => 10 * 1024 * 1024,
            Self::Voice => 2 * 1024 * 1024,
            Self::Thumb => 64 * 1024,
        }
    }

    /// The file extensions accepted.
    #[must_use]
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Image => &["png", "jpeg", "jpg", "gif"],
            Self::Voice => &["amr", "mp3"],
            Self::Video => &["mp4"],
            Self::Thumb => &["jpg", "jpeg"],
        }
    }
}

/// The upload's query parameters.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UploadQuery {
    /// The access token.
    pub access_token: Option<String>,
    /// image, voice, video or thumb.
    #[serde(rename = "type")]
    pub media_type: Option<String>,
}

/// `{"type":"image","media_id":"…","created_at":1672500000}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResponse {
    /// The media type.
    #[serde(rename = "type")]
    pub media_type: MediaType,
    /// The id (a JS-SDK `serverId`).
    pub media_id: String,
    /// Upload time, seconds since the epoch.
    pub created_at: u64,
}

/// The query of both download endpoints.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GetQuery {
    /// The access token.
    pub access_token: Option<String>,
    /// The media id.
    pub media_id: Option<String>,
}

/// What `/cgi-bin/media/get` answers for a video: a download link instead of the bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VideoUrlResponse {
    /// Where to download the video.
    pub video_url: String,
}
