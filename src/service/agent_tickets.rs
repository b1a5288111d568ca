//! What agents do to tickets: reply, note, status, priority, assignment,
//! transfer, split, merge, and opening a ticket for a customer. Each is
//! one transaction that first checks the access level (404 when the ticket
//! is out of reach, 403 when the level is too low) and, for forms, the
//! ticket's version, so a stale page never overwrites newer work.

use serde_json::json;
use sqlx::PgConnection;

use super::posts::{self, Opened, Post};
use super::uploads::Upload;
use super::{Error, FieldErrors, Result, notifications};
use crate::app::AppState;
use crate::domain::access::{AccessLevel, scope};
use crate::domain::email;
use crate::domain::ids::{DepartmentId, MessageId, TicketId, TicketNumber, UserId};
use crate::domain::messages::{Kind, MAX_BODY};
use crate::domain::placeholders::{self, Values};
use crate::domain::priority::Priority;
use crate::domain::status::{self, Action, Status};
use crate::domain::users::Role;
use crate::events::{self, Event};
use crate::store;
use crate::store::audit::AuditEntry;
use crate::store::tickets::TicketDetail;
use crate::store::users::UserRow;

/// The ticket if `agent` reaches it at `need`. Out of reach entirely:
/// `NotFound`; visible but not at this level: `Forbidden`.
pub async fn ticket_for(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    need: AccessLevel,
) -> Result<TicketDetail> {
    let viewer = agent.viewer();
    if let Some(t) = store::tickets::detail(&app.db, scope(&viewer, need), number).await? {
        return Ok(t);
    }
    match store::tickets::detail(&app.db, scope(&viewer, AccessLevel::Read), number).await? {
        Some(_) if agent.role.is_staff() => Err(Error::Forbidden),
        _ => Err(Error::NotFound),
    }
}

async fn check_version(tx: &mut PgConnection, id: TicketId, version: i32) -> Result<()> {
    if store::ticket_changes::lock_version(tx, id, version).await? {
        Ok(())
    } else {
        Err(Error::Conflict("stale"))
    }
}

async fn add_message(
    tx: &mut PgConnection,
    ticket: TicketId,
    kind: Kind,
    author: UserId,
    body: &str,
    uploads: &[Upload],
) -> Result<(MessageId, Vec<uuid::Uuid>)> {
    let post = Post {
        ticket,
        kind,
        author,
        subject: None,
        body,
        uploads,
    };
    let (id, files) = posts::add(tx, post).await?;
    // The outbox row lists attachments by their plain ids.
    Ok((id, files.into_iter().map(|f| f.0).collect()))
}

fn check_body(body: &str, uploads: &[Upload]) -> Result<()> {
    let mut errors = FieldErrors::default();
    if body.trim().is_empty() && uploads.is_empty() {
        errors.add("body", "error-reply-required");
    } else if body.chars().count() > MAX_BODY {
        errors.add_n("body", "error-body-too-long", MAX_BODY as i64);
    }
    errors.into_result()
}

/// The department's signature with its placeholders filled in.
pub fn signature(ticket: &TicketDetail, agent: &UserRow) -> String {
    fill(&ticket.signature, ticket, agent)
}

/// `template` (a signature or canned response) with the ticket's and the
/// agent's values in its placeholders.
pub fn fill(template: &str, ticket: &TicketDetail, agent: &UserRow) -> String {
    let number = ticket.number.to_string();
    placeholders::render(
        template,
        &Values {
            agent_name: &agent.name,
            department_name: &ticket.department_name,
            ticket_number: &number,
            customer_name: &ticket.requester_name,
        },
    )
}

async fn publish_message(
    tx: &mut PgConnection,
    t: &TicketDetail,
    message: MessageId,
    kind: Kind,
) -> Result<()> {
    events::publish(
        &mut *tx,
        &Event::MessageAdded {
            ticket: t.id,
            number: t.number,
            department: t.department_id,
            message,
            kind,
        },
    )
    .await?;
    Ok(())
}

async fn publish_change(
    tx: &mut PgConnection,
    id: TicketId,
    number: TicketNumber,
    department: DepartmentId,
) -> Result<()> {
    events::publish(
        &mut *tx,
        &Event::TicketChanged {
            ticket: id,
            number,
            department,
        },
    )
    .await?;
    Ok(())
}

