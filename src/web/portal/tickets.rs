//! Portal tickets: the guided new-ticket form, the ticket page, replies,
//! "my problem is solved", ratings, and signed links from mail.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;

use super::access::{LINK_COOKIE, reader};
use crate::domain::ids::{MessageId, TicketNumber};
use crate::domain::messages::Kind;
use crate::domain::status::Status;
use crate::service::tickets::portal::{CustomerTicketInput, ReplyOutcome};
use crate::service::tickets::uploads::{Upload, stage_token};
use crate::service::tickets::view::TicketView;
use crate::service::{self, FieldErrors};
use crate::state::AppState;
use crate::store::catalog::{HelpTopicRow, ProductRow, Prompt};
use crate::store::users::UserRow;
use crate::web::attachments::{Chip, chips_of};
use crate::web::context::{PageCtx, RequestCtx, Visitor, build_cookie};
use crate::web::error::WebError;
use crate::web::extract::{CustomerUser, Rejection, ticket_number};
use crate::web::format::message_html;
use crate::web::multipart::{self, MultipartForm};
use crate::web::notice;
use crate::web::relang::Redisplay;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/tickets/new", get(new))
        .route("/portal/tickets", post(create))
        .route("/portal/tickets/{number}", get(show))
        .route("/portal/tickets/{number}/reply", post(reply))
        .route("/portal/tickets/{number}/close", post(close))
        .route("/portal/tickets/{number}/rating", post(rate))
        .route("/l/{token}", get(follow_link))
}

/// A choice on the first step of the form.
pub struct TopicChoice {
    value: String,
    name: String,
    guidance: String,
}

/// A file accepted earlier, carried through a form shown again.
pub struct StagedView {
    token: String,
    filename: String,
    size: String,
}

fn staged_views(app: &AppState, page: &PageCtx, uploads: &[Upload]) -> Vec<StagedView> {
    uploads
        .iter()
        .map(|u| StagedView {
            token: stage_token(app, &page.csrf, u),
            filename: u.filename.clone(),
            size: page.fmt.bytes(u.size),
        })
        .collect()
}

/// templates/portal/new_topic.html: step one, what it is about.
#[derive(Template, WebTemplate)]
#[template(path = "portal/new_topic.html")]
pub struct NewTopicPage {
    page: PageCtx,
    choices: Vec<TopicChoice>,
    error: bool,
}

/// templates/portal/new.html: step two, the ticket itself.
#[derive(Template, WebTemplate)]
#[template(path = "portal/new.html")]
pub struct NewTicketPage {
    page: PageCtx,
    topic: String,
    topic_name: String,
    guidance: String,
    suggested_attachments: String,
    prompts: Vec<Prompt>,
    products: Vec<ProductRow>,
    product: String,
    subject: String,
    body: String,
    answers: HashMap<String, String>,
    staged: Vec<StagedView>,
    errors: FieldErrors,
    similar: Option<(String, String)>,
    max_file_mb: u64,
    max_message_mb: u64,
}

impl NewTicketPage {
    fn answer(&self, key: &str) -> &str {
        self.answers.get(key).map_or("", String::as_str)
    }
}

async fn topic_choices(app: &AppState, lang: &str) -> Result<Vec<TopicChoice>, WebError> {
    let topics = crate::store::catalog::visible_help_topics(&app.db).await?;
    if !topics.is_empty() {
        return Ok(topics
            .into_iter()
            .map(|t| TopicChoice {
                value: format!("t-{}", t.id),
                name: t.name_for(lang).to_string(),
                guidance: t.guidance,
            })
            .collect());
    }
    Ok(crate::store::catalog::visible_departments(&app.db)
        .await?
        .into_iter()
        .map(|d| TopicChoice {
            value: format!("d-{}", d.id),
            name: d.name,
            guidance: String::new(),
        })
        .collect())
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    topic: Option<String>,
}

