//! `bilet doctor`: what an admin should check before blaming Bilet, each
//! as one finding with what to do about it. Nothing here changes anything.

use std::time::Duration;

use time::OffsetDateTime;

use crate::service::health::{self, Readiness};
use crate::state::AppState;

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub what: String,
    pub ok: bool,
    /// What was found, and on a problem how to fix it.
    pub detail: String,
}

fn ok(what: impl Into<String>, detail: impl Into<String>) -> Finding {
    Finding {
        what: what.into(),
        ok: true,
        detail: detail.into(),
    }
}

fn bad(what: impl Into<String>, detail: impl Into<String>) -> Finding {
    Finding {
        what: what.into(),
        ok: false,
        detail: detail.into(),
    }
}

/// Free space below which the data folder is a problem.
const MIN_FREE_BYTES: u64 = 1 << 30;
/// Clock difference with the database that breaks due times and sessions.
const MAX_SKEW: Duration = Duration::from_secs(2);

/// Every check, in a fixed order.
pub async fn run(app: &AppState) -> Vec<Finding> {
    let mut out = vec![ok("configuration", "read and valid")];
    out.push(database(app).await);
    out.extend(data_folder(app));
    out.push(clock(app).await);
    out.push(file_store(app).await);
    out.extend(mailboxes(app).await);
    out.push(public_url(app).await);
    out
}

/// Asks the file store for a file nobody has: a working store answers
/// "not there"; wrong keys, a missing bucket or no route answer an error.
async fn file_store(app: &AppState) -> Finding {
    let store = match app.config.blobs.store {
        crate::config::BlobBackend::Folder => "the data folder".to_string(),
        crate::config::BlobBackend::S3 => format!("S3 bucket {}", app.config.blobs.s3.bucket),
    };
    match app.blobs.exists(&"0".repeat(64)).await {
        Ok(_) => ok("file store", format!("{store} answers")),
        Err(err) => bad(
            "file store",
            format!("{store}: {err}; check blobs.s3 (endpoint, region, bucket, keys)"),
        ),
    }
}

async fn database(app: &AppState) -> Finding {
    let version: Result<i32, _> =
        sqlx::query_scalar("select current_setting('server_version_num')::int")
            .fetch_one(&app.db)
            .await;
    match (version, health::ready(&app.db).await) {
        (Ok(v), _) if v < 150000 => bad(
            "database",
            format!("PostgreSQL {} is too old: use 15 or newer", v / 10000),
        ),
        (Ok(v), Readiness::Ready) => ok(
            "database",
            format!("PostgreSQL {}, every migration applied", v / 10000),
        ),
        (Ok(_), Readiness::Migrations) => bad(
            "database",
            "migrations are missing: run `bilet migrate` (the server also runs them at start)",
        ),
        (Err(e), _) => bad(
            "database",
            format!("no answer ({e}): check database.url or that the cluster runs"),
        ),
        (Ok(_), Readiness::DatabaseAway) => bad("database", "stopped answering during the check"),
    }
}

fn data_folder(app: &AppState) -> Vec<Finding> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = &app.config.data_dir;
    let shown = dir.display();
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) => return vec![bad("data folder", format!("{shown}: {e}"))],
    };
    let mut out = Vec::new();
    let mode = meta.permissions().mode() & 0o777;
    let me = nix::unistd::geteuid().as_raw();
    out.push(if mode & 0o077 != 0 {
        bad(
            "data folder",
            format!("{shown} can be read by other users (mode {mode:o}): chmod -R go-rwx {shown}"),
        )
    } else if meta.uid() != me {
        bad(
            "data folder",
            format!(
                "{shown} belongs to uid {}, not to the user running Bilet ({me}): chown -R it",
                meta.uid()
            ),
        )
    } else {
        ok("data folder", format!("{shown}, mode {mode:o}"))
    });
    out.push(match nix::sys::statvfs::statvfs(dir) {
        Ok(s) => {
            let free = s.blocks_available().saturating_mul(s.fragment_size());
            let gib = free as f64 / f64::from(1u32 << 30);
            if free < MIN_FREE_BYTES {
                bad(
                    "disk space",
                    format!("{gib:.1} GiB free under {shown}: free some space"),
                )
            } else {
                ok("disk space", format!("{gib:.1} GiB free under {shown}"))
            }
        }
        Err(e) => bad("disk space", format!("cannot read it for {shown}: {e}")),
    });
    out
}

