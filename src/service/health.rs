//! Liveness of what the server depends on.

use std::time::Duration;

use sqlx::PgPool;

/// Whether PostgreSQL answers a trivial query within two seconds.
pub async fn database_answers(db: &PgPool) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(2), crate::store::ping(db)).await,
        Ok(Ok(()))
    )
}

/// Whether this node can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    DatabaseAway,
    /// The database lacks a migration this binary has.
    Migrations,
}

pub async fn ready(db: &PgPool) -> Readiness {
    let newest = crate::database::MIGRATOR
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    match tokio::time::timeout(Duration::from_secs(2), crate::store::gauges::migrated(db)).await {
        Ok(Ok(applied)) if applied.unwrap_or(0) >= newest => Readiness::Ready,
        Ok(Ok(_)) => Readiness::Migrations,
        _ => Readiness::DatabaseAway,
    }
}
