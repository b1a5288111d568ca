//! The blob collector: deletes the bytes of blobs nobody references any
//! more (erasure and retention release references; content addressing
//! shares one blob between many files, so only the count says when it is
//! free).
//!
//! Safe against a writer storing the same content meanwhile: the collector
//! locks the unreferenced rows, deletes the bytes, then the rows, in one
//! transaction. A writer counts its reference (`insert … on conflict`) in
//! its own transaction, which waits for the collector's lock, and then
//! checks that the bytes are there (`kept`) before it commits. Either the
//! writer's reference comes first (the collector's `ref_count = 0` no
//! longer holds, it skips the blob) or the collector's delete does (the
//! writer finds the bytes gone and fails with nothing half-written: the
//! form or the mail is tried again).
//!
//! A running backup holds the collector off (`store::blobs::pause_collector`)
//! from before its dump until its blobs are copied, so every blob the dump
//! names is still there to copy.

use crate::service::{Error, Result};
use crate::state::AppState;
use crate::store;

/// Blobs per collector transaction.
const BATCH: i64 = 200;

/// Deletes every unreferenced blob; returns how many went.
pub async fn collect(app: &AppState) -> Result<usize> {
    let mut total = 0;
    loop {
        let mut tx = app.db.begin().await?;
        // A backup is copying the blobs its dump names: next round.
        if !store::blobs::may_collect(&mut tx).await? {
            return Ok(total);
        }
        let free = store::blobs::lock_unreferenced(&mut tx, BATCH).await?;
        if free.is_empty() {
            return Ok(total);
        }
        for sha in &free {
            app.blobs
                .delete(sha)
                .await
                .map_err(|e| Error::Internal(e.into()))?;
        }
        store::blobs::forget(&mut tx, &free).await?;
        tx.commit().await?;
        total += free.len();
        metrics::counter!("bilet_blobs_collected_total").increment(free.len() as u64);
        if free.len() < BATCH as usize {
            return Ok(total);
        }
    }
}

/// Checks, after counting references to `sha256` in the caller's open
/// transaction, that their bytes are still stored (see the module comment).
pub async fn kept(app: &AppState, sha256: &[String]) -> Result<()> {
    for sha in sha256 {
        let there = app
            .blobs
            .exists(sha)
            .await
            .map_err(|e| Error::Internal(e.into()))?;
        if !there {
            return Err(Error::Internal(anyhow::anyhow!(
                "blob {sha} was collected while it was being attached; send it again"
            )));
        }
    }
    Ok(())
}
