//! What agents do to tickets: reply (with the department's signature),
//! internal notes, status, priority, assignment, transfer, split, merge,
//! and opening a ticket for a customer. Each is one write through the
//! write path, which decides access (404 out of reach, 403 below the level
//! needed) and refuses a form made from an older version of the ticket.

use sqlx::PgConnection;

use super::{Actor, Change, Expect, Post, TicketWrite};
use crate::domain::access::AccessLevel;
use crate::domain::email;
use crate::domain::ids::{DepartmentId, MessageId, TicketNumber, UserId};
use crate::domain::messages::{Kind, MAX_BODY, Source};
use crate::domain::placeholders::{self, Values};
use crate::domain::priority::Priority;
use crate::domain::status::Status;
use crate::domain::users::Role;
use crate::events::{self, Event};
use crate::service::tickets::uploads::Upload;
use crate::service::{Conflict, Error, FieldErrors, Result};
use crate::state::AppState;
use crate::store;
use crate::store::tickets::{NewTicket, Target};
use crate::store::users::UserRow;

fn check_body(body: &str, uploads: &[Upload]) -> Result<()> {
    let mut errors = FieldErrors::default();
    if body.trim().is_empty() && uploads.is_empty() {
        errors.add("body", "error-reply-required");
    } else if body.chars().count() > MAX_BODY {
        errors.add_n("body", "error-body-too-long", MAX_BODY as i64);
    }
    errors.into_result()
}

/// `template` (a signature or canned response) with the ticket's and the
/// agent's values in its placeholders.
pub fn fill(
    template: &str,
    number: TicketNumber,
    department_name: &str,
    customer_name: &str,
    agent: &UserRow,
) -> String {
    let number = number.to_string();
    placeholders::render(
        template,
        &Values {
            agent_name: &agent.name,
            department_name,
            ticket_number: &number,
            customer_name,
        },
    )
}

async fn open<'a>(
    app: &'a AppState,
    tx: &mut PgConnection,
    agent: &'a UserRow,
    number: TicketNumber,
    need: AccessLevel,
    version: Option<i32>,
) -> Result<TicketWrite<'a>> {
    let expect = version.map_or(Expect::Current, Expect::Version);
    TicketWrite::open(
        app,
        tx,
        Actor::User(agent),
        Target::Number(number),
        need,
        expect,
    )
    .await
}

/// An agent's public reply: signature appended, mailed to the requester,
/// status set ("waiting on customer" unless chosen otherwise). An
/// unassigned ticket is assigned to the agent who answers it.
pub async fn reply(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    version: i32,
    body: &str,
    uploads: &[Upload],
    then: Option<Status>,
) -> Result<()> {
    let post = Written {
        version: Some(version),
        source: Source::Web,
        idempotency: None,
    };
    reply_from(app, agent, number, post, body, uploads, then)
        .await
        .map(|_| ())
}

/// Where a message was written and from which version of the ticket
/// (None: whatever it is now).
#[derive(Debug, Clone)]
pub struct Written {
    pub version: Option<i32>,
    pub source: Source,
    /// The API token and Idempotency-Key of the request: the message is
    /// recorded against them in its own transaction, so a retry after the
    /// node died past the commit gets it back instead of posting again.
    pub idempotency: Option<(crate::domain::ids::TokenId, String)>,
}

/// Records the message a keyed request made, in the message's transaction.
async fn made(
    tx: &mut sqlx::PgConnection,
    from: &Written,
    number: TicketNumber,
    message: Option<MessageId>,
) -> Result<()> {
    if let Some((token, key)) = &from.idempotency {
        store::api_tokens::made(&mut *tx, *token, key, number, message).await?;
    }
    Ok(())
}

/// [`reply`] from any entry point; returns the new message's id.
pub async fn reply_from(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    from: Written,
    body: &str,
    uploads: &[Upload],
    then: Option<Status>,
) -> Result<MessageId> {
    check_body(body, uploads)?;
    let mut tx = app.db.begin().await?;
    let mut w = open(
        app,
        &mut tx,
        agent,
        number,
        AccessLevel::Reply,
        from.version,
    )
    .await?;
    let facts = store::tickets::signature_facts(&mut *tx, w.id()).await?;
    let signature = fill(
        &facts.signature,
        number,
        &facts.department_name,
        &facts.customer_name,
        agent,
    );
    let full = if signature.trim().is_empty() {
        body.trim_end().to_string()
    } else {
        format!("{}\n\n{}", body.trim_end(), signature.trim_end())
    };
    let post = Post {
        then,
        source: from.source,
        ..Post::web(Kind::Agent, agent.id, &full, uploads)
    };
    let applied = w.apply(&mut tx, Change::message(post)).await?;
    w.commit(&mut tx).await?;
    made(&mut tx, &from, number, applied.message).await?;
    tx.commit().await?;
    applied.message.ok_or(Error::NotFound)
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
    let from = Written {
        version: Some(version),
        source: Source::Web,
        idempotency: None,
    };
    note_from(app, agent, number, from, body, uploads)
        .await
        .map(|_| ())
}

