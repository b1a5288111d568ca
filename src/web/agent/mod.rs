//! The agent workspace: the queues of the agent's departments.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::context::PageCtx;
use super::error::WebError;
use super::extract::StaffUser;
use super::tickets::{TicketListItem, list_items};
use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/agent", get(home))
}

/// templates/agent/home.html
#[derive(Template, WebTemplate)]
#[template(path = "agent/home.html")]
pub struct AgentHomePage {
    page: PageCtx,
    tickets: Vec<TicketListItem>,
}

/// GET /agent
async fn home(
    State(app): State<AppState>,
    StaffUser(visitor): StaffUser,
    page: PageCtx,
) -> Result<AgentHomePage, WebError> {
    let tickets = list_items(&app, &visitor, &page).await?;
    Ok(AgentHomePage { page, tickets })
}
