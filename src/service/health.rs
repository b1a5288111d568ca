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
