//! The sender: holds a subscription's lease, posts its waiting deliveries
//! oldest first and stops at the first failure, so a subscription's events
//! arrive in order. A failure is retried with backoff for a day, then set
//! aside as dead and the next one goes; a subscription failing for three
//! days, or answered 410 Gone, is disabled and the admins are told.

use std::time::{Duration, Instant};

use time::OffsetDateTime;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::client;
use crate::domain::webhooks::{DISABLE_AFTER, GIVE_UP_AFTER, retry_delay, signature};
use crate::events::Event;
use crate::service::journal;
use crate::service::{Conflict, Error, Result};
use crate::state::AppState;
use crate::store;
use crate::store::webhook_deliveries::{Attempt, DeliveryStatus};

/// How long a sender holds a subscription; longer than one round.
const LEASE_SECONDS: i64 = 120;
/// A round ends after this long, one POST's limit inside the lease.
const ROUND_LIMIT: Duration = Duration::from_secs(LEASE_SECONDS as u64 / 2);
/// One POST's limit, connection and TLS included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries per subscription per round; the rest go in the next round.
const PER_ROUND: usize = 50;
/// Subscriptions served side by side in one round.
const SUBSCRIPTIONS: i64 = 32;
/// How long a wake-up gathers further changes before reading the journal.
const COALESCE: Duration = Duration::from_millis(100);
/// The longest wait between rounds when nothing is announced.
const IDLE: Duration = Duration::from_secs(5);

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub failed: usize,
    /// A subscription had more waiting than one round sends.
    pub more: bool,
}

