//! The search change feed. Writers append in the transaction of the change;
//! each node's indexer reads in commit-safe order: only rows of
//! transactions older than the oldest one still running (the snapshot's
//! xmin) are read, so a transaction that commits late is never skipped,
//! as it could be with a bare sequence.

use sqlx::PgExecutor;

use crate::domain::ids::TicketId;

/// A position in the feed: (transaction id, sequence within the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub txid: i64,
    pub seq: i64,
}

/// One change to index.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Change {
    pub txid: i64,
    pub seq: i64,
    pub ticket_id: TicketId,
    pub op: String,
}

/// Records that a ticket's searchable content changed.
pub async fn append(db: impl PgExecutor<'_>, ticket: TicketId, op: &str) -> sqlx::Result<()> {
    sqlx::query("insert into search_log (ticket_id, op) values ($1, $2)")
        .bind(ticket)
        .bind(op)
        .execute(db)
        .await?;
    Ok(())
}

/// The changes after `after` that are safe to read now, in commit-safe order.
pub async fn read_after(
    db: impl PgExecutor<'_>,
    after: Position,
    limit: i64,
) -> sqlx::Result<Vec<Change>> {
    // xid8 has no direct cast to bigint; through text is exact.
    sqlx::query_as(
        "select txid::text::bigint as txid, seq, ticket_id, op from search_log \
         where (txid, seq) > ($1::text::xid8, $2) \
           and txid < pg_snapshot_xmin(pg_current_snapshot()) \
         order by txid, seq limit $3",
    )
    .bind(after.txid)
    .bind(after.seq)
    .bind(limit)
    .fetch_all(db)
    .await
}
