//! The mail gateway's one path for every incoming mail, whether it came by
//! IMAP, from `bilet mail ingest` or from a retry: store the raw bytes,
//! parse, recognise duplicates, bounces, automatic mail and spam, thread,
//! route, and write the ticket change with the raw mail row (and the
//! mailbox position) in one transaction. Nothing is dropped: a mail that
//! fails is kept, quarantined with its error and retried.

use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::notifications;
use crate::app::AppState;
use crate::domain::access::{AccessLevel, scope};
use crate::domain::ids::{DepartmentId, MessageId, TicketId, TicketNumber, UserId};
use crate::domain::messages::Kind;
use crate::domain::status::{self, Action, Status};
use crate::domain::users::Role;
use crate::events::{self, Event};
use crate::mail::classify::{self, Verdict};
use crate::mail::parse::{self, ParsedMail};
use crate::mail::{message_id, route, threading, verp};
use crate::store;
use crate::store::tickets::TicketDetail;
use crate::store::users::UserRow;

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
    fn new(
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
        Err(err) => {
            tracing::error!(error = ?err, "mail quarantined");
            quarantine(app, raw, env, existing, &format!("{err:#}")).await
        }
    }
}

/// Quarantined mails due again; returns how many were retried.
pub async fn retry_due(app: &AppState) -> anyhow::Result<usize> {
    let due = store::mail::due_retries(&app.db, 20).await?;
    for id in &due {
        retry(app, *id, false).await?;
    }
    Ok(due.len())
}

/// Processes a stored raw mail again (an admin's retry, or releasing a mail
/// held as spam).
pub async fn retry(app: &AppState, id: Uuid, release_spam: bool) -> anyhow::Result<Report> {
    let row = store::mail::raw(&app.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no raw mail {id}"))?;
    let mut reader = app.blobs.open(&row.blob_sha256).await?;
    let mut raw = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut raw).await?;
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
        store::mail::save_raw(
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
        // The mail stays on the IMAP server (its position did not move), so
        // the next poll brings it back.
        tracing::error!(error = ?err, "could not even quarantine a mail");
    }
    Report::new("failed", &m, None, error)
}

/// The facts one processing run carries around.
struct Mail<'a> {
    raw_id: Uuid,
    sha256: String,
    size: i64,
    hash: String,
    env: &'a Envelope,
    m: ParsedMail,
}

impl Mail<'_> {
    fn raw<'b>(
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
    };
    let m = &mail.m;

    if existing.is_none()
        && let Some(mid) = &m.message_id
        && let Some((_, ticket)) = store::mail::duplicate_of(&app.db, mid, &mail.hash).await?
    {
        let mut tx = app.db.begin().await?;
        store::mail::save_raw(
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
        return bounce(app, &mail, bounce_to).await;
    }
    if verdict.spam && !release_spam {
        let mut tx = app.db.begin().await?;
        store::mail::save_raw(
            &mut tx,
            mail.raw("held", "ignored", Some("held as spam"), None, None),
        )
        .await?;
        tx.commit().await?;
        return Ok(Report::new("ignored", m, None, "held as spam for an admin"));
    }

    let sender = sender_address(app, m);
    // Mail relayed for a customer (a website form) is answered to them.
    let mut verdict = verdict;
    if m.from.as_ref().is_some_and(|f| f.address != sender.0) {
        verdict.no_auto_answer =
            verdict.list || verdict.automatic.is_some() || classify::is_robot(&sender.0);
    }
    let thread = find_thread(app, m, &sender).await?;
    match thread {
        Thread::Found(ticket, how) => append(app, &mail, &verdict, &sender, ticket, how).await,
        Thread::Mentioned(mentioned) => {
            create(app, &mail, &verdict, &sender, Some(mentioned)).await
        }
        Thread::None => create(app, &mail, &verdict, &sender, None).await,
    }
}

/// The requester's address: From, or Reply-To when From is a relay (a
/// website form sending as noreply@).
fn sender_address(app: &AppState, m: &ParsedMail) -> (String, Option<String>) {
    let relays = &app.settings.get().relay_addresses;
    let from = m.from.clone();
    match (&from, &m.reply_to) {
        (Some(f), Some(r)) if relays.contains(&f.address) => (r.address.clone(), r.name.clone()),
        (Some(f), _) => (f.address.clone(), f.name.clone()),
        (None, Some(r)) => (r.address.clone(), r.name.clone()),
        (None, None) => (
            m.return_path
                .clone()
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "unknown-sender@invalid".into()),
            None,
        ),
    }
}

