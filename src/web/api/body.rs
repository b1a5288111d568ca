//! Request bodies of the API: JSON (attachments as base64) or multipart
//! (files streamed into the blob store, never whole in memory). Either way
//! the handler gets typed fields, the stored files, and a hash of the
//! request for Idempotency-Key.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use futures_util::TryStreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tokio_util::io::StreamReader;
use utoipa::ToSchema;

use super::problem::{FieldProblem, Problem};
use crate::service::tickets::uploads::{Receiver, Upload};
use crate::state::AppState;

/// A file sent inside a JSON body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Base64File {
    pub filename: String,
    /// The file's bytes, base64 (standard alphabet, padded).
    pub content_base64: String,
}

/// A request body, read.
pub struct Input<T> {
    pub fields: T,
    pub uploads: Vec<Upload>,
    /// What a retry with the same Idempotency-Key must repeat.
    pub hash: [u8; 32],
}

fn is_multipart(req: &Request) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// Typed fields from a JSON value, or a 422 naming the bad field.
pub fn typed<T: DeserializeOwned>(value: Value) -> Result<T, Problem> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let pointer: String = e
            .path()
            .iter()
            .map(|seg| match seg {
                serde_path_to_error::Segment::Seq { index } => format!("/{index}"),
                serde_path_to_error::Segment::Map { key } => format!("/{key}"),
                serde_path_to_error::Segment::Enum { variant } => format!("/{variant}"),
                serde_path_to_error::Segment::Unknown => String::new(),
            })
            .collect();
        Problem::invalid(vec![FieldProblem {
            pointer,
            detail: e.inner().to_string(),
        }])
    })
}

/// Reads `req`'s body as `T` plus its files.
pub async fn read<T: DeserializeOwned>(app: &AppState, req: Request) -> Result<Input<T>, Problem> {
    let mut receiver = Receiver::new(app, "api");
    let (value, hash) = if is_multipart(&req) {
        multipart(app, req, &mut receiver).await?
    } else {
        json(app, req, &mut receiver).await?
    };
    if !receiver.errors.is_empty() {
        return Err(crate::service::Error::Invalid(receiver.errors).into());
    }
    Ok(Input {
        fields: typed(value)?,
        uploads: receiver.uploads,
        hash,
    })
}

async fn json(
    app: &AppState,
    req: Request,
    receiver: &mut Receiver<'_>,
) -> Result<(Value, [u8; 32]), Problem> {
    // A raw body is not bounded by the router's default limit: bound it here.
    let bytes = axum::body::to_bytes(req.into_body(), app.config.http.body_limit)
        .await
        .map_err(|_| {
            Problem::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "Content Too Large",
            )
        })?;
    let hash: [u8; 32] = Sha256::digest(&bytes).into();
    let mut value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Problem::new(axum::http::StatusCode::BAD_REQUEST, "Bad Request")
            .detail(format!("the body is not JSON: {e}"))
    })?;
    let Some(object) = value.as_object_mut() else {
        return Err(Problem::field("", "the body must be a JSON object"));
    };
    if let Some(files) = object.remove("attachments") {
        let files: Vec<Base64File> = typed(files).map_err(|mut p| {
            for e in &mut p.errors {
                e.pointer = format!("/attachments{}", e.pointer);
            }
            p
        })?;
        for (i, f) in files.iter().enumerate() {
            let bytes = STANDARD.decode(f.content_base64.trim()).map_err(|_| {
                Problem::field(
                    &format!("/attachments/{i}/content_base64"),
                    "not base64 (standard alphabet, padded)",
                )
            })?;
            receiver
                .receive(&f.filename, Box::pin(std::io::Cursor::new(bytes)))
                .await?;
        }
    }
    Ok((value, hash))
}

async fn multipart(
    app: &AppState,
    req: Request,
    receiver: &mut Receiver<'_>,
) -> Result<(Value, [u8; 32]), Problem> {
    let bad = || {
        Problem::new(axum::http::StatusCode::BAD_REQUEST, "Bad Request")
            .detail("the multipart body could not be read")
    };
    let mut form = Multipart::from_request(req, app).await.map_err(|_| bad())?;
    let mut fields = Map::new();
    let mut hasher = Sha256::new();
    while let Some(field) = form.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or_default().to_string();
        hasher.update((name.len() as u64).to_be_bytes());
        hasher.update(name.as_bytes());
        match field.file_name().map(str::to_string) {
            Some(filename) if filename.is_empty() => {}
            Some(filename) => {
                let stream = field.map_err(std::io::Error::other);
                let before = receiver.uploads.len();
                receiver
                    .receive(&filename, Box::pin(StreamReader::new(stream)))
                    .await?;
                if let Some(u) = receiver.uploads.get(before) {
                    hasher.update(filename.as_bytes());
                    hasher.update(u.sha256.as_bytes());
                }
            }
            None => {
                let text = field.text().await.map_err(|_| bad())?.replace('\0', "");
                hasher.update((text.len() as u64).to_be_bytes());
                hasher.update(text.as_bytes());
                fields.insert(name, Value::String(text));
            }
        }
    }
    Ok((Value::Object(fields), hasher.finalize().into()))
}

/// A flag sent as JSON `true`/`false` or as a form's "true"/"false"/"1"/"0".
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Bool(bool),
        Text(String),
    }
    match Option::<Either>::deserialize(d)? {
        None => Ok(None),
        Some(Either::Bool(b)) => Ok(Some(b)),
        Some(Either::Text(t)) => match t.as_str() {
            "true" | "1" | "on" => Ok(Some(true)),
            "false" | "0" | "" => Ok(Some(false)),
            _ => Err(serde::de::Error::custom("expected true or false")),
        },
    }
}
