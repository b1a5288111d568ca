//! What /metrics reads from the database at each scrape, each through a
//! partial index (the waiting outbox, mail needing attention) or a small
//! table (mailboxes, journal positions, migrations).

use sqlx::PgExecutor;

/// The gauges of one scrape.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Gauges {
    pub outbox_waiting: i64,
    /// Seconds the oldest waiting mail has waited (0: none waits).
    pub outbox_oldest_seconds: f64,
    pub quarantined: i64,
    pub held: i64,
}

pub async fn read(db: impl PgExecutor<'_>) -> sqlx::Result<Gauges> {
    sqlx::query_as(
        "select (select count(*) from outbox where state in ('pending', 'retrying')) as outbox_waiting, \
                coalesce((select extract(epoch from now() - min(created_at))::float8 from outbox \
                          where state in ('pending', 'retrying')), 0) as outbox_oldest_seconds, \
                (select count(*) from raw_mails where state = 'quarantined') as quarantined, \
                (select count(*) from raw_mails where state = 'held') as held",
    )
    .fetch_one(db)
    .await
}

/// Each enabled mailbox: name, seconds since its last poll (None: never),
/// and whether its last attempt failed.
pub async fn mailboxes(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(String, Option<f64>, bool)>> {
    sqlx::query_as(
        "select name, extract(epoch from now() - last_polled_at)::float8, last_error is not null \
         from mailboxes where enabled order by name",
    )
    .fetch_all(db)
    .await
}

/// The newest migration applied to the database (None: none).
pub async fn migrated(db: impl PgExecutor<'_>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("select max(version) from _sqlx_migrations where success")
        .fetch_one(db)
        .await
}
