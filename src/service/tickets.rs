//! Ticket use cases. Every lookup goes through the access rule: a ticket
//! outside the viewer's scope is `NotFound`. Every change is one
//! transaction: the ticket, its message and attachments, the history row,
//! the search feed, the outbox and the event that announces it.

use std::collections::HashMap;

use serde_json::json;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::posts::{self, Opened, Post};
use super::uploads::Upload;
use super::{Error, FieldErrors, Result, notifications};
use crate::app::AppState;
use crate::domain::access::{AccessLevel, Scope, Viewer, scope};
use crate::domain::ids::{AttachmentId, DepartmentId, MessageId, TicketId, TicketNumber, UserId};
use crate::domain::messages::{Kind, MAX_BODY, MAX_SUBJECT};
use crate::domain::status::{self, Action, Status};
use crate::events::{self, Event};
use crate::store;
use crate::store::audit::AuditEntry;
use crate::store::tickets::{ListCursor, ListRow, TicketDetail, TicketRow};
use crate::store::users::UserRow;

/// The ticket if `viewer` may act on it at `need`; `NotFound` otherwise.
pub async fn find(
    db: &PgPool,
    viewer: &Viewer,
    number: TicketNumber,
    need: AccessLevel,
) -> Result<TicketRow> {
    store::tickets::find_visible(db, scope(viewer, need), number)
        .await?
        .ok_or(Error::NotFound)
}

/// Closes resolved tickets after the configured number of days.
pub async fn auto_close(db: &PgPool, days: u32) -> Result<usize> {
    let closed = store::tickets::auto_close(db, days).await?;
    Ok(closed.len())
}

/// A page of the tickets `viewer` may read, latest activity first.
pub async fn list(
    db: &PgPool,
    viewer: &Viewer,
    after: Option<store::tickets::Cursor>,
    limit: i64,
) -> Result<Vec<TicketRow>> {
    Ok(store::tickets::list_visible(db, scope(viewer, AccessLevel::Read), after, limit).await?)
}

/// A page of a customer's list: active first, then by latest activity,
/// optionally searched. Returns the rows and the cursor of the next page.
pub async fn list_page(
    db: &PgPool,
    viewer: &Viewer,
    search: Option<&str>,
    after: Option<ListCursor>,
    limit: i64,
) -> Result<(Vec<ListRow>, Option<ListCursor>)> {
    let search = search.map(str::trim).filter(|q| !q.is_empty());
    let mut rows = store::tickets::list_page(
        db,
        scope(viewer, AccessLevel::Read),
        search,
        after,
        limit + 1,
    )
    .await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| ListCursor {
            done: r.done,
            last_activity_at: r.last_activity_at,
            id: r.id,
        })
    } else {
        None
    };
    Ok((rows, next))
}

/// What a customer sends with the new-ticket form.
#[derive(Debug, Clone, Default)]
pub struct CustomerTicketInput {
    /// `t-<uuid>` for a help topic or `d-<uuid>` for a department.
    pub topic: String,
    pub product: Option<Uuid>,
    pub subject: String,
    pub body: String,
    /// Answers to the topic's prompts, by prompt key.
    pub answers: HashMap<String, String>,
    pub uploads: Vec<Upload>,
}

/// Where a topic choice leads.
pub struct ResolvedTopic {
    pub department: DepartmentId,
    pub help_topic: Option<store::catalog::HelpTopicRow>,
}

/// Resolves a `t-`/`d-` choice among what customers may pick.
pub async fn resolve_topic(db: &PgPool, choice: &str) -> Result<Option<ResolvedTopic>> {
    if let Some(id) = choice
        .strip_prefix("t-")
        .and_then(|s| s.parse::<Uuid>().ok())
    {
        let topics = store::catalog::visible_help_topics(db).await?;
        return Ok(topics
            .into_iter()
            .find(|t| t.id == id)
            .map(|t| ResolvedTopic {
                department: t.department_id,
                help_topic: Some(t),
            }));
    }
    if let Some(id) = choice
        .strip_prefix("d-")
        .and_then(|s| s.parse::<Uuid>().ok())
    {
        let departments = store::catalog::visible_departments(db).await?;
        return Ok(departments
            .into_iter()
            .find(|d| d.id.0 == id)
            .map(|d| ResolvedTopic {
                department: d.id,
                help_topic: None,
            }));
    }
    Ok(None)
}

