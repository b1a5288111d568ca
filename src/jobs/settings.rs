//! Keeps this node's settings cache current: whenever any node saves the
//! admin settings it announces SettingsChanged on the event bus, and every
//! node (this one included) reloads them. After the bus reconnected
//! (events may have been missed) the cache reloads too.

use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::events::Event;
use crate::service;
use crate::state::AppState;

/// Reloads the settings on every announcement until `stop`.
pub async fn follow(app: AppState, stop: CancellationToken) -> anyhow::Result<()> {
    let mut rx = app.events.subscribe();
    loop {
        let reload = tokio::select! {
            _ = stop.cancelled() => return Ok(()),
            received = rx.recv() => match received {
                Ok(Event::SettingsChanged | Event::Resync) | Err(RecvError::Lagged(_)) => true,
                Ok(_) => false,
                Err(RecvError::Closed) => return Ok(()),
            },
        };
        if reload
            && let Err(err) =
                service::catalog::settings::reload(&app.settings, &app.db, &app.config).await
        {
            tracing::error!(error = ?err, "reloading the settings");
        }
    }
}
