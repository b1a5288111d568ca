//! The end of every ticket write, and the only code that writes ticket
//! history, the change journal, the maintained counts, the ticket's
//! outgoing mail (outbox), its audit trail and its live events. A test
//! (tests/it/invariants.rs) fails when any other module calls the store
//! functions behind them. The live events are NOTIFYs, which PostgreSQL
//! delivers only once the transaction has committed, never for a rollback.

use sqlx::PgConnection;

use super::write::TicketWrite;
use crate::domain::ids::{AttachmentId, DepartmentId, MessageId, TicketId, TicketNumber, UserId};
use crate::domain::journal::JournalKind;
use crate::domain::status::Status;
use crate::events::{self, Event};
use crate::service::mail::{escalation, notifications};
use crate::service::{Error, Result};
use crate::state::AppState;
use crate::store;
use crate::store::counts::Key;
use crate::store::journal::NewEntry;
use crate::store::sla_outcomes::Claim;

/// A mail the write causes, rendered at commit.
#[derive(Debug, Clone)]
pub(super) enum Mail {
    /// The acknowledgement of a new ticket to its requester.
    Ack,
    /// An agent's reply to the requester.
    Reply {
        message: MessageId,
        body: String,
        files: Vec<AttachmentId>,
    },
    /// "A customer wrote" to the assignee or the department's agents.
    AgentNotice { author: String, body: String },
    /// "Your ticket is resolved", with the rating links.
    Resolved,
}

/// The domain of our Message-IDs: the public address's host.
pub(super) fn mail_domain(app: &AppState) -> String {
    notifications::mail_domain(app)
}

/// What a committed write announces and tells its caller.
#[derive(Debug, Clone)]
pub struct Committed {
    pub id: TicketId,
    pub number: TicketNumber,
    pub department: DepartmentId,
    pub version: i32,
    /// Whether anything changed at all.
    pub changed: bool,
}

impl<'a> TicketWrite<'a> {
    /// Asks for the acknowledgement mail of a new ticket.
    pub fn acknowledge(&mut self) {
        self.mails.push(Mail::Ack);
    }

    /// Writes everything the changes imply, in the caller's transaction.
    pub async fn commit(mut self, tx: &mut PgConnection) -> Result<Committed> {
        let clock_moved = self.sla_checked
            || self.sla_refresh
            || self.steps.iter().any(|s| super::sla::moves_clock(s.kind));
        if clock_moved {
            super::sla::refresh(&mut self, tx).await?;
        }
        if self.steps.is_empty() {
            // Only the due times moved: nothing to tell, no new version
            // (an open form stays valid).
            if clock_moved && self.before.as_ref() != Some(&self.t) {
                store::tickets::update(&mut *tx, &self.t).await?;
                let moved = self.before.as_ref().map(|b| b.sla_next_at) != Some(self.t.sla_next_at);
                if moved && !self.sla_checked {
                    events::publish(&mut *tx, &Event::DueChanged { ticket: self.t.id }).await?;
                }
            }
            return Ok(Committed {
                id: self.t.id,
                number: self.t.number,
                department: self.t.department_id,
                version: self.t.version,
                changed: false,
            });
        }
        if let Some(before) = &self.before {
            self.t.version = before.version + 1;
        }
        let t = self.t.clone();
        store::tickets::update(&mut *tx, &t).await?;

        let history: Vec<_> = self
            .steps
            .iter()
            .filter_map(|s| s.history.clone())
            .collect();
        store::history::insert(&mut *tx, &history).await?;

        let actor = self.actor.id();
        let entries: Vec<NewEntry> = self
            .steps
            .iter()
            .map(|s| NewEntry {
                ticket: t.id,
                version: t.version,
                kind: s.kind,
                actor,
                department_before: (s.kind != JournalKind::Opened)
                    .then_some(s.before.department_id),
                department_after: s.after.department_id,
                status_before: (s.kind != JournalKind::Opened).then_some(s.before.status),
                status_after: s.after.status,
                message: s.message.map(|m| m.0),
                message_kind: s.message.map(|m| m.1),
                data: s.data.clone(),
            })
            .collect();
        store::journal::append(&mut *tx, &entries).await?;

        // Merged tickets count nowhere: their number leads to the target.
        let key = |s: &store::tickets::TicketState| {
            s.merged_into_id.is_none().then_some(Key {
                department: s.department_id,
                status: s.status,
                assignee: s.assignee_id,
            })
        };
        let before_key = self.before.as_ref().and_then(key);
        let mut deltas = Vec::new();
        let opened = self.before.is_none();
        if opened || before_key != key(&t) {
            deltas.extend(key(&t).map(|k| (k, 1)));
            deltas.extend(before_key.map(|k| (k, -1)));
        }
        // One sorted key order in every writer.
        deltas.sort();
        store::counts::add(&mut *tx, &deltas).await?;

        if self.resolved_by_support() {
            self.mails.push(Mail::Resolved);
        }
        self.write_mails(tx).await?;
        let told = self.escalate(tx).await?;

        for (kind, data) in std::mem::take(&mut self.audit) {
            store::audit::record(
                &mut *tx,
                store::audit::AuditEntry {
                    actor,
                    kind,
                    ticket: Some(t.id),
                    subject: None,
                    data,
                    ip: None,
                },
            )
            .await?;
        }

        let was = self
            .before
            .as_ref()
            .map(|b| b.department_id)
            .filter(|d| *d != t.department_id);
        // Messages first: a page that hears of one refreshes its timeline.
        let mut out: Vec<Event> = self
            .steps
            .iter()
            .filter_map(|s| s.message)
            .map(|(message, kind)| Event::MessageAdded {
                ticket: t.id,
                number: t.number,
                department: t.department_id,
                message,
                kind,
            })
            .collect();
        out.push(Event::TicketChanged {
            ticket: t.id,
            number: t.number,
            department: t.department_id,
            was,
            version: t.version,
        });
        if !told.is_empty() {
            out.push(Event::Notified { users: told });
        }
        events::publish_all(&mut *tx, &out).await?;
        Ok(Committed {
            id: t.id,
            number: t.number,
            department: t.department_id,
            version: t.version,
            changed: true,
        })
    }

