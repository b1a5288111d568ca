//! SQL of the mail gateway: raw mails, thread lookups, routing facts,
//! the automatic-reply budget, bounces and mailbox positions.

use std::collections::HashMap;

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::ids::{DepartmentId, MessageId, TicketId, TicketNumber, UserId};

/// A raw mail already known.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RawRow {
    pub id: Uuid,
    pub state: String,
    pub ticket_number: Option<TicketNumber>,
    pub blob_sha256: String,
    pub mailbox_id: Option<Uuid>,
    pub uid_validity: Option<i64>,
    pub uid: Option<i64>,
    pub envelope_to: Option<String>,
    pub error: Option<String>,
    pub message_id: Option<String>,
    pub attempts: i32,
    pub received_at: time::OffsetDateTime,
    pub outcome: Option<String>,
}

const RAW: &str = "select r.id, r.state::text as state, t.number as ticket_number, coalesce(r.blob_sha256, '') as blob_sha256, r.mailbox_id, \
     r.uid_validity, r.uid, r.envelope_to, r.error, r.message_id, r.attempts, r.received_at, r.outcome \
     from raw_mails r left join tickets t on t.id = r.ticket_id";

/// The raw mail fetched from this mailbox position, if any.
pub async fn raw_by_uid(
    db: impl PgExecutor<'_>,
    mailbox: Uuid,
    uid_validity: i64,
    uid: i64,
) -> sqlx::Result<Option<RawRow>> {
    sqlx::query_as(&format!(
        "{RAW} where r.mailbox_id = $1 and r.uid_validity = $2 and r.uid = $3"
    ))
    .bind(mailbox)
    .bind(uid_validity)
    .bind(uid)
    .fetch_optional(db)
    .await
}

/// Which of `uids` (of one mailbox and UIDVALIDITY) were taken in and
/// committed, quarantined ones aside.
pub async fn taken_uids(
    db: impl PgExecutor<'_>,
    mailbox: Uuid,
    uid_validity: i64,
    uids: &[i64],
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "select uid from raw_mails where mailbox_id = $1 and uid_validity = $2 \
         and uid = any($3) and state <> 'quarantined' order by uid",
    )
    .bind(mailbox)
    .bind(uid_validity)
    .bind(uids)
    .fetch_all(db)
    .await
}

