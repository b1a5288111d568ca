//! Files customers and agents attach. Each file streams into the blob store
//! (never whole in memory), within the per-file and per-message limits, and
//! is then classified by its content. Files accepted in a form that had
//! other errors are "staged": the form carries a signed reference, so the
//! user does not have to pick them again.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tokio::io::AsyncReadExt;

use crate::blobs::{BlobError, BlobReader};
use crate::domain::uploads::{Sniffer, clean_filename};
use crate::service::FieldErrors;
use crate::state::AppState;

/// A stored, accepted file, not yet attached to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub sha256: String,
    pub size: u64,
    pub filename: String,
    pub content_type: String,
}

/// Receives the files of one form, keeping count of the message budget.
pub struct Receiver<'a> {
    app: &'a AppState,
    /// What staged tokens of this form are bound to.
    binding: &'a str,
    used: u64,
    pub uploads: Vec<Upload>,
    pub errors: FieldErrors,
}

impl<'a> Receiver<'a> {
    pub fn new(app: &'a AppState, binding: &'a str) -> Self {
        Self {
            app,
            binding,
            used: 0,
            uploads: Vec::new(),
            errors: FieldErrors::default(),
        }
    }

    fn mb(bytes: u64) -> i64 {
        (bytes / (1024 * 1024)) as i64
    }

    /// Streams one file in. Errors are collected under the `attachments` field.
    pub async fn receive(&mut self, filename: &str, reader: BlobReader<'_>) -> anyhow::Result<()> {
        let limits = self.app.settings.get();
        let name = clean_filename(filename);
        let budget = limits.max_message_bytes.saturating_sub(self.used);
        let limit = limits.max_file_bytes.min(budget);
        let stored = match self.app.blobs.put(reader, limit).await {
            Ok(stored) => stored,
            Err(BlobError::TooLarge(_)) if limit < limits.max_file_bytes => {
                self.errors.add_named(
                    "attachments",
                    "error-files-too-large",
                    &name,
                    Some(Self::mb(limits.max_message_bytes)),
                );
                return Ok(());
            }
            Err(BlobError::TooLarge(_)) => {
                self.errors.add_named(
                    "attachments",
                    "error-file-too-large",
                    &name,
                    Some(Self::mb(limits.max_file_bytes)),
                );
                return Ok(());
            }
            Err(err) => return Err(err.into()),
        };
        let kind = match self.classify(&stored.sha256).await? {
            Ok(kind) => kind,
            Err(actual) => {
                match crate::domain::uploads::claimed_by(&name) {
                    Some(claimed) => {
                        self.errors
                            .add_file_refused("attachments", &name, claimed, actual)
                    }
                    None => self
                        .errors
                        .add_named("attachments", "error-file-type", &name, None),
                }
                return Ok(());
            }
        };
        self.used += stored.size;
        self.uploads.push(Upload {
            sha256: stored.sha256,
            size: stored.size,
            filename: name,
            content_type: kind.content_type().to_string(),
        });
        Ok(())
    }

    /// Takes back a file accepted by an earlier submission of the same form.
    pub fn restage(&mut self, token: &str) {
        if let Some(upload) = read_stage_token(self.app, self.binding, token)
            && !self
                .uploads
                .iter()
                .any(|u| u.sha256 == upload.sha256 && u.filename == upload.filename)
        {
            self.used += upload.size;
            self.uploads.push(upload);
        }
    }

    /// The file's kind, or (when refused) what its content is instead.
    async fn classify(
        &self,
        sha256: &str,
    ) -> anyhow::Result<Result<crate::domain::uploads::Kind, &'static str>> {
        let mut reader = self.app.blobs.open(sha256).await?;
        let mut sniffer = Sniffer::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            sniffer.update(&buf[..n]);
        }
        let refused = sniffer.refused_content();
        Ok(sniffer.finish().ok_or(refused))
    }
}

/// How long a staged file stays claimable.
const STAGED_SECONDS: i64 = 3600;

/// A signed reference to an accepted file, for a form shown again. It is
/// bound to `binding` (the visit's CSRF token, so the session or the
/// pre-session) and expires after an hour: a token that leaks is no use to
/// anyone else.
pub fn stage_token(app: &AppState, binding: &str, upload: &Upload) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    encode(&app.secrets.session_key, binding, now, upload)
}

fn read_stage_token(app: &AppState, binding: &str, token: &str) -> Option<Upload> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    decode(&app.secrets.session_key, binding, now, token)
}

fn encode(key: &crate::secrets::Key, binding: &str, now: i64, upload: &Upload) -> String {
    let payload = format!(
        "{}\n{}\n{}\n{}\n{}",
        now, upload.sha256, upload.size, upload.content_type, upload.filename
    );
    let sig = key.sign(&[b"staged-upload", binding.as_bytes(), payload.as_bytes()]);
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(&sig[..16])
    )
}

fn decode(key: &crate::secrets::Key, binding: &str, now: i64, token: &str) -> Option<Upload> {
    let (payload, sig) = token.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
    let full = key.sign(&[b"staged-upload", binding.as_bytes(), &payload]);
    if sig.len() != 16 || full[..16] != sig[..] {
        return None;
    }
    let text = String::from_utf8(payload).ok()?;
    let mut parts = text.splitn(5, '\n');
    let issued: i64 = parts.next()?.parse().ok()?;
    if !(0..=STAGED_SECONDS).contains(&(now - issued)) {
        return None;
    }
    Some(Upload {
        sha256: parts.next()?.to_string(),
        size: parts.next()?.parse().ok()?,
        content_type: parts.next()?.to_string(),
        filename: parts.next()?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_files_belong_to_their_visit_for_an_hour() {
        let key = crate::secrets::Key::for_tests(4);
        let upload = Upload {
            sha256: "ab".repeat(32),
            size: 42,
            filename: "скриншот.png".into(),
            content_type: "image/png".into(),
        };
        let token = encode(&key, "visit-a", 1000, &upload);
        let back = decode(&key, "visit-a", 1000 + 60, &token).expect("same visit");
        assert_eq!((back.filename, back.size), (upload.filename.clone(), 42));
        assert!(
            decode(&key, "visit-b", 1060, &token).is_none(),
            "another visit"
        );
        assert!(
            decode(&key, "visit-a", 1000 + 3601, &token).is_none(),
            "expired"
        );
    }
}
