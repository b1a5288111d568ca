//! Admin: mailboxes (add after a connection check, test the connections),
//! routing rules, and the mail that needs an operator: incoming mail
//! quarantined (with its error) or held as spam, to retry, release or
//! download, and outgoing mail that is failing, to retry now.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use super::saved;
use crate::i18n::Arg;
use crate::service::mail::connection::ConnectionProblem;
use crate::service::mail::{delivery, mailboxes};
use crate::service::{self, FieldErrors};
use crate::state::AppState;
use crate::store;
use crate::web::confirm::confirmed;
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;
use crate::web::notice;
use crate::web::relang::Redisplay;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/mailboxes", get(index).post(create))
        .route("/admin/mailboxes/{id}/test", post(test))
        .route("/admin/rules", post(add_rule))
        .route("/admin/rules/{id}/delete", post(delete_rule))
        .route("/admin/mail", get(attention))
        .route("/admin/mail/{id}/retry", post(retry))
        .route("/admin/mail/{id}/release", post(release))
        .route("/admin/mail/{id}/raw", get(raw))
        .route("/admin/outbox/{id}/retry", post(retry_outgoing))
        .route("/admin/blocked/unblock", post(unblock))
}

/// One mailbox in the list.
pub struct MailboxView {
    id: String,
    name: String,
    imap: String,
    addresses: String,
    polled: String,
    /// The last poll's error: the sentence, and the raw text for details.
    error: Option<(String, String)>,
}

/// One side (IMAP or SMTP) of a connection test.
pub struct TestLine {
    ok: bool,
    text: String,
    /// The raw error, for the details.
    detail: String,
}

/// A connection test's result.
pub struct TestView {
    name: String,
    /// ("IMAP", …) and ("SMTP", …).
    lines: Vec<(&'static str, TestLine)>,
}

/// One routing rule.
pub struct RuleView {
    id: String,
    kind: String,
    pattern: String,
    department: String,
}

/// templates/admin/mailboxes.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/mailboxes.html")]
pub struct MailboxesPage {
    page: PageCtx,
    mailboxes: Vec<MailboxView>,
    rules: Vec<RuleView>,
    departments: Vec<(String, String)>,
    form: MailboxForm,
    errors: FieldErrors,
    /// The failed check of the submitted form: offers "Save anyway".
    problem: Option<ConnectionProblem>,
    test: Option<TestView>,
}

#[derive(Deserialize, Default, Clone)]
pub struct MailboxForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    imap_host: String,
    #[serde(default)]
    imap_port: String,
    #[serde(default)]
    imap_tls: String,
    #[serde(default)]
    imap_user: String,
    #[serde(default)]
    imap_password: String,
    #[serde(default)]
    folder: String,
    #[serde(default)]
    processed_folder: String,
    #[serde(default)]
    smtp_host: String,
    #[serde(default)]
    smtp_port: String,
    #[serde(default)]
    smtp_tls: String,
    #[serde(default)]
    smtp_user: String,
    #[serde(default)]
    smtp_password: String,
    #[serde(default)]
    addresses: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    existing: String,
    /// The passwords typed before the form was shown again, sealed
    /// (`mailboxes::seal_typed`): kept without being shown.
    #[serde(default)]
    imap_password_kept: String,
    #[serde(default)]
    smtp_password_kept: String,
    /// `1`: save although the connection check failed.
    #[serde(default)]
    confirm: String,
}

