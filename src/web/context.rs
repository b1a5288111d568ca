//! Per-request context, worked out once by one middleware for every page:
//! who is signed in, the client address, the language and time zone, the
//! CSRF cookie. The same middleware refuses state-changing requests without
//! a valid CSRF token (so no handler can forget), keeps users with a
//! one-time password on the password page, and renders error pages in the
//! reader's language.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};

use super::csrf;
use super::error::{ErrorMarker, ErrorPage};
use super::notice::{self, NOTICE_COOKIE};
use crate::domain::access::Viewer;
use crate::domain::ids::SessionId;
use crate::domain::users::Role;
use crate::i18n::{Arg, Formatter, Locale};
use crate::service;
use crate::state::AppState;
use crate::store::users::UserRow;

pub const SESSION_COOKIE: &str = "bilet_session";
pub const CSRF_COOKIE: &str = "bilet_csrf";
pub const LANG_COOKIE: &str = "bilet_lang";
/// Form field and header that carry the CSRF token.
pub const CSRF_FIELD: &str = "csrf";
const CSRF_HEADER: &str = "x-csrf-token";
// Urlencoded forms are small; uploads are multipart and carry the token in
// the query string instead.
const FORM_LIMIT: usize = 1024 * 1024;

/// The signed-in user of this request.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub user: UserRow,
    pub session_id: SessionId,
    /// Whether they manage a department: managers see its statistics.
    pub manages: bool,
}

impl Visitor {
    /// The user as the access rule sees them.
    pub fn viewer(&self) -> Viewer {
        self.user.viewer()
    }
}

/// What every handler may know about the request.
#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub ip: IpAddr,
    pub locale: Locale,
    pub tz: jiff::tz::TimeZone,
    pub csrf_token: String,
    /// Path and query, for "back to where I was" links.
    pub path: String,
    pub request_id: Option<String>,
    pub helpdesk_name: String,
    /// The key of the one-shot notice this page view brings (see
    /// `web::notice`), not yet checked against the locale.
    pub notice: Option<String>,
}

/// Everything a page template needs besides its own data.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub locale: Locale,
    pub fmt: Formatter,
    pub lang: String,
    pub csrf: String,
    pub path: String,
    pub user: Option<UserSummary>,
    /// The one-shot notice's text, in the reader's language.
    pub notice: Option<String>,
    /// Its key ("created"), for pages that show more than the text; only
    /// letters, digits and dashes, but not necessarily a known message.
    pub notice_key: Option<String>,
    pub languages: Vec<(String, String)>,
    pub helpdesk_name: String,
    /// The form the language buttons submit (see `web::relang`).
    pub kept_form: Option<super::relang::KeptForm>,
}

/// Numbers templates pass to plural messages, by value or by reference
/// (askama hands out references).
pub trait Count {
    fn count(&self) -> i64;
}

impl Count for i64 {
    fn count(&self) -> i64 {
        *self
    }
}

impl Count for usize {
    fn count(&self) -> i64 {
        *self as i64
    }
}

impl<T: Count + ?Sized> Count for &T {
    fn count(&self) -> i64 {
        (**self).count()
    }
}

/// The signed-in user as the page header shows them.
#[derive(Debug, Clone)]
pub struct UserSummary {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub manages: bool,
}

impl PageCtx {
    pub fn new(ctx: &RequestCtx, visitor: Option<&Visitor>) -> PageCtx {
        let locale = ctx.locale.clone();
        // Only known notices are shown: the cookie cannot inject text. The
        // key itself is only compared with literals ("created" has no text
        // of its own: the ticket page shows a callout instead).
        let notice_key = ctx.notice.clone();
        let notice = notice_key
            .as_ref()
            .map(|key| format!("notice-{key}"))
            .filter(|key| locale.has(key))
            .map(|key| locale.t(&key));
        let languages = crate::i18n::available()
            .into_iter()
            .filter_map(|code| Locale::parse(&code).map(|l| (code, l.t("language-name"))))
            .collect();
        PageCtx {
            fmt: Formatter::new(locale.clone(), ctx.tz.clone()),
            lang: locale.code(),
            locale,
            csrf: ctx.csrf_token.clone(),
            path: ctx.path.clone(),
            user: visitor.map(|v| UserSummary {
                name: v.user.name.clone(),
                email: v.user.email.clone(),
                role: v.user.role,
                manages: v.manages,
            }),
            notice,
            notice_key,
            languages,
            helpdesk_name: ctx.helpdesk_name.clone(),
            kept_form: None,
        }
    }

