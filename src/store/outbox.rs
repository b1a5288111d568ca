//! The outbox: one row per mail to send, fixed at insert (recipients,
//! Message-ID, rendered subject and bodies), written in the transaction of
//! the change that caused it. The sender only builds MIME and delivers.

use sqlx::PgConnection;

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::ids::{MessageId, TicketId, TicketNumber};

/// A mail to send.
pub struct NewOutbound<'a> {
    pub ticket: Option<TicketId>,
    pub message: Option<MessageId>,
    /// ack, reply, notification, claim, escalation...
    pub kind: &'a str,
    pub from_addr: &'a str,
    pub from_name: Option<&'a str>,
    pub mail_message_id: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub references: &'a [String],
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: Option<&'a str>,
    pub headers: serde_json::Value,
    pub to: &'a [String],
    /// Attachment rows whose files go with the mail.
    pub attachments: &'a [Uuid],
}

/// Queues `mail` with its recipients.
pub async fn insert(db: &mut PgConnection, mail: NewOutbound<'_>) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into outbox (id, ticket_id, message_id, kind, from_addr, from_name, mail_message_id, \
             in_reply_to, mail_references, subject, body_text, body_html, headers, attachment_ids) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(id)
    .bind(mail.ticket)
    .bind(mail.message)
    .bind(mail.kind)
    .bind(mail.from_addr)
    .bind(mail.from_name)
    .bind(mail.mail_message_id)
    .bind(mail.in_reply_to)
    .bind(mail.references)
    .bind(mail.subject)
    .bind(mail.body_text)
    .bind(mail.body_html)
    .bind(mail.headers)
    .bind(mail.attachments)
    .execute(&mut *db)
    .await?;
    for address in mail.to {
        sqlx::query("insert into outbox_recipients (outbox_id, address, kind) values ($1, $2, 'to') on conflict do nothing")
            .bind(id)
            .bind(address)
            .execute(&mut *db)
            .await?;
    }
    Ok(id)
}

/// A queued mail as tests and the admin console see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboundRow {
    pub id: Uuid,
    pub kind: String,
    pub from_name: Option<String>,
    pub in_reply_to: Option<String>,
    pub attachment_ids: Vec<Uuid>,
    pub from_addr: String,
    pub mail_message_id: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub headers: serde_json::Value,
    pub recipients: Vec<String>,
}

/// The mails queued about a ticket, oldest first.
pub async fn list_for_ticket(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
) -> sqlx::Result<Vec<OutboundRow>> {
    sqlx::query_as(
        "select o.id, o.kind, o.from_name, o.in_reply_to, o.attachment_ids, o.from_addr, o.mail_message_id, o.subject, o.body_text, o.body_html, o.headers, \
                array(select r.address from outbox_recipients r where r.outbox_id = o.id order by r.address) as recipients \
         from outbox o where o.ticket_id = $1 order by o.created_at, o.id",
    )
    .bind(ticket)
    .fetch_all(db)
    .await
}

/// The mails queued to an address, oldest first (claim links have no ticket).
pub async fn list_to(db: impl PgExecutor<'_>, address: &str) -> sqlx::Result<Vec<OutboundRow>> {
    sqlx::query_as(
        "select o.id, o.kind, o.from_name, o.in_reply_to, o.attachment_ids, o.from_addr, o.mail_message_id, o.subject, o.body_text, o.body_html, o.headers, \
                array(select r.address from outbox_recipients r where r.outbox_id = o.id order by r.address) as recipients \
         from outbox o where exists (select 1 from outbox_recipients r where r.outbox_id = o.id and r.address = $1) \
         order by o.created_at, o.id",
    )
    .bind(address)
    .fetch_all(db)
    .await
}

/// A mail claimed for sending.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedMail {
    pub id: Uuid,
    pub ticket_id: Option<TicketId>,
    pub mailbox_id: Option<Uuid>,
    pub from_addr: String,
    pub from_name: Option<String>,
    pub mail_message_id: String,
    pub in_reply_to: Option<String>,
    pub mail_references: Vec<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub headers: serde_json::Value,
    pub attachment_ids: Vec<Uuid>,
    pub attempts: i32,
    pub recipients: Vec<String>,
}

/// Claims up to `limit` due mails for `lease_seconds`: several senders (on
/// several nodes) never take the same one, and a sender that dies releases
/// it when the lease runs out. No transaction stays open while sending.
pub async fn claim(
    db: impl PgExecutor<'_>,
    limit: i64,
    lease_seconds: i32,
) -> sqlx::Result<Vec<ClaimedMail>> {
    sqlx::query_as(
        "with due as ( \
             select id from outbox where state in ('pending', 'retrying') and next_attempt_at <= now() \
               and (locked_until is null or locked_until < now()) \
             order by next_attempt_at limit $1 for update skip locked) \
         update outbox o set locked_until = now() + make_interval(secs => $2), attempts = o.attempts + 1 \
         from due where o.id = due.id \
         returning o.id, o.ticket_id, o.mailbox_id, o.from_addr, o.from_name, o.mail_message_id, o.in_reply_to, \
             o.mail_references, o.subject, o.body_text, o.body_html, o.headers, o.attachment_ids, o.attempts, \
             array(select r.address from outbox_recipients r where r.outbox_id = o.id and r.state in ('pending', 'retrying') \
                   order by r.address) as recipients",
    )
    .bind(limit)
    .bind(lease_seconds)
    .fetch_all(db)
    .await
}

