//! Service levels: the policy's targets and the due times the write path
//! stores for a ticket.
//!
//! Rules:
//! - first response: due from `opened_at` until an agent first replies;
//!   after that it is None (met or missed is recorded when it happens);
//! - next response: only after the first response, due from the last
//!   customer message while it is newer than the last agent reply;
//! - resolution: due from `opened_at` until resolved. A resolved ticket owes
//!   nothing, so every due time is None (a customer message reopens it and
//!   the write path clears `resolved_at`);
//! - pauses (the ticket waits on the customer) stop the clock: each closed
//!   pause that begins before a due time moves it later by the pause's
//!   working time. While a pause is open nothing is due (`paused = true`);
//!   when it ends the due times come back with the whole pause added.

use jiff::Timestamp;

use super::business_time::{Calendar, Target};

/// A service level's targets; None means no such target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub first_response: Option<Target>,
    pub next_response: Option<Target>,
    pub resolution: Option<Target>,
    /// How long before a due time to warn.
    pub warn_before: Option<Target>,
}

/// What happened to a ticket, as far as its service level cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    pub opened_at: Timestamp,
    pub first_response_at: Option<Timestamp>,
    pub last_customer_message_at: Option<Timestamp>,
    pub last_agent_reply_at: Option<Timestamp>,
    /// Pending periods in order; only the last may still be open.
    pub paused: Vec<(Timestamp, Option<Timestamp>)>,
    pub resolved_at: Option<Timestamp>,
}

impl Clock {
    /// A ticket just opened: nothing has happened yet.
    pub fn opened(at: Timestamp) -> Clock {
        Clock {
            opened_at: at,
            first_response_at: None,
            last_customer_message_at: None,
            last_agent_reply_at: None,
            paused: Vec::new(),
            resolved_at: None,
        }
    }

    fn is_paused(&self) -> bool {
        self.paused.iter().any(|(_, end)| end.is_none())
    }
}

/// The due times now running; all None while paused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Due {
    pub first_response: Option<Timestamp>,
    pub next_response: Option<Timestamp>,
    pub resolution: Option<Timestamp>,
    pub paused: bool,
}

/// The due times for a ticket under `policy`; see the module rules.
pub fn due(policy: &Policy, calendar: &Calendar, clock: &Clock) -> Due {
    if clock.is_paused() {
        return Due {
            paused: true,
            ..Due::default()
        };
    }
    if clock.resolved_at.is_some() {
        return Due::default();
    }
    let run = |target: Option<Target>, from: Timestamp| {
        target.map(|t| paused_out(calendar, from, calendar.add(from, t), &clock.paused))
    };
    let first_response = match clock.first_response_at {
        None => run(policy.first_response, clock.opened_at),
        Some(_) => None,
    };
    // The first reply is a reply even if the write path left
    // `last_agent_reply_at` unset.
    let replied = clock.last_agent_reply_at.max(clock.first_response_at);
    let next_response = match (replied, clock.last_customer_message_at) {
        (Some(replied), Some(asked)) if asked > replied => run(policy.next_response, asked),
        _ => None,
    };
    Due {
        first_response,
        next_response,
        resolution: run(policy.resolution, clock.opened_at),
        paused: false,
    }
}

/// `due` (counted from `start`) moved by the closed pauses that stopped its
/// clock: those after `start` that began before the (already moved) due time.
fn paused_out(
    calendar: &Calendar,
    start: Timestamp,
    mut due: Timestamp,
    paused: &[(Timestamp, Option<Timestamp>)],
) -> Timestamp {
    let mut closed: Vec<(Timestamp, Timestamp)> = paused
        .iter()
        .filter_map(|&(from, to)| Some((from, to?)))
        .collect();
    closed.sort_unstable();
    // Overlapping periods (bad data) must not count twice.
    let mut counted = start;
    for (from, to) in closed {
        let from = from.max(counted);
        if from < to && from < due {
            due = calendar.extend(due, from, to);
        }
        counted = counted.max(to);
    }
    due
}

/// When to warn: the latest instant leaving `warn_before` working time
/// before `due`. It may lie in the past (a warning longer than the target);
/// the caller then warns at once.
pub fn warning_at(due: Timestamp, warn_before: Target, calendar: &Calendar) -> Timestamp {
    calendar.sub(due, warn_before)
}

