//! What customers do in the portal: open a ticket (a topic, its prompts,
//! subject, description, files), reply (reopening it, or continuing in a
//! new ticket after the reopen window), close it, rate it. Every change
//! goes through the write path with the customer as actor.

use std::collections::HashMap;

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Actor, Change, Expect, Post, TicketWrite};
use crate::domain::access::{AccessLevel, Viewer, scope};
use crate::domain::ids::{AttachmentId, DepartmentId, MessageId, TicketNumber, UserId};
use crate::domain::messages::{Kind, MAX_BODY, MAX_SUBJECT};
use crate::domain::status::Status;
use crate::service::tickets::uploads::Upload;
use crate::service::{Conflict, Error, FieldErrors, Result};
use crate::state::AppState;
use crate::store;
use crate::store::tickets::{ListCursor, ListRow, NewTicket, Target, TicketState};
use crate::store::users::UserRow;

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

pub(crate) fn check_body(errors: &mut FieldErrors, body: &str, required: bool) {
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

/// One of the customer's active or recently resolved tickets that looks
/// like the new one: "one problem, one ticket". The search index proposes
/// them by the stems of the subject and description (more like this); the
/// subject must then share half its words, word forms included. Until the
/// index is complete, the recent subjects are compared directly.
pub async fn find_similar(
    app: &AppState,
    requester: UserId,
    subject: &str,
    description: &str,
) -> Result<Option<(TicketNumber, String)>> {
    use crate::search::similar;
    let recent = store::tickets::recent_of_requester(&app.db, requester, 14).await?;
    if !app.search.complete(&app.db).await? {
        return Ok(recent
            .into_iter()
            .find(|(_, s)| crate::domain::subjects::similar(s, subject)));
    }
    app.search.catch_up_if_idle(&app.db, &app.node).await?;
    let live = app.search.handle()?.live();
    let (subject_owned, description_owned) = (subject.to_string(), description.to_string());
    let ids = tokio::task::spawn_blocking(move || {
        similar::candidates(&live, requester, &subject_owned, &description_owned, 10)
    })
    .await
    .map_err(anyhow::Error::from)??;
    let numbers = store::tickets::numbers_of(&app.db, &ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| numbers.iter().find(|(i, _, _)| i == id))
        .filter(|(_, n, _)| recent.iter().any(|(r, _)| r == n))
        .find(|(_, _, s)| similar::subjects_alike(s, subject))
        .map(|(_, n, s)| (*n, s.clone())))
}

/// Opens a ticket from the portal, with its first message, files and
/// acknowledgement.
pub async fn open_by_customer(
    app: &AppState,
    customer: &UserRow,
    input: CustomerTicketInput,
) -> Result<TicketNumber> {
    let topic = validate_customer_ticket(&app.db, &input).await?;
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
    let subject = input.subject.trim();
    let mut tx = app.db.begin().await?;
    let mut w = TicketWrite::create(
        app,
        &mut tx,
        Actor::User(customer),
        NewTicket {
            organisation: customer.organisation_id,
            help_topic: topic.help_topic.as_ref().map(|t| t.id),
            product: input.product,
            prompt_answers: json!(answers),
            ..NewTicket::basic(subject, topic.department, customer.id)
        },
    )
    .await?;
    w.apply(
        &mut tx,
        Change::message(Post {
            subject: Some(subject.to_string()),
            ..Post::web(Kind::Customer, customer.id, &input.body, &input.uploads)
        }),
    )
    .await?;
    if app.settings.get().notify_ack {
        w.acknowledge();
    }
    let done = w.commit(&mut tx).await?;
    tx.commit().await?;
    Ok(done.number)
}

/// What a customer's reply did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyOutcome {
    /// Added to the ticket; `reopened` when it had been resolved or closed.
    Added { reopened: bool },
    /// The ticket was closed too long ago: a new ticket, linked to it.
    NewTicket(TicketNumber),
}

