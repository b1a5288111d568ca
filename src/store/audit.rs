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
