//! Statistics for managers and admins: per department and per agent over a
//! range of days (cut in the helpdesk's time zone), from the fact tables
//! that [`facts`] keeps. Admins see every department; a manager sees the
//! departments they manage, whatever their grant level; anyone else gets
//! `NotFound`, as for anything they may not see.

pub mod csv;
pub mod facts;

use std::collections::{BTreeMap, HashMap};

use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::domain::access::Viewer;
use crate::domain::business_time::to_time;
use crate::domain::ids::DepartmentId;
use crate::domain::users::Role;
use crate::service::{Error, Result};
use crate::state::AppState;
use crate::store;
use crate::store::stats::{
    CommentRow, ComplianceRow, CountRow, Group, Measure, Range, RatingRow, Spread, TimingRow,
    TrendRow,
};

/// The longest range a report covers, in days.
pub const MAX_DAYS: i64 = 732;
/// Comments shown under the ratings.
const COMMENTS: i64 = 10;

/// What the asker chose.
#[derive(Debug, Clone)]
pub struct Filter {
    pub from: Date,
    pub to: Date,
    /// One department of those the asker may see; None: all of them.
    pub department: Option<DepartmentId>,
    /// The trend per ISO week instead of per day.
    pub weekly: bool,
}

/// The departments `viewer` may see statistics of: None for every one.
/// `NotFound` for anyone but admins and managers.
pub async fn reach(app: &AppState, viewer: &Viewer) -> Result<Option<Vec<DepartmentId>>> {
    if viewer.disabled || !viewer.role.is_staff() {
        return Err(Error::NotFound);
    }
    if viewer.role == Role::Admin {
        return Ok(None);
    }
    let managed = store::stats::managed(&app.db, viewer.user_id).await?;
    match managed.is_empty() {
        true => Err(Error::NotFound),
        false => Ok(Some(managed)),
    }
}

/// Durations of one kind for one line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timing {
    pub n: i64,
    pub wall: Spread,
    pub business: Spread,
}

/// One line of a table: a department, an agent or the total.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Line {
    /// The department's or agent's id; None for the total (and for
    /// tickets nobody was assigned).
    pub id: Option<Uuid>,
    pub name: String,
    /// Tickets resolved in the range.
    pub handled: i64,
    pub replies: i64,
    pub first_response: Timing,
    pub resolution: Timing,
    /// SLA targets due in the range: met and missed.
    pub met: i64,
    pub missed: i64,
    pub rating: Option<f64>,
    /// Ratings of 1 to 5 stars.
    pub stars: [i64; 5],
}

impl Line {
    /// Met targets as a percentage of those decided; None when none were.
    pub fn compliance(&self) -> Option<f64> {
        let decided = self.met + self.missed;
        (decided > 0).then(|| 100.0 * self.met as f64 / decided as f64)
    }

    /// How many ratings.
    pub fn rated(&self) -> i64 {
        self.stars.iter().sum()
    }
}

/// A whole report.
#[derive(Debug, Clone)]
pub struct Report {
    pub filter: Filter,
    pub total: Line,
    pub departments: Vec<Line>,
    pub agents: Vec<Line>,
    pub trend: Vec<TrendRow>,
    pub comments: Vec<CommentRow>,
    /// The departments the asker may choose from.
    pub choices: Vec<(DepartmentId, String)>,
}

