//! The escalation job's unit of work, and the recomputation after a
//! policy or calendar changed. Both go through the write path: the job
//! locks the due ticket with SKIP LOCKED (another node takes the next one),
//! and each warning or breach is claimed in `sla_outcomes` in the same
//! transaction as the mail, the bell and the timeline event, so it happens
//! exactly once whether two nodes race or one dies half-way.

use time::OffsetDateTime;

use super::{Actor, Change, Expect, TicketWrite};
use crate::domain::access::AccessLevel;
use crate::domain::ids::DepartmentId;
use crate::service::Result;
use crate::state::AppState;
use crate::store;
use crate::store::tickets::Target;

/// At most this many tickets per call, so one call stays short.
const BATCH: usize = 500;

/// Acts on every ticket whose look is due; returns how many it looked at.
pub async fn run_due(app: &AppState) -> Result<usize> {
    let mut looked = 0;
    // A ticket that fails is skipped for the rest of this call, so it
    // cannot hold back the ones due after it.
    let mut failed = Vec::new();
    while looked < BATCH {
        let mut tx = app.db.begin().await?;
        let now = OffsetDateTime::now_utc();
        let Some(id) = store::sla_outcomes::claim_due(&mut *tx, now, &failed).await? else {
            break;
        };
        looked += 1;
        if let Err(err) = check(app, tx, id).await {
            tracing::error!(ticket = %id, error = ?err, "escalation check failed");
            failed.push(id);
        }
    }
    Ok(looked - failed.len())
}

async fn check(
    app: &AppState,
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    id: crate::domain::ids::TicketId,
) -> Result<()> {
    let mut w = TicketWrite::open(
        app,
        &mut tx,
        Actor::System,
        Target::Id(id),
        AccessLevel::Manage,
        Expect::Current,
    )
    .await?;
    w.apply(&mut tx, Change::SlaCheck).await?;
    w.commit(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Recomputes every department whose policy or calendar changed since its
/// last recomputation; returns how many tickets' due times moved.
pub async fn recompute_stale(app: &AppState) -> Result<u64> {
    let mut moved = 0;
    for department in store::sla_outcomes::stale_departments(&app.db).await? {
        // A change made while this runs is newer than `began`: seen next time.
        let began = OffsetDateTime::now_utc();
        moved += recompute(app, department).await?;
        store::sla_outcomes::mark_recomputed(&app.db, department, began).await?;
    }
    Ok(moved)
}

/// Recomputes the due times of a department's open tickets (its policy or
/// calendar changed); returns how many moved.
pub async fn recompute(app: &AppState, department: DepartmentId) -> Result<u64> {
    let mut after = None;
    let mut moved = 0;
    loop {
        let ids = store::sla_outcomes::open_in(&app.db, department, after, 200).await?;
        let Some(last) = ids.last().copied() else {
            return Ok(moved);
        };
        after = Some(last);
        for id in ids {
            let mut tx = app.db.begin().await?;
            let mut w = TicketWrite::open(
                app,
                &mut tx,
                Actor::System,
                Target::Id(id),
                AccessLevel::Manage,
                Expect::Current,
            )
            .await?;
            let before = w.ticket().sla_due_at;
            w.apply(&mut tx, Change::SlaRefresh).await?;
            w.commit(&mut tx).await?;
            tx.commit().await?;
            let after = store::tickets::state(&app.db, id).await?;
            moved += u64::from(after.is_some_and(|t| t.sla_due_at != before));
        }
    }
}
