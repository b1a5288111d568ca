//! Admin: departments (name, slug, addresses, signature with placeholders,
//! managers, shown to customers or not). Managers (one or more, staff
//! only) are kept by `service::sla` in `department_managers`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::saved;
use crate::domain::placeholders::KNOWN;
use crate::service::{self, FieldErrors};
use crate::state::AppState;
use crate::store::departments::{DepartmentEdit, DepartmentRow};
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/departments", get(index).post(create))
        .route("/admin/departments/{slug}", get(edit).post(update))
}

/// templates/admin/departments.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/departments.html")]
pub struct DepartmentsPage {
    page: PageCtx,
    departments: Vec<DepartmentRow>,
    form: DepartmentForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default, Clone)]
pub struct DepartmentForm {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    addresses: String,
    #[serde(default)]
    signature: String,
    #[serde(default)]
    visible: String,
}

fn lines(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// GET /admin/departments
async fn index(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
) -> Result<DepartmentsPage, WebError> {
    let departments = service::catalog::departments::list(&app.db).await?;
    Ok(DepartmentsPage {
        page,
        departments,
        form: DepartmentForm::default(),
        errors: FieldErrors::default(),
    })
}

/// POST /admin/departments
async fn create(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Form(form): Form<DepartmentForm>,
) -> Result<Response, WebError> {
    let new = service::catalog::departments::NewDepartment {
        slug: form.slug.trim().to_string(),
        name: form.name.clone(),
        addresses: lines(&form.addresses),
        signature: form.signature.clone(),
    };
    match service::catalog::departments::create(&app.db, Some(admin.user.id), new).await {
        Ok(_) => Ok(saved("/admin/departments").into_response()),
        Err(service::Error::Invalid(errors)) => {
            let departments = service::catalog::departments::list(&app.db).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                DepartmentsPage {
                    page,
                    departments,
                    form,
                    errors,
                },
            )
                .into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// templates/admin/department.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/department.html")]
pub struct DepartmentPage {
    page: PageCtx,
    slug: String,
    form: DepartmentForm,
    /// Staff as (address, name), the managers' choices.
    staff: Vec<(String, String)>,
    /// The chosen managers' addresses.
    managers: Vec<String>,
    placeholders: String,
    errors: FieldErrors,
}

async fn staff_choices(app: &AppState) -> Result<Vec<(String, String)>, WebError> {
    Ok(service::accounts::staff::list(&app.db)
        .await?
        .into_iter()
        .map(|u| (u.email, u.name))
        .collect())
}

/// The edit form's fields; `manager` may repeat.
fn edit_form(body: &str) -> (DepartmentForm, Vec<String>) {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let one = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let managers = pairs
        .iter()
        .filter(|(k, v)| k == "manager" && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
        .collect();
    let form = DepartmentForm {
        slug: one("slug"),
        name: one("name"),
        addresses: one("addresses"),
        signature: one("signature"),
        visible: one("visible"),
    };
    (form, managers)
}

/// GET /admin/departments/{slug}
async fn edit(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
    Path(slug): Path<String>,
) -> Result<DepartmentPage, WebError> {
    let d = service::catalog::departments::for_edit(&app.db, &slug).await?;
    Ok(DepartmentPage {
        page,
        slug: d.slug.clone(),
        form: DepartmentForm {
            slug: d.slug,
            name: d.name,
            addresses: d.addresses.join("\n"),
            signature: d.signature,
            visible: if d.customer_visible {
                "1".into()
            } else {
                String::new()
            },
        },
        staff: staff_choices(&app).await?,
        managers: service::sla::managers(&app.db, d.id).await?,
        placeholders: KNOWN.join(" "),
        errors: FieldErrors::default(),
    })
}

/// POST /admin/departments/{slug}
async fn update(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path(slug): Path<String>,
    body: String,
) -> Result<Response, WebError> {
    let (form, managers) = edit_form(&body);
    let current = service::catalog::departments::for_edit(&app.db, &slug).await?;
    // The old single manager column stays as it was: managers live in
    // `department_managers` now.
    let edit = DepartmentEdit {
        name: form.name.clone(),
        signature: form.signature.clone(),
        customer_visible: form.visible == "1",
        addresses: lines(&form.addresses),
        ..current
    };
    let saved_managers = managers.clone();
    match service::sla::update_department(&app.db, admin.user.id, edit, saved_managers).await {
        Ok(()) => Ok(saved(&format!("/admin/departments/{slug}")).into_response()),
        Err(service::Error::Invalid(errors)) => {
            let body = DepartmentPage {
                page,
                slug,
                form,
                staff: staff_choices(&app).await?,
                managers,
                placeholders: KNOWN.join(" "),
                errors,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
