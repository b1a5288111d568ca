//! GET /healthz: 200 when the database answers, 503 otherwise.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

/// GET /healthz
async fn healthz(State(app): State<AppState>) -> (StatusCode, &'static str) {
    match crate::service::health::database_answers(&app.db).await {
        true => (StatusCode::OK, "ok\n"),
        false => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n"),
    }
}
