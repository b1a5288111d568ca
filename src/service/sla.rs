//! Service-level configuration: calendars, a department's calendar and
//! managers, and its targets per priority. Everything is checked through
//! `domain::business_time` before the one transaction that saves it, so a
//! refused change leaves nothing behind.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::business_time::{Calendar, Target, parse_target};
use crate::domain::ids::{DepartmentId, UserId};
use crate::domain::priority::Priority;
use crate::domain::sla::Policy;
use crate::service::{Error, FieldError, FieldErrors, Result};
use crate::store;
use crate::store::audit::AuditEntry;
use crate::store::departments::DepartmentRow;
use crate::store::sla::{CalendarRow, OverviewRow, TargetChange};

/// A calendar as the CLI describes it.
#[derive(Debug, Clone, Default)]
pub struct NewCalendar {
    pub name: String,
    pub zone: String,
    pub hours: String,
    pub holidays: Vec<jiff::civil::Date>,
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

/// A change of targets as typed: None leaves a target, "none" clears it.
#[derive(Debug, Clone, Default)]
pub struct TargetsInput {
    pub department: String,
    /// None: the department's default row.
    pub priority: Option<Priority>,
    pub first_response: Option<String>,
    pub next_response: Option<String>,
    pub resolution: Option<String>,
    pub warn_before: Option<String>,
}

/// A refusal whose message is the domain's own sentence (the hours or a
/// target it could not read): `error-invalid` with the sentence as its name.
fn detail(field: &'static str, message: impl ToString) -> FieldError {
    let mut one = FieldErrors::default();
    one.add_named(field, "error-invalid", &message.to_string(), None);
    one.0.remove(0)
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

/// The department `slug`; an unknown one is an error of the form.
async fn department(
    db: &PgPool,
    slug: &str,
    errors: &mut FieldErrors,
) -> Result<Option<DepartmentRow>> {
    let found = store::departments::find_by_slug(db, slug.trim()).await?;
    if found.is_none() {
        errors.add("department", "error-department-unknown");
    }
    Ok(found)
}

/// Adds a calendar after the domain accepted it.
pub async fn add_calendar(db: &PgPool, actor: Option<UserId>, new: NewCalendar) -> Result<Uuid> {
    let mut errors = FieldErrors::default();
    let name = new.name.trim();
    if name.is_empty() {
        errors.add("name", "error-required");
    }
    if let Err(e) = Calendar::new(&new.zone, &new.hours, &new.holidays) {
        errors.0.push(detail(e.field(), e));
    }
    errors.into_result()?;
    let mut holidays: Vec<time::Date> = new
        .holidays
        .iter()
        .copied()
        .map(store::sla::to_date)
        .collect();
    holidays.sort();
    let row = CalendarRow {
        id: Uuid::now_v7(),
        name: name.to_string(),
        zone: new.zone.trim().to_string(),
        hours: new.hours.trim().to_string(),
        holidays,
    };
    let mut tx = db.begin().await?;
    if let Err(err) = store::sla::insert_calendar(&mut *tx, &row).await {
        return Err(match store::violated_constraint(&err) {
            Some("calendars_name_key") => {
                let taken = detail("name", "a calendar of this name exists already");
                Error::Invalid(FieldErrors(vec![taken]))
            }
            _ => err.into(),
        });
    }
    let holidays: Vec<String> = row.holidays.iter().map(|d| d.to_string()).collect();
    let data =
        json!({ "name": row.name, "zone": row.zone, "hours": row.hours, "holidays": holidays });
    store::audit::record(&mut *tx, audit(actor, "calendar.created", row.id, data)).await?;
    tx.commit().await?;
    Ok(row.id)
}

/// Every calendar, by name.
pub async fn calendars(db: &PgPool) -> Result<Vec<CalendarRow>> {
    Ok(store::sla::calendars(db).await?)
}

/// Sets a department's managers and calendar, all or nothing.
pub async fn set_department(db: &PgPool, actor: Option<UserId>, s: DepartmentSla) -> Result<()> {
    let mut errors = FieldErrors::default();
    let department = department(db, &s.slug, &mut errors).await?;
    let mut managers = Vec::new();
    for address in s.managers.iter().flatten() {
        let user = match crate::domain::email::normalize(address) {
            Some(email) => store::users::find_by_email(db, &email).await?,
            None => None,
        };
        match user {
            Some(u) if u.role.is_staff() => managers.push(u.id),
            _ => errors
                .0
                .push(detail("manager", format!("{address} is not staff"))),
        }
    }
    let calendar = match &s.calendar {
        Some(Some(name)) => match store::sla::calendar_named(db, name.trim()).await? {
            Some(c) => Some(Some(c.id)),
            None => {
                errors
                    .0
                    .push(detail("calendar", format!("no calendar named {name:?}")));
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
            errors.0.push(detail(field, e));
            None
        }
    }
}

/// Sets some of a department's targets for one priority or its default.
pub async fn set_targets(db: &PgPool, actor: Option<UserId>, input: TargetsInput) -> Result<()> {
    let mut errors = FieldErrors::default();
    let department = department(db, &input.department, &mut errors).await?;
    let change = TargetChange {
        first_response: target_change(&mut errors, "first-response", &input.first_response),
        next_response: target_change(&mut errors, "next-response", &input.next_response),
        resolution: target_change(&mut errors, "resolution", &input.resolution),
        warn_before: target_change(&mut errors, "warn-before", &input.warn_before),
    };
    errors.into_result()?;
    // Only None when `errors` named it, so never reached.
    let department = department.ok_or(Error::NotFound)?;
    let mut tx = db.begin().await?;
    store::sla::upsert_targets(&mut *tx, department.id, input.priority, &change).await?;
    let data = json!({
        "slug": department.slug,
        "priority": input.priority.map(Priority::as_str),
        "first_response": change.first_response,
        "next_response": change.next_response,
        "resolution": change.resolution,
        "warn_before": change.warn_before,
    });
    store::audit::record(&mut *tx, audit(actor, "sla.updated", department.id.0, data)).await?;
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
        let zero = errors.get("warn-before").and_then(|e| e.name.as_deref());
        assert_eq!(zero, Some("a target of zero is always breached"));
    }
}
