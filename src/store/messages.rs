//! Messages of tickets.

use sqlx::{PgExecutor, Postgres, QueryBuilder};
use time::OffsetDateTime;

use crate::domain::access::Scope;
use crate::domain::ids::{MessageId, TicketId, UserId};
use crate::domain::messages::{Kind, Source};

/// A message to store.
pub struct NewMessage<'a> {
    pub id: MessageId,
    pub ticket: TicketId,
    pub kind: Kind,
    pub source: Source,
    pub author: Option<UserId>,
    pub body_text: &'a str,
    pub body_html: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub mail_message_id: Option<&'a str>,
}

/// Inserts a message.
pub async fn insert(db: impl PgExecutor<'_>, m: NewMessage<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into messages (id, ticket_id, kind, source, author_id, body_text, body_html, subject, mail_message_id) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(m.id)
    .bind(m.ticket)
    .bind(m.kind)
    .bind(m.source)
    .bind(m.author)
    .bind(m.body_text)
    .bind(m.body_html)
    .bind(m.subject)
    .bind(m.mail_message_id)
    .execute(db)
    .await?;
    Ok(())
}

/// A message as a conversation shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: MessageId,
    pub kind: Kind,
    pub source: Source,
    pub author_id: Option<UserId>,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub subject: Option<String>,
    pub body_text: String,
    pub body_html: Option<String>,
    pub threading_note: Option<String>,
    pub raw_mail_id: Option<uuid::Uuid>,
    pub created_at: OffsetDateTime,
}

/// The messages of a ticket that `scope` may read, oldest first (internal
/// notes only for staff).
pub async fn list_for_ticket(
    db: impl PgExecutor<'_>,
    scope: Scope,
    ticket: TicketId,
) -> sqlx::Result<Vec<MessageRow>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "select m.id, m.kind, m.source, m.author_id, u.name as author_name, e.email as author_email, \
                m.subject, m.body_text, m.body_html, m.threading_note, m.raw_mail_id, m.created_at \
         from messages m join tickets t on t.id = m.ticket_id \
         left join users u on u.id = m.author_id \
         left join user_emails e on e.user_id = u.id and e.is_primary \
         where m.ticket_id = ",
    );
    qb.push_bind(ticket);
    super::access::push_scope(&mut qb, scope);
    super::access::push_message_filter(&mut qb, scope);
    qb.push(" order by m.created_at, m.id");
    qb.build_query_as().fetch_all(db).await
}

/// Remembers the Message-ID a message was mailed with.
pub async fn set_mail_id(
    db: impl PgExecutor<'_>,
    id: MessageId,
    mail_message_id: &str,
) -> sqlx::Result<()> {
    sqlx::query("update messages set mail_message_id = $2 where id = $1")
        .bind(id)
        .bind(mail_message_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Stores a message's sanitised HTML.
pub async fn set_html(db: impl PgExecutor<'_>, id: MessageId, html: &str) -> sqlx::Result<()> {
    sqlx::query("update messages set body_html = $2 where id = $1")
        .bind(id)
        .bind(html)
        .execute(db)
        .await?;
    Ok(())
}

/// A message with everything the ticket representation shows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FullMessage {
    pub id: MessageId,
    pub kind: Kind,
    pub source: Source,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub subject: Option<String>,
    pub body_text: String,
    pub mail_message_id: Option<String>,
    pub to_addrs: Vec<String>,
    pub cc_addrs: Vec<String>,
    pub created_at: OffsetDateTime,
    pub threading_note: Option<String>,
    pub raw_mail_id: Option<uuid::Uuid>,
}

/// Every message of a ticket, oldest first, notes included (operators only).
pub async fn full_for_ticket(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
) -> sqlx::Result<Vec<FullMessage>> {
    sqlx::query_as(
        "select m.id, m.kind, m.source, u.name as author_name, e.email as author_email, m.subject, m.body_text, \
                m.mail_message_id, m.to_addrs, m.cc_addrs, m.created_at, m.threading_note, m.raw_mail_id \
         from messages m left join users u on u.id = m.author_id \
         left join user_emails e on e.user_id = u.id and e.is_primary \
         where m.ticket_id = $1 order by m.created_at, m.id",
    )
    .bind(ticket)
    .fetch_all(db)
    .await
}
