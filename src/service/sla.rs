//! Service-level configuration: calendars, a department's calendar and
//! managers, and its targets per priority with what a breach does.
//! Everything is checked through `domain::business_time` before the one
//! transaction that saves it, so a refused change leaves nothing behind.
//! Every refusal names its field with a message of its own.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::business_time::{Calendar, CalendarError, Target, TargetError, parse_target};
use crate::domain::ids::{DepartmentId, UserId};
use crate::domain::priority::Priority;
use crate::domain::sla::Policy;
use crate::service::{Error, FieldError, FieldErrors, Result};
use crate::store;
use crate::store::audit::AuditEntry;
use crate::store::departments::{DepartmentEdit, DepartmentRow};
use crate::store::sla::{CalendarRow, OverviewRow, TargetChange};

/// A calendar as typed: holidays as written (YYYY-MM-DD), read here.
#[derive(Debug, Clone, Default)]
pub struct NewCalendar {
    pub name: String,
    pub zone: String,
    pub hours: String,
    pub holidays: Vec<String>,
}

/// A department's service-level settings; None leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct DepartmentSla {
    pub slug: String,
    /// The new list of managers (addresses); empty clears it.
    pub managers: Option<Vec<String>>,
    /// A calendar's name; Some(None) clears it (24/7).
    pub calendar: Option<Option<String>>,
}

/// A change of targets as typed: None leaves a value, "none" clears it.
#[derive(Debug, Clone, Default)]
pub struct TargetsInput {
    pub department: String,
    /// None: the department's default row.
    pub priority: Option<Priority>,
    pub first_response: Option<String>,
    pub next_response: Option<String>,
    pub resolution: Option<String>,
    pub warn_before: Option<String>,
    /// On a breach, raise the priority to this (a priority's name).
    pub breach_priority: Option<String>,
    /// On a breach, assign to this staff member (an address).
    pub breach_assignee: Option<String>,
    /// On a breach, move to this department (a slug).
    pub breach_department: Option<String>,
}

/// The form fields of one row of targets, in the order of `TargetsInput`.
type RowFields = [&'static str; 7];

/// The fields of `bilet sla set` and of a single row.
const FIELDS: RowFields = [
    "first-response",
    "next-response",
    "resolution",
    "warn-before",
    "on-breach-priority",
    "on-breach-assign",
    "on-breach-department",
];

/// The fields of each row of the console's targets table: the default
/// row, then one per priority (`Priority::ALL` order).
pub const ROW_FIELDS: [RowFields; 5] = [
    [
        "any-first-response",
        "any-next-response",
        "any-resolution",
        "any-warn-before",
        "any-on-breach-priority",
        "any-on-breach-assign",
        "any-on-breach-department",
    ],
    [
        "low-first-response",
        "low-next-response",
        "low-resolution",
        "low-warn-before",
        "low-on-breach-priority",
        "low-on-breach-assign",
        "low-on-breach-department",
    ],
    [
        "normal-first-response",
        "normal-next-response",
        "normal-resolution",
        "normal-warn-before",
        "normal-on-breach-priority",
        "normal-on-breach-assign",
        "normal-on-breach-department",
    ],
    [
        "high-first-response",
        "high-next-response",
        "high-resolution",
        "high-warn-before",
        "high-on-breach-priority",
        "high-on-breach-assign",
        "high-on-breach-department",
    ],
    [
        "urgent-first-response",
        "urgent-next-response",
        "urgent-resolution",
        "urgent-warn-before",
        "urgent-on-breach-priority",
        "urgent-on-breach-assign",
        "urgent-on-breach-department",
    ],
];

/// The console's row index of `priority` (0: the default row).
pub fn row_index(priority: Option<Priority>) -> usize {
    priority.map_or(0, |p| {
        Priority::ALL.iter().position(|q| *q == p).unwrap_or(0) + 1
    })
}

fn named(field: &'static str, key: &'static str, name: impl ToString) -> FieldError {
    FieldError {
        field,
        key,
        n: None,
        name: Some(name.to_string()),
        terms: Vec::new(),
    }
}

fn plain(field: &'static str, key: &'static str) -> FieldError {
    FieldError {
        field,
        key,
        n: None,
        name: None,
        terms: Vec::new(),
    }
}

/// The message of a calendar the domain refused, at its field.
pub fn calendar_error(e: &CalendarError) -> FieldError {
    let field = e.field();
    match e {
        CalendarError::UnknownZone(zone) => named(field, "error-zone-unknown", zone.trim()),
        CalendarError::Hours(group) => named(field, "error-hours-unreadable", group),
        CalendarError::EmptyRange(range) => named(field, "error-hours-empty-range", range),
        CalendarError::Overlap(day) => named(field, "error-hours-overlap", day),
        CalendarError::NoWorkingHours => plain(field, "error-calendar-no-hours"),
        CalendarError::DuplicateHoliday(day) => named(field, "error-holiday-overlap", day),
    }
}

/// The message of a target the domain refused, at `field`.
pub fn target_error(field: &'static str, e: &TargetError) -> FieldError {
    match e {
        TargetError::Empty => plain(field, "error-target-empty"),
        TargetError::Unparsable(t) => named(field, "error-target-unreadable", t),
        TargetError::Zero => plain(field, "error-target-zero"),
        TargetError::TooLarge(t) => named(field, "error-target-too-large", t),
    }
}

fn audit(
    actor: Option<UserId>,
    kind: &'static str,
    subject: Uuid,
    data: serde_json::Value,
) -> AuditEntry<'static> {
    AuditEntry {
        actor,
        kind,
        ticket: None,
        subject: Some(subject),
        data,
        ip: None,
    }
}

