//! The mail gateway's one path for every incoming mail, whether it came by
//! IMAP, from `bilet mail ingest` or from a retry: store the raw bytes,
//! parse, recognise duplicates, bounces, automatic mail and spam, then
//! thread (threading.rs), route (routing.rs) and write the ticket change
//! through the write path with the raw mail row in one transaction
//! (storing.rs). Nothing is dropped: a mail that fails is kept,
//! quarantined with its error and retried.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::threading::{self, Thread};
use super::{routing, storing};
use crate::domain::ids::{DepartmentId, MessageId, TicketId, TicketNumber};
use crate::mail::classify;
use crate::mail::parse::{self, ParsedMail};
use crate::mail::verp;
use crate::service::{Error, Result};
use crate::state::AppState;
use crate::store;

/// Where a mail came from.
#[derive(Debug, Clone, Default)]
pub struct Envelope {
    pub mailbox: Option<Uuid>,
    pub uid_validity: Option<i64>,
    pub uid: Option<i64>,
    /// The envelope recipient (the address it was fetched for, or `--to`).
    pub recipient: Option<String>,
    /// Send acknowledgements and notifications (off for imports).
    pub notify: bool,
    /// The mailbox's default department.
    pub default_department: Option<DepartmentId>,
}

/// What happened to a mail, as `bilet mail ingest --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub outcome: &'static str,
    pub message_id: Option<String>,
    pub ticket: Option<String>,
    pub department: Option<String>,
    pub reason: Option<String>,
}

impl Report {
    pub(super) fn new(
        outcome: &'static str,
        m: &ParsedMail,
        ticket: Option<TicketNumber>,
        reason: &str,
    ) -> Report {
        Report {
            outcome,
            message_id: m.message_id.clone(),
            ticket: ticket.map(|t| t.to_string()),
            department: None,
            reason: Some(reason.to_string()).filter(|r| !r.is_empty()),
        }
    }
}

// Trace headers differ between two deliveries of the same mail.
const TRACE: &[&str] = &[
    "received",
    "delivered-to",
    "x-original-to",
    "return-path",
    "envelope-to",
    "authentication-results",
    "arc-seal",
    "arc-message-signature",
    "arc-authentication-results",
    "x-spam-status",
    "x-spam-flag",
    "x-spam-score",
    "x-spam-checker-version",
    "x-virus-scanned",
    "x-received",
];

/// SHA-256 of the mail without its trace headers.
pub fn content_hash(raw: &[u8]) -> String {
    let mut hasher = Sha256::new();
    let mut in_headers = true;
    let mut skipping = false;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        if in_headers {
            if line == b"\n" || line == b"\r\n" {
                in_headers = false;
            } else if line.starts_with(b" ") || line.starts_with(b"\t") {
                if skipping {
                    continue;
                }
            } else {
                let name = line.split(|&b| b == b':').next().unwrap_or(b"");
                let name = String::from_utf8_lossy(name).trim().to_ascii_lowercase();
                skipping = TRACE.contains(&name.as_str());
                if skipping {
                    continue;
                }
            }
        }
        hasher.update(line);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Ingests one mail. Never fails: errors quarantine the mail.
pub async fn ingest(app: &AppState, raw: &[u8], env: &Envelope) -> Report {
    ingest_as(app, raw, env, None, false).await
}

async fn ingest_as(
    app: &AppState,
    raw: &[u8],
    env: &Envelope,
    existing: Option<Uuid>,
    release_spam: bool,
) -> Report {
    match process(app, raw, env, existing, release_spam).await {
        Ok(report) => report,
        // The database went away mid-mail (a restart, a failover): the
        // mail is still on the IMAP server, so the batch stops and the next
        // poll brings it back, rather than parking it for an hour.
        Err(err) if existing.is_none() && env.uid.is_some() && database_away(&err) => {
            tracing::warn!(error = %err, "database unavailable; mail deferred");
            Report::new(
                "deferred",
                &ParsedMail::default(),
                None,
                &format!("{err:#}"),
            )
        }
        Err(err) => {
            tracing::error!(error = ?err, "mail quarantined");
            quarantine(app, raw, env, existing, &format!("{err:#}")).await
        }
    }
}

/// Quarantined mails due again; returns how many were retried.
pub async fn retry_due(app: &AppState) -> Result<usize> {
    let due = store::mail::due_retries(&app.db, 20).await?;
    for id in &due {
        retry(app, *id, false).await?;
    }
    Ok(due.len())
}

/// Processes a stored raw mail again (an admin's retry, or releasing a mail
/// held as spam). `NotFound` when there is no such mail.
pub async fn retry(app: &AppState, id: Uuid, release_spam: bool) -> Result<Report> {
    let row = store::mail::raw(&app.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    // A mail already filed (or deliberately ignored) is never filed again.
    if matches!(row.state.as_str(), "processed" | "ignored") {
        return Err(Error::Conflict(crate::service::Conflict::MailDone));
    }
    let mut reader = app
        .blobs
        .open(&row.blob_sha256)
        .await
        .map_err(anyhow::Error::from)?;
    let mut raw = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut raw)
        .await
        .map_err(anyhow::Error::from)?;
    let default_department = match row.mailbox_id {
        Some(mb) => store::mailboxes::default_department(&app.db, mb).await?,
        None => None,
    };
    let env = Envelope {
        mailbox: row.mailbox_id,
        uid_validity: row.uid_validity,
        uid: row.uid,
        recipient: row.envelope_to.clone(),
        notify: false,
        default_department,
    };
    Ok(ingest_as(app, &raw, &env, Some(id), release_spam).await)
}

fn database_away(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        if let Some(Error::Internal(inner)) = cause.downcast_ref::<Error>() {
            // `Internal` is transparent: its chain skips the inner error.
            return database_away(inner);
        }
        let Some(db) = cause.downcast_ref::<sqlx::Error>() else {
            return false;
        };
        matches!(
            db,
            sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Protocol(_)
        ) || db
            .as_database_error()
            .and_then(|e| e.code())
            // admin_shutdown, crash_shutdown, cannot_connect_now
            .is_some_and(|code| matches!(&*code, "57P01" | "57P02" | "57P03"))
    })
}

