//! The REST API under /api/v1: JSON, API tokens only (a session cookie is
//! never accepted here, so the pages' CSRF protection cannot be bypassed
//! through it), problem+json errors, per-token rate limits, Idempotency-Key
//! on POST, ETag / If-Match on updates. Handlers are thin: the use cases
//! are the workspace's own, through the same write path and access rule.

pub mod body;
pub mod directory;
pub mod docs;
pub mod events;
pub mod idempotency;
pub mod messages;
pub mod problem;
pub mod statistics;
pub mod tickets;
pub mod webhooks;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};

use crate::service;
use crate::state::AppState;
use crate::store::api_tokens::TokenRow;
use crate::store::users::UserRow;
use problem::Problem;

/// Who is calling: the token and the user it acts as, narrowed.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: TokenRow,
    pub user: UserRow,
}

pub fn routes(state: AppState) -> Router<AppState> {
    let authed = Router::new()
        .route("/api/v1/tickets", get(tickets::list).post(tickets::create))
        .route(
            "/api/v1/tickets/{number}",
            get(tickets::show).patch(tickets::update),
        )
        .route("/api/v1/tickets/{number}/replies", post(messages::reply))
        .route("/api/v1/tickets/{number}/notes", post(messages::note))
        .route("/api/v1/attachments/{id}", get(messages::attachment))
        .route("/api/v1/departments", get(directory::departments))
        .route(
            "/api/v1/customers",
            get(directory::find_customer).post(directory::create_customer),
        )
        .route(
            "/api/v1/customers/{email}/tickets",
            get(directory::customer_tickets),
        )
        .route("/api/v1/events", get(events::feed))
        .route("/api/v1/statistics", get(statistics::report))
        .route(
            "/api/v1/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route(
            "/api/v1/webhooks/{webhook}",
            get(webhooks::show).delete(webhooks::remove),
        )
        .route(
            "/api/v1/webhooks/{webhook}/deliveries",
            get(webhooks::deliveries),
        )
        .route(
            "/api/v1/webhooks/{webhook}/deliveries/{delivery}/resend",
            post(webhooks::resend),
        )
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state, authenticate));
    Router::new()
        .route("/api/v1/openapi.json", get(docs::document))
        .route("/api/docs", get(docs::page))
        .merge(authed)
}

async fn not_found() -> Problem {
    Problem::not_found().detail("no such endpoint")
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
    )
}

/// The bearer token of a request, if it sent one.
fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// 401 without a live token (cookies count for nothing), 429 over the
/// token's budget; otherwise the [`Caller`] goes on to the handler.
async fn authenticate(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(presented) = bearer(&req) else {
        return Problem::unauthorized().into_response();
    };
    let (token, user) = match service::tokens::authenticate(&app, presented).await {
        Ok(Some(found)) => found,
        Ok(None) => return Problem::unauthorized().into_response(),
        Err(e) => return Problem::from(e).into_response(),
    };
    if let Err(wait) = app.api_limits.check(token.id) {
        return Problem::throttled(wait).into_response();
    }
    req.extensions_mut().insert(Caller { token, user });
    let mut response = next.run(req).await;
    // Answers depend on the token: no shared cache may keep them.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    response
}

/// The caller, as handlers take it.
pub type Auth = Extension<Caller>;
