//! The outcome of every service-level promise: written by the write path
//! (running, done) and claimed once by the escalation job (warned,
//! breached). Statistics read it for compliance.

use sqlx::{PgExecutor, Postgres, QueryBuilder};
use time::OffsetDateTime;

use crate::domain::ids::{DepartmentId, TicketId, UserId};
use crate::domain::priority::Priority;
use crate::domain::sla_clock::TargetKind;

/// A promise as the write path sees it now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Promise {
    pub target: TargetKind,
    pub started_at: OffsetDateTime,
    pub due_at: OffsetDateTime,
}

/// Where the ticket stands for its promises.
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    pub ticket: TicketId,
    pub department: DepartmentId,
    pub priority: Priority,
}

/// Records the running promises (a reopened promise runs again) and marks
/// the `done` targets' open promises done by `agent`, in one statement.
pub(crate) async fn record(
    db: impl PgExecutor<'_>,
    at: Standing,
    running: &[Promise],
    done: &[TargetKind],
    agent: Option<UserId>,
    now: OffsetDateTime,
) -> sqlx::Result<()> {
    let targets: Vec<TargetKind> = running.iter().map(|p| p.target).collect();
    let started: Vec<OffsetDateTime> = running.iter().map(|p| p.started_at).collect();
    let due: Vec<OffsetDateTime> = running.iter().map(|p| p.due_at).collect();
    sqlx::query(
        "with done as ( \
             update sla_outcomes set done_at = $8, agent_id = coalesce($9, agent_id) \
             where ticket_id = $1 and done_at is null and target = any($7::sla_target[]) \
               and (ticket_id, target, started_at) not in \
                   (select $1, t, s from unnest($4::sla_target[], $5::timestamptz[]) x(t, s)) \
             returning 1) \
         insert into sla_outcomes (ticket_id, target, started_at, due_at, department_id, priority) \
         select $1, t, s, d, $2, $3 from unnest($4::sla_target[], $5::timestamptz[], $6::timestamptz[]) x(t, s, d) \
         on conflict (ticket_id, target, started_at) do update set due_at = excluded.due_at, \
             department_id = excluded.department_id, priority = excluded.priority, done_at = null",
    )
    .bind(at.ticket)
    .bind(at.department)
    .bind(at.priority)
    .bind(&targets)
    .bind(&started)
    .bind(&due)
    .bind(done)
    .bind(now)
    .bind(agent)
    .execute(db)
    .await?;
    Ok(())
}

/// What the job claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Warning,
    Breach,
}

/// Claims the warning or the breach of a running promise: true exactly
/// once per promise, however many job runners race (the row is the claim,
/// and it commits with the notifications or not at all).
pub(crate) async fn claim(
    db: impl PgExecutor<'_>,
    at: Standing,
    p: Promise,
    what: Claim,
    now: OffsetDateTime,
) -> sqlx::Result<bool> {
    let column = match what {
        Claim::Warning => "warned_at",
        Claim::Breach => "breached_at",
    };
    let mut qb = QueryBuilder::<Postgres>::new(format!(
        "insert into sla_outcomes as o (ticket_id, target, started_at, due_at, department_id, priority, {column}) values ("
    ));
    let mut v = qb.separated(", ");
    v.push_bind(at.ticket)
        .push_bind(p.target)
        .push_bind(p.started_at)
        .push_bind(p.due_at)
        .push_bind(at.department)
        .push_bind(at.priority)
        .push_bind(now);
    qb.push(format!(
        ") on conflict (ticket_id, target, started_at) do update set {column} = excluded.{column}, \
           due_at = excluded.due_at \
         where o.{column} is null and o.done_at is null returning 1"
    ));
    Ok(qb
        .build_query_scalar::<i32>()
        .fetch_optional(db)
        .await?
        .is_some())
}

/// A ticket's promises, for its page and `ticket show --json`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutcomeRow {
    pub target: TargetKind,
    pub started_at: OffsetDateTime,
    pub due_at: OffsetDateTime,
    pub warned_at: Option<OffsetDateTime>,
    pub breached_at: Option<OffsetDateTime>,
    pub done_at: Option<OffsetDateTime>,
}

pub async fn for_ticket(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
) -> sqlx::Result<Vec<OutcomeRow>> {
    sqlx::query_as(
        "select target, started_at, due_at, warned_at, breached_at, done_at from sla_outcomes \
         where ticket_id = $1 order by started_at, target",
    )
    .bind(ticket)
    .fetch_all(db)
    .await
}

/// The ticket whose look is due soonest, locked, skipping those another
/// runner holds.
pub(crate) async fn claim_due(
    db: impl PgExecutor<'_>,
    now: OffsetDateTime,
    skip: &[TicketId],
) -> sqlx::Result<Option<TicketId>> {
    sqlx::query_scalar(
        "select id from tickets where sla_next_at <= $1 and id <> all($2) order by sla_next_at \
         limit 1 for update skip locked",
    )
    .bind(now)
    .bind(skip)
    .fetch_optional(db)
    .await
}

/// When the job must look next (None: nothing is due at all).
pub async fn next_look(db: impl PgExecutor<'_>) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar("select min(sla_next_at) from tickets where sla_next_at is not null")
        .fetch_one(db)
        .await
}

/// Open tickets of a department after `after` (by id), for recomputing
/// after its policy or calendar changed.
pub async fn open_in(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
    after: Option<TicketId>,
    limit: i64,
) -> sqlx::Result<Vec<TicketId>> {
    sqlx::query_scalar(
        "select id from tickets where department_id = $1 and status in ('open', 'pending') \
           and merged_into_id is null and ($2::uuid is null or id > $2) \
         order by id limit $3",
    )
    .bind(department)
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Departments whose targets, calendar or own row changed since their open
/// tickets were last recomputed (or that never were).
pub async fn stale_departments(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<DepartmentId>> {
    sqlx::query_scalar(
        "select d.id from departments d \
         left join sla_recomputed r on r.department_id = d.id \
         left join calendars c on c.id = d.calendar_id \
         where r.at is null or d.updated_at > r.at or c.updated_at > r.at \
            or exists (select 1 from sla_targets s where s.department_id = d.id and s.updated_at > r.at) \
         order by d.id",
    )
    .fetch_all(db)
    .await
}

/// Records that `department` was recomputed as of `at` (when it began).
pub async fn mark_recomputed(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into sla_recomputed (department_id, at) values ($1, $2) \
         on conflict (department_id) do update set at = greatest(sla_recomputed.at, excluded.at)",
    )
    .bind(department)
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}
