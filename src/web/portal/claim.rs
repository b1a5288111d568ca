//! Claiming an account: customers who first wrote by mail set a password
//! for their address through a mailed link. Following the link only shows
//! a form; the password is set by its POST.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use crate::service::{self, FieldErrors, accounts};
use crate::state::AppState;
use crate::web::auth::sign_in;
use crate::web::context::{PageCtx, RequestCtx};
use crate::web::error::WebError;
use crate::web::notice;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/claim", get(request_form).post(request))
        .route("/claim/{token}", get(password_form).post(set_password))
}

/// templates/portal/claim.html
#[derive(Template, WebTemplate)]
#[template(path = "portal/claim.html")]
pub struct ClaimPage {
    page: PageCtx,
    email: String,
    errors: FieldErrors,
}

/// GET /claim
async fn request_form(page: PageCtx) -> ClaimPage {
    ClaimPage {
        page,
        email: String::new(),
        errors: FieldErrors::default(),
    }
}

#[derive(Deserialize)]
pub struct ClaimForm {
    #[serde(default)]
    email: String,
}

/// POST /claim
async fn request(
    State(app): State<AppState>,
    page: PageCtx,
    ctx: RequestCtx,
    Form(form): Form<ClaimForm>,
) -> Result<Response, WebError> {
    match accounts::request_claim(&app, &form.email, ctx.ip).await {
        Ok(()) => Ok(notice::redirect("/claim", "claim-sent")),
        Err(service::Error::Invalid(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            ClaimPage {
                page,
                email: form.email,
                errors,
            },
        )
            .into_response()),
        Err(other) => Err(other.into()),
    }
}

/// templates/portal/claim_password.html
#[derive(Template, WebTemplate)]
#[template(path = "portal/claim_password.html")]
pub struct ClaimPasswordPage {
    page: PageCtx,
    token: String,
    email: String,
    name: String,
    errors: FieldErrors,
    min_password: usize,
}

/// GET /claim/{token}
async fn password_form(
    State(app): State<AppState>,
    page: PageCtx,
    Path(token): Path<String>,
) -> Result<ClaimPasswordPage, WebError> {
    let user = accounts::claimable(&app, &token).await?;
    Ok(ClaimPasswordPage {
        page,
        token,
        email: user.email,
        name: user.name,
        errors: FieldErrors::default(),
        min_password: app.config.accounts.min_password_length,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// POST /claim/{token}: sets the password and signs in.
async fn set_password(
    State(app): State<AppState>,
    page: PageCtx,
    ctx: RequestCtx,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    match accounts::claim(&app, &token, &form.name, &form.password).await {
        Ok(user) => sign_in(&app, &ctx, &headers, user.id, "/portal")
            .await
            .map(|r| notice::with(r, "welcome")),
        Err(service::Error::Invalid(errors)) => {
            let user = accounts::claimable(&app, &token).await?;
            let body = ClaimPasswordPage {
                page,
                token,
                email: user.email,
                name: form.name,
                errors,
                min_password: app.config.accounts.min_password_length,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