/// Queues deliveries for every journal entry not yet read.
pub async fn queue(app: &AppState) -> Result<usize> {
    let reader = super::reader::Webhooks;
    let mut total = 0;
    loop {
        match journal::run_once(app, &reader, 500).await {
            Ok(n) => {
                total += n;
                if n < 500 {
                    return Ok(total);
                }
            }
            Err(Error::Conflict(Conflict::JournalPruned)) => {
                tracing::warn!("webhooks fell behind the journal's retention; events were lost");
                journal::restart_at_end(app, &reader).await?;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Sends what is due at `now` (tests pass a later time to see retries
/// without waiting for them).
pub async fn run_once(app: &AppState, now: OffsetDateTime) -> Result<Round> {
    let due = store::webhooks::due(&app.db, now, SUBSCRIPTIONS).await?;
    let rounds =
        futures_util::future::join_all(due.into_iter().map(|id| drain(app, id, now))).await;
    let mut total = Round::default();
    for r in rounds {
        let r = r?;
        total.sent += r.sent;
        total.failed += r.failed;
        total.more |= r.more;
    }
    Ok(total)
}

async fn drain(app: &AppState, id: i64, now: OffsetDateTime) -> Result<Round> {
    let Some(claimed) = store::webhooks::claim(&app.db, id, LEASE_SECONDS).await? else {
        return Ok(Round::default());
    };
    let result = send_line(app, &claimed, now).await;
    store::webhooks::release(&app.db, id).await?;
    result
}

async fn send_line(
    app: &AppState,
    c: &store::webhooks::Claimed,
    now: OffsetDateTime,
) -> Result<Round> {
    let secret = String::from_utf8(app.secrets.mailbox_key.decrypt(&c.secret)?)
        .map_err(anyhow::Error::from)?;
    let url = url::Url::parse(&c.url).map_err(anyhow::Error::from)?;
    let started = Instant::now();
    let mut failing_since = c.failing_since;
    let mut round = Round::default();
    for n in 0.. {
        // Stop well inside the lease, so that no other sender can take the
        // subscription while this one still posts (slow receivers answer
        // in up to TIMEOUT each).
        if n == PER_ROUND || started.elapsed() > ROUND_LIMIT {
            round.more = true;
            break;
        }
        let at = now + started.elapsed();
        let Some(d) = store::webhook_deliveries::head(&app.db, c.id).await? else {
            break;
        };
        if d.next_at.is_some_and(|next| next > at) {
            break;
        }
        let t = OffsetDateTime::now_utc().unix_timestamp();
        let headers = [
            ("Bilet-Event-Id", d.event_id.clone()),
            ("Bilet-Event", d.event.clone()),
            ("Bilet-Delivery", d.id.to_string()),
            ("Bilet-Signature", signature(&secret, t, d.body.as_bytes())),
        ];
        let sent = Instant::now();
        let answer = client::post(
            &url,
            c.allow_private,
            &headers,
            d.body.clone().into(),
            TIMEOUT,
        )
        .await;
        let ms = i32::try_from(sent.elapsed().as_millis()).unwrap_or(i32::MAX);
        let at = now + started.elapsed();
        let (code, error) = match &answer {
            Ok(code) => (Some(i32::from(*code)), None),
            Err(client::Failure(e)) => (None, Some(e.as_str())),
        };
        if matches!(answer, Ok(200..=299)) {
            store::webhook_deliveries::record(
                &app.db,
                d.id,
                Attempt {
                    at,
                    code,
                    error,
                    ms,
                    status: DeliveryStatus::Sent,
                    next_at: None,
                },
            )
            .await?;
            if failing_since.take().is_some() {
                store::webhooks::set_failing(&app.db, c.id, None).await?;
            }
            metrics::counter!("bilet_webhook_deliveries_total", "outcome" => "sent").increment(1);
            round.sent += 1;
            continue;
        }
        round.failed += 1;
        metrics::counter!("bilet_webhook_deliveries_total", "outcome" => "failed").increment(1);
        let first = d.first_attempt_at.unwrap_or(at);
        let give_up = at - first >= GIVE_UP_AFTER;
        let attempts = u32::try_from(d.attempts).unwrap_or(0) + 1;
        let status = if give_up {
            DeliveryStatus::Dead
        } else {
            DeliveryStatus::Pending
        };
        let next_at = (!give_up).then(|| at + retry_delay(attempts));
        store::webhook_deliveries::record(
            &app.db,
            d.id,
            Attempt {
                at,
                code,
                error,
                ms,
                status,
                next_at,
            },
        )
        .await?;
        let since = match failing_since {
            Some(s) => s,
            None => {
                store::webhooks::set_failing(&app.db, c.id, Some(at)).await?;
                failing_since = Some(at);
                at
            }
        };
        if matches!(answer, Ok(410)) {
            disable(app, c, "gone", at).await?;
            break;
        }
        if at - since >= DISABLE_AFTER {
            disable(app, c, "failing", at).await?;
            break;
        }
        if !give_up {
            break;
        }
    }
    Ok(round)
}

/// Disables a subscription and tells every admin under the bell.
async fn disable(
    app: &AppState,
    c: &store::webhooks::Claimed,
    reason: &str,
    at: OffsetDateTime,
) -> Result<()> {
    let mut tx = app.db.begin().await?;
    if store::webhooks::disable(&mut *tx, c.id, reason, at).await? {
        let data = serde_json::json!({ "webhook": c.id, "url": c.url, "reason": reason });
        let users = store::notifications::tell_admins(&mut *tx, "webhook_disabled", &data).await?;
        crate::events::publish(&mut *tx, &Event::Notified { users }).await?;
        crate::service::mail::admin_notice::webhook_disabled(&mut tx, app, c.id, &c.url, reason)
            .await?;
        tracing::warn!(webhook = c.id, url = %c.url, reason, "webhook disabled");
    }
    tx.commit().await?;
    Ok(())
}

/// The job: queues new events and sends what is due, then waits for a
/// change, a resend or the next retry.
pub async fn follow(app: AppState, stop: CancellationToken) -> anyhow::Result<()> {
    let mut events = app.events.subscribe();
    loop {
        let mut more = false;
        if let Err(err) = queue(&app).await {
            tracing::warn!(error = ?err, "webhook events could not be queued; retrying");
        }
        match run_once(&app, OffsetDateTime::now_utc()).await {
            Ok(round) => more = round.more,
            Err(err) => tracing::warn!(error = ?err, "webhook deliveries failed; retrying"),
        }
        if more {
            continue;
        }
        let next = store::webhooks::next_due(&app.db).await.ok().flatten();
        let wait = next
            .map(|at| {
                (at - OffsetDateTime::now_utc())
                    .try_into()
                    .unwrap_or(Duration::ZERO)
            })
            .unwrap_or(IDLE)
            .clamp(Duration::from_millis(200), IDLE);
        let sleep = tokio::time::sleep(wait);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                _ = &mut sleep => break,
                event = events.recv() => match event {
                    Ok(Event::TicketChanged { .. } | Event::WebhooksDue | Event::Resync)
                    | Err(RecvError::Lagged(_)) => {
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