fn empty_form(
    app: &AppState,
    mut page: PageCtx,
    topic: &str,
    name: String,
    help: Option<HelpTopicRow>,
    products: Vec<ProductRow>,
) -> NewTicketPage {
    let limits = app.settings.get();
    page.keep_form("ticket-form", "/portal/tickets");
    NewTicketPage {
        page,
        topic: topic.to_string(),
        topic_name: name,
        guidance: help
            .as_ref()
            .map(|h| h.guidance.clone())
            .unwrap_or_default(),
        suggested_attachments: help
            .as_ref()
            .map(|h| h.suggested_attachments.clone())
            .unwrap_or_default(),
        prompts: help.map(|h| h.prompts.0).unwrap_or_default(),
        products,
        product: String::new(),
        subject: String::new(),
        body: String::new(),
        answers: HashMap::new(),
        staged: Vec::new(),
        errors: FieldErrors::default(),
        similar: None,
        max_file_mb: limits.max_file_bytes / (1024 * 1024),
        max_message_mb: limits.max_message_bytes / (1024 * 1024),
    }
}

async fn form_for_topic(
    app: &AppState,
    page: PageCtx,
    topic: &str,
) -> Result<Option<NewTicketPage>, WebError> {
    let Some(resolved) = service::tickets::portal::resolve_topic(&app.db, topic).await? else {
        return Ok(None);
    };
    let name = match &resolved.help_topic {
        Some(h) => h.name_for(&page.lang).to_string(),
        None => crate::store::catalog::visible_departments(&app.db)
            .await?
            .into_iter()
            .find(|d| d.id == resolved.department)
            .map(|d| d.name)
            .unwrap_or_default(),
    };
    let products = crate::store::catalog::active_products(&app.db)
        .await?
        .into_iter()
        .map(|p| p.localized(&page.lang))
        .collect();
    Ok(Some(empty_form(
        app,
        page,
        topic,
        name,
        resolved.help_topic,
        products,
    )))
}

/// GET /portal/tickets/new: the topic first, then its form.
async fn new(
    State(app): State<AppState>,
    CustomerUser(_): CustomerUser,
    page: PageCtx,
    Query(q): Query<NewQuery>,
) -> Result<Response, WebError> {
    let choices = topic_choices(&app, &page.lang).await?;
    // With a single choice there is nothing to ask.
    let topic = q
        .topic
        .clone()
        .or_else(|| (choices.len() == 1).then(|| choices[0].value.clone()));
    if let Some(topic) = topic {
        if let Some(form) = form_for_topic(&app, page.clone(), &topic).await? {
            return Ok(form.into_response());
        }
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            NewTopicPage {
                page,
                choices,
                error: true,
            },
        )
            .into_response());
    }
    Ok(NewTopicPage {
        page,
        choices,
        error: false,
    }
    .into_response())
}

