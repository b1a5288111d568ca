//! Blobs as files in the data folder, for a single node.

use std::path::{Path, PathBuf};

use futures_util::future::BoxFuture;

use super::{BlobError, BlobReader, BlobStore, StoredBlob, spool, valid_sha256};

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
        valid_sha256(sha256).then(|| {
            self.root
                .join(&sha256[0..2])
                .join(&sha256[2..4])
                .join(sha256)
        })
    }

    async fn put_inner(&self, reader: BlobReader<'_>, limit: u64) -> Result<StoredBlob, BlobError> {
        let (tmp, stored) = spool(reader, limit, &self.root.join("tmp")).await?;
        let Some(path) = self.path(&stored.sha256) else {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(BlobError::Missing);
        };
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        // Same content, same name: renaming over an existing copy is harmless.
        tokio::fs::rename(&tmp, &path).await?;
        Ok(stored)
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
    use tokio::io::AsyncReadExt;

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
