//! Retention of raw mail (`mail.filed_raw_retention_days`,
//! `mail.unfiled_raw_retention_days`): run by the cleanup job, in batches,
//! before the blob collector deletes the released bytes.

use crate::state::AppState;
use crate::store;

/// Raw mails pruned per statement.
const BATCH: i64 = 1000;

/// Releases the bytes of every raw mail past its retention; returns how many.
pub async fn prune(app: &AppState) -> anyhow::Result<i64> {
    let mail = &app.config.mail;
    let (filed, unfiled) = (
        i32::try_from(mail.filed_raw_retention_days).unwrap_or(i32::MAX),
        i32::try_from(mail.unfiled_raw_retention_days).unwrap_or(i32::MAX),
    );
    let mut total = 0;
    loop {
        let n = store::retention::prune_raw(&app.db, filed, unfiled, BATCH).await?;
        total += n;
        if n < BATCH {
            return Ok(total);
        }
    }
}
