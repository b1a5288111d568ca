//! Errors as pages. Handlers return `WebError`; the response carries an
//! [`ErrorMarker`] that the context middleware turns into an error page in
//! the reader's language. 5xx are logged once, with their cause chain; the
//! reader sees a generic message and the request id.

use askama::Template;
use askama_web::WebTemplate;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::context::PageCtx;
use crate::service;

/// What a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error("too many requests")]
    Throttled { retry_after: u64 },
    #[error("invalid input")]
    Invalid,
    /// The database is saturated; the reader should try again shortly.
    #[error("busy")]
    Busy,
    /// A GET (a reload, a bookmark) of an address that only takes forms.
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<service::Error> for WebError {
    fn from(err: service::Error) -> Self {
        match err {
            service::Error::NotFound => WebError::NotFound,
            service::Error::Forbidden => WebError::Forbidden,
            service::Error::Conflict(what) => WebError::Conflict(what.as_str()),
            service::Error::Throttled { retry_after } => WebError::Throttled { retry_after },
            // Forms handle their own errors; one that gets here is a bug in
            // the form, not a server failure.
            service::Error::Invalid(_) => WebError::Invalid,
            service::Error::Internal(err) => WebError::Internal(err),
        }
    }
}

impl From<sqlx::Error> for WebError {
    fn from(err: sqlx::Error) -> Self {
        WebError::Internal(err.into())
    }
}

/// Seconds a busy answer asks the client to wait.
pub const BUSY_RETRY_AFTER: u64 = 2;

/// Tells the context middleware to render an error page.
#[derive(Debug, Clone, Copy)]
pub struct ErrorMarker {
    pub status: StatusCode,
    pub message_key: &'static str,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, message_key) = match &self {
            WebError::NotFound => (StatusCode::NOT_FOUND, "error-not-found"),
            WebError::Forbidden => (StatusCode::FORBIDDEN, "error-forbidden"),
            WebError::Conflict(what) => (StatusCode::CONFLICT, conflict_message(what)),
            WebError::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "error-throttled"),
            WebError::Invalid => (StatusCode::UNPROCESSABLE_ENTITY, "error-invalid"),
            WebError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "error-busy"),
            WebError::Internal(err) if crate::database::is_overload(err) => {
                tracing::warn!(error = %err, "database busy; answered 503");
                metrics::counter!("bilet_http_busy_total").increment(1);
                (StatusCode::SERVICE_UNAVAILABLE, "error-busy")
            }
            WebError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "error-form-only"),
            WebError::Internal(err) => {
                tracing::error!(error = ?err, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "error-internal")
            }
        };
        let mut response = status.into_response();
        let retry_after = match &self {
            WebError::Throttled { retry_after } => Some(*retry_after),
            _ if status == StatusCode::SERVICE_UNAVAILABLE => Some(BUSY_RETRY_AFTER),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(seconds),
            );
        }
        response.extensions_mut().insert(ErrorMarker {
            status,
            message_key,
        });
        response
    }
}

/// The message of a conflict: its own where it has one ("You cannot
/// disable your own account"), else "someone changed this".
fn conflict_message(what: &str) -> &'static str {
    match what {
        "own-account" => "notice-own-account",
        "already-closed" => "notice-already-closed",
        "not-resolved" => "notice-not-resolved",
        "rating-fixed" => "notice-rating-fixed",
        "split-last-message" => "notice-split-last-message",
        "merged-away" => "notice-merged-away",
        "reopen-window-passed" => "notice-reopen-window-passed",
        "mail-done" => "notice-mail-done",
        "nothing-changed" => "notice-nothing-changed",
        _ => "error-conflict",
    }
}

/// templates/error.html
#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub page: PageCtx,
    pub title: String,
    pub message: String,
    pub request_id: Option<String>,
}
