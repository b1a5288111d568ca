//! Tickets: insert, find and list through the access scope, status jobs.

use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

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
    pub help_topic: Option<Uuid>,
    pub product: Option<Uuid>,
    /// [{"label": ..., "value": ...}]
    pub prompt_answers: serde_json::Value,
    /// How the requester came: web, email, api, agent.
    pub via: &'a str,
}

impl<'a> NewTicket<'a> {
    /// A ticket with nothing but the essentials.
    pub fn basic(
        id: TicketId,
        subject: &'a str,
        department: DepartmentId,
        requester: UserId,
    ) -> Self {
        NewTicket {
            id,
            subject,
            department,
            requester,
            organisation: None,
            actor: Some(requester),
            help_topic: None,
            product: None,
            prompt_answers: serde_json::json!([]),
            via: "web",
        }
    }
}

/// Inserts the ticket, its requester as participant and its `created`
/// history row. Returns the public number.
pub async fn insert(db: &mut PgConnection, new: NewTicket<'_>) -> sqlx::Result<TicketNumber> {
    let number: TicketNumber = sqlx::query_scalar(
        "insert into tickets (id, subject, department_id, requester_id, organisation_id, help_topic_id, \
             product_id, prompt_answers) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning number",
    )
    .bind(new.id)
    .bind(new.subject)
    .bind(new.department)
    .bind(new.requester)
    .bind(new.organisation)
    .bind(new.help_topic)
    .bind(new.product)
    .bind(&new.prompt_answers)
    .fetch_one(&mut *db)
    .await?;
    sqlx::query(
        "insert into ticket_participants (ticket_id, user_id, role, joined_via, portal_access) \
         values ($1, $2, 'requester', $3::participant_via, true)",
    )
    .bind(new.id)
    .bind(new.requester)
    .bind(new.via)
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

/// Updates a ticket after a message: activity time, who wrote last, the new
/// status and the timestamps that go with it, the first response.
pub async fn after_message(
    db: impl PgExecutor<'_>,
    id: TicketId,
    kind: crate::domain::messages::Kind,
    status: Status,
) -> sqlx::Result<()> {
    sqlx::query(
        "update tickets set last_activity_at = now(), version = version + 1, \
             last_message_kind = case when $2 in ('customer', 'agent') then $2 else last_message_kind end, \
             first_response_at = case when $2 = 'agent' then coalesce(first_response_at, now()) \
                                      else first_response_at end, \
             status = $3, \
             resolved_at = case when $3 = 'resolved' then coalesce(resolved_at, now()) \
                                when $3 in ('open', 'pending') then null else resolved_at end, \
             closed_at = case when $3 = 'closed' then coalesce(closed_at, now()) else null end \
         where id = $1",
    )
    .bind(id)
    .bind(kind)
    .bind(status)
    .execute(db)
    .await?;
    Ok(())
}

/// Sets a new status (no message) with its timestamps.
pub async fn change_status(
    db: impl PgExecutor<'_>,
    id: TicketId,
    status: Status,
) -> sqlx::Result<()> {
    sqlx::query(
        "update tickets set status = $2, version = version + 1, last_activity_at = now(), \
             resolved_at = case when $2 = 'resolved' then coalesce(resolved_at, now()) \
                                when $2 in ('open', 'pending') then null else resolved_at end, \
             closed_at = case when $2 = 'closed' then coalesce(closed_at, now()) else null end \
         where id = $1",
    )
    .bind(id)
    .bind(status)
    .execute(db)
    .await?;
    Ok(())
}

/// Records a status change in the history.
pub async fn status_history(
    db: impl PgExecutor<'_>,
    id: TicketId,
    from: Status,
    to: Status,
    actor: Option<UserId>,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into ticket_history (ticket_id, change, from_status, to_status, actor_id) \
         values ($1, 'status', $2, $3, $4)",
    )
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(actor)
    .execute(db)
    .await?;
    Ok(())
}

/// Links two tickets (both directions are found through `ticket_links_other`).
pub async fn link(
    db: impl PgExecutor<'_>,
    from: TicketId,
    to: TicketId,
    kind: &str,
    actor: Option<UserId>,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into ticket_links (ticket_id, other_ticket_id, kind, created_by) \
         values ($1, $2, $3::link_kind, $4) on conflict do nothing",
    )
    .bind(from)
    .bind(to)
    .bind(kind)
    .bind(actor)
    .execute(db)
    .await?;
    Ok(())
}

/// A ticket with what its page shows above the conversation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketDetail {
    pub id: TicketId,
    pub number: TicketNumber,
    pub subject: String,
    pub status: Status,
    pub department_id: DepartmentId,
    pub department_name: String,
    pub requester_id: UserId,
    pub requester_name: String,
    pub product_name: Option<String>,
    pub prompt_answers: serde_json::Value,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub requester_email: String,
    pub priority: crate::domain::priority::Priority,
    pub merged_into: Option<TicketNumber>,
    pub signature: String,
    pub created_at: OffsetDateTime,
    pub resolved_at: Option<OffsetDateTime>,
    pub closed_at: Option<OffsetDateTime>,
    pub version: i32,
}

