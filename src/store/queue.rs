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
    pub version: i32,
    /// The earliest service-level due time.
    pub sla_due_at: Option<OffsetDateTime>,
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
        // Written into the text (they are our enum's names, never typed
        // input): a generic plan, reused without planning, can then still
        // use the partial indexes their values imply.
        let list: Vec<&str> = filter.statuses.iter().map(|s| s.as_str()).collect();
        qb.push(format!(" and t.status in ('{}')", list.join("', '")));
    }
    if let Some(p) = filter.priority {
        qb.push(format!(" and t.priority = '{}'", p.as_str()));
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
        // The matching people first, then their tickets by
        // tickets_requester: a test per ticket walked the whole queue (90
        // ms at a million). Addresses are stored lower-case, so LIKE on the
        // lower-cased text (ILIKE costs five times as much per row); a
        // text with "@" is an address, not a name.
        let p = pattern(&who.to_lowercase());
        qb.push(
            " and t.requester_id in (select re.user_id from user_emails re where re.email like ",
        )
        .push_bind(p.clone());
        if !who.contains('@') {
            qb.push(" union all select ru.id from users ru where ru.name ilike ")
                .push_bind(p);
        }
        qb.push(")");
    }
    if let Some(r) = filter.requester_id {
        qb.push(" and t.requester_id = ").push_bind(r);
    }
    if filter.overdue {
        qb.push(" and t.sla_due_at < now()");
    }
    if filter.sort.by_due() {
        qb.push(" and t.sla_due_at is not null");
    }
    if let Some(days) = filter.within_days {
        // A number in the text, like the statuses: how recent decides the
        // plan, and a generic plan would have to guess it.
        qb.push(format!(
            " and t.last_activity_at > now() - make_interval(days => {})",
            days as i32
        ));
    }
}

/// The columns of a queue row, over `t` and its joins.
const ROW_SELECT: &str = "select t.id, t.number, t.subject, t.status, t.priority, d.name as department_name, \
                ru.name as requester_name, coalesce(re.email, '') as requester_email, au.name as assignee_name, \
                t.last_message_kind, t.last_activity_at, t.created_at, t.version, t.sla_due_at, \
                (select left(m.body_text, 160) from messages m \
                 where m.ticket_id = t.id and m.kind in ('customer', 'agent') \
                 order by m.created_at desc limit 1) as snippet \
         from tickets t \
         join departments d on d.id = t.department_id \
         join users ru on ru.id = t.requester_id \
         left join user_emails re on re.user_id = ru.id and re.is_primary \
         left join users au on au.id = t.assignee_id \
         where t.merged_into_id is null";

/// The rows of `ids` within `scope`, in the order of `ids` (search hits,
/// hydrated; the scope is applied again in case the index is behind).
pub async fn rows_by_ids(
    db: impl PgExecutor<'_>,
    scope: Scope,
    ids: &[TicketId],
) -> sqlx::Result<Vec<QueueRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb = QueryBuilder::<Postgres>::new(ROW_SELECT);
    super::access::push_scope(&mut qb, scope);
    qb.push(" and t.id = any(")
        .push_bind(ids.to_vec())
        .push(")");
    let mut rows: Vec<QueueRow> = qb.build_query_as().fetch_all(db).await?;
    rows.sort_by_key(|r| ids.iter().position(|i| *i == r.id));
    Ok(rows)
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
    } else if filter.sort.by_due() {
        "t.sla_due_at"
    } else {
        "t.last_activity_at"
    };
    let (cmp, dir) = if filter.sort.descending() {
        ("<", "desc")
    } else {
        (">", "asc")
    };
    let mut qb = QueryBuilder::<Postgres>::new(ROW_SELECT);
    push_filter(&mut qb, scope, me, filter);
    if let Some(c) = after {
        qb.push(format!(" and ({key}, t.id) {cmp} ("))
            .push_bind(c.at)
            .push(", ")
            .push_bind(c.id)
            .push(")");
    }
    // The limit is written into the text, not bound: with a bound limit
    // the generic plan's cost is guessed for an unknown row count, so
    // PostgreSQL planned every execution afresh (5 ms of the page).
    qb.push(format!(
        " order by {key} {dir}, t.id {dir} limit {}",
        limit.clamp(1, 1000)
    ));
    qb.build_query_as().fetch_all(db).await
}

