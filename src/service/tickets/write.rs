//! The one door through which every ticket change goes, from every entry
//! point (portal, workspace, bulk actions, mail, API, CLI, jobs):
//!
//! ```text
//! let mut w = TicketWrite::open(app, &mut tx, actor, target, need, expect).await?; // access + lock
//! w.apply(&mut tx, Change::Priority(High)).await?;                                 // typed changes
//! w.commit(&mut tx).await?;   // history, journal, counters, outbox, audit, live event
//! tx.commit().await?;
//! ```
//!
//! `open` starts with the access decision and the row lock (`create`
//! inserts the new row, which locks it), so every write to one ticket is
//! serialised and nothing is written before the lock. `apply` changes the
//! ticket by the domain rules and records what happened; `commit`
//! (commit.rs) is the only code that writes the side tables.

use sqlx::PgConnection;
use time::OffsetDateTime;

use super::change::Change;
use super::commit::Mail;
use crate::domain::access::{AccessLevel, Scope, scope};
use crate::domain::ids::{MessageId, TicketId, TicketNumber, UserId};
use crate::domain::journal::JournalKind;
use crate::domain::messages::Kind;
use crate::service::{Conflict, Error, Result};
use crate::state::AppState;
use crate::store;
use crate::store::history::NewHistory;
use crate::store::tickets::{NewTicket, Target, TicketState};
use crate::store::users::UserRow;

/// Who makes a change.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A signed-in person (portal, workspace, API, CLI): the access rule decides.
    User(&'a UserRow),
    /// The mail gateway, writing for the sender of a mail. Its own rules
    /// (threading, the staff-mail policy) decided which ticket it is.
    Mail(&'a UserRow),
    /// Bilet itself (jobs).
    System,
}

impl<'a> Actor<'a> {
    /// The person, if any.
    pub fn user(&self) -> Option<&'a UserRow> {
        match self {
            Actor::User(u) | Actor::Mail(u) => Some(u),
            Actor::System => None,
        }
    }

    pub fn id(&self) -> Option<UserId> {
        self.user().map(|u| u.id)
    }

    /// The tickets this actor reaches at `need`.
    pub fn scope(&self, need: AccessLevel) -> Scope {
        match self {
            Actor::User(u) => scope(&u.viewer(), need),
            Actor::Mail(_) | Actor::System => Scope::All,
        }
    }
}

/// What the caller expects of the ticket it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The version the form was made from: an older page must not
    /// overwrite newer work.
    Version(i32),
    /// Whatever it is now (mail, jobs, actions that are not edits).
    Current,
}

/// One step of a write, as the journal and history will record it.
#[derive(Debug, Clone)]
pub(super) struct Step {
    pub kind: JournalKind,
    pub before: TicketState,
    pub after: TicketState,
    pub message: Option<(MessageId, Kind)>,
    pub data: serde_json::Value,
    pub history: Option<NewHistory>,
}

/// A ticket being changed, locked for this transaction.
pub struct TicketWrite<'a> {
    pub(super) app: &'a AppState,
    pub(super) actor: Actor<'a>,
    /// None: the ticket is opened by this write.
    pub(super) before: Option<TicketState>,
    pub(super) t: TicketState,
    pub(super) steps: Vec<Step>,
    pub(super) mails: Vec<Mail>,
    pub(super) audit: Vec<(&'static str, serde_json::Value)>,
    pub(super) now: OffsetDateTime,
    /// The escalation job acted on everything due up to `now`.
    pub(super) sla_checked: bool,
    /// Recompute the due times even without a step (a policy changed).
    pub(super) sla_refresh: bool,
    /// Warnings and breaches the commit tells the managers about.
    pub(super) escalations: Vec<super::sla::Escalation>,
}

