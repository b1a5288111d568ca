//! Admin: business-hours calendars (name, time zone, weekly hours,
//! holidays), checked and saved by `service::sla`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use uuid::Uuid;

use super::saved;
use crate::service::sla::NewCalendar;
use crate::service::{self, FieldErrors};
use crate::state::AppState;
use crate::store::sla::CalendarRow;
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/sla/calendars/new", get(new).post(create))
        .route("/admin/sla/calendars/{id}", get(edit).post(update))
}

/// templates/admin/sla_calendar.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/sla_calendar.html")]
pub struct CalendarPage {
    page: PageCtx,
    /// None: a new calendar.
    id: Option<Uuid>,
    form: CalendarForm,
    /// The slugs of the departments that use it.
    used_by: Vec<String>,
    errors: FieldErrors,
}

#[derive(Deserialize, Default, Clone)]
pub struct CalendarForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    zone: String,
    #[serde(default)]
    hours: String,
    /// One date per line.
    #[serde(default)]
    holidays: String,
}

impl CalendarForm {
    fn of(row: CalendarRow) -> CalendarForm {
        let holidays: Vec<String> = row.holidays.iter().map(|d| d.to_string()).collect();
        CalendarForm {
            name: row.name,
            zone: row.zone,
            hours: row.hours,
            holidays: holidays.join("\n"),
        }
    }

    fn to_new(&self) -> NewCalendar {
        NewCalendar {
            name: self.name.clone(),
            zone: self.zone.clone(),
            hours: self.hours.clone(),
            holidays: self.holidays.lines().map(str::to_string).collect(),
        }
    }
}

/// A calendar id from the path; anything else is a calendar that does not exist.
fn calendar_id(id: &str) -> Result<Uuid, WebError> {
    id.parse().map_err(|_| WebError::NotFound)
}

/// The form again, with what was typed and the errors (422).
fn refused(
    page: PageCtx,
    id: Option<Uuid>,
    form: CalendarForm,
    used_by: Vec<String>,
    errors: FieldErrors,
) -> Response {
    let body = CalendarPage {
        page,
        id,
        form,
        used_by,
        errors,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, body).into_response()
}

/// GET /admin/sla/calendars/new
async fn new(AdminUser(_): AdminUser, page: PageCtx) -> CalendarPage {
    CalendarPage {
        page,
        id: None,
        form: CalendarForm::default(),
        used_by: Vec::new(),
        errors: FieldErrors::default(),
    }
}

/// POST /admin/sla/calendars/new
async fn create(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Form(form): Form<CalendarForm>,
) -> Result<Response, WebError> {
    match service::sla::add_calendar(&app.db, Some(admin.user.id), form.to_new()).await {
        Ok(_) => Ok(saved("/admin/sla")),
        Err(service::Error::Invalid(errors)) => Ok(refused(page, None, form, Vec::new(), errors)),
        Err(other) => Err(other.into()),
    }
}

/// GET /admin/sla/calendars/{id}
async fn edit(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
    Path(id): Path<String>,
) -> Result<CalendarPage, WebError> {
    let (row, used_by) = service::sla::calendar(&app.db, calendar_id(&id)?).await?;
    Ok(CalendarPage {
        page,
        id: Some(row.id),
        form: CalendarForm::of(row),
        used_by,
        errors: FieldErrors::default(),
    })
}

/// POST /admin/sla/calendars/{id}
async fn update(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path(id): Path<String>,
    Form(form): Form<CalendarForm>,
) -> Result<Response, WebError> {
    let id = calendar_id(&id)?;
    let (_, used_by) = service::sla::calendar(&app.db, id).await?;
    match service::sla::update_calendar(&app.db, Some(admin.user.id), id, form.to_new()).await {
        Ok(()) => Ok(saved(&format!("/admin/sla/calendars/{id}"))),
        Err(service::Error::Invalid(errors)) => Ok(refused(page, Some(id), form, used_by, errors)),
        Err(other) => Err(other.into()),
    }
}