/// The department `slug`; an unknown one is an error of `field`.
async fn department(
    db: &PgPool,
    slug: &str,
    field: &'static str,
    errors: &mut FieldErrors,
) -> Result<Option<DepartmentRow>> {
    let found = store::departments::find_by_slug(db, slug.trim()).await?;
    if found.is_none() {
        errors
            .0
            .push(named(field, "error-department-unknown", slug.trim()));
    }
    Ok(found)
}

/// The holidays as dates, sorted; those that are not dates are errors.
fn holidays(typed: &[String], errors: &mut FieldErrors) -> Vec<jiff::civil::Date> {
    let mut out = Vec::new();
    for h in typed.iter().map(|h| h.trim()).filter(|h| !h.is_empty()) {
        match h.parse::<jiff::civil::Date>() {
            Ok(d) => out.push(d),
            Err(_) => errors.0.push(named("holidays", "error-holiday-date", h)),
        }
    }
    out
}

/// The calendar row `new` describes, or every error of it: the zone and
/// the hours are each checked even when the other is wrong.
fn checked_calendar(id: Uuid, new: &NewCalendar) -> Result<CalendarRow> {
    let mut errors = FieldErrors::default();
    let name = new.name.trim();
    if name.is_empty() {
        errors.add("name", "error-required");
    } else if name.chars().count() > 100 {
        errors.add_n("name", "error-calendar-name-too-long", 100);
    }
    let days = holidays(&new.holidays, &mut errors);
    match Calendar::new(&new.zone, &new.hours, &days) {
        Ok(_) => {}
        Err(e @ CalendarError::UnknownZone(_)) => {
            errors.0.push(calendar_error(&e));
            if let Err(more) = Calendar::new("UTC", &new.hours, &days) {
                errors.0.push(calendar_error(&more));
            }
        }
        Err(e) => errors.0.push(calendar_error(&e)),
    }
    errors.into_result()?;
    let mut holidays: Vec<time::Date> = days.into_iter().map(store::sla::to_date).collect();
    holidays.sort();
    Ok(CalendarRow {
        id,
        name: name.to_string(),
        zone: new.zone.trim().to_string(),
        hours: new.hours.trim().to_string(),
        holidays,
    })
}

fn name_taken(err: sqlx::Error) -> Error {
    match store::violated_constraint(&err) {
        Some("calendars_name_key") => FieldErrors::one("name", "error-calendar-name-taken"),
        _ => err.into(),
    }
}

