//! The statistics' facts, kept from the change journal by a cluster-wide
//! reader: each batch re-reads the tickets it touched and replaces their
//! fact rows (`store::stats::replace`), in the transaction that moves the
//! reader's position. Facts are recomputed from the tables, never
//! incremented, so a repeated or out-of-order entry is harmless.
//!
//! Durations run from the ticket's creation; business time counts the
//! working time of the calendar of the ticket's department and priority as
//! they are now. Pending pauses are not taken out (the SLA clock does that
//! for due times; the statistics show time as the customer lived it).

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use sqlx::PgConnection;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::domain::business_time::{Calendar, from_time};
use crate::domain::ids::{DepartmentId, TicketId};
use crate::domain::priority::Priority;
use crate::events::Event;
use crate::service::journal::{self, Apply, Reach, Reader};
use crate::service::{Conflict, Error, Result};
use crate::state::AppState;
use crate::store;
use crate::store::journal::Entry as JournalEntry;
use crate::store::stats::{Fact, Source};

/// Journal entries per batch.
pub const BATCH: i64 = 500;
/// Tickets per transaction while rebuilding.
const REBUILD_PAGE: i64 = 500;
/// How long a wake-up gathers further changes before reading the journal.
const COALESCE: Duration = Duration::from_millis(100);
/// The longest wait between rounds when no change is announced.
const IDLE: Duration = Duration::from_secs(5);

/// The reader that keeps the fact tables.
pub struct Facts;

impl Reader for Facts {
    fn name(&self) -> &'static str {
        "stats"
    }

    fn reach(&self) -> Reach {
        Reach::Cluster
    }

    fn apply<'a>(
        &'a self,
        app: &'a AppState,
        tx: &'a mut PgConnection,
        entries: &'a [JournalEntry],
    ) -> Apply<'a> {
        Box::pin(async move {
            let ids: Vec<TicketId> = entries
                .iter()
                .map(|e| e.ticket_id)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            refresh(app, tx, &ids).await
        })
    }
}

/// Recomputes the facts of `ids` from the tables.
pub async fn refresh(app: &AppState, conn: &mut PgConnection, ids: &[TicketId]) -> Result<()> {
    let sources = store::stats::sources(&mut *conn, ids).await?;
    let mut calendars: HashMap<(DepartmentId, Priority), Calendar> = HashMap::new();
    let mut facts = Vec::with_capacity(sources.len());
    for s in sources {
        let key = (s.department_id, s.priority);
        let calendar = match calendars.entry(key) {
            Entry::Occupied(c) => c.into_mut(),
            Entry::Vacant(v) => {
                let (_, c) = crate::service::sla::policy_for(&mut *conn, key.0, key.1).await?;
                v.insert(c)
            }
        };
        facts.push(fact(s, calendar));
    }
    store::stats::replace(conn, ids, &facts, zone(app)).await?;
    Ok(())
}

/// The helpdesk's time zone: `i18n.default_time_zone` (validated at start).
pub fn zone(app: &AppState) -> &str {
    &app.config.i18n.default_time_zone
}

/// A ticket's durations from its creation, in wall and business seconds.
fn fact(s: Source, calendar: &Calendar) -> Fact {
    let since = |at: Option<time::OffsetDateTime>| {
        at.map(|at| {
            let wall = (at - s.created_at).whole_seconds().max(0);
            let business = calendar
                .working_between(from_time(s.created_at), from_time(at))
                .as_secs();
            (clamp(wall), clamp(business))
        })
    };
    Fact {
        first_response: since(s.first_response_at),
        resolution: since(s.resolved_at),
        source: s,
    }
}

fn clamp(secs: i64) -> i32 {
    secs.clamp(0, i32::MAX as i64) as i32
}

/// Recomputes every ticket's facts, page by page.
pub async fn rebuild(app: &AppState) -> Result<u64> {
    let mut after = None;
    let mut n = 0;
    loop {
        let ids = store::stats::ticket_ids(&app.db, after, REBUILD_PAGE).await?;
        let Some(last) = ids.last().copied() else {
            return Ok(n);
        };
        let mut tx = app.db.begin().await?;
        refresh(app, &mut tx, &ids).await?;
        tx.commit().await?;
        n += ids.len() as u64;
        after = Some(last);
    }
}

/// Applies every waiting batch; after pruning, first moves to the end of
/// the journal and then rebuilds from the tables (in that order, so no
/// change falls between the two: one seen twice is harmless).
pub async fn catch_up(app: &AppState) -> Result<usize> {
    let mut total = 0;
    loop {
        match journal::run_once(app, &Facts, BATCH).await {
            Ok(0) => return Ok(total),
            Ok(n) => total += n,
            Err(Error::Conflict(Conflict::JournalPruned)) => {
                journal::restart_at_end(app, &Facts).await?;
                let n = rebuild(app).await?;
                tracing::info!(tickets = n, "statistics rebuilt after journal pruning");
            }
            Err(err) => return Err(err),
        }
    }
}

/// The job: catches up, then waits for a ticket change (or a few seconds).
pub async fn follow(app: AppState, stop: CancellationToken) -> anyhow::Result<()> {
    let mut events = app.events.subscribe();
    loop {
        if let Err(err) = catch_up(&app).await {
            tracing::warn!(error = ?err, "statistics facts failed; retrying");
        }
        let wait = tokio::time::sleep(IDLE);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                _ = &mut wait => break,
                event = events.recv() => match event {
                    Ok(Event::TicketChanged { .. } | Event::Resync) | Err(RecvError::Lagged(_)) => {
                        // A burst of writes becomes one batch.
                        tokio::time::sleep(COALESCE).await;
                        break;
                    }
                    Ok(_) => {}
                    Err(RecvError::Closed) => return Ok(()),
                },
            }
        }
    }
}
