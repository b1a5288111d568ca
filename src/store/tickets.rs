//! Tickets: insert, find and list through the access scope, status jobs.

use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};
use time::OffsetDateTime;

use crate::domain::access::Scope;
use crate::domain::ids::{DepartmentId, OrganisationId, TicketId, TicketNumber, UserId};
use crate::domain::status::Status;

/// A ticket row as lists and pages need it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketRow {
    pub id: TicketId,
    pub number: TicketNumber,
    pub subject: String,
    pub department_id: DepartmentId,
    pub requester_id: UserId,
    pub assignee_id: Option<UserId>,
    pub status: Status,
    pub last_activity_at: OffsetDateTime,
    pub version: i32,
}

const COLUMNS: &str = "t.id, t.number, t.subject, t.department_id, t.requester_id, t.assignee_id, \
     t.status, t.last_activity_at, t.version";

/// What a new ticket starts with.
pub struct NewTicket<'a> {
    pub id: TicketId,
    pub subject: &'a str,
    pub department: DepartmentId,
    pub requester: UserId,
    pub organisation: Option<OrganisationId>,
    pub actor: Option<UserId>,
}

/// Inserts the ticket, its requester as participant and its `created`
/// history row. Returns the public number.
pub async fn insert(db: &mut PgConnection, new: NewTicket<'_>) -> sqlx::Result<TicketNumber> {
    let number: TicketNumber = sqlx::query_scalar(
        "insert into tickets (id, subject, department_id, requester_id, organisation_id) \
         values ($1, $2, $3, $4, $5) returning number",
    )
    .bind(new.id)
    .bind(new.subject)
    .bind(new.department)
    .bind(new.requester)
    .bind(new.organisation)
    .fetch_one(&mut *db)
    .await?;
    sqlx::query(
        "insert into ticket_participants (ticket_id, user_id, role, joined_via, portal_access) \
         values ($1, $2, 'requester', 'web', true)",
    )
    .bind(new.id)
    .bind(new.requester)
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "insert into ticket_history (ticket_id, change, to_status, to_department_id, actor_id) \
         values ($1, 'created', 'open', $2, $3)",
    )
    .bind(new.id)
    .bind(new.department)
    .bind(new.actor)
    .execute(&mut *db)
    .await?;
    Ok(number)
}

/// The ticket with this number, if it is within `scope`.
pub async fn find_visible(
    db: impl PgExecutor<'_>,
    scope: Scope,
    number: TicketNumber,
) -> sqlx::Result<Option<TicketRow>> {
    let mut qb =
        QueryBuilder::<Postgres>::new(format!("select {COLUMNS} from tickets t where t.number = "));
    qb.push_bind(number);
    super::access::push_scope(&mut qb, scope);
    qb.build_query_as().fetch_optional(db).await
}

/// A keyset cursor: the last row of the previous page.
#[derive(Debug, Clone, Copy)]
pub struct Cursor {
    pub last_activity_at: OffsetDateTime,
    pub id: TicketId,
}

/// One page of the tickets within `scope`, latest activity first.
pub async fn list_visible(
    db: impl PgExecutor<'_>,
    scope: Scope,
    after: Option<Cursor>,
    limit: i64,
) -> sqlx::Result<Vec<TicketRow>> {
    let mut qb =
        QueryBuilder::<Postgres>::new(format!("select {COLUMNS} from tickets t where true"));
    super::access::push_scope(&mut qb, scope);
    if let Some(c) = after {
        qb.push(" and (t.last_activity_at, t.id) < (")
            .push_bind(c.last_activity_at)
            .push(", ")
            .push_bind(c.id)
            .push(")");
    }
    qb.push(" order by t.last_activity_at desc, t.id desc limit ")
        .push_bind(limit);
    qb.build_query_as().fetch_all(db).await
}

/// Closes resolved tickets whose resolution is older than `days`, with a
/// history row each; safe to run on several nodes at once.
pub async fn auto_close(db: impl PgExecutor<'_>, days: u32) -> sqlx::Result<Vec<TicketId>> {
    sqlx::query_scalar(
        "with due as ( \
             select id from tickets \
             where status = 'resolved' and resolved_at < now() - make_interval(days => $1) \
             order by resolved_at limit 500 for update skip locked), \
         closed as ( \
             update tickets t set status = 'closed', closed_at = now(), version = version + 1 \
             from due where t.id = due.id returning t.id), \
         history as ( \
             insert into ticket_history (ticket_id, change, from_status, to_status) \
             select id, 'status', 'resolved', 'closed' from closed) \
         select id from closed",
    )
    .bind(days as i32)
    .fetch_all(db)
    .await
}

/// Sets the status and the timestamps that go with it (tests and later issues).
pub async fn set_status(
    db: impl PgExecutor<'_>,
    id: TicketId,
    status: Status,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query(
        "update tickets set status = $2, version = version + 1, \
             resolved_at = case when $2 = 'resolved' then $3 else resolved_at end, \
             closed_at = case when $2 = 'closed' then $3 else closed_at end \
         where id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}
