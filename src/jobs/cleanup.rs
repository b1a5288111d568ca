//! Housekeeping: expired sessions, old failed sign-ins, and closing
//! resolved tickets after the configured number of days.

use crate::app::AppState;
use crate::service;

/// One round of housekeeping.
pub async fn run_once(app: &AppState) -> anyhow::Result<()> {
    service::accounts::purge_expired(&app.db).await?;
    let closed = service::tickets::auto_close(&app.db, app.config.tickets.auto_close_days).await?;
    if closed > 0 {
        tracing::info!(closed, "closed resolved tickets");
    }
    Ok(())
}
