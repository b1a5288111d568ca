//! Service-level configuration: calendars, the departments' calendar and
//! managers, and the targets per department and priority. Targets and hours
//! are stored as the canonical text the domain parses.

use sqlx::{PgConnection, PgExecutor};
use time::Date;
use uuid::Uuid;

use crate::domain::ids::{DepartmentId, UserId};
use crate::domain::priority::Priority;

/// A business-hours calendar as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CalendarRow {
    pub id: Uuid,
    pub name: String,
    pub zone: String,
    pub hours: String,
    pub holidays: Vec<Date>,
}

/// The four targets of one row; None is "no such target".
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Targets {
    pub first_response: Option<String>,
    pub next_response: Option<String>,
    pub resolution: Option<String>,
    pub warn_before: Option<String>,
}

/// What a breach does besides telling the managers, as one target row
/// stores it; None is "not that action".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct BreachRow {
    pub breach_priority: Option<Priority>,
    pub breach_assignee_id: Option<UserId>,
    pub breach_department_id: Option<DepartmentId>,
}

/// The actions a breach of a ticket of one department and priority takes
/// (from the same row as its targets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreachActions {
    /// Raise the priority to this (when it is higher).
    pub priority: Option<Priority>,
    /// Hand the ticket to this person.
    pub assignee: Option<UserId>,
    /// Move the ticket to this department.
    pub department: Option<DepartmentId>,
}

/// Which targets and breach actions a change sets: None leaves the column
/// as it is, Some(None) clears it.
#[derive(Debug, Clone, Default)]
pub struct TargetChange {
    pub first_response: Option<Option<String>>,
    pub next_response: Option<Option<String>>,
    pub resolution: Option<Option<String>>,
    pub warn_before: Option<Option<String>>,
    pub breach_priority: Option<Option<Priority>>,
    pub breach_assignee: Option<Option<UserId>>,
    pub breach_department: Option<Option<DepartmentId>>,
}

/// One row of the SLA overview: a target row, or a department without any
/// (priority and targets null) so that its calendar and managers show.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OverviewRow {
    pub department: String,
    pub priority: Option<Priority>,
    #[sqlx(flatten)]
    pub targets: Targets,
    #[sqlx(flatten)]
    pub breach: BreachRow,
    /// The breach assignee's address and the breach department's slug.
    pub breach_assignee: Option<String>,
    pub breach_department: Option<String>,
    pub calendar: Option<String>,
    pub managers: Vec<String>,
}

/// The targets and calendar that apply to one department and priority.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PolicyRow {
    #[sqlx(flatten)]
    pub targets: Targets,
    pub zone: Option<String>,
    pub hours: Option<String>,
    pub holidays: Option<Vec<Date>>,
}

/// Inserts a calendar; fails on `calendars_name_key` when the name is taken.
pub async fn insert_calendar(db: impl PgExecutor<'_>, c: &CalendarRow) -> sqlx::Result<()> {
    sqlx::query(
        "insert into calendars (id, name, zone, hours, holidays) values ($1, $2, $3, $4, $5)",
    )
    .bind(c.id)
    .bind(&c.name)
    .bind(&c.zone)
    .bind(&c.hours)
    .bind(&c.holidays)
    .execute(db)
    .await
    .map(|_| ())
}

