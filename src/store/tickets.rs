//! Tickets: the row the write path locks and rewrites, and the lists of
//! the portal. Every read goes through the access scope. Only the write
//! path (`service::tickets`) calls [`lock`], [`insert`] and [`update`].

use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::access::Scope;
use crate::domain::ids::{DepartmentId, OrganisationId, TicketId, TicketNumber, UserId};
use crate::domain::messages::Kind;
use crate::domain::priority::Priority;
use crate::domain::sla_clock::Memory;
use crate::domain::status::Status;

/// A ticket's own columns, as the write path locks and changes them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TicketState {
    pub id: TicketId,
    pub number: TicketNumber,
    pub subject: String,
    pub department_id: DepartmentId,
    pub requester_id: UserId,
    pub assignee_id: Option<UserId>,
    pub organisation_id: Option<OrganisationId>,
    pub status: Status,
    pub priority: Priority,
    pub last_message_kind: Option<Kind>,
    pub last_activity_at: OffsetDateTime,
    pub first_response_at: Option<OffsetDateTime>,
    pub resolved_at: Option<OffsetDateTime>,
    pub closed_at: Option<OffsetDateTime>,
    pub merged_into_id: Option<TicketId>,
    pub split_from_id: Option<TicketId>,
    pub version: i32,
    pub created_at: OffsetDateTime,
    /// Service-level due times, set by the write path (None: nothing due).
    pub first_response_due_at: Option<OffsetDateTime>,
    pub next_response_due_at: Option<OffsetDateTime>,
    pub resolution_due_at: Option<OffsetDateTime>,
    /// The earliest of the three.
    pub sla_due_at: Option<OffsetDateTime>,
    /// When the escalation job looks next.
    pub sla_next_at: Option<OffsetDateTime>,
    /// What the service-level clock remembers.
    pub sla: Json<Memory>,
}

const STATE: &str = "t.id, t.number, t.subject, t.department_id, t.requester_id, t.assignee_id, \
     t.organisation_id, t.status, t.priority, t.last_message_kind, t.last_activity_at, t.first_response_at, \
     t.resolved_at, t.closed_at, t.merged_into_id, t.split_from_id, t.version, t.created_at, \
     t.first_response_due_at, t.next_response_due_at, t.resolution_due_at, t.sla_due_at, t.sla_next_at, t.sla";

/// Which ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Id(TicketId),
    Number(TicketNumber),
}

/// Locks the ticket for this transaction if it is within `scope`: the
/// first statement of every write, so changes to one ticket are serialised.
pub async fn lock(
    db: &mut PgConnection,
    target: Target,
    scope: Scope,
) -> sqlx::Result<Option<TicketState>> {
    let mut qb = QueryBuilder::<Postgres>::new(format!("select {STATE} from tickets t where "));
    match target {
        Target::Id(id) => qb.push("t.id = ").push_bind(id),
        Target::Number(n) => qb.push("t.number = ").push_bind(n),
    };
    super::access::push_scope(&mut qb, scope);
    qb.push(" for update of t");
    qb.build_query_as().fetch_optional(db).await
}

/// Whether the ticket exists within `scope` (no lock): tells "you may not
/// do this" from "there is no such ticket" for staff.
pub async fn exists(db: impl PgExecutor<'_>, target: Target, scope: Scope) -> sqlx::Result<bool> {
    let mut qb = QueryBuilder::<Postgres>::new("select exists (select 1 from tickets t where ");
    match target {
        Target::Id(id) => qb.push("t.id = ").push_bind(id),
        Target::Number(n) => qb.push("t.number = ").push_bind(n),
    };
    super::access::push_scope(&mut qb, scope);
    qb.push(")");
    qb.build_query_scalar().fetch_one(db).await
}

