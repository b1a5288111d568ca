//! Admin: one department's service levels: its calendar (or none, 24/7)
//! and its targets table, a row for any priority and one per priority
//! (field names `service::sla::ROW_FIELDS`), saved all or nothing.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::saved;
use super::sla::sets_anything;
use crate::domain::priority::Priority;
use crate::service::sla::{DepartmentSla, ROW_FIELDS, TargetsInput};
use crate::service::{self, FieldErrors};
use crate::state::AppState;
use crate::store::sla::OverviewRow;
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/sla/departments/{slug}", get(edit).post(update))
}

/// One field of the targets table, with what it holds or was typed.
pub struct Cell {
    field: &'static str,
    value: String,
}

/// One row of the targets table: any priority, or one priority.
pub struct RowView {
    /// The locale key of the row's heading.
    heading: String,
    /// First response, next response, resolution, warn before.
    targets: Vec<(&'static str, Cell)>,
    /// Raise the priority, assign, move.
    priority: Cell,
    assignee: Cell,
    department: Cell,
}

/// templates/admin/sla_department.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/sla_department.html")]
pub struct DepartmentPage {
    page: PageCtx,
    slug: String,
    name: String,
    /// The chosen calendar's name; empty: 24/7.
    calendar: String,
    calendars: Vec<String>,
    rows: Vec<RowView>,
    /// Active staff as (address, name).
    staff: Vec<(String, String)>,
    /// The other departments as (slug, name).
    departments: Vec<(String, String)>,
    errors: FieldErrors,
}

impl DepartmentPage {
    /// Whether `value` is set but not among `choices` (a person or department
    /// that left the list): offered as it is, so saving does not clear it unseen.
    fn unlisted(&self, choices: &[(String, String)], value: &str) -> bool {
        !value.is_empty() && !choices.iter().any(|(v, _)| v == value)
    }
}

const TARGET_LABELS: [&str; 4] = [
    "sla-target-first_response",
    "sla-target-next_response",
    "sla-target-resolution",
    "admin-sla-warn-before",
];

/// The row of `priority` (None: any priority) holding `values`, in the
/// order of its fields.
fn row_view(priority: Option<Priority>, values: [String; 7]) -> RowView {
    let fields = &ROW_FIELDS[service::sla::row_index(priority)];
    let cell = |i: usize| Cell {
        field: fields[i],
        value: values[i].clone(),
    };
    RowView {
        heading: priority.map_or("admin-sla-any-priority".into(), |p| {
            format!("priority-{}", p.as_str())
        }),
        targets: (0..4).map(|i| (TARGET_LABELS[i], cell(i))).collect(),
        priority: cell(4),
        assignee: cell(5),
        department: cell(6),
    }
}

/// Every row's priority: none (any), then `Priority::ALL`.
fn row_priorities() -> impl Iterator<Item = Option<Priority>> {
    std::iter::once(None).chain(Priority::ALL.map(Some))
}

/// The page of `slug` with its calendar, rows and errors.
async fn department_page(
    app: &AppState,
    page: PageCtx,
    slug: &str,
    calendar: String,
    rows: Vec<RowView>,
    errors: FieldErrors,
) -> Result<DepartmentPage, WebError> {
    let this = service::catalog::departments::for_edit(&app.db, slug).await?;
    let staff = service::accounts::staff::list(&app.db).await?;
    let departments = service::catalog::departments::list(&app.db).await?;
    let calendars = service::sla::calendars(&app.db).await?;
    Ok(DepartmentPage {
        page,
        slug: this.slug,
        name: this.name,
        calendar,
        calendars: calendars.into_iter().map(|c| c.name).collect(),
        rows,
        staff: staff
            .into_iter()
            .filter(|u| u.disabled_at.is_none())
            .map(|u| (u.email, u.name))
            .collect(),
        departments: departments
            .into_iter()
            .filter(|d| d.slug != slug)
            .map(|d| (d.slug, d.name))
            .collect(),
        errors,
    })
}

/// The calendar of department `slug` (empty: 24/7) and its rows that set
/// anything.
async fn stored(app: &AppState, slug: &str) -> Result<(String, Vec<OverviewRow>), WebError> {
    let own: Vec<OverviewRow> = service::sla::overview(&app.db)
        .await?
        .into_iter()
        .filter(|r| r.department == slug)
        .collect();
    let first = own.first().ok_or(WebError::NotFound)?;
    let calendar = first.calendar.clone().unwrap_or_default();
    Ok((calendar, own.into_iter().filter(sets_anything).collect()))
}

/// A stored row's values, in the order of its fields.
fn values(r: &OverviewRow) -> [String; 7] {
    let t = r.targets.clone();
    [
        t.first_response,
        t.next_response,
        t.resolution,
        t.warn_before,
        r.breach.breach_priority.map(|p| p.as_str().to_string()),
        r.breach_assignee.clone(),
        r.breach_department.clone(),
    ]
    .map(Option::unwrap_or_default)
}

/// GET /admin/sla/departments/{slug}
async fn edit(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
    Path(slug): Path<String>,
) -> Result<DepartmentPage, WebError> {
    let (calendar, own) = stored(&app, &slug).await?;
    let rows = row_priorities()
        .map(|p| {
            let row = own.iter().find(|r| r.priority == p);
            row_view(p, row.map(values).unwrap_or_default())
        })
        .collect();
    department_page(&app, page, &slug, calendar, rows, FieldErrors::default()).await
}

/// POST /admin/sla/departments/{slug}: the calendar and every row, all or
/// nothing. The calendar is checked against the list first, so that the
/// targets are only saved when the calendar will be too.
async fn update(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path(slug): Path<String>,
    body: String,
) -> Result<Response, WebError> {
    let typed: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let value = |field: &str| {
        typed
            .get(field)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let calendar = value("calendar");
    let fields = |p| &ROW_FIELDS[service::sla::row_index(p)];
    let rows: Vec<RowView> = row_priorities()
        .map(|p| row_view(p, fields(p).map(value)))
        .collect();
    let refuse = |errors| async {
        let body = department_page(&app, page, &slug, calendar.clone(), rows, errors).await?;
        Ok::<_, WebError>((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
    };

    let (current, _) = stored(&app, &slug).await?;
    let known = service::sla::calendars(&app.db).await?;
    if !calendar.is_empty() && !known.iter().any(|c| c.name == calendar) {
        let mut errors = FieldErrors::default();
        errors.add_named("calendar", "error-calendar-unknown", &calendar, None);
        return refuse(errors).await;
    }
    let inputs = row_priorities()
        .map(|p| {
            let f = fields(p);
            // An empty target is no target; an empty action is none.
            let target = |i: usize| {
                Some(value(f[i]))
                    .filter(|v| !v.is_empty())
                    .or(Some("none".into()))
            };
            TargetsInput {
                department: slug.clone(),
                priority: p,
                first_response: target(0),
                next_response: target(1),
                resolution: target(2),
                warn_before: target(3),
                breach_priority: Some(value(f[4])),
                breach_assignee: Some(value(f[5])),
                breach_department: Some(value(f[6])),
            }
        })
        .collect();
    let actor = Some(admin.user.id);
    match service::sla::set_department_targets(&app.db, actor, &slug, inputs).await {
        Ok(()) => {}
        Err(service::Error::Invalid(errors)) => return refuse(errors).await,
        Err(other) => return Err(other.into()),
    }
    if calendar != current {
        let settings = DepartmentSla {
            slug: slug.clone(),
            managers: None,
            calendar: Some(Some(calendar.clone()).filter(|c| !c.is_empty())),
        };
        service::sla::set_department(&app.db, actor, settings).await?;
    }
    Ok(saved(&format!("/admin/sla/departments/{slug}")))
}