/// Counts past this are shown as "999+": an exact count of an arbitrary
/// filter would scan.
pub const COUNT_CAP: i64 = 1000;

/// How one workspace is counted.
#[derive(Debug, Clone)]
pub enum CountOf<'a> {
    /// From the maintained counts (status, assignee and department only).
    Counter(&'a Filter),
    /// An index-backed count of the filter, capped at [`COUNT_CAP`].
    Capped(&'a Filter),
}

fn push_counter(qb: &mut QueryBuilder<'_, Postgres>, scope: Scope, me: UserId, filter: &Filter) {
    qb.push("(select coalesce(sum(c.n), 0)::bigint from ticket_counts c where c.status = any(")
        .push_bind(if filter.statuses.is_empty() {
            Status::ALL.to_vec()
        } else {
            filter.statuses.clone()
        })
        .push(")");
    super::access::push_department_scope(qb, scope, "c.department_id");
    if let Some(d) = filter.department {
        qb.push(" and c.department_id = ").push_bind(d);
    }
    match filter.assignee {
        Assignee::Anyone => {}
        Assignee::Me => {
            qb.push(" and c.assignee_id = ").push_bind(me);
        }
        Assignee::Unassigned => {
            qb.push(" and c.assignee_id is null");
        }
        Assignee::User(u) => {
            qb.push(" and c.assignee_id = ").push_bind(u);
        }
    }
    qb.push(")");
}

/// Every workspace's count in one statement, in the order given.
pub async fn counts(
    db: impl PgExecutor<'_>,
    scope: Scope,
    me: UserId,
    of: &[CountOf<'_>],
) -> sqlx::Result<Vec<i64>> {
    if of.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb = QueryBuilder::<Postgres>::new("select ");
    for (i, c) in of.iter().enumerate() {
        if i > 0 {
            qb.push(", ");
        }
        match c {
            CountOf::Counter(f) => push_counter(&mut qb, scope, me, f),
            CountOf::Capped(f) => {
                qb.push(
                    "(select count(*) from (select 1 from tickets t where t.merged_into_id is null",
                );
                push_filter(&mut qb, scope, me, f);
                qb.push(" limit ").push_bind(COUNT_CAP).push(") x)");
            }
        }
    }
    // Prepared and reused like every other statement: with the statuses
    // and levels written into the text a generic plan still sees which
    // partial indexes apply (while they were bound, a cached generic plan
    // fell back to a parallel scan, and this statement was parsed and
    // planned on every page: 1.9 ms at a million tickets).
    let row = qb.build().fetch_one(db).await?;
    use sqlx::Row;
    (0..of.len()).map(|i| row.try_get::<i64, _>(i)).collect()
}

/// The choices of the queue's filter form, in one statement: every
/// department and every enabled staff member, by name.
pub async fn filter_choices(
    db: impl PgExecutor<'_>,
) -> sqlx::Result<(
    Vec<(crate::domain::ids::DepartmentId, String)>,
    Vec<(UserId, String)>,
)> {
    let (ds, ps): (sqlx::types::Json<Vec<_>>, sqlx::types::Json<Vec<_>>) = sqlx::query_as(
        "select coalesce((select json_agg(json_build_array(d.id, d.name) order by d.position, d.name) \
                           from departments d), '[]'), \
                coalesce((select json_agg(json_build_array(u.id, u.name) order by u.name) \
                           from users u where u.role <> 'customer' and u.disabled_at is null), '[]')",
    )
    .fetch_one(db)
    .await?;
    Ok((ds.0, ps.0))
}
