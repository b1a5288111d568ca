//! Statistics: the per-ticket fact tables kept by the `stats` journal
//! reader, and the report queries over them (and over `sla_outcomes`).
//! Facts are replaced per ticket, never incremented, so a batch applied
//! twice changes nothing. Who may see which departments is decided in
//! `service::stats`; here a report takes the list of departments it covers
//! (`None`: every department).

use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};
use time::{Date, OffsetDateTime};

use crate::domain::ids::{DepartmentId, TicketId, UserId};
use crate::domain::priority::Priority;

/// What a ticket's facts are computed from.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Source {
    pub id: TicketId,
    pub department_id: DepartmentId,
    pub assignee_id: Option<UserId>,
    pub priority: Priority,
    pub created_at: OffsetDateTime,
    pub first_response_at: Option<OffsetDateTime>,
    /// The author of the first agent reply.
    pub responder_id: Option<UserId>,
    /// Resolved, or closed without a resolution.
    pub resolved_at: Option<OffsetDateTime>,
}

/// A ticket's facts: durations in seconds of wall and business time.
#[derive(Debug, Clone)]
pub struct Fact {
    pub source: Source,
    pub first_response: Option<(i32, i32)>,
    pub resolution: Option<(i32, i32)>,
}

/// The unmerged tickets among `ids`, with what their facts need.
pub async fn sources(db: impl PgExecutor<'_>, ids: &[TicketId]) -> sqlx::Result<Vec<Source>> {
    sqlx::query_as(
        "select t.id, t.department_id, t.assignee_id, t.priority, t.created_at, \
                t.first_response_at, coalesce(t.resolved_at, t.closed_at) as resolved_at, \
                (select m.author_id from messages m where m.ticket_id = t.id and m.kind = 'agent' \
                 order by m.created_at, m.id limit 1) as responder_id \
         from tickets t where t.id = any($1) and t.merged_into_id is null",
    )
    .bind(ids)
    .fetch_all(db)
    .await
}

/// Ticket ids after `after` in id order: the rebuild's pages.
pub async fn ticket_ids(
    db: impl PgExecutor<'_>,
    after: Option<TicketId>,
    limit: i64,
) -> sqlx::Result<Vec<TicketId>> {
    sqlx::query_scalar(
        "select id from tickets where id > coalesce($1, '00000000-0000-0000-0000-000000000000'::uuid) \
         order by id limit $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Replaces every fact row of `ids` (tickets, replies, ratings): `facts`
/// for the tickets that still count, nothing for the others (merged,
/// deleted). Days are cut in `zone` (an IANA name PostgreSQL knows).
/// The advisory lock statistics refreshes take turns on.
const FACTS_LOCK: i64 = 0x6269_6c65_745f_7374;

pub async fn replace(
    conn: &mut PgConnection,
    ids: &[TicketId],
    facts: &[Fact],
    zone: &str,
) -> sqlx::Result<()> {
    // Refreshes (each node's reader, a rebuild) take turns, else two of
    // one ticket both delete nothing and both insert. One lock of their
    // own, not the tickets' rows, so writers never wait on it nor can
    // deadlock with it; held to the end of this transaction.
    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(FACTS_LOCK)
        .execute(&mut *conn)
        .await?;
    for table in ["stats_tickets", "stats_replies", "stats_ratings"] {
        sqlx::query(&format!("delete from {table} where ticket_id = any($1)"))
            .bind(ids)
            .execute(&mut *conn)
            .await?;
    }
    let kept: Vec<TicketId> = facts.iter().map(|f| f.source.id).collect();
    let col = |f: fn(&Fact) -> Option<i32>| facts.iter().map(f).collect::<Vec<_>>();
    sqlx::query(
        "insert into stats_tickets (ticket_id, department_id, agent_id, priority, created_at, \
             created_day, first_response_at, first_response_day, responder_id, first_response_wall, \
             first_response_business, resolved_at, resolved_day, resolution_wall, resolution_business) \
         select t.id, t.department_id, t.assignee_id, t.priority, t.created_at, \
                (t.created_at at time zone $2)::date, t.first_response_at, \
                (t.first_response_at at time zone $2)::date, x.responder, x.frw, x.frb, \
                coalesce(t.resolved_at, t.closed_at), \
                (coalesce(t.resolved_at, t.closed_at) at time zone $2)::date, x.rw, x.rb \
         from unnest($1::uuid[], $3::uuid[], $4::int[], $5::int[], $6::int[], $7::int[]) \
              x(id, responder, frw, frb, rw, rb) \
         join tickets t on t.id = x.id",
    )
    .bind(&kept)
    .bind(zone)
    .bind(facts.iter().map(|f| f.source.responder_id).collect::<Vec<_>>())
    .bind(col(|f| f.first_response.map(|d| d.0)))
    .bind(col(|f| f.first_response.map(|d| d.1)))
    .bind(col(|f| f.resolution.map(|d| d.0)))
    .bind(col(|f| f.resolution.map(|d| d.1)))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into stats_replies (ticket_id, agent_id, day, department_id, replies) \
         select m.ticket_id, m.author_id, (m.created_at at time zone $2)::date, t.department_id, count(*) \
         from messages m join tickets t on t.id = m.ticket_id \
         where m.ticket_id = any($1) and m.kind = 'agent' and m.author_id is not null \
         group by 1, 2, 3, 4",
    )
    .bind(&kept)
    .bind(zone)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "insert into stats_ratings (rating_id, ticket_id, department_id, agent_id, stars, comment, \
             rated_at, day) \
         select r.id, r.ticket_id, t.department_id, coalesce(r.agent_id, t.assignee_id), r.stars, \
                r.comment, r.created_at, (r.created_at at time zone $2)::date \
         from ratings r join tickets t on t.id = r.ticket_id where r.ticket_id = any($1)",
    )
    .bind(&kept)
    .bind(zone)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The days a report covers and the departments it may read.
#[derive(Debug, Clone)]
pub struct Range {
    pub from: Date,
    pub to: Date,
    /// `[start, end)`: the same days as instants, for `sla_outcomes`.
    pub start: OffsetDateTime,
    pub end: OffsetDateTime,
    /// None: every department.
    pub departments: Option<Vec<DepartmentId>>,
}

/// Which rows of a grouped report: grouping sets by department, by agent
/// and the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Department,
    Agent,
    Total,
}

