//! What a ticket's service-level clock remembers between writes, and the
//! moments the escalation job must look at it.
//!
//! The write path keeps a [`Memory`] on the ticket (JSON): the pending
//! periods, the first customer message still waiting for an answer, and the
//! last agent reply. From it and the ticket's own columns it builds the
//! [`Clock`] that `domain::sla::due` reads. A target is identified by its
//! kind and the moment it started (the opening, or the waiting customer
//! message), so each promise is warned about and breached at most once.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::business_time::{Calendar, Target, from_time};
use super::sla::{Clock, Due, warning_at};

/// Pauses kept per ticket; older ones are merged (see [`Memory::pause`]).
const MAX_PAUSES: usize = 100;

/// One pending period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub to: Option<OffsetDateTime>,
}

/// The clock's memory, stored on the ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    #[serde(default)]
    pub pauses: Vec<Pause>,
    /// The first customer message since the last agent reply.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub asked_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub replied_at: Option<OffsetDateTime>,
}

impl Memory {
    /// A customer wrote: the next response is owed from the first message
    /// that waits, not the latest (writing twice must not buy more time).
    pub fn customer_wrote(&mut self, at: OffsetDateTime) {
        self.asked_at = self.asked_at.or(Some(at));
    }

    pub fn agent_replied(&mut self, at: OffsetDateTime) {
        self.replied_at = Some(at);
        self.asked_at = None;
    }

    /// The ticket waits on the customer from `at`.
    pub fn pause(&mut self, at: OffsetDateTime) {
        if self.pauses.last().is_some_and(|p| p.to.is_none()) {
            return;
        }
        // Bounded: two old pauses become one that also covers the gap
        // between them, which can only move due times later by that gap.
        if self.pauses.len() >= MAX_PAUSES {
            let second = self.pauses.remove(1);
            self.pauses[0].to = second.to;
        }
        self.pauses.push(Pause { from: at, to: None });
    }

    /// The wait ends at `at`.
    pub fn resume(&mut self, at: OffsetDateTime) {
        if let Some(p) = self.pauses.last_mut()
            && p.to.is_none()
        {
            p.to = Some(at.max(p.from));
        }
    }

    /// The clock for `domain::sla::due`. `done_at` is when the ticket was
    /// resolved (or closed), None while it is still owed.
    pub fn clock(
        &self,
        opened_at: OffsetDateTime,
        first_response_at: Option<OffsetDateTime>,
        done_at: Option<OffsetDateTime>,
    ) -> Clock {
        Clock {
            opened_at: from_time(opened_at),
            first_response_at: first_response_at.map(from_time),
            last_customer_message_at: self.asked_at.map(from_time),
            last_agent_reply_at: self.replied_at.map(from_time),
            paused: self
                .pauses
                .iter()
                .map(|p| (from_time(p.from), p.to.map(from_time)))
                .collect(),
            resolved_at: done_at.map(from_time),
        }
    }
}

/// Which promise.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, sqlx::Type,
)]
#[sqlx(type_name = "sla_target", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    FirstResponse,
    NextResponse,
    Resolution,
}

impl TargetKind {
    pub const ALL: [TargetKind; 3] = [
        TargetKind::FirstResponse,
        TargetKind::NextResponse,
        TargetKind::Resolution,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::FirstResponse => "first_response",
            TargetKind::NextResponse => "next_response",
            TargetKind::Resolution => "resolution",
        }
    }
}

impl std::str::FromStr for TargetKind {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        TargetKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(())
    }
}

/// A promise now running: what, since when, due when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Running {
    pub target: TargetKind,
    pub started_at: Timestamp,
    pub due: Timestamp,
}

/// The running promises of `due`, each with its start.
pub fn running(due: &Due, clock: &Clock) -> Vec<Running> {
    let mut out = Vec::new();
    let mut add = |target, started_at: Option<Timestamp>, due: Option<Timestamp>| {
        if let (Some(started_at), Some(due)) = (started_at, due) {
            out.push(Running {
                target,
                started_at,
                due,
            });
        }
    };
    add(
        TargetKind::FirstResponse,
        Some(clock.opened_at),
        due.first_response,
    );
    add(
        TargetKind::NextResponse,
        clock.last_customer_message_at,
        due.next_response,
    );
    add(
        TargetKind::Resolution,
        Some(clock.opened_at),
        due.resolution,
    );
    out
}