impl TicketDetail {
    /// The answers to the help topic's prompts, as (label, value) in the
    /// order asked.
    pub fn answers(&self) -> Vec<(String, String)> {
        self.prompt_answers
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| {
                        let field = |k: &str| v[k].as_str().unwrap_or("").to_string();
                        (field("label"), field("value"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

const DETAIL: &str = "select t.id, t.number, t.subject, t.status, t.department_id, d.name as department_name, \
                t.requester_id, u.name as requester_name, p.name as product_name, t.prompt_answers, \
                t.assignee_id, au.name as assignee_name, re.email as requester_email, t.priority, \
                mt.number as merged_into, d.signature, t.created_at, t.resolved_at, t.closed_at, t.version \
         from tickets t join departments d on d.id = t.department_id \
         join users u on u.id = t.requester_id \
         join user_emails re on re.user_id = u.id and re.is_primary \
         left join users au on au.id = t.assignee_id \
         left join tickets mt on mt.id = t.merged_into_id \
         left join products p on p.id = t.product_id ";

/// The ticket's page header, if it is within `scope`.
pub async fn detail(
    db: impl PgExecutor<'_>,
    scope: Scope,
    number: TicketNumber,
) -> sqlx::Result<Option<TicketDetail>> {
    let mut qb = QueryBuilder::<Postgres>::new(format!("{DETAIL} where t.number = "));
    qb.push_bind(number);
    super::access::push_scope(&mut qb, scope);
    qb.build_query_as().fetch_optional(db).await
}

/// One row of a customer's ticket list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRow {
    pub id: TicketId,
    pub number: TicketNumber,
    pub subject: String,
    pub status: Status,
    pub department_name: String,
    pub last_message_kind: Option<crate::domain::messages::Kind>,
    pub last_activity_at: OffsetDateTime,
    /// 0 while open or pending, 1 once resolved or closed.
    pub done: i32,
}

/// Keyset cursor for lists ordered active first, then latest activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListCursor {
    pub done: i32,
    pub last_activity_at: OffsetDateTime,
    pub id: TicketId,
}

/// A page of the tickets within `scope`: open and pending first, then by
/// latest activity. `search` matches the subject or any readable message.
pub async fn list_page(
    db: impl PgExecutor<'_>,
    scope: Scope,
    search: Option<&str>,
    after: Option<ListCursor>,
    limit: i64,
) -> sqlx::Result<Vec<ListRow>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "select * from (select t.id, t.number, t.subject, t.status, d.name as department_name, \
                t.last_message_kind, t.last_activity_at, \
                (case when t.status in ('open', 'pending') then 0 else 1 end) as done \
         from tickets t join departments d on d.id = t.department_id where true",
    );
    super::access::push_scope(&mut qb, scope);
    if let Some(q) = search {
        let pattern = format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        qb.push(" and (t.subject ilike ").push_bind(pattern.clone());
        qb.push(
            " or exists (select 1 from messages m where m.ticket_id = t.id and m.body_text ilike ",
        )
        .push_bind(pattern);
        super::access::push_message_filter(&mut qb, scope);
        qb.push("))");
    }
    qb.push(") x where true");
    if let Some(c) = after {
        qb.push(" and (x.done > ")
            .push_bind(c.done)
            .push(" or (x.done = ")
            .push_bind(c.done)
            .push(" and (x.last_activity_at, x.id) < (")
            .push_bind(c.last_activity_at)
            .push(", ")
            .push_bind(c.id)
            .push(")))");
    }
    qb.push(" order by x.done, x.last_activity_at desc, x.id desc limit ")
        .push_bind(limit);
    qb.build_query_as().fetch_all(db).await
}

/// The requester's tickets that are still active or were resolved within
/// `days`: candidates for "add to your existing ticket".
pub async fn recent_of_requester(
    db: impl PgExecutor<'_>,
    requester: UserId,
    days: u32,
) -> sqlx::Result<Vec<(TicketNumber, String)>> {
    sqlx::query_as(
        "select number, subject from tickets \
         where requester_id = $1 and (status in ('open', 'pending') \
               or (status = 'resolved' and resolved_at > now() - make_interval(days => $2))) \
         order by last_activity_at desc limit 50",
    )
    .bind(requester)
    .bind(days as i32)
    .fetch_all(db)
    .await
}

/// Tickets linked by a late reply: (continued in, continues).
pub async fn continuations(
    db: impl PgExecutor<'_>,
    id: TicketId,
) -> sqlx::Result<(Vec<TicketNumber>, Vec<TicketNumber>)> {
    let rows: Vec<(bool, TicketNumber)> = sqlx::query_as(
        "select l.ticket_id = $1 as outgoing, o.number from ticket_links l \
         join tickets o on o.id = case when l.ticket_id = $1 then l.other_ticket_id else l.ticket_id end \
         where l.kind = 'reopened_as' and (l.ticket_id = $1 or l.other_ticket_id = $1) \
         order by o.number",
    )
    .bind(id)
    .fetch_all(db)
    .await?;
    let (out, inc): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(outgoing, _)| *outgoing);
    Ok((
        out.into_iter().map(|r| r.1).collect(),
        inc.into_iter().map(|r| r.1).collect(),
    ))
}

/// Marks activity without changing anything else (internal notes).
pub async fn touch(db: impl PgExecutor<'_>, id: TicketId) -> sqlx::Result<()> {
    sqlx::query("update tickets set last_activity_at = now(), version = version + 1 where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// The ticket with this id (mail and jobs; no access rule: not for pages).
pub async fn detail_by_id(
    db: impl PgExecutor<'_>,
    id: TicketId,
) -> sqlx::Result<Option<TicketDetail>> {
    sqlx::query_as(&format!("{DETAIL} where t.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}
