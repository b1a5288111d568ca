//! Sign in, sign out, register, and the language switcher.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::context::{LANG_COOKIE, PageCtx, RequestCtx, SESSION_COOKIE, Visitor, build_cookie};
use super::error::WebError;
use super::extract::safe_next;
use super::notice;
use super::relang::Redisplay;
use crate::domain::ids::UserId;
use crate::i18n::Locale;
use crate::service::{self, FieldErrors, accounts};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/register", get(register_form).post(register))
        .route("/locale", post(set_locale))
}

/// templates/auth/login.html
#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    page: PageCtx,
    email: String,
    next: String,
    errors: FieldErrors,
    registration: bool,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    next: Option<String>,
}

/// GET /login
async fn login_form(
    State(app): State<AppState>,
    mut page: PageCtx,
    Query(q): Query<NextQuery>,
) -> LoginPage {
    page.keep_form("login-form", "/login");
    LoginPage {
        page,
        email: String::new(),
        next: safe_next(q.next.as_deref()).unwrap_or_default(),
        errors: FieldErrors::default(),
        registration: app.config.accounts.registration,
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// POST /login
async fn login(
    State(app): State<AppState>,
    mut page: PageCtx,
    ctx: RequestCtx,
    headers: HeaderMap,
    Redisplay(redisplay): Redisplay,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    page.keep_form("login-form", "/login");
    if redisplay {
        let again = LoginPage {
            page,
            email: form.email,
            next: safe_next(Some(&form.next)).unwrap_or_default(),
            errors: FieldErrors::default(),
            registration: app.config.accounts.registration,
        };
        return Ok(again.into_response());
    }
    let result = accounts::authenticate(
        &app.db,
        &app.config.accounts,
        &app.hasher,
        &form.email,
        &form.password,
        ctx.ip,
    )
    .await;
    let mut throttled = None;
    let (status, errors) = match result {
        Ok(user) => {
            let target = if user.must_change_password {
                "/account/password".to_string()
            } else {
                safe_next(Some(&form.next)).unwrap_or_else(|| user.role.home().to_string())
            };
            return sign_in(&app, &ctx, &headers, user.id, &target).await;
        }
        Err(service::Error::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors),
        Err(service::Error::Throttled { retry_after }) => {
            throttled = Some(retry_after);
            (
                StatusCode::TOO_MANY_REQUESTS,
                FieldErrors::one_error("", "error-throttled"),
            )
        }
        Err(other) => return Err(other.into()),
    };
    let body = LoginPage {
        page,
        email: form.email,
        next: safe_next(Some(&form.next)).unwrap_or_default(),
        errors,
        registration: app.config.accounts.registration,
    };
    let mut response = (status, body).into_response();
    if let Some(seconds) = throttled {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
    }
    Ok(response)
}

/// Starts a session for `user` (remembering where from) and sends them on
/// to `target` with its cookie.
pub async fn sign_in(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    user: UserId,
    target: &str,
) -> Result<Response, WebError> {
    // Signing in as someone else in the same browser ends the session
    // that was there: one browser, one person.
    if let Some(old) = session_token(headers) {
        service::accounts::sessions::end_token(&app.db, &old).await?;
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let token = service::accounts::sessions::start(
        &app.db,
        user,
        app.config.accounts.session_days,
        Some(ctx.ip),
        user_agent,
    )
    .await?;
    let cookie = build_cookie(
        SESSION_COOKIE,
        token,
        Some(i64::from(app.config.accounts.session_days)),
        app.config.secure_cookies(),
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(target)).into_response())
}

/// POST /logout
async fn logout(
    State(app): State<AppState>,
    visitor: Option<axum::Extension<Visitor>>,
) -> Result<Response, WebError> {
    if let Some(axum::Extension(v)) = visitor {
        service::accounts::sessions::end(&app.db, v.user.id, v.session_id).await?;
    }
    let secure = app.config.secure_cookies();
    let cookie = build_cookie(SESSION_COOKIE, String::new(), Some(0), secure);
    // A signed link followed in this browser stops working here too.
    let link = build_cookie(
        crate::web::portal::access::LINK_COOKIE,
        String::new(),
        Some(0),
        secure,
    );
    let mut response = notice::redirect("/login", "signed-out");
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response.headers_mut().append(header::SET_COOKIE, link);
    Ok(response)
}

/// The session token this browser sent, if any.
fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| cookie::Cookie::split_parse_encoded(v.to_string()))
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_string())
}

/// templates/auth/register.html
#[derive(Template, WebTemplate)]
#[template(path = "auth/register.html")]
pub struct RegisterPage {
    page: PageCtx,
    email: String,
    name: String,
    errors: FieldErrors,
    min_password: usize,
}

/// GET /register
async fn register_form(
    State(app): State<AppState>,
    mut page: PageCtx,
) -> Result<RegisterPage, WebError> {
    if !app.config.accounts.registration {
        return Err(WebError::NotFound);
    }
    page.keep_form("register-form", "/register");
    Ok(RegisterPage {
        page,
        email: String::new(),
        name: String::new(),
        errors: FieldErrors::default(),
        min_password: app.config.accounts.min_password_length,
    })
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    /// Filled in by static/zone.js from the browser.
    #[serde(default)]
    time_zone: String,
}

/// POST /register
async fn register(
    State(app): State<AppState>,
    mut page: PageCtx,
    ctx: RequestCtx,
    headers: HeaderMap,
    Redisplay(redisplay): Redisplay,
    Form(form): Form<RegisterForm>,
) -> Result<Response, WebError> {
    if !app.config.accounts.registration {
        return Err(WebError::NotFound);
    }
    page.keep_form("register-form", "/register");
    if redisplay {
        let again = RegisterPage {
            page,
            email: form.email,
            name: form.name,
            errors: FieldErrors::default(),
            min_password: app.config.accounts.min_password_length,
        };
        return Ok(again.into_response());
    }
    let input = accounts::Registration {
        email: form.email.clone(),
        name: form.name.clone(),
        password: form.password,
        locale: Some(page.lang.clone()),
        time_zone: Some(form.time_zone.clone()).filter(|z| !z.is_empty()),
    };
    match accounts::register(&app, ctx.ip, input).await {
        Ok(user) => sign_in(&app, &ctx, &headers, user, "/portal")
            .await
            .map(|r| notice::with(r, "welcome")),
        Err(service::Error::Invalid(errors)) => {
            let body = RegisterPage {
                page,
                email: form.email,
                name: form.name,
                errors,
                min_password: app.config.accounts.min_password_length,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct LocaleForm {
    lang: String,
    #[serde(default)]
    back: String,
}

/// POST /locale: the header's language switcher; remembered in a cookie,
/// and in the account when signed in.
async fn set_locale(
    State(app): State<AppState>,
    visitor: Option<axum::Extension<Visitor>>,
    Form(form): Form<LocaleForm>,
) -> Result<Response, WebError> {
    let Some(locale) = Locale::parse(&form.lang) else {
        return Err(WebError::Invalid);
    };
    if let Some(axum::Extension(v)) = visitor {
        accounts::set_locale(&app.db, v.user.id, &locale).await?;
    }
    let cookie = build_cookie(
        LANG_COOKIE,
        locale.code(),
        Some(365),
        app.config.secure_cookies(),
    );
    let back = safe_next(Some(&form.back)).unwrap_or_else(|| "/".into());
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&back)).into_response())
}
