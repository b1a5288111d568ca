//! The event bus: PostgreSQL LISTEN/NOTIFY. An event is published inside
//! the transaction of the change it announces, and PostgreSQL delivers
//! notifications only at commit, so listeners never hear of a change that
//! was rolled back, whichever Bilet node made it. Each node runs one
//! listener and fans events out to its pages with a broadcast channel.
//! Payloads are small (ids only; NOTIFY allows under 8000 bytes): readers
//! fetch what they show through the access rule.

use serde::{Deserialize, Serialize};
use sqlx::PgExecutor;
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::domain::ids::{DepartmentId, MessageId, TicketId, TicketNumber, UserId};
use crate::domain::messages::Kind;

/// The NOTIFY channel.
pub const CHANNEL: &str = "bilet_events";

/// Something that happened, for live pages, caches and presence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A ticket was opened or changed: one per committed write. After a
    /// transfer, `department` is the new one and `was` the old one.
    TicketChanged {
        ticket: TicketId,
        number: TicketNumber,
        department: DepartmentId,
        was: Option<DepartmentId>,
        version: i32,
    },
    /// The delivery state of a ticket's outgoing mail changed.
    DeliveryChanged {
        ticket: TicketId,
        number: TicketNumber,
        department: DepartmentId,
    },
    /// A message was added to a ticket.
    MessageAdded {
        ticket: TicketId,
        number: TicketNumber,
        department: DepartmentId,
        message: MessageId,
        kind: Kind,
    },
    /// Admin settings changed: caches reload.
    SettingsChanged,
    /// A user's grants, role or disabled flag changed: live streams
    /// reload what they hold for that user.
    AccessChanged { user: UserId },
    /// A session ended (sign-out, "sign out everywhere" ends them all).
    SessionEnded {
        user: UserId,
        session: Option<crate::domain::ids::SessionId>,
    },
    /// Events may have been missed (the listener reconnected): pages reload.
    Resync,
    /// `bilet search reindex` asks the node named so to rebuild its index.
    SearchReindex { node: String },
    /// That node took the request.
    SearchReindexStarted { node: String },
    /// That node's index has applied the journal up to this position
    /// (after each batch): for `bilet search status` watchers and tests.
    SearchIndexed { node: String, txid: i64, seq: i64 },
    /// That node serves its rebuilt index now.
    SearchRebuilt { node: String, tickets: u64 },
    /// A ticket's service-level due times moved without a new version (a
    /// policy or calendar changed): the escalation job looks again.
    DueChanged { ticket: TicketId },
    /// Webhook deliveries wait to be sent (a resend, a subscription
    /// enabled again): senders look now rather than at their next round.
    WebhooksDue,
    /// These people have something new under the bell (an escalation).
    Notified { users: Vec<UserId> },
    /// Someone is viewing or typing on a ticket.
    Presence {
        ticket: TicketId,
        number: TicketNumber,
        department: DepartmentId,
        user: UserId,
        name: String,
        typing: bool,
    },
}

/// Publishes `event` when the surrounding transaction commits.
pub async fn publish(db: impl PgExecutor<'_>, event: &Event) -> sqlx::Result<()> {
    let payload = serde_json::to_string(event).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query("select pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(db)
        .await?;
    Ok(())
}

/// Publishes several events in one statement, at commit.
pub async fn publish_all(db: impl PgExecutor<'_>, events: &[Event]) -> sqlx::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let payloads = events
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query("select pg_notify($1, p) from unnest($2::text[]) p")
        .bind(CHANNEL)
        .bind(payloads)
        .execute(db)
        .await?;
    Ok(())
}

/// This node's end of the bus.
#[derive(Clone)]
pub struct Bus {
    sender: broadcast::Sender<Event>,
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

impl Bus {
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(1024);
        Self { sender }
    }

    /// Events from now on. A receiver that falls behind gets `Lagged` and
    /// should reload what it shows.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }

    /// How many receivers listen now (tests wait for a long poll to begin).
    pub fn listeners(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Listens on PostgreSQL until `stop` is cancelled. Reconnects by itself
    /// (sqlx's listener does) after the database went away.
    pub async fn listen(self, pool: PgPool, stop: CancellationToken) -> anyhow::Result<()> {
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(CHANNEL).await?;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return Ok(()),
                received = listener.try_recv() => match received {
                    Ok(Some(note)) => match serde_json::from_str::<Event>(note.payload()) {
                        Ok(event) => {
                            // No receivers is fine: nobody is watching.
                            let _ = self.sender.send(event);
                        }
                        Err(err) => tracing::warn!(error = %err, "unreadable event"),
                    },
                    // The connection was lost and re-established: events may
                    // have been missed, so tell pages to reload.
                    Ok(None) => {
                        let _ = self.sender.send(Event::Resync);
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "event listener failed; retrying");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                },
            }
        }
    }
}
