//! Delivering the outbox over SMTP. A mail's SMTP server is its mailbox's,
//! else the mailbox of its ticket's department, else `mail.smtp`. Each is
//! sent with its fixed Message-ID and a signed per-message envelope sender
//! (VERP). A confirmed 250 is final; 4xx and connection trouble are
//! retried with growing pauses; 5xx fails the recipients for good.

use lettre::AsyncTransport;
use lettre::address::Envelope;
use tokio::io::AsyncReadExt;

use crate::domain::access::Scope;
use crate::mail::outbound::{self, OutFile};
use crate::mail::{smtp, verp};
use crate::state::AppState;
use crate::store;
use crate::store::outbox::ClaimedMail;

const LEASE_SECONDS: i32 = 300;
const MAX_ATTEMPTS: i32 = 12;

/// Seconds until the next try after `attempts` tries.
pub fn backoff(schedule: &[u64], attempts: i32) -> i64 {
    let step = usize::try_from(attempts.max(1) - 1).unwrap_or(0);
    schedule
        .get(step)
        .or(schedule.last())
        .map_or(3600, |s| *s as i64)
}

/// Sends what is due; returns how many mails were tried.
pub async fn run_once(app: &AppState) -> anyhow::Result<usize> {
    let claimed = store::outbox::claim(&app.db, 20, LEASE_SECONDS).await?;
    let n = claimed.len();
    for mail in claimed {
        let outcome = deliver(app, &mail).await;
        let mut tx = app.db.begin().await?;
        match outcome {
            Ok(()) => store::outbox::mark_sent(&mut tx, mail.id).await?,
            Err(Failure::Permanent(e)) => store::outbox::mark_failed(&mut tx, mail.id, &e).await?,
            Err(Failure::Temporary(e)) if mail.attempts >= MAX_ATTEMPTS => {
                store::outbox::mark_failed(&mut tx, mail.id, &e).await?
            }
            Err(Failure::Temporary(e)) => {
                store::outbox::mark_retry(
                    &mut tx,
                    mail.id,
                    &e,
                    backoff(&app.config.mail.retry_backoff, mail.attempts),
                )
                .await?
            }
        }
        // Not a change of the ticket (no new version): its pages show the
        // delivery state anew.
        if let Some(ticket) = mail.ticket_id
            && let Some(t) = store::tickets::state(&mut *tx, ticket).await?
        {
            crate::events::publish(
                &mut *tx,
                &crate::events::Event::DeliveryChanged {
                    ticket,
                    number: t.number,
                    department: t.department_id,
                },
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(n)
}

enum Failure {
    Temporary(String),
    Permanent(String),
}

async fn server_for(app: &AppState, mail: &ClaimedMail) -> anyhow::Result<Option<smtp::Server>> {
    let mut mailbox = mail.mailbox_id;
    if mailbox.is_none()
        && let Some(ticket) = mail.ticket_id
        && let Some(t) = store::tickets::state(&app.db, ticket).await?
    {
        mailbox = store::mailboxes::for_department(&app.db, t.department_id).await?;
    }
    if let Some(id) = mailbox
        && let Some(mb) = store::mailboxes::find(&app.db, id).await?
    {
        return Ok(Some(super::mailboxes::smtp_server(app, &mb)?));
    }
    let cfg = &app.config.mail.smtp;
    Ok(cfg.host.as_ref().map(|host| smtp::Server {
        host: host.clone(),
        port: cfg.port,
        tls: cfg.tls,
        user: cfg.user.clone(),
        password: cfg
            .password
            .as_ref()
            .map(|p| secrecy::ExposeSecret::expose_secret(p).to_string()),
    }))
}

async fn files(app: &AppState, mail: &ClaimedMail) -> anyhow::Result<Vec<OutFile>> {
    let mut out = Vec::new();
    for id in &mail.attachment_ids {
        let Some(row) = store::attachments::find_visible(
            &app.db,
            Scope::All,
            crate::domain::ids::AttachmentId(*id),
        )
        .await?
        else {
            continue;
        };
        let mut bytes = Vec::new();
        app.blobs
            .open(&row.blob_sha256)
            .await?
            .read_to_end(&mut bytes)
            .await?;
        out.push(OutFile {
            filename: row.filename,
            content_type: row.content_type,
            bytes,
        });
    }
    Ok(out)
}

async fn deliver(app: &AppState, mail: &ClaimedMail) -> Result<(), Failure> {
    if mail.recipients.is_empty() {
        return Ok(());
    }
    let server = match server_for(app, mail).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            return Err(Failure::Temporary(
                "no SMTP server configured (mail.smtp or a mailbox)".into(),
            ));
        }
        Err(e) => return Err(Failure::Temporary(format!("{e:#}"))),
    };
    let bytes = match files(app, mail)
        .await
        .and_then(|f| outbound::compose(mail, f))
    {
        Ok(b) => b,
        Err(e) => {
            return Err(Failure::Permanent(format!(
                "cannot build the message: {e:#}"
            )));
        }
    };
    let domain = crate::service::mail::notifications::mail_domain(app);
    let sender = verp::address(&app.secrets.session_key, mail.id, &domain);
    let envelope = match (
        sender.parse(),
        mail.recipients
            .iter()
            .map(|r| r.parse())
            .collect::<Result<Vec<_>, _>>(),
    ) {
        (Ok(from), Ok(to)) => {
            Envelope::new(Some(from), to).map_err(|e| Failure::Permanent(e.to_string()))?
        }
        _ => {
            return Err(Failure::Permanent(
                "a recipient address is not valid".into(),
            ));
        }
    };
    let transport = smtp::transport(&server).map_err(|e| Failure::Temporary(format!("{e:#}")))?;
    match transport.send_raw(&envelope, &bytes).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_permanent() => Err(Failure::Permanent(e.to_string())),
        Err(e) => Err(Failure::Temporary(e.to_string())),
    }
}
