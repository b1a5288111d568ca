//! Outgoing mail that needs an admin: tried and kept for a retry, or given
//! up, each with its last error classified. And "retry now". The sending
//! itself is `outbox.rs`.

use time::OffsetDateTime;
use uuid::Uuid;

use super::connection::ConnectionProblem;
use crate::domain::ids::TicketNumber;
use crate::service::{Error, Result};
use crate::state::AppState;
use crate::store;

/// How many failing mails the admin page lists (the newest).
pub const LIST_LIMIT: i64 = 50;

/// One failing outgoing mail.
#[derive(Debug, Clone)]
pub struct FailingMail {
    pub id: Uuid,
    /// ack, reply, notification, claim…
    pub kind: String,
    /// Given up (a permanent error, or too many attempts): no next try.
    pub given_up: bool,
    pub ticket: Option<TicketNumber>,
    pub subject: String,
    /// The recipients not reached yet.
    pub recipients: Vec<String>,
    pub attempts: i32,
    /// None when given up.
    pub next_attempt_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub problem: ConnectionProblem,
}

/// The newest failing mails and how many there are in all.
#[derive(Debug, Clone)]
pub struct Failing {
    pub mails: Vec<FailingMail>,
    pub total: i64,
}

/// The outgoing mail that is failing, newest first, at most [`LIST_LIMIT`].
pub async fn failing(app: &AppState) -> Result<Failing> {
    let rows = store::outbox::failing(&app.db, LIST_LIMIT).await?;
    let total = store::outbox::failing_count(&app.db).await?;
    let fallback = &app.config.mail.smtp;
    let mails = rows
        .into_iter()
        .map(|r| {
            // The mail's mailbox, else the configured server, as the sender picks.
            let (host, port) = match (&r.smtp_host, r.smtp_port) {
                (Some(h), Some(p)) => (h.clone(), u16::try_from(p).unwrap_or(587)),
                _ => (fallback.host.clone().unwrap_or_default(), fallback.port),
            };
            let given_up = r.state == "failed";
            FailingMail {
                id: r.id,
                kind: r.kind,
                given_up,
                ticket: r.ticket_number,
                subject: r.subject,
                recipients: r.recipients,
                attempts: r.attempts,
                next_attempt_at: (!given_up).then_some(r.next_attempt_at),
                created_at: r.created_at,
                problem: ConnectionProblem::new(&host, port, r.last_error.unwrap_or_default()),
            }
        })
        .collect();
    Ok(Failing { mails, total })
}

/// Makes a failing mail due at once (the sender picks it up at its next
/// round); a given-up mail gets one more try.
pub async fn retry_now(app: &AppState, id: Uuid) -> Result<()> {
    let mut tx = app.db.begin().await?;
    if !store::outbox::retry_now(&mut tx, id).await? {
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(())
}