async fn quarantine(
    app: &AppState,
    raw: &[u8],
    env: &Envelope,
    existing: Option<Uuid>,
    error: &str,
) -> Report {
    let m = ParsedMail {
        message_id: None,
        ..ParsedMail::default()
    };
    let result: anyhow::Result<()> = async {
        let stored = app.blobs.put(Box::pin(raw), u64::MAX).await?;
        let mut tx = app.db.begin().await?;
        super::storing::save_raw(
            app,
            &mut tx,
            store::mail::NewRaw {
                id: existing.unwrap_or_else(Uuid::now_v7),
                mailbox: env.mailbox,
                uid_validity: env.uid_validity,
                uid: env.uid,
                sha256: &stored.sha256,
                size: stored.size as i64,
                message_id: None,
                content_hash: &content_hash(raw),
                envelope_to: env.recipient.as_deref(),
                envelope_from: None,
                state: "quarantined",
                outcome: Some("failed"),
                error: Some(error),
                spam_verdict: None,
                authentication_results: None,
                ticket: None,
                message: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    if let Err(err) = result {
        // Nothing is stored (the database is away): the mail stays on the
        // IMAP server and its position did not move, so the next poll
        // brings it back. The batch stops here, or a later mail that does
        // get stored would move the position past this one.
        tracing::error!(error = ?err, "could not even quarantine a mail");
        return Report::new("deferred", &m, None, error);
    }
    Report::new("failed", &m, None, error)
}

/// The facts one processing run carries around.
pub(super) struct Mail<'a> {
    pub raw_id: Uuid,
    pub sha256: String,
    pub size: i64,
    pub hash: String,
    pub env: &'a Envelope,
    pub m: ParsedMail,
    /// Every Authentication-Results field, unfolded.
    pub auth_results: Vec<String>,
}

impl Mail<'_> {
    pub(super) fn raw<'b>(
        &'b self,
        state: &'b str,
        outcome: &'b str,
        reason: Option<&'b str>,
        ticket: Option<TicketId>,
        message: Option<MessageId>,
    ) -> store::mail::NewRaw<'b> {
        store::mail::NewRaw {
            id: self.raw_id,
            mailbox: self.env.mailbox,
            uid_validity: self.env.uid_validity,
            uid: self.env.uid,
            sha256: &self.sha256,
            size: self.size,
            message_id: self.m.message_id.as_deref(),
            content_hash: &self.hash,
            envelope_to: self.env.recipient.as_deref(),
            envelope_from: self.m.return_path.as_deref(),
            state,
            outcome: Some(outcome),
            error: reason,
            spam_verdict: self.m.spam_verdict.as_deref(),
            authentication_results: self.m.authentication_results.as_deref(),
            ticket,
            message,
        }
    }
}

