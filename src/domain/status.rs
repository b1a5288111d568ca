//! The ticket status machine: one transition table for every entry point
//! (portal, agent workspace, mail, API, jobs).
//!
//! - open: the ball is with support;
//! - pending: support answered and waits for the customer;
//! - resolved: support considers it solved; the customer may still answer;
//! - closed: finished. A customer reply within the reopen window reopens it.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// Where a ticket stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(type_name = "ticket_status", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Open,
    Pending,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Open,
        Status::Pending,
        Status::Resolved,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Pending => "pending",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    /// Open or pending: somebody still has to act.
    pub fn is_active(self) -> bool {
        matches!(self, Status::Open | Status::Pending)
    }
}

impl std::str::FromStr for Status {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(())
    }
}

/// Something that may change a ticket's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A customer (or a participant) wrote a message.
    CustomerMessage,
    /// The customer said "my problem is solved".
    CustomerSolved,
    /// An agent replied; `then` is the status chosen with "send and set
    /// status", `None` means the default (waiting on the customer).
    AgentReply { then: Option<Status> },
    /// An agent set the status directly.
    AgentSet(Status),
    /// An internal note: never changes the status.
    Note,
    /// The auto-close job: resolved tickets close after N days.
    AutoClose,
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the ticket is already closed")]
    AlreadyClosed,
    #[error("only resolved tickets close by themselves")]
    NotResolved,
    #[error("the ticket is already {0:?}")]
    Unchanged(Status),
}

/// The one transition table. Returns the new status.
pub fn transition(from: Status, action: Action) -> Result<Status, TransitionError> {
    use Action::*;
    use Status::*;
    match (from, action) {
        // A customer message puts the ball back with support, whatever the
        // status; for closed tickets the caller first checks the reopen window.
        (_, CustomerMessage) => Ok(Open),
        (Closed, CustomerSolved) => Err(TransitionError::AlreadyClosed),
        (_, CustomerSolved) => Ok(Closed),
        (_, AgentReply { then: None }) => Ok(Pending),
        (_, AgentReply { then: Some(to) }) => Ok(to),
        (from, AgentSet(to)) if from == to => Err(TransitionError::Unchanged(to)),
        (_, AgentSet(to)) => Ok(to),
        (from, Note) => Ok(from),
        (Resolved, AutoClose) => Ok(Closed),
        (_, AutoClose) => Err(TransitionError::NotResolved),
    }
}

/// The resolution and closing times that go with a new status `to`:
/// resolving keeps the first resolution time, reopening clears both,
/// closing keeps the resolution time and stamps the closing.
pub fn stamps(
    to: Status,
    resolved_at: Option<OffsetDateTime>,
    closed_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> (Option<OffsetDateTime>, Option<OffsetDateTime>) {
    match to {
        Status::Open | Status::Pending => (None, None),
        Status::Resolved => (resolved_at.or(Some(now)), None),
        Status::Closed => (resolved_at, closed_at.or(Some(now))),
    }
}

/// Whether a customer's reply to a resolved or closed ticket reopens it, or
/// must open a new ticket linked to the old one. The window starts at the
/// resolution (or the closing, when it was closed without being resolved).
pub fn reply_reopens(
    status: Status,
    resolved_or_closed_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
    window: Duration,
) -> bool {
    match (status, resolved_or_closed_at) {
        (Status::Open | Status::Pending, _) => true,
        (_, None) => true,
        (_, Some(at)) => now - at <= window,
    }
}

/// Whether a resolved ticket is due to close by itself.
pub fn auto_close_due(resolved_at: OffsetDateTime, now: OffsetDateTime, after: Duration) -> bool {
    now - resolved_at >= after
}

#[cfg(test)]
mod tests {
    use super::Action::*;
    use super::Status::*;
    use super::*;

    #[test]
    fn the_transition_table() {
        let cases: &[(Status, Action, Result<Status, TransitionError>)] = &[
            (Open, CustomerMessage, Ok(Open)),
            (Pending, CustomerMessage, Ok(Open)),
            (Resolved, CustomerMessage, Ok(Open)),
            (Closed, CustomerMessage, Ok(Open)),
            (Open, CustomerSolved, Ok(Closed)),
            (Pending, CustomerSolved, Ok(Closed)),
            (Resolved, CustomerSolved, Ok(Closed)),
            (Closed, CustomerSolved, Err(TransitionError::AlreadyClosed)),
            (Open, AgentReply { then: None }, Ok(Pending)),
            (
                Open,
                AgentReply {
                    then: Some(Resolved),
                },
                Ok(Resolved),
            ),
            (Closed, AgentReply { then: Some(Open) }, Ok(Open)),
            (Open, AgentSet(Resolved), Ok(Resolved)),
            (Pending, AgentSet(Open), Ok(Open)),
            (Resolved, AgentSet(Closed), Ok(Closed)),
            (Open, AgentSet(Open), Err(TransitionError::Unchanged(Open))),
            (Pending, Note, Ok(Pending)),
            (Closed, Note, Ok(Closed)),
            (Resolved, AutoClose, Ok(Closed)),
            (Open, AutoClose, Err(TransitionError::NotResolved)),
            (Pending, AutoClose, Err(TransitionError::NotResolved)),
            (Closed, AutoClose, Err(TransitionError::NotResolved)),
        ];
        for (from, action, expected) in cases {
            assert_eq!(
                transition(*from, *action),
                *expected,
                "{from:?} + {action:?}"
            );
        }
    }

    #[test]
    fn replies_reopen_only_within_the_window() {
        let resolved = time::macros::datetime!(2026-11-01 12:00 UTC);
        let window = Duration::days(30);
        let inside = resolved + Duration::days(30);
        let outside = resolved + Duration::days(30) + Duration::seconds(1);
        assert!(reply_reopens(Resolved, Some(resolved), inside, window));
        assert!(!reply_reopens(Resolved, Some(resolved), outside, window));
        assert!(!reply_reopens(Closed, Some(resolved), outside, window));
        assert!(reply_reopens(Pending, Some(resolved), outside, window));
    }

    #[test]
    fn auto_close_waits_the_configured_days() {
        let resolved = time::macros::datetime!(2026-11-01 12:00 UTC);
        let after = Duration::days(7);
        assert!(!auto_close_due(
            resolved,
            resolved + Duration::days(6),
            after
        ));
        assert!(auto_close_due(
            resolved,
            resolved + Duration::days(7),
            after
        ));
    }
}
