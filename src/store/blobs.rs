//! Reference counts of content-addressed blobs.

use sqlx::PgExecutor;

/// Counts one more reference to a stored blob.
pub async fn add_ref(db: impl PgExecutor<'_>, sha256: &str, size: i64) -> sqlx::Result<()> {
    sqlx::query(
        "insert into blobs (sha256, size, ref_count) values ($1, $2, 1) \
         on conflict (sha256) do update set ref_count = blobs.ref_count + 1",
    )
    .bind(sha256)
    .bind(size)
    .execute(db)
    .await?;
    Ok(())
}