/// [`note`] from any entry point; returns the new message's id.
pub async fn note_from(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    from: Written,
    body: &str,
    uploads: &[Upload],
) -> Result<MessageId> {
    check_body(body, uploads)?;
    let mut tx = app.db.begin().await?;
    let mut w = open(
        app,
        &mut tx,
        agent,
        number,
        AccessLevel::Reply,
        from.version,
    )
    .await?;
    let post = Post {
        source: from.source,
        ..Post::web(Kind::Note, agent.id, body.trim_end(), uploads)
    };
    let applied = w.apply(&mut tx, Change::message(post)).await?;
    w.commit(&mut tx).await?;
    made(&mut tx, &from, number, applied.message).await?;
    tx.commit().await?;
    applied.message.ok_or(Error::NotFound)
}

/// One property change on one ticket, at `version` (None: the current one).
/// Setting a priority or assignee it already has is no change at all.
pub async fn change(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    version: Option<i32>,
    change: Change,
) -> Result<()> {
    let need = match &change {
        Change::Assign(Some(to)) if *to == agent.id => AccessLevel::Reply,
        other => super::change::needs(other),
    };
    let quiet = matches!(change, Change::Priority(_) | Change::Assign(_));
    let mut tx = app.db.begin().await?;
    let mut w = open(app, &mut tx, agent, number, need, version).await?;
    match w.apply(&mut tx, change).await {
        Ok(_) => {}
        Err(Error::Conflict(Conflict::Unchanged)) if quiet => return Ok(()),
        Err(e) => return Err(e),
    }
    w.commit(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// The properties panel: status, priority, assignee and department as the
/// agent left them. Only what differs from the ticket is applied, all in one
/// write (one version bump, one event), so saving the panel after changing
/// one select changes that one property.
/// A field left None stays as it is (the API sends only what changes).
pub struct Properties<'a> {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub assignee: Option<Option<UserId>>,
    pub department: Option<DepartmentId>,
    /// An internal note for the receiving department, with a transfer.
    pub note: &'a str,
}

pub async fn properties(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    version: i32,
    p: Properties<'_>,
) -> Result<Vec<&'static str>> {
    let mut tx = app.db.begin().await?;
    let mut w = open(
        app,
        &mut tx,
        agent,
        number,
        AccessLevel::Manage,
        Some(version),
    )
    .await?;
    let t = w.ticket().clone();
    let mut changes = Vec::new();
    if let Some(status) = p.status.filter(|s| *s != t.status) {
        changes.push(("status", Change::Status(status)));
    }
    if let Some(priority) = p.priority.filter(|p| *p != t.priority) {
        changes.push(("priority", Change::Priority(priority)));
    }
    if let Some(assignee) = p.assignee.filter(|a| *a != t.assignee_id) {
        changes.push(("assignee", Change::Assign(assignee)));
    }
    // The department last: a transfer may take the ticket out of reach.
    if let Some(department) = p.department.filter(|d| *d != t.department_id) {
        changes.push(("department", Change::Transfer(department)));
        if !p.note.trim().is_empty() {
            let post = Post::web(Kind::Note, agent.id, p.note.trim(), &[]);
            changes.push(("note", Change::message(post)));
        }
    }
    if changes.is_empty() {
        return Err(Error::Conflict(Conflict::Unchanged));
    }
    let mut done = Vec::new();
    for (what, change) in changes {
        w.apply(&mut tx, change).await?;
        done.push(what);
    }
    w.commit(&mut tx).await?;
    tx.commit().await?;
    Ok(done)
}

/// Sets the status directly.
pub async fn set_status(
    app: &AppState,
    agent: &UserRow,
    n: TicketNumber,
    v: i32,
    to: Status,
) -> Result<()> {
    change(app, agent, n, Some(v), Change::Status(to)).await
}