fn calendar_data(row: &CalendarRow) -> serde_json::Value {
    let holidays: Vec<String> = row.holidays.iter().map(|d| d.to_string()).collect();
    json!({ "name": row.name, "zone": row.zone, "hours": row.hours, "holidays": holidays })
}

/// Adds a calendar after the domain accepted it.
pub async fn add_calendar(db: &PgPool, actor: Option<UserId>, new: NewCalendar) -> Result<Uuid> {
    let row = checked_calendar(Uuid::now_v7(), &new)?;
    let mut tx = db.begin().await?;
    store::sla::insert_calendar(&mut *tx, &row)
        .await
        .map_err(name_taken)?;
    let entry = audit(actor, "calendar.created", row.id, calendar_data(&row));
    store::audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    Ok(row.id)
}

/// Changes calendar `id` (name, zone, hours, holidays) after the domain
/// accepted the new version.
pub async fn update_calendar(
    db: &PgPool,
    actor: Option<UserId>,
    id: Uuid,
    new: NewCalendar,
) -> Result<()> {
    let row = checked_calendar(id, &new)?;
    let mut tx = db.begin().await?;
    let found = store::sla::update_calendar(&mut *tx, &row)
        .await
        .map_err(name_taken)?;
    if !found {
        return Err(Error::NotFound);
    }
    let entry = audit(actor, "calendar.updated", row.id, calendar_data(&row));
    store::audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Every calendar, by name.
pub async fn calendars(db: &PgPool) -> Result<Vec<CalendarRow>> {
    Ok(store::sla::calendars(db).await?)
}

/// Calendar `id` and the departments that use it.
pub async fn calendar(db: &PgPool, id: Uuid) -> Result<(CalendarRow, Vec<String>)> {
    let row = store::sla::calendar(db, id).await?.ok_or(Error::NotFound)?;
    let used_by = store::sla::calendar_departments(db, id).await?;
    Ok((row, used_by))
}

/// The staff members behind `addresses`; anyone else is an error of the
/// `manager` field.
async fn staff_managers(
    db: &PgPool,
    addresses: &[String],
    errors: &mut FieldErrors,
) -> Result<Vec<UserId>> {
    let mut managers = Vec::new();
    for address in addresses.iter().map(|a| a.trim()).filter(|a| !a.is_empty()) {
        let user = match crate::domain::email::normalize(address) {
            Some(email) => store::users::find_by_email(db, &email).await?,
            None => None,
        };
        match user {
            Some(u) if u.role.is_staff() && u.disabled_at.is_none() => {
                if !managers.contains(&u.id) {
                    managers.push(u.id);
                }
            }
            _ => errors
                .0
                .push(named("manager", "error-manager-not-staff", address)),
        }
    }
    Ok(managers)
}

/// A department's managers, by address.
pub async fn managers(db: &PgPool, department: DepartmentId) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for id in store::sla::managers(db, department).await? {
        if let Some(u) = store::users::find(db, id).await? {
            out.push(u.email);
        }
    }
    out.sort();
    Ok(out)
}