/// The ticket a merged number leads to (the number itself otherwise).
async fn follow_merges(db: &PgPool, viewer: &Viewer, number: TicketNumber) -> Result<TicketNumber> {
    let mut n = number;
    for _ in 0..5 {
        match store::tickets::find_visible(db, scope(viewer, AccessLevel::Read), n).await? {
            Some(TicketState {
                merged_into_id: Some(into),
                ..
            }) => match store::tickets::number_of(db, into).await? {
                Some(next) => n = next,
                None => break,
            },
            _ => break,
        }
    }
    Ok(n)
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
    let mut errors = FieldErrors::default();
    check_body(&mut errors, body, uploads.is_empty());
    errors.into_result()?;
    let number = follow_merges(&app.db, &customer.viewer(), number).await?;
    let mut tx = app.db.begin().await?;
    let target = Target::Number(number);
    let actor = Actor::User(customer);
    let mut w = TicketWrite::open(
        app,
        &mut tx,
        actor,
        target,
        AccessLevel::Reply,
        Expect::Current,
    )
    .await?;
    let was = w.ticket().status;
    let post = Post::web(Kind::Customer, customer.id, body, uploads);
    match w.apply(&mut tx, Change::message(post.clone())).await {
        Ok(_) => {}
        Err(Error::Conflict(Conflict::ReopenWindowPassed)) => {
            let old = w.ticket().clone();
            drop(w);
            tx.rollback().await?;
            let new = continue_in_new_ticket(app, customer, &old, post).await?;
            return Ok(ReplyOutcome::NewTicket(new));
        }
        Err(other) => return Err(other),
    }
    w.commit(&mut tx).await?;
    tx.commit().await?;
    Ok(ReplyOutcome::Added {
        reopened: matches!(was, Status::Resolved | Status::Closed),
    })
}

/// A reply to a ticket closed too long ago: a new ticket in the same
/// department, linked to the old one.
pub(crate) async fn continue_in_new_ticket(
    app: &AppState,
    customer: &UserRow,
    old: &TicketState,
    post: Post,
) -> Result<TicketNumber> {
    let mut tx = app.db.begin().await?;
    let actor = Actor::User(customer);
    let target = Target::Id(old.id);
    let mut prev = TicketWrite::open(
        app,
        &mut tx,
        actor,
        target,
        AccessLevel::Reply,
        Expect::Current,
    )
    .await?;
    let mut w = TicketWrite::create(
        app,
        &mut tx,
        actor,
        NewTicket {
            organisation: customer.organisation_id,
            continues: Some(old.id),
            ..NewTicket::basic(&old.subject, old.department_id, customer.id)
        },
    )
    .await?;
    w.apply(&mut tx, Change::message(post)).await?;
    if app.settings.get().notify_ack {
        w.acknowledge();
    }
    let link = Change::Link {
        other: w.id(),
        kind: "reopened_as",
    };
    prev.apply(&mut tx, link).await?;
    prev.commit(&mut tx).await?;
    let done = w.commit(&mut tx).await?;
    tx.commit().await?;
    Ok(done.number)
}

/// The customer's "my problem is solved": closes the ticket.
pub async fn customer_close(
    app: &AppState,
    customer: &UserRow,
    number: TicketNumber,
) -> Result<()> {
    let mut tx = app.db.begin().await?;
    let target = Target::Number(number);
    let mut w = TicketWrite::open(
        app,
        &mut tx,
        Actor::User(customer),
        target,
        AccessLevel::Reply,
        Expect::Current,
    )
    .await?;
    w.apply(&mut tx, Change::Solved).await?;
    w.commit(&mut tx).await?;
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
    let mut tx = app.db.begin().await?;
    let target = Target::Number(number);
    let mut w = TicketWrite::open(
        app,
        &mut tx,
        Actor::User(customer),
        target,
        AccessLevel::Reply,
        Expect::Current,
    )
    .await?;
    w.apply(
        &mut tx,
        Change::Rate {
            message,
            stars,
            comment: comment.to_string(),
        },
    )
    .await?;
    w.commit(&mut tx).await?;
    tx.commit().await?;
    Ok(())
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
