//! Readers of the change journal. Each reader (search, SLA timers,
//! webhooks, statistics, the API's event feed) keeps its own position on
//! each node, and [`run_once`] hands it the entries after that position in
//! commit-safe order, storing the new position in the same transaction as
//! the reader's own database effect: a crash repeats nothing and loses
//! nothing. A reader whose effect lives outside the database (a search
//! index) must make it idempotent per ticket version.
//!
//! Order readers may rely on: an entry is never skipped, even when its
//! transaction commits after later ones (reads stop below the oldest
//! running transaction); the entries of one write come in their order; a
//! single-ticket write's entries come after every earlier write of that
//! ticket (it locks the row before anything else, so its transaction id is
//! newer). A write that locks two tickets (merge, split) can become
//! readable after a later write of its second ticket: readers that need
//! version order compare `version` with the one they last applied for the
//! ticket and re-read the ticket when an entry is older. There is no global
//! commit order across tickets.

use std::future::Future;
use std::pin::Pin;

use sqlx::PgConnection;

use super::{Conflict, Error, Result};
use crate::state::AppState;
use crate::store;
use crate::store::journal::{Entry, Lag};

/// What a reader does with a batch, in the transaction that moves its position.
pub type Apply<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// Where a reader's effect lives, which decides whose position it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// On each node (a search index): every node reads everything.
    Node,
    /// In the database, shared by all nodes (SLA timers, webhooks): one
    /// position for the cluster, and one node applies each batch.
    Cluster,
}

/// The position key of cluster-wide readers.
pub const CLUSTER: &str = "cluster";

/// A reader of the journal.
pub trait Reader: Send + Sync {
    /// Its name, the key of its positions.
    fn name(&self) -> &'static str;
    /// Per node or once for the cluster.
    fn reach(&self) -> Reach;
    /// Applies a batch of entries, in order.
    fn apply<'a>(
        &'a self,
        app: &'a AppState,
        tx: &'a mut PgConnection,
        entries: &'a [Entry],
    ) -> Apply<'a>;
}

/// Reads and applies up to `limit` entries after the reader's position on
/// this node; returns how many.
/// Reads and applies up to `limit` entries after the reader's position;
/// returns how many. `Conflict(JournalPruned)` when retention removed
/// entries it had not read: it must rebuild what it derives, then
/// [`restart_at_end`].
pub async fn run_once(app: &AppState, reader: &dyn Reader, limit: i64) -> Result<usize> {
    let node = key(app, reader);
    let mut tx = app.db.begin().await?;
    let at = store::journal::lock_position(&mut tx, reader.name(), node).await?;
    if store::journal::pruned_past(&mut *tx, at).await? {
        return Err(Error::Conflict(Conflict::JournalPruned));
    }
    let entries = store::journal::read_after(&mut *tx, at, limit).await?;
    let Some(last) = entries.last().map(Entry::position) else {
        return Ok(0);
    };
    reader.apply(app, &mut tx, &entries).await?;
    store::journal::set_position(&mut *tx, reader.name(), node, last).await?;
    tx.commit().await?;
    Ok(entries.len())
}

/// Moves a reader that rebuilt its state to the newest entry readable now.
pub async fn restart_at_end(app: &AppState, reader: &dyn Reader) -> Result<()> {
    let node = key(app, reader);
    let mut tx = app.db.begin().await?;
    store::journal::lock_position(&mut tx, reader.name(), node).await?;
    let end = store::journal::end(&mut *tx).await?;
    store::journal::set_position(&mut *tx, reader.name(), node, end).await?;
    tx.commit().await?;
    Ok(())
}

fn key<'a>(app: &'a AppState, reader: &dyn Reader) -> &'a str {
    match reader.reach() {
        Reach::Node => &app.node,
        Reach::Cluster => CLUSTER,
    }
}

/// How far `reader` is behind (on this node, or for the cluster).
pub async fn lag(app: &AppState, reader: &dyn Reader) -> Result<Lag> {
    Ok(store::journal::lag(&app.db, reader.name(), key(app, reader)).await?)
}

/// Prunes entries past `journal.retention_days`; returns how many.
pub async fn prune(app: &AppState) -> Result<u64> {
    Ok(store::journal::prune(&app.db, app.config.journal.retention_days).await?)
}

/// Every reader's position and lag on every node: `bilet journal`.
pub async fn positions(app: &AppState) -> Result<Vec<store::journal::ReaderState>> {
    Ok(store::journal::readers(&app.db).await?)
}