/// Sets a department's managers and calendar, all or nothing.
pub async fn set_department(db: &PgPool, actor: Option<UserId>, s: DepartmentSla) -> Result<()> {
    let mut errors = FieldErrors::default();
    let department = department(db, &s.slug, "department", &mut errors).await?;
    let managers =
        staff_managers(db, s.managers.as_deref().unwrap_or_default(), &mut errors).await?;
    let calendar = match &s.calendar {
        Some(Some(name)) => match store::sla::calendar_named(db, name.trim()).await? {
            Some(c) => Some(Some(c.id)),
            None => {
                errors
                    .0
                    .push(named("calendar", "error-calendar-unknown", name.trim()));
                None
            }
        },
        Some(None) => Some(None),
        None => None,
    };
    errors.into_result()?;
    // Only None when `errors` named it, so never reached.
    let department = department.ok_or(Error::NotFound)?;
    let mut tx = db.begin().await?;
    if s.managers.is_some() {
        store::sla::replace_managers(&mut tx, department.id, &managers).await?;
    }
    if let Some(calendar) = calendar {
        store::sla::set_calendar(&mut *tx, department.id, calendar).await?;
    }
    let data = json!({ "slug": department.slug, "managers": s.managers, "calendar": s.calendar });
    let entry = audit(actor, "department.sla_updated", department.id.0, data);
    store::audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Saves the console's department form: its own fields through the
/// catalog, its managers (addresses, staff only) here. The managers are
/// checked first, so a refused manager saves nothing; the old single
/// `departments.manager_id` is left as it was.
pub async fn update_department(
    db: &PgPool,
    admin: UserId,
    edit: DepartmentEdit,
    managers: Vec<String>,
) -> Result<()> {
    let mut errors = FieldErrors::default();
    let mut chosen = staff_managers(db, &managers, &mut errors).await?;
    errors.into_result()?;
    let slug = edit.slug.clone();
    let department = edit.id;
    crate::service::catalog::departments::update(db, admin, edit).await?;
    // Unchanged managers: nothing to save or audit.
    let mut current = store::sla::managers(db, department).await?;
    current.sort();
    chosen.sort();
    if current == chosen {
        return Ok(());
    }
    let settings = DepartmentSla {
        slug,
        managers: Some(managers),
        calendar: None,
    };
    set_department(db, Some(admin), settings).await
}

/// One typed target: None leaves it, "none" clears it, else its canonical text.
fn target_change(
    errors: &mut FieldErrors,
    field: &'static str,
    typed: &Option<String>,
) -> Option<Option<String>> {
    let typed = typed.as_deref()?.trim();
    if typed.eq_ignore_ascii_case("none") {
        return Some(None);
    }
    match parse_target(typed) {
        Ok(t) => Some(Some(t.to_string())),
        Err(e) => {
            errors.0.push(target_error(field, &e));
            None
        }
    }
}

/// "none" (or nothing typed) clears a breach action.
fn cleared(typed: &str) -> bool {
    typed.is_empty() || typed.eq_ignore_ascii_case("none")
}

/// The breach actions of one row, checked: a priority, a known department,
/// and a staff member who works the department the ticket is then in.
async fn breach_change(
    db: &PgPool,
    errors: &mut FieldErrors,
    fields: &RowFields,
    own: Option<&DepartmentRow>,
    input: &TargetsInput,
    change: &mut TargetChange,
) -> Result<()> {
    if let Some(typed) = input.breach_priority.as_deref().map(str::trim) {
        change.breach_priority = match typed.parse::<Priority>() {
            _ if cleared(typed) => Some(None),
            Ok(p) => Some(Some(p)),
            Err(()) => {
                errors
                    .0
                    .push(named(fields[4], "error-priority-unknown", typed));
                None
            }
        };
    }
    let mut moved_to = None;
    if let Some(typed) = input.breach_department.as_deref().map(str::trim) {
        change.breach_department = if cleared(typed) {
            Some(None)
        } else {
            let found = department(db, typed, fields[6], errors).await?;
            moved_to = found.as_ref().map(|d| d.id);
            found.map(|d| Some(d.id))
        };
    }
    if let Some(typed) = input.breach_assignee.as_deref().map(str::trim) {
        if cleared(typed) {
            change.breach_assignee = Some(None);
            return Ok(());
        }
        let user = match crate::domain::email::normalize(typed) {
            Some(email) => store::users::find_by_email(db, &email).await?,
            None => None,
        };
        let Some(user) = user.filter(|u| u.role.is_staff() && u.disabled_at.is_none()) else {
            errors
                .0
                .push(named(fields[5], "error-breach-assignee-not-staff", typed));
            return Ok(());
        };
        // The ticket is in the breach department by then, if there is one.
        let stays_in = moved_to.or(own.map(|d| d.id));
        if let Some(dept) = stays_in
            && !store::access::works_in_department(db, user.id, dept).await?
        {
            errors
                .0
                .push(named(fields[5], "error-breach-assignee-elsewhere", typed));
            return Ok(());
        }
        change.breach_assignee = Some(Some(user.id));
    }
    Ok(())
}

/// One row's change, with its errors under `fields`.
async fn row_change(
    db: &PgPool,
    errors: &mut FieldErrors,
    fields: &RowFields,
    own: Option<&DepartmentRow>,
    input: &TargetsInput,
) -> Result<TargetChange> {
    let mut change = TargetChange {
        first_response: target_change(errors, fields[0], &input.first_response),
        next_response: target_change(errors, fields[1], &input.next_response),
        resolution: target_change(errors, fields[2], &input.resolution),
        warn_before: target_change(errors, fields[3], &input.warn_before),
        ..TargetChange::default()
    };
    breach_change(db, errors, fields, own, input, &mut change).await?;
    Ok(change)
}

fn targets_data(
    slug: &str,
    priority: Option<Priority>,
    change: &TargetChange,
) -> serde_json::Value {
    json!({
        "slug": slug,
        "priority": priority.map(Priority::as_str),
        "first_response": change.first_response,
        "next_response": change.next_response,
        "resolution": change.resolution,
        "warn_before": change.warn_before,
        "breach_priority": change.breach_priority.map(|p| p.map(Priority::as_str)),
        "breach_assignee": change.breach_assignee,
        "breach_department": change.breach_department,
    })
}

/// Sets some of a department's targets and breach actions for one
/// priority or its default.
pub async fn set_targets(db: &PgPool, actor: Option<UserId>, input: TargetsInput) -> Result<()> {
    let mut errors = FieldErrors::default();
    let department = department(db, &input.department, "department", &mut errors).await?;
    let change = row_change(db, &mut errors, &FIELDS, department.as_ref(), &input).await?;
    errors.into_result()?;
    // Only None when `errors` named it, so never reached.
    let department = department.ok_or(Error::NotFound)?;
    let mut tx = db.begin().await?;
    store::sla::upsert_targets(&mut *tx, department.id, input.priority, &change).await?;
    let data = targets_data(&department.slug, input.priority, &change);
    store::audit::record(&mut *tx, audit(actor, "sla.updated", department.id.0, data)).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether a console row was left empty: no target and no action.
fn is_blank(input: &TargetsInput) -> bool {
    [
        &input.first_response,
        &input.next_response,
        &input.resolution,
        &input.warn_before,
        &input.breach_priority,
        &input.breach_assignee,
        &input.breach_department,
    ]
    .iter()
    .all(|v| v.as_deref().is_none_or(|t| cleared(t.trim())))
}

/// The console's whole targets table of a department, in one transaction:
/// every row is checked first (errors under `ROW_FIELDS`), then saved. A
/// priority row left empty is removed, so that priority follows the
/// default row; the default row is kept even when empty.
pub async fn set_department_targets(
    db: &PgPool,
    actor: Option<UserId>,
    slug: &str,
    rows: Vec<TargetsInput>,
) -> Result<()> {
    let department = store::departments::find_by_slug(db, slug)
        .await?
        .ok_or(Error::NotFound)?;
    let mut errors = FieldErrors::default();
    let mut changes = Vec::new();
    for input in &rows {
        let fields = &ROW_FIELDS[row_index(input.priority)];
        let change = row_change(db, &mut errors, fields, Some(&department), input).await?;
        changes.push((input.priority, is_blank(input), change));
    }
    errors.into_result()?;
    let mut tx = db.begin().await?;
    let mut data = Vec::new();
    for (priority, blank, change) in &changes {
        match (priority, blank) {
            (Some(p), true) => store::sla::delete_targets(&mut *tx, department.id, *p).await?,
            _ => store::sla::upsert_targets(&mut *tx, department.id, *priority, change).await?,
        }
        data.push(targets_data(&department.slug, *priority, change));
    }
    let entry = audit(
        actor,
        "sla.updated",
        department.id.0,
        json!({ "rows": data }),
    );
    store::audit::record(&mut *tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// The overview `bilet sla list` prints.
pub async fn overview(db: &PgPool) -> Result<Vec<OverviewRow>> {
    Ok(store::sla::overview(db).await?)
}

/// Rows were checked when saved: a failure here is a bug or a changed rule.
fn corrupt(what: impl std::fmt::Display) -> Error {
    Error::Internal(anyhow::anyhow!("stored service level: {what}"))
}

fn stored_target(text: &Option<String>) -> Result<Option<Target>> {
    text.as_deref()
        .map(parse_target)
        .transpose()
        .map_err(corrupt)
}

/// The targets and calendar a ticket of `department` and `priority` runs
/// on: the priority's row, else the department's default, else no targets;
/// the department's calendar, else 24/7.
pub async fn policy_for(
    db: impl sqlx::PgExecutor<'_>,
    department: DepartmentId,
    priority: Priority,
) -> Result<(Policy, Calendar)> {
    let row = store::sla::policy(db, department, priority)
        .await?
        .ok_or(Error::NotFound)?;
    let policy = Policy {
        first_response: stored_target(&row.targets.first_response)?,
        next_response: stored_target(&row.targets.next_response)?,
        resolution: stored_target(&row.targets.resolution)?,
        warn_before: stored_target(&row.targets.warn_before)?,
    };
    let calendar = match (row.zone, row.hours) {
        (Some(zone), Some(hours)) => {
            let holidays: Vec<_> = row
                .holidays
                .into_iter()
                .flatten()
                .map(store::sla::from_date)
                .collect();
            Calendar::new(&zone, &hours, &holidays).map_err(corrupt)?
        }
        _ => Calendar::always(),
    };
    Ok((policy, calendar))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_targets_become_canonical_or_cleared() {
        let mut errors = FieldErrors::default();
        assert_eq!(
            target_change(&mut errors, "resolution", &Some(" 4h ".into())),
            Some(Some("4h".into()))
        );
        assert_eq!(
            target_change(&mut errors, "resolution", &Some("none".into())),
            Some(None)
        );
        assert_eq!(target_change(&mut errors, "resolution", &None), None);
        assert!(errors.is_empty());
        target_change(&mut errors, "warn-before", &Some("0m".into()));
        target_change(&mut errors, "resolution", &Some("soon".into()));
        let key = |f| errors.get(f).map(|e| (e.key, e.name.clone()));
        assert_eq!(key("warn-before"), Some(("error-target-zero", None)));
        assert_eq!(
            key("resolution"),
            Some(("error-target-unreadable", Some("soon".into())))
        );
    }

    #[test]
    fn bad_calendars_get_a_message_per_field() {
        let new = NewCalendar {
            name: " ".into(),
            zone: "Mars/Olympus".into(),
            hours: "mon 09:00-09:00".into(),
            holidays: vec!["2027-01-01".into(), "2027-01-01".into(), "soon".into()],
        };
        let Err(Error::Invalid(errors)) = checked_calendar(Uuid::nil(), &new) else {
            panic!("refused");
        };
        let keys: Vec<(&str, &str)> = errors.0.iter().map(|e| (e.field, e.key)).collect();
        assert_eq!(
            keys,
            [
                ("name", "error-required"),
                ("holidays", "error-holiday-date"),
                ("zone", "error-zone-unknown"),
                ("hours", "error-hours-empty-range"),
            ]
        );
        let twice = NewCalendar {
            name: "x".into(),
            zone: "UTC".into(),
            hours: "mon 09:00-10:00".into(),
            holidays: vec!["2027-01-01".into(), "2027-01-01".into()],
        };
        let Err(Error::Invalid(errors)) = checked_calendar(Uuid::nil(), &twice) else {
            panic!("refused");
        };
        assert_eq!(errors.0[0].key, "error-holiday-overlap");
    }

    #[test]
    fn console_rows_have_their_own_fields() {
        assert_eq!(row_index(None), 0);
        assert_eq!(
            ROW_FIELDS[row_index(Some(Priority::Urgent))][0],
            "urgent-first-response"
        );
        for (i, p) in Priority::ALL.into_iter().enumerate() {
            assert!(ROW_FIELDS[i + 1][6].starts_with(p.as_str()));
        }
    }
}
