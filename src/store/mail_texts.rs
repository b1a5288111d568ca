//! Mail texts rewritten by admins (`mail_texts`): one subject and body per
//! department, language and kind. A missing row means the shipped text;
//! which kinds exist and what their placeholders are is the service's.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::domain::ids::{DepartmentId, TicketId, UserId};

/// A stored text.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailTextRow {
    pub language: String,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub updated_at: OffsetDateTime,
}

/// Every text of one department.
pub async fn list(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
) -> sqlx::Result<Vec<MailTextRow>> {
    sqlx::query_as(
        "select language, kind, subject, body, updated_at from mail_texts \
         where department_id = $1 order by kind, language",
    )
    .bind(department)
    .fetch_all(db)
    .await
}

/// One department's text of `kind` in `language`.
pub async fn find(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
    language: &str,
    kind: &str,
) -> sqlx::Result<Option<MailTextRow>> {
    sqlx::query_as(
        "select language, kind, subject, body, updated_at from mail_texts \
         where department_id = $1 and language = $2 and kind = $3",
    )
    .bind(department)
    .bind(language)
    .bind(kind)
    .fetch_optional(db)
    .await
}

/// The text of `kind` in `language` of the department `ticket` is in.
pub async fn for_ticket(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
    language: &str,
    kind: &str,
) -> sqlx::Result<Option<MailTextRow>> {
    sqlx::query_as(
        "select m.language, m.kind, m.subject, m.body, m.updated_at \
         from tickets t join mail_texts m on m.department_id = t.department_id \
         where t.id = $1 and m.language = $2 and m.kind = $3",
    )
    .bind(ticket)
    .bind(language)
    .bind(kind)
    .fetch_optional(db)
    .await
}

/// The department of `user`'s most recent ticket with its name, if any:
/// the department a customer's account mails speak for.
pub async fn latest_department(
    db: impl PgExecutor<'_>,
    user: UserId,
) -> sqlx::Result<Option<(DepartmentId, String)>> {
    sqlx::query_as(
        "select d.id, d.name from tickets t join departments d on d.id = t.department_id \
         where t.requester_id = $1 order by t.created_at desc, t.number desc limit 1",
    )
    .bind(user)
    .fetch_optional(db)
    .await
}

/// Creates or replaces a text.
pub async fn upsert(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
    language: &str,
    kind: &str,
    subject: &str,
    body: &str,
    admin: UserId,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into mail_texts (department_id, language, kind, subject, body, updated_by) \
         values ($1, $2, $3, $4, $5, $6) \
         on conflict (department_id, language, kind) \
         do update set subject = excluded.subject, body = excluded.body, updated_by = excluded.updated_by",
    )
    .bind(department)
    .bind(language)
    .bind(kind)
    .bind(subject)
    .bind(body)
    .bind(admin)
    .execute(db)
    .await?;
    Ok(())
}

/// Removes a text (back to the shipped one); whether there was one.
pub async fn delete(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
    language: &str,
    kind: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "delete from mail_texts where department_id = $1 and language = $2 and kind = $3",
    )
    .bind(department)
    .bind(language)
    .bind(kind)
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}
