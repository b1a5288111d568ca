//! Statistics pages for managers and admins: the report over a range of
//! days (tables, an SVG trend and a ratings chart with the same numbers in
//! tables) and its CSV export with the same filters. Who may see what is
//! decided by `service::stats`; anyone else gets a 404.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use time::Date;
use time::macros::format_description;

use super::chart::{self, Series};
use super::context::PageCtx;
use super::error::WebError;
use super::extract::StaffUser;
use crate::domain::ids::DepartmentId;
use crate::service::stats::{self, Filter, Line, Report, Timing};
use crate::state::AppState;
use crate::store::stats::Spread;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/stats", get(show))
        .route("/agent/stats.csv", get(export))
}

/// The query string: `from`, `to` (YYYY-MM-DD), `department`, `per`.
#[derive(Debug, Deserialize, Default)]
pub struct StatsQuery {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    per: String,
}

/// The last 30 days by default; a reversed range is turned round and a
/// too long one cut to its last `MAX_DAYS`.
fn filter(app: &AppState, q: &StatsQuery) -> Filter {
    let fmt = format_description!("[year]-[month]-[day]");
    let today = stats::today(app);
    let to = Date::parse(q.to.trim(), fmt).unwrap_or(today);
    let from = Date::parse(q.from.trim(), fmt)
        .unwrap_or_else(|_| to.saturating_sub(time::Duration::days(29)));
    let (from, to) = if from > to { (to, from) } else { (from, to) };
    let from = from.max(to.saturating_sub(time::Duration::days(stats::MAX_DAYS - 1)));
    Filter {
        from,
        to,
        department: q.department.parse::<DepartmentId>().ok(),
        weekly: q.per == "week",
    }
}

/// The query string that gives `f` again (the CSV link).
fn query_of(f: &Filter) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("from", &f.from.to_string())
        .append_pair("to", &f.to.to_string());
    if let Some(d) = f.department {
        q.append_pair("department", &d.to_string());
    }
    if f.weekly {
        q.append_pair("per", "week");
    }
    q.finish()
}

/// A line of a table, formatted.
pub struct LineView {
    name: String,
    handled: String,
    replies: String,
    /// Median, average, p90: first response wall, business; resolution wall, business.
    times: Vec<String>,
    compliance: String,
    sla_counts: String,
    rating: String,
    rated_n: i64,
    stars: Vec<String>,
}

/// A table of lines: by department or by agent.
pub struct TableView {
    heading: String,
    id: &'static str,
    lines: Vec<LineView>,
}

/// A bucket of the trend, formatted.
pub struct TrendView {
    label: String,
    handled: String,
    replies: String,
    first_response: String,
}

/// A recent comment.
pub struct CommentView {
    number: String,
    stars: i16,
    comment: String,
    agent: String,
    date: String,
}

/// templates/agent/stats.html
#[derive(Template, WebTemplate)]
#[template(path = "agent/stats.html")]
pub struct StatsPage {
    page: PageCtx,
    from: String,
    to: String,
    department: String,
    weekly: bool,
    choices: Vec<(String, String)>,
    csv: String,
    total: LineView,
    tables: Vec<TableView>,
    trend: Vec<TrendView>,
    trend_chart: String,
    stars_chart: String,
    comments: Vec<CommentView>,
    zone: String,
}

/// GET /agent/stats
async fn show(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    page: PageCtx,
    Query(q): Query<StatsQuery>,
) -> Result<StatsPage, WebError> {
    let r = stats::report(&app, &v.viewer(), filter(&app, &q)).await?;
    Ok(page_of(&app, page, r))
}

/// GET /agent/stats.csv: the same report as CSV.
async fn export(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    Query(q): Query<StatsQuery>,
) -> Result<Response, WebError> {
    let r = stats::report(&app, &v.viewer(), filter(&app, &q)).await?;
    let name = format!(
        "attachment; filename=\"statistics-{}-{}.csv\"",
        r.filter.from, r.filter.to
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        stats::csv::render(&r),
    )
        .into_response())
}

