//! Admin: data protection for one customer. Find them by address, see
//! what Bilet holds (addresses, tickets), download everything about them
//! (the CLI's export as one .tar) and erase them after a confirmation that
//! says what goes. The rules are in `service::privacy`.

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use tokio_util::io::ReaderStream;

use crate::domain::ids::UserId;
use crate::service::{self, privacy};
use crate::state::AppState;
use crate::web::confirm::{ConfirmPage, confirmed};
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;
use crate::web::notice;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/customers", get(find))
        .route("/admin/customers/{id}/export", post(export))
        .route("/admin/customers/{id}/erase", post(erase))
}

/// templates/admin/customers.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/customers.html")]
pub struct CustomersPage {
    page: PageCtx,
    /// The address typed, kept.
    email: String,
    found: Option<privacy::Overview>,
    /// An address was looked up and nobody has it.
    missing: bool,
}

impl CustomersPage {
    fn since(&self, o: &privacy::Overview) -> (String, String) {
        let at = o.user.created_at;
        (self.page.fmt.exact(at), self.page.fmt.date(at))
    }
}

#[derive(Deserialize, Default)]
pub struct FindQuery {
    #[serde(default)]
    email: String,
}

/// GET /admin/customers?email=: the search, and the customer found.
async fn find(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
    Query(q): Query<FindQuery>,
) -> Result<CustomersPage, WebError> {
    let email = q.email.trim().to_string();
    let found = if email.is_empty() {
        None
    } else {
        match privacy::customer(&app, &email).await {
            Ok(user) => Some(privacy::overview(&app, user.id).await?),
            Err(service::Error::NotFound) => None,
            Err(other) => return Err(other.into()),
        }
    };
    Ok(CustomersPage {
        page,
        missing: !email.is_empty() && found.is_none(),
        email,
        found,
    })
}

/// POST /admin/customers/{id}/export: everything about them, as a .tar.
async fn export(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<UserId>,
) -> Result<Response, WebError> {
    let customer = privacy::overview(&app, id).await?;
    let file = privacy::export_archive(&app, &customer.user, Some(admin.user.id)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-tar".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"bilet-export-{}.tar\"",
                    id.0.simple()
                ),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(ReaderStream::new(file)),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    confirm: Option<String>,
}

/// POST /admin/customers/{id}/erase: says what goes and asks, then erases.
async fn erase(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path(id): Path<UserId>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    let customer = privacy::overview(&app, id).await?;
    let email = customer.user.email.clone();
    if !confirmed(form.confirm.as_deref()) {
        return Ok(ConfirmPage {
            title: page.t("admin-customer-erase-title"),
            question: page.t2(
                "admin-customer-erase-question",
                "email",
                email.clone(),
                "tickets",
                customer.tickets.to_string(),
            ),
            action: format!("/admin/customers/{}/erase", id.0),
            fields: Vec::new(),
            text: None,
            confirm_label: page.t("admin-customer-erase"),
            cancel: format!("/admin/customers?email={}", urlencode(&email)),
            page,
        }
        .into_response());
    }
    privacy::erase(&app, &customer.user, Some(admin.user.id)).await?;
    Ok(notice::redirect("/admin/customers", "customer-erased"))
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
