//! The change journal. Only the write path's commit appends (see
//! `service::tickets::commit`; a test fails when any other module writes
//! this table). Readers go in commit-safe order: only rows of transactions
//! older than the oldest one still running (the snapshot's xmin) are read,
//! so a transaction that commits late is never skipped, as it could be
//! with a bare sequence. Within one ticket, entries come in version order.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::domain::ids::{DepartmentId, MessageId, TicketId, UserId};
use crate::domain::journal::JournalKind;
use crate::domain::messages::Kind;
use crate::domain::status::Status;

/// A position in the journal: (transaction id, sequence within the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub txid: i64,
    pub seq: i64,
}

/// One entry to append.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub ticket: TicketId,
    pub version: i32,
    pub kind: JournalKind,
    pub actor: Option<UserId>,
    pub department_before: Option<DepartmentId>,
    pub department_after: DepartmentId,
    pub status_before: Option<Status>,
    pub status_after: Status,
    pub message: Option<MessageId>,
    pub message_kind: Option<Kind>,
    pub data: serde_json::Value,
}

/// Appends the entries of one write, in their order, in one statement.
pub(crate) async fn append(db: impl PgExecutor<'_>, entries: &[NewEntry]) -> sqlx::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into ticket_journal (ticket_id, version, kind, actor_id, department_before, department_after, \
             status_before, status_after, message_id, message_kind, data) \
         select a, b, c, d, e, f, g, h, i, j, k from unnest($1::uuid[], $2::int[], $3::journal_kind[], $4::uuid[], $5::uuid[], $6::uuid[], \
             $7::ticket_status[], $8::ticket_status[], $9::uuid[], $10::message_kind[], $11::jsonb[]) \
             with ordinality as e(a, b, c, d, e, f, g, h, i, j, k, n) order by n",
    )
    .bind(entries.iter().map(|e| e.ticket).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.version).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.kind).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.actor).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.department_before).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.department_after).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.status_before).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.status_after).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.message).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.message_kind).collect::<Vec<_>>())
    .bind(entries.iter().map(|e| e.data.clone()).collect::<Vec<_>>())
    .execute(db)
    .await?;
    Ok(())
}

/// One entry as readers get it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Entry {
    pub txid: i64,
    pub seq: i64,
    pub ticket_id: TicketId,
    pub version: i32,
    pub kind: JournalKind,
    pub actor_id: Option<UserId>,
    pub department_before: Option<DepartmentId>,
    pub department_after: DepartmentId,
    pub status_before: Option<Status>,
    pub status_after: Status,
    pub message_id: Option<MessageId>,
    pub message_kind: Option<Kind>,
    pub data: serde_json::Value,
    pub at: OffsetDateTime,
}

impl Entry {
    pub fn position(&self) -> Position {
        Position {
            txid: self.txid,
            seq: self.seq,
        }
    }
}

/// The entries after `after` that are safe to read now, in commit-safe order.
pub async fn read_after(
    db: impl PgExecutor<'_>,
    after: Position,
    limit: i64,
) -> sqlx::Result<Vec<Entry>> {
    // xid8 has no direct cast to bigint; through text is exact.
    sqlx::query_as(
        "select txid::text::bigint as txid, seq, ticket_id, version, kind, actor_id, department_before, \
                department_after, status_before, status_after, message_id, message_kind, data, at \
         from ticket_journal \
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

/// The position of the newest entry readable now, or of the newest one
/// pruned (the start when there was never any).
pub async fn end(db: impl PgExecutor<'_>) -> sqlx::Result<Position> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "select txid::text::bigint, seq from ( \
             select txid, seq from ticket_journal where txid < pg_snapshot_xmin(pg_current_snapshot()) \
             union all select txid, seq from journal_horizon) p \
         order by txid desc, seq desc limit 1",
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map_or(Position::default(), |(txid, seq)| Position { txid, seq }))
}

/// A reader's position on a node (the start when it has none yet).
pub async fn position(db: impl PgExecutor<'_>, reader: &str, node: &str) -> sqlx::Result<Position> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "select txid::text::bigint, seq from journal_positions where reader = $1 and node = $2",
    )
    .bind(reader)
    .bind(node)
    .fetch_optional(db)
    .await?;
    Ok(row.map_or(Position::default(), |(txid, seq)| Position { txid, seq }))
}

/// Stores a reader's position; call it in the transaction of the reader's
/// own effect, so that a crash repeats nothing and loses nothing.
pub async fn set_position(
    db: impl PgExecutor<'_>,
    reader: &str,
    node: &str,
    at: Position,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into journal_positions (reader, node, txid, seq) values ($1, $2, $3::text::xid8, $4) \
         on conflict (reader, node) do update set txid = excluded.txid, seq = excluded.seq, updated_at = now()",
    )
    .bind(reader)
    .bind(node)
    .bind(at.txid)
    .bind(at.seq)
    .execute(db)
    .await?;
    Ok(())
}