enum Thread {
    Found(TicketDetail, String),
    /// A tag of a ticket the sender has no part in: a new ticket linked to it.
    Mentioned(TicketDetail),
    None,
}

async fn ticket(app: &AppState, number: TicketNumber) -> anyhow::Result<Option<TicketDetail>> {
    let mut t = store::tickets::detail(&app.db, crate::domain::access::Scope::All, number).await?;
    // A merged ticket's mail goes where its conversation went.
    for _ in 0..5 {
        match t.as_ref().and_then(|t| t.merged_into) {
            Some(into) => {
                t = store::tickets::detail(&app.db, crate::domain::access::Scope::All, into).await?
            }
            None => break,
        }
    }
    Ok(t)
}

async fn find_thread(
    app: &AppState,
    m: &ParsedMail,
    sender: &(String, Option<String>),
) -> anyhow::Result<Thread> {
    let ids = threading::referenced_ids(m);
    for id in &ids {
        if let Some((number, _)) = message_id::verify(&app.secrets.message_id_key, id)
            && let Some(t) = ticket(app, number).await?
        {
            return Ok(Thread::Found(
                t,
                "threaded by Bilet's signed Message-ID".into(),
            ));
        }
    }
    if let Some((number, matched)) = store::mail::ticket_by_mail_ids(&app.db, &ids).await?
        && let Some(t) = ticket(app, number).await?
    {
        let how = if m
            .in_reply_to
            .iter()
            .any(|r| threading::clean_id(r) == matched)
        {
            "In-Reply-To"
        } else {
            "References"
        };
        return Ok(Thread::Found(t, format!("threaded by {how}")));
    }
    let subject = m.subject.as_deref().unwrap_or("");
    if let Some(number) = threading::tag_number(subject, &app.config.mail.tag_prefixes())
        && let Some(t) = ticket(app, number).await?
    {
        let user = store::users::find_by_email(&app.db, &sender.0).await?;
        let known = match &user {
            Some(u) => store::mail::is_participant(&app.db, t.id, u.id).await? || u.role.is_staff(),
            None => false,
        };
        return Ok(if known {
            Thread::Found(t, "threaded by subject tag".into())
        } else {
            Thread::Mentioned(t)
        });
    }
    Ok(Thread::None)
}

/// The sender's account, created (without a password) when new.
async fn user_for(
    tx: &mut PgConnection,
    address: &str,
    name: Option<&str>,
) -> anyhow::Result<UserRow> {
    if let Some(u) = store::users::find_by_email(&mut *tx, address).await? {
        return Ok(u);
    }
    let id = UserId::new();
    let fallback = address.split('@').next().unwrap_or(address);
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(fallback);
    store::users::insert(
        tx,
        store::users::NewUser {
            id,
            role: Role::Customer,
            name,
            email: address,
            password_hash: None,
            must_change_password: false,
            locale: None,
        },
    )
    .await?;
    store::users::find(&mut *tx, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("user vanished"))
}

