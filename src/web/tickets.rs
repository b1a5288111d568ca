//! What ticket lists show, shared by the portal and the agent workspace.

use super::context::{PageCtx, Visitor};
use super::error::WebError;
use crate::app::AppState;
use crate::service;

/// One row of a ticket list, formatted for the reader.
pub struct TicketListItem {
    pub number: String,
    pub subject: String,
    pub status: &'static str,
    pub updated: String,
    pub updated_exact: String,
}

/// The first page of the tickets the visitor may read.
pub async fn list_items(
    app: &AppState,
    visitor: &Visitor,
    page: &PageCtx,
) -> Result<Vec<TicketListItem>, WebError> {
    let now = time::OffsetDateTime::now_utc();
    let rows = service::tickets::list(&app.db, &visitor.viewer(), None, 50).await?;
    Ok(rows
        .into_iter()
        .map(|t| TicketListItem {
            number: t.number.to_string(),
            subject: t.subject,
            status: t.status.as_str(),
            updated: page.fmt.relative(t.last_activity_at, now),
            updated_exact: page.fmt.datetime(t.last_activity_at),
        })
        .collect())
}
