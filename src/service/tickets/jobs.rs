//! Ticket jobs: folding the maintained counts, and closing resolved
//! tickets after the configured days. Each
//! ticket closes through the write path, so its history, journal entry,
//! counts and live event are written like any other change. Safe on
//! several nodes at once: the row lock serialises, and a ticket another
//! node closed first is simply skipped.

use super::{Actor, Change, Expect, TicketWrite};
use crate::domain::access::AccessLevel;
use crate::service::{Conflict, Error, Result};
use crate::state::AppState;
use crate::store;
use crate::store::tickets::Target;

/// Closes resolved tickets whose resolution is older than the configured
/// days; returns how many it closed.
pub async fn auto_close(app: &AppState) -> Result<usize> {
    let days = app.config.tickets.auto_close_days;
    let mut closed = 0;
    loop {
        let due = store::tickets::due_for_auto_close(&app.db, days, 200).await?;
        let mut progressed = false;
        for id in due {
            let mut tx = app.db.begin().await?;
            let target = Target::Id(id);
            let mut w = TicketWrite::open(
                app,
                &mut tx,
                Actor::System,
                target,
                AccessLevel::Manage,
                Expect::Current,
            )
            .await?;
            match w.apply(&mut tx, Change::AutoClose).await {
                Ok(_) => {}
                // Reopened or closed meanwhile.
                Err(Error::Conflict(Conflict::NotResolved | Conflict::Merged)) => continue,
                Err(other) => return Err(other),
            }
            w.commit(&mut tx).await?;
            tx.commit().await?;
            closed += 1;
            progressed = true;
        }
        if !progressed {
            return Ok(closed);
        }
    }
}

/// Merges the maintained counts' rows of each key (any node; one at a time).
pub async fn fold_counts(app: &AppState) -> Result<()> {
    let mut tx = app.db.begin().await?;
    store::counts::fold(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Recomputes the maintained counts from the tickets: after a bulk load
/// (seeding, a restore) that bypassed the write path.
pub async fn rebuild_counts(app: &AppState) -> Result<()> {
    let mut tx = app.db.begin().await?;
    store::counts::rebuild(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}
