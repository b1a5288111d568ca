//! Confirming a registered address through the mailed link. Following the
//! link only shows a button (mail scanners open every link); its POST
//! confirms. Signed-in customers can ask for the link again.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::service::{self, accounts};
use crate::state::AppState;
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::CustomerUser;
use crate::web::notice;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/verify/{token}", get(form).post(confirm))
        .route("/account/verify", post(resend))
}

/// templates/portal/verify.html
#[derive(Template, WebTemplate)]
#[template(path = "portal/verify.html")]
pub struct VerifyPage {
    page: PageCtx,
    token: String,
    email: String,
}

/// GET /verify/{token}
async fn form(
    State(app): State<AppState>,
    page: PageCtx,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    match accounts::verifiable(&app, &token).await {
        Ok(user) => Ok(VerifyPage {
            page,
            token,
            email: user.email,
        }
        .into_response()),
        Err(service::Error::NotFound) => Ok(notice::redirect("/login", "verify-expired")),
        Err(other) => Err(other.into()),
    }
}

/// POST /verify/{token}
async fn confirm(
    State(app): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    match accounts::verify(&app, &token).await {
        Ok(_) => Ok(notice::redirect("/portal", "address-confirmed")),
        Err(service::Error::NotFound) => Ok(notice::redirect("/login", "verify-expired")),
        Err(other) => Err(other.into()),
    }
}

/// POST /account/verify: the link again.
async fn resend(
    State(app): State<AppState>,
    CustomerUser(visitor): CustomerUser,
    ctx: crate::web::context::RequestCtx,
) -> Result<Response, WebError> {
    accounts::resend_verification(&app, &visitor.user, ctx.ip).await?;
    Ok(notice::redirect("/portal", "verify-sent"))
}
