//! Housekeeping: expired sessions, old failed sign-ins, closing resolved
//! tickets after the configured number of days, and pruning the change
//! journal and finished webhook deliveries past the journal's retention.

use crate::service;
use crate::state::AppState;

/// One round of housekeeping.
pub async fn run_once(app: &AppState) -> anyhow::Result<()> {
    service::accounts::purge_expired(&app.db).await?;
    let closed = service::tickets::jobs::auto_close(app).await?;
    let pruned = service::journal::prune(app).await?;
    if pruned > 0 {
        tracing::info!(pruned, "pruned journal entries past their retention");
    }
    let deliveries = service::webhooks::prune(app).await?;
    if deliveries > 0 {
        tracing::info!(deliveries, "pruned finished webhook deliveries");
    }
    let raw = service::mail::retention::prune(app).await?;
    if raw > 0 {
        tracing::info!(raw, "released raw mail past its retention");
    }
    // References released by erasure and retention (an interrupted
    // run's too).
    let blobs = service::blob_gc::collect(app).await?;
    if blobs > 0 {
        tracing::info!(blobs, "deleted stored files nobody references");
    }
    if closed > 0 {
        tracing::info!(closed, "closed resolved tickets");
    }
    Ok(())
}