/// POST /portal/tickets (multipart): opens the ticket, or adds the message
/// to a similar open one when the customer chose so.
async fn create(
    State(app): State<AppState>,
    CustomerUser(visitor): CustomerUser,
    page: PageCtx,
    Redisplay(redisplay): Redisplay,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let form = multipart::read(&app, &page.csrf, multipart).await?;
    let input = CustomerTicketInput {
        topic: form.get("topic").to_string(),
        product: form.get("product").parse().ok(),
        subject: form.get("subject").to_string(),
        body: form.get("body").to_string(),
        answers: form
            .with_prefix("prompt.")
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        uploads: form.uploads.clone(),
    };
    let mut errors = form.errors.clone();
    if !redisplay {
        match service::tickets::portal::validate_customer_ticket(&app.db, &input).await {
            Ok(_) => {}
            Err(service::Error::Invalid(more)) => errors.0.extend(more.0),
            Err(other) => return Err(other.into()),
        }
    }
    let mut similar = None;
    if errors.is_empty() && !redisplay {
        if let Ok(add_to) = form.get("add_to").parse::<TicketNumber>() {
            let body = body_with_answers(&input);
            return match service::tickets::portal::customer_reply(
                &app,
                &visitor.user,
                add_to,
                &body,
                &input.uploads,
            )
            .await?
            {
                ReplyOutcome::NewTicket(n) => Ok(notice::redirect(
                    &format!("/portal/tickets/{n}"),
                    "continued",
                )),
                ReplyOutcome::Added { .. } => Ok(notice::redirect(
                    &format!("/portal/tickets/{add_to}"),
                    "reply-added",
                )),
            };
        }
        if form.get("confirm_new").is_empty() {
            similar = service::tickets::portal::find_similar(
                &app,
                visitor.user.id,
                &input.subject,
                &input.body,
            )
            .await?;
        }
        if similar.is_none() {
            let number =
                service::tickets::portal::open_by_customer(&app, &visitor.user, input).await?;
            return Ok(notice::redirect(
                &format!("/portal/tickets/{number}"),
                "created",
            ));
        }
    }
    // Show the form again with everything typed and every accepted file.
    let Some(mut again) = form_for_topic(&app, page.clone(), &input.topic).await? else {
        let choices = topic_choices(&app, &page.lang).await?;
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            NewTopicPage {
                page,
                choices,
                error: true,
            },
        )
            .into_response());
    };
    again.product = form.get("product").to_string();
    again.subject = input.subject;
    again.body = input.body;
    again.answers = input.answers;
    again.staged = staged_views(&app, &page, &input.uploads);
    again.errors = errors;
    let status = if similar.is_some() || redisplay {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    again.similar = similar.map(|(n, s)| (n.to_string(), s));
    Ok((status, again).into_response())
}

// A message added to an existing ticket from the new-ticket form keeps the
// prompts' answers, as text.
fn body_with_answers(input: &CustomerTicketInput) -> String {
    let mut body = input.body.trim().to_string();
    let mut answers: Vec<_> = input
        .answers
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    answers.sort();
    for (key, value) in answers {
        body.push_str(&format!("\n{key}: {}", value.trim()));
    }
    body
}

/// One message of the conversation.
pub struct MessageView {
    id: String,
    is_agent: bool,
    author: String,
    time: String,
    time_exact: String,
    time_iso: String,
    body_html: String,
    attachments: Vec<Chip>,
    rating: Option<i64>,
}

/// templates/portal/show.html
#[derive(Template, WebTemplate)]
#[template(path = "portal/show.html")]
pub struct TicketPage {
    page: PageCtx,
    number: String,
    subject: String,
    status: &'static str,
    status_label: String,
    department: String,
    product: Option<String>,
    answers: Vec<(String, String)>,
    messages: Vec<MessageView>,
    reply_hint: &'static str,
    can_close: bool,
    can_rate: bool,
    rating: Option<(i64, String)>,
    rating_locked: bool,
    rate_replies: bool,
    continued_in: Vec<String>,
    continues: Vec<String>,
    /// Whether a confirmation mail goes out for a new ticket.
    acknowledges: bool,
    /// Why the customer has a second ticket: the one it was split from.
    split_from: Option<String>,
    split_into: Vec<String>,
    errors: FieldErrors,
    body: String,
    staged: Vec<StagedView>,
}

