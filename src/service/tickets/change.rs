//! The typed changes a [`TicketWrite`] takes, and the rules that decide
//! their effects: a customer message reopens, an agent reply waits on the
//! customer and takes an unassigned ticket, a transfer keeps the assignee
//! only where they still work. Each records its steps for the commit.

use serde_json::json;
use sqlx::PgConnection;

use super::post::{self, Post};
use super::write::{Applied, TicketWrite};
use crate::domain::access::AccessLevel;
use crate::domain::ids::{DepartmentId, MessageId, TicketId, TicketNumber, UserId};
use crate::domain::journal::JournalKind;
use crate::domain::messages::Kind;
use crate::domain::priority::Priority;
use crate::domain::status::{self, Action, Status, TransitionError};
use crate::service::{Conflict, Error, FieldErrors, Result};
use crate::store;
use crate::store::history::NewHistory;

/// One change to a ticket.
#[derive(Debug, Clone)]
pub enum Change {
    /// A message: customer, agent reply, internal note or system.
    Message(Box<Post>),
    /// An agent sets the status.
    Status(Status),
    /// The customer's "my problem is solved".
    Solved,
    /// The auto-close job closes a resolved ticket.
    AutoClose,
    Priority(Priority),
    /// Assign to someone who works the department, or to nobody.
    Assign(Option<UserId>),
    /// Move to another department.
    Transfer(DepartmentId),
    /// This ticket's conversation moves into `into` (locked by the caller
    /// in its own write); this one closes and leads there from now on.
    MergeInto {
        into: TicketId,
        number: TicketNumber,
    },
    /// The other side of a merge: `from`'s conversation arrived here.
    MergedFrom {
        from: TicketId,
        number: TicketNumber,
    },
    /// One message moves out into the new ticket `into`.
    SplitOut {
        message: MessageId,
        into: TicketId,
        number: TicketNumber,
    },
    /// The other side of a split: this new ticket received the message.
    SplitIn {
        message: MessageId,
        kind: Kind,
        from: TicketId,
        number: TicketNumber,
    },
    /// A rating of the whole ticket (no message) or of one agent reply.
    Rate {
        message: Option<MessageId>,
        stars: i16,
        comment: String,
    },
    /// A link to another ticket (continuation, mention, split).
    Link {
        other: TicketId,
        kind: &'static str,
    },
    /// Someone joins the conversation (a Cc by mail).
    Participant {
        user: UserId,
        via: &'static str,
    },
    /// A system message's note says something new (a failure reported again).
    Renote {
        message: MessageId,
        note: String,
    },
    /// The escalation job: warn and breach what is due now.
    SlaCheck,
    /// The policy or calendar changed: recompute the due times.
    SlaRefresh,
    /// A customer's content goes on request (`erase.rs`).
    Erase {
        customer: UserId,
    },
}

impl Change {
    /// A message (boxed: it is far larger than the other changes).
    pub fn message(post: Post) -> Change {
        Change::Message(Box::new(post))
    }
}

fn transition(from: Status, action: Action) -> Result<Status> {
    status::transition(from, action).map_err(|e| {
        Error::Conflict(match e {
            TransitionError::AlreadyClosed => Conflict::AlreadyClosed,
            TransitionError::NotResolved => Conflict::NotResolved,
            TransitionError::Unchanged(_) => Conflict::Unchanged,
        })
    })
}