async fn clock(app: &AppState) -> Finding {
    let theirs: Result<OffsetDateTime, _> =
        sqlx::query_scalar("select now()").fetch_one(&app.db).await;
    match theirs {
        Ok(t) => {
            let skew = (OffsetDateTime::now_utc() - t).abs();
            if skew > MAX_SKEW {
                bad(
                    "clock",
                    format!(
                        "this machine and the database differ by {skew}: run an NTP client on both"
                    ),
                )
            } else {
                ok("clock", format!("within {MAX_SKEW:?} of the database"))
            }
        }
        Err(e) => bad("clock", format!("cannot compare with the database: {e}")),
    }
}

async fn mailboxes(app: &AppState) -> Vec<Finding> {
    let list = match crate::service::mail::mailboxes::list(&app.db).await {
        Ok(l) => l,
        Err(e) => return vec![bad("mailboxes", format!("cannot list them: {e}"))],
    };
    let mut out = Vec::new();
    for mb in list.iter().filter(|m| m.enabled) {
        let r = crate::service::mail::mailboxes::test(app, mb).await;
        let what = format!("mailbox {}", mb.name);
        let fix = "fix it under Admin → Mailboxes, then `bilet mailbox test`";
        out.push(match (&r.imap_problem, &r.smtp_problem) {
            (None, None) => ok(what, format!("IMAP {}; SMTP {}", r.imap, r.smtp)),
            (Some(p), _) => bad(
                what,
                format!(
                    "IMAP {}:{}: {}: {fix}",
                    mb.imap_host, mb.imap_port, p.detail
                ),
            ),
            (_, Some(p)) => bad(
                what,
                format!(
                    "SMTP {}:{}: {}: {fix}",
                    mb.smtp_host, mb.smtp_port, p.detail
                ),
            ),
        });
    }
    if out.is_empty() {
        out.push(ok("mailboxes", "none configured"));
    }
    out
}

/// Whether `http.public_url` reaches a Bilet: its /healthz over plain HTTP,
/// a TCP connection for https (TLS belongs to the proxy in front).
async fn public_url(app: &AppState) -> Finding {
    let url = &app.config.http.public_url;
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return bad("public address", format!("{url} has no host"));
    };
    let fix = "start `bilet serve`, or set http.public_url to the address people use";
    let connect = tokio::time::timeout(
        Duration::from_secs(3),
        tokio::net::TcpStream::connect((host, port)),
    );
    let mut stream = match connect.await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return bad("public address", format!("{url}: {e}: {fix}")),
        Err(_) => return bad("public address", format!("{url}: no answer in 3 s: {fix}")),
    };
    if url.scheme() != "http" {
        return ok("public address", format!("{url} accepts connections"));
    }
    match healthz(&mut stream, host, url.path()).await {
        Ok(status) if status == "200" => ok("public address", format!("{url} answers /healthz")),
        Ok(status) => bad(
            "public address",
            format!("{url}healthz answered {status}: {fix}"),
        ),
        Err(e) => bad("public address", format!("{url}: {e}: {fix}")),
    }
}

async fn healthz(
    stream: &mut tokio::net::TcpStream,
    host: &str,
    base: &str,
) -> std::io::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let path = format!("{}/healthz", base.trim_end_matches('/'));
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await?;
    let mut head = vec![0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(3), stream.read(&mut head))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    let line = String::from_utf8_lossy(&head[..n]).to_string();
    Ok(line
        .split_whitespace()
        .nth(1)
        .unwrap_or("no status")
        .to_string())
}