/// Sets the priority.
pub async fn set_priority(
    app: &AppState,
    agent: &UserRow,
    n: TicketNumber,
    v: i32,
    to: Priority,
) -> Result<()> {
    change(app, agent, n, Some(v), Change::Priority(to)).await
}

/// Assigns the ticket (None: nobody). Taking a ticket oneself needs reply
/// level; assigning someone else needs manage. The assignee must work in
/// the ticket's department.
pub async fn assign(
    app: &AppState,
    agent: &UserRow,
    n: TicketNumber,
    v: i32,
    to: Option<UserId>,
) -> Result<()> {
    change(app, agent, n, Some(v), Change::Assign(to)).await
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
    let mut tx = app.db.begin().await?;
    let mut w = open(
        app,
        &mut tx,
        agent,
        number,
        AccessLevel::Manage,
        Some(version),
    )
    .await?;
    w.apply(&mut tx, Change::Transfer(to)).await?;
    if !note.trim().is_empty() {
        let post = Post::web(Kind::Note, agent.id, note.trim(), &[]);
        w.apply(&mut tx, Change::message(post)).await?;
    }
    w.commit(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves one message into a new ticket of the same requester and
/// department, linked both ways. Returns the new number.
/// The subject a split proposes: the message's own (from its mail), else
/// the ticket's.
pub async fn split_subject(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    message: MessageId,
) -> Result<String> {
    let mut tx = app.db.begin().await?;
    let source = open(app, &mut tx, agent, number, AccessLevel::Manage, None).await?;
    let (subject, _) = store::messages::subject_and_kind(&mut *tx, source.id(), message)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(subject
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| source.ticket().subject.clone()))
}

/// Moves one message into a new ticket with `subject`.
pub async fn split(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    message: MessageId,
    subject: &str,
) -> Result<TicketNumber> {
    let subject = subject.trim();
    if subject.chars().count() > crate::domain::messages::MAX_SUBJECT {
        let mut errors = FieldErrors::default();
        errors.add_n(
            "subject",
            "error-subject-too-long",
            crate::domain::messages::MAX_SUBJECT as i64,
        );
        return Err(Error::Invalid(errors));
    }
    let mut tx = app.db.begin().await?;
    let mut source = open(app, &mut tx, agent, number, AccessLevel::Manage, None).await?;
    let (_, kind) = store::messages::subject_and_kind(&mut *tx, source.id(), message)
        .await?
        .ok_or(Error::NotFound)?;
    if store::messages::count_for_ticket(&mut *tx, source.id()).await? < 2 {
        return Err(Error::Conflict(Conflict::SplitLastMessage));
    }
    let t = source.ticket().clone();
    let mut new = TicketWrite::create(
        app,
        &mut tx,
        Actor::User(agent),
        NewTicket {
            organisation: t.organisation_id,
            via: "agent",
            split_from: Some(t.id),
            ..NewTicket::basic(subject, t.department_id, t.requester_id)
        },
    )
    .await?;
    let into = (new.id(), new.number());
    source
        .apply(
            &mut tx,
            Change::SplitOut {
                message,
                into: into.0,
                number: into.1,
            },
        )
        .await?;
    new.apply(
        &mut tx,
        Change::SplitIn {
            message,
            kind,
            from: t.id,
            number,
        },
    )
    .await?;
    source
        .apply(
            &mut tx,
            Change::Link {
                other: into.0,
                kind: "split",
            },
        )
        .await?;
    // One link row, old → new: each side reads its own direction from it
    // ("Split into" here, "Split from" there).
    source.commit(&mut tx).await?;
    new.commit(&mut tx).await?;
    tx.commit().await?;
    Ok(into.1)
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
    if number == into {
        return Err(FieldErrors::one("into", "error-merge-target"));
    }
    let bad_target = |e: Error| match e {
        Error::NotFound | Error::Forbidden | Error::Conflict(Conflict::Merged) => {
            FieldErrors::one("into", "error-merge-target")
        }
        other => other,
    };
    let mut tx = app.db.begin().await?;
    // Both rows are locked in number order, so two opposite merges cannot
    // deadlock.
    let (mut source, mut target) = if number < into {
        let s = open(
            app,
            &mut tx,
            agent,
            number,
            AccessLevel::Manage,
            Some(version),
        )
        .await?;
        let t = open(app, &mut tx, agent, into, AccessLevel::Manage, None)
            .await
            .map_err(bad_target)?;
        (s, t)
    } else {
        let t = open(app, &mut tx, agent, into, AccessLevel::Manage, None)
            .await
            .map_err(bad_target)?;
        let s = open(
            app,
            &mut tx,
            agent,
            number,
            AccessLevel::Manage,
            Some(version),
        )
        .await?;
        (s, t)
    };
    if target.ticket().merged_into_id.is_some() {
        return Err(FieldErrors::one("into", "error-merge-target"));
    }
    let (tid, sid) = (target.id(), source.id());
    source
        .apply(
            &mut tx,
            Change::MergeInto {
                into: tid,
                number: into,
            },
        )
        .await?;
    target
        .apply(&mut tx, Change::MergedFrom { from: sid, number })
        .await?;
    source.commit(&mut tx).await?;
    target.commit(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// "Spam: close and block sender": the ticket closes and later mail from
/// its requester's address is stored and held, never filed (an admin can
/// unblock it).
pub async fn spam(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    version: i32,
) -> Result<()> {
    let mut tx = app.db.begin().await?;
    let mut w = open(
        app,
        &mut tx,
        agent,
        number,
        AccessLevel::Manage,
        Some(version),
    )
    .await?;
    let requester = store::users::find(&mut *tx, w.ticket().requester_id)
        .await?
        .ok_or(Error::NotFound)?;
    if requester.role != Role::Customer {
        return Err(Error::Forbidden);
    }
    match w.apply(&mut tx, Change::Status(Status::Closed)).await {
        Ok(_) | Err(Error::Conflict(Conflict::Unchanged)) => {}
        Err(other) => return Err(other),
    }
    let reason = format!("spam on #{number}");
    store::blocked::block(&mut *tx, &requester.email, agent.id, &reason).await?;
    w.commit(&mut tx).await?;
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
    /// Opened through the REST API rather than the workspace.
    pub api: bool,
    /// The API request's token and Idempotency-Key: the ticket is recorded
    /// against them in its own transaction, so a retry after a crash finds
    /// it instead of opening another.
    pub idempotency: Option<(crate::domain::ids::TokenId, String)>,
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
    let allowed = match input.department {
        Some(d) => store::access::may_open(&app.db, &agent.viewer(), d).await?,
        None => false,
    };
    if !allowed {
        errors.add("department", "error-department-unknown");
    }
    if input.subject.trim().is_empty() {
        errors.add("subject", "error-subject-required");
    }
    if input.body.trim().is_empty() {
        errors.add("body", "error-body-required");
    }
    errors.into_result()?;
    let (Some(address), Some(department)) = (address, input.department) else {
        return Err(Error::NotFound);
    };
    let existing = store::users::find_by_email(&app.db, &address).await?;
    if existing.as_ref().is_some_and(|u| u.role != Role::Customer) {
        return Err(FieldErrors::one("email", "error-email-staff"));
    }
    // A new customer's account is made first, on its own: the ticket's
    // transaction begins with the ticket.
    let customer = match existing {
        Some(u) => u,
        None => {
            let mut tx = app.db.begin().await?;
            let name = Some(input.name.as_str());
            let u = crate::service::accounts::customer_for_address(&mut tx, &address, name).await?;
            tx.commit().await?;
            u
        }
    };
    let mut tx = app.db.begin().await?;
    let subject = input.subject.trim();
    let mut w = TicketWrite::create(
        app,
        &mut tx,
        Actor::User(agent),
        NewTicket {
            organisation: customer.organisation_id,
            via: if input.api { "api" } else { "agent" },
            ..NewTicket::basic(subject, department, customer.id)
        },
    )
    .await?;
    let post = Post {
        subject: Some(subject.to_string()),
        // The agent is the one who knows: nobody to tell.
        notify: false,
        source: if input.api { Source::Api } else { Source::Web },
        ..Post::web(
            Kind::Customer,
            customer.id,
            input.body.trim_end(),
            &input.uploads,
        )
    };
    w.apply(&mut tx, Change::message(post)).await?;
    if input.notify {
        w.acknowledge();
    }
    let done = w.commit(&mut tx).await?;
    if let Some((token, key)) = &input.idempotency {
        crate::store::api_tokens::made(&mut *tx, *token, key, done.number, None).await?;
    }
    tx.commit().await?;
    Ok(done.number)
}

/// Announces that `agent` is looking at (or typing on) a ticket. Not a
/// change of the ticket: it goes on the bus alone.
pub async fn presence(
    app: &AppState,
    agent: &UserRow,
    number: TicketNumber,
    typing: bool,
) -> Result<()> {
    let t = super::view::find(&app.db, &agent.viewer(), number, AccessLevel::Read).await?;
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
