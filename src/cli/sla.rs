//! `bilet calendar`, `bilet sla` and `bilet department set`: service-level
//! configuration. Parsing and printing only; the rules are in `service::sla`.

use clap::{Args, Subcommand};
use sqlx::PgPool;

use crate::domain::priority::Priority;
use crate::i18n::Arg;
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
    /// On a breach, raise the priority to P (or none).
    #[arg(long, value_name = "P")]
    pub on_breach_priority: Option<String>,
    /// On a breach, assign to this staff member (or none).
    #[arg(long, value_name = "EMAIL")]
    pub on_breach_assign: Option<String>,
    /// On a breach, move to this department (or none).
    #[arg(long, value_name = "SLUG")]
    pub on_breach_department: Option<String>,
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

/// One line naming each field with its message, in English (the
/// language of the command line).
fn explain(err: Error) -> anyhow::Error {
    match err {
        Error::Invalid(errors) => {
            let locale = crate::i18n::Locale::fallback();
            let parts: Vec<String> = errors
                .0
                .iter()
                .map(|e| {
                    let mut args = Vec::new();
                    if let Some(n) = e.n {
                        args.push(("n", Arg::Num(n)));
                    }
                    if let Some(name) = &e.name {
                        args.push(("name", Arg::Str(name.clone())));
                    }
                    format!("{}: {}", e.field, locale.t_with(e.key, &args))
                })
                .collect();
            anyhow::anyhow!(parts.join("; "))
        }
        other => super::explain(other),
    }
}

pub async fn calendar(db: &PgPool, command: CalendarCommand) -> anyhow::Result<()> {
    match command {
        CalendarCommand::Add(add) => {
            let new = service::sla::NewCalendar {
                name: add.name.clone(),
                zone: add.zone,
                hours: add.hours,
                holidays: add.holidays,
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

/// A row's breach actions in one word: "priority=urgent,assign=a@b,move=sales".
fn on_breach(r: &crate::store::sla::OverviewRow) -> String {
    let mut parts = Vec::new();
    if let Some(p) = r.breach.breach_priority {
        parts.push(format!("priority={}", p.as_str()));
    }
    if let Some(a) = &r.breach_assignee {
        parts.push(format!("assign={a}"));
    }
    if let Some(d) = &r.breach_department {
        parts.push(format!("move={d}"));
    }
    match parts.is_empty() {
        true => "-".into(),
        false => parts.join(","),
    }
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
                breach_priority: set.on_breach_priority,
                breach_assignee: set.on_breach_assign,
                breach_department: set.on_breach_department,
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
                "{:<16} {:<8} {:<8} {:<8} {:<8} {:<8} {:<16} {:<24} MANAGERS",
                "DEPARTMENT",
                "PRIORITY",
                "FIRST",
                "NEXT",
                "RESOLVE",
                "WARN",
                "CALENDAR",
                "ON BREACH"
            );
            for r in rows {
                println!(
                    "{:<16} {:<8} {:<8} {:<8} {:<8} {:<8} {:<16} {:<24} {}",
                    r.department,
                    r.priority.map_or("any", Priority::as_str),
                    dash(&r.targets.first_response),
                    dash(&r.targets.next_response),
                    dash(&r.targets.resolution),
                    dash(&r.targets.warn_before),
                    r.calendar.as_deref().unwrap_or("24/7"),
                    on_breach(&r),
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
