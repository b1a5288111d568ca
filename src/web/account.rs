//! The signed-in user's own account: preferences, password, sessions.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::context::{PageCtx, SESSION_COOKIE, build_cookie};
use super::error::WebError;
use super::extract::SignedIn;
use super::notice;
use crate::domain::ids::SessionId;
use crate::service::{self, FieldErrors, accounts};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(show).post(update))
        .route(
            "/account/password",
            get(password_form).post(change_password),
        )
        .route("/account/sessions/{id}/revoke", post(revoke_session))
        .route("/account/sign-out-everywhere", post(sign_out_everywhere))
}

/// One row of the sessions list.
pub struct SessionView {
    id: String,
    current: bool,
    last_seen: String,
    last_seen_exact: String,
    created: String,
    address: String,
    device: String,
    /// The raw User-Agent, shown on hover.
    user_agent: String,
}

/// templates/account/show.html
#[derive(Template, WebTemplate)]
#[template(path = "account/show.html")]
pub struct AccountPage {
    page: PageCtx,
    name: String,
    locale: String,
    time_zone: String,
    time_zones: Vec<(String, Vec<(String, String)>)>,
    errors: FieldErrors,
    sessions: Vec<SessionView>,
}

async fn account_page(
    app: &AppState,
    page: PageCtx,
    visitor: &super::context::Visitor,
    form: Option<(String, String, String)>,
    errors: FieldErrors,
) -> Result<AccountPage, WebError> {
    let now = time::OffsetDateTime::now_utc();
    let sessions = accounts::sessions(&app.db, visitor.user.id)
        .await?
        .into_iter()
        .map(|s| SessionView {
            id: s.id.to_string(),
            current: s.id == visitor.session_id,
            last_seen: page.fmt.relative(s.last_seen_at, now),
            last_seen_exact: page.fmt.exact(s.last_seen_at),
            created: page.fmt.datetime(s.created_at),
            address: s.ip.map(|ip| ip.ip().to_string()).unwrap_or_default(),
            device: match s.user_agent.as_deref().and_then(crate::web::format::device) {
                Some((browser, "")) => browser.to_string(),
                Some((browser, system)) => page.locale.t_with(
                    "session-device",
                    &[
                        ("browser", crate::i18n::Arg::Str(browser.into())),
                        ("system", crate::i18n::Arg::Str(system.into())),
                    ],
                ),
                None => page.t("session-device-unknown"),
            },
            user_agent: s.user_agent.unwrap_or_default(),
        })
        .collect();
    let (name, locale, time_zone) = form.unwrap_or_else(|| {
        (
            visitor.user.name.clone(),
            visitor.user.locale.clone().unwrap_or_default(),
            visitor.user.time_zone.clone().unwrap_or_default(),
        )
    });
    let time_zones = super::format::time_zone_groups(&time_zone);
    Ok(AccountPage {
        page,
        name,
        locale,
        time_zone,
        time_zones,
        errors,
        sessions,
    })
}

/// GET /account
async fn show(
    State(app): State<AppState>,
    SignedIn(visitor): SignedIn,
    page: PageCtx,
) -> Result<AccountPage, WebError> {
    account_page(&app, page, &visitor, None, FieldErrors::default()).await
}

#[derive(Deserialize)]
pub struct PreferencesForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    locale: String,
    #[serde(default)]
    time_zone: String,
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.trim().is_empty()).then_some(s.trim())
}

/// POST /account
async fn update(
    State(app): State<AppState>,
    SignedIn(visitor): SignedIn,
    page: PageCtx,
    Form(form): Form<PreferencesForm>,
) -> Result<Response, WebError> {
    let result = accounts::update_preferences(
        &app.db,
        visitor.user.id,
        &form.name,
        non_empty(&form.locale),
        non_empty(&form.time_zone),
    )
    .await;
    match result {
        Ok(()) => Ok(notice::redirect("/account", "saved")),
        Err(service::Error::Invalid(errors)) => {
            let body = account_page(
                &app,
                page,
                &visitor,
                Some((form.name, form.locale, form.time_zone)),
                errors,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// templates/account/password.html
#[derive(Template, WebTemplate)]
#[template(path = "account/password.html")]
pub struct PasswordPage {
    page: PageCtx,
    must_change: bool,
    errors: FieldErrors,
    min_password: usize,
}

/// GET /account/password
async fn password_form(
    State(app): State<AppState>,
    SignedIn(visitor): SignedIn,
    page: PageCtx,
) -> PasswordPage {
    PasswordPage {
        page,
        must_change: visitor.user.must_change_password,
        errors: FieldErrors::default(),
        min_password: app.config.accounts.min_password_length,
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    /// Filled in by static/zone.js: staff set their password on their
    /// first sign-in, which is where their zone is first known.
    #[serde(default)]
    time_zone: String,
}

/// POST /account/password: other sessions end.
async fn change_password(
    State(app): State<AppState>,
    SignedIn(visitor): SignedIn,
    page: PageCtx,
    ctx: crate::web::context::RequestCtx,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let result = accounts::change_password(
        &app.db,
        &app.config.accounts,
        &app.hasher,
        ctx.ip,
        visitor.user.id,
        visitor.session_id,
        &form.current,
        &form.new,
    )
    .await;
    if result.is_ok() && visitor.user.time_zone.is_none() {
        accounts::adopt_browser_zone(&app.db, visitor.user.id, &form.time_zone).await?;
    }
    match result {
        Ok(()) => Ok(notice::redirect(
            visitor.user.role.home(),
            "password-changed",
        )),
        Err(service::Error::Invalid(errors)) => {
            let body = PasswordPage {
                page,
                must_change: visitor.user.must_change_password,
                errors,
                min_password: app.config.accounts.min_password_length,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// POST /account/sessions/{id}/revoke
async fn revoke_session(
    State(app): State<AppState>,
    SignedIn(visitor): SignedIn,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: SessionId = id.parse().map_err(|_| WebError::NotFound)?;
    accounts::revoke_session(&app.db, visitor.user.id, id).await?;
    Ok(notice::redirect("/account", "session-ended"))
}

/// POST /account/sign-out-everywhere
async fn sign_out_everywhere(
    State(app): State<AppState>,
    SignedIn(visitor): SignedIn,
) -> Result<Response, WebError> {
    accounts::sign_out_everywhere(&app.db, visitor.user.id).await?;
    let cookie = build_cookie(
        SESSION_COOKIE,
        String::new(),
        Some(0),
        app.config.secure_cookies(),
    );
    Ok((
        [(header::SET_COOKIE, cookie)],
        notice::redirect("/login", "signed-out-everywhere"),
    )
        .into_response())
}