fn page_of(app: &AppState, page: PageCtx, r: Report) -> StatsPage {
    let none = page.t("stats-nobody");
    let line = |l: &Line, fallback: &str| line_view(&page, l, fallback);
    let trend: Vec<TrendView> = r
        .trend
        .iter()
        .map(|t| TrendView {
            label: t.bucket.to_string(),
            handled: page.fmt.number(t.handled),
            replies: page.fmt.number(t.replies),
            first_response: duration(&page, t.first_response),
        })
        .collect();
    let labels: Vec<String> = r.trend.iter().map(|t| t.bucket.to_string()).collect();
    let handled: Vec<f64> = r.trend.iter().map(|t| t.handled as f64).collect();
    let replies: Vec<f64> = r.trend.iter().map(|t| t.replies as f64).collect();
    let (handled_name, replies_name) = (page.t("stats-handled"), page.t("stats-replies"));
    let trend_chart = chart::bars(
        &page.t(if r.filter.weekly {
            "stats-trend-weekly"
        } else {
            "stats-trend-daily"
        }),
        &labels,
        &[
            Series {
                name: &handled_name,
                values: &handled,
                look: "solid",
            },
            Series {
                name: &replies_name,
                values: &replies,
                look: "outline",
            },
        ],
    );
    let star_labels: Vec<String> = (1..=5)
        .map(|n| page.tn("stats-stars", "n", n as i64))
        .collect();
    let star_counts: Vec<f64> = r.total.stars.iter().map(|n| *n as f64).collect();
    let rated_name = page.t("stats-ratings");
    let stars_chart = chart::bars(
        &page.t("stats-distribution"),
        &star_labels,
        &[Series {
            name: &rated_name,
            values: &star_counts,
            look: "solid",
        }],
    );
    StatsPage {
        from: r.filter.from.to_string(),
        to: r.filter.to.to_string(),
        department: r
            .filter
            .department
            .map(|d| d.to_string())
            .unwrap_or_default(),
        weekly: r.filter.weekly,
        choices: r
            .choices
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect(),
        csv: format!("/agent/stats.csv?{}", query_of(&r.filter)),
        total: line(&r.total, ""),
        tables: vec![
            TableView {
                heading: page.t("stats-by-department"),
                id: "stats-departments",
                lines: r.departments.iter().map(|l| line(l, &none)).collect(),
            },
            TableView {
                heading: page.t("stats-by-agent"),
                id: "stats-agents",
                lines: r.agents.iter().map(|l| line(l, &none)).collect(),
            },
        ],
        trend,
        trend_chart,
        stars_chart,
        comments: r
            .comments
            .iter()
            .map(|c| CommentView {
                number: c.number.to_string(),
                stars: c.stars,
                comment: c.comment.clone(),
                agent: c.agent_name.clone().unwrap_or_default(),
                date: page.fmt.date(c.rated_at),
            })
            .collect(),
        zone: stats::facts::zone(app).to_string(),
        page,
    }
}

fn line_view(page: &PageCtx, l: &Line, fallback: &str) -> LineView {
    let mut times = Vec::with_capacity(12);
    for t in [&l.first_response, &l.resolution] {
        spread(page, &mut times, t);
    }
    LineView {
        name: match l.name.is_empty() {
            true => fallback.to_string(),
            false => l.name.clone(),
        },
        handled: page.fmt.number(l.handled),
        replies: page.fmt.number(l.replies),
        times,
        compliance: l
            .compliance()
            .map(|p| format!("{} %", decimal(page, p)))
            .unwrap_or_else(|| "—".into()),
        sla_counts: page.t2(
            "stats-sla-counts",
            "met",
            page.fmt.number(l.met),
            "total",
            page.fmt.number(l.met + l.missed),
        ),
        rating: l
            .rating
            .map(|r| decimal(page, r))
            .unwrap_or_else(|| "—".into()),
        rated_n: l.rated(),
        stars: l.stars.iter().map(|n| page.fmt.number(*n)).collect(),
    }
}

fn spread(page: &PageCtx, out: &mut Vec<String>, t: &Timing) {
    for s in [t.wall, t.business] {
        let Spread {
            median,
            average,
            p90,
        } = s;
        out.extend([median, average, p90].map(|v| duration(page, v)));
    }
}

/// A duration for people: "45 min", "3 h 05 min", "2 d 4 h"; "—" for none.
fn duration(page: &PageCtx, secs: Option<f64>) -> String {
    let Some(secs) = secs else {
        return "—".into();
    };
    let mins = (secs / 60.0).round().max(0.0) as i64;
    let (d, h, m) = (mins / 1440, mins / 60 % 24, mins % 60);
    let args = |pairs: &[(&'static str, i64)]| -> Vec<(&'static str, crate::i18n::Arg)> {
        pairs
            .iter()
            .map(|(k, v)| (*k, crate::i18n::Arg::Num(*v)))
            .collect()
    };
    match (d, h) {
        (0, 0) => page.locale.t_with("stats-minutes", &args(&[("m", m)])),
        (0, _) => page
            .locale
            .t_with("stats-hours", &args(&[("h", h), ("m", m)])),
        _ => page
            .locale
            .t_with("stats-days", &args(&[("d", d), ("h", h)])),
    }
}

/// One decimal with the language's separator: "4.5" / "4,5".
fn decimal(page: &PageCtx, v: f64) -> String {
    let tenths = (v * 10.0).round() as i64;
    format!(
        "{}{}{}",
        tenths / 10,
        page.t("fmt-decimal-separator"),
        tenths % 10
    )
}