/// The server confirmed: never sent again.
pub async fn mark_sent(db: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("update outbox set state = 'sent', sent_at = now(), locked_until = null, last_error = null where id = $1")
        .bind(id)
        .execute(&mut *db)
        .await?;
    sqlx::query("update outbox_recipients set state = 'sent', last_error = null, updated_at = now() where outbox_id = $1 and state in ('pending', 'retrying')")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// A temporary failure: try again at `retry_in_seconds`.
pub async fn mark_retry(
    db: &mut PgConnection,
    id: Uuid,
    error: &str,
    retry_in_seconds: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "update outbox set state = 'retrying', last_error = $2, locked_until = null, \
             next_attempt_at = now() + make_interval(secs => $3) where id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(retry_in_seconds as f64)
    .execute(&mut *db)
    .await?;
    sqlx::query("update outbox_recipients set state = 'retrying', last_error = $2, updated_at = now() where outbox_id = $1 and state in ('pending', 'retrying')")
        .bind(id)
        .bind(error)
        .execute(db)
        .await?;
    Ok(())
}

/// A permanent failure.
pub async fn mark_failed(db: &mut PgConnection, id: Uuid, error: &str) -> sqlx::Result<()> {
    sqlx::query(
        "update outbox set state = 'failed', last_error = $2, locked_until = null where id = $1",
    )
    .bind(id)
    .bind(error)
    .execute(&mut *db)
    .await?;
    sqlx::query("update outbox_recipients set state = 'failed', last_error = $2, updated_at = now() where outbox_id = $1 and state in ('pending', 'retrying')")
        .bind(id)
        .bind(error)
        .execute(db)
        .await?;
    Ok(())
}

/// Delivery state of the mails carrying each message of a ticket:
/// (message, address, state, last error).
pub async fn deliveries(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
) -> sqlx::Result<Vec<(MessageId, String, String, Option<String>)>> {
    sqlx::query_as(
        "select o.message_id, r.address, r.state::text, r.last_error from outbox o \
         join outbox_recipients r on r.outbox_id = o.id \
         where o.ticket_id = $1 and o.message_id is not null order by r.address",
    )
    .bind(ticket)
    .fetch_all(db)
    .await
}

/// An outgoing mail that is failing: tried and kept for a retry, or given
/// up. For the admin's list of mail needing attention.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FailingRow {
    pub id: Uuid,
    pub kind: String,
    /// `retrying` or `failed`.
    pub state: String,
    pub ticket_number: Option<TicketNumber>,
    pub subject: String,
    pub attempts: i32,
    pub next_attempt_at: time::OffsetDateTime,
    pub created_at: time::OffsetDateTime,
    pub last_error: Option<String>,
    /// The recipients not reached yet.
    pub recipients: Vec<String>,
    /// The SMTP server it goes through as far as the database knows: its
    /// mailbox's, else its department's (none: the configured `mail.smtp`).
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i32>,
}

/// The newest `limit` failing mails, newest first (index `outbox_failing`).
pub async fn failing(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<FailingRow>> {
    // The server lookup mirrors the sender's: the mail's own mailbox, else
    // the one serving the ticket's department (`mailboxes::for_department`).
    sqlx::query_as(
        "select o.id, o.kind, o.state::text as state, t.number as ticket_number, o.subject, o.attempts, \
                o.next_attempt_at, o.created_at, o.last_error, \
                array(select r.address from outbox_recipients r where r.outbox_id = o.id \
                      and r.state in ('pending', 'retrying', 'failed') order by r.address) as recipients, \
                s.smtp_host, s.smtp_port \
         from outbox o \
         left join tickets t on t.id = o.ticket_id \
         left join lateral ( \
             select m.smtp_host, m.smtp_port from mailboxes m \
             where m.id = o.mailbox_id or (o.mailbox_id is null and m.enabled and ( \
                 m.default_department_id = t.department_id or exists ( \
                     select 1 from mailbox_addresses a join department_addresses d on d.email = a.email \
                     where a.mailbox_id = m.id and d.department_id = t.department_id))) \
             order by (m.id = o.mailbox_id) desc, (m.default_department_id = t.department_id) desc, m.name \
             limit 1) s on true \
         where o.state in ('retrying', 'failed') \
         order by o.created_at desc, o.id desc limit $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}

/// How many mails are failing.
pub async fn failing_count(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from outbox where state in ('retrying', 'failed')")
        .fetch_one(db)
        .await
}

/// Makes a failing mail due now, a given-up one included (its unreached
/// recipients too); false when it is not failing (sent meanwhile, or gone).
/// The attempts count stays: it is the mail's history.
pub async fn retry_now(db: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update outbox set state = 'retrying', next_attempt_at = now(), locked_until = null \
         where id = $1 and state in ('retrying', 'failed')",
    )
    .bind(id)
    .execute(&mut *db)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("update outbox_recipients set state = 'retrying', updated_at = now() where outbox_id = $1 and state = 'failed'")
        .bind(id)
        .execute(db)
        .await?;
    Ok(true)
}