fn ticket_page(app: &AppState, mut page: PageCtx, view: TicketView) -> TicketPage {
    let now = time::OffsetDateTime::now_utc();
    let t = &view.ticket;
    page.keep_form("reply-form", &format!("/portal/tickets/{}/reply", t.number));
    let messages = view
        .messages
        .iter()
        .map(|m| {
            let is_agent = m.kind == Kind::Agent;
            let name = m.author_name.clone().unwrap_or_default();
            MessageView {
                id: m.id.to_string(),
                is_agent,
                author: if is_agent {
                    page.t1("portal-support-name", "name", &name)
                } else {
                    name
                },
                time: page.fmt.relative(m.created_at, now),
                time_exact: page.fmt.exact(m.created_at),
                time_iso: m
                    .created_at
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                body_html: if m.erased_at.is_some() {
                    crate::web::format::erased_html(&page.t("message-erased"))
                } else {
                    message_html(&m.body_text, &page.t("show-quoted"))
                },
                attachments: chips_of(&m.files.0, &page.fmt),
                rating: t
                    .ratings
                    .0
                    .iter()
                    .find(|r| r.message_id == Some(m.id))
                    .map(|r| i64::from(r.stars)),
            }
        })
        .collect();
    let window = time::Duration::days(i64::from(app.config.tickets.reopen_window_days));
    let reopens =
        crate::domain::status::reply_reopens(t.status, t.resolved_at.or(t.closed_at), now, window);
    let reply_hint = match (t.status, reopens) {
        (Status::Open | Status::Pending, _) => "",
        (_, true) => "portal-reply-reopens",
        (_, false) => "portal-reply-new-ticket",
    };
    let rating = t.ratings.0.iter().find(|r| r.message_id.is_none());
    let rating_locked = rating.is_some_and(|r| {
        now - r.created_at
            > time::Duration::hours(i64::from(app.config.tickets.rating_change_hours))
    });
    TicketPage {
        number: t.number.to_string(),
        subject: t.subject.clone(),
        status: t.status.as_str(),
        status_label: page.t(&format!("customer-status-{}", t.status.as_str())),
        department: t.department_name.clone(),
        product: t.product_name_for(&page.lang),
        answers: t.answers(),
        messages,
        reply_hint,
        can_close: t.status != Status::Closed,
        can_rate: matches!(t.status, Status::Resolved | Status::Closed),
        rating: rating.map(|r| (i64::from(r.stars), r.comment.clone())),
        rating_locked,
        rate_replies: app.config.tickets.rate_replies,
        continued_in: view
            .continued_in()
            .iter()
            .map(ToString::to_string)
            .collect(),
        continues: view.continues().iter().map(ToString::to_string).collect(),
        acknowledges: app.settings.get().notify_ack,
        split_from: view.split_from().map(|n| n.to_string()),
        split_into: view.split_into().iter().map(ToString::to_string).collect(),
        errors: FieldErrors::default(),
        body: String::new(),
        staged: Vec::new(),
        page,
    }
}

impl TicketPage {
    /// Whether star `stars` shows filled: it is at or below the rating.
    fn lit(&self, stars: impl crate::web::context::Count) -> bool {
        self.rating
            .as_ref()
            .is_some_and(|(given, _)| stars.count() <= *given)
    }

    fn given(&self) -> i64 {
        self.rating.as_ref().map_or(0, |(given, _)| *given)
    }
}

async fn load(
    app: &AppState,
    customer: &UserRow,
    number: TicketNumber,
) -> Result<TicketView, WebError> {
    Ok(service::tickets::view::view(&app.db, &customer.viewer(), number).await?)
}