/// The moment to warn about `r`, if the policy warns.
pub fn warn_at(r: &Running, warn_before: Option<Target>, calendar: &Calendar) -> Option<Timestamp> {
    warn_before.map(|w| warning_at(r.due, w, calendar).min(r.due))
}

/// When the escalation job must look next: the earliest warning or due
/// time, or only those after `after` (the job, having just acted on
/// everything up to now).
pub fn next_look(
    running: &[Running],
    warn_before: Option<Target>,
    calendar: &Calendar,
    after: Option<Timestamp>,
) -> Option<Timestamp> {
    running
        .iter()
        .flat_map(|r| [warn_at(r, warn_before, calendar), Some(r.due)])
        .flatten()
        .filter(|at| after.is_none_or(|after| *at > after))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::business_time::to_time;

    fn at(s: &str) -> OffsetDateTime {
        to_time(s.parse::<Timestamp>().expect("timestamp"))
    }

    #[test]
    fn the_next_response_is_owed_from_the_first_waiting_message() {
        let mut m = Memory::default();
        m.customer_wrote(at("2026-12-01T10:00:00Z"));
        m.customer_wrote(at("2026-12-01T11:00:00Z"));
        assert_eq!(m.asked_at, Some(at("2026-12-01T10:00:00Z")));
        m.agent_replied(at("2026-12-01T12:00:00Z"));
        assert_eq!(m.asked_at, None);
        m.customer_wrote(at("2026-12-01T13:00:00Z"));
        assert_eq!(m.asked_at, Some(at("2026-12-01T13:00:00Z")));
    }

    #[test]
    fn pauses_open_once_close_once_and_stay_bounded() {
        let mut m = Memory::default();
        m.pause(at("2026-12-01T10:00:00Z"));
        m.pause(at("2026-12-01T10:30:00Z"));
        assert_eq!(m.pauses.len(), 1);
        m.resume(at("2026-12-01T11:00:00Z"));
        m.resume(at("2026-12-01T12:00:00Z"));
        assert_eq!(m.pauses[0].to, Some(at("2026-12-01T11:00:00Z")));
        for i in 0..300 {
            let t = at("2026-12-02T00:00:00Z") + time::Duration::minutes(2 * i);
            m.pause(t);
            m.resume(t + time::Duration::minutes(1));
        }
        assert_eq!(m.pauses.len(), MAX_PAUSES);
        assert_eq!(m.pauses[0].from, at("2026-12-01T10:00:00Z"));
    }

    #[test]
    fn memory_reads_back_from_json_and_from_nothing() {
        let mut m = Memory::default();
        m.pause(at("2026-12-01T10:00:00Z"));
        m.customer_wrote(at("2026-12-01T09:00:00Z"));
        let json = serde_json::to_value(&m).expect("json");
        assert_eq!(serde_json::from_value::<Memory>(json).expect("back"), m);
        let empty: Memory = serde_json::from_str("{}").expect("empty");
        assert_eq!(empty, Memory::default());
    }

    #[test]
    fn the_job_looks_at_the_earliest_warning_or_due_time() {
        let cal = Calendar::always();
        let r = |target, due: &str| Running {
            target,
            started_at: "2026-12-01T09:00:00Z".parse().expect("ts"),
            due: due.parse().expect("ts"),
        };
        let running = [
            r(TargetKind::Resolution, "2026-12-03T09:00:00Z"),
            r(TargetKind::FirstResponse, "2026-12-01T10:00:00Z"),
        ];
        let warn = Some(Target::Minutes(15));
        let ts = |s: &str| s.parse::<Timestamp>().expect("ts");
        assert_eq!(
            next_look(&running, warn, &cal, None),
            Some(ts("2026-12-01T09:45:00Z"))
        );
        assert_eq!(
            next_look(&running, None, &cal, None),
            Some(ts("2026-12-01T10:00:00Z"))
        );
        assert_eq!(
            next_look(&running, warn, &cal, Some(ts("2026-12-01T09:45:00Z"))),
            Some(ts("2026-12-01T10:00:00Z"))
        );
        assert_eq!(
            next_look(&running, warn, &cal, Some(ts("2026-12-01T10:00:00Z"))),
            Some(ts("2026-12-03T08:45:00Z"))
        );
        assert_eq!(
            next_look(&running, warn, &cal, Some(ts("2026-12-04T00:00:00Z"))),
            None
        );
    }
}
