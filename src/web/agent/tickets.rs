//! The agent's ticket page and everything done from it: reply (with the
//! department's signature and canned responses), internal notes, status,
//! priority, assignment, transfer, split, merge; and opening a ticket on a
//! customer's behalf.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::domain::access::AccessLevel;
use crate::domain::access::works_in;
use crate::domain::ids::{DepartmentId, MessageId, TicketNumber};
use crate::domain::messages::Kind;
use crate::domain::priority::Priority;
use crate::domain::status::Status;
use crate::service::Conflict;
use crate::service::tickets::agent::{self as work, OnBehalf};
use crate::service::tickets::uploads::{Upload, stage_token};
use crate::service::tickets::view::TicketView;
use crate::service::{self, FieldErrors};
use crate::state::AppState;
use crate::store::history::HistoryRow;
use crate::store::ticket_views::MessageRow;
use crate::store::users::UserRow;
use crate::web::attachments::{Chip, chips_of};
use crate::web::context::{PageCtx, Visitor};
use crate::web::error::WebError;
use crate::web::extract::{StaffUser, ticket_number};
use crate::web::format::message_html;
use crate::web::mail_html::block_remote_images;
use crate::web::multipart;
use crate::web::notice;
use crate::web::relang::Redisplay;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/tickets/new", get(new_form))
        .route("/agent/tickets", post(create))
        .route("/agent/tickets/{number}", get(show))
        .route("/agent/tickets/{number}/timeline", get(timeline_fragment))
        .route("/agent/tickets/{number}/reply", post(reply))
        .route("/agent/tickets/{number}/note", post(note))
        .route("/agent/tickets/{number}/status", post(set_status))
        .route("/agent/tickets/{number}/priority", post(set_priority))
        .route("/agent/tickets/{number}/assign", post(assign))
        .route("/agent/tickets/{number}/transfer", post(transfer))
        .route("/agent/tickets/{number}/merge", post(merge))
        .route("/agent/tickets/{number}/spam", post(spam))
        .route("/agent/raw/{id}", get(raw_mail))
        .route("/agent/messages/{id}/mail.html", get(mail_frame))
}

/// One entry of the timeline: a message or an event.
pub struct Entry {
    kind: &'static str,
    id: String,
    author: String,
    source: String,
    time: String,
    time_exact: String,
    time_iso: String,
    body_html: String,
    files: Vec<Chip>,
    text: String,
    /// How the mail gateway placed it ("threaded by References").
    note: String,
    /// The original mail, for download.
    raw: Option<String>,
    /// Sanitised HTML of a mail, shown on request, remote images blocked
    /// (and whether there were any).
    html: Option<(String, bool)>,
    /// (address, state, error) of the mail carrying this message.
    deliveries: Vec<(String, String, String)>,
}

/// A canned response, filled in for this ticket.
pub struct CannedView {
    id: String,
    title: String,
    body: String,
}

/// templates/agent/ticket.html
#[derive(Template, WebTemplate)]
#[template(path = "agent/ticket.html")]
pub struct AgentTicketPage {
    page: PageCtx,
    tabs: Vec<super::TabView>,
    number: String,
    subject: String,
    status: &'static str,
    status_label: String,
    priority: &'static str,
    priority_label: String,
    department: String,
    department_id: String,
    requester: String,
    requester_email: String,
    requester_query: String,
    assignee_id: String,
    assignee: String,
    version: i32,
    can_reply: bool,
    can_manage: bool,
    entries: Vec<Entry>,
    links: Vec<(String, String)>,
    answers: Vec<(String, String)>,
    product: Option<String>,
    signature: String,
    canned: Vec<CannedView>,
    canned_json: String,
    assignable: Vec<(String, String)>,
    departments: Vec<(String, String)>,
    reply_body: String,
    note_body: String,
    note_tab: bool,
    errors: FieldErrors,
    conflict: bool,
    staged: Vec<StagedView>,
    agent_id: String,
    /// Running promises: (target, "due in 2 h", exact time, overdue).
    sla: Vec<(String, String, String, bool)>,
    sla_paused: bool,
}

