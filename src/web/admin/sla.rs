//! Admin: the service-level overview: every department's calendar (or
//! 24/7) and targets per priority, and the calendars. A department's own
//! page is `sla_departments`, a calendar's `sla_calendars`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::service;
use crate::state::AppState;
use crate::store::sla::{BreachRow, CalendarRow, OverviewRow, Targets};
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/sla", get(index))
}

/// One department on the overview, with its rows of targets.
pub struct DepartmentView {
    slug: String,
    name: String,
    calendar: Option<String>,
    /// Only the rows that set a target or an action.
    rows: Vec<OverviewRow>,
}

/// templates/admin/sla.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/sla.html")]
pub struct SlaPage {
    page: PageCtx,
    departments: Vec<DepartmentView>,
    calendars: Vec<CalendarRow>,
}

/// Whether an overview row sets anything (a department without targets
/// has one row of nothing).
pub fn sets_anything(r: &OverviewRow) -> bool {
    r.targets != Targets::default() || r.breach != BreachRow::default()
}

/// GET /admin/sla
async fn index(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
) -> Result<SlaPage, WebError> {
    let rows = service::sla::overview(&app.db).await?;
    let departments = (service::catalog::departments::list(&app.db).await?)
        .into_iter()
        .map(|d| {
            let mut own = rows.iter().filter(|r| r.department == d.slug).peekable();
            DepartmentView {
                calendar: own.peek().and_then(|r| r.calendar.clone()),
                rows: own.filter(|r| sets_anything(r)).cloned().collect(),
                slug: d.slug,
                name: d.name,
            }
        })
        .collect();
    let calendars = service::sla::calendars(&app.db).await?;
    Ok(SlaPage {
        page,
        departments,
        calendars,
    })
}
