//! API errors as RFC 9457 problem details (`application/problem+json`),
//! with an `errors` member naming each bad field by JSON pointer. No
//! internal error text ever reaches a response: 5xx are logged and answered
//! with a generic title.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::{Arg, Locale};
use crate::service::{self, Conflict};

/// One bad field.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldProblem {
    /// JSON pointer (RFC 6901) to the field in the request body, or the
    /// query parameter's name for a query.
    pub pointer: String,
    pub detail: String,
}

/// A problem details document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, title: &str) -> Problem {
        Problem {
            kind: "about:blank".to_string(),
            title: title.to_string(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            retry_after: None,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Problem {
        self.detail = Some(detail.into());
        self
    }

    pub fn not_found() -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "Not Found")
    }

    pub fn unauthorized() -> Problem {
        Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized")
            .detail("send an API token: Authorization: Bearer bilet_…")
    }

    /// 422 with one entry per bad field.
    pub fn invalid(errors: Vec<FieldProblem>) -> Problem {
        Problem {
            errors,
            ..Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Unprocessable Content")
                .detail("the request has invalid fields")
        }
    }

    pub fn field(pointer: &str, detail: impl Into<String>) -> Problem {
        Problem::invalid(vec![FieldProblem {
            pointer: pointer.to_string(),
            detail: detail.into(),
        }])
    }

    pub fn throttled(retry_after: u64) -> Problem {
        Problem {
            retry_after: Some(retry_after.max(1)),
            ..Problem::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests")
        }
    }
}

fn conflict_title(c: Conflict) -> (StatusCode, &'static str) {
    match c {
        Conflict::Stale => (
            StatusCode::PRECONDITION_FAILED,
            "the ticket changed since the version in If-Match",
        ),
        other => (StatusCode::CONFLICT, other.as_str()),
    }
}

impl From<service::Error> for Problem {
    fn from(err: service::Error) -> Problem {
        match err {
            service::Error::NotFound => Problem::not_found(),
            service::Error::Forbidden => Problem::new(StatusCode::FORBIDDEN, "Forbidden")
                .detail("the token may see this but not do it"),
            service::Error::Invalid(fields) => {
                let locale = Locale::fallback();
                Problem::invalid(
                    fields
                        .0
                        .iter()
                        .map(|e| FieldProblem {
                            pointer: format!("/{}", e.field),
                            detail: match e.n {
                                Some(n) => locale.t_with(e.key, &[("n", Arg::Num(n))]),
                                None => locale.t(e.key),
                            },
                        })
                        .collect(),
                )
            }
            service::Error::Conflict(c) => {
                let (status, detail) = conflict_title(c);
                Problem::new(status, status.canonical_reason().unwrap_or("Conflict")).detail(detail)
            }
            service::Error::Throttled { retry_after } => Problem::throttled(retry_after),
            service::Error::Internal(err) if crate::database::is_overload(&err) => {
                tracing::warn!(error = %err, "database busy; answered 503");
                metrics::counter!("bilet_http_busy_total").increment(1);
                let mut busy = Problem::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
                    .detail("the helpdesk is busy; try again in a moment");
                busy.retry_after = Some(crate::web::error::BUSY_RETRY_AFTER);
                busy
            }
            service::Error::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "API request failed");
                Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }
}

impl From<sqlx::Error> for Problem {
    fn from(err: sqlx::Error) -> Problem {
        service::Error::Internal(err.into()).into()
    }
}

impl From<anyhow::Error> for Problem {
    fn from(err: anyhow::Error) -> Problem {
        service::Error::Internal(err).into()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            )],
            body,
        )
            .into_response();
        if let Some(s) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
