//! Webhook deliveries: one row per event and subscription, written by the
//! journal reader, posted by a sender in id order per subscription.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use crate::domain::ids::{DepartmentId, MessageId, TicketId, TicketNumber};
use crate::domain::journal::JournalKind;
use crate::domain::messages::Kind;
use crate::domain::priority::Priority;
use crate::domain::status::Status;
use crate::store::journal::Position;

/// A journal entry with what a delivery's body tells.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventSource {
    pub txid: i64,
    pub seq: i64,
    pub kind: JournalKind,
    pub ticket_id: TicketId,
    pub number: TicketNumber,
    pub subject: String,
    pub priority: Priority,
    pub version: i32,
    pub department_before: Option<DepartmentId>,
    pub department_after: DepartmentId,
    pub department: String,
    pub department_was: Option<String>,
    pub status_before: Option<Status>,
    pub status_after: Status,
    pub message_id: Option<MessageId>,
    pub message_kind: Option<Kind>,
    pub actor_email: Option<String>,
    pub data: serde_json::Value,
    pub at: OffsetDateTime,
}

/// The entries at `positions`, in journal order.
pub async fn sources(
    db: &mut PgConnection,
    positions: &[Position],
) -> sqlx::Result<Vec<EventSource>> {
    let txids: Vec<i64> = positions.iter().map(|p| p.txid).collect();
    let seqs: Vec<i64> = positions.iter().map(|p| p.seq).collect();
    sqlx::query_as(
        "select j.txid::text::bigint as txid, j.seq, j.kind, j.ticket_id, t.number, t.subject, \
                t.priority, j.version, j.department_before, j.department_after, \
                d.slug as department, b.slug as department_was, j.status_before, j.status_after, \
                j.message_id, j.message_kind, \
                (select e.email from user_emails e where e.user_id = j.actor_id and e.is_primary) as actor_email, \
                j.data, j.at \
         from unnest($1::bigint[], $2::bigint[]) p(txid, seq) \
         join ticket_journal j on j.txid = p.txid::text::xid8 and j.seq = p.seq \
         join tickets t on t.id = j.ticket_id \
         join departments d on d.id = j.department_after \
         left join departments b on b.id = j.department_before \
         order by j.txid, j.seq",
    )
    .bind(&txids)
    .bind(&seqs)
    .fetch_all(db)
    .await
}

pub struct NewDelivery {
    pub webhook_id: i64,
    pub event_id: String,
    pub event: &'static str,
    pub ticket_id: TicketId,
    pub body: String,
}

/// Queues deliveries; ids follow the slice's order, which is the order a
/// subscription's deliveries go out in.
pub async fn enqueue(db: &mut PgConnection, rows: &[NewDelivery]) -> sqlx::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let hooks: Vec<i64> = rows.iter().map(|r| r.webhook_id).collect();
    let ids: Vec<&str> = rows.iter().map(|r| r.event_id.as_str()).collect();
    let events: Vec<&str> = rows.iter().map(|r| r.event).collect();
    let tickets: Vec<TicketId> = rows.iter().map(|r| r.ticket_id).collect();
    let bodies: Vec<&str> = rows.iter().map(|r| r.body.as_str()).collect();
    sqlx::query(
        "insert into webhook_deliveries (webhook_id, event_id, event, ticket_id, body) \
         select h, i, e, t, b from unnest($1::bigint[], $2::text[], $3::text[], $4::uuid[], $5::text[]) \
             with ordinality x(h, i, e, t, b, n) \
         order by n",
    )
    .bind(&hooks)
    .bind(&ids)
    .bind(&events)
    .bind(&tickets)
    .bind(&bodies)
    .execute(db)
    .await?;
    Ok(())
}

/// One delivery with its outcome so far.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    pub event_id: String,
    pub event: String,
    pub number: Option<TicketNumber>,
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// None: at once.
    pub next_at: Option<OffsetDateTime>,
    pub first_attempt_at: Option<OffsetDateTime>,
    pub last_attempt_at: Option<OffsetDateTime>,
    pub last_code: Option<i32>,
    pub last_error: Option<String>,
    pub last_ms: Option<i32>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "webhook_delivery_status", rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Sent,
    Dead,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Dead => "dead",
        }
    }
}

const ROW: &str = "select x.id, x.webhook_id, x.event_id, x.event, t.number, x.body, x.status, \
        x.attempts, x.next_at, x.first_attempt_at, x.last_attempt_at, x.last_code, x.last_error, \
        x.last_ms, x.created_at \
     from webhook_deliveries x left join tickets t on t.id = x.ticket_id";

/// The first waiting delivery of a subscription: the only one it may send.
pub async fn head(db: impl PgExecutor<'_>, webhook: i64) -> sqlx::Result<Option<DeliveryRow>> {
    sqlx::query_as(&format!(
        "{ROW} where x.webhook_id = $1 and x.status = 'pending' order by x.id limit 1"
    ))
    .bind(webhook)
    .fetch_optional(db)
    .await
}

/// A subscription's deliveries, newest first, before `before` (an id).
pub async fn history(
    db: impl PgExecutor<'_>,
    webhook: i64,
    before: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<DeliveryRow>> {
    sqlx::query_as(&format!(
        "{ROW} where x.webhook_id = $1 and x.id < coalesce($2, 9223372036854775807) \
         order by x.id desc limit $3"
    ))
    .bind(webhook)
    .bind(before)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// How one attempt went.
pub struct Attempt<'a> {
    pub at: OffsetDateTime,
    pub code: Option<i32>,
    pub error: Option<&'a str>,
    pub ms: i32,
    /// The new status, and for `Pending` the next try.
    pub status: DeliveryStatus,
    pub next_at: Option<OffsetDateTime>,
}

pub async fn record(db: impl PgExecutor<'_>, id: i64, a: Attempt<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "update webhook_deliveries set attempts = attempts + 1, \
                first_attempt_at = coalesce(first_attempt_at, $2), last_attempt_at = $2, \
                last_code = $3, last_error = $4, last_ms = $5, status = $6, next_at = $7 \
         where id = $1",
    )
    .bind(id)
    .bind(a.at)
    .bind(a.code)
    .bind(a.error)
    .bind(a.ms)
    .bind(a.status)
    .bind(a.next_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Queues a copy of a finished delivery (same event id and body) at the
/// end of its subscription's line; None when there is no such delivery or
/// it is still waiting.
pub async fn resend(db: impl PgExecutor<'_>, webhook: i64, id: i64) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar(
        "insert into webhook_deliveries (webhook_id, event_id, event, ticket_id, body) \
         select webhook_id, event_id, event, ticket_id, body from webhook_deliveries \
         where id = $2 and webhook_id = $1 and status <> 'pending' \
         returning id",
    )
    .bind(webhook)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Deletes finished deliveries older than `days`.
pub async fn prune(db: impl PgExecutor<'_>, days: i64) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "delete from webhook_deliveries \
         where status <> 'pending' and created_at < now() - make_interval(days => $1)",
    )
    .bind(days as i32)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
