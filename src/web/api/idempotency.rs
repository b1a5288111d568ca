//! Idempotency-Key: a retried POST with the same key (per token) gets the
//! first answer and creates nothing twice. Kept 24 hours; the same key with
//! another body is refused (422), a retry while the first request still
//! runs gets 409. A first request that failed keeps nothing: its retry
//! runs again.

use std::future::Future;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Caller;
use super::problem::Problem;
use crate::state::AppState;
use crate::store::api_tokens::{self, Claim};

pub const HEADER: &str = "idempotency-key";

/// A successful answer to keep: status, Location and JSON body.
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn created(location: String, body: &impl serde::Serialize) -> Answer {
        Answer {
            status: StatusCode::CREATED,
            location: Some(location),
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }
}

fn respond(a: Answer, replayed: bool) -> Response {
    let mut r = (
        a.status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        a.body,
    )
        .into_response();
    if let Some(l) = a.location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        r.headers_mut().insert(header::LOCATION, l);
    }
    if replayed {
        r.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    r
}

/// The request's Idempotency-Key, if it has a valid one.
pub fn key_of(headers: &HeaderMap) -> Option<String> {
    key(headers).ok().flatten()
}

fn key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(v) = headers.get(HEADER) else {
        return Ok(None);
    };
    match v.to_str() {
        Ok(k) if !k.trim().is_empty() && k.len() <= 255 => Ok(Some(k.trim().to_string())),
        _ => Err(Problem::field(
            "Idempotency-Key",
            "1 to 255 visible ASCII characters",
        )),
    }
}

/// Keeps `a` as the key's answer for its retries.
async fn keep(app: &AppState, token: crate::domain::ids::TokenId, key: &str, a: &Answer) {
    let kept = api_tokens::finish(
        &app.db,
        token,
        key,
        a.status.as_u16(),
        a.location.as_deref(),
        &a.body,
    )
    .await;
    if let Err(e) = kept {
        tracing::warn!(error = %e, "could not keep an idempotent answer");
    }
}

/// Runs `work` once per key.
pub async fn once<F, Fut>(
    app: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    hash: [u8; 32],
    work: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Answer, Problem>>,
{
    let unexpected = |_| async {
        Err(Problem::new(StatusCode::CONFLICT, "Conflict")
            .detail("a request with this Idempotency-Key is still running"))
    };
    once_or_rebuild(app, caller, headers, hash, work, unexpected).await
}

/// [`once`] for work that records what it made (a ticket, or a message on
/// one) in its own transaction (`store::api_tokens::made`): when the first
/// request made it but kept no answer, `rebuild` answers from it.
pub async fn once_or_rebuild<F, Fut, R, RFut>(
    app: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    hash: [u8; 32],
    work: F,
    rebuild: R,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Answer, Problem>>,
    R: FnOnce(api_tokens::Made) -> RFut,
    RFut: Future<Output = Result<Answer, Problem>>,
{
    let key = match key(headers) {
        Ok(k) => k,
        Err(p) => return p.into_response(),
    };
    let Some(key) = key else {
        return match work().await {
            Ok(a) => respond(a, false),
            Err(p) => p.into_response(),
        };
    };
    let token = caller.token.id;
    let abandon = (app.config.http.request_timeout * 2).max(60) as i64;
    let claim = match app.db.acquire().await {
        Ok(mut c) => api_tokens::claim(&mut c, token, &key, &hash, abandon).await,
        Err(e) => Err(e),
    };
    let other_body = || {
        Problem::field(
            "Idempotency-Key",
            "this key was used with another request body",
        )
        .into_response()
    };
    match claim {
        Err(e) => Problem::from(e).into_response(),
        Ok(Claim::Done {
            request_hash,
            status,
            location,
            body,
        }) => {
            if request_hash != hash {
                return other_body();
            }
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            respond(
                Answer {
                    status,
                    location,
                    body,
                },
                true,
            )
        }
        Ok(Claim::Running { request_hash } | Claim::Made { request_hash, .. })
            if request_hash != hash =>
        {
            other_body()
        }
        Ok(Claim::Made { made, .. }) => match rebuild(made).await {
            Ok(a) => {
                keep(app, token, &key, &a).await;
                respond(a, true)
            }
            Err(p) => p.into_response(),
        },
        Ok(Claim::Running { .. }) => Problem::new(StatusCode::CONFLICT, "Conflict")
            .detail("a request with this Idempotency-Key is still running")
            .into_response(),
        Ok(Claim::Fresh) => match work().await {
            Ok(a) => {
                keep(app, token, &key, &a).await;
                respond(a, false)
            }
            Err(p) => {
                if let Err(e) = api_tokens::release(&app.db, token, &key).await {
                    tracing::warn!(error = %e, "could not release an idempotency key");
                }
                p.into_response()
            }
        },
    }
}