fn group(bits: i32) -> Group {
    match bits {
        1 => Group::Department,
        2 => Group::Agent,
        _ => Group::Total,
    }
}

/// Appends `and <col> = any(departments)` unless the range covers all.
fn push_departments(qb: &mut QueryBuilder<'_, Postgres>, col: &str, r: &Range) {
    if let Some(d) = &r.departments {
        qb.push(format!(" and {col} = any("))
            .push_bind(d.clone())
            .push(")");
    }
}

/// Median, average and 90th percentile of one duration, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, sqlx::FromRow)]
pub struct Spread {
    pub median: Option<f64>,
    pub average: Option<f64>,
    pub p90: Option<f64>,
}

/// One grouped row of durations.
#[derive(Debug, Clone)]
pub struct TimingRow {
    pub group: Group,
    pub department_id: Option<DepartmentId>,
    pub agent_id: Option<UserId>,
    pub n: i64,
    pub wall: Spread,
    pub business: Spread,
}

/// Which duration a timing report reads.
#[derive(Debug, Clone, Copy)]
pub enum Measure {
    FirstResponse,
    Resolution,
}

/// Durations of the tickets first answered (or resolved) in the range, by
/// department, by agent (the responder, or the assignee) and in total.
pub async fn timing(
    db: impl PgExecutor<'_>,
    r: &Range,
    m: Measure,
) -> sqlx::Result<Vec<TimingRow>> {
    let (day, agent, wall, business) = match m {
        Measure::FirstResponse => (
            "first_response_day",
            "responder_id",
            "first_response_wall",
            "first_response_business",
        ),
        Measure::Resolution => (
            "resolved_day",
            "agent_id",
            "resolution_wall",
            "resolution_business",
        ),
    };
    let mut qb = QueryBuilder::new(format!(
        "select grouping(department_id, agent)::int as g, department_id, agent, count(*) as n, \
           percentile_cont(0.5) within group (order by w) as wm, avg(w)::float8 as wa, \
           percentile_cont(0.9) within group (order by w) as wp, \
           percentile_cont(0.5) within group (order by b) as bm, avg(b)::float8 as ba, \
           percentile_cont(0.9) within group (order by b) as bp \
         from (select department_id, {agent} as agent, {wall} as w, {business} as b \
               from stats_tickets where {day} between "
    ));
    qb.push_bind(r.from).push(" and ").push_bind(r.to);
    push_departments(&mut qb, "department_id", r);
    qb.push(") f group by grouping sets ((department_id), (agent), ())");
    type Row = (
        i32,
        Option<DepartmentId>,
        Option<UserId>,
        i64,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<f64>,
    );
    let rows: Vec<Row> = qb.build_query_as().fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(g, d, a, n, wm, wa, wp, bm, ba, bp)| TimingRow {
            group: group(g),
            department_id: d,
            agent_id: a,
            n,
            wall: Spread {
                median: wm,
                average: wa,
                p90: wp,
            },
            business: Spread {
                median: bm,
                average: ba,
                p90: bp,
            },
        })
        .collect())
}

