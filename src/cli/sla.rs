//! `bilet calendar`, `bilet sla` and `bilet department set`: service-level
//! configuration. Parsing and printing only; the rules are in `service::sla`.

use clap::{Args, Subcommand};
use sqlx::PgPool;

use crate::domain::priority::Priority;
use crate::service::{self, Error};

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Add a business-hours calendar.
    Add(CalendarAdd),
    /// List calendars.
    List,
}

#[derive(Debug, Args)]
pub struct CalendarAdd {
    #[arg(long)]
    pub name: String,
    /// An IANA time zone, e.g. Europe/Moscow.
    #[arg(long)]
    pub zone: String,
    /// Working hours, e.g. "mon-fri 09:00-18:00; sat 10:00-14:00".
    #[arg(long)]
    pub hours: String,
    /// A day off, YYYY-MM-DD. Repeatable.
    #[arg(long = "holiday", value_name = "DATE")]
    pub holidays: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum SlaCommand {
    /// Set targets of a department, for one priority or (without
    /// --priority) its default. A target of "none" clears it.
    Set(SlaSet),
    /// List every department's targets, calendar and managers.
    List,
}

#[derive(Debug, Args)]
pub struct SlaSet {
    #[arg(long, value_name = "SLUG")]
    pub department: String,
    /// low, normal, high or urgent; without it, the department's default.
    #[arg(long, value_parser = priority)]
    pub priority: Option<Priority>,
    /// e.g. 30m, 4h, 2d, or none.
    #[arg(long, value_name = "DUR")]
    pub first_response: Option<String>,
    #[arg(long, value_name = "DUR")]
    pub next_response: Option<String>,
    #[arg(long, value_name = "DUR")]
    pub resolution: Option<String>,
    /// How long before a due time to warn.
    #[arg(long, value_name = "DUR")]
    pub warn_before: Option<String>,
}

#[derive(Debug, Args)]
pub struct DepartmentSet {
    #[arg(long)]
    pub slug: String,
    /// A manager (a staff member's address); the ones given replace the
    /// list. Repeatable.
    #[arg(long = "manager", value_name = "EMAIL", conflicts_with = "no_managers")]
    pub managers: Vec<String>,
    /// Remove every manager.
    #[arg(long)]
    pub no_managers: bool,
    /// A calendar's name, or none for 24/7.
    #[arg(long, value_name = "NAME")]
    pub calendar: Option<String>,
}

fn priority(s: &str) -> Result<Priority, String> {
    s.parse()
        .map_err(|()| "use low, normal, high or urgent".to_string())
}

/// One line naming the field; the domain's own sentence when it gave one
/// (it says what exactly is wrong with the hours or a target).
fn explain(err: Error) -> anyhow::Error {
    match err {
        Error::Invalid(errors) if errors.0.iter().all(|e| e.key == "error-invalid") => {
            let parts: Vec<String> = errors
                .0
                .iter()
                .map(|e| format!("{}: {}", e.field, e.name.as_deref().unwrap_or("invalid")))
                .collect();
            anyhow::anyhow!(parts.join("; "))
        }
        Error::Invalid(errors) => {
            // Mixed: the localized ones through the shared explanation.
            let (own, shared): (Vec<_>, Vec<_>) =
                errors.0.into_iter().partition(|e| e.key == "error-invalid");
            let mut line = super::explain(Error::Invalid(service::FieldErrors(shared))).to_string();
            for e in own {
                line.push_str(&format!("; {}: {}", e.field, e.name.unwrap_or_default()));
            }
            anyhow::anyhow!(line)
        }
        other => super::explain(other),
    }
}

pub async fn calendar(db: &PgPool, command: CalendarCommand) -> anyhow::Result<()> {
    match command {
        CalendarCommand::Add(add) => {
            let mut holidays = Vec::new();
            for h in &add.holidays {
                let date = h
                    .trim()
                    .parse::<jiff::civil::Date>()
                    .map_err(|_| anyhow::anyhow!("holidays: {h:?} is not a date (YYYY-MM-DD)"))?;
                holidays.push(date);
            }
            let new = service::sla::NewCalendar {
                name: add.name.clone(),
                zone: add.zone,
                hours: add.hours,
                holidays,
            };
            service::sla::add_calendar(db, None, new)
                .await
                .map_err(explain)?;
            println!("created calendar {}", add.name.trim());
        }
        CalendarCommand::List => {
            for c in service::sla::calendars(db).await.map_err(explain)? {
                let holidays: Vec<String> = c.holidays.iter().map(|d| d.to_string()).collect();
                println!(
                    "{}\t{}\t{}\t{}",
                    c.name,
                    c.zone,
                    c.hours,
                    holidays.join(",")
                );
            }
        }
    }
    Ok(())
}

pub async fn sla(db: &PgPool, command: SlaCommand) -> anyhow::Result<()> {
    match command {
        SlaCommand::Set(set) => {
            let input = service::sla::TargetsInput {
                department: set.department,
                priority: set.priority,
                first_response: set.first_response,
                next_response: set.next_response,
                resolution: set.resolution,
                warn_before: set.warn_before,
            };
            service::sla::set_targets(db, None, input)
                .await
                .map_err(explain)?;
            println!("targets saved");
        }
        SlaCommand::List => {
            let rows = service::sla::overview(db).await.map_err(explain)?;
            let dash = |t: &Option<String>| t.clone().unwrap_or_else(|| "-".into());
            println!(
                "{:<16} {:<8} {:<8} {:<8} {:<8} {:<8} {:<16} MANAGERS",
                "DEPARTMENT", "PRIORITY", "FIRST", "NEXT", "RESOLVE", "WARN", "CALENDAR"
            );
            for r in rows {
                println!(
                    "{:<16} {:<8} {:<8} {:<8} {:<8} {:<8} {:<16} {}",
                    r.department,
                    r.priority.map_or("any", Priority::as_str),
                    dash(&r.targets.first_response),
                    dash(&r.targets.next_response),
                    dash(&r.targets.resolution),
                    dash(&r.targets.warn_before),
                    r.calendar.as_deref().unwrap_or("24/7"),
                    r.managers.join(",")
                );
            }
        }
    }
    Ok(())
}

pub async fn department_set(db: &PgPool, set: DepartmentSet) -> anyhow::Result<()> {
    let managers = match (set.no_managers, set.managers.is_empty()) {
        (true, _) => Some(Vec::new()),
        (false, true) => None,
        (false, false) => Some(set.managers),
    };
    let calendar = set
        .calendar
        .map(|c| (!c.trim().eq_ignore_ascii_case("none")).then_some(c));
    let settings = service::sla::DepartmentSla {
        slug: set.slug.clone(),
        managers,
        calendar,
    };
    service::sla::set_department(db, None, settings)
        .await
        .map_err(explain)?;
    println!("department {} saved", set.slug);
    Ok(())
}
