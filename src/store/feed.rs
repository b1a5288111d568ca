//! The change journal as the API's event feed: entries in commit-safe
//! order, only of tickets within the caller's scope, with what an
//! integrator needs to act (ticket number, department slug, actor).

use sqlx::{PgExecutor, Postgres, QueryBuilder};
use time::OffsetDateTime;

use super::journal::Position;
use crate::domain::access::Scope;
use crate::domain::ids::{MessageId, TicketNumber};
use crate::domain::journal::JournalKind;
use crate::domain::messages::Kind;
use crate::domain::status::Status;

/// One entry of the feed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedRow {
    pub txid: i64,
    pub seq: i64,
    pub kind: JournalKind,
    pub number: TicketNumber,
    pub version: i32,
    pub department: String,
    pub status_before: Option<Status>,
    pub status_after: Status,
    pub message_id: Option<MessageId>,
    pub message_kind: Option<Kind>,
    pub actor_email: Option<String>,
    pub data: serde_json::Value,
    pub at: OffsetDateTime,
}

/// Visible entries after `after` up to `end` (inclusive), oldest first.
pub async fn visible(
    db: impl PgExecutor<'_>,
    scope: Scope,
    after: Position,
    end: Position,
    limit: i64,
) -> sqlx::Result<Vec<FeedRow>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "select j.txid::text::bigint as txid, j.seq, j.kind, t.number, j.version, d.slug as department, \
                j.status_before, j.status_after, j.message_id, j.message_kind, \
                (select e.email from user_emails e where e.user_id = j.actor_id and e.is_primary) as actor_email, \
                j.data, j.at \
         from ticket_journal j join tickets t on t.id = j.ticket_id \
         join departments d on d.id = j.department_after \
         where (j.txid, j.seq) > (",
    );
    qb.push_bind(after.txid)
        .push("::text::xid8, ")
        .push_bind(after.seq)
        .push(") and (j.txid, j.seq) <= (")
        .push_bind(end.txid)
        .push("::text::xid8, ")
        .push_bind(end.seq)
        .push(")");
    super::access::push_scope(&mut qb, scope);
    // Customers never learn of internal notes.
    if !crate::domain::access::reads_notes(scope) {
        qb.push(" and j.message_kind is distinct from 'note'");
    }
    qb.push(" order by j.txid, j.seq limit ").push_bind(limit);
    qb.build_query_as().fetch_all(db).await
}

/// Where the kept journal begins: the newest pruned entry (the start when
/// nothing was ever pruned).
pub async fn horizon(db: impl PgExecutor<'_>) -> sqlx::Result<Position> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("select txid::text::bigint, seq from journal_horizon")
            .fetch_optional(db)
            .await?;
    Ok(row.map_or(Position::default(), |(txid, seq)| Position { txid, seq }))
}