/// Stores the mail as a message with its attachments.
#[allow(clippy::too_many_arguments)]
async fn store_message(
    app: &AppState,
    tx: &mut PgConnection,
    mail: &Mail<'_>,
    ticket: TicketId,
    kind: Kind,
    author: Option<UserId>,
    note: &str,
    automatic: bool,
) -> anyhow::Result<MessageId> {
    let m = &mail.m;
    let id = MessageId::new();
    let to: Vec<String> = m.to.iter().map(|a| a.address.clone()).collect();
    let cc: Vec<String> = m.cc.iter().map(|a| a.address.clone()).collect();
    let mut html = m.html.clone();
    let mut files = Vec::new();
    for a in &m.attachments {
        let stored = app
            .blobs
            .put(Box::pin(a.bytes.as_slice()), u64::MAX)
            .await?;
        store::blobs::add_ref(&mut *tx, &stored.sha256, stored.size as i64).await?;
        files.push((stored, a));
    }
    store::mail::insert_message(
        &mut *tx,
        store::mail::NewMailMessage {
            id,
            ticket,
            kind,
            author,
            subject: m.subject.as_deref(),
            body_text: &m.text,
            body_html: None,
            mail_message_id: m.message_id.as_deref(),
            in_reply_to: m.in_reply_to.first().map(String::as_str),
            references: &m.references,
            to: &to,
            cc: &cc,
            raw_mail: mail.raw_id,
            threading_note: note,
            automatic,
        },
    )
    .await?;
    for (stored, a) in files {
        let content_type = crate::domain::uploads::classify(&a.bytes)
            .filter(|k| !matches!(k, crate::domain::uploads::Kind::Text { .. }))
            .map_or(a.content_type.clone(), |k| k.content_type().to_string());
        let attachment = store::mail::insert_attachment(
            &mut *tx,
            id,
            ticket,
            &stored.sha256,
            &a.filename,
            &content_type,
            stored.size as i64,
            a.content_id.as_deref(),
            a.inline,
        )
        .await?;
        // Inline images: the sanitised HTML points at our own download.
        if let (Some(cid), Some(h)) = (&a.content_id, html.as_mut()) {
            *h = h.replace(&format!("cid:{cid}"), &format!("/attachments/{attachment}"));
        }
    }
    if let Some(h) = html {
        store::messages::set_html(&mut *tx, id, &h).await?;
    }
    Ok(id)
}

async fn publish(
    tx: &mut PgConnection,
    t: TicketId,
    number: TicketNumber,
    department: DepartmentId,
    message: MessageId,
    kind: Kind,
) -> anyhow::Result<()> {
    events::publish(
        &mut *tx,
        &Event::MessageAdded {
            ticket: t,
            number,
            department,
            message,
            kind,
        },
    )
    .await?;
    Ok(())
}

/// A mail on a known thread: appended, reopening by the status rules; from
/// an agent's own address, an internal note.
async fn append(
    app: &AppState,
    mail: &Mail<'_>,
    verdict: &Verdict,
    sender: &(String, Option<String>),
    t: TicketDetail,
    how: String,
) -> anyhow::Result<Report> {
    let m = &mail.m;
    let mut tx = app.db.begin().await?;
    let user = user_for(&mut tx, &sender.0, sender.1.as_deref()).await?;

    if let Some(reason) = verdict.automatic {
        let note = format!("{how}; automatic mail ({reason}): stored without notifying anyone");
        let message = store_message(
            app,
            &mut tx,
            mail,
            t.id,
            Kind::Customer,
            Some(user.id),
            &note,
            true,
        )
        .await?;
        store::mail::save_raw(
            &mut tx,
            mail.raw(
                "processed",
                "appended",
                Some(&note),
                Some(t.id),
                Some(message),
            ),
        )
        .await?;
        tx.commit().await?;
        return Ok(Report::new(
            "appended",
            m,
            Some(t.number),
            &format!("automatic mail ({reason}) stored silently"),
        ));
    }

    // An agent answering a notification by mail: a note, never mailed on.
    if user.role.is_staff() {
        let level = store::ticket_changes::level_of(&mut *tx, user.id, t.department_id).await?;
        if level.is_some_and(|l| l >= AccessLevel::Reply) {
            let note = format!("{how}; from staff by mail: kept as an internal note");
            let message = store_message(
                app,
                &mut tx,
                mail,
                t.id,
                Kind::Note,
                Some(user.id),
                &note,
                false,
            )
            .await?;
            store::tickets::touch(&mut *tx, t.id).await?;
            store::mail::save_raw(
                &mut tx,
                mail.raw(
                    "processed",
                    "appended",
                    Some(&note),
                    Some(t.id),
                    Some(message),
                ),
            )
            .await?;
            publish(
                &mut tx,
                t.id,
                t.number,
                t.department_id,
                message,
                Kind::Note,
            )
            .await?;
            tx.commit().await?;
            return Ok(Report::new(
                "appended",
                m,
                Some(t.number),
                "from staff: internal note",
            ));
        }
    }

    let now = OffsetDateTime::now_utc();
    let window = Duration::days(i64::from(app.config.tickets.reopen_window_days));
    if !status::reply_reopens(t.status, t.resolved_at.or(t.closed_at), now, window) {
        tx.rollback().await?;
        return create_continuation(app, mail, verdict, sender, t, how).await;
    }
    if !store::mail::is_participant(&mut *tx, t.id, user.id).await? {
        store::mail::add_cc(&mut *tx, t.id, user.id).await?;
    }
    let to = status::transition(t.status, Action::CustomerMessage)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let message = store_message(
        app,
        &mut tx,
        mail,
        t.id,
        Kind::Customer,
        Some(user.id),
        &how,
        false,
    )
    .await?;
    store::tickets::after_message(&mut *tx, t.id, Kind::Customer, to).await?;
    if to != t.status {
        store::tickets::status_history(&mut *tx, t.id, t.status, to, Some(user.id)).await?;
    }
    store::search_log::append(&mut *tx, t.id, "upsert").await?;
    if mail.env.notify {
        notifications::queue_agent_notice(
            &mut tx, app, t.id, t.number, &t.subject, &user.name, &m.text,
        )
        .await?;
    }
    store::mail::save_raw(
        &mut tx,
        mail.raw(
            "processed",
            "appended",
            Some(&how),
            Some(t.id),
            Some(message),
        ),
    )
    .await?;
    publish(
        &mut tx,
        t.id,
        t.number,
        t.department_id,
        message,
        Kind::Customer,
    )
    .await?;
    tx.commit().await?;
    Ok(Report::new("appended", m, Some(t.number), &how))
}

