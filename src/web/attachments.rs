//! GET /attachments/{id}: one download route for every area. The access
//! rule decides (customers never reach internal notes' files; a signed
//! link reaches its own ticket's files). Bytes stream from the blob store.
//! Only safe raster images are shown inline; everything else downloads.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use tokio_util::io::ReaderStream;

use super::context::Visitor;
use super::error::WebError;
use super::portal::access::link_holder;
use crate::domain::ids::{AttachmentId, MessageId};
use crate::domain::uploads::shown_inline;
use crate::i18n::Formatter;
use crate::service;
use crate::state::AppState;
use crate::store::attachments::AttachmentRow;
use crate::store::ticket_views::FileRef;

/// One attachment on a conversation page: a link that shows safe images
/// and downloads everything else.
pub struct Chip {
    pub id: String,
    pub filename: String,
    pub size: String,
    pub is_image: bool,
}

/// The attachments of one message, in the order they were stored.
pub fn chips(files: &[AttachmentRow], message: MessageId, fmt: &Formatter) -> Vec<Chip> {
    files
        .iter()
        .filter(|f| f.message_id == message)
        .map(|f| Chip {
            id: f.id.to_string(),
            filename: f.filename.clone(),
            size: fmt.bytes(f.size as u64),
            is_image: shown_inline(&f.content_type),
        })
        .collect()
}

/// The chips of one message's files, as the read model lists them.
pub fn chips_of(files: &[FileRef], fmt: &Formatter) -> Vec<Chip> {
    files
        .iter()
        .map(|f| Chip {
            id: f.id.to_string(),
            filename: f.filename.clone(),
            size: fmt.bytes(f.size as u64),
            is_image: shown_inline(&f.content_type),
        })
        .collect()
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/attachments/{id}", get(download))
}

async fn find(
    app: &AppState,
    visitor: Option<&Visitor>,
    headers: &HeaderMap,
    id: AttachmentId,
) -> Result<AttachmentRow, WebError> {
    if let Some(v) = visitor
        && let Ok(row) = service::tickets::portal::attachment(&app.db, &v.viewer(), id).await
    {
        return Ok(row);
    }
    if let Some((user, ticket)) = link_holder(app, headers).await?
        && let Ok(row) = service::tickets::portal::attachment(&app.db, &user.viewer(), id).await
        && row.ticket_number == ticket
    {
        return Ok(row);
    }
    Err(WebError::NotFound)
}

/// RFC 6266: an ASCII fallback and the UTF-8 name (Cyrillic names survive).
pub fn disposition(inline: bool, filename: &str) -> HeaderValue {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(filename.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let kind = if inline { "inline" } else { "attachment" };
    HeaderValue::from_str(&format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or(HeaderValue::from_static("attachment"))
}

/// GET /attachments/{id}
async fn download(
    State(app): State<AppState>,
    visitor: Option<Extension<Visitor>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: AttachmentId = id.parse().map_err(|_| WebError::NotFound)?;
    let row = find(&app, visitor.as_deref(), &headers, id).await?;
    let reader = app
        .blobs
        .open(&row.blob_sha256)
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
    let inline = shown_inline(&row.content_type);
    let content_type = HeaderValue::from_str(&row.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_LENGTH, HeaderValue::from(row.size)),
            (
                header::CONTENT_DISPOSITION,
                disposition(inline, &row.filename),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=3600"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        Body::from_stream(ReaderStream::new(reader)),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn cyrillic_names_get_an_ascii_fallback_and_a_utf8_name() {
        let v = super::disposition(false, "счёт 1.pdf");
        let s = v.to_str().expect("ascii header");
        assert!(s.starts_with("attachment; filename=\"____ 1.pdf\""), "{s}");
        assert!(
            s.contains("filename*=UTF-8''%D1%81%D1%87%D1%91%D1%82%201.pdf"),
            "{s}"
        );
    }
}