fn check_subject_and_body(
    errors: &mut FieldErrors,
    subject: &str,
    body: &str,
    body_required: bool,
) {
    if subject.trim().is_empty() {
        errors.add("subject", "error-subject-required");
    } else if subject.chars().count() > MAX_SUBJECT {
        errors.add_n("subject", "error-subject-too-long", MAX_SUBJECT as i64);
    }
    check_body(errors, body, body_required);
}

fn check_body(errors: &mut FieldErrors, body: &str, required: bool) {
    if required && body.trim().is_empty() {
        errors.add("body", "error-body-required");
    } else if body.chars().count() > MAX_BODY {
        errors.add_n("body", "error-body-too-long", MAX_BODY as i64);
    }
}

/// Checks the form without saving anything; the caller shows the errors.
pub async fn validate_customer_ticket(
    db: &PgPool,
    input: &CustomerTicketInput,
) -> Result<ResolvedTopic> {
    let mut errors = FieldErrors::default();
    let topic = resolve_topic(db, &input.topic).await?;
    match &topic {
        None => errors.add("topic", "error-topic-unknown"),
        Some(ResolvedTopic {
            help_topic: Some(t),
            ..
        }) => {
            for prompt in t.prompts.0.iter().filter(|p| p.required) {
                if input
                    .answers
                    .get(&prompt.key)
                    .is_none_or(|a| a.trim().is_empty())
                {
                    errors.add_named("prompts", "error-prompt-required", &prompt.label, None);
                }
            }
        }
        Some(_) => {}
    }
    if let Some(product) = input.product {
        let products = store::catalog::active_products(db).await?;
        if !products.iter().any(|p| p.id == product) {
            errors.add("product", "error-product-unknown");
        }
    }
    check_subject_and_body(&mut errors, &input.subject, &input.body, true);
    errors.into_result()?;
    topic.ok_or(Error::NotFound)
}

/// One of the customer's active or recently resolved tickets whose subject
/// looks like `subject`: "one problem, one ticket".
pub async fn find_similar(
    db: &PgPool,
    requester: UserId,
    subject: &str,
) -> Result<Option<(TicketNumber, String)>> {
    let recent = store::tickets::recent_of_requester(db, requester, 14).await?;
    Ok(recent
        .into_iter()
        .find(|(_, s)| crate::domain::subjects::similar(s, subject)))
}

/// Opens a ticket from the portal: ticket, first message, attachments,
/// acknowledgement in the outbox, search feed, event, all in one transaction.
pub async fn open_by_customer(
    app: &AppState,
    customer: &UserRow,
    input: CustomerTicketInput,
) -> Result<TicketNumber> {
    let topic = validate_customer_ticket(&app.db, &input).await?;
    let department = store::departments::list(&app.db)
        .await?
        .into_iter()
        .find(|d| d.id == topic.department)
        .ok_or(Error::NotFound)?;
    // Answers in the prompts' order, labelled, for agents to read first.
    let answers: Vec<serde_json::Value> = topic
        .help_topic
        .as_ref()
        .map(|t| {
            t.prompts
                .0
                .iter()
                .filter_map(|p| {
                    let value = input.answers.get(&p.key)?.trim();
                    (!value.is_empty()).then(|| json!({ "label": p.label, "value": value }))
                })
                .collect()
        })
        .unwrap_or_default();

    let id = TicketId::new();
    let subject = input.subject.trim();
    let mut tx = app.db.begin().await?;
    let number = store::tickets::insert(
        &mut tx,
        store::tickets::NewTicket {
            organisation: customer.organisation_id,
            help_topic: topic.help_topic.as_ref().map(|t| t.id),
            product: input.product,
            prompt_answers: json!(answers),
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
            body: &input.body,
            uploads: &input.uploads,
        },
    )
    .await?;
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: Some(customer.id),
            kind: "ticket.opened",
            ticket: Some(id),
            subject: None,
            data: json!({ "via": "web" }),
            ip: None,
        },
    )
    .await?;
    notifications::queue_agent_notice(
        &mut tx,
        app,
        id,
        number,
        subject,
        &customer.name,
        &input.body,
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
            requester: customer,
            message,
            ack: app.settings.get().notify_ack,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(number)
}