pub(super) async fn apply(
    w: &mut TicketWrite<'_>,
    tx: &mut PgConnection,
    change: Change,
) -> Result<Applied> {
    let allowed_merged = matches!(
        change,
        Change::Link { .. } | Change::SlaCheck | Change::SlaRefresh | Change::Erase { .. }
    );
    if w.t.merged_into_id.is_some() && !allowed_merged {
        return Err(Error::Conflict(Conflict::Merged));
    }
    match change {
        Change::Message(p) => return message(w, tx, *p).await,
        Change::Status(to) => {
            let to = transition(w.t.status, Action::AgentSet(to))?;
            set_status(w, to);
        }
        Change::Solved => {
            let to = transition(w.t.status, Action::CustomerSolved)?;
            set_status(w, to);
        }
        Change::AutoClose => {
            let to = transition(w.t.status, Action::AutoClose)?;
            set_status(w, to);
        }
        Change::Priority(to) => {
            if w.t.priority == to {
                return Err(Error::Conflict(Conflict::Unchanged));
            }
            set_priority(w, to);
        }
        Change::SlaCheck => super::sla::check(w, tx).await?,
        Change::SlaRefresh => w.sla_refresh = true,
        Change::Erase { customer } => {
            let erased = super::erase::apply(w, tx, customer).await?;
            return Ok(Applied {
                erased,
                ..Applied::default()
            });
        }
        Change::Assign(to) => {
            if w.t.assignee_id == to {
                return Err(Error::Conflict(Conflict::Unchanged));
            }
            if let Some(user) = to
                && !store::access::works_in_department(&mut *tx, user, w.t.department_id).await?
            {
                return Err(FieldErrors::one("assignee", "error-assignee-no-access"));
            }
            assign(w, to);
        }
        Change::Transfer(to) => transfer(w, tx, to).await?,
        Change::MergeInto { into, number } => {
            store::tickets::move_all(tx, w.t.id, into).await?;
            store::tickets::link(&mut *tx, w.t.id, into, "merged", w.actor_id()).await?;
            let before = w.t.clone();
            w.t.merged_into_id = Some(into);
            w.step(
                JournalKind::Merged,
                before,
                None,
                json!({ "into": number }),
                None,
            );
            if w.t.status != Status::Closed {
                set_status(w, Status::Closed);
            }
            w.audit.push(("ticket.merged", json!({ "into": number })));
        }
        Change::MergedFrom { from, number } => {
            let before = w.t.clone();
            w.t.last_activity_at = w.now;
            w.step(
                JournalKind::Merged,
                before,
                None,
                json!({ "from": number, "from_ticket": from }),
                None,
            );
        }
        Change::SplitOut {
            message,
            into,
            number,
        } => {
            if !store::tickets::move_message(tx, w.t.id, message, into).await? {
                return Err(Error::NotFound);
            }
            let before = w.t.clone();
            w.step(
                JournalKind::Split,
                before,
                None,
                json!({ "message": message, "into": number }),
                None,
            );
            w.audit.push((
                "ticket.split",
                json!({ "into": number, "message": message }),
            ));
        }
        Change::SplitIn {
            message,
            kind,
            from,
            number,
        } => {
            let before = w.t.clone();
            if matches!(kind, Kind::Customer | Kind::Agent) {
                w.t.last_message_kind = Some(kind);
            }
            w.step(
                JournalKind::Split,
                before,
                Some((message, kind)),
                json!({ "message": message, "from": number, "from_ticket": from }),
                None,
            );
        }
        Change::Rate {
            message,
            stars,
            comment,
        } => rate(w, tx, message, stars, &comment).await?,
        Change::Link { other, kind } => {
            store::tickets::link(&mut *tx, w.t.id, other, kind, w.actor_id()).await?;
            let before = w.t.clone();
            w.step(
                JournalKind::Linked,
                before,
                None,
                json!({ "other": other, "kind": kind }),
                None,
            );
        }
        Change::Renote { message, note } => {
            if !store::messages::set_note(&mut *tx, w.t.id, message, &note).await? {
                return Err(Error::NotFound);
            }
            let before = w.t.clone();
            w.step(
                JournalKind::Message,
                before,
                Some((message, Kind::System)),
                json!({ "renoted": note }),
                None,
            );
        }
        Change::Participant { user, via } => {
            store::tickets::add_participant(&mut *tx, w.t.id, user, via, false).await?;
            let before = w.t.clone();
            w.step(
                JournalKind::Participant,
                before,
                None,
                json!({ "user": user }),
                None,
            );
        }
    }
    Ok(Applied::default())
}

/// Sets the priority, as its own step.
pub(super) fn set_priority(w: &mut TicketWrite<'_>, to: Priority) {
    let before = w.t.clone();
    w.t.priority = to;
    w.step(
        JournalKind::Priority,
        before.clone(),
        None,
        json!({ "from": before.priority, "to": to }),
        Some(NewHistory {
            ticket: w.t.id,
            change: "priority",
            from_priority: Some(before.priority),
            to_priority: Some(to),
            ..NewHistory::default()
        }),
    );
}

/// Sets the status with its stamps, as its own step. Waiting on the
/// customer pauses the service-level clock; leaving that resumes it.
pub(super) fn set_status(w: &mut TicketWrite<'_>, to: Status) {
    let before = w.t.clone();
    if before.status == to {
        return;
    }
    if to == Status::Pending {
        w.t.sla.0.pause(w.now);
    } else if before.status == Status::Pending {
        w.t.sla.0.resume(w.now);
    }
    let (resolved, closed) = status::stamps(to, w.t.resolved_at, w.t.closed_at, w.now);
    w.t.status = to;
    w.t.resolved_at = resolved;
    w.t.closed_at = closed;
    w.t.last_activity_at = w.now;
    w.step(
        JournalKind::Status,
        before.clone(),
        None,
        json!({ "from": before.status, "to": to }),
        Some(NewHistory {
            ticket: w.t.id,
            change: "status",
            from_status: Some(before.status),
            to_status: Some(to),
            ..NewHistory::default()
        }),
    );
}

pub(super) fn assign(w: &mut TicketWrite<'_>, to: Option<UserId>) {
    let before = w.t.clone();
    w.t.assignee_id = to;
    w.step(
        JournalKind::Assignee,
        before.clone(),
        None,
        json!({ "from": before.assignee_id, "to": to }),
        Some(NewHistory {
            ticket: w.t.id,
            change: "assignee",
            from_user: before.assignee_id,
            to_user: to,
            ..NewHistory::default()
        }),
    );
}

