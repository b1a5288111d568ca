//! The customer portal: the customer's own tickets.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::context::PageCtx;
use super::error::WebError;
use super::extract::CustomerUser;
use super::tickets::{TicketListItem, list_items};
use crate::app::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/portal", get(home))
}

/// templates/portal/home.html
#[derive(Template, WebTemplate)]
#[template(path = "portal/home.html")]
pub struct PortalHomePage {
    page: PageCtx,
    tickets: Vec<TicketListItem>,
}

/// GET /portal
async fn home(
    State(app): State<AppState>,
    CustomerUser(visitor): CustomerUser,
    page: PageCtx,
) -> Result<PortalHomePage, WebError> {
    let tickets = list_items(&app, &visitor, &page).await?;
    Ok(PortalHomePage { page, tickets })
}
