//! Readers of the change journal. Each reader (search, SLA timers,
//! webhooks, statistics, the API's event feed) keeps its own position on
//! each node, and [`run_once`] hands it the entries after that position in
//! commit-safe order, storing the new position in the same transaction as
//! the reader's own database effect: a crash repeats nothing and loses
//! nothing. A reader whose effect lives outside the database (a search
//! index) must make it idempotent per ticket version.
//!
//! Order readers may rely on: an entry is never skipped, even when its
//! transaction commits after later ones; the entries of one ticket come in
//! version order (its row lock serialises its writes). There is no global
//! commit order across tickets.

use std::future::Future;
use std::pin::Pin;

use sqlx::PgConnection;

use super::Result;
use crate::state::AppState;
use crate::store;
use crate::store::journal::{Entry, Lag};

/// What a reader does with a batch, in the transaction that moves its position.
pub type Apply<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// A reader of the journal.
pub trait Reader: Send + Sync {
    /// Its name, the key of its positions.
    fn name(&self) -> &'static str;
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
pub async fn run_once(app: &AppState, reader: &dyn Reader, limit: i64) -> Result<usize> {
    let mut tx = app.db.begin().await?;
    let at = store::journal::position(&mut *tx, reader.name(), &app.node).await?;
    let entries = store::journal::read_after(&mut *tx, at, limit).await?;
    let Some(last) = entries.last().map(Entry::position) else {
        return Ok(0);
    };
    reader.apply(app, &mut tx, &entries).await?;
    store::journal::set_position(&mut *tx, reader.name(), &app.node, last).await?;
    tx.commit().await?;
    Ok(entries.len())
}

/// How far `reader` on this node is behind.
pub async fn lag(app: &AppState, reader: &str) -> Result<Lag> {
    Ok(store::journal::lag(&app.db, reader, &app.node).await?)
}

/// Every reader's position and lag on every node: `bilet journal`.
pub async fn positions(app: &AppState) -> Result<Vec<store::journal::ReaderState>> {
    Ok(store::journal::readers(&app.db).await?)
}