/// What a customer's reply did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// Added to the ticket; `reopened` when it had been resolved or closed.
    Added { reopened: bool },
    /// The ticket was closed too long ago: a new ticket, linked to it.
    NewTicket(TicketNumber),
}

/// A customer's reply in the portal. Reopens the ticket by the status
/// rules; after the reopen window, opens a new ticket linked to the old one.
pub async fn customer_reply(
    app: &AppState,
    customer: &UserRow,
    number: TicketNumber,
    body: &str,
    uploads: &[Upload],
) -> Result<ReplyOutcome> {
    let ticket = store::tickets::detail(
        &app.db,
        scope(&customer.viewer(), AccessLevel::Reply),
        number,
    )
    .await?
    .ok_or(Error::NotFound)?;
    let mut errors = FieldErrors::default();
    check_body(&mut errors, body, uploads.is_empty());
    errors.into_result()?;

    let now = OffsetDateTime::now_utc();
    let window = Duration::days(i64::from(app.config.tickets.reopen_window_days));
    let since = ticket.resolved_at.or(ticket.closed_at);
    if !status::reply_reopens(ticket.status, since, now, window) {
        let new = continue_in_new_ticket(app, customer, &ticket, body, uploads).await?;
        return Ok(ReplyOutcome::NewTicket(new));
    }
    let to = status::transition(ticket.status, Action::CustomerMessage)
        .map_err(|_| Error::Conflict("status"))?;
    let mut tx = app.db.begin().await?;
    let (message, _) = posts::add(
        &mut tx,
        Post {
            ticket: ticket.id,
            kind: Kind::Customer,
            author: customer.id,
            subject: None,
            body,
            uploads,
        },
    )
    .await?;
    store::tickets::after_message(&mut *tx, ticket.id, Kind::Customer, to).await?;
    if to != ticket.status {
        store::tickets::status_history(&mut *tx, ticket.id, ticket.status, to, Some(customer.id))
            .await?;
    }
    store::search_log::append(&mut *tx, ticket.id, "upsert").await?;
    notifications::queue_agent_notice(
        &mut tx,
        app,
        ticket.id,
        ticket.number,
        &ticket.subject,
        &customer.name,
        body,
    )
    .await?;
    events::publish(
        &mut *tx,
        &Event::MessageAdded {
            ticket: ticket.id,
            number: ticket.number,
            department: ticket.department_id,
            message,
            kind: Kind::Customer,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ReplyOutcome::Added {
        reopened: matches!(ticket.status, Status::Resolved | Status::Closed),
    })
}

async fn continue_in_new_ticket(
    app: &AppState,
    customer: &UserRow,
    old: &TicketDetail,
    body: &str,
    uploads: &[Upload],
) -> Result<TicketNumber> {
    let department = store::departments::list(&app.db)
        .await?
        .into_iter()
        .find(|d| d.id == old.department_id)
        .ok_or(Error::NotFound)?;
    let id = TicketId::new();
    let mut tx = app.db.begin().await?;
    let number = store::tickets::insert(
        &mut tx,
        store::tickets::NewTicket {
            organisation: customer.organisation_id,
            ..store::tickets::NewTicket::basic(id, &old.subject, old.department_id, customer.id)
        },
    )
    .await?;
    store::tickets::link(&mut *tx, old.id, id, "reopened_as", Some(customer.id)).await?;
    let (message, _) = posts::add(
        &mut tx,
        Post {
            ticket: id,
            kind: Kind::Customer,
            author: customer.id,
            subject: None,
            body,
            uploads,
        },
    )
    .await?;
    posts::opened(
        &mut tx,
        app,
        Opened {
            id,
            number,
            subject: &old.subject,
            department: &department,
            requester: customer,
            message,
            ack: app.settings.get().notify_ack,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(number)
}

/// The customer's "my problem is solved": closes the ticket.
pub async fn customer_close(
    app: &AppState,
    customer: &UserRow,
    number: TicketNumber,
) -> Result<()> {
    let ticket = store::tickets::detail(
        &app.db,
        scope(&customer.viewer(), AccessLevel::Reply),
        number,
    )
    .await?
    .ok_or(Error::NotFound)?;
    let to = status::transition(ticket.status, Action::CustomerSolved)
        .map_err(|_| Error::Conflict("already-closed"))?;
    let mut tx = app.db.begin().await?;
    store::tickets::change_status(&mut *tx, ticket.id, to).await?;
    store::tickets::status_history(&mut *tx, ticket.id, ticket.status, to, Some(customer.id))
        .await?;
    events::publish(
        &mut *tx,
        &Event::TicketChanged {
            ticket: ticket.id,
            number: ticket.number,
            department: ticket.department_id,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A rating from the customer: of the whole ticket once it is resolved or
/// closed, or of one agent reply when that is enabled. Changeable for the
/// configured hours, then fixed.
pub async fn rate(
    app: &AppState,
    customer: &UserRow,
    number: TicketNumber,
    message: Option<MessageId>,
    stars: i16,
    comment: &str,
) -> Result<()> {
    let viewer_scope = scope(&customer.viewer(), AccessLevel::Reply);
    let ticket = store::tickets::detail(&app.db, viewer_scope, number)
        .await?
        .ok_or(Error::NotFound)?;
    let mut errors = FieldErrors::default();
    if !(1..=5).contains(&stars) {
        errors.add("stars", "error-stars");
    }
    if comment.chars().count() > 2000 {
        errors.add_n("comment", "error-comment-too-long", 2000);
    }
    errors.into_result()?;
    let agent = match message {
        None => {
            if !matches!(ticket.status, Status::Resolved | Status::Closed) {
                return Err(Error::Conflict("not-resolved"));
            }
            ticket.assignee_id
        }
        Some(id) => {
            if !app.config.tickets.rate_replies {
                return Err(Error::NotFound);
            }
            let messages =
                store::messages::list_for_ticket(&app.db, viewer_scope, ticket.id).await?;
            let m = messages
                .into_iter()
                .find(|m| m.id == id && m.kind == Kind::Agent)
                .ok_or(Error::NotFound)?;
            m.author_id
        }
    };
    let saved = store::ratings::save(
        &app.db,
        ticket.id,
        message,
        customer.id,
        agent,
        stars,
        comment.trim(),
        app.config.tickets.rating_change_hours,
    )
    .await?;
    if saved {
        Ok(())
    } else {
        Err(Error::Conflict("rating-fixed"))
    }
}

/// A ticket as its readers see it: header, conversation, attachments, ratings.
pub struct TicketView {
    pub ticket: TicketDetail,
    pub messages: Vec<store::messages::MessageRow>,
    pub attachments: Vec<store::attachments::AttachmentRow>,
    pub ratings: Vec<store::ratings::RatingRow>,
    /// The ticket a late reply continued this one in.
    pub continued_in: Vec<TicketNumber>,
    /// The closed ticket this one continues.
    pub continues: Vec<TicketNumber>,
}

/// Everything the ticket page shows, through the access rule (customers
/// never get internal notes). Four queries, whatever the ticket's size.
pub async fn view(db: &PgPool, viewer: &Viewer, number: TicketNumber) -> Result<TicketView> {
    let s: Scope = scope(viewer, AccessLevel::Read);
    let ticket = store::tickets::detail(db, s, number)
        .await?
        .ok_or(Error::NotFound)?;
    let messages = store::messages::list_for_ticket(db, s, ticket.id).await?;
    let attachments = store::attachments::list_for_ticket(db, s, ticket.id).await?;
    let ratings = store::ratings::for_ticket(db, ticket.id).await?;
    let (continued_in, continues) = store::tickets::continuations(db, ticket.id).await?;
    Ok(TicketView {
        ticket,
        messages,
        attachments,
        ratings,
        continued_in,
        continues,
    })
}

/// An attachment `viewer` may download.
pub async fn attachment(
    db: &PgPool,
    viewer: &Viewer,
    id: AttachmentId,
) -> Result<store::attachments::AttachmentRow> {
    store::attachments::find_visible(db, scope(viewer, AccessLevel::Read), id)
        .await?
        .ok_or(Error::NotFound)
}
