//! The escalation job: acts on every due warning and breach, then sleeps
//! until the next due moment. A change can bring that moment nearer, so any
//! ticket change wakes it to look again (one cheap indexed query). Each
//! round first recomputes departments whose policy or calendar changed.

use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::events::Event;
use crate::service::tickets::escalation;
use crate::state::AppState;
use crate::store;

/// The longest sleep: a safety net for a missed wake-up.
const MAX_SLEEP: Duration = Duration::from_secs(30);
/// After a failure (database away), before trying again.
const RETRY: Duration = Duration::from_secs(2);

pub async fn follow(app: AppState, stop: CancellationToken) -> anyhow::Result<()> {
    let mut events = app.events.subscribe();
    loop {
        let sleep = match tick(&app).await {
            Ok(sleep) => sleep,
            Err(err) => {
                tracing::warn!(error = ?err, "escalation round failed");
                RETRY
            }
        };
        let wake = tokio::time::sleep(sleep);
        tokio::pin!(wake);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                _ = &mut wake => break,
                event = events.recv() => match event {
                    Ok(Event::TicketChanged { .. } | Event::DueChanged { .. } | Event::SettingsChanged | Event::Resync)
                    | Err(RecvError::Lagged(_)) => break,
                    Ok(_) => {}
                    Err(RecvError::Closed) => return Ok(()),
                },
            }
        }
    }
}

/// One round: act on what is due; return how long to sleep.
async fn tick(app: &AppState) -> anyhow::Result<Duration> {
    escalation::recompute_stale(app).await?;
    while escalation::run_due(app).await? > 0 {}
    let next = store::sla_outcomes::next_look(&app.db).await?;
    let now = OffsetDateTime::now_utc();
    Ok(match next {
        Some(at) if at <= now => Duration::ZERO,
        Some(at) => Duration::try_from(at - now)
            .unwrap_or(MAX_SLEEP)
            .min(MAX_SLEEP),
        None => MAX_SLEEP,
    })
}
