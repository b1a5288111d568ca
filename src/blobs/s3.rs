//! Blobs in an S3-compatible bucket (AWS, Garage, MinIO, Ceph…), shared by
//! every node. Keys are `<prefix><ab>/<cd>/<sha256>` like the folder's
//! paths. An upload lands in a local spool file first because its key (the
//! hash) is only known at the end; then it goes up in one request, or in
//! parts for large files, so memory stays at a few parts whatever the size.

use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::TryStreamExt;
use futures_util::future::BoxFuture;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{ClientOptions, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart};
use secrecy::ExposeSecret;
use tokio::io::AsyncReadExt;

use super::{BlobError, BlobReader, BlobStore, StoredBlob, spool, valid_sha256};
use crate::config::S3Config;

/// Files up to this size go up in one request; larger ones in parts of it
/// (S3 wants parts of at least 5 MiB).
const PART: usize = 8 * 1024 * 1024;
/// Parts in flight at once per upload.
const PARTS_IN_FLIGHT: usize = 2;

pub struct S3BlobStore {
    store: AmazonS3,
    prefix: String,
    spool: PathBuf,
}

impl S3BlobStore {
    pub fn new(config: &S3Config, data_dir: &Path) -> anyhow::Result<Self> {
        crate::use_ring_for_tls();
        let secret = config
            .secret_access_key
            .as_ref()
            .map(|s| s.expose_secret().to_string())
            .unwrap_or_default();
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(secret)
            // A store that is away fails a download in seconds, not after
            // the client's default three minutes of retries.
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(15),
                ..RetryConfig::default()
            })
            .with_client_options(
                ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(120)),
            );
        if !config.endpoint.is_empty() {
            builder = builder
                .with_endpoint(&config.endpoint)
                .with_allow_http(config.endpoint.starts_with("http://"));
        }
        let spool = data_dir.join("tmp").join("blobs");
        std::fs::create_dir_all(&spool)?;
        Ok(Self {
            store: builder.build()?,
            prefix: config.prefix.clone(),
            spool,
        })
    }

    fn key(&self, sha256: &str) -> Option<Key> {
        valid_sha256(sha256).then(|| {
            Key::from(format!(
                "{}{}/{}/{}",
                self.prefix,
                &sha256[0..2],
                &sha256[2..4],
                sha256
            ))
        })
    }

    async fn put_inner(&self, reader: BlobReader<'_>, limit: u64) -> Result<StoredBlob, BlobError> {
        let (tmp, stored) = spool(reader, limit, &self.spool).await?;
        let result = self.upload(&tmp, &stored).await;
        let _ = tokio::fs::remove_file(&tmp).await;
        result.map(|()| stored)
    }

    async fn upload(&self, file: &Path, stored: &StoredBlob) -> Result<(), BlobError> {
        let key = self.key(&stored.sha256).ok_or(BlobError::Missing)?;
        if self.exists_key(&key).await? {
            return Ok(());
        }
        let mut file = tokio::fs::File::open(file).await?;
        if stored.size <= PART as u64 {
            let mut bytes = Vec::with_capacity(stored.size as usize);
            file.read_to_end(&mut bytes).await?;
            self.store.put(&key, PutPayload::from(bytes)).await?;
            return Ok(());
        }
        let upload = self.store.put_multipart(&key).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut buf = vec![0u8; 256 * 1024];
        let sent: Result<(), BlobError> = async {
            loop {
                let n = file.read(&mut buf).await?;
                if n == 0 {
                    return Ok(());
                }
                writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                writer.write(&buf[..n]);
            }
        }
        .await;
        match sent {
            Ok(()) => {
                writer.finish().await?;
                Ok(())
            }
            Err(err) => {
                let _ = writer.abort().await;
                Err(err)
            }
        }
    }

    async fn exists_key(&self, key: &Key) -> Result<bool, BlobError> {
        match self.store.head(key).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(err) => Err(err.into()),
        }
    }
}

impl BlobStore for S3BlobStore {
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
            let key = self.key(sha256).ok_or(BlobError::Missing)?;
            let got = match self.store.get(&key).await {
                Ok(got) => got,
                Err(object_store::Error::NotFound { .. }) => return Err(BlobError::Missing),
                Err(err) => return Err(err.into()),
            };
            let stream = got.into_stream().map_err(std::io::Error::other);
            Ok(Box::pin(tokio_util::io::StreamReader::new(stream)) as BlobReader<'static>)
        })
    }

    fn delete<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, Result<(), BlobError>> {
        Box::pin(async move {
            let key = self.key(sha256).ok_or(BlobError::Missing)?;
            match self.store.delete(&key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                Err(err) => Err(err.into()),
            }
        })
    }

    fn exists<'a>(&'a self, sha256: &'a str) -> BoxFuture<'a, Result<bool, BlobError>> {
        Box::pin(async move {
            let key = self.key(sha256).ok_or(BlobError::Missing)?;
            self.exists_key(&key).await
        })
    }
}