    /// Makes the language buttons submit the form `id` (posting to
    /// `action`), so a switch keeps what was typed.
    pub fn keep_form(&mut self, id: &str, action: &str) {
        self.kept_form = Some(super::relang::KeptForm {
            id: id.to_string(),
            action: action.to_string(),
        });
    }

    /// Whether this page shows the one-shot notice `key`.
    pub fn notice_is(&self, key: &str) -> bool {
        self.notice_key.as_deref() == Some(key)
    }

    /// A message in the reader's language.
    pub fn t(&self, key: &str) -> String {
        self.locale.t(key)
    }

    /// A message with one argument.
    pub fn t1(&self, key: &str, name: &'static str, value: impl ToString) -> String {
        self.locale
            .t_with(key, &[(name, Arg::Str(value.to_string()))])
    }

    /// A message with two arguments.
    pub fn t2(
        &self,
        key: &str,
        a: &'static str,
        av: impl ToString,
        b: &'static str,
        bv: impl ToString,
    ) -> String {
        self.locale.t_with(
            key,
            &[(a, Arg::Str(av.to_string())), (b, Arg::Str(bv.to_string()))],
        )
    }

    /// A message with one numeric argument (plural forms).
    pub fn tn(&self, key: &str, name: &'static str, value: impl Count) -> String {
        self.locale.t_with(key, &[(name, Arg::Num(value.count()))])
    }

    /// A form error's message.
    pub fn error(&self, e: &crate::service::FieldError) -> String {
        let mut args = Vec::new();
        if let Some(n) = e.n {
            args.push(("n", Arg::Num(n)));
        }
        if let Some(name) = &e.name {
            args.push(("name", Arg::Str(name.clone())));
        }
        for (arg, key) in &e.terms {
            args.push((arg, Arg::Str(self.locale.t(key))));
        }
        self.locale.t_with(e.key, &args)
    }

    /// Whether the signed-in user is staff (agent or admin).
    pub fn is_staff(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.is_staff())
    }

    /// Whether the signed-in user is an admin.
    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == Role::Admin)
    }

    /// Whether the signed-in user may see statistics: admins, and the
    /// managers of a department (`service::stats` narrows what they see).
    pub fn sees_stats(&self) -> bool {
        self.is_admin() || self.user.as_ref().is_some_and(|u| u.manages)
    }

    /// Whether the signed-in user is a customer.
    pub fn is_customer(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == Role::Customer)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageCtx {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ctx = parts
            .extensions
            .get::<RequestCtx>()
            .ok_or(StatusCode::INTERNAL_SERVER_ERROR)?;
        Ok(PageCtx::new(ctx, parts.extensions.get::<Visitor>()))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestCtx {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<RequestCtx>()
            .cloned()
            .ok_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

fn cookies(headers: &HeaderMap) -> Vec<Cookie<'static>> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse_encoded(v.to_string()))
        .filter_map(Result::ok)
        .collect()
}

fn cookie_value<'a>(cookies: &'a [Cookie<'static>], name: &str) -> Option<&'a str> {
    cookies.iter().find(|c| c.name() == name).map(|c| c.value())
}

/// A cookie as Bilet sets them: HttpOnly, SameSite=Lax (links from mail
/// must arrive signed in), Secure under https.
pub fn build_cookie(
    name: &'static str,
    value: String,
    max_age_days: Option<i64>,
    secure: bool,
) -> HeaderValue {
    cookie_header(name, value, max_age_days.map(|d| d * 24 * 60 * 60), secure)
}

/// [`build_cookie`] with its lifetime in seconds.
pub fn cookie_header(
    name: &'static str,
    value: String,
    max_age_seconds: Option<i64>,
    secure: bool,
) -> HeaderValue {
    let mut cookie = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure);
    if let Some(seconds) = max_age_seconds {
        cookie = cookie.max_age(cookie::time::Duration::seconds(seconds));
    }
    HeaderValue::from_str(&cookie.build().encoded().to_string())
        .unwrap_or(HeaderValue::from_static(""))
}

fn pick_locale(
    visitor: Option<&Visitor>,
    cookies: &[Cookie<'static>],
    headers: &HeaderMap,
    default: &str,
) -> Locale {
    visitor
        .and_then(|v| v.user.locale.as_deref())
        .and_then(Locale::parse)
        .or_else(|| cookie_value(cookies, LANG_COOKIE).and_then(Locale::parse))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::negotiate)
        })
        .or_else(|| Locale::parse(default))
        .unwrap_or_else(Locale::fallback)
}