/// GET /portal/tickets/{number}
async fn show(
    State(app): State<AppState>,
    visitor: Option<Extension<Visitor>>,
    ctx: RequestCtx,
    headers: HeaderMap,
    page: PageCtx,
    Path(number): Path<String>,
) -> Result<Response, WebError> {
    let number = ticket_number(&number)?;
    let customer = match reader(&app, visitor.as_deref(), &headers, number, &ctx.path).await {
        Ok(c) => c,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let view = load(&app, &customer, number).await?;
    // A merged ticket's number keeps working: it leads to where the
    // conversation went.
    if let Some(into) = view.ticket.merged_into {
        return Ok(Redirect::to(&format!("/portal/tickets/{into}")).into_response());
    }
    Ok(ticket_page(&app, page, view).into_response())
}

async fn customer_for(
    app: &AppState,
    visitor: Option<&Visitor>,
    headers: &HeaderMap,
    number: TicketNumber,
) -> Result<UserRow, Response> {
    let back = format!("/portal/tickets/{number}");
    reader(app, visitor, headers, number, &back)
        .await
        .map_err(Rejection::into_response)
}

/// POST /portal/tickets/{number}/reply (multipart)
async fn reply(
    State(app): State<AppState>,
    visitor: Option<Extension<Visitor>>,
    headers: HeaderMap,
    page: PageCtx,
    Redisplay(redisplay): Redisplay,
    Path(number): Path<String>,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let number = ticket_number(&number)?;
    let customer = match customer_for(&app, visitor.as_deref(), &headers, number).await {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let form: MultipartForm = multipart::read(&app, &page.csrf, multipart).await?;
    let body = form.get("body").to_string();
    let mut errors = form.errors.clone();
    if errors.is_empty() && !redisplay {
        match service::tickets::portal::customer_reply(
            &app,
            &customer,
            number,
            &body,
            &form.uploads,
        )
        .await
        {
            Ok(ReplyOutcome::Added { reopened }) => {
                let notice = if reopened { "reopened" } else { "reply-added" };
                return Ok(notice::redirect(
                    &format!("/portal/tickets/{number}"),
                    notice,
                ));
            }
            Ok(ReplyOutcome::NewTicket(n)) => {
                return Ok(notice::redirect(
                    &format!("/portal/tickets/{n}"),
                    "continued",
                ));
            }
            Err(service::Error::Invalid(more)) => errors = more,
            Err(other) => return Err(other.into()),
        }
    }
    let view = load(&app, &customer, number).await?;
    let staged = staged_views(&app, &page, &form.uploads);
    let mut again = ticket_page(&app, page, view);
    again.errors = errors;
    again.body = body;
    again.staged = staged;
    let status = if redisplay {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, again).into_response())
}

/// POST /portal/tickets/{number}/close: "my problem is solved".
async fn close(
    State(app): State<AppState>,
    visitor: Option<Extension<Visitor>>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Result<Response, WebError> {
    let number = ticket_number(&number)?;
    let customer = match customer_for(&app, visitor.as_deref(), &headers, number).await {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    match service::tickets::portal::customer_close(&app, &customer, number).await {
        Ok(()) | Err(service::Error::Conflict(_)) => Ok(notice::redirect(
            &format!("/portal/tickets/{number}"),
            "closed",
        )),
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct RatingForm {
    #[serde(default)]
    stars: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    message: String,
}

/// POST /portal/tickets/{number}/rating
async fn rate(
    State(app): State<AppState>,
    visitor: Option<Extension<Visitor>>,
    headers: HeaderMap,
    page: PageCtx,
    Path(number): Path<String>,
    Form(form): Form<RatingForm>,
) -> Result<Response, WebError> {
    let number = ticket_number(&number)?;
    let customer = match customer_for(&app, visitor.as_deref(), &headers, number).await {
        Ok(c) => c,
        Err(r) => return Ok(r),
    };
    let message: Option<MessageId> = form.message.parse().ok();
    let stars: i16 = form.stars.parse().unwrap_or(0);
    match service::tickets::portal::rate(&app, &customer, number, message, stars, &form.comment)
        .await
    {
        Ok(()) => Ok(notice::redirect(
            &format!("/portal/tickets/{number}"),
            "rated",
        )),
        Err(service::Error::Conflict(_)) => Ok(notice::redirect(
            &format!("/portal/tickets/{number}"),
            "rating-fixed",
        )),
        Err(service::Error::Invalid(errors)) => {
            let view = load(&app, &customer, number).await?;
            let mut again = ticket_page(&app, page, view);
            again.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, again).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// GET /l/{token}: a signed link from one of our mails. It only remembers
/// the link and opens the ticket: mail scanners open every link, so
/// following one never changes anything.
async fn follow_link(
    State(app): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    match service::accounts::links::holder(&app.db, &app.secrets.session_key, &token).await? {
        Some((_, number)) => {
            let cookie = build_cookie(
                LINK_COOKIE,
                token,
                Some(i64::from(app.config.tickets.link_days)),
                app.config.secure_cookies(),
            );
            Ok((
                [(header::SET_COOKIE, cookie)],
                Redirect::to(&format!("/portal/tickets/{number}")),
            )
                .into_response())
        }
        None => Ok(notice::redirect("/login", "link-expired")),
    }
}