/// A grouped count or sum.
#[derive(Debug, Clone)]
pub struct CountRow {
    pub group: Group,
    pub department_id: Option<DepartmentId>,
    pub agent_id: Option<UserId>,
    pub n: i64,
}

/// Agent replies sent in the range, grouped.
pub async fn replies(db: impl PgExecutor<'_>, r: &Range) -> sqlx::Result<Vec<CountRow>> {
    let mut qb = QueryBuilder::new(
        "select grouping(department_id, agent_id)::int, department_id, agent_id, \
                coalesce(sum(replies), 0)::int8 from stats_replies where day between ",
    );
    qb.push_bind(r.from).push(" and ").push_bind(r.to);
    push_departments(&mut qb, "department_id", r);
    qb.push(" group by grouping sets ((department_id), (agent_id), ())");
    counts(qb, db).await
}

async fn counts(
    mut qb: QueryBuilder<'_, Postgres>,
    db: impl PgExecutor<'_>,
) -> sqlx::Result<Vec<CountRow>> {
    let rows: Vec<(i32, Option<DepartmentId>, Option<UserId>, i64)> =
        qb.build_query_as().fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(g, d, a, n)| CountRow {
            group: group(g),
            department_id: d,
            agent_id: a,
            n,
        })
        .collect())
}

/// SLA targets due in the range: met, missed (breached, done late, or due
/// and still running); running targets not yet due count as neither.
#[derive(Debug, Clone)]
pub struct ComplianceRow {
    pub group: Group,
    pub department_id: Option<DepartmentId>,
    pub agent_id: Option<UserId>,
    pub met: i64,
    pub missed: i64,
}

/// Compliance in the range, grouped (agent: who did the target).
pub async fn compliance(
    db: impl PgExecutor<'_>,
    r: &Range,
    now: OffsetDateTime,
) -> sqlx::Result<Vec<ComplianceRow>> {
    let mut qb = QueryBuilder::new(
        "select grouping(department_id, agent_id)::int, department_id, agent_id, \
           count(*) filter (where breached_at is null and done_at <= due_at), \
           count(*) filter (where breached_at is not null or done_at > due_at \
                            or (done_at is null and due_at <= ",
    );
    qb.push_bind(now)
        .push(")) from sla_outcomes where due_at >= ")
        .push_bind(r.start)
        .push(" and due_at < ")
        .push_bind(r.end);
    push_departments(&mut qb, "department_id", r);
    qb.push(" group by grouping sets ((department_id), (agent_id), ())");
    type Row = (i32, Option<DepartmentId>, Option<UserId>, i64, i64);
    let rows: Vec<Row> = qb.build_query_as().fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(g, d, a, met, missed)| ComplianceRow {
            group: group(g),
            department_id: d,
            agent_id: a,
            met,
            missed,
        })
        .collect())
}

/// Ratings given in the range: the average and how many of each star.
#[derive(Debug, Clone)]
pub struct RatingRow {
    pub group: Group,
    pub department_id: Option<DepartmentId>,
    pub agent_id: Option<UserId>,
    pub average: Option<f64>,
    /// Ratings of 1 to 5 stars.
    pub stars: [i64; 5],
}

/// Ratings in the range, grouped (agent: the rated agent).
pub async fn ratings(db: impl PgExecutor<'_>, r: &Range) -> sqlx::Result<Vec<RatingRow>> {
    let mut qb = QueryBuilder::new(
        "select grouping(department_id, agent_id)::int, department_id, agent_id, avg(stars)::float8, \
           count(*) filter (where stars = 1), count(*) filter (where stars = 2), \
           count(*) filter (where stars = 3), count(*) filter (where stars = 4), \
           count(*) filter (where stars = 5) from stats_ratings where day between ",
    );
    qb.push_bind(r.from).push(" and ").push_bind(r.to);
    push_departments(&mut qb, "department_id", r);
    qb.push(" group by grouping sets ((department_id), (agent_id), ())");
    type Row = (
        i32,
        Option<DepartmentId>,
        Option<UserId>,
        Option<f64>,
        i64,
        i64,
        i64,
        i64,
        i64,
    );
    let rows: Vec<Row> = qb.build_query_as().fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(g, d, a, average, s1, s2, s3, s4, s5)| RatingRow {
            group: group(g),
            department_id: d,
            agent_id: a,
            average,
            stars: [s1, s2, s3, s4, s5],
        })
        .collect())
}

