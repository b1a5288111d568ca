//! Admin: staff accounts, their role and the departments they may see (at
//! which level); disabling without losing history; password resets.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

use super::saved;
use crate::domain::access::AccessLevel;
use crate::domain::ids::{DepartmentId, UserId};
use crate::domain::users::Role;
use crate::service::{self, FieldErrors, accounts};
use crate::state::AppState;
use crate::store::users::UserRow;
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/staff", get(index).post(create))
        .route("/admin/staff/{id}", get(edit).post(update))
        .route("/admin/staff/{id}/disable", post(disable))
        .route("/admin/staff/{id}/enable", post(enable))
        .route("/admin/staff/{id}/reset-password", post(reset_password))
}

/// A department with the level this person has there ("" for none).
pub struct GrantRow {
    id: String,
    name: String,
    level: String,
}

/// templates/admin/staff.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/staff.html")]
pub struct StaffPage {
    page: PageCtx,
    staff: Vec<UserRow>,
    grants: Vec<GrantRow>,
    email: String,
    name: String,
    role: String,
    errors: FieldErrors,
    created: Option<(String, String)>,
}

/// Grants from the form: fields `grant.<department id>` = read|reply|manage.
fn grants_from(pairs: &[(String, String)]) -> Vec<(DepartmentId, AccessLevel)> {
    pairs
        .iter()
        .filter_map(|(k, v)| {
            let d = k.strip_prefix("grant.")?.parse().ok()?;
            let l = v.parse().ok()?;
            Some((d, l))
        })
        .collect()
}

fn field<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

async fn grant_rows(
    app: &AppState,
    current: &[(DepartmentId, AccessLevel)],
) -> Result<Vec<GrantRow>, WebError> {
    Ok(service::catalog::departments::list(&app.db)
        .await?
        .into_iter()
        .map(|d| GrantRow {
            level: current
                .iter()
                .find(|(id, _)| *id == d.id)
                .map(|(_, l)| l.as_str().to_string())
                .unwrap_or_default(),
            id: d.id.to_string(),
            name: d.name,
        })
        .collect())
}

async fn staff_page(app: &AppState, page: PageCtx) -> Result<StaffPage, WebError> {
    Ok(StaffPage {
        page,
        staff: service::accounts::staff::list(&app.db).await?,
        grants: grant_rows(app, &[]).await?,
        email: String::new(),
        name: String::new(),
        role: "agent".into(),
        errors: FieldErrors::default(),
        created: None,
    })
}

/// GET /admin/staff
async fn index(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
) -> Result<StaffPage, WebError> {
    staff_page(&app, page).await
}

/// POST /admin/staff: creates an account; its one-time password is shown once.
async fn create(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    body: String,
) -> Result<Response, WebError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let role = field(&pairs, "role").parse::<Role>().unwrap_or(Role::Agent);
    let grants = grants_from(&pairs);
    let departments = service::catalog::departments::list(&app.db).await?;
    let slugs = grants
        .iter()
        .filter_map(|(id, l)| {
            departments
                .iter()
                .find(|d| d.id == *id)
                .map(|d| (d.slug.clone(), *l))
        })
        .collect();
    let input = accounts::NewAccount {
        email: field(&pairs, "email").to_string(),
        name: field(&pairs, "name").to_string(),
        role: if role == Role::Customer {
            Role::Agent
        } else {
            role
        },
        departments: slugs,
    };
    let mut again = staff_page(&app, page).await?;
    match accounts::create_account(&app.db, &app.hasher, Some(admin.user.id), input.clone()).await {
        Ok((_, password)) => {
            again.created = Some((input.email.trim().to_lowercase(), password));
            again.staff = service::accounts::staff::list(&app.db).await?;
            Ok(again.into_response())
        }
        Err(service::Error::Invalid(errors)) => {
            again.email = input.email;
            again.name = input.name;
            again.role = role.as_str().into();
            again.grants = grant_rows(&app, &grants).await?;
            again.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, again).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// templates/admin/staff_member.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/staff_member.html")]
pub struct StaffMemberPage {
    page: PageCtx,
    id: String,
    email: String,
    name: String,
    role: String,
    disabled: bool,
    grants: Vec<GrantRow>,
    errors: FieldErrors,
    password: Option<String>,
}

async fn member_page(
    app: &AppState,
    page: PageCtx,
    id: UserId,
) -> Result<StaffMemberPage, WebError> {
    let (user, grants) = service::accounts::staff::get(&app.db, id).await?;
    Ok(StaffMemberPage {
        page,
        id: user.id.to_string(),
        email: user.email,
        name: user.name,
        role: user.role.as_str().into(),
        disabled: user.disabled_at.is_some(),
        grants: grant_rows(app, &grants).await?,
        errors: FieldErrors::default(),
        password: None,
    })
}

fn parse_id(s: &str) -> Result<UserId, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

/// GET /admin/staff/{id}
async fn edit(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
    Path(id): Path<String>,
) -> Result<StaffMemberPage, WebError> {
    member_page(&app, page, parse_id(&id)?).await
}

/// POST /admin/staff/{id}
async fn update(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path(id): Path<String>,
    body: String,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let role = field(&pairs, "role").parse::<Role>().unwrap_or(Role::Agent);
    let grants = grants_from(&pairs);
    match service::accounts::staff::update(
        &app.db,
        &admin.user,
        id,
        field(&pairs, "name"),
        role,
        &grants,
    )
    .await
    {
        Ok(()) => Ok(saved(&format!("/admin/staff/{id}")).into_response()),
        Err(service::Error::Invalid(errors)) => {
            let mut again = member_page(&app, page, id).await?;
            again.name = field(&pairs, "name").to_string();
            again.grants = grant_rows(&app, &grants).await?;
            again.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, again).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// POST /admin/staff/{id}/disable
async fn disable(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    service::accounts::staff::set_disabled(&app.db, &admin.user, id, true).await?;
    Ok(saved(&format!("/admin/staff/{id}")).into_response())
}

/// POST /admin/staff/{id}/enable
async fn enable(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = parse_id(&id)?;
    service::accounts::staff::set_disabled(&app.db, &admin.user, id, false).await?;
    Ok(saved(&format!("/admin/staff/{id}")).into_response())
}

#[derive(serde::Deserialize)]
pub struct Empty {}

/// POST /admin/staff/{id}/reset-password: the new one-time password is
/// shown once, on this page.
async fn reset_password(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<StaffMemberPage, WebError> {
    let id = parse_id(&id)?;
    let password =
        service::accounts::staff::reset_password(&app.db, &app.hasher, &admin.user, id).await?;
    let mut again = member_page(&app, page, id).await?;
    again.password = Some(password);
    Ok(again)
}
