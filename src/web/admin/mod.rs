//! The admin console: departments, staff and their access, help topics,
//! products, canned responses, service levels, settings, and the audit
//! log. Admins only; every change goes through a service function that
//! records it.

pub mod audit;
pub mod catalog;
pub mod customers;
pub mod departments;
pub mod mail;
pub mod mail_texts;
pub mod settings;
pub mod sla;
pub mod sla_calendars;
pub mod sla_departments;
pub mod staff;
pub mod tokens;
pub mod webhook_history;
pub mod webhooks;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::context::PageCtx;
use super::error::WebError;
use super::extract::AdminUser;
use crate::service;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .merge(departments::routes())
        .merge(mail_texts::routes())
        .merge(customers::routes())
        .merge(staff::routes())
        .merge(catalog::routes())
        .merge(settings::routes())
        .merge(audit::routes())
        .merge(mail::routes())
        .merge(sla::routes())
        .merge(sla_calendars::routes())
        .merge(sla_departments::routes())
        .merge(webhooks::routes())
        .merge(tokens::routes())
}

/// templates/admin/home.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/home.html")]
pub struct AdminHomePage {
    page: PageCtx,
    departments: usize,
    staff: usize,
}

/// GET /admin
async fn home(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
) -> Result<AdminHomePage, WebError> {
    let departments = service::catalog::departments::list(&app.db).await?.len();
    let staff = service::accounts::staff::list(&app.db).await?.len();
    Ok(AdminHomePage {
        page,
        departments,
        staff,
    })
}

/// Where a form goes after saving, with a notice.
pub fn saved(path: &str) -> axum::response::Response {
    crate::web::notice::redirect(path, "saved")
}
