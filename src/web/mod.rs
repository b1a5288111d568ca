//! The web server: routes of the four areas and the layers around them.
//! Handlers are thin: extract, call one service function, pick a response.

pub mod account;
pub mod admin;
pub mod agent;
pub mod api;
pub mod assets;
pub mod attachments;
pub mod auth;
pub mod chart;
pub mod client_ip;
pub mod confirm;
pub mod context;
pub mod csrf;
pub mod error;
pub mod extract;
pub mod format;
pub mod health;
pub mod mail_html;
pub mod metrics;
pub mod multipart;
pub mod notice;
pub mod portal;
pub mod relang;
pub mod stats;

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Router, middleware};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::state::AppState;
use context::Visitor;
use error::WebError;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The whole application.
pub fn router(state: AppState) -> Router {
    // Counters are recorded from the first request on.
    crate::telemetry::metrics();
    let request_id = HeaderName::from_static("x-request-id");
    let security = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    Router::new()
        .route("/", get(root))
        .merge(auth::routes())
        .merge(account::routes())
        .merge(portal::routes())
        .merge(agent::routes())
        .merge(admin::routes())
        .merge(stats::routes())
        .merge(attachments::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(form_only)
        .layer(middleware::from_fn_with_state(state.clone(), context::middleware))
        .merge(api::routes(state.clone()))
        .merge(assets::routes())
        .merge(health::routes())
        .merge(metrics::routes())
        .layer(middleware::from_fn(metrics::track))
        .layer(DefaultBodyLimit::max(state.config.http.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(state.config.http.request_timeout),
        ))
        .layer(security(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(security(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security(header::REFERRER_POLICY, "same-origin"))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The path only: query strings may carry tokens.
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// GET /: the signed-in user's home, or the sign-in page.
async fn root(visitor: Option<axum::Extension<Visitor>>) -> Redirect {
    match visitor {
        Some(axum::Extension(v)) => Redirect::to(v.user.role.home()),
        None => Redirect::to("/login"),
    }
}

/// Bilet's own page for a GET of a form's address, never the browser's
/// bare "HTTP ERROR 405".
async fn form_only() -> Response {
    WebError::MethodNotAllowed.into_response()
}

async fn not_found() -> Response {
    WebError::NotFound.into_response()
}