impl<'a> TicketWrite<'a> {
    /// Locks an existing ticket if `actor` reaches it at `need`. Out of
    /// reach entirely: `NotFound`; visible to staff but not at this level:
    /// `Forbidden`; changed since the form was made: `Conflict(Stale)`.
    pub async fn open(
        app: &'a AppState,
        tx: &mut PgConnection,
        actor: Actor<'a>,
        target: Target,
        need: AccessLevel,
        expect: Expect,
    ) -> Result<TicketWrite<'a>> {
        let Some(t) = store::tickets::lock(tx, target, actor.scope(need)).await? else {
            let staff = actor.user().is_some_and(|u| u.role.is_staff());
            if staff
                && store::tickets::exists(&mut *tx, target, actor.scope(AccessLevel::Read)).await?
            {
                return Err(Error::Forbidden);
            }
            return Err(Error::NotFound);
        };
        if let Expect::Version(v) = expect
            && v != t.version
        {
            return Err(Error::Conflict(Conflict::Stale));
        }
        Ok(TicketWrite {
            app,
            actor,
            before: Some(t.clone()),
            t,
            steps: Vec::new(),
            mails: Vec::new(),
            audit: Vec::new(),
            now: OffsetDateTime::now_utc(),
            sla_checked: false,
            sla_refresh: false,
            escalations: Vec::new(),
        })
    }

    /// Opens a new ticket: the insert is the lock. `via` says how it came
    /// (web, email, agent, api) for the journal and audit. A split or a
    /// continuation is opened while the write of the ticket it comes from
    /// is open (that one locked first), which records the link.
    pub async fn create(
        app: &'a AppState,
        tx: &mut PgConnection,
        actor: Actor<'a>,
        new: NewTicket,
    ) -> Result<TicketWrite<'a>> {
        // A split or a continuation is allowed by the ticket it comes from;
        // anything else by the department.
        let origin = match (new.split_from, new.continues) {
            (Some(s), _) => Some((s, AccessLevel::Manage)),
            (None, Some(c)) => Some((c, AccessLevel::Reply)),
            (None, None) => None,
        };
        if let Actor::User(u) = actor {
            let allowed = match origin {
                Some((from, need)) => {
                    store::tickets::exists(&mut *tx, Target::Id(from), actor.scope(need)).await?
                }
                None => store::access::may_open(&mut *tx, &u.viewer(), new.department).await?,
            };
            if !allowed {
                return Err(Error::NotFound);
            }
        }
        let t = store::tickets::insert(tx, &new).await?;
        let mut w = TicketWrite {
            app,
            actor,
            before: None,
            t: t.clone(),
            steps: Vec::new(),
            mails: Vec::new(),
            audit: Vec::new(),
            now: OffsetDateTime::now_utc(),
            sla_checked: false,
            sla_refresh: false,
            escalations: Vec::new(),
        };
        w.step(
            JournalKind::Opened,
            t.clone(),
            None,
            serde_json::json!({
                "via": new.via,
                "subject": t.subject,
                "split_from": new.split_from,
                "continues": new.continues,
            }),
            Some(NewHistory {
                ticket: t.id,
                change: "created",
                to_status: Some(t.status),
                to_department: Some(t.department_id),
                ..NewHistory::default()
            }),
        );
        w.audit.push((
            "ticket.opened",
            serde_json::json!({ "via": new.via, "requester": new.requester }),
        ));
        Ok(w)
    }

    /// The ticket as it is now, with the changes applied so far.
    pub fn ticket(&self) -> &TicketState {
        &self.t
    }

    pub fn id(&self) -> TicketId {
        self.t.id
    }

    pub fn number(&self) -> TicketNumber {
        self.t.number
    }

    /// The actor's id for history rows.
    pub(super) fn actor_id(&self) -> Option<UserId> {
        self.actor.id()
    }

    /// Records one step: the state before it is the state so far.
    pub(super) fn step(
        &mut self,
        kind: JournalKind,
        before: TicketState,
        message: Option<(MessageId, Kind)>,
        data: serde_json::Value,
        history: Option<NewHistory>,
    ) {
        let history = history.map(|h| NewHistory {
            actor: self.actor_id(),
            ..h
        });
        self.steps.push(Step {
            kind,
            before,
            after: self.t.clone(),
            message,
            data,
            history,
        });
    }

    /// Applies one typed change (change.rs holds the rules).
    pub async fn apply(&mut self, tx: &mut PgConnection, change: Change) -> Result<Applied> {
        super::change::apply(self, tx, change).await
    }
}

/// What applying a change produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// The message it added.
    pub message: Option<MessageId>,
    /// What an erasure removed.
    pub erased: store::erasure::Removed,
}
