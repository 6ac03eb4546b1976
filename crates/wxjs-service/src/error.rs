//! The service's one error shape: `{"error":{"code","message"}}` with a 4xx/5xx status and, when
//! waiting helps, `Retry-After`. 5xx answers hide details; the full error is logged.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use wxjs_client::CredentialError;

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A stable machine-readable code.
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
    /// Seconds to wait before asking again.
    pub retry_after: Option<u64>,
}

/// The JSON body of an error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// The error's code and message.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `bad_url`, `domain_not_allowed`, `unknown_app`, `ticket_unavailable`, …
    pub code: String,
    /// What is wrong, in a sentence.
    pub message: String,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404 for an appId the service does not serve.
    pub fn unknown_app(app_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "unknown_app",
            format!("this service has no app {app_id}"),
        )
    }

    /// 503 when a credential cannot be had (the platform or the store failing). The credential
    /// cache logs when such a failure begins and ends; each answer is only counted (the HTTP
    /// metrics by status) and logged at debug level.
    pub fn unavailable(code: &'static str, e: &CredentialError) -> Self {
        tracing::debug!(error = %e, "credential unavailable");
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code,
            message: "no valid credential can be obtained from the platform right now; retry later"
                .into(),
            retry_after: Some(e.retry_after().max(1)),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        let mut res = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}
