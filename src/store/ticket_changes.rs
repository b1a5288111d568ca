//! Changes agents make to tickets: assignment, priority, department,
//! merging, splitting; the typed history rows they leave; the timeline the
//! ticket page shows; the optimistic version check.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use crate::domain::access::AccessLevel;
use crate::domain::ids::{DepartmentId, MessageId, TicketId, TicketNumber, UserId};
use crate::domain::priority::Priority;
use crate::domain::status::Status;

/// Locks the ticket row for this transaction and tells whether it still has
/// `version`: a form made from an older page must not overwrite newer work.
pub async fn lock_version(db: &mut PgConnection, id: TicketId, version: i32) -> sqlx::Result<bool> {
    let current: i32 = sqlx::query_scalar("select version from tickets where id = $1 for update")
        .bind(id)
        .fetch_one(db)
        .await?;
    Ok(current == version)
}

/// Sets the assignee (None: unassigned) with a history row.
pub async fn assign(
    db: &mut PgConnection,
    id: TicketId,
    to: Option<UserId>,
    actor: UserId,
) -> sqlx::Result<()> {
    let from: Option<UserId> = sqlx::query_scalar(
        "update tickets t set assignee_id = $2, version = t.version + 1 from tickets old \
         where t.id = $1 and old.id = t.id returning old.assignee_id",
    )
    .bind(id)
    .bind(to)
    .fetch_one(&mut *db)
    .await?;
    sqlx::query(
        "insert into ticket_history (ticket_id, change, from_user_id, to_user_id, actor_id) values ($1, 'assignee', $2, $3, $4)",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(actor)
    .execute(db)
    .await?;
    Ok(())
}

/// Sets the priority with a history row.
pub async fn set_priority(
    db: &mut PgConnection,
    id: TicketId,
    from: Priority,
    to: Priority,
    actor: UserId,
) -> sqlx::Result<()> {
    sqlx::query("update tickets set priority = $2, version = version + 1 where id = $1")
        .bind(id)
        .bind(to)
        .execute(&mut *db)
        .await?;
    sqlx::query(
        "insert into ticket_history (ticket_id, change, from_priority, to_priority, actor_id) values ($1, 'priority', $2, $3, $4)",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(actor)
    .execute(db)
    .await?;
    Ok(())
}

/// Moves the ticket to another department with a history row. The
/// assignee is kept only if they may still reach the ticket there.
pub async fn transfer(
    db: &mut PgConnection,
    id: TicketId,
    from: DepartmentId,
    to: DepartmentId,
    actor: UserId,
) -> sqlx::Result<()> {
    sqlx::query(
        "update tickets t set department_id = $2, version = version + 1, last_activity_at = now(), \
             assignee_id = case when exists (select 1 from users u where u.id = t.assignee_id and u.role = 'admin') \
                                  or exists (select 1 from agent_departments ad where ad.user_id = t.assignee_id \
                                             and ad.department_id = $2 and ad.level >= 'reply') \
                                then t.assignee_id end \
         where t.id = $1",
    )
    .bind(id)
    .bind(to)
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "insert into ticket_history (ticket_id, change, from_department_id, to_department_id, actor_id) \
         values ($1, 'department', $2, $3, $4)",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(actor)
    .execute(db)
    .await?;
    Ok(())
}

/// Moves every message of `source` into `target`, closes `source` and
/// marks it merged; its participants join `target`.
pub async fn merge(
    db: &mut PgConnection,
    source: TicketId,
    target: TicketId,
    actor: UserId,
) -> sqlx::Result<()> {
    sqlx::query("update messages set ticket_id = $2 where ticket_id = $1")
        .bind(source)
        .bind(target)
        .execute(&mut *db)
        .await?;
    sqlx::query("update attachments set ticket_id = $2 where ticket_id = $1")
        .bind(source)
        .bind(target)
        .execute(&mut *db)
        .await?;
    sqlx::query(
        "insert into ticket_participants (ticket_id, user_id, role, joined_via, portal_access) \
         select $2, user_id, 'cc', joined_via, portal_access from ticket_participants where ticket_id = $1 \
         on conflict (ticket_id, user_id) do nothing",
    )
    .bind(source)
    .bind(target)
    .execute(&mut *db)
    .await?;
    let from: Status = sqlx::query_scalar(
        "update tickets t set merged_into_id = $2, status = 'closed', closed_at = now(), version = t.version + 1 \
         from tickets old where t.id = $1 and old.id = t.id returning old.status",
    )
    .bind(source)
    .bind(target)
    .fetch_one(&mut *db)
    .await?;
    sqlx::query("update tickets set last_activity_at = now(), version = version + 1 where id = $1")
        .bind(target)
        .execute(&mut *db)
        .await?;
    if from != Status::Closed {
        super::tickets::status_history(&mut *db, source, from, Status::Closed, Some(actor)).await?;
    }
    super::tickets::link(&mut *db, source, target, "merged", Some(actor)).await?;
    Ok(())
}

/// Moves one message (with its files) into the new ticket `into`, created
/// by the caller, and links the two both ways.
pub async fn split(
    db: &mut PgConnection,
    source: TicketId,
    message: MessageId,
    into: TicketId,
    actor: UserId,
) -> sqlx::Result<bool> {
    let moved = sqlx::query("update messages set ticket_id = $3 where id = $2 and ticket_id = $1")
        .bind(source)
        .bind(message)
        .bind(into)
        .execute(&mut *db)
        .await?;
    if moved.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("update attachments set ticket_id = $2 where message_id = $1")
        .bind(message)
        .bind(into)
        .execute(&mut *db)
        .await?;
    sqlx::query("update tickets set split_from_id = $2 where id = $1")
        .bind(into)
        .bind(source)
        .execute(&mut *db)
        .await?;
    sqlx::query("update tickets set version = version + 1 where id = $1")
        .bind(source)
        .execute(&mut *db)
        .await?;
    super::tickets::link(&mut *db, source, into, "split", Some(actor)).await?;
    super::tickets::link(&mut *db, into, source, "split", Some(actor)).await?;
    Ok(true)
}

/// One line of a ticket's timeline.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub change: String,
    pub at: OffsetDateTime,
    pub actor_name: Option<String>,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub from_user_name: Option<String>,
    pub to_user_name: Option<String>,
    pub from_department_name: Option<String>,
    pub to_department_name: Option<String>,
    pub from_priority: Option<Priority>,
    pub to_priority: Option<Priority>,
}

/// The ticket's history, oldest first, names resolved in one query.
pub async fn history(db: impl PgExecutor<'_>, id: TicketId) -> sqlx::Result<Vec<HistoryRow>> {
    sqlx::query_as(
        "select h.change::text as change, h.at, a.name as actor_name, h.from_status, h.to_status, \
                fu.name as from_user_name, tu.name as to_user_name, \
                fd.name as from_department_name, td.name as to_department_name, h.from_priority, h.to_priority \
         from ticket_history h \
         left join users a on a.id = h.actor_id \
         left join users fu on fu.id = h.from_user_id left join users tu on tu.id = h.to_user_id \
         left join departments fd on fd.id = h.from_department_id left join departments td on td.id = h.to_department_id \
         where h.ticket_id = $1 order by h.at, h.id",
    )
    .bind(id)
    .fetch_all(db)
    .await
}

/// Tickets linked to this one: (kind, outgoing?, number).
pub async fn links(
    db: impl PgExecutor<'_>,
    id: TicketId,
) -> sqlx::Result<Vec<(String, bool, TicketNumber)>> {
    sqlx::query_as(
        "select l.kind::text, l.ticket_id = $1, o.number from ticket_links l \
         join tickets o on o.id = case when l.ticket_id = $1 then l.other_ticket_id else l.ticket_id end \
         where l.ticket_id = $1 or l.other_ticket_id = $1 order by o.number",
    )
    .bind(id)
    .fetch_all(db)
    .await
}

/// The access level `user` has in `department` (admins: manage).
pub async fn level_of(
    db: impl PgExecutor<'_>,
    user: UserId,
    department: DepartmentId,
) -> sqlx::Result<Option<AccessLevel>> {
    sqlx::query_scalar(
        "select case when u.role = 'admin' then 'manage'::access_level else ad.level end \
         from users u left join agent_departments ad on ad.user_id = u.id and ad.department_id = $2 \
         where u.id = $1 and u.disabled_at is null",
    )
    .bind(user)
    .bind(department)
    .fetch_optional(db)
    .await
    .map(Option::flatten)
}

/// Staff who may work tickets of `department` (reply level or more, and
/// admins), for the assignee list.
pub async fn assignable(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
) -> sqlx::Result<Vec<(UserId, String)>> {
    sqlx::query_as(
        "select u.id, u.name from users u \
         where u.disabled_at is null and (u.role = 'admin' or exists (select 1 from agent_departments ad \
               where ad.user_id = u.id and ad.department_id = $1 and ad.level >= 'reply')) \
         order by u.name",
    )
    .bind(department)
    .fetch_all(db)
    .await
}

/// Mail threading facts of a ticket: the Message-IDs it holds, oldest first.
pub async fn mail_ids(db: impl PgExecutor<'_>, id: TicketId) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select mail_message_id from messages where ticket_id = $1 and mail_message_id is not null \
         order by created_at, id",
    )
    .bind(id)
    .fetch_all(db)
    .await
}