/// An urlencoded string without NUL characters, if it had any: each
/// becomes `instead` (a space in a query string, where it separates a
/// search's words as a tab would; nothing in a form).
fn without_nul(encoded: &str, instead: &str) -> Option<String> {
    let lower = encoded.to_ascii_lowercase();
    if !lower.contains("%00") && !encoded.contains('\0') {
        return None;
    }
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(encoded.as_bytes()) {
        out.append_pair(&k.replace('\0', ""), &v.replace('\0', instead));
    }
    Some(out.finish())
}

/// The boundary of a multipart/form-data body.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let lower = content_type.to_ascii_lowercase();
    if !lower.starts_with("multipart/form-data") {
        return None;
    }
    content_type.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

// Paths a user with a one-time password may still use.
/// The GET address of the page being shown, where the language switch
/// returns. A page answering a POST (a form shown again with its errors)
/// has none of its own: the page the form was sent from, if it was ours.
fn page_address(parts: &Parts) -> String {
    let own = || {
        parts
            .uri
            .path_and_query()
            .map_or("/".into(), |p| p.as_str().to_string())
    };
    if parts.method == Method::GET || parts.method == Method::HEAD {
        return own();
    }
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    parts
        .headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .filter(|r| host.is_some_and(|h| r.authority() == h))
        .map(|r| match r.query() {
            Some(q) => format!("{}?{q}", r.path()),
            None => r.path().to_string(),
        })
        .unwrap_or_else(|| match parts.uri.path().rsplit_once('/') {
            Some((parent, _)) if !parent.is_empty() => parent.to_string(),
            _ => "/".to_string(),
        })
}

fn allowed_before_password_change(path: &str) -> bool {
    path == "/account/password"
        || path == "/logout"
        || path == "/locale"
        || path.starts_with("/static/")
        || path == "/healthz"
}

