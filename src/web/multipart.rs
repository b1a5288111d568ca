//! Reading multipart forms (the ones with file inputs): text fields are
//! collected, files stream straight into the blob store through
//! `service::tickets::uploads`, and files accepted by an earlier submission come
//! back through their signed "staged" references.

use axum::extract::Multipart;
use futures_util::TryStreamExt;
use tokio_util::io::StreamReader;

use super::error::WebError;
use crate::service::FieldErrors;
use crate::service::tickets::uploads::{Receiver, Upload};
use crate::state::AppState;

/// A submitted multipart form.
pub struct MultipartForm {
    fields: Vec<(String, String)>,
    pub uploads: Vec<Upload>,
    /// Errors about the files (size, type).
    pub errors: FieldErrors,
}

impl MultipartForm {
    /// The first value of a text field ("" when absent).
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every text field whose name starts with `prefix`, without the prefix.
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.fields
            .iter()
            .filter_map(move |(k, v)| k.strip_prefix(prefix).map(|k| (k, v.as_str())))
    }
}

/// Reads the whole form; staged files come back only for the visit they
/// were staged in (`binding`: the page's CSRF token).
pub async fn read(
    app: &AppState,
    binding: &str,
    mut multipart: Multipart,
) -> Result<MultipartForm, WebError> {
    let mut receiver = Receiver::new(app, binding);
    let mut fields = Vec::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|_| WebError::Invalid)?
    {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            // An empty file input still sends a part: nothing was chosen.
            Some(filename) if filename.is_empty() => {}
            Some(filename) => {
                let stream = field.map_err(std::io::Error::other);
                receiver
                    .receive(&filename, Box::pin(StreamReader::new(stream)))
                    .await?;
            }
            None if name == "staged" => {
                let token = field.text().await.map_err(|_| WebError::Invalid)?;
                receiver.restage(&token);
            }
            None => {
                // NUL cannot be stored in PostgreSQL text.
                let value = field.text().await.map_err(|_| WebError::Invalid)?;
                fields.push((name, value.replace('\0', "")));
            }
        }
    }
    Ok(MultipartForm {
        fields,
        uploads: receiver.uploads,
        errors: receiver.errors,
    })
}