async fn page_data(app: &AppState, mut page: PageCtx) -> Result<MailboxesPage, WebError> {
    page.keep_form("mailbox-form", "/admin/mailboxes");
    let departments = service::catalog::departments::list(&app.db).await?;
    let name_of = |id: &crate::domain::ids::DepartmentId| {
        departments
            .iter()
            .find(|d| d.id == *id)
            .map(|d| d.name.clone())
            .unwrap_or_default()
    };
    let mailboxes = mailboxes::list(&app.db)
        .await?
        .into_iter()
        .map(|m| MailboxView {
            id: m.id.to_string(),
            imap: format!(
                "{}@{}:{} ({}) {}",
                m.imap_user,
                m.imap_host,
                m.imap_port,
                m.imap_tls.as_str(),
                m.imap_folder
            ),
            addresses: m.addresses.join(", "),
            polled: m
                .last_polled_at
                .map(|t| page.fmt.datetime(t))
                .unwrap_or_default(),
            error: mailboxes::poll_problem(&m).map(|p| explain(&page, &p)),
            name: m.name,
        })
        .collect();
    let rules = store::mail::rules(&app.db)
        .await?
        .into_iter()
        .map(|(id, kind, pattern, d)| RuleView {
            id: id.to_string(),
            kind,
            pattern,
            department: name_of(&d),
        })
        .collect();
    Ok(MailboxesPage {
        departments: departments
            .iter()
            .map(|d| (d.slug.clone(), d.name.clone()))
            .collect(),
        page,
        mailboxes,
        rules,
        form: MailboxForm {
            imap_port: "993".into(),
            imap_tls: "tls".into(),
            smtp_port: "587".into(),
            smtp_tls: "starttls".into(),
            folder: "INBOX".into(),
            // "From the address" (`""`) until the admin picks one.
            department: String::new(),
            ..MailboxForm::default()
        },
        errors: FieldErrors::default(),
        problem: None,
        test: None,
    })
}

/// A connection problem in the reader's language, and the raw error.
fn explain(page: &PageCtx, problem: &ConnectionProblem) -> (String, String) {
    (page.error(&problem.field_error("")), problem.detail.clone())
}

/// GET /admin/mailboxes
async fn index(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
) -> Result<MailboxesPage, WebError> {
    page_data(&app, page).await
}

/// POST /admin/mailboxes: checks the IMAP connection first; with
/// `confirm=1` ("Save anyway") saves without it.
async fn create(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Redisplay(redisplay): Redisplay,
    Form(form): Form<MailboxForm>,
) -> Result<Response, WebError> {
    // A password typed again replaces the one kept from the last attempt.
    let typed = |now: &str, kept: &str| {
        if now.is_empty() {
            mailboxes::unseal_typed(&app, kept).unwrap_or_default()
        } else {
            now.to_string()
        }
    };
    let imap_password = typed(&form.imap_password, &form.imap_password_kept);
    let smtp_password = typed(&form.smtp_password, &form.smtp_password_kept);
    let input = mailboxes::MailboxInput {
        name: form.name.clone(),
        imap_host: form.imap_host.clone(),
        imap_port: form.imap_port.trim().parse().unwrap_or(993),
        imap_tls: form.imap_tls.parse().unwrap_or(crate::config::TlsMode::Tls),
        imap_user: form.imap_user.clone(),
        imap_password: imap_password.clone(),
        folder: if form.folder.trim().is_empty() {
            "INBOX".into()
        } else {
            form.folder.clone()
        },
        processed_folder: Some(form.processed_folder.clone()).filter(|f| !f.trim().is_empty()),
        smtp_host: form.smtp_host.clone(),
        smtp_port: form.smtp_port.trim().parse().unwrap_or(587),
        smtp_tls: form
            .smtp_tls
            .parse()
            .unwrap_or(crate::config::TlsMode::Starttls),
        smtp_user: Some(form.smtp_user.clone()).filter(|u| !u.trim().is_empty()),
        smtp_password: Some(smtp_password.clone()).filter(|p| !p.is_empty()),
        addresses: form
            .addresses
            .split([',', '\n'])
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect(),
        department: form.department.clone(),
        import_existing: form.existing == "import",
        use_idle: true,
    };
    let save_anyway = confirmed(Some(form.confirm.as_str()));
    let (errors, problem) = if redisplay {
        (FieldErrors::default(), None)
    } else {
        match mailboxes::add_checked(&app, Some(admin.user.id), input, save_anyway).await {
            Ok(mailboxes::Added::Saved(_)) => {
                return Ok(saved("/admin/mailboxes").into_response());
            }
            Ok(mailboxes::Added::Unreachable(problem)) => {
                let mut errors = FieldErrors::default();
                errors
                    .0
                    .push(problem.field_error(problem.kind.imap_field()));
                (errors, Some(problem))
            }
            Err(service::Error::Invalid(errors)) => (errors, None),
            Err(other) => return Err(other.into()),
        }
    };
    let mut again = page_data(&app, page).await?;
    // Passwords are never sent back in the clear: sealed, they stay in the
    // form so that "Save anyway" or a correction need not retype them.
    again.form = MailboxForm {
        imap_password: String::new(),
        smtp_password: String::new(),
        imap_password_kept: mailboxes::seal_typed(&app, &imap_password),
        smtp_password_kept: mailboxes::seal_typed(&app, &smtp_password),
        confirm: String::new(),
        ..form
    };
    again.errors = errors;
    again.problem = problem;
    let status = if redisplay {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, again).into_response())
}