pub(super) async fn transfer(
    w: &mut TicketWrite<'_>,
    tx: &mut PgConnection,
    to: DepartmentId,
) -> Result<()> {
    if w.t.department_id == to {
        return Err(FieldErrors::one("department", "error-same-department"));
    }
    if store::departments::find(&mut *tx, to).await?.is_none() {
        return Err(FieldErrors::one("department", "error-department-unknown"));
    }
    // The assignee keeps the ticket only where they still work.
    let keeps = match w.t.assignee_id {
        Some(a) => store::access::works_in_department(&mut *tx, a, to).await?,
        None => true,
    };
    if !keeps {
        assign(w, None);
    }
    let before = w.t.clone();
    w.t.department_id = to;
    w.t.last_activity_at = w.now;
    w.step(
        JournalKind::Department,
        before.clone(),
        None,
        json!({ "from": before.department_id, "to": to }),
        Some(NewHistory {
            ticket: w.t.id,
            change: "department",
            from_department: Some(before.department_id),
            to_department: Some(to),
            ..NewHistory::default()
        }),
    );
    w.audit.push((
        "ticket.transferred",
        json!({ "from": before.department_id, "to": to }),
    ));
    Ok(())
}

async fn rate(
    w: &mut TicketWrite<'_>,
    tx: &mut PgConnection,
    message: Option<MessageId>,
    stars: i16,
    comment: &str,
) -> Result<()> {
    let mut errors = FieldErrors::default();
    if !(1..=5).contains(&stars) {
        errors.add("stars", "error-stars");
    }
    if comment.chars().count() > 2000 {
        errors.add_n("comment", "error-comment-too-long", 2000);
    }
    errors.into_result()?;
    let Some(customer) = w.actor.user().map(|u| u.id) else {
        return Err(Error::Forbidden);
    };
    let agent = match message {
        None if !matches!(w.t.status, Status::Resolved | Status::Closed) => {
            return Err(Error::Conflict(Conflict::NotResolved));
        }
        None => w.t.assignee_id,
        Some(id) => {
            if !w.app.config.tickets.rate_replies {
                return Err(Error::NotFound);
            }
            store::messages::agent_reply_author(&mut *tx, w.t.id, id)
                .await?
                .ok_or(Error::NotFound)?
        }
    };
    let hours = w.app.config.tickets.rating_change_hours;
    let saved = store::ratings::save(
        &mut *tx,
        w.t.id,
        message,
        customer,
        agent,
        stars,
        comment.trim(),
        hours,
    )
    .await?;
    if !saved {
        return Err(Error::Conflict(Conflict::RatingFixed));
    }
    let before = w.t.clone();
    w.step(
        JournalKind::Rated,
        before,
        None,
        json!({ "stars": stars, "message": message, "agent": agent }),
        None,
    );
    Ok(())
}

/// A message, and what it does to the ticket by the status rules.
async fn message(w: &mut TicketWrite<'_>, tx: &mut PgConnection, p: Post) -> Result<Applied> {
    let now = w.now;
    if p.kind == Kind::Customer && !p.silent {
        let window = time::Duration::days(i64::from(w.app.config.tickets.reopen_window_days));
        let since = w.t.resolved_at.or(w.t.closed_at);
        if !status::reply_reopens(w.t.status, since, now, window) {
            return Err(Error::Conflict(Conflict::ReopenWindowPassed));
        }
    }
    let (id, files) = post::insert(w, tx, &p).await?;
    let before = w.t.clone();
    if !p.silent {
        match p.kind {
            Kind::Customer | Kind::Agent => {
                w.t.last_activity_at = now;
                w.t.last_message_kind = Some(p.kind);
            }
            Kind::Note => w.t.last_activity_at = now,
            Kind::System => {}
        }
        match p.kind {
            Kind::Agent => {
                w.t.first_response_at = w.t.first_response_at.or(Some(now));
                w.t.sla.0.agent_replied(now);
            }
            // After the first answer, each customer message waits for the next.
            Kind::Customer if w.t.first_response_at.is_some() => w.t.sla.0.customer_wrote(now),
            _ => {}
        }
    }
    w.step(
        JournalKind::Message,
        before,
        Some((id, p.kind)),
        json!({ "source": p.source, "automatic": p.silent }),
        None,
    );
    if p.silent {
        return Ok(Applied {
            message: Some(id),
            ..Applied::default()
        });
    }
    match p.kind {
        Kind::Customer => {
            let to = transition(w.t.status, Action::CustomerMessage)?;
            set_status(w, to);
        }
        Kind::Agent => {
            let to = transition(w.t.status, Action::AgentReply { then: p.then })?;
            set_status(w, to);
            // An unassigned ticket belongs to whoever answers it.
            if w.t.assignee_id.is_none()
                && let Some(me) = p.author
                && w.actor
                    .user()
                    .is_some_and(|u| u.id == me && u.role.is_staff())
            {
                assign(w, Some(me));
            }
        }
        Kind::Note | Kind::System => {}
    }
    post::queue_mails(w, id, files, &p);
    Ok(Applied {
        message: Some(id),
        ..Applied::default()
    })
}

/// The level a change needs, for callers that open a write for it.
pub fn needs(change: &Change) -> AccessLevel {
    match change {
        Change::Message(_) | Change::Solved | Change::Rate { .. } => AccessLevel::Reply,
        _ => AccessLevel::Manage,
    }
}