/// The middleware. See the module documentation.
pub async fn middleware(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    // NUL cannot be stored in PostgreSQL text: it goes, wherever a
    // browser could send it, before any handler sees the input.
    if let Some(clean) = parts.uri.query().and_then(|q| without_nul(q, " ")) {
        let path = parts.uri.path().to_string();
        if let Ok(uri) = format!("{path}?{clean}").parse() {
            parts.uri = uri;
        }
    }
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let ip = super::client_ip::client_ip(peer, &parts.headers, &app.config.http.trusted_proxies);
    let jar = cookies(&parts.headers);
    let notice = notice::brought(
        &parts.method,
        &parts.headers,
        cookie_value(&jar, NOTICE_COOKIE),
    );

    let mut visitor = None;
    let mut busy = false;
    if let Some(token) = cookie_value(&jar, SESSION_COOKIE) {
        match service::accounts::sessions::resume(&app.db, token, app.config.accounts.session_days)
            .await
        {
            Ok(Some(live)) => {
                visitor = Some(Visitor {
                    user: live.user,
                    session_id: live.session_id,
                    manages: live.manages,
                })
            }
            Ok(None) => {}
            // Not a signed-out visitor: the database is too busy to tell.
            Err(service::Error::Internal(err)) if crate::database::is_overload(&err) => {
                busy = true;
            }
            Err(err) => tracing::error!(error = ?err, "loading the session"),
        }
    }

    // Before sign-in the token is bound to a pre-session the server
    // issued and signed; a value the client made up is replaced.
    let key = &app.secrets.session_key;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let (csrf_cookie, new_csrf) = match cookie_value(&jar, CSRF_COOKIE) {
        Some(c) if csrf::pre_session_valid(key, c, now) => (c.to_string(), false),
        _ => (csrf::issue_pre_session(key, now).unwrap_or_default(), true),
    };
    let binding = match &visitor {
        Some(v) => csrf::Binding::Session(v.session_id),
        None => csrf::Binding::PreSession(&csrf_cookie),
    };
    let tz_name = visitor
        .as_ref()
        .and_then(|v: &Visitor| v.user.time_zone.clone())
        .unwrap_or_else(|| app.config.i18n.default_time_zone.clone());
    let settings = app.settings.get();
    let relang = super::relang::requested(&parts);
    let ctx = RequestCtx {
        ip,
        helpdesk_name: settings.helpdesk_name.clone(),
        locale: relang.clone().unwrap_or_else(|| {
            pick_locale(
                visitor.as_ref(),
                &jar,
                &parts.headers,
                &settings.default_locale,
            )
        }),
        tz: jiff::tz::TimeZone::get(&tz_name).unwrap_or(jiff::tz::TimeZone::UTC),
        csrf_token: csrf::token(key, binding),
        path: page_address(&parts),
        request_id: parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        notice: notice.clone(),
    };
    if busy {
        let mut page = error_page(&ctx, None, StatusCode::SERVICE_UNAVAILABLE, "error-busy");
        page.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(super::error::BUSY_RETRY_AFTER),
        );
        return page;
    }
    let path = parts.uri.path().to_string();

    // CSRF: every state-changing request outside the token-authenticated API.
    let mut body = Body::new(body);
    if is_unsafe(&parts.method) && !path.starts_with("/api/") {
        let from_header = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let is_form = content_type.starts_with("application/x-www-form-urlencoded");
        let mut from_body = None;
        if let Some(boundary) = multipart_boundary(&content_type) {
            // The token is the first field, read before any file part.
            let (token, replay) = csrf::multipart_field(body, &boundary, CSRF_FIELD).await;
            from_body = token;
            body = replay;
        }
        if is_form {
            match axum::body::to_bytes(body, FORM_LIMIT).await {
                Ok(bytes) => {
                    from_body = url::form_urlencoded::parse(&bytes)
                        .find(|(k, _)| k == CSRF_FIELD)
                        .map(|(_, v)| v.into_owned());
                    body = match std::str::from_utf8(&bytes)
                        .ok()
                        .and_then(|b| without_nul(b, ""))
                    {
                        Some(clean) => Body::from(clean),
                        None => Body::from(bytes),
                    };
                }
                Err(_) => {
                    return error_page(
                        &ctx,
                        visitor.as_ref(),
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "error-too-large",
                    );
                }
            }
        }
        let token = from_body.or(from_header);
        // A pre-session issued just now was never shown in a form.
        let fresh = visitor.is_none() && new_csrf;
        if fresh || !csrf::valid(key, binding, token.as_deref()) {
            return error_page(&ctx, visitor.as_ref(), StatusCode::FORBIDDEN, "error-csrf");
        }
    }

    if visitor
        .as_ref()
        .is_some_and(|v| v.user.must_change_password)
        && !allowed_before_password_change(&path)
    {
        return Redirect::to("/account/password").into_response();
    }

    if let Some(locale) = &relang {
        super::relang::accept(&app, visitor.as_ref(), locale, &mut parts).await;
    }
    parts.extensions.insert(ctx.clone());
    if let Some(v) = &visitor {
        parts.extensions.insert(v.clone());
    }
    let mut response = next.run(Request::from_parts(parts, body)).await;

    if let Some(marker) = response.extensions().get::<ErrorMarker>().cloned() {
        let headers = std::mem::take(response.headers_mut());
        response = error_page(&ctx, visitor.as_ref(), marker.status, marker.message_key);
        for (name, value) in headers.iter() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                response.headers_mut().append(name, value.clone());
            }
        }
    }
    notice::finish(&mut response, notice.is_some(), app.config.secure_cookies());
    if let Some(locale) = &relang {
        super::relang::finish(&mut response, locale, app.config.secure_cookies());
    }
    if new_csrf {
        response.headers_mut().append(
            header::SET_COOKIE,
            build_cookie(CSRF_COOKIE, csrf_cookie, None, app.config.secure_cookies()),
        );
    }
    response
}

fn error_page(
    ctx: &RequestCtx,
    visitor: Option<&Visitor>,
    status: StatusCode,
    message_key: &'static str,
) -> Response {
    let page = PageCtx::new(ctx, visitor);
    let title = page.t(match status.as_u16() {
        404 => "error-not-found-title",
        403 => "error-forbidden-title",
        _ => "error-title",
    });
    let body = ErrorPage {
        message: page.t(message_key),
        request_id: if status.is_server_error() {
            ctx.request_id.clone()
        } else {
            None
        },
        title,
        page,
    };
    (status, body).into_response()
}
