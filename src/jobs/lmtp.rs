//! The LMTP listener (`mail.lmtp.listen`): TCP on an address or a unix
//! socket, a bounded number of sessions at once, each run by
//! `mail::lmtp::session` against the helpdesk's intake. It is bound before
//! the server says it runs, so a wrong address stops the start with a
//! clear error instead of a log line.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::mail::lmtp::{self, Limits};
use crate::service::mail::lmtp::Intake;
use crate::state::AppState;

/// Recipients of one mail (Postfix sends at most 50 by default).
const MAX_RECIPIENTS: usize = 100;

/// A bound listener.
pub enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, PathBuf),
}

impl Listener {
    /// Where it listens, for the start-up line.
    pub fn describe(&self) -> String {
        match self {
            Listener::Tcp(l) => l
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_else(|_| "?".into()),
            Listener::Unix(_, path) => format!("unix:{}", path.display()),
        }
    }
}

/// Binds `spec` (`HOST:PORT` or `unix:/PATH`); None when it is empty.
pub async fn bind(spec: &str) -> anyhow::Result<Option<Listener>> {
    let spec = spec.trim();
    if spec.is_empty() {
        return Ok(None);
    }
    if let Some(path) = spec.strip_prefix("unix:") {
        let path = PathBuf::from(path);
        // A socket left by a previous run (a crash) would refuse the bind.
        if std::fs::symlink_metadata(&path)
            .map(|m| {
                use std::os::unix::fs::FileTypeExt;
                m.file_type().is_socket()
            })
            .unwrap_or(false)
        {
            std::fs::remove_file(&path).ok();
        }
        let listener = UnixListener::bind(&path)
            .with_context(|| format!("listening on {spec} (mail.lmtp.listen)"))?;
        // The MTA runs as another user; who may write here is decided by
        // the folder the socket is in.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666))?;
        return Ok(Some(Listener::Unix(listener, path)));
    }
    let listener = TcpListener::bind(spec)
        .await
        .with_context(|| format!("listening on {spec} (mail.lmtp.listen)"))?;
    Ok(Some(Listener::Tcp(listener)))
}

/// Accepts sessions until `stop`.
pub async fn serve(
    app: AppState,
    listener: Listener,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let lmtp = &app.config.mail.lmtp;
    let limits = Arc::new(Limits {
        max_bytes: app.config.mail.max_mail_bytes,
        max_recipients: MAX_RECIPIENTS,
        idle: Duration::from_secs(lmtp.idle_seconds),
    });
    let host = app
        .config
        .http
        .public_url
        .host_str()
        .unwrap_or("bilet")
        .to_string();
    let slots = Arc::new(Semaphore::new(lmtp.max_sessions.max(1)));
    let intake = Arc::new(Intake(app.clone()));
    loop {
        let accepted: std::io::Result<Box<dyn Stream>> = tokio::select! {
            _ = stop.cancelled() => break,
            a = accept(&listener) => a,
        };
        let mut stream = match accepted {
            Ok(s) => s,
            Err(err) => {
                tracing::warn!(error = %err, "LMTP: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            stream
                .write_all(b"421 4.3.2 Too busy, try again later\r\n")
                .await
                .ok();
            continue;
        };
        let (limits, intake, host) = (limits.clone(), intake.clone(), host.clone());
        tokio::spawn(async move {
            if let Err(err) = lmtp::session(stream, &host, &limits, &*intake).await {
                tracing::info!(error = %err, "LMTP session ended");
            }
            drop(permit);
        });
    }
    if let Listener::Unix(_, path) = &listener {
        std::fs::remove_file(path).ok();
    }
    Ok(())
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

async fn accept(listener: &Listener) -> std::io::Result<Box<dyn Stream>> {
    Ok(match listener {
        Listener::Tcp(l) => Box::new(l.accept().await?.0),
        Listener::Unix(l, _) => Box::new(l.accept().await?.0),
    })
}