/// An agent's public reply: signature appended, mailed to the requester,
/// status set ("waiting on customer" unless chosen otherwise). An
/// unassigned ticket is assigned to the agent who answers it.
#[allow(clippy::too_many_arguments)]
pub async fn reply(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    version: i32,
    body: &str,
    uploads: &[Upload],
    then: Option<Status>,
) -> Result<()> {
    let t = ticket_for(app, agent, number, AccessLevel::Reply).await?;
    check_body(body, uploads)?;
    let signature = signature(&t, agent);
    let full = if signature.trim().is_empty() {
        body.trim_end().to_string()
    } else {
        format!("{}\n\n{}", body.trim_end(), signature.trim_end())
    };
    let to = status::transition(t.status, Action::AgentReply { then })
        .map_err(|_| Error::Conflict("status"))?;
    let requester = store::users::find(&app.db, t.requester_id)
        .await?
        .ok_or(Error::NotFound)?;
    let addresses = store::departments::list(&app.db)
        .await?
        .into_iter()
        .find(|d| d.id == t.department_id)
        .map(|d| d.addresses)
        .unwrap_or_default();

    let mut tx = app.db.begin().await?;
    check_version(&mut tx, t.id, version).await?;
    let (message, files) =
        add_message(&mut tx, t.id, Kind::Agent, agent.id, &full, uploads).await?;
    if app.settings.get().notify_replies {
        let thread = store::ticket_changes::mail_ids(&mut *tx, t.id).await?;
        let mail_id = notifications::queue_reply(
            &mut tx,
            app,
            notifications::Reply {
                ticket: t.id,
                number: t.number,
                subject: &t.subject,
                message,
                body: &full,
                agent_name: &agent.name,
                department_addresses: &addresses,
                requester: &requester,
                thread: &thread,
                attachments: &files,
            },
        )
        .await?;
        store::messages::set_mail_id(&mut *tx, message, &mail_id).await?;
    }
    store::tickets::after_message(&mut *tx, t.id, Kind::Agent, to).await?;
    if to != t.status {
        store::tickets::status_history(&mut *tx, t.id, t.status, to, Some(agent.id)).await?;
    }
    if t.assignee_id.is_none() {
        store::ticket_changes::assign(&mut tx, t.id, Some(agent.id), agent.id).await?;
    }
    store::search_log::append(&mut *tx, t.id, "upsert").await?;
    publish_message(&mut tx, &t, message, Kind::Agent).await?;
    tx.commit().await?;
    Ok(())
}

