//! Raw mail past its retention: the bytes are released (the blob
//! collector deletes them), the row stays for de-duplication and the mail
//! list. Mail still being processed is never touched.

use sqlx::PgExecutor;

/// Releases the bytes of up to `limit` raw mails: those filed on a ticket
/// and older than `filed_days`, and those on no ticket (quarantined, held,
/// ignored) older than `unfiled_days`; 0 days keeps that kind forever.
/// Returns how many were pruned.
pub async fn prune_raw(
    db: impl PgExecutor<'_>,
    filed_days: i32,
    unfiled_days: i32,
    limit: i64,
) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "with old as ( \
             select id, blob_sha256 from raw_mails \
             where blob_sha256 is not null and ( \
                 (state = 'processed' and $1 > 0 and received_at < now() - make_interval(days => $1)) \
              or (state in ('quarantined', 'held', 'ignored') and $2 > 0 \
                  and received_at < now() - make_interval(days => $2))) \
             order by received_at limit $3 \
             for update skip locked), \
         pruned as ( \
             update raw_mails r set blob_sha256 = null, pruned_at = now() \
             from old where r.id = old.id returning old.blob_sha256), \
         released as ( \
             update blobs b set ref_count = greatest(b.ref_count - x.n, 0) \
             from (select blob_sha256, count(*)::int as n from pruned group by blob_sha256) x \
             where b.sha256 = x.blob_sha256 returning 1) \
         select count(*) from pruned",
    )
    .bind(filed_days)
    .bind(unfiled_days)
    .bind(limit)
    .fetch_one(db)
    .await
}