/// A reply to a ticket closed longer than the reopen window: a new ticket
/// in the same department, linked to the old one.
async fn create_continuation(
    app: &AppState,
    mail: &Mail<'_>,
    verdict: &Verdict,
    sender: &(String, Option<String>),
    old: TicketDetail,
    how: String,
) -> anyhow::Result<Report> {
    let note = format!("{how}; the ticket was closed too long ago: new ticket");
    open_ticket(
        app,
        mail,
        verdict,
        sender,
        Some((old.department_id, note)),
        Some((old.id, "reopened_as")),
    )
    .await
}

async fn create(
    app: &AppState,
    mail: &Mail<'_>,
    verdict: &Verdict,
    sender: &(String, Option<String>),
    mentioned: Option<TicketDetail>,
) -> anyhow::Result<Report> {
    let m = &mail.m;
    if let Some(reason) = verdict.automatic {
        let mut tx = app.db.begin().await?;
        let why = format!("automatic mail ({reason}) on no known ticket");
        store::mail::save_raw(
            &mut tx,
            mail.raw("ignored", "ignored", Some(&why), None, None),
        )
        .await?;
        tx.commit().await?;
        return Ok(Report::new("ignored", m, None, &why));
    }
    let link = mentioned.as_ref().map(|t| (t.id, "mentioned"));
    let note = if mentioned.is_some() {
        Some("new ticket: tag from unknown sender".to_string())
    } else {
        None
    };
    let department = match &note {
        Some(n) => route_department(app, mail, sender)
            .await?
            .map(|(d, _)| (d, n.clone())),
        None => route_department(app, mail, sender)
            .await?
            .map(|(d, why)| (d, format!("new ticket; {why}"))),
    };
    open_ticket(app, mail, verdict, sender, department, link).await
}

async fn route_department(
    app: &AppState,
    mail: &Mail<'_>,
    sender: &(String, Option<String>),
) -> anyhow::Result<Option<(DepartmentId, &'static str)>> {
    let addresses = store::mail::department_addresses(&app.db).await?;
    let rules: Vec<route::Rule> = store::mail::rules(&app.db)
        .await?
        .into_iter()
        .map(|(_, kind, pattern, d)| match kind.as_str() {
            "sender_domain" => route::Rule::SenderDomain(pattern, d),
            _ => route::Rule::SubjectContains(pattern, d),
        })
        .collect();
    let mut envelope = mail.m.delivered_to.clone();
    envelope.extend(mail.env.recipient.clone());
    let default = match mail.env.default_department {
        Some(d) => Some(d),
        // No mailbox (a CLI import without --to): the first department.
        None => store::departments::list(&app.db)
            .await?
            .first()
            .map(|d| d.id),
    };
    Ok(route::route(
        &route::Input {
            to: &mail.m.to,
            cc: &mail.m.cc,
            envelope: &envelope,
            sender: &sender.0,
            subject: mail.m.subject.as_deref().unwrap_or(""),
        },
        |a| addresses.get(a).copied(),
        &rules,
        default,
    ))
}

