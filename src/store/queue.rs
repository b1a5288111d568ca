//! Agent queues: one query for every workspace, filter and sort, with
//! keyset pagination, and the matching count. Filters are appended with
//! QueryBuilder only when set, so each shape gets its own plan instead of
//! one generic plan full of `($n is null or ...)` that cannot use indexes.

use sqlx::{PgExecutor, Postgres, QueryBuilder};
use time::OffsetDateTime;

use crate::domain::access::Scope;
use crate::domain::ids::{TicketId, TicketNumber, UserId};
use crate::domain::messages::Kind;
use crate::domain::priority::Priority;
use crate::domain::queue::{Assignee, Filter};
use crate::domain::status::Status;

/// One row of a queue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueRow {
    pub id: TicketId,
    pub number: TicketNumber,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub department_name: String,
    pub requester_name: String,
    pub requester_email: String,
    pub assignee_name: Option<String>,
    pub last_message_kind: Option<Kind>,
    pub last_activity_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    pub snippet: Option<String>,
}

/// Where the previous page ended: the sort key and id of its last row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: OffsetDateTime,
    pub id: TicketId,
}

fn pattern(text: &str) -> String {
    format!(
        "%{}%",
        text.trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

fn push_filter(qb: &mut QueryBuilder<'_, Postgres>, scope: Scope, me: UserId, filter: &Filter) {
    super::access::push_scope(qb, scope);
    if !filter.statuses.is_empty() {
        let statuses: Vec<String> = filter
            .statuses
            .iter()
            .map(|s| s.as_str().to_string())
            .collect();
        qb.push(" and t.status = any(")
            .push_bind(statuses)
            .push("::text[]::ticket_status[])");
    }
    if let Some(p) = filter.priority {
        qb.push(" and t.priority = ").push_bind(p);
    }
    match filter.assignee {
        Assignee::Anyone => {}
        Assignee::Me => {
            qb.push(" and t.assignee_id = ").push_bind(me);
        }
        Assignee::Unassigned => {
            qb.push(" and t.assignee_id is null");
        }
        Assignee::User(u) => {
            qb.push(" and t.assignee_id = ").push_bind(u);
        }
    }
    if let Some(d) = filter.department {
        qb.push(" and t.department_id = ").push_bind(d);
    }
    if let Some(text) = filter.text.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = pattern(text);
        qb.push(" and (t.subject ilike ")
            .push_bind(p.clone())
            .push(" or exists (select 1 from messages m where m.ticket_id = t.id and m.body_text ilike ")
            .push_bind(p)
            .push("))");
    }
    if let Some(who) = filter.requester.as_deref().filter(|t| !t.trim().is_empty()) {
        let p = pattern(who);
        qb.push(
            " and exists (select 1 from users ru join user_emails re on re.user_id = ru.id \
             where ru.id = t.requester_id and (re.email ilike ",
        )
        .push_bind(p.clone())
        .push(" or ru.name ilike ")
        .push_bind(p)
        .push("))");
    }
    if let Some(days) = filter.within_days {
        qb.push(" and t.last_activity_at > now() - make_interval(days => ")
            .push_bind(days as i32)
            .push(")");
    }
}

/// One page of the queue.
pub async fn page(
    db: impl PgExecutor<'_>,
    scope: Scope,
    me: UserId,
    filter: &Filter,
    after: Option<Cursor>,
    limit: i64,
) -> sqlx::Result<Vec<QueueRow>> {
    let key = if filter.sort.by_created() {
        "t.created_at"
    } else {
        "t.last_activity_at"
    };
    let (cmp, dir) = if filter.sort.descending() {
        ("<", "desc")
    } else {
        (">", "asc")
    };
    let mut qb = QueryBuilder::<Postgres>::new(
        "select t.id, t.number, t.subject, t.status, t.priority, d.name as department_name, \
                ru.name as requester_name, re.email as requester_email, au.name as assignee_name, \
                t.last_message_kind, t.last_activity_at, t.created_at, \
                (select left(m.body_text, 160) from messages m \
                 where m.ticket_id = t.id and m.kind in ('customer', 'agent') \
                 order by m.created_at desc limit 1) as snippet \
         from tickets t \
         join departments d on d.id = t.department_id \
         join users ru on ru.id = t.requester_id \
         join user_emails re on re.user_id = ru.id and re.is_primary \
         left join users au on au.id = t.assignee_id \
         where t.merged_into_id is null",
    );
    push_filter(&mut qb, scope, me, filter);
    if let Some(c) = after {
        qb.push(format!(" and ({key}, t.id) {cmp} ("))
            .push_bind(c.at)
            .push(", ")
            .push_bind(c.id)
            .push(")");
    }
    qb.push(format!(" order by {key} {dir}, t.id {dir} limit "))
        .push_bind(limit);
    qb.build_query_as().fetch_all(db).await
}

/// How many tickets the queue holds.
pub async fn count(
    db: impl PgExecutor<'_>,
    scope: Scope,
    me: UserId,
    filter: &Filter,
) -> sqlx::Result<i64> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "select count(*) from tickets t where t.merged_into_id is null",
    );
    push_filter(&mut qb, scope, me, filter);
    qb.build_query_scalar().fetch_one(db).await
}