/// An internal note: staff only, never mailed, no status change.
pub async fn note(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    version: i32,
    body: &str,
    uploads: &[Upload],
) -> Result<()> {
    let t = ticket_for(app, agent, number, AccessLevel::Reply).await?;
    check_body(body, uploads)?;
    let mut tx = app.db.begin().await?;
    check_version(&mut tx, t.id, version).await?;
    let (message, _) = add_message(
        &mut tx,
        t.id,
        Kind::Note,
        agent.id,
        body.trim_end(),
        uploads,
    )
    .await?;
    store::tickets::touch(&mut *tx, t.id).await?;
    store::search_log::append(&mut *tx, t.id, "upsert").await?;
    publish_message(&mut tx, &t, message, Kind::Note).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the status directly.
pub async fn set_status(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    version: i32,
    to: Status,
) -> Result<()> {
    let t = ticket_for(app, agent, number, AccessLevel::Manage).await?;
    let to = status::transition(t.status, Action::AgentSet(to))
        .map_err(|_| Error::Conflict("unchanged"))?;
    let mut tx = app.db.begin().await?;
    check_version(&mut tx, t.id, version).await?;
    store::tickets::change_status(&mut *tx, t.id, to).await?;
    store::tickets::status_history(&mut *tx, t.id, t.status, to, Some(agent.id)).await?;
    publish_change(&mut tx, t.id, t.number, t.department_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the priority.
pub async fn set_priority(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    version: i32,
    to: Priority,
) -> Result<()> {
    let t = ticket_for(app, agent, number, AccessLevel::Manage).await?;
    if t.priority == to {
        return Ok(());
    }
    let mut tx = app.db.begin().await?;
    check_version(&mut tx, t.id, version).await?;
    store::ticket_changes::set_priority(&mut tx, t.id, t.priority, to, agent.id).await?;
    publish_change(&mut tx, t.id, t.number, t.department_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Assigns the ticket (None: nobody). Taking a ticket oneself needs reply
/// level; assigning someone else needs manage. The assignee must be able to
/// work in the ticket's department.
pub async fn assign(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    version: i32,
    to: Option<UserId>,
) -> Result<()> {
    let need = if to == Some(agent.id) {
        AccessLevel::Reply
    } else {
        AccessLevel::Manage
    };
    let t = ticket_for(app, agent, number, need).await?;
    if let Some(user) = to {
        let allowed = store::ticket_changes::assignable(&app.db, t.department_id).await?;
        if !allowed.iter().any(|(id, _)| *id == user) {
            return Err(FieldErrors::one("assignee", "error-assignee-no-access"));
        }
    }
    if t.assignee_id == to {
        return Ok(());
    }
    let mut tx = app.db.begin().await?;
    check_version(&mut tx, t.id, version).await?;
    store::ticket_changes::assign(&mut tx, t.id, to, agent.id).await?;
    publish_change(&mut tx, t.id, t.number, t.department_id).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves the ticket to another department, with an optional note. Agents
/// without access there lose it at once.
pub async fn transfer(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    version: i32,
    to: DepartmentId,
    note: &str,
) -> Result<()> {
    let t = ticket_for(app, agent, number, AccessLevel::Manage).await?;
    let departments = store::departments::list(&app.db).await?;
    if !departments.iter().any(|d| d.id == to) {
        return Err(FieldErrors::one("department", "error-department-unknown"));
    }
    if t.department_id == to {
        return Err(FieldErrors::one("department", "error-same-department"));
    }
    let mut tx = app.db.begin().await?;
    check_version(&mut tx, t.id, version).await?;
    store::ticket_changes::transfer(&mut tx, t.id, t.department_id, to, agent.id).await?;
    if !note.trim().is_empty() {
        add_message(&mut tx, t.id, Kind::Note, agent.id, note.trim(), &[]).await?;
    }
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: Some(agent.id),
            kind: "ticket.transferred",
            ticket: Some(t.id),
            subject: Some(to.0),
            data: json!({ "from": t.department_id, "to": to }),
            ip: None,
        },
    )
    .await?;
    // Both departments' queues change.
    publish_change(&mut tx, t.id, t.number, t.department_id).await?;
    publish_change(&mut tx, t.id, t.number, to).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves one message into a new ticket of the same requester and
/// department, linked both ways. Returns the new number.
pub async fn split(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    message: MessageId,
) -> Result<TicketNumber> {
    let t = ticket_for(app, agent, number, AccessLevel::Manage).await?;
    let messages = store::messages::list_for_ticket(
        &app.db,
        scope(&agent.viewer(), AccessLevel::Manage),
        t.id,
    )
    .await?;
    if messages.len() < 2 {
        return Err(Error::Conflict("split-last-message"));
    }
    let m = messages
        .iter()
        .find(|m| m.id == message)
        .ok_or(Error::NotFound)?;
    let subject = m
        .subject
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| t.subject.clone());
    let id = TicketId::new();
    let mut tx = app.db.begin().await?;
    let new = store::tickets::insert(
        &mut tx,
        store::tickets::NewTicket {
            actor: Some(agent.id),
            via: "agent",
            ..store::tickets::NewTicket::basic(id, &subject, t.department_id, t.requester_id)
        },
    )
    .await?;
    if !store::ticket_changes::split(&mut tx, t.id, message, id, agent.id).await? {
        return Err(Error::NotFound);
    }
    store::tickets::after_message(&mut *tx, id, m.kind, Status::Open).await?;
    store::search_log::append(&mut *tx, t.id, "upsert").await?;
    store::search_log::append(&mut *tx, id, "upsert").await?;
    publish_change(&mut tx, t.id, t.number, t.department_id).await?;
    publish_change(&mut tx, id, new, t.department_id).await?;
    tx.commit().await?;
    Ok(new)
}

/// Moves every message of this ticket into `into`; this one closes and its
/// number leads to `into` from then on.
pub async fn merge(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    version: i32,
    into: TicketNumber,
) -> Result<()> {
    let source = ticket_for(app, agent, number, AccessLevel::Manage).await?;
    let target = match ticket_for(app, agent, into, AccessLevel::Manage).await {
        Ok(t) => t,
        Err(Error::NotFound | Error::Forbidden) => {
            return Err(FieldErrors::one("into", "error-merge-target"));
        }
        Err(e) => return Err(e),
    };
    if source.id == target.id || target.merged_into.is_some() || source.merged_into.is_some() {
        return Err(FieldErrors::one("into", "error-merge-target"));
    }
    let mut tx = app.db.begin().await?;
    check_version(&mut tx, source.id, version).await?;
    store::ticket_changes::merge(&mut tx, source.id, target.id, agent.id).await?;
    store::search_log::append(&mut *tx, source.id, "delete").await?;
    store::search_log::append(&mut *tx, target.id, "upsert").await?;
    publish_change(&mut tx, source.id, source.number, source.department_id).await?;
    publish_change(&mut tx, target.id, target.number, target.department_id).await?;
    tx.commit().await?;
    Ok(())
}

/// A ticket an agent opens for a customer (a phone call, a chat).
#[derive(Debug, Clone, Default)]
pub struct OnBehalf {
    pub email: String,
    pub name: String,
    pub department: Option<DepartmentId>,
    pub subject: String,
    pub body: String,
    pub uploads: Vec<Upload>,
    /// Mail the customer an acknowledgement as if they had written.
    pub notify: bool,
}

/// Opens a ticket in the customer's name; creates the customer (without a
/// password: they can claim the address later) when the address is new.
pub async fn open_for_customer(
    app: &AppState,
    agent: &UserRow,
    input: OnBehalf,
) -> Result<TicketNumber> {
    let mut errors = FieldErrors::default();
    let address = email::normalize(&input.email);
    if address.is_none() {
        errors.add("email", "error-email-invalid");
    }
    let department = match input.department {
        Some(d) => match store::ticket_changes::level_of(&app.db, agent.id, d).await? {
            Some(level) if level >= AccessLevel::Reply => store::departments::list(&app.db)
                .await?
                .into_iter()
                .find(|x| x.id == d),
            _ => None,
        },
        None => None,
    };
    if department.is_none() {
        errors.add("department", "error-department-unknown");
    }
    if input.subject.trim().is_empty() {
        errors.add("subject", "error-subject-required");
    }
    if input.body.trim().is_empty() {
        errors.add("body", "error-body-required");
    }
    errors.into_result()?;
    let (Some(address), Some(department)) = (address, department) else {
        return Err(Error::NotFound);
    };
    let existing = store::users::find_by_email(&app.db, &address).await?;
    if existing.as_ref().is_some_and(|u| u.role != Role::Customer) {
        return Err(FieldErrors::one("email", "error-email-staff"));
    }
    let mut tx = app.db.begin().await?;
    let customer = match existing {
        Some(u) => u,
        None => {
            let id = UserId::new();
            let name = if input.name.trim().is_empty() {
                address.split('@').next().unwrap_or("")
            } else {
                input.name.trim()
            };
            store::users::insert(
                &mut tx,
                store::users::NewUser {
                    id,
                    role: Role::Customer,
                    name,
                    email: &address,
                    password_hash: None,
                    must_change_password: false,
                    locale: None,
                },
            )
            .await?;
            store::users::find(&mut *tx, id)
                .await?
                .ok_or(Error::NotFound)?
        }
    };
    let id = TicketId::new();
    let subject = input.subject.trim();
    let number = store::tickets::insert(
        &mut tx,
        store::tickets::NewTicket {
            organisation: customer.organisation_id,
            actor: Some(agent.id),
            via: "agent",
            ..store::tickets::NewTicket::basic(id, subject, department.id, customer.id)
        },
    )
    .await?;
    let (message, _) = posts::add(
        &mut tx,
        Post {
            ticket: id,
            kind: Kind::Customer,
            author: customer.id,
            subject: Some(subject),
            body: input.body.trim_end(),
            uploads: &input.uploads,
        },
    )
    .await?;
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: Some(agent.id),
            kind: "ticket.opened",
            ticket: Some(id),
            subject: Some(customer.id.0),
            data: json!({ "via": "agent" }),
            ip: None,
        },
    )
    .await?;
    posts::opened(
        &mut tx,
        app,
        Opened {
            id,
            number,
            subject,
            department: &department,
            requester: &customer,
            message,
            ack: input.notify,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(number)
}

/// Announces that `agent` is looking at (or typing on) a ticket.
pub async fn presence(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    typing: bool,
) -> Result<()> {
    let t = ticket_for(app, agent, number, AccessLevel::Read).await?;
    events::publish(
        &app.db,
        &Event::Presence {
            ticket: t.id,
            number: t.number,
            department: t.department_id,
            user: agent.id,
            name: agent.name.clone(),
            typing,
        },
    )
    .await?;
    Ok(())
}
