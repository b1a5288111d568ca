//! Attachment rows; the bytes are in the blob store.

use sqlx::{PgExecutor, Postgres, QueryBuilder};

use crate::domain::access::Scope;
use crate::domain::ids::{AttachmentId, MessageId, TicketId};

/// A file row to insert; its blob is already stored.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub id: AttachmentId,
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub content_id: Option<String>,
    pub inline: bool,
}

/// Inserts the files of one message and counts one more reference to each
/// blob, in two statements whatever the number of files.
pub async fn insert_many(
    db: &mut sqlx::PgConnection,
    message: MessageId,
    ticket: TicketId,
    files: &[NewAttachment],
) -> sqlx::Result<()> {
    // One row per blob: ON CONFLICT may not touch a row twice.
    let mut refs: Vec<(String, i64, i32)> = Vec::new();
    for f in files {
        match refs.iter_mut().find(|r| r.0 == f.sha256) {
            Some(r) => r.2 += 1,
            None => refs.push((f.sha256.clone(), f.size, 1)),
        }
    }
    sqlx::query(
        "insert into blobs (sha256, size, ref_count) select * from unnest($1::text[], $2::bigint[], $3::int[]) \
         on conflict (sha256) do update set ref_count = blobs.ref_count + excluded.ref_count",
    )
    .bind(refs.iter().map(|r| r.0.clone()).collect::<Vec<_>>())
    .bind(refs.iter().map(|r| r.1).collect::<Vec<_>>())
    .bind(refs.iter().map(|r| r.2).collect::<Vec<_>>())
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "insert into attachments (id, message_id, ticket_id, blob_sha256, filename, content_type, size, \
             content_id, is_inline) \
         select a, $2, $3, b, c, d, e, f, g from unnest($1::uuid[], $4::text[], $5::text[], $6::text[], \
             $7::bigint[], $8::text[], $9::bool[]) with ordinality as x(a, b, c, d, e, f, g, n) order by n",
    )
    .bind(files.iter().map(|f| f.id).collect::<Vec<_>>())
    .bind(message)
    .bind(ticket)
    .bind(files.iter().map(|f| f.sha256.clone()).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.filename.clone()).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.content_type.clone()).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.size).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.content_id.clone()).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.inline).collect::<Vec<_>>())
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