/// A rating's comment, for "recent comments".
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CommentRow {
    pub number: i64,
    pub stars: i16,
    pub comment: String,
    pub rated_at: OffsetDateTime,
    pub agent_name: Option<String>,
}

/// The newest `limit` comments given in the range.
pub async fn comments(
    db: impl PgExecutor<'_>,
    r: &Range,
    limit: i64,
) -> sqlx::Result<Vec<CommentRow>> {
    let mut qb = QueryBuilder::new(
        "select t.number, s.stars, s.comment, s.rated_at, u.name as agent_name \
         from stats_ratings s join tickets t on t.id = s.ticket_id \
         left join users u on u.id = s.agent_id where s.comment <> '' and s.day between ",
    );
    qb.push_bind(r.from).push(" and ").push_bind(r.to);
    push_departments(&mut qb, "s.department_id", r);
    qb.push(" order by s.rated_at desc limit ").push_bind(limit);
    qb.build_query_as().fetch_all(db).await
}

/// One bucket of the trend (a day, or the Monday of a week).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TrendRow {
    pub bucket: Date,
    pub handled: i64,
    pub replies: i64,
    /// Median first response (wall seconds) of the tickets first answered then.
    pub first_response: Option<f64>,
}

/// The trend over the range, per day or per ISO week.
pub async fn trend(
    db: impl PgExecutor<'_>,
    r: &Range,
    weekly: bool,
) -> sqlx::Result<Vec<TrendRow>> {
    let bucket = |col: &str| match weekly {
        true => format!("date_trunc('week', {col})::date"),
        false => col.to_string(),
    };
    let mut qb = QueryBuilder::new(format!(
        "with h as (select {} as bucket, count(*) as n from stats_tickets where resolved_day between ",
        bucket("resolved_day")
    ));
    qb.push_bind(r.from).push(" and ").push_bind(r.to);
    push_departments(&mut qb, "department_id", r);
    qb.push(format!(
        " group by 1), p as (select {} as bucket, sum(replies)::int8 as n from stats_replies \
         where day between ",
        bucket("day")
    ));
    qb.push_bind(r.from).push(" and ").push_bind(r.to);
    push_departments(&mut qb, "department_id", r);
    qb.push(format!(
        " group by 1), f as (select {} as bucket, \
           percentile_cont(0.5) within group (order by first_response_wall) as m \
         from stats_tickets where first_response_day between ",
        bucket("first_response_day")
    ));
    qb.push_bind(r.from).push(" and ").push_bind(r.to);
    push_departments(&mut qb, "department_id", r);
    qb.push(
        " group by 1) \
         select bucket, coalesce(h.n, 0) as handled, coalesce(p.n, 0) as replies, f.m as first_response \
         from h full join p using (bucket) full join f using (bucket) order by bucket",
    );
    qb.build_query_as().fetch_all(db).await
}

/// Departments by id: (id, name), in the console's order.
pub async fn departments(
    db: impl PgExecutor<'_>,
    only: Option<&[DepartmentId]>,
) -> sqlx::Result<Vec<(DepartmentId, String)>> {
    sqlx::query_as(
        "select id, name from departments where $1::uuid[] is null or id = any($1) \
         order by position, name",
    )
    .bind(only)
    .fetch_all(db)
    .await
}

/// The departments `user` manages.
pub async fn managed(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Vec<DepartmentId>> {
    sqlx::query_scalar("select department_id from department_managers where user_id = $1")
        .bind(user)
        .fetch_all(db)
        .await
}

/// People's names by id.
pub async fn names(db: impl PgExecutor<'_>, ids: &[UserId]) -> sqlx::Result<Vec<(UserId, String)>> {
    sqlx::query_as("select id, name from users where id = any($1)")
        .bind(ids)
        .fetch_all(db)
        .await
}
