//! Attachment and raw-mail bytes. Content-addressed by SHA-256 so the same
//! file stored twice takes room once; the database counts references
//! (`blobs.ref_count`). Behind a small trait: the data folder for one node
//! (`folder`), an S3-compatible store when several nodes share the files
//! (`s3`). Bytes are streamed in and out, never held whole in memory.

mod folder;
mod s3;

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::config::{BlobBackend, Config};
pub use folder::FsBlobStore;
pub use s3::S3BlobStore;

/// Where a blob landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    pub sha256: String,
    pub size: u64,
}

/// A readable blob, or bytes on their way in.
pub type BlobReader<'a> = Pin<Box<dyn AsyncRead + Send + 'a>>;

/// Blob storage.
pub trait BlobStore: Send + Sync {
    /// Streams `reader` into the store; at most `limit` bytes, else an error
    /// and nothing is kept.
    fn put<'a>(
        &'a self,
        reader: BlobReader<'a>,
        limit: u64,
    ) -> BoxFuture<'a, Result<StoredBlob, BlobError>>;
    /// Opens a stored blob.
    fn open<'a>(&'a self, sha256: &'a str)
    -> BoxFuture<'a, Result<BlobReader<'static>, BlobError>>;
    /// Removes a blob nobody references any more.
    fn delete<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, Result<(), BlobError>>;
    /// Whether the blob's bytes are there.
    fn exists<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, Result<bool, BlobError>>;
}

/// Blob store failures.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("larger than {0} bytes")]
    TooLarge(u64),
    #[error("no such blob")]
    Missing,
    #[error("blob store: {0}")]
    Io(#[from] std::io::Error),
    #[error("S3 store: {0}")]
    Remote(#[from] object_store::Error),
}

/// The store the configuration names.
pub fn open(config: &Config) -> anyhow::Result<Arc<dyn BlobStore>> {
    Ok(match config.blobs.store {
        BlobBackend::Folder => Arc::new(FsBlobStore::new(&config.data_dir)?),
        BlobBackend::S3 => Arc::new(S3BlobStore::new(&config.blobs.s3, &config.data_dir)?),
    })
}

/// A lower-case SHA-256 in hex: the only names a store ever builds a path
/// or key from.
fn valid_sha256(sha256: &str) -> bool {
    sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Streams `reader` into a new file under `tmp_dir`, hashing it on the way
/// and stopping at `limit` bytes; the name is only known at the end, so
/// every store lands bytes here first. On error nothing is left behind.
async fn spool(
    mut reader: BlobReader<'_>,
    limit: u64,
    tmp_dir: &Path,
) -> Result<(PathBuf, StoredBlob), BlobError> {
    let tmp = tmp_dir.join(uuid::Uuid::new_v4().to_string());
    let mut file = tokio::fs::File::create(&tmp).await?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    let result = async {
        loop {
            let n = reader.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > limit {
                return Err(BlobError::TooLarge(limit));
            }
            hasher.update(&buf[..n]);
            file.write_all(&buf[..n]).await?;
        }
        file.sync_all().await?;
        Ok(())
    }
    .await;
    if let Err(err) = result {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(err);
    }
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((tmp, StoredBlob { sha256, size }))
}
