//! GET /healthz: 200 while the process serves (and its database answers),
//! 503 otherwise. GET /readyz: 200 when the database answers and has every
//! migration this binary knows, for a load balancer. Mailbox trouble shows
//! in /metrics and `bilet doctor`, never here: one wrong IMAP password
//! must not take the web out of service.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// GET /healthz
async fn healthz(State(app): State<AppState>) -> (StatusCode, &'static str) {
    match crate::service::health::database_answers(&app.db).await {
        true => (StatusCode::OK, "ok\n"),
        false => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n"),
    }
}

/// GET /readyz
async fn readyz(State(app): State<AppState>) -> (StatusCode, &'static str) {
    match crate::service::health::ready(&app.db).await {
        crate::service::health::Readiness::Ready => (StatusCode::OK, "ready\n"),
        crate::service::health::Readiness::DatabaseAway => {
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
        crate::service::health::Readiness::Migrations => (
            StatusCode::SERVICE_UNAVAILABLE,
            "database schema is older than this binary: run bilet migrate\n",
        ),
    }
}