/// POST /admin/mailboxes/{id}/test: both connections, each problem explained.
async fn test(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
    Path(id): Path<String>,
) -> Result<MailboxesPage, WebError> {
    let id: Uuid = id.parse().map_err(|_| WebError::NotFound)?;
    let mb = store::mailboxes::find(&app.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let result = mailboxes::test(&app, &mb).await;
    let line = |ok: String, problem: &Option<ConnectionProblem>| match problem {
        None => TestLine {
            ok: true,
            text: ok,
            detail: String::new(),
        },
        Some(p) => {
            let (text, detail) = explain(&page, p);
            TestLine {
                ok: false,
                text,
                detail,
            }
        }
    };
    let imap_ok = page.locale.t_with(
        "admin-test-imap-ok",
        &[
            ("name", Arg::Str(mb.imap_folder.clone())),
            ("n", Arg::Num(i64::from(result.imap_messages.unwrap_or(0)))),
        ],
    );
    let view = TestView {
        lines: vec![
            ("IMAP", line(imap_ok, &result.imap_problem)),
            (
                "SMTP",
                line(page.t("admin-test-smtp-ok"), &result.smtp_problem),
            ),
        ],
        name: mb.name,
    };
    let mut again = page_data(&app, page).await?;
    again.test = Some(view);
    // A language switch here runs the test again: it changes nothing.
    again.page.keep_form(
        &format!("test-{id}"),
        &format!("/admin/mailboxes/{id}/test"),
    );
    Ok(again)
}

#[derive(Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    pattern: String,
    #[serde(default)]
    department: String,
}

/// POST /admin/rules
async fn add_rule(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    Form(form): Form<RuleForm>,
) -> Result<Response, WebError> {
    service::mail::mailboxes::add_rule(
        &app.db,
        admin.user.id,
        &form.kind,
        &form.pattern,
        &form.department,
    )
    .await?;
    Ok(saved("/admin/mailboxes").into_response())
}

/// POST /admin/rules/{id}/delete
async fn delete_rule(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: Uuid = id.parse().map_err(|_| WebError::NotFound)?;
    service::mail::mailboxes::delete_rule(&app.db, admin.user.id, id).await?;
    Ok(saved("/admin/mailboxes").into_response())
}

/// One mail needing an operator.
pub struct RawView {
    id: String,
    received: String,
    state: String,
    error: String,
    message_id: String,
    attempts: i32,
}

/// One failing outgoing mail.
pub struct OutgoingView {
    id: String,
    /// The ticket number, for the link.
    ticket: Option<String>,
    subject: String,
    recipients: String,
    attempts: i32,
    /// When it is tried next; empty when given up.
    next: String,
    given_up: bool,
    /// The last error as a sentence, and its raw text.
    error: (String, String),
}

/// templates/admin/mail.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/mail.html")]
pub struct AttentionPage {
    page: PageCtx,
    mails: Vec<RawView>,
    /// Outgoing mail that is failing, newest first.
    outgoing: Vec<OutgoingView>,
    /// How many are failing in all (more than listed when over the limit).
    outgoing_total: i64,
    /// (address, blocked by, reason, when)
    blocked: Vec<(String, String, String, String)>,
}

