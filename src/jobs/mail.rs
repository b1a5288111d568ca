//! Mail jobs: the outbox sender, retries of quarantined mail, and one task
//! per mailbox. A mailbox is worked by one node at a time: the task holds a
//! lease row (renewed every cycle, so it survives pool recycling; a dead
//! node's lease runs out and another node takes over).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use uuid::Uuid;

use super::Supervisor;
use crate::service;
use crate::state::AppState;
use crate::store;

/// Starts the mail jobs of a node.
pub fn start(app: &AppState, supervisor: &Supervisor) {
    let a = app.clone();
    supervisor.spawn_every("outbox", Duration::from_secs(5), move || {
        let a = a.clone();
        async move { service::mail::outbox::run_once(&a).await.map(|_| ()) }
    });
    let a = app.clone();
    supervisor.spawn_every("inbound-retries", Duration::from_secs(60), move || {
        let a = a.clone();
        async move { Ok(service::mail::retry_due(&a).await.map(|_| ())?) }
    });
    let node = Uuid::new_v4().to_string();
    let running: Arc<Mutex<HashSet<Uuid>>> = Arc::default();
    let (a, sup) = (app.clone(), supervisor.clone());
    supervisor.spawn_every("mailboxes", Duration::from_secs(30), move || {
        let (a, sup, node, running) = (a.clone(), sup.clone(), node.clone(), running.clone());
        async move {
            for mb in store::mailboxes::list(&a.db)
                .await?
                .into_iter()
                .filter(|m| m.enabled)
            {
                let fresh = running.lock().map(|mut r| r.insert(mb.id)).unwrap_or(false);
                if fresh {
                    let (a, node, running, stop) =
                        (a.clone(), node.clone(), running.clone(), sup.token());
                    sup.spawn("mailbox", async move {
                        let result = work_mailbox(&a, mb.id, &node, &stop).await;
                        if let Ok(mut r) = running.lock() {
                            r.remove(&mb.id);
                        }
                        result
                    });
                }
            }
            Ok(())
        }
    });
}

async fn work_mailbox(
    app: &AppState,
    id: Uuid,
    node: &str,
    stop: &tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    let poll = Duration::from_secs(app.config.mail.poll_seconds);
    let lease_secs = app.config.mail.lease_seconds;
    let lease = i32::try_from(lease_secs).unwrap_or(120);
    // Renewed well within the lease: a poll wait or an IDLE round never
    // outlasts half of it, so a live node never loses its mailbox.
    let round = Duration::from_secs((lease_secs / 2).max(1));
    let poll = poll.min(round);
    let mut idle_ok: Option<bool> = None;
    while !stop.is_cancelled() {
        match store::mailboxes::lease(&app.db, id, node, lease).await {
            Ok(true) => {}
            // Another node has it, or it was disabled.
            Ok(false) => {
                tokio::select! { _ = stop.cancelled() => break, _ = tokio::time::sleep(round.min(Duration::from_secs(30))) => continue }
            }
            // The database is away (a restart, a failover): try again soon
            // rather than waiting for the supervisor's next round.
            Err(err) => {
                tracing::warn!(mailbox = %id, error = %err, "mailbox lease failed; retrying");
                tokio::select! { _ = stop.cancelled() => break, _ = tokio::time::sleep(Duration::from_secs(1)) => continue }
            }
        }
        if let Err(err) = service::mail::mailboxes::poll_once(app, id).await {
            tracing::warn!(mailbox = %id, error = %format!("{err:#}"), "mailbox poll failed");
            // Not IDLE after a failure: what is left is already there.
            let pause = poll.min(Duration::from_secs(5));
            tokio::select! { _ = stop.cancelled() => break, _ = tokio::time::sleep(pause) => continue }
        }
        let use_idle = match store::mailboxes::find(&app.db, id).await {
            Ok(found) => found.is_some_and(|m| m.use_idle),
            Err(_) => false,
        };
        if use_idle && idle_ok.is_none() {
            idle_ok = service::mail::mailboxes::supports_idle(app, id).await.ok();
        }
        if use_idle && idle_ok == Some(true) {
            // Short IDLE rounds keep the lease fresh between them.
            if let Err(err) =
                service::mail::mailboxes::idle(app, id, round.min(Duration::from_secs(45)), stop)
                    .await
            {
                tracing::warn!(mailbox = %id, error = %format!("{err:#}"), "IDLE failed; polling");
                tokio::select! { _ = stop.cancelled() => break, _ = tokio::time::sleep(poll) => {} }
            }
        } else {
            tokio::select! { _ = stop.cancelled() => break, _ = tokio::time::sleep(poll) => {} }
        }
    }
    // The lease runs out by itself if the database is away at shutdown.
    let _ = store::mailboxes::release(&app.db, id, node).await;
    Ok(())
}
