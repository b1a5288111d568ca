//! Messages of tickets: written by the write path; read through the read
//! model (`store::ticket_views`).

use sqlx::PgExecutor;

use crate::domain::ids::{MessageId, TicketId, UserId};
use crate::domain::messages::{Kind, Source};

/// A message to store, from any entry point.
pub struct NewMessage<'a> {
    pub id: MessageId,
    pub ticket: TicketId,
    pub kind: Kind,
    pub source: Source,
    pub author: Option<UserId>,
    pub subject: Option<&'a str>,
    pub body_text: &'a str,
    pub body_html: Option<&'a str>,
    pub mail_message_id: Option<&'a str>,
    pub in_reply_to: Option<&'a str>,
    pub references: &'a [String],
    pub to: &'a [String],
    pub cc: &'a [String],
    pub raw_mail: Option<uuid::Uuid>,
    pub threading_note: Option<&'a str>,
    pub automatic: bool,
}

/// Inserts a message (the write path does, after locking its ticket).
pub async fn insert(db: impl PgExecutor<'_>, m: NewMessage<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into messages (id, ticket_id, kind, source, author_id, subject, body_text, body_html, \
             mail_message_id, in_reply_to, mail_references, to_addrs, cc_addrs, raw_mail_id, threading_note, \
             is_automatic) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(m.id)
    .bind(m.ticket)
    .bind(m.kind)
    .bind(m.source)
    .bind(m.author)
    .bind(m.subject)
    .bind(m.body_text)
    .bind(m.body_html)
    .bind(m.mail_message_id)
    .bind(m.in_reply_to)
    .bind(m.references)
    .bind(m.to)
    .bind(m.cc)
    .bind(m.raw_mail)
    .bind(m.threading_note)
    .bind(m.automatic)
    .execute(db)
    .await?;
    Ok(())
}

/// The Message-IDs of a ticket's messages other than `except`, oldest
/// first: the References of a reply.
pub async fn mail_ids(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
    except: MessageId,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select mail_message_id from messages where ticket_id = $1 and id <> $2 \
           and mail_message_id is not null order by created_at, id",
    )
    .bind(ticket)
    .bind(except)
    .fetch_all(db)
    .await
}

/// The author of an agent reply of this ticket (None: no such reply).
pub async fn agent_reply_author(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
    message: MessageId,
) -> sqlx::Result<Option<Option<UserId>>> {
    sqlx::query_scalar(
        "select author_id from messages where id = $2 and ticket_id = $1 and kind = 'agent'",
    )
    .bind(ticket)
    .bind(message)
    .fetch_optional(db)
    .await
}

/// Replaces the note of a system message of `ticket`; false when there is
/// no such message.
pub async fn set_note(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
    message: MessageId,
    note: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update messages set threading_note = $3 where id = $2 and ticket_id = $1 and kind = 'system'",
    )
    .bind(ticket)
    .bind(message)
    .bind(note)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many messages a ticket holds (a split needs two).
pub async fn count_for_ticket(db: impl PgExecutor<'_>, ticket: TicketId) -> sqlx::Result<i64> {
    sqlx::query_scalar("select count(*) from messages where ticket_id = $1")
        .bind(ticket)
        .fetch_one(db)
        .await
}

/// A message's subject and kind, if it is on this ticket (splitting).
pub async fn subject_and_kind(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
    message: MessageId,
) -> sqlx::Result<Option<(Option<String>, Kind)>> {
    sqlx::query_as("select subject, kind from messages where id = $2 and ticket_id = $1")
        .bind(ticket)
        .bind(message)
        .fetch_optional(db)
        .await
}
