//! GET /api/v1/statistics: the report the statistics page shows (handled
//! tickets, replies, first response and resolution times, service-level
//! compliance, ratings; per department and agent), for admins and
//! managers, as `service::stats` decides. A token narrowed to departments
//! gets 404: a report is not cut to a token's departments.

use axum::Extension;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::format_description;
use utoipa::{IntoParams, ToSchema};

use super::Auth;
use super::problem::Problem;
use crate::service::stats::{self, Filter, Line, Timing};
use crate::state::AppState;
use crate::store;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// First day, YYYY-MM-DD (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD (default: today in the helpdesk's zone).
    pub to: Option<String>,
    /// A department's slug.
    pub department: Option<String>,
    /// `day` (default) or `week`: the trend's buckets.
    pub per: Option<String>,
}

/// Seconds: median, average and 90th percentile (null: no tickets).
#[derive(Debug, Serialize, ToSchema)]
pub struct Spread {
    pub median: Option<f64>,
    pub average: Option<f64>,
    pub p90: Option<f64>,
}

/// Durations in wall-clock and in business time (the department's hours).
#[derive(Debug, Serialize, ToSchema)]
pub struct Durations {
    pub tickets: i64,
    pub wall: Spread,
    pub business: Spread,
}

/// One line: a department, an agent, or the total.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsLine {
    pub name: String,
    pub handled: i64,
    pub replies: i64,
    pub first_response: Durations,
    pub resolution: Durations,
    pub targets_met: i64,
    pub targets_missed: i64,
    /// Percent of decided targets met (null: none decided).
    pub compliance: Option<f64>,
    /// Average stars (null: no ratings).
    pub rating: Option<f64>,
    /// How many ratings of 1 to 5 stars.
    pub stars: [i64; 5],
}

/// One bucket of the trend.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrendPoint {
    /// The day, or the Monday of the ISO week.
    pub date: String,
    pub handled: i64,
    pub replies: i64,
    /// Median first response of the tickets first answered then, seconds.
    pub first_response_median: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Statistics {
    pub from: String,
    pub to: String,
    pub total: StatsLine,
    pub departments: Vec<StatsLine>,
    pub agents: Vec<StatsLine>,
    pub trend: Vec<TrendPoint>,
}

fn durations(t: &Timing) -> Durations {
    let spread = |s: &store::stats::Spread| Spread {
        median: s.median,
        average: s.average,
        p90: s.p90,
    };
    Durations {
        tickets: t.n,
        wall: spread(&t.wall),
        business: spread(&t.business),
    }
}

fn line(l: &Line) -> StatsLine {
    StatsLine {
        name: l.name.clone(),
        handled: l.handled,
        replies: l.replies,
        first_response: durations(&l.first_response),
        resolution: durations(&l.resolution),
        targets_met: l.met,
        targets_missed: l.missed,
        compliance: l.compliance(),
        rating: l.rating,
        stars: l.stars,
    }
}

fn day(field: &str, text: Option<&str>) -> Result<Option<Date>, Problem> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => Date::parse(t, format_description!("[year]-[month]-[day]"))
            .map(Some)
            .map_err(|_| Problem::field(field, "a date as YYYY-MM-DD")),
    }
}

#[utoipa::path(get, path = "/api/v1/statistics", tag = "statistics", params(StatsQuery),
    responses((status = 200, body = Statistics), (status = 401, body = Problem),
        (status = 404, body = Problem, description = "Not an admin or manager, or a token narrowed to departments"),
        (status = 422, body = Problem)),
    security(("token" = [])))]
pub async fn report(
    State(app): State<AppState>,
    Extension(caller): Auth,
    Query(q): Query<StatsQuery>,
) -> Result<axum::Json<Statistics>, Problem> {
    if !caller.token.all_departments {
        return Err(Problem::not_found());
    }
    let to = day("to", q.to.as_deref())?.unwrap_or_else(|| stats::today(&app));
    let from = day("from", q.from.as_deref())?
        .unwrap_or_else(|| to.saturating_sub(time::Duration::days(29)));
    if from > to {
        return Err(Problem::field("from", "on or before `to`"));
    }
    let weekly = match q.per.as_deref() {
        None | Some("day") => false,
        Some("week") => true,
        Some(_) => return Err(Problem::field("per", "day or week")),
    };
    let department = match q.department.as_deref().filter(|d| !d.is_empty()) {
        None => None,
        Some(slug) => Some(
            store::departments::find_by_slug(&app.db, slug)
                .await?
                .ok_or_else(Problem::not_found)?
                .id,
        ),
    };
    let filter = Filter {
        from,
        to,
        department,
        weekly,
    };
    let r = stats::report(&app, &caller.user.viewer(), filter).await?;
    Ok(axum::Json(Statistics {
        from: r.filter.from.to_string(),
        to: r.filter.to.to_string(),
        total: line(&r.total),
        departments: r.departments.iter().map(line).collect(),
        agents: r.agents.iter().map(line).collect(),
        trend: r
            .trend
            .iter()
            .map(|t| TrendPoint {
                date: t.bucket.to_string(),
                handled: t.handled,
                replies: t.replies,
                first_response_median: t.first_response,
            })
            .collect(),
    }))
}
