//! The connection wrapper of every listener. It does two things hyper cannot be told to do:
//!
//! - **A write that stalls ends the connection.** A client that sends requests but never reads
//!   the answers would otherwise hold its connection slot forever once the socket buffers are
//!   full; a write that makes no progress for the policy's `write_timeout` fails instead.
//! - **JSON for hyper's own errors**, below.
//!
//! hyper answers requests it cannot parse (a malformed request line, a URI over 64 KiB, a head
//! over the buffer limit, too many headers) by itself, with an empty 400, 414 or 431 that no
//! handler or layer sees. This connection wrapper recognises such an answer as hyper writes it
//! — a 4xx head with `content-length: 0`, which the JSON error layer never lets a handler's
//! answer have — and writes the JSON error shape in its place.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::errors::code_for;

/// A connection whose automatic parse-error answers become JSON and whose stalled writes end.
#[derive(Debug)]
pub(crate) struct JsonParseErrors<S> {
    inner: S,
    /// The replacement being written, how much of it is written, and how many bytes of the
    /// original to report once it is.
    pending: Option<(Vec<u8>, usize, usize)>,
    write_timeout: std::time::Duration,
    /// Running while a write waits for the peer.
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> JsonParseErrors<S> {
    pub(crate) fn new(inner: S, write_timeout: std::time::Duration) -> Self {
        Self {
            inner,
            pending: None,
            write_timeout,
            stall: None,
        }
    }

    /// The inner write is pending: fails once it has been for `write_timeout`.
    fn stalled<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let timeout = self.write_timeout;
        let stall = self
            .stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stall.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The JSON answer that replaces hyper's empty one, if `buf` is such an answer.
fn replacement(buf: &[u8]) -> Option<Vec<u8>> {
    if buf.len() < 12 || !buf.starts_with(b"HTTP/1.") || buf[8] != b' ' || buf[9] != b'4' {
        return None;
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    if end + 4 != buf.len() {
        return None; // it has a body: a handler's answer
    }
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    if !head.contains("\r\ncontent-length: 0") {
        return None;
    }
    let status_line = head.lines().next()?;
    let code: u16 = status_line.get(9..12)?.parse().ok()?;
    let status = axum::http::StatusCode::from_u16(code).ok()?;
    let message = match code {
        414 => "the request URI is too long",
        431 => "the request head is too large (too many or too long headers)",
        _ => "the request is not valid HTTP/1.1",
    };
    let body = serde_json::json!({ "error": { "code": code_for(status), "message": message } })
        .to_string();
    let reason = status.canonical_reason().unwrap_or("Error");
    Some(
        format!(
            "HTTP/1.1 {code} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonParseErrors<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonParseErrors<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.pending.is_none() {
            match replacement(buf) {
                Some(r) => this.pending = Some((r, 0, buf.len())),
                None => {
                    return match Pin::new(&mut this.inner).poll_write(cx, buf) {
                        Poll::Pending => this.stalled(cx),
                        done => {
                            this.stall = None;
                            done
                        }
                    };
                }
            }
        }
        // hyper calls again with the same bytes after `Pending`, so the state carries over.
        while let Some((bytes, written, original)) = &mut this.pending {
            let n = match Pin::new(&mut this.inner).poll_write(cx, &bytes[*written..]) {
                Poll::Pending => return this.stalled(cx),
                Poll::Ready(r) => {
                    this.stall = None;
                    r?
                }
            };
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
            if *written == bytes.len() {
                let original = *original;
                this.pending = None;
                return Poll::Ready(Ok(original));
            }
        }
        Poll::Ready(Ok(0))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending => self.stalled(cx),
            done => {
                self.stall = None;
                done
            }
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    // hyper then hands over each answer as one buffer, which `replacement` needs.
    fn is_write_vectored(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::replacement;

    #[test]
    fn only_empty_4xx_heads_are_replaced() {
        let r = replacement(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n",
        )
        .expect("replaced");
        let text = String::from_utf8(r).expect("utf-8");
        assert!(text.starts_with("HTTP/1.1 431 "));
        assert!(text.ends_with("\"code\":\"headers_too_large\",\"message\":\"the request head is too large (too many or too long headers)\"}}"), "{text}");
        assert!(replacement(b"HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}").is_none());
        assert!(replacement(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_none());
        assert!(replacement(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 5\r\n\r\n").is_none());
    }
}
