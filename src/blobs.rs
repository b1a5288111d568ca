//! Attachment and raw-mail bytes. Content-addressed by SHA-256 so the same
//! file stored twice takes room once; the database counts references
//! (`blobs.ref_count`). Behind a small trait: the data folder now, an
//! S3-compatible store when several nodes share the files. Bytes are
//! streamed in and out, never held whole in memory.

use std::path::{Path, PathBuf};
use std::pin::Pin;

use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

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
}

/// Blobs as files under `<data>/blobs/ab/cd/<sha256>`.
pub struct FsBlobStore {
    root: PathBuf,
}

impl FsBlobStore {
    pub fn new(data_dir: &Path) -> std::io::Result<Self> {
        let root = data_dir.join("blobs");
        std::fs::create_dir_all(root.join("tmp"))?;
        Ok(Self { root })
    }

    fn path(&self, sha256: &str) -> Option<PathBuf> {
        let valid = sha256.len() == 64
            && sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        valid.then(|| {
            self.root
                .join(&sha256[0..2])
                .join(&sha256[2..4])
                .join(sha256)
        })
    }

    async fn put_inner(
        &self,
        mut reader: BlobReader<'_>,
        limit: u64,
    ) -> Result<StoredBlob, BlobError> {
        let tmp = self.root.join("tmp").join(uuid::Uuid::new_v4().to_string());
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
        let sha256: String = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let path = self.path(&sha256).ok_or(BlobError::Missing)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        // Same content, same name: renaming over an existing copy is harmless.
        tokio::fs::rename(&tmp, &path).await?;
        Ok(StoredBlob { sha256, size })
    }
}

impl BlobStore for FsBlobStore {
    fn put<'a>(
        &'a self,
        reader: BlobReader<'a>,
        limit: u64,
    ) -> BoxFuture<'a, Result<StoredBlob, BlobError>> {
        Box::pin(self.put_inner(reader, limit))
    }

    fn open<'a>(
        &'a self,
        sha256: &'a str,
    ) -> BoxFuture<'a, Result<BlobReader<'static>, BlobError>> {
        Box::pin(async move {
            let path = self.path(sha256).ok_or(BlobError::Missing)?;
            match tokio::fs::File::open(path).await {
                Ok(file) => Ok(Box::pin(file) as BlobReader<'static>),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err(BlobError::Missing),
                Err(err) => Err(err.into()),
            }
        })
    }

    fn delete<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, Result<(), BlobError>> {
        Box::pin(async move {
            let path = self.path(sha256).ok_or(BlobError::Missing)?;
            match tokio::fs::remove_file(path).await {
                Ok(()) => Ok(()),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(err) => Err(err.into()),
            }
        })
    }

    fn exists<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, Result<bool, BlobError>> {
        Box::pin(async move {
            let path = self.path(sha256).ok_or(BlobError::Missing)?;
            Ok(tokio::fs::try_exists(path).await?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(bytes: &'static [u8]) -> BlobReader<'static> {
        Box::pin(bytes)
    }

    #[tokio::test]
    async fn blobs_are_content_addressed_and_read_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FsBlobStore::new(dir.path()).expect("store");
        let a = store
            .put(reader(b"traceroute output"), 1024)
            .await
            .expect("put");
        let b = store
            .put(reader(b"traceroute output"), 1024)
            .await
            .expect("put again");
        assert_eq!(a, b);
        assert_eq!(a.size, 17);
        let mut back = String::new();
        store
            .open(&a.sha256)
            .await
            .expect("open")
            .read_to_string(&mut back)
            .await
            .expect("read");
        assert_eq!(back, "traceroute output");
        store.delete(&a.sha256).await.expect("delete");
        assert!(matches!(
            store.open(&a.sha256).await,
            Err(BlobError::Missing)
        ));
    }

    #[tokio::test]
    async fn oversized_blobs_are_refused_and_leave_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FsBlobStore::new(dir.path()).expect("store");
        let err = store
            .put(reader(b"0123456789"), 5)
            .await
            .expect_err("too large");
        assert!(matches!(err, BlobError::TooLarge(5)));
        let leftovers = std::fs::read_dir(dir.path().join("blobs/tmp"))
            .expect("tmp")
            .count();
        assert_eq!(leftovers, 0);
    }

    #[tokio::test]
    async fn hashes_that_are_not_hashes_never_reach_the_file_system() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FsBlobStore::new(dir.path()).expect("store");
        assert!(matches!(
            store.open("../../secrets.toml").await,
            Err(BlobError::Missing)
        ));
    }
}
