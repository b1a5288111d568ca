//! How long a request waits for a database connection. sqlx does not time
//! its own waits, so this probe asks the pool for a connection once a
//! second, as a request would, and records how long that took
//! (`bilet_db_pool_wait_seconds`): near zero while connections are free,
//! growing when every one is busy and requests queue for them.

use std::time::Instant;

use crate::state::AppState;

pub async fn run_once(app: &AppState) -> anyhow::Result<()> {
    let started = Instant::now();
    let conn = app.db.acquire().await?;
    metrics::histogram!("bilet_db_pool_wait_seconds").record(started.elapsed().as_secs_f64());
    drop(conn);
    Ok(())
}