async fn open_ticket(
    app: &AppState,
    mail: &Mail<'_>,
    verdict: &Verdict,
    sender: &(String, Option<String>),
    department: Option<(DepartmentId, String)>,
    link: Option<(TicketId, &'static str)>,
) -> anyhow::Result<Report> {
    let m = &mail.m;
    let Some((department_id, note)) = department else {
        anyhow::bail!("no department to route the mail to: create a department first");
    };
    let department = store::departments::list(&app.db)
        .await?
        .into_iter()
        .find(|d| d.id == department_id)
        .ok_or_else(|| anyhow::anyhow!("department vanished"))?;
    let prefixes = app.config.mail.tag_prefixes();
    let subject = m
        .subject
        .as_deref()
        .map(|s| threading::strip_tags(crate::domain::subjects::strip_reply_prefixes(s), &prefixes))
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| placeholder_subject(&m.text));
    let mut tx = app.db.begin().await?;
    let user = user_for(&mut tx, &sender.0, sender.1.as_deref()).await?;
    let id = TicketId::new();
    let number = store::tickets::insert(
        &mut tx,
        store::tickets::NewTicket {
            organisation: user.organisation_id,
            via: "email",
            ..store::tickets::NewTicket::basic(id, &subject, department.id, user.id)
        },
    )
    .await?;
    if let Some((other, kind)) = link {
        store::tickets::link(&mut *tx, other, id, kind, None).await?;
    }
    // Other people in Cc take part (without portal access by itself).
    for cc in m.to.iter().chain(m.cc.iter()) {
        let is_ours = store::mail::department_addresses(&mut *tx)
            .await?
            .contains_key(&cc.address);
        if cc.address != user.email && !is_ours && !verp_or_relay(app, &cc.address) {
            let u = user_for(&mut tx, &cc.address, cc.name.as_deref()).await?;
            if !u.role.is_staff() {
                store::mail::add_cc(&mut *tx, id, u.id).await?;
            }
        }
    }
    let message = store_message(
        app,
        &mut tx,
        mail,
        id,
        Kind::Customer,
        Some(user.id),
        &note,
        false,
    )
    .await?;
    store::tickets::after_message(&mut *tx, id, Kind::Customer, Status::Open).await?;
    store::search_log::append(&mut *tx, id, "upsert").await?;
    store::audit::record(
        &mut *tx,
        store::audit::AuditEntry {
            actor: Some(user.id),
            kind: "ticket.opened",
            ticket: Some(id),
            subject: None,
            data: json!({ "via": "email" }),
            ip: None,
        },
    )
    .await?;
    let may_answer = mail.env.notify && !verdict.no_auto_answer && app.settings.get().notify_ack;
    if may_answer
        && store::mail::auto_replies_last_hour(&mut *tx, &user.email).await?
            < i64::from(app.config.mail.auto_replies_per_hour)
    {
        notifications::queue_ack(
            &mut tx,
            app,
            notifications::Ack {
                ticket: id,
                number,
                subject: &subject,
                department_name: &department.name,
                department_addresses: &department.addresses,
                requester: &user,
            },
        )
        .await?;
        store::mail::count_auto_reply(&mut *tx, &user.email).await?;
    }
    if mail.env.notify {
        notifications::queue_agent_notice(&mut tx, app, id, number, &subject, &user.name, &m.text)
            .await?;
    }
    store::mail::save_raw(
        &mut tx,
        mail.raw("processed", "created", Some(&note), Some(id), Some(message)),
    )
    .await?;
    publish(&mut tx, id, number, department.id, message, Kind::Customer).await?;
    tx.commit().await?;
    Ok(Report {
        department: Some(department.slug),
        ..Report::new("created", m, Some(number), &note)
    })
}

