//! The admin console.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::context::PageCtx;
use super::error::WebError;
use super::extract::AdminUser;
use crate::app::AppState;
use crate::service;
use crate::store::departments::DepartmentRow;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin", get(home))
}

/// templates/admin/home.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/home.html")]
pub struct AdminHomePage {
    page: PageCtx,
    departments: Vec<DepartmentRow>,
}

/// GET /admin
async fn home(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
) -> Result<AdminHomePage, WebError> {
    let departments = service::departments::list(&app.db).await?;
    Ok(AdminHomePage { page, departments })
}