/// One raw mail.
pub async fn raw(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<RawRow>> {
    sqlx::query_as(&format!("{RAW} where r.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Raw mails needing an admin: quarantined or held, newest first.
pub async fn attention(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<RawRow>> {
    sqlx::query_as(&format!(
        "{RAW} where r.state in ('quarantined', 'held') order by r.received_at desc limit 500"
    ))
    .fetch_all(db)
    .await
}

/// Quarantined mails due for another try.
pub async fn due_retries(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "select id from raw_mails where state = 'quarantined' and attempts < 10 \
         and (next_attempt_at is null or next_attempt_at <= now()) order by received_at limit $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The ticket of an earlier, already processed copy of the same mail: the
/// same Message-ID and the same content (trace headers aside).
pub async fn duplicate_of(
    db: impl PgExecutor<'_>,
    message_id: &str,
    content_hash: &str,
) -> sqlx::Result<Option<(Uuid, Option<TicketNumber>)>> {
    sqlx::query_as(
        "select r.id, t.number from raw_mails r left join tickets t on t.id = r.ticket_id \
         where r.message_id = $1 and r.content_hash = $2 and r.state in ('processed', 'ignored') \
         order by r.received_at limit 1",
    )
    .bind(message_id)
    .bind(content_hash)
    .fetch_optional(db)
    .await
}

/// A raw mail row to write.
pub struct NewRaw<'a> {
    pub id: Uuid,
    pub mailbox: Option<Uuid>,
    pub uid_validity: Option<i64>,
    pub uid: Option<i64>,
    pub sha256: &'a str,
    pub size: i64,
    pub message_id: Option<&'a str>,
    pub content_hash: &'a str,
    pub envelope_to: Option<&'a str>,
    pub envelope_from: Option<&'a str>,
    pub state: &'a str,
    pub outcome: Option<&'a str>,
    pub error: Option<&'a str>,
    pub spam_verdict: Option<&'a str>,
    pub authentication_results: Option<&'a str>,
    pub ticket: Option<TicketId>,
    pub message: Option<MessageId>,
}

/// Inserts the raw mail row, or updates it when it exists (a retry), and
/// moves its mailbox's IMAP position past it: both in the caller's
/// transaction, so a mail is never taken in twice nor skipped.
pub async fn save_raw(db: &mut PgConnection, r: NewRaw<'_>) -> sqlx::Result<()> {
    let known: bool = sqlx::query_scalar("select exists (select 1 from raw_mails where id = $1)")
        .bind(r.id)
        .fetch_one(&mut *db)
        .await?;
    if !known {
        super::blobs::add_ref(&mut *db, r.sha256, r.size).await?;
    }
    sqlx::query(
        "insert into raw_mails (id, mailbox_id, uid_validity, uid, blob_sha256, size, message_id, content_hash, \
             envelope_to, envelope_from, state, outcome, error, spam_verdict, authentication_results, ticket_id, \
             message_row_id, processed_at, attempts, next_attempt_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::raw_mail_state, $12, $13, $14, $15, $16, $17, \
             case when $11 = 'quarantined' then null else now() end, \
             case when $11 = 'quarantined' then 1 else 0 end, \
             case when $11 = 'quarantined' then now() + interval '1 minute' end) \
         on conflict (id) do update set state = excluded.state, outcome = excluded.outcome, error = excluded.error, \
             ticket_id = excluded.ticket_id, message_row_id = excluded.message_row_id, processed_at = excluded.processed_at, \
             attempts = raw_mails.attempts + case when excluded.state = 'quarantined' then 1 else 0 end, \
             next_attempt_at = case when excluded.state = 'quarantined' \
                 then now() + make_interval(mins => least(720, 2 ^ raw_mails.attempts)::int) end",
    )
    .bind(r.id)
    .bind(r.mailbox)
    .bind(r.uid_validity)
    .bind(r.uid)
    .bind(r.sha256)
    .bind(r.size)
    .bind(r.message_id)
    .bind(r.content_hash)
    .bind(r.envelope_to)
    .bind(r.envelope_from)
    .bind(r.state)
    .bind(r.outcome)
    .bind(r.error)
    .bind(r.spam_verdict)
    .bind(r.authentication_results)
    .bind(r.ticket)
    .bind(r.message)
    .execute(&mut *db)
    .await?;
    if let (Some(mb), Some(v), Some(u)) = (r.mailbox, r.uid_validity, r.uid) {
        advance(&mut *db, mb, v, u).await?;
    }
    Ok(())
}

/// Advances the mailbox's IMAP position, in the transaction of the mail.
async fn advance(
    db: impl PgExecutor<'_>,
    mailbox: Uuid,
    uid_validity: i64,
    uid: i64,
) -> sqlx::Result<()> {
    sqlx::query("update mailboxes set last_uid = greatest(last_uid, $3) where id = $1 and uid_validity = $2")
        .bind(mailbox)
        .bind(uid_validity)
        .bind(uid)
        .execute(db)
        .await?;
    Ok(())
}

/// The ticket (and which id matched) of the first of `ids` that is the
/// Message-ID of a message we received or sent.
pub async fn ticket_by_mail_ids(
    db: impl PgExecutor<'_>,
    ids: &[String],
) -> sqlx::Result<Option<(TicketNumber, String)>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let found: Vec<(TicketNumber, String)> = sqlx::query_as(
        "select t.number, x.mid from ( \
             select m.ticket_id, m.mail_message_id as mid from messages m where m.mail_message_id = any($1) \
             union all \
             select o.ticket_id, o.mail_message_id from outbox o where o.mail_message_id = any($1) and o.ticket_id is not null \
         ) x join tickets t on t.id = x.ticket_id",
    )
    .bind(ids)
    .fetch_all(db)
    .await?;
    Ok(ids
        .iter()
        .find_map(|id| found.iter().find(|(_, mid)| mid == id).cloned()))
}

/// Whether `user` takes part in the ticket (requester or participant).
pub async fn is_participant(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
    user: UserId,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select exists (select 1 from tickets where id = $1 and requester_id = $2) \
             or exists (select 1 from ticket_participants where ticket_id = $1 and user_id = $2)",
    )
    .bind(ticket)
    .bind(user)
    .fetch_one(db)
    .await
}

/// Department of every department address.
pub async fn department_addresses(
    db: impl PgExecutor<'_>,
) -> sqlx::Result<HashMap<String, DepartmentId>> {
    let rows: Vec<(String, DepartmentId)> =
        sqlx::query_as("select email, department_id from department_addresses")
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Routing rules in order: (kind, pattern, department).
pub async fn rules(
    db: impl PgExecutor<'_>,
) -> sqlx::Result<Vec<(Uuid, String, String, DepartmentId)>> {
    sqlx::query_as(
        "select id, kind, pattern, department_id from mail_rules order by position, created_at",
    )
    .fetch_all(db)
    .await
}

/// Adds a routing rule at the end.
pub async fn add_rule(
    db: impl PgExecutor<'_>,
    kind: &str,
    pattern: &str,
    department: DepartmentId,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into mail_rules (id, kind, pattern, department_id, position) \
         values ($1, $2, $3, $4, (select coalesce(max(position), 0) + 1 from mail_rules))",
    )
    .bind(id)
    .bind(kind)
    .bind(pattern)
    .bind(department)
    .execute(db)
    .await?;
    Ok(id)
}

/// Deletes a routing rule.
pub async fn delete_rule(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    Ok(sqlx::query("delete from mail_rules where id = $1")
        .bind(id)
        .execute(db)
        .await?
        .rows_affected()
        == 1)
}

/// Automatic mails sent to `address` within the last hour.
pub async fn auto_replies_last_hour(db: impl PgExecutor<'_>, address: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from auto_replies where address = $1 and at > now() - interval '1 hour'",
    )
    .bind(address)
    .fetch_one(db)
    .await
}

/// Counts one automatic mail to `address`.
pub async fn count_auto_reply(db: impl PgExecutor<'_>, address: &str) -> sqlx::Result<()> {
    sqlx::query("insert into auto_replies (address) values ($1)")
        .bind(address)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks recipients of an outbox mail bounced (all of them when `only`
/// is empty); returns the ticket the mail was about.
pub async fn mark_bounced(
    db: &mut PgConnection,
    outbox: Uuid,
    only: &[String],
    raw: Uuid,
    error: &str,
) -> sqlx::Result<Option<TicketId>> {
    sqlx::query(
        "update outbox_recipients set state = 'bounced', last_error = $4, bounce_raw_mail_id = $3, updated_at = now() \
         where outbox_id = $1 and (cardinality($2::text[]) = 0 or address = any($2))",
    )
    .bind(outbox)
    .bind(only)
    .bind(raw)
    .bind(error)
    .execute(&mut *db)
    .await?;
    sqlx::query_scalar("select ticket_id from outbox where id = $1")
        .bind(outbox)
        .fetch_optional(db)
        .await
        .map(Option::flatten)
}

/// Tickets `user` opened by mail within the last hour.
pub async fn tickets_opened_last_hour(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from tickets t where t.requester_id = $1 and t.created_at > now() - interval '1 hour' \
           and exists (select 1 from messages m where m.ticket_id = t.id and m.source = 'email')",
    )
    .bind(user)
    .fetch_one(db)
    .await
}

/// A system note on `ticket` about the same failed delivery (`note` is its
/// first wording), with the number of reports filed on it so far.
pub async fn bounce_note(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
    note: &str,
) -> sqlx::Result<Option<(MessageId, i64)>> {
    sqlx::query_as(
        "select m.id, (select count(*) from raw_mails r where r.message_row_id = m.id) \
         from messages m where m.ticket_id = $1 and m.kind = 'system' and m.is_automatic \
           and (m.threading_note = $2 or m.threading_note like $2 || ' (reported %') \
         order by m.created_at limit 1",
    )
    .bind(ticket)
    .bind(note)
    .fetch_optional(db)
    .await
}

/// The ticket an outbox mail was about.
pub async fn outbox_ticket(
    db: impl PgExecutor<'_>,
    outbox: Uuid,
) -> sqlx::Result<Option<TicketId>> {
    sqlx::query_scalar("select ticket_id from outbox where id = $1")
        .bind(outbox)
        .fetch_optional(db)
        .await
        .map(Option::flatten)
}

/// The outbox mail sent with this Message-ID.
pub async fn outbox_by_mail_id(
    db: impl PgExecutor<'_>,
    mail_message_id: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("select id from outbox where mail_message_id = $1")
        .bind(mail_message_id)
        .fetch_optional(db)
        .await
}

/// Whether mail for `address` (normalised) is Bilet's, and the department
/// it goes to: a department's address, or a mailbox's (its default
/// department). None: not an address Bilet serves.
pub async fn recipient(
    db: impl PgExecutor<'_>,
    address: &str,
) -> sqlx::Result<Option<Option<DepartmentId>>> {
    sqlx::query_scalar(
        "select department_id from department_addresses where email = $1 \
         union all \
         select m.default_department_id from mailbox_addresses a join mailboxes m on m.id = a.mailbox_id \
         where a.email = $1 limit 1",
    )
    .bind(address)
    .fetch_optional(db)
    .await
}