/// The report for `filter`, as `viewer` may see it.
pub async fn report(app: &AppState, viewer: &Viewer, filter: Filter) -> Result<Report> {
    let reach = reach(app, viewer).await?;
    let choices = store::stats::departments(&app.db, reach.as_deref()).await?;
    let departments = match filter.department {
        Some(d) if choices.iter().any(|(id, _)| *id == d) => Some(vec![d]),
        Some(_) => return Err(Error::NotFound),
        None => reach,
    };
    let range = range(app, &filter, departments)?;
    let now = OffsetDateTime::now_utc();
    let db = &app.db;
    let (first, resolution, replies, compliance, ratings, trend, comments) = tokio::try_join!(
        store::stats::timing(db, &range, Measure::FirstResponse),
        store::stats::timing(db, &range, Measure::Resolution),
        store::stats::replies(db, &range),
        store::stats::compliance(db, &range, now),
        store::stats::ratings(db, &range),
        store::stats::trend(db, &range, filter.weekly),
        store::stats::comments(db, &range, COMMENTS),
    )?;
    let mut lines: BTreeMap<(u8, Option<Uuid>), Line> = BTreeMap::new();
    let key = |g: Group, d: Option<DepartmentId>, a: Option<crate::domain::ids::UserId>| match g {
        Group::Department => (1, d.map(|d| d.0)),
        Group::Agent => (2, a.map(|a| a.0)),
        Group::Total => (0, None),
    };
    let timing = |r: &TimingRow| Timing {
        n: r.n,
        wall: r.wall,
        business: r.business,
    };
    for r in &first {
        line(&mut lines, key(r.group, r.department_id, r.agent_id)).first_response = timing(r);
    }
    for r in &resolution {
        let l = line(&mut lines, key(r.group, r.department_id, r.agent_id));
        l.resolution = timing(r);
        l.handled = r.n;
    }
    for CountRow {
        group,
        department_id,
        agent_id,
        n,
    } in &replies
    {
        line(&mut lines, key(*group, *department_id, *agent_id)).replies = *n;
    }
    for r in &compliance {
        let ComplianceRow { met, missed, .. } = r;
        let l = line(&mut lines, key(r.group, r.department_id, r.agent_id));
        (l.met, l.missed) = (*met, *missed);
    }
    for r in &ratings {
        let RatingRow { average, stars, .. } = r;
        let l = line(&mut lines, key(r.group, r.department_id, r.agent_id));
        (l.rating, l.stars) = (*average, *stars);
    }
    let people: Vec<_> = lines
        .keys()
        .filter(|(g, _)| *g == 2)
        .filter_map(|(_, id)| id.map(crate::domain::ids::UserId))
        .collect();
    let names: HashMap<Uuid, String> = store::stats::names(db, &people)
        .await?
        .into_iter()
        .map(|(id, name)| (id.0, name))
        .chain(choices.iter().map(|(id, name)| (id.0, name.clone())))
        .collect();
    let mut total = Line::default();
    let (mut by_department, mut agents) = (Vec::new(), Vec::new());
    for ((g, id), mut l) in lines {
        l.id = id;
        l.name = id
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_default();
        match g {
            0 => total = l,
            1 => by_department.push(l),
            _ => agents.push(l),
        }
    }
    // Departments in the console's order; agents by name, nobody last.
    let order: HashMap<Uuid, usize> = choices
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.0, i))
        .collect();
    by_department.sort_by_key(|l| l.id.and_then(|id| order.get(&id).copied()));
    agents.sort_by(|a, b| (a.id.is_none(), &a.name).cmp(&(b.id.is_none(), &b.name)));
    Ok(Report {
        filter,
        total,
        departments: by_department,
        agents,
        trend,
        comments,
        choices,
    })
}

fn line(lines: &mut BTreeMap<(u8, Option<Uuid>), Line>, key: (u8, Option<Uuid>)) -> &mut Line {
    lines.entry(key).or_default()
}

/// The filter's days as a store range, checked.
fn range(app: &AppState, f: &Filter, departments: Option<Vec<DepartmentId>>) -> Result<Range> {
    let days = (f.to - f.from).whole_days();
    if !(0..MAX_DAYS).contains(&days) {
        let mut errors = crate::service::FieldErrors::default();
        errors.add("to", "stats-error-range");
        return Err(Error::Invalid(errors));
    }
    let zone = jiff::tz::TimeZone::get(facts::zone(app)).map_err(anyhow::Error::from)?;
    let start = start_of(&zone, f.from)?;
    let end = start_of(&zone, f.to.next_day().ok_or(Error::NotFound)?)?;
    Ok(Range {
        from: f.from,
        to: f.to,
        start,
        end,
        departments,
    })
}

/// Midnight (or the day's first instant) of `day` in `zone`.
fn start_of(zone: &jiff::tz::TimeZone, day: Date) -> Result<OffsetDateTime> {
    let date = jiff::civil::date(day.year() as i16, day.month() as i8, day.day() as i8);
    let ts = date
        .to_zoned(zone.clone())
        .map_err(anyhow::Error::from)?
        .timestamp();
    Ok(to_time(ts))
}

/// Today in the helpdesk's time zone.
pub fn today(app: &AppState) -> Date {
    let zone = jiff::tz::TimeZone::get(facts::zone(app)).unwrap_or(jiff::tz::TimeZone::UTC);
    let d = jiff::Timestamp::now().to_zoned(zone).date();
    time::Month::try_from(d.month() as u8)
        .ok()
        .and_then(|m| Date::from_calendar_date(d.year() as i32, m, d.day() as u8).ok())
        .unwrap_or(OffsetDateTime::now_utc().date())
}
