//! Replies and internal notes on a ticket (JSON with base64 files, or
//! multipart with streamed files), and attachment downloads (streamed).

use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio_util::io::ReaderStream;
use utoipa::ToSchema;

use super::Auth;
use super::body;
use super::idempotency::{self, Answer};
use super::problem::Problem;
use super::tickets::number;
use crate::domain::ids::{AttachmentId, MessageId, TicketNumber};
use crate::domain::messages::Source;
use crate::domain::status::Status;
use crate::service;
use crate::service::tickets::agent::{self as work, Written};
use crate::service::tickets::representation::{self, Message};
use crate::state::AppState;
use crate::store;

/// A reply or a note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub body: String,
    /// Replies only: the status afterwards (default pending, "waiting on
    /// the customer").
    pub status: Option<String>,
    /// Files as base64 (or send multipart/form-data with file parts).
    #[serde(default)]
    #[schema(value_type = Option<Vec<super::body::Base64File>>)]
    pub attachments: Option<serde_json::Value>,
}

#[derive(Clone, Copy)]
enum What {
    Reply,
    Note,
}

async fn post(
    app: AppState,
    caller: super::Caller,
    raw: String,
    headers: HeaderMap,
    req: Request,
    what: What,
) -> Response {
    let n = match number(&raw) {
        Ok(n) => n,
        Err(p) => return p.into_response(),
    };
    let input = match body::read::<NewMessage>(&app, req).await {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    let key = idempotency::key_of(&headers).map(|k| (caller.token.id, k));
    let (db, viewer) = (app.db.clone(), caller.user.viewer());
    let rebuild = |made: store::api_tokens::Made| async move {
        let id = made.message.ok_or_else(Problem::not_found)?;
        answer(&db, &viewer, made.ticket, id).await
    };
    let work = || async {
        let f = &input.fields;
        let from = Written {
            version: None,
            source: Source::Api,
            idempotency: key,
        };
        let id = match what {
            What::Reply => {
                let then = match f.status.as_deref().filter(|s| !s.is_empty()) {
                    None => None,
                    Some(s) => Some(s.parse::<Status>().map_err(|_| {
                        Problem::field("/status", "open, pending, resolved or closed")
                    })?),
                };
                work::reply_from(&app, &caller.user, n, from, &f.body, &input.uploads, then).await?
            }
            What::Note => {
                if f.status.is_some() {
                    return Err(Problem::field(
                        "/status",
                        "a note does not change the status",
                    ));
                }
                work::note_from(&app, &caller.user, n, from, &f.body, &input.uploads).await?
            }
        };
        answer(&app.db, &caller.user.viewer(), n, id).await
    };
    idempotency::once_or_rebuild(&app, &caller, &headers, input.hash, work, rebuild).await
}

/// The 201 for message `id` of ticket `n`, as `viewer` sees it.
async fn answer(
    db: &sqlx::PgPool,
    viewer: &crate::domain::access::Viewer,
    n: TicketNumber,
    id: MessageId,
) -> Result<Answer, Problem> {
    let t = representation::ticket_for(db, viewer, n).await?;
    let id = id.to_string();
    let m = t
        .messages
        .into_iter()
        .find(|m| m.id == id)
        .ok_or_else(Problem::not_found)?;
    Ok(Answer::created(format!("/api/v1/tickets/{n}"), &m))
}

#[utoipa::path(post, path = "/api/v1/tickets/{number}/replies", tag = "messages", request_body = NewMessage,
    params(("number" = String, Path, description = "The ticket number"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with this key return the first answer")),
    responses((status = 201, body = Message), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem), (status = 401, body = Problem)),
    security(("token" = [])))]
pub async fn reply(
    State(app): State<AppState>,
    Extension(caller): Auth,
    Path(raw): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    post(app, caller, raw, headers, req, What::Reply).await
}

#[utoipa::path(post, path = "/api/v1/tickets/{number}/notes", tag = "messages", request_body = NewMessage,
    params(("number" = String, Path, description = "The ticket number"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retries with this key return the first answer")),
    responses((status = 201, body = Message), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem), (status = 401, body = Problem)),
    security(("token" = [])))]
pub async fn note(
    State(app): State<AppState>,
    Extension(caller): Auth,
    Path(raw): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    post(app, caller, raw, headers, req, What::Note).await
}

#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "messages",
    params(("id" = String, Path, description = "The attachment's id")),
    responses((status = 200, description = "The file's bytes", content_type = "application/octet-stream"),
        (status = 404, body = Problem), (status = 401, body = Problem)),
    security(("token" = [])))]
pub async fn attachment(
    State(app): State<AppState>,
    Extension(caller): Auth,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let id: AttachmentId = raw.parse().map_err(|_| Problem::not_found())?;
    let row = service::tickets::portal::attachment(&app.db, &caller.user.viewer(), id).await?;
    let reader = app
        .blobs
        .open(&row.blob_sha256)
        .await
        .map_err(|e| Problem::from(anyhow::Error::from(e)))?;
    let content_type = HeaderValue::from_str(&row.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_LENGTH, HeaderValue::from(row.size)),
            (
                header::CONTENT_DISPOSITION,
                crate::web::attachments::disposition(false, &row.filename),
            ),
        ],
        Body::from_stream(ReaderStream::new(reader)),
    )
        .into_response())
}
