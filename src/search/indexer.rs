//! Feeds the index from the change journal, the only way anything reaches
//! it: each batch re-reads the touched tickets from PostgreSQL and replaces
//! their documents, committing the batch's last position with them. A
//! document always reflects the ticket as it is now, so applying an entry
//! twice or a newer state early is harmless.

use std::collections::BTreeSet;
use std::sync::Arc;

use sqlx::PgPool;

use super::index::Live;
use super::{Search, document};
use crate::domain::ids::TicketId;
use crate::store;
use crate::store::journal::Position;

/// Journal entries per batch (one commit each).
pub const BATCH: i64 = 500;
/// Tickets per read while rebuilding.
const REBUILD_PAGE: i64 = 500;
/// The position key of this reader in `journal_positions` (for `bilet
/// journal` and lag; the index's own commit holds the truth).
pub const READER: &str = "search";

/// What a catch-up did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Applied this many entries; more may be waiting.
    Applied(usize),
    /// The journal was pruned past the index: it needs a rebuild.
    Pruned,
}

/// Applies one batch after the index's position to `live`.
pub async fn apply_batch(db: &PgPool, live: &Arc<Live>, node: &str) -> anyhow::Result<Progress> {
    let at = live.position();
    let mut conn = db.acquire().await?;
    if store::journal::pruned_past(&mut *conn, at).await? {
        return Ok(Progress::Pruned);
    }
    let entries = store::journal::read_after(&mut *conn, at, BATCH).await?;
    let Some(last) = entries.last().map(|e| e.position()) else {
        return Ok(Progress::Applied(0));
    };
    let ids: Vec<TicketId> = entries
        .iter()
        .map(|e| e.ticket_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    replace(&mut conn, live, &ids, last).await?;
    drop(conn);
    store::journal::set_position(db, READER, node, last).await?;
    let indexed = crate::events::Event::SearchIndexed {
        node: node.to_string(),
        txid: last.txid,
        seq: last.seq,
    };
    crate::events::publish(db, &indexed).await?;
    Ok(Progress::Applied(entries.len()))
}

async fn replace(
    conn: &mut sqlx::PgConnection,
    live: &Arc<Live>,
    ids: &[TicketId],
    at: Position,
) -> anyhow::Result<()> {
    let batch = store::search_docs::load(conn, ids).await?;
    let docs = document::build(&live.fields, batch)
        .into_iter()
        .filter_map(|(_, d)| d)
        .collect();
    let live = live.clone();
    let ids = ids.to_vec();
    tokio::task::spawn_blocking(move || live.replace(&ids, docs, at)).await??;
    Ok(())
}

/// Builds a complete index in a new folder from PostgreSQL while the
/// current one keeps serving, catches it up with the journal, and swaps.
/// Returns the number of tickets indexed.
pub async fn rebuild(search: &Search, db: &PgPool, node: &str) -> anyhow::Result<u64> {
    let handle = search.handle()?;
    let folder = handle.folders.fresh();
    let (next, _) = Live::open(&folder)?;
    let next = Arc::new(next);
    // Entries after this position may touch tickets read below: applying
    // them again afterwards is harmless, missing them is not.
    let start = store::journal::end(db).await?;
    let mut after = None;
    let mut count = 0u64;
    loop {
        let mut conn = db.acquire().await?;
        let ids = store::search_docs::ids_after(&mut conn, after, REBUILD_PAGE).await?;
        let Some(last) = ids.last().copied() else {
            break;
        };
        let batch = store::search_docs::load(&mut conn, &ids).await?;
        drop(conn);
        let docs: Vec<_> = document::build(&next.fields, batch)
            .into_iter()
            .filter_map(|(_, d)| d)
            .collect();
        count += docs.len() as u64;
        let n = next.clone();
        tokio::task::spawn_blocking(move || n.add(&[], docs)).await??;
        after = Some(last);
    }
    {
        let n = next.clone();
        tokio::task::spawn_blocking(move || n.replace(&[], Vec::new(), start)).await??;
    }
    // Catch up without the lock first, then under it so that nothing
    // lands in the old index after the new one's last batch.
    while let Progress::Applied(n) = apply_batch(db, &next, node).await? {
        if n == 0 {
            break;
        }
    }
    let _guard = search.applying.lock().await;
    while let Progress::Applied(n) = apply_batch(db, &next, node).await? {
        if n == 0 {
            break;
        }
    }
    next.close_writer();
    let next =
        Arc::into_inner(next).ok_or_else(|| anyhow::anyhow!("rebuilt index still shared"))?;
    handle.folders.make_current(&folder)?;
    let old = handle.swap(next);
    handle
        .incomplete
        .store(false, std::sync::atomic::Ordering::Relaxed);
    old.close_writer();
    drop(old);
    handle.folders.remove_others(&folder);
    search.announce(handle.live().position());
    Ok(count)
}