/// What a new ticket starts with.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub id: TicketId,
    pub subject: String,
    pub department: DepartmentId,
    pub requester: UserId,
    pub organisation: Option<OrganisationId>,
    pub help_topic: Option<Uuid>,
    pub product: Option<Uuid>,
    /// [{"label": ..., "value": ...}]
    pub prompt_answers: serde_json::Value,
    /// How the requester came: web, email, api, agent.
    pub via: &'static str,
    /// Split off this ticket (the agent must manage it).
    pub split_from: Option<TicketId>,
    /// Continues this closed ticket (the customer must reach it).
    pub continues: Option<TicketId>,
}

impl NewTicket {
    /// A ticket with nothing but the essentials.
    pub fn basic(subject: &str, department: DepartmentId, requester: UserId) -> Self {
        NewTicket {
            id: TicketId::new(),
            subject: subject.to_string(),
            department,
            requester,
            organisation: None,
            help_topic: None,
            product: None,
            prompt_answers: serde_json::json!([]),
            via: "web",
            split_from: None,
            continues: None,
        }
    }
}

/// Inserts the ticket (which locks it) and its requester as participant.
pub async fn insert(db: &mut PgConnection, new: &NewTicket) -> sqlx::Result<TicketState> {
    let state = sqlx::query_as(&format!(
        "insert into tickets as t (id, subject, department_id, requester_id, organisation_id, help_topic_id, \
             product_id, prompt_answers, split_from_id) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning {STATE}"
    ))
    .bind(new.id)
    .bind(&new.subject)
    .bind(new.department)
    .bind(new.requester)
    .bind(new.organisation)
    .bind(new.help_topic)
    .bind(new.product)
    .bind(&new.prompt_answers)
    .bind(new.split_from)
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
    Ok(state)
}

/// Writes the ticket's changed columns back (commit's first statement).
pub async fn update(db: impl PgExecutor<'_>, t: &TicketState) -> sqlx::Result<()> {
    sqlx::query(
        "update tickets set subject = $2, department_id = $3, assignee_id = $4, status = $5, priority = $6, \
             last_message_kind = $7, last_activity_at = $8, first_response_at = $9, resolved_at = $10, \
             closed_at = $11, merged_into_id = $12, split_from_id = $13, version = $14, \
             first_response_due_at = $15, next_response_due_at = $16, resolution_due_at = $17, \
             sla_due_at = $18, sla_next_at = $19, sla = $20 \
         where id = $1",
    )
    .bind(t.id)
    .bind(&t.subject)
    .bind(t.department_id)
    .bind(t.assignee_id)
    .bind(t.status)
    .bind(t.priority)
    .bind(t.last_message_kind)
    .bind(t.last_activity_at)
    .bind(t.first_response_at)
    .bind(t.resolved_at)
    .bind(t.closed_at)
    .bind(t.merged_into_id)
    .bind(t.split_from_id)
    .bind(t.version)
    .bind(t.first_response_due_at)
    .bind(t.next_response_due_at)
    .bind(t.resolution_due_at)
    .bind(t.sla_due_at)
    .bind(t.sla_next_at)
    .bind(&t.sla)
    .execute(db)
    .await?;
    Ok(())
}