/// Every calendar, by name.
pub async fn calendars(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<CalendarRow>> {
    sqlx::query_as("select id, name, zone, hours, holidays from calendars order by name")
        .fetch_all(db)
        .await
}

/// The calendar `id`.
pub async fn calendar(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<CalendarRow>> {
    sqlx::query_as("select id, name, zone, hours, holidays from calendars where id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Changes a calendar; fails on `calendars_name_key` when the new name is
/// taken. False: no such calendar.
pub async fn update_calendar(db: impl PgExecutor<'_>, c: &CalendarRow) -> sqlx::Result<bool> {
    sqlx::query(
        "update calendars set name = $2, zone = $3, hours = $4, holidays = $5 where id = $1",
    )
    .bind(c.id)
    .bind(&c.name)
    .bind(&c.zone)
    .bind(&c.hours)
    .bind(&c.holidays)
    .execute(db)
    .await
    .map(|r| r.rows_affected() == 1)
}

/// The slugs of the departments that use calendar `id`.
pub async fn calendar_departments(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select slug from departments where calendar_id = $1 order by position, name",
    )
    .bind(id)
    .fetch_all(db)
    .await
}

/// The calendar called `name`.
pub async fn calendar_named(
    db: impl PgExecutor<'_>,
    name: &str,
) -> sqlx::Result<Option<CalendarRow>> {
    sqlx::query_as("select id, name, zone, hours, holidays from calendars where name = $1")
        .bind(name)
        .fetch_optional(db)
        .await
}

/// Sets (or with None clears) a department's calendar.
pub async fn set_calendar(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
    calendar: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query("update departments set calendar_id = $2 where id = $1")
        .bind(department)
        .bind(calendar)
        .execute(db)
        .await
        .map(|_| ())
}

/// A department's managers.
pub async fn managers(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
) -> sqlx::Result<Vec<UserId>> {
    sqlx::query_scalar("select user_id from department_managers where department_id = $1")
        .bind(department)
        .fetch_all(db)
        .await
}

/// Replaces a department's managers with `users`.
pub async fn replace_managers(
    db: &mut PgConnection,
    department: DepartmentId,
    users: &[UserId],
) -> sqlx::Result<()> {
    sqlx::query("delete from department_managers where department_id = $1")
        .bind(department)
        .execute(&mut *db)
        .await?;
    sqlx::query(
        "insert into department_managers (department_id, user_id) \
         select $1, u from unnest($2::uuid[]) u on conflict do nothing",
    )
    .bind(department)
    .bind(users.iter().map(|u| u.0).collect::<Vec<Uuid>>())
    .execute(&mut *db)
    .await
    .map(|_| ())
}

/// Creates or changes the row of `department` and `priority` (None: the
/// department's default), touching only the columns `change` sets.
pub async fn upsert_targets(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
    priority: Option<Priority>,
    change: &TargetChange,
) -> sqlx::Result<()> {
    // $n is the new value, $n+1 whether to take it: a plain `coalesce`
    // could not tell "leave it" from "clear it".
    fn set<T: Clone>(c: &Option<Option<T>>) -> (Option<T>, bool) {
        (c.clone().flatten(), c.is_some())
    }
    let (fr, fr_set) = set(&change.first_response);
    let (nr, nr_set) = set(&change.next_response);
    let (re, re_set) = set(&change.resolution);
    let (wb, wb_set) = set(&change.warn_before);
    let (bp, bp_set) = set(&change.breach_priority);
    let (ba, ba_set) = set(&change.breach_assignee);
    let (bd, bd_set) = set(&change.breach_department);
    sqlx::query(
        "insert into sla_targets as t \
             (department_id, priority, first_response, next_response, resolution, warn_before, \
              breach_priority, breach_assignee_id, breach_department_id) \
         values ($1, $2, $3, $5, $7, $9, $11, $13, $15) \
         on conflict (department_id, priority) do update set \
             first_response = case when $4 then excluded.first_response else t.first_response end, \
             next_response = case when $6 then excluded.next_response else t.next_response end, \
             resolution = case when $8 then excluded.resolution else t.resolution end, \
             warn_before = case when $10 then excluded.warn_before else t.warn_before end, \
             breach_priority = case when $12 then excluded.breach_priority \
                                    else t.breach_priority end, \
             breach_assignee_id = case when $14 then excluded.breach_assignee_id \
                                       else t.breach_assignee_id end, \
             breach_department_id = case when $16 then excluded.breach_department_id \
                                         else t.breach_department_id end",
    )
    .bind(department)
    .bind(priority)
    .bind(fr)
    .bind(fr_set)
    .bind(nr)
    .bind(nr_set)
    .bind(re)
    .bind(re_set)
    .bind(wb)
    .bind(wb_set)
    .bind(bp)
    .bind(bp_set)
    .bind(ba)
    .bind(ba_set)
    .bind(bd)
    .bind(bd_set)
    .execute(db)
    .await
    .map(|_| ())
}

/// Removes the row of `department` and `priority`: that priority then
/// follows the department's default row.
pub async fn delete_targets(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
    priority: Priority,
) -> sqlx::Result<()> {
    sqlx::query("delete from sla_targets where department_id = $1 and priority = $2")
        .bind(department)
        .bind(priority)
        .execute(db)
        .await
        .map(|_| ())
}

/// Every department's target rows (default first, then by priority), with
/// its calendar's name and its managers' addresses.
pub async fn overview(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<OverviewRow>> {
    sqlx::query_as(
        "select d.slug as department, t.priority, t.first_response, t.next_response, \
                t.resolution, t.warn_before, t.breach_priority, t.breach_assignee_id, \
                t.breach_department_id, c.name as calendar, \
                (select e.email from user_emails e \
                 where e.user_id = t.breach_assignee_id and e.is_primary) as breach_assignee, \
                (select b.slug from departments b where b.id = t.breach_department_id) \
                    as breach_department, \
                array(select e.email from department_managers m \
                      join user_emails e on e.user_id = m.user_id and e.is_primary \
                      where m.department_id = d.id order by e.email) as managers \
         from departments d \
         left join sla_targets t on t.department_id = d.id \
         left join calendars c on c.id = d.calendar_id \
         order by d.position, d.name, t.priority nulls first",
    )
    .fetch_all(db)
    .await
}

/// The department's row for `priority`, else its default row, else no
/// targets; and its calendar, if it has one. None: no such department.
pub async fn policy(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
    priority: Priority,
) -> sqlx::Result<Option<PolicyRow>> {
    sqlx::query_as(
        "select t.first_response, t.next_response, t.resolution, t.warn_before, \
                c.zone, c.hours, c.holidays \
         from departments d \
         left join calendars c on c.id = d.calendar_id \
         left join lateral ( \
             select * from sla_targets s \
             where s.department_id = d.id and (s.priority = $2 or s.priority is null) \
             order by s.priority nulls last limit 1) t on true \
         where d.id = $1",
    )
    .bind(department)
    .bind(priority)
    .fetch_optional(db)
    .await
}

/// The breach actions for a ticket of `department` and `priority`: those of
/// the row its targets come from (the priority's own, else the department's
/// default). None: no such row, or it takes no action.
pub async fn breach_actions(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
    priority: Priority,
) -> sqlx::Result<Option<BreachActions>> {
    let row: Option<BreachRow> = sqlx::query_as(
        "select breach_priority, breach_assignee_id, breach_department_id from sla_targets \
         where department_id = $1 and (priority = $2 or priority is null) \
         order by priority nulls last limit 1",
    )
    .bind(department)
    .bind(priority)
    .fetch_optional(db)
    .await?;
    Ok(row
        .map(|r| BreachActions {
            priority: r.breach_priority,
            assignee: r.breach_assignee_id,
            department: r.breach_department_id,
        })
        .filter(|a| a.priority.is_some() || a.assignee.is_some() || a.department.is_some()))
}

/// A domain date as the `date` column's type.
pub fn to_date(d: jiff::civil::Date) -> time::Date {
    let month = time::Month::try_from(d.month() as u8).unwrap_or(time::Month::January);
    // A jiff date is always a valid calendar date, inside time's range.
    time::Date::from_calendar_date(d.year().into(), month, d.day() as u8).unwrap_or(time::Date::MIN)
}

/// A `date` column's value as a domain date.
pub fn from_date(d: time::Date) -> jiff::civil::Date {
    jiff::civil::date(d.year() as i16, u8::from(d.month()) as i8, d.day() as i8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_between_jiff_and_time() {
        for d in ["2027-01-01", "2028-02-29", "2026-12-31"] {
            let d: jiff::civil::Date = d.parse().expect("date");
            assert_eq!(from_date(to_date(d)), d);
        }
    }
}
