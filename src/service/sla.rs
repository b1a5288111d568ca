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
use crate::service::{Error, FieldErrors, Result};
use crate::store;
use crate::store::audit::AuditEntry;
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
pub struct DepartmentSettings {
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
fn detail(errors: &mut FieldErrors, field: &'static str, message: impl ToString) {
    errors.add_named(field, "error-invalid", &message.to_string(), None);
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

fn to_time(d: jiff::civil::Date) -> time::Date {
    let month = time::Month::try_from(d.month() as u8).unwrap_or(time::Month::January);
    // A jiff date is always a valid calendar date, inside time's range.
    time::Date::from_calendar_date(d.year().into(), month, d.day() as u8).unwrap_or(time::Date::MIN)
}

fn from_time(d: time::Date) -> jiff::civil::Date {
    jiff::civil::date(d.year() as i16, u8::from(d.month()) as i8, d.day() as i8)
}

/// The domain calendar of a stored row.
pub fn calendar_of(zone: &str, hours: &str, holidays: &[time::Date]) -> Result<Calendar> {
    let holidays: Vec<_> = holidays.iter().copied().map(from_time).collect();
    // Rows were checked when saved; failing now means the zone database changed.
    Calendar::new(zone, hours, &holidays)
        .map_err(|e| Error::Internal(anyhow::anyhow!("stored calendar: {e}")))
}

/// Adds a calendar after the domain accepted it.
pub async fn add_calendar(db: &PgPool, actor: Option<UserId>, new: NewCalendar) -> Result<Uuid> {
    let mut errors = FieldErrors::default();
    let name = new.name.trim();
    if name.is_empty() {
        errors.add("name", "error-required");
    }
    if let Err(e) = Calendar::new(&new.zone, &new.hours, &new.holidays) {
        detail(&mut errors, e.field(), e);
    }
    errors.into_result()?;
    let mut holidays: Vec<time::Date> = new.holidays.iter().copied().map(to_time).collect();
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
                let mut errors = FieldErrors::default();
                detail(
                    &mut errors,
                    "name",
                    format!("a calendar named {name:?} exists already"),
                );
                Error::Invalid(errors)
            }
            _ => err.into(),
        });
    }
    let data = json!({ "name": row.name, "zone": row.zone, "hours": row.hours, "holidays": row.holidays.iter().map(|d| d.to_string()).collect::<Vec<_>>() });
    store::audit::record(&mut *tx, audit(actor, "calendar.created", row.id, data)).await?;
    tx.commit().await?;
    Ok(row.id)
}

/// Every calendar, by name.
pub async fn calendars(db: &PgPool) -> Result<Vec<CalendarRow>> {
    Ok(store::sla::calendars(db).await?)
}

/// Sets a department's managers and calendar, all or nothing.
pub async fn set_department(
    db: &PgPool,
    actor: Option<UserId>,
    s: DepartmentSettings,
) -> Result<()> {
    let mut errors = FieldErrors::default();
    let department = store::departments::find_by_slug(db, s.slug.trim()).await?;
    if department.is_none() {
        errors.add("department", "error-department-unknown");
    }
    let mut managers = Vec::new();
    for address in s.managers.iter().flatten() {
        let user = match crate::domain::email::normalize(address) {
            Some(email) => store::users::find_by_email(db, &email).await?,
            None => None,
        };
        match user {
            Some(u) if u.role.is_staff() => managers.push(u.id),
            _ => detail(
                &mut errors,
                "manager",
                format!("{address} is not a staff member"),
            ),
        }
    }
    let calendar = match &s.calendar {
        Some(Some(name)) => match store::sla::calendar_named(db, name.trim()).await? {
            Some(c) => Some(Some(c.id)),
            None => {
                detail(
                    &mut errors,
                    "calendar",
                    format!("there is no calendar named {name:?}"),
                );
                None
            }
        },
        Some(None) => Some(None),
        None => None,
    };
    errors.into_result()?;
    let Some(department) = department else {
        return Err(Error::NotFound);
    };
    let mut tx = db.begin().await?;
    if s.managers.is_some() {
        store::sla::replace_managers(&mut tx, department.id, &managers).await?;
    }
    if let Some(calendar) = calendar {
        store::sla::set_calendar(&mut *tx, department.id, calendar).await?;
    }
    let data = json!({ "slug": department.slug, "managers": s.managers, "calendar": s.calendar });
    store::audit::record(
        &mut *tx,
        audit(actor, "department.sla_updated", department.id.0, data),
    )
    .await?;
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
            detail(errors, field, e);
            None
        }
    }
}

/// Sets some of a department's targets for one priority or its default.
pub async fn set_targets(db: &PgPool, actor: Option<UserId>, input: TargetsInput) -> Result<()> {
    let mut errors = FieldErrors::default();
    let department = store::departments::find_by_slug(db, input.department.trim()).await?;
    if department.is_none() {
        errors.add("department", "error-department-unknown");
    }
    let change = TargetChange {
        first_response: target_change(&mut errors, "first-response", &input.first_response),
        next_response: target_change(&mut errors, "next-response", &input.next_response),
        resolution: target_change(&mut errors, "resolution", &input.resolution),
        warn_before: target_change(&mut errors, "warn-before", &input.warn_before),
    };
    errors.into_result()?;
    let Some(department) = department else {
        return Err(Error::NotFound);
    };
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

fn stored_target(text: &Option<String>) -> Result<Option<Target>> {
    text.as_deref()
        .map(|t| {
            parse_target(t)
                .map_err(|e| Error::Internal(anyhow::anyhow!("stored target {t:?}: {e}")))
        })
        .transpose()
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
        (Some(zone), Some(hours)) => calendar_of(&zone, &hours, &row.holidays.unwrap_or_default())?,
        _ => Calendar::always(),
    };
    Ok((policy, calendar))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_between_jiff_and_time() {
        for d in [
            jiff::civil::date(2027, 1, 1),
            jiff::civil::date(2028, 2, 29),
            jiff::civil::date(2026, 12, 31),
        ] {
            assert_eq!(from_time(to_time(d)), d);
        }
    }

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
        assert_eq!(
            errors
                .get("warn-before")
                .and_then(|e| e.name.clone())
                .as_deref(),
            Some("a target of zero is always breached")
        );
    }
}
