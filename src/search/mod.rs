//! Full-text search: a tantivy index per node in the data folder, fed once
//! from the change journal, queried with the same access scope as SQL.

/// Tokenizers: raw (lower-cased, ё folded) and stemmed (every stemmer of
/// the word's script).
pub mod analysis;
/// A search as one tantivy query.
pub mod build;
/// A ticket as an index document.
pub mod document;
/// Running a parsed query against the index.
pub mod find;
/// The index folders and the serving index.
pub mod index;
/// The journal reader that feeds the index, and the rebuild.
pub mod indexer;
/// The query language of the search box, parsed without I/O.
pub mod query;
/// The fields.
pub mod schema;
/// "You have a similar open ticket", by more-like-this.
pub mod similar;
/// The marked fragment under a hit.
pub mod snippet;
/// A Ukrainian stemmer of our own (Snowball has none).
pub mod ukrainian;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::events::{self, Event};
use crate::state::AppState;
use crate::store::journal::Position;
use index::Handle;
use indexer::Progress;

/// A new index replays a journal of at most this many entries; a longer
/// one is rebuilt from the tables instead.
const REPLAY_AT_MOST: i64 = 20_000;

/// A node's search: opened on first use, so that processes which never
/// search (the CLI, tests' fixtures) never touch the folder.
pub struct Search {
    data_dir: PathBuf,
    handle: OnceLock<Result<Handle, String>>,
    /// Held while a batch is applied: one writer at a time, and a rebuild's
    /// swap waits for the batch in flight.
    pub(crate) applying: tokio::sync::Mutex<()>,
    applied: watch::Sender<Position>,
}

impl Search {
    pub fn new(data_dir: PathBuf) -> Search {
        Search {
            data_dir,
            handle: OnceLock::new(),
            applying: tokio::sync::Mutex::new(()),
            applied: watch::Sender::new(Position::default()),
        }
    }

    /// The opened index, or why it could not be opened.
    pub fn handle(&self) -> anyhow::Result<&Handle> {
        self.handle
            .get_or_init(|| {
                let h = Handle::open(&self.data_dir).map_err(|e| format!("{e:#}"));
                if let Ok(h) = &h {
                    self.applied.send_replace(h.live().position());
                }
                h
            })
            .as_ref()
            .map_err(|e| anyhow::anyhow!("search index: {e}"))
    }

    /// Whether the serving index holds every ticket once it has caught
    /// up. A new index does when the journal was never pruned: every
    /// ticket's history is still in it, so catching up builds it whole.
    pub async fn complete(&self, db: &PgPool) -> anyhow::Result<bool> {
        let handle = self.handle()?;
        if !handle.is_incomplete() {
            return Ok(true);
        }
        // A long journal is faster rebuilt from the tables in one commit
        // than replayed batch by batch.
        if handle.live().position() == Position::default()
            && !crate::store::journal::pruned_past(db, Position::default()).await?
            && crate::store::journal::entries_up_to(db, REPLAY_AT_MOST + 1).await? <= REPLAY_AT_MOST
        {
            handle
                .incomplete
                .store(false, std::sync::atomic::Ordering::Relaxed);
            return Ok(true);
        }
        Ok(false)
    }

    pub(crate) fn announce(&self, at: Position) {
        self.applied.send_replace(at);
    }

    /// The journal position the serving index has applied.
    pub fn position(&self) -> Position {
        *self.applied.borrow()
    }

    /// Waits until the index has applied `at` (a change's journal
    /// position); false after `limit`.
    pub async fn wait_past(&self, at: Position, limit: Duration) -> bool {
        let mut rx = self.applied.subscribe();
        tokio::time::timeout(limit, rx.wait_for(|p| *p >= at))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Applies every readable journal entry; `Pruned` when the index fell
    /// behind the journal's retention and must be rebuilt.
    pub async fn catch_up(&self, db: &PgPool, node: &str) -> anyhow::Result<Progress> {
        let _guard = self.applying.lock().await;
        let live = self.handle()?.live();
        let mut total = 0;
        loop {
            match indexer::apply_batch(db, &live, node).await? {
                Progress::Applied(0) => break,
                Progress::Applied(n) => total += n,
                Progress::Pruned => return Ok(Progress::Pruned),
            }
            self.announce(live.position());
        }
        self.announce(live.position());
        Ok(Progress::Applied(total))
    }
}

impl Search {
    /// [`Search::catch_up`] unless a batch is being applied already (by
    /// the follower, which will finish it): a query never waits for one.
    pub async fn catch_up_if_idle(&self, db: &PgPool, node: &str) -> anyhow::Result<()> {
        // One batch at most: a query never waits for a long backlog, which
        // the follower works off.
        let Ok(_guard) = self.applying.try_lock() else {
            return Ok(());
        };
        let live = self.handle()?.live();
        // Another process (the server beside a CLI) may hold the writer:
        // the query then runs on what the index has.
        match indexer::apply_batch(db, &live, node).await {
            Ok(_) => self.announce(live.position()),
            Err(err) => tracing::debug!(error = %err, "search catch-up skipped"),
        }
        Ok(())
    }
}

/// Keeps the node's index current: rebuilds it when it is missing,
/// corrupt or behind the journal's retention, then applies the journal as
/// changes are announced (and every half second, for entries that became
/// readable when an older transaction ended).
/// How long the follower gathers changes before applying them: a burst of
/// writes costs one index commit, and a change is searchable within this
/// much more.
const COALESCE: Duration = Duration::from_millis(100);

pub async fn follow(app: AppState, stop: CancellationToken) -> anyhow::Result<()> {
    let search = app.search.clone();
    let mut events = app.events.subscribe();
    let mut rebuild = !search.complete(&app.db).await?;
    let mut requested = false;
    loop {
        if rebuild {
            let started = std::time::Instant::now();
            match indexer::rebuild(&search, &app.db, &app.node).await {
                Ok(n) => {
                    if std::mem::take(&mut requested) {
                        let done = Event::SearchRebuilt {
                            node: app.node.to_string(),
                            tickets: n,
                        };
                        let _ = events::publish(&app.db, &done).await;
                    }
                    tracing::info!(
                        tickets = n,
                        ms = started.elapsed().as_millis() as u64,
                        "search index rebuilt"
                    );
                    rebuild = false;
                }
                Err(err) => tracing::error!(error = ?err, "search rebuild failed"),
            }
        }
        match search.catch_up(&app.db, &app.node).await {
            Ok(Progress::Pruned) => rebuild = true,
            Ok(Progress::Applied(_)) => {}
            Err(err) => tracing::warn!(error = ?err, "search indexing failed; retrying"),
        }
        tokio::select! {
            _ = stop.cancelled() => break,
            event = events.recv() => {
                // A burst of writes is applied as one batch (one index
                // commit) rather than one commit per write: gather what
                // arrives within a moment, then read the journal once.
                tokio::time::sleep(COALESCE).await;
                let mut seen = vec![event];
                loop {
                    match events.try_recv() {
                        Err(tokio::sync::broadcast::error::TryRecvError::Empty) => break,
                        Err(tokio::sync::broadcast::error::TryRecvError::Closed) => break,
                        other => seen.push(other.map_err(|_| tokio::sync::broadcast::error::RecvError::Lagged(0))),
                    }
                }
                for event in seen {
                    if let Ok(Event::SearchReindex { node }) = event
                        && *node == *app.node
                    {
                        let _ = events::publish(&app.db, &Event::SearchReindexStarted { node }).await;
                        rebuild = true;
                        requested = true;
                    }
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
    Ok(())
}