async fn process(
    app: &AppState,
    raw: &[u8],
    env: &Envelope,
    existing: Option<Uuid>,
    release_spam: bool,
) -> anyhow::Result<Report> {
    // The same IMAP message seen again (a crash after commit, before the
    // server was told): nothing to do.
    if existing.is_none()
        && let (Some(mb), Some(v), Some(u)) = (env.mailbox, env.uid_validity, env.uid)
        && let Some(row) = store::mail::raw_by_uid(&app.db, mb, v, u).await?
    {
        return Ok(Report {
            outcome: "ignored",
            message_id: row.message_id,
            ticket: row.ticket_number.map(|t| t.to_string()),
            department: None,
            reason: Some("already processed".into()),
        });
    }
    if raw.len() as u64 > app.config.mail.max_mail_bytes {
        anyhow::bail!(
            "the mail is larger than mail.max_mail_bytes ({} bytes)",
            raw.len()
        );
    }
    let stored = app.blobs.put(Box::pin(raw), u64::MAX).await?;
    let mail = Mail {
        raw_id: existing.unwrap_or_else(Uuid::now_v7),
        sha256: stored.sha256,
        size: stored.size as i64,
        hash: content_hash(raw),
        env,
        m: parse::parse(raw),
        auth_results: super::authres::header_values(raw, "authentication-results"),
    };
    let m = &mail.m;

    if existing.is_none()
        && let Some(mid) = &m.message_id
        && let Some((_, ticket)) = store::mail::duplicate_of(&app.db, mid, &mail.hash).await?
    {
        let mut tx = app.db.begin().await?;
        super::storing::save_raw(
            app,
            &mut tx,
            mail.raw("ignored", "ignored", Some("duplicate"), None, None),
        )
        .await?;
        tx.commit().await?;
        return Ok(Report::new(
            "ignored",
            m,
            ticket,
            "duplicate of a mail already received",
        ));
    }

    let mut recipients: Vec<String> =
        m.to.iter()
            .chain(m.cc.iter())
            .map(|a| a.address.clone())
            .collect();
    recipients.extend(m.delivered_to.iter().cloned());
    recipients.extend(env.recipient.clone());
    let bounce_to = recipients
        .iter()
        .find_map(|a| verp::outbox_id(&app.secrets.session_key, a));
    let verdict = classify::classify(m, bounce_to.is_some());

    if verdict.bounce {
        return storing::bounce(app, &mail, bounce_to).await;
    }
    if verdict.spam && !release_spam {
        let mut tx = app.db.begin().await?;
        super::storing::save_raw(
            app,
            &mut tx,
            mail.raw("held", "ignored", Some("held as spam"), None, None),
        )
        .await?;
        tx.commit().await?;
        return Ok(Report::new("ignored", m, None, "held as spam for an admin"));
    }

    let sender = routing::sender_address(app, m, mail.raw_id);
    if let Some(why) = storing::refused_sender(app, &sender.0).await? {
        return storing::hold(app, &mail, &why).await;
    }
    // Mail relayed for a customer (a website form) is answered to them.
    let mut verdict = verdict;
    if m.from.as_ref().is_some_and(|f| f.address != sender.0) {
        verdict.no_auto_answer =
            verdict.list || verdict.automatic.is_some() || classify::is_robot(&sender.0);
    }
    match threading::find_thread(app, m, &sender).await? {
        Thread::Found(ticket, how) => {
            storing::append(app, &mail, &verdict, &sender, ticket, how).await
        }
        Thread::Staff(ticket, how) => {
            storing::from_staff(app, &mail, &verdict, &sender, ticket, how).await
        }
        Thread::Mentioned(mentioned) => {
            storing::create(app, &mail, &verdict, &sender, Some(mentioned)).await
        }
        Thread::None => storing::create(app, &mail, &verdict, &sender, None).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_headers_do_not_change_the_content_hash() {
        let a = b"Received: from a by b\r\n\tfor <x@y>\r\nDelivered-To: x@y\r\nSubject: Hi\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n";
        let b = b"Received: from c by d\r\nX-Spam-Status: No\r\nSubject: Hi\r\nMessage-ID: <1@x>\r\n\r\nbody\r\n";
        let c = b"Subject: Hi\r\nMessage-ID: <1@x>\r\n\r\nanother body\r\n";
        assert_eq!(content_hash(a), content_hash(b));
        assert_ne!(content_hash(a), content_hash(c));
    }
}
