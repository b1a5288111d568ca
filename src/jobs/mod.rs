//! Background work: a supervisor that spawns periodic jobs and stops them
//! at shutdown, letting the current unit of work finish. Every job exposes
//! `run_once`, which tests call directly. Timers are rows in the database,
//! never only in memory, so any node can pick them up after a restart.

pub mod cleanup;
pub mod escalation;
pub mod lmtp;
pub mod mail;
pub mod pool_probe;
pub mod settings;

use std::future::Future;
use std::time::Duration;

use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Owns the background tasks of one node.
#[derive(Clone, Default)]
pub struct Supervisor {
    token: CancellationToken,
    tracker: TaskTracker,
}

impl Supervisor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancelled when the node shuts down.
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Runs `task` until it returns; it should watch [`Supervisor::token`].
    pub fn spawn<F>(&self, name: &'static str, task: F)
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.tracker.spawn(async move {
            if let Err(err) = task.await {
                tracing::error!(task = name, error = ?err, "background task failed");
            }
        });
    }

    /// Calls `tick` every `period` until shutdown.
    pub fn spawn_every<F, Fut>(&self, name: &'static str, period: Duration, mut tick: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send,
    {
        let token = self.token.clone();
        self.tracker.spawn(async move {
            let mut every = tokio::time::interval(period);
            every.set_missed_tick_behavior(MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = every.tick() => if let Err(err) = tick().await {
                        tracing::error!(job = name, error = ?err, "tick failed");
                    },
                }
            }
        });
    }

    /// Cancels everything and waits up to `deadline` for tasks to finish.
    pub async fn shutdown(&self, deadline: Duration) {
        self.token.cancel();
        self.tracker.close();
        if tokio::time::timeout(deadline, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("background tasks did not stop in time");
        }
    }
}