/// A reader's lag on a node: entries readable now but not yet read, and the
/// age of the oldest of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Lag {
    pub entries: i64,
    pub oldest_at: Option<OffsetDateTime>,
}

/// How far `reader` on `node` is behind.
pub async fn lag(db: impl PgExecutor<'_>, reader: &str, node: &str) -> sqlx::Result<Lag> {
    sqlx::query_as(
        "with p as (select \
             coalesce((select txid from journal_positions where reader = $1 and node = $2), '0'::xid8) as txid, \
             coalesce((select seq from journal_positions where reader = $1 and node = $2), 0) as seq) \
         select count(*) as entries, min(j.at) as oldest_at from ticket_journal j, p \
         where (j.txid, j.seq) > (p.txid, p.seq) and j.txid < pg_snapshot_xmin(pg_current_snapshot())",
    )
    .bind(reader)
    .bind(node)
    .fetch_one(db)
    .await
}

/// How many entries the journal holds, counting no further than `cap`.
pub async fn entries_up_to(db: impl PgExecutor<'_>, cap: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from (select 1 from ticket_journal limit $1) j")
        .bind(cap)
        .fetch_one(db)
        .await
}

/// Entries readable now after `at` (a search index's own position).
pub async fn lag_after(db: impl PgExecutor<'_>, at: Position) -> sqlx::Result<Lag> {
    sqlx::query_as(
        "select count(*) as entries, min(j.at) as oldest_at from ticket_journal j \
         where (j.txid, j.seq) > ($1::text::xid8, $2) and j.txid < pg_snapshot_xmin(pg_current_snapshot())",
    )
    .bind(at.txid)
    .bind(at.seq)
    .fetch_one(db)
    .await
}

/// Deletes entries older than `days` and moves the horizon past them;
/// returns how many.
pub async fn prune(db: impl PgExecutor<'_>, days: u32) -> sqlx::Result<u64> {
    sqlx::query_scalar(
        "with gone as (delete from ticket_journal where at < now() - make_interval(days => $1) \
                       returning txid, seq), \
              newest as (select txid, seq from gone order by txid desc, seq desc limit 1), \
              moved as (insert into journal_horizon (txid, seq) select txid, seq from newest \
                        on conflict (only_row) do update set txid = excluded.txid, seq = excluded.seq \
                        where (journal_horizon.txid, journal_horizon.seq) < (excluded.txid, excluded.seq)) \
         select count(*) from gone",
    )
    .bind(days as i32)
    .fetch_one(db)
    .await
    .map(|n: i64| n as u64)
}

/// Whether entries after `at` have been pruned (the reader missed some).
pub async fn pruned_past(db: impl PgExecutor<'_>, at: Position) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select exists (select 1 from journal_horizon where (txid, seq) > ($1::text::xid8, $2))",
    )
    .bind(at.txid)
    .bind(at.seq)
    .fetch_one(db)
    .await
}

/// Locks a reader's position row for this transaction (creating it at the
/// start), so that of several nodes sharing one position only one applies
/// a batch at a time; returns the position.
pub async fn lock_position(
    db: &mut sqlx::PgConnection,
    reader: &str,
    node: &str,
) -> sqlx::Result<Position> {
    sqlx::query(
        "insert into journal_positions (reader, node, txid, seq) values ($1, $2, '0'::xid8, 0) \
         on conflict (reader, node) do nothing",
    )
    .bind(reader)
    .bind(node)
    .execute(&mut *db)
    .await?;
    let (txid, seq): (i64, i64) = sqlx::query_as(
        "select txid::text::bigint, seq from journal_positions where reader = $1 and node = $2 for update",
    )
    .bind(reader)
    .bind(node)
    .fetch_one(db)
    .await?;
    Ok(Position { txid, seq })
}

/// One reader on one node, as `bilet journal` lists them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReaderState {
    pub reader: String,
    pub node: String,
    pub updated_at: OffsetDateTime,
    /// Entries readable now that it has not read yet.
    pub behind: i64,
}

/// Every reader's position with its lag.
pub async fn readers(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<ReaderState>> {
    sqlx::query_as(
        "select p.reader, p.node, p.updated_at, \
                (select count(*) from ticket_journal j where (j.txid, j.seq) > (p.txid, p.seq) \
                   and j.txid < pg_snapshot_xmin(pg_current_snapshot())) as behind \
         from journal_positions p order by p.reader, p.node",
    )
    .fetch_all(db)
    .await
}