/// Whether a target was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Met,
    Breached,
}

/// Met when done at or before the due time.
pub fn outcome(due: Timestamp, done_at: Timestamp) -> Outcome {
    match done_at <= due {
        true => Outcome::Met,
        false => Outcome::Breached,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Moscow wall time (UTC+3): "2026-12-01T10:00" (a Tuesday).
    fn msk(s: &str) -> Timestamp {
        let zoned = format!("{s}:00+03:00[Europe/Moscow]").parse::<jiff::Zoned>();
        zoned.expect("zoned").timestamp()
    }

    fn office() -> Calendar {
        Calendar::new("Europe/Moscow", "mon-fri 09:00-18:00", &[]).expect("calendar")
    }

    fn policy() -> Policy {
        Policy {
            first_response: Some(Target::Hours(1)),
            next_response: Some(Target::Hours(2)),
            resolution: Some(Target::Days(2)),
            warn_before: Some(Target::Minutes(30)),
        }
    }

    fn replied(at: Timestamp) -> Clock {
        Clock {
            first_response_at: Some(at),
            last_agent_reply_at: Some(at),
            ..Clock::opened(msk("2026-12-01T10:00"))
        }
    }

    #[test]
    fn a_new_ticket_owes_a_first_response_and_a_resolution() {
        let clock = Clock::opened(msk("2026-12-01T10:00"));
        let due = due(&policy(), &office(), &clock);
        assert_eq!(
            due,
            Due {
                first_response: Some(msk("2026-12-01T11:00")),
                next_response: None,
                resolution: Some(msk("2026-12-03T10:00")),
                paused: false,
            }
        );
    }

    #[test]
    fn a_policy_without_targets_owes_nothing() {
        let clock = Clock::opened(msk("2026-12-01T10:00"));
        assert_eq!(due(&Policy::default(), &office(), &clock), Due::default());
    }

    #[test]
    fn a_first_reply_ends_the_first_response_target() {
        let due = due(&policy(), &office(), &replied(msk("2026-12-01T10:30")));
        assert_eq!(due.first_response, None);
        assert_eq!(due.next_response, None);
        assert_eq!(due.resolution, Some(msk("2026-12-03T10:00")));
    }

    #[test]
    fn a_customer_writing_again_owes_a_next_response() {
        let clock = Clock {
            last_customer_message_at: Some(msk("2026-12-01T17:00")),
            ..replied(msk("2026-12-01T10:30"))
        };
        let due = due(&policy(), &office(), &clock);
        assert_eq!(due.first_response, None);
        assert_eq!(due.next_response, Some(msk("2026-12-02T10:00")));
    }

    #[test]
    fn an_answered_customer_message_owes_nothing() {
        let clock = Clock {
            last_customer_message_at: Some(msk("2026-12-01T12:00")),
            last_agent_reply_at: Some(msk("2026-12-01T13:00")),
            ..replied(msk("2026-12-01T10:30"))
        };
        assert_eq!(due(&policy(), &office(), &clock).next_response, None);
        // The first reply counts as a reply when nothing later is recorded.
        let clock = Clock {
            last_customer_message_at: Some(msk("2026-12-01T10:00")),
            last_agent_reply_at: None,
            ..replied(msk("2026-12-01T10:30"))
        };
        assert_eq!(due(&policy(), &office(), &clock).next_response, None);
    }

    #[test]
    fn before_the_first_reply_only_the_first_response_counts() {
        let clock = Clock {
            last_customer_message_at: Some(msk("2026-12-01T10:20")),
            ..Clock::opened(msk("2026-12-01T10:00"))
        };
        let due = due(&policy(), &office(), &clock);
        assert_eq!(due.first_response, Some(msk("2026-12-01T11:00")));
        assert_eq!(due.next_response, None);
    }

    #[test]
    fn a_pending_pause_stops_the_clock_then_moves_the_due_times() {
        let (from, to) = (msk("2026-12-01T10:30"), msk("2026-12-04T10:30"));
        let waiting = Clock {
            paused: vec![(from, None)],
            ..replied(from)
        };
        let paused = due(&policy(), &office(), &waiting);
        assert_eq!(
            paused,
            Due {
                paused: true,
                ..Due::default()
            }
        );
        let resumed = Clock {
            paused: vec![(from, Some(to))],
            last_customer_message_at: Some(to),
            ..replied(from)
        };
        let due = due(&policy(), &office(), &resumed);
        // Three working days (27 h) of pause move Thursday 10:00 to the
        // next Tuesday 10:00; the next response counts from the message only.
        assert_eq!(due.resolution, Some(msk("2026-12-08T10:00")));
        assert_eq!(due.next_response, Some(msk("2026-12-04T12:30")));
        assert!(!due.paused);
    }

    #[test]
    fn a_pause_over_the_weekend_costs_its_working_hours() {
        let policy = Policy {
            resolution: Some(Target::Hours(16)),
            ..policy()
        };
        let opened = msk("2026-12-04T10:00");
        let clock = Clock {
            paused: vec![(msk("2026-12-04T17:00"), Some(msk("2026-12-07T10:00")))],
            ..Clock::opened(opened)
        };
        let due = due(&policy, &office(), &clock);
        // Monday 17:00 plus Friday's and Monday's paused hour.
        assert_eq!(due.resolution, Some(msk("2026-12-08T10:00")));
    }

    #[test]
    fn a_pause_after_the_due_time_does_not_move_it() {
        let clock = Clock {
            paused: vec![(msk("2026-12-01T12:00"), Some(msk("2026-12-01T13:00")))],
            ..Clock::opened(msk("2026-12-01T10:00"))
        };
        let due = due(&policy(), &office(), &clock);
        assert_eq!(due.first_response, Some(msk("2026-12-01T11:00")));
        assert_eq!(due.resolution, Some(msk("2026-12-03T11:00")));
    }

    #[test]
    fn overlapping_pauses_count_once() {
        let clock = Clock {
            paused: vec![
                (msk("2026-12-01T10:10"), Some(msk("2026-12-01T10:40"))),
                (msk("2026-12-01T10:20"), Some(msk("2026-12-01T10:50"))),
            ],
            ..Clock::opened(msk("2026-12-01T10:00"))
        };
        let due = due(&policy(), &office(), &clock);
        assert_eq!(due.first_response, Some(msk("2026-12-01T11:40")));
    }

    #[test]
    fn a_resolved_ticket_owes_nothing() {
        let clock = Clock {
            resolved_at: Some(msk("2026-12-02T12:00")),
            last_customer_message_at: Some(msk("2026-12-02T11:00")),
            ..replied(msk("2026-12-01T10:30"))
        };
        assert_eq!(due(&policy(), &office(), &clock), Due::default());
    }

    #[test]
    fn round_the_clock_policies_count_absolute_time() {
        let opened = msk("2026-12-05T03:00");
        let due = due(&policy(), &Calendar::always(), &Clock::opened(opened));
        assert_eq!(due.first_response, Some(msk("2026-12-05T04:00")));
        assert_eq!(due.resolution, Some(msk("2026-12-07T03:00")));
    }

    #[test]
    fn warnings_come_the_working_time_before() {
        let cal = office();
        let warn = |due, before| warning_at(msk(due), before, &cal);
        assert_eq!(
            warn("2026-12-01T11:00", Target::Minutes(30)),
            msk("2026-12-01T10:30")
        );
        assert_eq!(
            warn("2026-12-07T11:00", Target::Hours(4)),
            msk("2026-12-04T16:00")
        );
        assert_eq!(
            warn("2026-12-07T09:15", Target::Minutes(30)),
            msk("2026-12-04T17:45")
        );
        assert_eq!(
            warn("2026-12-03T10:00", Target::Days(1)),
            msk("2026-12-02T10:00")
        );
        let always = Calendar::always();
        let due = msk("2026-12-06T03:00");
        let at = warning_at(due, Target::Minutes(30), &always);
        assert_eq!(at, due - jiff::SignedDuration::from_mins(30));
    }

    #[test]
    fn outcomes_meet_at_the_due_time_and_breach_after() {
        let due = msk("2026-12-01T11:00");
        assert_eq!(outcome(due, msk("2026-12-01T10:59")), Outcome::Met);
        assert_eq!(outcome(due, due), Outcome::Met);
        assert_eq!(outcome(due, msk("2026-12-01T11:01")), Outcome::Breached);
    }
}
