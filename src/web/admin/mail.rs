//! Admin: mailboxes (add, test the connections), routing rules, and the
//! mail that needs an operator: quarantined (with its error) or held as
//! spam, to retry, release or download.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use super::saved;
use crate::service::mail::mailboxes;
use crate::service::{self, FieldErrors};
use crate::state::AppState;
use crate::store;
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;

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
        .route("/admin/blocked/unblock", post(unblock))
}

/// One mailbox in the list.
pub struct MailboxView {
    id: String,
    name: String,
    imap: String,
    addresses: String,
    polled: String,
    error: String,
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
    test: Option<(String, String, String)>,
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
}

async fn page_data(app: &AppState, page: PageCtx) -> Result<MailboxesPage, WebError> {
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
            error: m.last_error.unwrap_or_default(),
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
            ..MailboxForm::default()
        },
        errors: FieldErrors::default(),
        test: None,
    })
}

/// GET /admin/mailboxes
async fn index(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
) -> Result<MailboxesPage, WebError> {
    page_data(&app, page).await
}

/// POST /admin/mailboxes
async fn create(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Form(form): Form<MailboxForm>,
) -> Result<Response, WebError> {
    let input = mailboxes::MailboxInput {
        name: form.name.clone(),
        imap_host: form.imap_host.clone(),
        imap_port: form.imap_port.trim().parse().unwrap_or(993),
        imap_tls: form.imap_tls.parse().unwrap_or(crate::config::TlsMode::Tls),
        imap_user: form.imap_user.clone(),
        imap_password: form.imap_password.clone(),
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
        smtp_password: Some(form.smtp_password.clone()).filter(|p| !p.is_empty()),
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
    match mailboxes::add(&app, Some(admin.user.id), input).await {
        Ok(_) => Ok(saved("/admin/mailboxes").into_response()),
        Err(service::Error::Invalid(errors)) => {
            let mut again = page_data(&app, page).await?;
            // Passwords are never sent back to the browser.
            again.form = MailboxForm {
                imap_password: String::new(),
                smtp_password: String::new(),
                ..form
            };
            again.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, again).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// POST /admin/mailboxes/{id}/test: the exact IMAP and SMTP errors, if any.
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
    let mut again = page_data(&app, page).await?;
    again.test = Some((mb.name, result.imap, result.smtp));
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

/// templates/admin/mail.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/mail.html")]
pub struct AttentionPage {
    page: PageCtx,
    mails: Vec<RawView>,
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
    Ok(Redirect::to("/admin/mail?notice=unblocked").into_response())
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
    Ok(AttentionPage {
        page,
        mails,
        blocked,
    })
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
    let reader = app
        .blobs
        .open(sha256)
        .await
        .map_err(|e| WebError::Internal(e.into()))?;
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