#[derive(Deserialize)]
pub struct UnblockForm {
    #[serde(default)]
    address: String,
}

/// POST /admin/blocked/unblock
async fn unblock(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    Form(form): Form<UnblockForm>,
) -> Result<Response, WebError> {
    mailboxes::unblock(&app, &admin.user, &form.address).await?;
    Ok(notice::redirect("/admin/mail", "unblocked"))
}

/// GET /admin/mail
async fn attention(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
) -> Result<AttentionPage, WebError> {
    let mails = store::mail::attention(&app.db)
        .await?
        .into_iter()
        .map(|r| RawView {
            id: r.id.to_string(),
            received: page.fmt.datetime(r.received_at),
            state: r.state,
            error: r.error.unwrap_or_default(),
            message_id: r.message_id.unwrap_or_default(),
            attempts: r.attempts,
        })
        .collect();
    let blocked = mailboxes::blocked(&app)
        .await?
        .into_iter()
        .map(|b| {
            let when = page.fmt.datetime(b.at);
            (
                b.address,
                b.blocked_by_name.unwrap_or_default(),
                b.reason,
                when,
            )
        })
        .collect();
    let failing = delivery::failing(&app).await?;
    let outgoing = failing
        .mails
        .iter()
        .map(|m| OutgoingView {
            id: m.id.to_string(),
            ticket: m.ticket.map(|n| n.to_string()),
            subject: m.subject.clone(),
            recipients: m.recipients.join(", "),
            attempts: m.attempts,
            next: m
                .next_attempt_at
                .map(|t| page.fmt.datetime(t))
                .unwrap_or_default(),
            given_up: m.given_up,
            error: explain_outgoing(&page, &m.problem),
        })
        .collect();
    Ok(AttentionPage {
        page,
        mails,
        outgoing,
        outgoing_total: failing.total,
        blocked,
    })
}

/// An outgoing mail's last error as a sentence; a mail not tried yet (or
/// without a stored error) says only that it is waiting.
fn explain_outgoing(page: &PageCtx, problem: &ConnectionProblem) -> (String, String) {
    if problem.detail.is_empty() {
        return (page.t("admin-outgoing-no-error"), String::new());
    }
    explain(page, problem)
}

/// POST /admin/outbox/{id}/retry: a failing outgoing mail is due at once.
async fn retry_outgoing(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: Uuid = id.parse().map_err(|_| WebError::NotFound)?;
    delivery::retry_now(&app, id).await?;
    Ok(notice::redirect("/admin/mail", "outgoing-retry"))
}

/// POST /admin/mail/{id}/retry
async fn retry(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: Uuid = id.parse().map_err(|_| WebError::NotFound)?;
    service::mail::retry(&app, id, false).await?;
    Ok(saved("/admin/mail").into_response())
}

/// POST /admin/mail/{id}/release: a mail held as spam goes through after all.
async fn release(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: Uuid = id.parse().map_err(|_| WebError::NotFound)?;
    service::mail::retry(&app, id, true).await?;
    Ok(saved("/admin/mail").into_response())
}

/// GET /admin/mail/{id}/raw: the original bytes.
async fn raw(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: Uuid = id.parse().map_err(|_| WebError::NotFound)?;
    let row = service::mail::raw_for(&app, &admin.viewer(), id).await?;
    raw_response(&app, &row.blob_sha256, id).await
}

/// A raw mail as a download.
pub async fn raw_response(app: &AppState, sha256: &str, id: Uuid) -> Result<Response, WebError> {
    let reader = app.blobs.open(sha256).await.map_err(|e| match e {
        // Past its retention the bytes are gone; the record stays.
        crate::blobs::BlobError::Missing => WebError::NotFound,
        other => WebError::Internal(other.into()),
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "message/rfc822".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{id}.eml\""),
            ),
        ],
        Body::from_stream(ReaderStream::new(reader)),
    )
        .into_response())
}
