//! Attachment rows; the bytes are in the blob store.

use sqlx::{PgExecutor, Postgres, QueryBuilder};

use crate::domain::access::Scope;
use crate::domain::ids::{AttachmentId, MessageId, TicketId};

/// Inserts an attachment row.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    db: impl PgExecutor<'_>,
    id: AttachmentId,
    message: MessageId,
    ticket: TicketId,
    sha256: &str,
    filename: &str,
    content_type: &str,
    size: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into attachments (id, message_id, ticket_id, blob_sha256, filename, content_type, size) \
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(message)
    .bind(ticket)
    .bind(sha256)
    .bind(filename)
    .bind(content_type)
    .bind(size)
    .execute(db)
    .await?;
    Ok(())
}

/// An attachment as lists and downloads need it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: AttachmentId,
    pub message_id: MessageId,
    pub blob_sha256: String,
    pub ticket_number: crate::domain::ids::TicketNumber,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

const COLUMNS: &str = "a.id, a.message_id, a.blob_sha256, t.number as ticket_number, a.filename, a.content_type, a.size";

/// The readable attachments of a ticket, in one query for the whole page.
pub async fn list_for_ticket(
    db: impl PgExecutor<'_>,
    scope: Scope,
    ticket: TicketId,
) -> sqlx::Result<Vec<AttachmentRow>> {
    let mut qb = QueryBuilder::<Postgres>::new(format!(
        "select {COLUMNS} from attachments a \
         join messages m on m.id = a.message_id join tickets t on t.id = a.ticket_id \
         where a.ticket_id = "
    ));
    qb.push_bind(ticket);
    super::access::push_scope(&mut qb, scope);
    super::access::push_message_filter(&mut qb, scope);
    qb.push(" order by a.created_at, a.id");
    qb.build_query_as().fetch_all(db).await
}

/// One attachment, if `scope` may read its ticket and message.
pub async fn find_visible(
    db: impl PgExecutor<'_>,
    scope: Scope,
    id: AttachmentId,
) -> sqlx::Result<Option<AttachmentRow>> {
    let mut qb = QueryBuilder::<Postgres>::new(format!(
        "select {COLUMNS} from attachments a \
         join messages m on m.id = a.message_id join tickets t on t.id = a.ticket_id \
         where a.id = "
    ));
    qb.push_bind(id);
    super::access::push_scope(&mut qb, scope);
    super::access::push_message_filter(&mut qb, scope);
    qb.build_query_as().fetch_optional(db).await
}