    /// Support (not the customer) resolved the ticket in this write.
    fn resolved_by_support(&self) -> bool {
        let was = self.before.as_ref().map(|b| b.status);
        let by_customer = self.actor.id() == Some(self.t.requester_id);
        self.t.status == Status::Resolved
            && was.is_some_and(|s| s != Status::Resolved)
            && !by_customer
            && self.t.merged_into_id.is_none()
    }

    /// Tells the department's managers of each warning and breach: a mail
    /// and the bell. Returns who was told, for the live event.
    async fn escalate(&mut self, tx: &mut PgConnection) -> Result<Vec<UserId>> {
        let escalations = std::mem::take(&mut self.escalations);
        if escalations.is_empty() {
            return Ok(Vec::new());
        }
        let t = &self.t;
        let managers = store::notifications::managers_to_tell(&mut *tx, t.department_id).await?;
        let department = store::departments::find(&mut *tx, t.department_id)
            .await?
            .ok_or(Error::NotFound)?;
        let users: Vec<UserId> = managers.iter().map(|m| m.id).collect();
        for e in escalations {
            let breach = e.claim == Claim::Breach;
            let escalated = escalation::Escalated {
                ticket: t,
                department_name: &department.name,
                breach,
                target: e.target,
                due: e.due,
            };
            escalation::queue(tx, self.app, &managers, &escalated).await?;
            let kind = if breach { "sla_breach" } else { "sla_warning" };
            // Counted when claimed; a rolled-back claim is claimed again
            // and counted again, which a rate over minutes does not notice.
            metrics::counter!("bilet_sla_escalations_total", "kind" => kind).increment(1);
            let data = serde_json::json!({
                "target": e.target,
                "due": e.due.unix_timestamp(),
            });
            store::notifications::insert(&mut *tx, &users, t.id, kind, &data).await?;
        }
        Ok(users)
    }

    async fn write_mails(&mut self, tx: &mut PgConnection) -> Result<()> {
        let mails = std::mem::take(&mut self.mails);
        if mails.is_empty() {
            return Ok(());
        }
        let app = self.app;
        let t = &self.t;
        let requester = store::users::find(&mut *tx, t.requester_id)
            .await?
            .ok_or(Error::NotFound)?;
        let department = store::departments::find(&mut *tx, t.department_id)
            .await?
            .ok_or(Error::NotFound)?;
        for mail in mails {
            match mail {
                Mail::Ack => {
                    notifications::queue_ack(
                        tx,
                        app,
                        notifications::Ack {
                            ticket: t.id,
                            number: t.number,
                            subject: &t.subject,
                            department_name: &department.name,
                            department_addresses: &department.addresses,
                            requester: &requester,
                        },
                    )
                    .await?;
                }
                Mail::Reply {
                    message,
                    body,
                    files,
                } => {
                    let thread = store::messages::mail_ids(&mut *tx, t.id, message).await?;
                    let agent = self
                        .actor
                        .user()
                        .map(|u| u.name.clone())
                        .unwrap_or_default();
                    let files: Vec<uuid::Uuid> = files.into_iter().map(|f| f.0).collect();
                    notifications::queue_reply(
                        tx,
                        app,
                        notifications::Reply {
                            ticket: t.id,
                            number: t.number,
                            subject: &t.subject,
                            message,
                            body: &body,
                            agent_name: &agent,
                            department_name: &department.name,
                            department_addresses: &department.addresses,
                            requester: &requester,
                            thread: &thread,
                            attachments: &files,
                        },
                    )
                    .await?;
                }
                Mail::Resolved => {
                    crate::service::mail::resolved::queue(tx, app, t, &requester, &department)
                        .await?;
                }
                Mail::AgentNotice { author, body } => {
                    notifications::queue_agent_notice(
                        tx, app, t.id, t.number, &t.subject, &author, &body,
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }
}
