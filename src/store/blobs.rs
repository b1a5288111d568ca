//! Reference counts of content-addressed blobs.

use sqlx::{PgConnection, PgExecutor};

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

/// Up to `limit` blobs nobody references, locked for the collector: a
/// writer adding a reference meanwhile waits for this transaction, then
/// finds the row gone and counts anew (and then checks the bytes).
pub async fn lock_unreferenced(db: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select sha256 from blobs where ref_count = 0 order by sha256 limit $1 \
         for update skip locked",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Forgets blobs whose bytes the collector deleted.
pub async fn forget(db: &mut PgConnection, sha256: &[String]) -> sqlx::Result<()> {
    sqlx::query("delete from blobs where sha256 = any($1) and ref_count = 0")
        .bind(sha256)
        .execute(db)
        .await?;
    Ok(())
}

/// The advisory lock a backup holds (shared) while it dumps the database
/// and copies the blobs; the collector needs it exclusively, so it waits
/// for the next round instead of deleting bytes the dump still names.
const BACKUP_LOCK: i64 = 0x6269_6c65_745f_6263;

/// Holds the collector off on this session until [`resume_collector`].
pub async fn pause_collector(db: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("select pg_advisory_lock_shared($1)")
        .bind(BACKUP_LOCK)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn resume_collector(db: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("select pg_advisory_unlock_shared($1)")
        .bind(BACKUP_LOCK)
        .execute(db)
        .await?;
    Ok(())
}

/// Whether the collector may run in this transaction (no backup running).
pub async fn may_collect(db: &mut PgConnection) -> sqlx::Result<bool> {
    sqlx::query_scalar("select pg_try_advisory_xact_lock($1)")
        .bind(BACKUP_LOCK)
        .fetch_one(db)
        .await
}

/// Stored blobs after `after` in hash order, `limit` at a time (keyset).
pub async fn page_after(
    db: impl PgExecutor<'_>,
    after: &str,
    limit: i64,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("select sha256 from blobs where sha256 > $1 order by sha256 limit $2")
        .bind(after)
        .bind(limit)
        .fetch_all(db)
        .await
}
