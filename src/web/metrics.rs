//! /metrics in the Prometheus text format, for `metrics.allow` only (the
//! real client address, after `http.trusted_proxies`; others get 404), and
//! the layer that counts and times every request by route. Gauges that
//! live in the database (outbox, mail needing attention, mailboxes,
//! journal lag) are read at each scrape; counters (requests, login
//! failures, escalations) are kept in the process, so a cluster's figures
//! are the sum over its nodes.

use std::net::SocketAddr;
use std::time::Instant;

use axum::Router;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::client_ip::client_ip;
use crate::state::AppState;
use crate::store;

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(show))
}

/// Counts and times the request under its route's pattern (never the raw
/// path: ticket numbers would make a series each).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = format!("{}xx", res.status().as_u16() / 100);
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("bilet_http_requests_total", &labels).increment(1);
    metrics::histogram!("bilet_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    res
}

/// GET /metrics
async fn show(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let ip = client_ip(peer.ip(), &headers, &app.config.http.trusted_proxies);
    if !app.config.metrics.allow.iter().any(|net| net.contains(&ip)) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let Some(handle) = crate::telemetry::metrics() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Err(err) = read_gauges(&app).await {
        tracing::warn!(error = ?err, "metrics: reading the database gauges");
        metrics::gauge!("bilet_database_up").set(0.0);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
        .into_response()
}

async fn read_gauges(app: &AppState) -> anyhow::Result<()> {
    metrics::gauge!("bilet_db_pool_connections").set(f64::from(app.db.size()));
    metrics::gauge!("bilet_db_pool_idle").set(app.db.num_idle() as f64);
    let g = store::gauges::read(&app.db).await?;
    metrics::gauge!("bilet_database_up").set(1.0);
    metrics::gauge!("bilet_outbox_waiting").set(g.outbox_waiting as f64);
    metrics::gauge!("bilet_outbox_oldest_seconds").set(g.outbox_oldest_seconds);
    metrics::gauge!("bilet_mail_quarantined").set(g.quarantined as f64);
    metrics::gauge!("bilet_mail_held").set(g.held as f64);
    for (name, since, failing) in store::gauges::mailboxes(&app.db).await? {
        let labels = [("mailbox", name)];
        metrics::gauge!("bilet_mailbox_last_poll_seconds", &labels).set(since.unwrap_or(-1.0));
        metrics::gauge!("bilet_mailbox_failing", &labels).set(if failing { 1.0 } else { 0.0 });
    }
    for r in store::journal::readers(&app.db).await? {
        let labels = [("reader", r.reader), ("node", r.node)];
        metrics::gauge!("bilet_journal_lag_entries", &labels).set(r.behind as f64);
    }
    Ok(())
}
