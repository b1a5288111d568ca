//! Ticket use cases. Every lookup goes through the access rule: a ticket
//! outside the viewer's scope is `NotFound`.

use sqlx::PgPool;

use super::{Error, Result};
use crate::domain::access::{AccessLevel, Viewer, scope};
use crate::domain::ids::TicketNumber;
use crate::store;
use crate::store::tickets::TicketRow;

/// The ticket if `viewer` may act on it at `need`; `NotFound` otherwise.
pub async fn find(
    db: &PgPool,
    viewer: &Viewer,
    number: TicketNumber,
    need: AccessLevel,
) -> Result<TicketRow> {
    store::tickets::find_visible(db, scope(viewer, need), number)
        .await?
        .ok_or(Error::NotFound)
}

/// Closes resolved tickets after the configured number of days.
pub async fn auto_close(db: &PgPool, days: u32) -> Result<usize> {
    let closed = store::tickets::auto_close(db, days).await?;
    Ok(closed.len())
}

/// A page of the tickets `viewer` may read, latest activity first.
pub async fn list(
    db: &PgPool,
    viewer: &Viewer,
    after: Option<store::tickets::Cursor>,
    limit: i64,
) -> Result<Vec<TicketRow>> {
    Ok(store::tickets::list_visible(db, scope(viewer, AccessLevel::Read), after, limit).await?)
}