/// A ticket's own columns by id (no lock, no access rule: mail and jobs).
pub async fn state(db: impl PgExecutor<'_>, id: TicketId) -> sqlx::Result<Option<TicketState>> {
    sqlx::query_as(&format!("select {STATE} from tickets t where t.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The ticket with this number, if it is within `scope` (no lock).
pub async fn find_visible(
    db: impl PgExecutor<'_>,
    scope: Scope,
    number: TicketNumber,
) -> sqlx::Result<Option<TicketState>> {
    let mut qb =
        QueryBuilder::<Postgres>::new(format!("select {STATE} from tickets t where t.number = "));
    qb.push_bind(number);
    super::access::push_scope(&mut qb, scope);
    qb.build_query_as().fetch_optional(db).await
}

/// What an agent's signature needs to know of a ticket.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SignatureFacts {
    pub signature: String,
    pub department_name: String,
    pub customer_name: String,
}

/// The signature template of the ticket's department and the names it fills in.
pub async fn signature_facts(
    db: impl PgExecutor<'_>,
    id: TicketId,
) -> sqlx::Result<SignatureFacts> {
    sqlx::query_as(
        "select d.signature, d.name as department_name, u.name as customer_name from tickets t \
         join departments d on d.id = t.department_id join users u on u.id = t.requester_id where t.id = $1",
    )
    .bind(id)
    .fetch_one(db)
    .await
}

/// The name of `user` and of ticket `number`'s department, for a refusal
/// that names both.
pub async fn names_for_refusal(
    db: impl PgExecutor<'_>,
    number: TicketNumber,
    user: UserId,
) -> sqlx::Result<(String, String)> {
    sqlx::query_as(
        "select coalesce((select name from users where id = $2), ''), \
                coalesce((select d.name from tickets t join departments d on d.id = t.department_id \
                          where t.number = $1), '')",
    )
    .bind(number)
    .bind(user)
    .fetch_one(db)
    .await
}

/// The public number of a ticket.
pub async fn number_of(
    db: impl PgExecutor<'_>,
    id: TicketId,
) -> sqlx::Result<Option<TicketNumber>> {
    sqlx::query_scalar("select number from tickets where id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Resolved tickets whose resolution is older than `days`: the auto-close
/// job closes each through the write path.
pub async fn due_for_auto_close(
    db: impl PgExecutor<'_>,
    days: u32,
    limit: i64,
) -> sqlx::Result<Vec<TicketId>> {
    sqlx::query_scalar(
        "select id from tickets where status = 'resolved' \
           and resolved_at < now() - make_interval(days => $1) order by resolved_at limit $2",
    )
    .bind(days as i32)
    .bind(limit)
    .fetch_all(db)
    .await
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

/// Adds a participant (a Cc from mail, the people of a merged ticket).
pub async fn add_participant(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
    user: UserId,
    via: &str,
    portal_access: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into ticket_participants (ticket_id, user_id, role, joined_via, portal_access) \
         values ($1, $2, 'cc', $3::participant_via, $4) on conflict do nothing",
    )
    .bind(ticket)
    .bind(user)
    .bind(via)
    .bind(portal_access)
    .execute(db)
    .await?;
    Ok(())
}

/// Moves every message, file and participant of `source` into `target`.
pub async fn move_all(
    db: &mut PgConnection,
    source: TicketId,
    target: TicketId,
) -> sqlx::Result<()> {
    sqlx::query(
        "with m as (update messages set ticket_id = $2 where ticket_id = $1), \
              a as (update attachments set ticket_id = $2 where ticket_id = $1) \
         insert into ticket_participants (ticket_id, user_id, role, joined_via, portal_access) \
         select $2, user_id, 'cc', joined_via, portal_access from ticket_participants where ticket_id = $1 \
         on conflict (ticket_id, user_id) do nothing",
    )
    .bind(source)
    .bind(target)
    .execute(db)
    .await?;
    Ok(())
}

/// Moves one message with its files from `source` into `target`; false
/// when the message is not on `source`.
pub async fn move_message(
    db: &mut PgConnection,
    source: TicketId,
    message: crate::domain::ids::MessageId,
    target: TicketId,
) -> sqlx::Result<bool> {
    let moved = sqlx::query("update messages set ticket_id = $3 where id = $2 and ticket_id = $1")
        .bind(source)
        .bind(message)
        .bind(target)
        .execute(&mut *db)
        .await?;
    if moved.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("update attachments set ticket_id = $2 where message_id = $1")
        .bind(message)
        .bind(target)
        .execute(db)
        .await?;
    Ok(true)
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

/// Number and subject of each of `ids` (in no order).
pub async fn numbers_of(
    db: impl PgExecutor<'_>,
    ids: &[TicketId],
) -> sqlx::Result<Vec<(TicketId, TicketNumber, String)>> {
    sqlx::query_as("select id, number, subject from tickets where id = any($1)")
        .bind(ids)
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
