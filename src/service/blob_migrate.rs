//! Moving every blob from one store to another (`bilet blobs migrate`),
//! e.g. from the data folder to S3 before a second node joins. Safe to run
//! while Bilet serves and to run again: what the target has is skipped, a
//! copy is checked against its hash, and the collector is held off (as for
//! a backup) so no blob it lists is deleted from under it. New uploads go
//! to the configured store; run it once more right after switching
//! `blobs.store` to catch the files that arrived in between.

use sqlx::PgPool;

use crate::blobs::{BlobError, BlobStore};
use crate::store;

/// What a migration did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Migrated {
    pub copied: u64,
    pub already_there: u64,
    /// Listed in the database but without bytes in the source.
    pub missing: Vec<String>,
}

const PAGE: i64 = 500;

pub async fn migrate(
    db: &PgPool,
    from: &dyn BlobStore,
    to: &dyn BlobStore,
) -> anyhow::Result<Migrated> {
    let mut hold = db.acquire().await?;
    store::blobs::pause_collector(&mut hold).await?;
    let result = copy_all(db, from, to).await;
    store::blobs::resume_collector(&mut hold).await?;
    result
}

async fn copy_all(
    db: &PgPool,
    from: &dyn BlobStore,
    to: &dyn BlobStore,
) -> anyhow::Result<Migrated> {
    let mut done = Migrated::default();
    let mut after = String::new();
    loop {
        let page = store::blobs::page_after(db, &after, PAGE).await?;
        let Some(last) = page.last() else {
            return Ok(done);
        };
        after = last.clone();
        for sha in page {
            if to.exists(&sha).await? {
                done.already_there += 1;
                continue;
            }
            let reader = match from.open(&sha).await {
                Ok(reader) => reader,
                Err(BlobError::Missing) => {
                    done.missing.push(sha);
                    continue;
                }
                Err(err) => return Err(err.into()),
            };
            let stored = to.put(reader, u64::MAX).await?;
            if stored.sha256 != sha {
                // The copy is named after what was read, so the target
                // holds no wrong bytes under this name.
                anyhow::bail!(
                    "blob {sha} is damaged in the source (its content hashes to {})",
                    stored.sha256
                );
            }
            done.copied += 1;
        }
    }
}
