//! The audit log (`events`): who did what, when. Written in the same
//! transaction as the change it records.

use serde_json::Value;
use sqlx::PgExecutor;
use sqlx::types::ipnetwork::IpNetwork;

use crate::domain::ids::{TicketId, UserId};

/// One audit entry.
pub struct AuditEntry<'a> {
    pub actor: Option<UserId>,
    pub kind: &'a str,
    pub ticket: Option<TicketId>,
    pub subject: Option<uuid::Uuid>,
    pub data: Value,
    pub ip: Option<std::net::IpAddr>,
}

/// Records `entry`.
pub async fn record(db: impl PgExecutor<'_>, entry: AuditEntry<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into events (actor_id, kind, ticket_id, subject_id, data, ip) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(entry.actor)
    .bind(entry.kind)
    .bind(entry.ticket)
    .bind(entry.subject)
    .bind(entry.data)
    .bind(entry.ip.map(IpNetwork::from))
    .execute(db)
    .await?;
    Ok(())
}

/// Kinds of the most recent entries about `subject`, newest first (tests, audit page).
pub async fn kinds_for_subject(
    db: impl PgExecutor<'_>,
    subject: uuid::Uuid,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("select kind from events where subject_id = $1 order by id desc")
        .bind(subject)
        .fetch_all(db)
        .await
}

/// One entry of the audit page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: time::OffsetDateTime,
    pub actor_name: Option<String>,
    pub kind: String,
    pub ticket_number: Option<crate::domain::ids::TicketNumber>,
    pub data: Value,
}

/// The newest entries before `before` (an entry id), newest first.
pub async fn page(
    db: impl PgExecutor<'_>,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<AuditRow>> {
    sqlx::query_as(
        "select e.id, e.at, u.name as actor_name, e.kind, t.number as ticket_number, e.data \
         from events e left join users u on u.id = e.actor_id left join tickets t on t.id = e.ticket_id \
         where ($1::bigint is null or e.id < $1) order by e.id desc limit $2",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await
}
