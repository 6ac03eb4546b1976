//! A request body that stops arriving ends in a 408, whatever the handler made of the read
//! error: each handler reads bodies its own way (bytes, JSON, a form), and each would otherwise
//! call the timeout a bad body (400 `bad_json`).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use hyper::body::{Frame, SizeHint};

/// Watches the request body for the body-read timeout; if it struck, the answer is a 408 in
/// the JSON error shape, not the handler's.
pub(crate) async fn answer_408(req: Request, next: Next) -> Response {
    let struck = Arc::new(AtomicBool::new(false));
    let watched = Arc::clone(&struck);
    let req = req.map(|inner| {
        Body::new(Watched {
            inner,
            struck: watched,
        })
    });
    let res = next.run(req).await;
    if struck.load(Ordering::Relaxed) {
        crate::json_error(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "the request body stopped arriving: send it whole within the body-read timeout",
        )
    } else {
        res
    }
}

struct Watched {
    inner: Body,
    struck: Arc<AtomicBool>,
}

impl HttpBody for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Err(e)) = &frame
            && is_timeout(e)
        {
            self.struck.store(true, Ordering::Relaxed);
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Whether `e`, or an error under it, is the body-read timeout's.
fn is_timeout(e: &axum::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = c.source();
    }
    false
}