fn verp_or_relay(app: &AppState, address: &str) -> bool {
    verp::outbox_id(&app.secrets.session_key, address).is_some()
        || app
            .settings
            .get()
            .relay_addresses
            .iter()
            .any(|r| r == address)
}

/// A readable title for a mail without a subject: its first words.
fn placeholder_subject(text: &str) -> String {
    let first: String = text
        .split_whitespace()
        .take(8)
        .collect::<Vec<_>>()
        .join(" ");
    if first.is_empty() {
        "(no subject)".into()
    } else {
        format!(
            "(no subject) {}",
            first.chars().take(80).collect::<String>()
        )
    }
}

/// A bounce: the recipients of the mail it reports on are marked failed
/// and the report is attached to that mail's ticket. Never a new ticket.
async fn bounce(
    app: &AppState,
    mail: &Mail<'_>,
    verp_outbox: Option<Uuid>,
) -> anyhow::Result<Report> {
    let m = &mail.m;
    let original = m
        .report
        .as_ref()
        .and_then(|r| r.original_message_id.clone())
        .or_else(|| classify::returned_message_id(&m.text))
        .map(|id| threading::clean_id(&id));
    let outbox = match verp_outbox {
        Some(id) => Some(id),
        None => match &original {
            Some(id) => store::mail::outbox_by_mail_id(&app.db, id).await?,
            None => None,
        },
    };
    let failed = m
        .report
        .as_ref()
        .map(|r| r.failed.clone())
        .unwrap_or_default();
    let mut tx = app.db.begin().await?;
    let ticket = match outbox {
        Some(o) => store::mail::mark_bounced(&mut tx, o, &failed, mail.raw_id, "bounced").await?,
        None => None,
    };
    let report = match ticket {
        Some(ticket_id) => {
            let t = store::tickets::detail_by_id(&mut *tx, ticket_id).await?;
            let note = format!(
                "delivery failed for {}",
                if failed.is_empty() {
                    "the recipient".to_string()
                } else {
                    failed.join(", ")
                }
            );
            let message = store_message(
                app,
                &mut tx,
                mail,
                ticket_id,
                Kind::System,
                None,
                &note,
                true,
            )
            .await?;
            store::mail::save_raw(
                &mut tx,
                mail.raw(
                    "processed",
                    "appended",
                    Some(&note),
                    Some(ticket_id),
                    Some(message),
                ),
            )
            .await?;
            if let Some(t) = &t {
                publish(
                    &mut tx,
                    ticket_id,
                    t.number,
                    t.department_id,
                    message,
                    Kind::System,
                )
                .await?;
            }
            Report::new(
                "appended",
                m,
                t.as_ref().map(|t| t.number),
                &format!("bounce: {note}"),
            )
        }
        None => {
            store::mail::save_raw(
                &mut tx,
                mail.raw(
                    "ignored",
                    "ignored",
                    Some("bounce for no known mail"),
                    None,
                    None,
                ),
            )
            .await?;
            Report::new("ignored", m, None, "bounce for no mail we know")
        }
    };
    tx.commit().await?;
    Ok(report)
}

/// Whether `viewer` may download the raw mail of a message (staff who may
/// read its ticket).
pub async fn raw_for(
    app: &AppState,
    viewer: &crate::domain::access::Viewer,
    raw: Uuid,
) -> super::Result<store::mail::RawRow> {
    let row = store::mail::raw(&app.db, raw)
        .await?
        .ok_or(super::Error::NotFound)?;
    if viewer.role == Role::Admin {
        return Ok(row);
    }
    let Some(number) = row.ticket_number else {
        return Err(super::Error::NotFound);
    };
    if viewer.role == Role::Customer {
        return Err(super::Error::NotFound);
    }
    store::tickets::detail(&app.db, scope(viewer, AccessLevel::Read), number)
        .await?
        .ok_or(super::Error::NotFound)?;
    Ok(row)
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

    #[test]
    fn mails_without_subject_get_a_readable_title() {
        assert_eq!(
            placeholder_subject("Сайт не открывается с утра, помогите пожалуйста срочно очень"),
            "(no subject) Сайт не открывается с утра, помогите пожалуйста срочно"
        );
        assert_eq!(placeholder_subject(""), "(no subject)");
    }
}