/// templates/agent/timeline.html: the timeline alone, for live refreshes.
#[derive(Template, WebTemplate)]
#[template(path = "agent/timeline.html")]
pub struct TimelineFragment {
    page: PageCtx,
    entries: Vec<Entry>,
    version: i32,
}

/// A file accepted earlier, carried through a form shown again.
pub struct StagedView {
    token: String,
    filename: String,
    size: String,
}

fn event_text(page: &PageCtx, h: &HistoryRow, split_from: Option<TicketNumber>) -> String {
    let actor = h.actor_name.clone().unwrap_or_else(|| page.t("someone"));
    let status = |s: Option<Status>| {
        s.map(|s| page.t(&format!("status-{}", s.as_str())))
            .unwrap_or_default()
    };
    let args = |pairs: &[(&'static str, String)]| -> Vec<(&'static str, crate::i18n::Arg)> {
        pairs
            .iter()
            .map(|(k, v)| (*k, crate::i18n::Arg::Str(v.clone())))
            .collect()
    };
    let l = &page.locale;
    match h.change.as_str() {
        "created" => match split_from {
            Some(n) => l.t_with(
                "event-split-from",
                &args(&[("actor", actor), ("number", n.to_string())]),
            ),
            None => l.t_with("event-created", &args(&[("actor", actor)])),
        },
        "status" => l.t_with(
            "event-status",
            &args(&[
                ("actor", actor),
                ("from", status(h.from_status)),
                ("to", status(h.to_status)),
            ]),
        ),
        "assignee" => match &h.to_user_name {
            // "Anna took the ticket", not "Anna assigned it to Anna".
            Some(_) if h.self_assigned => l.t_with("event-took", &args(&[("actor", actor)])),
            Some(to) => l.t_with(
                "event-assigned",
                &args(&[("actor", actor), ("to", to.clone())]),
            ),
            None => l.t_with("event-unassigned", &args(&[("actor", actor)])),
        },
        "department" => l.t_with(
            "event-transferred",
            &args(&[
                ("actor", actor),
                ("from", h.from_department_name.clone().unwrap_or_default()),
                ("to", h.to_department_name.clone().unwrap_or_default()),
            ]),
        ),
        change @ ("sla_warning" | "sla_breach") => l.t_with(
            &format!("event-{}", change.replace('_', "-")),
            &args(&[(
                "target",
                page.t(&format!(
                    "sla-target-{}",
                    h.detail.as_deref().unwrap_or("resolution")
                )),
            )]),
        ),
        "priority" => l.t_with(
            "event-priority",
            &args(&[
                ("actor", actor),
                (
                    "to",
                    h.to_priority
                        .map(|p| page.t(&format!("priority-{}", p.as_str())))
                        .unwrap_or_default(),
                ),
            ]),
        ),
        other => other.to_string(),
    }
}

fn timeline(
    page: &PageCtx,
    messages: Vec<MessageRow>,
    history: &[HistoryRow],
    split_from: Option<TicketNumber>,
) -> Vec<Entry> {
    let now = time::OffsetDateTime::now_utc();
    let iso = |at: time::OffsetDateTime| {
        at.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let mut entries: Vec<(time::OffsetDateTime, Entry)> = messages
        .into_iter()
        .map(|m| {
            let kind = match m.kind {
                Kind::Customer => "customer",
                Kind::Agent => "agent",
                Kind::Note => "note",
                Kind::System => "system",
            };
            let entry = Entry {
                kind,
                id: m.id.to_string(),
                author: m.author_name.clone().unwrap_or_else(|| page.t("someone")),
                source: page.t(&format!("source-{}", m.source.as_str())),
                time: page.fmt.relative(m.created_at, now),
                time_exact: page.fmt.exact(m.created_at),
                time_iso: iso(m.created_at),
                body_html: if m.erased_at.is_some() {
                    crate::web::format::erased_html(&page.t("message-erased"))
                } else {
                    message_html(&m.body_text, &page.t("show-quoted"))
                },
                note: m.threading_note.clone().unwrap_or_default(),
                raw: m.raw_mail_id.map(|r| r.to_string()),
                html: m
                    .body_html
                    .as_deref()
                    .map(|h| block_remote_images(h, &page.t("remote-image-blocked"))),
                deliveries: m
                    .deliveries
                    .0
                    .iter()
                    .map(|d| {
                        let mut state = page.t(&format!("delivery-{}", d.state));
                        if d.attempts > 1 {
                            let tries = page.tn("delivery-attempts", "n", i64::from(d.attempts));
                            state = format!("{state} · {tries}");
                        }
                        (
                            d.address.clone(),
                            state,
                            d.error.clone().unwrap_or_default(),
                        )
                    })
                    .collect(),
                files: chips_of(&m.files.0, &page.fmt),
                text: String::new(),
            };
            (m.created_at, entry)
        })
        .collect();
    for h in history {
        entries.push((
            h.at,
            Entry {
                kind: "event",
                id: String::new(),
                author: String::new(),
                source: String::new(),
                time: page.fmt.relative(h.at, now),
                time_exact: page.fmt.exact(h.at),
                time_iso: iso(h.at),
                body_html: String::new(),
                files: Vec::new(),
                text: event_text(page, h, split_from),
                note: String::new(),
                raw: None,
                html: None,
                deliveries: Vec::new(),
            },
        ));
    }
    // Stable: a message and the event it caused keep their order.
    entries.sort_by_key(|(at, _)| *at);
    entries.into_iter().map(|(_, e)| e).collect()
}

/// The ticket page from the read model: the view (3 statements) and the
/// workbench (1), whatever the ticket's length.
async fn ticket_page(
    app: &AppState,
    visitor: &Visitor,
    mut page: PageCtx,
    view: TicketView,
) -> Result<AgentTicketPage, WebError> {
    let agent = &visitor.user;
    if works_in(view.ticket.level) {
        let action = format!("/agent/tickets/{}/reply", view.ticket.number);
        page.keep_form("reply-form", &action);
    }
    let split_from = view.split_from();
    let t = view.ticket;
    let bench = service::tickets::view::workbench(&app.db, t.department_id).await?;
    let tabs = super::sidebar_tabs(app, visitor, &page).await?;
    let entries = timeline(&page, view.messages, &view.history, split_from);
    let links = t
        .links
        .0
        .iter()
        .map(|l| {
            (
                page.t(&format!(
                    "link-{}-{}",
                    l.kind,
                    if l.outgoing { "out" } else { "in" }
                )),
                l.number.to_string(),
            )
        })
        .collect();
    let fill = |template: &str| {
        work::fill(
            template,
            t.number,
            &t.department_name,
            &t.requester_name,
            agent,
        )
    };
    let canned: Vec<CannedView> = bench
        .canned
        .0
        .iter()
        .map(|(id, title, body)| CannedView {
            id: id.to_string(),
            title: title.clone(),
            body: fill(body),
        })
        .collect();
    let canned_json = serde_json::to_string(
        &canned
            .iter()
            .map(|c| serde_json::json!({ "id": c.id, "title": c.title, "body": c.body }))
            .collect::<Vec<_>>(),
    )
    .unwrap_or_else(|_| "[]".into())
    // Inside <script type="application/json"> no "<" may open a tag;
    // \u003c is the same character to JSON.parse.
    .replace('<', "\\u003c");
    let requester_query: String =
        url::form_urlencoded::byte_serialize(t.requester_email.as_bytes()).collect();
    let answers = t.answers();
    let now = time::OffsetDateTime::now_utc();
    let sla = [
        ("first_response", t.first_response_due_at),
        ("next_response", t.next_response_due_at),
        ("resolution", t.resolution_due_at),
    ]
    .into_iter()
    .filter_map(|(target, due)| {
        let due = due?;
        let (text, overdue) = page.fmt.due(due, now);
        Some((
            page.t(&format!("sla-target-{target}")),
            text,
            page.fmt.exact(due),
            overdue,
        ))
    })
    .collect();
    let sla_paused = t.sla_owed && t.status == Status::Pending;
    Ok(AgentTicketPage {
        sla,
        sla_paused,
        tabs,
        number: t.number.to_string(),
        subject: t.subject.clone(),
        status: t.status.as_str(),
        status_label: page.t(&format!("status-{}", t.status.as_str())),
        priority: t.priority.as_str(),
        priority_label: page.t(&format!("priority-{}", t.priority.as_str())),
        department: t.department_name.clone(),
        department_id: t.department_id.to_string(),
        requester: t.requester_name.clone(),
        requester_email: t.requester_email.clone(),
        requester_query,
        assignee_id: t.assignee_id.map(|a| a.to_string()).unwrap_or_default(),
        assignee: t.assignee_name.clone().unwrap_or_default(),
        version: t.version,
        can_reply: works_in(t.level),
        can_manage: t.level.is_some_and(|l| l >= AccessLevel::Manage),
        entries,
        links,
        answers,
        product: t.product_name_for(&page.lang),
        signature: fill(&t.signature),
        canned,
        canned_json,
        assignable: bench
            .assignable
            .0
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect(),
        departments: bench
            .departments
            .0
            .iter()
            .map(|(id, name)| (id.to_string(), name.clone()))
            .collect(),
        reply_body: String::new(),
        note_body: String::new(),
        note_tab: false,
        errors: FieldErrors::default(),
        conflict: false,
        staged: Vec::new(),
        agent_id: agent.id.to_string(),
        page,
    })
}

async fn load(
    app: &AppState,
    visitor: &Visitor,
    number: TicketNumber,
) -> Result<TicketView, WebError> {
    Ok(service::tickets::view::view(&app.db, &visitor.viewer(), number).await?)
}

/// GET /agent/tickets/{number}. A merged ticket's number leads to the
/// ticket it was merged into.
async fn show(
    State(app): State<AppState>,
    StaffUser(visitor): StaffUser,
    page: PageCtx,
    Path(number): Path<String>,
) -> Result<Response, WebError> {
    let number = ticket_number(&number)?;
    let view = load(&app, &visitor, number).await?;
    if let Some(into) = view.ticket.merged_into {
        return Ok(notice::redirect(
            &format!("/agent/tickets/{into}?from={number}"),
            "merged",
        ));
    }
    Ok(ticket_page(&app, &visitor, page, view)
        .await?
        .into_response())
}

/// GET /agent/tickets/{number}/timeline
async fn timeline_fragment(
    State(app): State<AppState>,
    StaffUser(visitor): StaffUser,
    page: PageCtx,
    Path(number): Path<String>,
) -> Result<TimelineFragment, WebError> {
    let number = ticket_number(&number)?;
    let view = load(&app, &visitor, number).await?;
    let version = view.ticket.version;
    Ok(TimelineFragment {
        entries: {
            let split_from = view.split_from();
            timeline(&page, view.messages, &view.history, split_from)
        },
        page,
        version,
    })
}

fn staged(app: &AppState, page: &PageCtx, uploads: &[Upload]) -> Vec<StagedView> {
    uploads
        .iter()
        .map(|u| StagedView {
            token: stage_token(app, &page.csrf, u),
            filename: u.filename.clone(),
            size: page.fmt.bytes(u.size),
        })
        .collect()
}

/// POST /agent/tickets/{number}/reply (multipart). "Insert" puts the
/// chosen canned response into the text without sending (no JavaScript
/// needed); "send" mails the reply.
async fn reply(
    State(app): State<AppState>,
    StaffUser(visitor): StaffUser,
    page: PageCtx,
    Redisplay(redisplay): Redisplay,
    Path(number): Path<String>,
    form: Multipart,
) -> Result<Response, WebError> {
    let number = ticket_number(&number)?;
    let form = multipart::read(&app, &page.csrf, form).await?;
    let body = form.get("body").to_string();
    let version: i32 = form.get("version").parse().unwrap_or(-1);
    // "Insert" and a language switch only show the page again, the
    // former with the canned text added.
    if form.get("action") == "insert" || redisplay {
        let view = load(&app, &visitor, number).await?;
        let mut again = ticket_page(&app, &visitor, page.clone(), view).await?;
        // The box holds a title (typed or picked from the list).
        let wanted = if redisplay {
            String::new()
        } else {
            form.get("canned").trim().to_lowercase()
        };
        let hit = again
            .canned
            .iter()
            .find(|c| c.title.to_lowercase() == wanted)
            .or_else(|| {
                again
                    .canned
                    .iter()
                    .find(|c| !wanted.is_empty() && c.title.to_lowercase().contains(&wanted))
            });
        if let Some(c) = hit {
            let sep = if body.trim().is_empty() { "" } else { "\n\n" };
            again.reply_body = format!("{}{sep}{}", body.trim_end(), c.body);
        } else {
            again.reply_body = body;
        }
        again.staged = staged(&app, &page, &form.uploads);
        return Ok(again.into_response());
    }
    let then = form.get("then").parse::<Status>().ok();
    let mut errors = form.errors.clone();
    let mut conflict = false;
    if errors.is_empty() {
        let sent = work::reply(
            &app,
            &visitor.user,
            number,
            version,
            &body,
            &form.uploads,
            then,
        );
        match sent.await {
            Ok(()) => {
                return Ok(notice::redirect(
                    &format!("/agent/tickets/{number}"),
                    "reply-sent",
                ));
            }
            Err(service::Error::Conflict(Conflict::Stale)) => conflict = true,
            Err(service::Error::Invalid(e)) => errors = e,
            Err(other) => return Err(other.into()),
        }
    }
    // Only a refusal renders the page: the text typed is kept.
    let view = load(&app, &visitor, number).await?;
    let mut again = ticket_page(&app, &visitor, page.clone(), view).await?;
    again.reply_body = body;
    again.errors = errors;
    again.conflict = conflict;
    again.staged = staged(&app, &page, &form.uploads);
    Ok((
        if conflict {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        again,
    )
        .into_response())
}

/// POST /agent/tickets/{number}/note (multipart)
async fn note(
    State(app): State<AppState>,
    StaffUser(visitor): StaffUser,
    page: PageCtx,
    Path(number): Path<String>,
    form: Multipart,
) -> Result<Response, WebError> {
    let number = ticket_number(&number)?;
    let form = multipart::read(&app, &page.csrf, form).await?;
    let body = form.get("body").to_string();
    let version: i32 = form.get("version").parse().unwrap_or(-1);
    let mut errors = form.errors.clone();
    let mut conflict = false;
    if errors.is_empty() {
        match work::note(&app, &visitor.user, number, version, &body, &form.uploads).await {
            Ok(()) => {
                return Ok(notice::redirect(
                    &format!("/agent/tickets/{number}"),
                    "note-added",
                ));
            }
            Err(service::Error::Conflict(Conflict::Stale)) => conflict = true,
            Err(service::Error::Invalid(e)) => errors = e,
            Err(other) => return Err(other.into()),
        }
    }
    let view = load(&app, &visitor, number).await?;
    let mut again = ticket_page(&app, &visitor, page.clone(), view).await?;
    again.note_body = body;
    again.note_tab = true;
    again.errors = errors;
    again.conflict = conflict;
    again.staged = staged(&app, &page, &form.uploads);
    Ok((
        if conflict {
            StatusCode::CONFLICT
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        again,
    )
        .into_response())
}

/// Where a property form goes back to, with what happened.
pub(super) fn back(
    number: TicketNumber,
    result: service::Result<()>,
    done: &str,
) -> Result<Response, WebError> {
    let notice = match result {
        Ok(()) => done,
        Err(service::Error::Conflict(Conflict::Stale)) => "stale",
        Err(service::Error::Conflict(c)) => c.as_str(),
        Err(service::Error::Invalid(e)) => {
            e.0.first()
                .map_or("invalid", |f| f.key.trim_start_matches("error-"))
        }
        Err(other) => return Err(other.into()),
    };
    Ok(notice::redirect(
        &format!("/agent/tickets/{number}"),
        notice,
    ))
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    version: i32,
    #[serde(default)]
    value: String,
    confirm: Option<String>,
}

#[derive(Deserialize)]
pub struct PropertyForm {
    #[serde(default)]
    version: i32,
    #[serde(default)]
    value: String,
    #[serde(default)]
    note: String,
}

/// POST /agent/tickets/{number}/status
async fn set_status(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    Path(n): Path<String>,
    Form(f): Form<PropertyForm>,
) -> Result<Response, WebError> {
    let number = ticket_number(&n)?;
    let to = f.value.parse::<Status>().map_err(|_| WebError::Invalid)?;
    back(
        number,
        work::set_status(&app, &v.user, number, f.version, to).await,
        "status-changed",
    )
}

/// POST /agent/tickets/{number}/priority
async fn set_priority(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    Path(n): Path<String>,
    Form(f): Form<PropertyForm>,
) -> Result<Response, WebError> {
    let number = ticket_number(&n)?;
    let to = f.value.parse::<Priority>().map_err(|_| WebError::Invalid)?;
    back(
        number,
        work::set_priority(&app, &v.user, number, f.version, to).await,
        "priority-changed",
    )
}

/// POST /agent/tickets/{number}/assign ("me", an agent id, or "" for nobody)
async fn assign(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    Path(n): Path<String>,
    Form(f): Form<PropertyForm>,
) -> Result<Response, WebError> {
    let number = ticket_number(&n)?;
    let to = match f.value.as_str() {
        "" => None,
        "me" => Some(v.user.id),
        other => Some(other.parse().map_err(|_| WebError::Invalid)?),
    };
    back(
        number,
        work::assign(&app, &v.user, number, f.version, to).await,
        "assigned",
    )
}

/// POST /agent/tickets/{number}/transfer
async fn transfer(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    Path(n): Path<String>,
    Form(f): Form<PropertyForm>,
) -> Result<Response, WebError> {
    let number = ticket_number(&n)?;
    let to: DepartmentId = f.value.parse().map_err(|_| WebError::Invalid)?;
    match work::transfer(&app, &v.user, number, f.version, to, &f.note).await {
        // The agent may no longer reach the ticket: back to the queue.
        Ok(()) => {
            match service::tickets::view::find(&app.db, &v.viewer(), number, AccessLevel::Read)
                .await
            {
                Ok(_) => Ok(notice::redirect(
                    &format!("/agent/tickets/{number}"),
                    "transferred",
                )),
                Err(_) => Ok(notice::redirect("/agent", "transferred-away")),
            }
        }
        other => back(number, other, "transferred"),
    }
}

/// POST /agent/tickets/{number}/merge
async fn merge(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    page: PageCtx,
    Path(n): Path<String>,
    Form(f): Form<MergeForm>,
) -> Result<Response, WebError> {
    let number = ticket_number(&n)?;
    let into: TicketNumber = f
        .value
        .trim()
        .trim_start_matches('#')
        .parse()
        .map_err(|_| WebError::Invalid)?;
    if !crate::web::confirm::confirmed(f.confirm.as_deref()) {
        let question = page.locale.t_with(
            "confirm-merge-question",
            &[
                ("from", crate::i18n::Arg::Str(number.to_string())),
                ("into", crate::i18n::Arg::Str(into.to_string())),
            ],
        );
        return Ok(crate::web::confirm::ConfirmPage {
            title: page.t("confirm-merge-title"),
            question,
            action: format!("/agent/tickets/{number}/merge"),
            fields: vec![
                ("version", f.version.to_string()),
                ("value", into.to_string()),
            ],
            text: None,
            confirm_label: page.t("merge"),
            cancel: format!("/agent/tickets/{number}"),
            page,
        }
        .into_response());
    }
    match work::merge(&app, &v.user, number, f.version, into).await {
        Ok(()) => Ok(notice::redirect(
            &format!("/agent/tickets/{into}?from={number}"),
            "merged",
        )),
        Err(e) => back(number, Err(e), ""),
    }
}

/// POST /agent/tickets/{number}/spam: close and block the sender.
async fn spam(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    Path(n): Path<String>,
    Form(f): Form<PropertyForm>,
) -> Result<Response, WebError> {
    let number = ticket_number(&n)?;
    back(
        number,
        work::spam(&app, &v.user, number, f.version).await,
        "spam-blocked",
    )
}

/// templates/agent/new.html
#[derive(Template, WebTemplate)]
#[template(path = "agent/new.html")]
pub struct NewOnBehalfPage {
    page: PageCtx,
    departments: Vec<(String, String)>,
    email: String,
    name: String,
    department: String,
    subject: String,
    body: String,
    notify: bool,
    errors: FieldErrors,
    staged: Vec<StagedView>,
}

async fn reply_departments(
    app: &AppState,
    agent: &UserRow,
) -> Result<Vec<(String, String)>, WebError> {
    Ok(service::catalog::departments::openable_by(&app.db, agent)
        .await?
        .into_iter()
        .map(|d| (d.id.to_string(), d.name))
        .collect())
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    email: String,
}

/// GET /agent/tickets/new
async fn new_form(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    mut page: PageCtx,
    Query(q): Query<NewQuery>,
) -> Result<NewOnBehalfPage, WebError> {
    page.keep_form("ticket-form", "/agent/tickets");
    Ok(NewOnBehalfPage {
        departments: reply_departments(&app, &v.user).await?,
        page,
        email: q.email,
        name: String::new(),
        department: String::new(),
        subject: String::new(),
        body: String::new(),
        notify: true,
        errors: FieldErrors::default(),
        staged: Vec::new(),
    })
}

/// POST /agent/tickets (multipart): a ticket in a customer's name.
async fn create(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    mut page: PageCtx,
    Redisplay(redisplay): Redisplay,
    form: Multipart,
) -> Result<Response, WebError> {
    let form = multipart::read(&app, &page.csrf, form).await?;
    page.keep_form("ticket-form", "/agent/tickets");
    let input = OnBehalf {
        email: form.get("email").to_string(),
        name: form.get("name").to_string(),
        department: form.get("department").parse().ok(),
        subject: form.get("subject").to_string(),
        body: form.get("body").to_string(),
        uploads: form.uploads.clone(),
        notify: form.get("notify") == "1",
        api: false,
        idempotency: None,
    };
    let mut errors = form.errors.clone();
    if errors.is_empty() && !redisplay {
        match work::open_for_customer(&app, &v.user, input.clone()).await {
            Ok(n) => {
                return Ok(notice::redirect(
                    &format!("/agent/tickets/{n}"),
                    "opened-for-customer",
                ));
            }
            Err(service::Error::Invalid(e)) => errors = e,
            Err(other) => return Err(other.into()),
        }
    }
    let body = NewOnBehalfPage {
        departments: reply_departments(&app, &v.user).await?,
        staged: staged(&app, &page, &input.uploads),
        page,
        email: input.email,
        name: input.name,
        department: form.get("department").to_string(),
        subject: input.subject,
        body: input.body,
        notify: input.notify,
        errors,
    };
    let status = if redisplay {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, body).into_response())
}

/// GET /agent/messages/{id}/mail.html: a mail's HTML with its remote
/// images, for the sandboxed frame an agent opens on one message.
async fn mail_frame(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: MessageId = id.parse().map_err(|_| WebError::NotFound)?;
    let html = service::tickets::view::mail_html(&app.db, &v.viewer(), id).await?;
    let doc = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>mail</title></head><body>{html}</body></html>"
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                crate::web::mail_html::FRAME_POLICY,
            ),
            (header::X_FRAME_OPTIONS, "SAMEORIGIN"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        doc,
    )
        .into_response())
}

/// GET /agent/raw/{id}: the original mail of a message, for staff who may
/// read its ticket.
async fn raw_mail(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: uuid::Uuid = id.parse().map_err(|_| WebError::NotFound)?;
    let row = service::mail::raw_for(&app, &v.viewer(), id).await?;
    crate::web::admin::mail::raw_response(&app, &row.blob_sha256, id).await
}
