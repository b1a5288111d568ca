//! Mailboxes: adding them (passwords encrypted at rest, never shown),
//! testing their connections, and one polling cycle of the IMAP side.

use futures_util::TryStreamExt;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::connection::{self, ConnectionProblem};
use super::intake::{self as inbound, Envelope};
use crate::config::TlsMode;
use crate::domain::email;
use crate::domain::ids::{DepartmentId, UserId};
use crate::mail::{imap, smtp};
use crate::service::{Error, FieldErrors, Result};
use crate::state::AppState;
use crate::store;
use crate::store::mailboxes::MailboxRow;

/// A mailbox as the CLI or the admin form describes it.
#[derive(Debug, Clone)]
pub struct MailboxInput {
    pub name: String,
    pub imap_host: String,
    pub imap_port: u16,
    pub imap_tls: TlsMode,
    pub imap_user: String,
    pub imap_password: String,
    pub folder: String,
    pub processed_folder: Option<String>,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: TlsMode,
    pub smtp_user: Option<String>,
    pub smtp_password: Option<String>,
    pub addresses: Vec<String>,
    /// Department slug.
    pub department: String,
    pub import_existing: bool,
    pub use_idle: bool,
}

/// Adds a mailbox without connecting to it (the CLI; `bilet mailbox test`
/// checks it).
pub async fn add(app: &AppState, actor: Option<UserId>, input: MailboxInput) -> Result<Uuid> {
    let valid = validate(app, &input).await?;
    insert(app, actor, &input, valid, None).await
}

/// What saving a mailbox from the admin form came to.
#[derive(Debug)]
pub enum Added {
    Saved(Uuid),
    /// Not saved: signing in to its IMAP side failed. The admin corrects
    /// the form or saves it anyway.
    Unreachable(ConnectionProblem),
}

/// Adds a mailbox once its IMAP side answers: connects, logs in and selects
/// the folder (within [`connection::CHECK_TIMEOUT`]) before saving. With
/// `save_anyway` (the admin confirmed after a failed check) it saves
/// without connecting; the poller reports the error until it is fixed.
pub async fn add_checked(
    app: &AppState,
    actor: Option<UserId>,
    input: MailboxInput,
    save_anyway: bool,
) -> Result<Added> {
    let valid = validate(app, &input).await?;
    if !save_anyway {
        let target = connection::ImapTarget {
            host: input.imap_host.trim(),
            port: input.imap_port,
            tls: input.imap_tls,
            user: input.imap_user.trim(),
            password: &input.imap_password,
            folder: input.folder.trim(),
        };
        if let Err(problem) = connection::check_imap(target, connection::CHECK_TIMEOUT).await {
            return Ok(Added::Unreachable(problem));
        }
    }
    let id = insert(app, actor, &input, valid, Some(!save_anyway)).await?;
    Ok(Added::Saved(id))
}

/// A mailbox input that passed the checks without I/O.
struct Valid {
    addresses: Vec<String>,
    department: DepartmentId,
}

async fn validate(app: &AppState, input: &MailboxInput) -> Result<Valid> {
    let mut errors = FieldErrors::default();
    for (field, value) in [
        ("name", &input.name),
        ("imap_host", &input.imap_host),
        ("imap_user", &input.imap_user),
        ("smtp_host", &input.smtp_host),
    ] {
        if value.trim().is_empty() {
            errors.add(field, "error-required");
        }
    }
    if input.imap_password.is_empty() {
        errors.add("imap_password", "error-required");
    }
    let addresses: Vec<Option<String>> = input
        .addresses
        .iter()
        .map(|a| email::normalize(a))
        .collect();
    if addresses.is_empty() || addresses.iter().any(Option::is_none) {
        errors.add("addresses", "error-email-invalid");
    }
    let department = if input.department.trim().is_empty() {
        // "From the address": the department one of its addresses belongs to.
        let known: Vec<String> = addresses.iter().flatten().cloned().collect();
        let found = match store::mailboxes::department_by_address(&app.db, &known).await? {
            Some(id) => store::departments::find(&app.db, id).await?,
            None => None,
        };
        if found.is_none() && !known.is_empty() {
            errors.add("department", "error-department-from-address");
        }
        found
    } else {
        let found = store::departments::find_by_slug(&app.db, &input.department).await?;
        if found.is_none() {
            errors.add("department", "error-department-unknown");
        }
        found
    };
    errors.into_result()?;
    Ok(Valid {
        addresses: addresses.into_iter().flatten().collect(),
        department: department.ok_or(Error::NotFound)?.id,
    })
}

/// Stores a validated mailbox; `checked` says whether its connection was
/// tested first (the admin form) or not (None: the CLI).
async fn insert(
    app: &AppState,
    actor: Option<UserId>,
    input: &MailboxInput,
    valid: Valid,
    checked: Option<bool>,
) -> Result<Uuid> {
    let Valid {
        addresses,
        department,
    } = valid;
    let key = &app.secrets.mailbox_key;
    let imap_password = key.encrypt(input.imap_password.as_bytes())?;
    let smtp_password = match &input.smtp_password {
        Some(p) if !p.is_empty() => Some(key.encrypt(p.as_bytes())?),
        _ => None,
    };
    let mut tx = app.db.begin().await?;
    let id = store::mailboxes::insert(
        &mut tx,
        store::mailboxes::NewMailbox {
            name: input.name.trim(),
            imap_host: input.imap_host.trim(),
            imap_port: i32::from(input.imap_port),
            imap_tls: input.imap_tls,
            imap_user: input.imap_user.trim(),
            imap_password: &imap_password,
            imap_folder: input.folder.trim(),
            processed_folder: input
                .processed_folder
                .as_deref()
                .map(str::trim)
                .filter(|f| !f.is_empty()),
            smtp_host: input.smtp_host.trim(),
            smtp_port: i32::from(input.smtp_port),
            smtp_tls: input.smtp_tls,
            smtp_user: input
                .smtp_user
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty()),
            smtp_password: smtp_password.as_deref(),
            default_department: department,
            use_idle: input.use_idle,
            import_existing: input.import_existing,
            addresses: &addresses,
        },
    )
    .await
    .map_err(|e| match store::violated_constraint(&e) {
        Some("mailbox_addresses_pkey") => FieldErrors::one("addresses", "error-address-taken"),
        _ => e.into(),
    })?;
    // Never the password, only that there is one.
    store::audit::record(
        &mut *tx,
        store::audit::AuditEntry {
            actor,
            kind: "mailbox.created",
            ticket: None,
            subject: Some(id),
            data: json!({
                "name": input.name.trim(),
                "imap": format!("{}@{}:{}", input.imap_user, input.imap_host, input.imap_port),
                "addresses": addresses,
                "connection_checked": checked,
            }),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Every mailbox.
pub async fn list(db: &PgPool) -> Result<Vec<MailboxRow>> {
    Ok(store::mailboxes::list(db).await?)
}

/// How a connection test went: the exact error when it failed (`imap`,
/// `smtp`: one line each, for the CLI), and the same classified for pages.
#[derive(Debug, Clone)]
pub struct TestResult {
    pub imap: String,
    pub smtp: String,
    pub ok: bool,
    /// How many messages the folder holds, when IMAP worked.
    pub imap_messages: Option<u32>,
    pub imap_problem: Option<ConnectionProblem>,
    pub smtp_problem: Option<ConnectionProblem>,
}

/// The SMTP server of a mailbox, password decrypted.
pub fn smtp_server(app: &AppState, mb: &MailboxRow) -> anyhow::Result<smtp::Server> {
    let password = match &mb.smtp_password {
        Some(sealed) => Some(String::from_utf8(app.secrets.mailbox_key.decrypt(sealed)?)?),
        None => None,
    };
    Ok(smtp::Server {
        host: mb.smtp_host.clone(),
        port: u16::try_from(mb.smtp_port).unwrap_or(587),
        tls: mb.smtp_tls,
        user: mb.smtp_user.clone(),
        password,
    })
}

async fn connect(app: &AppState, mb: &MailboxRow) -> anyhow::Result<imap::ImapSession> {
    let password = String::from_utf8(app.secrets.mailbox_key.decrypt(&mb.imap_password)?)?;
    imap::connect(
        &mb.imap_host,
        u16::try_from(mb.imap_port).unwrap_or(993),
        mb.imap_tls,
        &mb.imap_user,
        &password,
    )
    .await
}

/// Tries both connections of a mailbox.
pub async fn test(app: &AppState, mb: &MailboxRow) -> TestResult {
    let imap_port = u16::try_from(mb.imap_port).unwrap_or(993);
    let imap = match String::from_utf8(
        app.secrets
            .mailbox_key
            .decrypt(&mb.imap_password)
            .unwrap_or_default(),
    ) {
        Ok(password) => {
            let target = connection::ImapTarget {
                host: &mb.imap_host,
                port: imap_port,
                tls: mb.imap_tls,
                user: &mb.imap_user,
                password: &password,
                folder: &mb.imap_folder,
            };
            connection::check_imap(target, connection::CHECK_TIMEOUT).await
        }
        Err(e) => Err(ConnectionProblem::new(
            &mb.imap_host,
            imap_port,
            e.to_string(),
        )),
    };
    let smtp_port = u16::try_from(mb.smtp_port).unwrap_or(587);
    let smtp = match smtp_server(app, mb).and_then(|s| smtp::transport(&s)) {
        Ok(t) => match t.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the server did not answer".to_string()),
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(format!("{e:#}")),
    }
    .map_err(|e| ConnectionProblem::new(&mb.smtp_host, smtp_port, e));
    TestResult {
        imap: match &imap {
            Ok(n) => format!("OK: folder {} holds {n} message(s)", mb.imap_folder),
            Err(p) => format!("error: {}", p.detail),
        },
        smtp: match &smtp {
            Ok(()) => "OK".to_string(),
            Err(p) => format!("error: {}", p.detail),
        },
        ok: imap.is_ok() && smtp.is_ok(),
        imap_messages: imap.as_ref().ok().copied(),
        imap_problem: imap.err(),
        smtp_problem: smtp.err(),
    }
}

/// The last poll's error of a mailbox, classified (it is stored as the
/// raw text).
pub fn poll_problem(mb: &MailboxRow) -> Option<ConnectionProblem> {
    let detail = mb.last_error.as_deref().filter(|e| !e.is_empty())?;
    Some(ConnectionProblem::new(
        &mb.imap_host,
        u16::try_from(mb.imap_port).unwrap_or(993),
        detail,
    ))
}

/// A password typed into the form, sealed with the mailbox key so that the
/// form shown again (after an error) can carry it without showing it.
pub fn seal_typed(app: &AppState, password: &str) -> String {
    use base64::Engine;
    if password.is_empty() {
        return String::new();
    }
    app.secrets
        .mailbox_key
        .encrypt(password.as_bytes())
        .map(|sealed| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sealed))
        .unwrap_or_default()
}

/// What [`seal_typed`] sealed; None when empty or tampered with.
pub fn unseal_typed(app: &AppState, sealed: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sealed.trim())
        .ok()?;
    let plain = app.secrets.mailbox_key.decrypt(&bytes).ok()?;
    String::from_utf8(plain).ok().filter(|p| !p.is_empty())
}

/// Tests the mailbox with this name.
pub async fn test_by_name(app: &AppState, name: &str) -> Result<TestResult> {
    let mb = store::mailboxes::find_by_name(&app.db, name)
        .await?
        .ok_or(Error::NotFound)?;
    Ok(test(app, &mb).await)
}

/// What one polling cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PollStats {
    pub fetched: usize,
    pub failed: usize,
}

/// One cycle: connect, check UIDVALIDITY, fetch every message after the
/// stored position (BODY.PEEK, so nothing is marked seen early), ingest
/// each, and only after its transaction committed mark it seen or move it.
pub async fn poll_once(app: &AppState, id: Uuid) -> anyhow::Result<PollStats> {
    let mb = store::mailboxes::find(&app.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no mailbox {id}"))?;
    let result = poll(app, &mb).await;
    let error = result.as_ref().err().map(|e| format!("{e:#}"));
    store::mailboxes::polled(&app.db, id, error.as_deref()).await?;
    result
}

async fn poll(app: &AppState, mb: &MailboxRow) -> anyhow::Result<PollStats> {
    let mut session = connect(app, mb).await?;
    let folder = imap::folder(&mb.imap_folder);
    let selected = session.select(&folder).await?;
    let validity = i64::from(selected.uid_validity.unwrap_or(0));
    let newest = i64::from(selected.uid_next.unwrap_or(1)).saturating_sub(1);
    match mb.uid_validity {
        // First connection: import what is there silently, or skip it.
        None if mb.import_existing => {
            store::mailboxes::set_uid_validity(&app.db, mb.id, validity, 0, newest).await?
        }
        None => store::mailboxes::set_uid_validity(&app.db, mb.id, validity, newest, 0).await?,
        // The folder was rebuilt: look at everything again, silently;
        // de-duplication keeps it from making second messages.
        Some(v) if v != validity => {
            store::mailboxes::set_uid_validity(&app.db, mb.id, validity, 0, newest).await?
        }
        Some(_) => {}
    }
    let mb = store::mailboxes::find(&app.db, mb.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("mailbox vanished"))?;
    finish_interrupted(app, &mut session, &mb, validity).await?;
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {}:*", mb.last_uid + 1))
        .await?
        .into_iter()
        .filter(|u| i64::from(*u) > mb.last_uid)
        .collect();
    uids.sort_unstable();
    let default_department = Some(mb.default_department_id);
    let recipient = mb.addresses.first().cloned();
    let mut stats = PollStats::default();
    for chunk in uids.chunks(20) {
        let set = chunk
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let fetched: Vec<(u32, Vec<u8>)> = session
            .uid_fetch(&set, "(UID BODY.PEEK[])")
            .await?
            .try_filter_map(|f| async move { Ok(f.uid.zip(f.body().map(<[u8]>::to_vec))) })
            .try_collect()
            .await?;
        let mut done = Vec::new();
        for (uid, raw) in fetched {
            let env = Envelope {
                mailbox: Some(mb.id),
                uid_validity: Some(validity),
                uid: Some(i64::from(uid)),
                recipient: recipient.clone(),
                notify: i64::from(uid) > mb.import_until_uid,
                default_department,
            };
            let report = inbound::ingest(app, &raw, &env).await;
            stats.fetched += 1;
            match report.outcome {
                "failed" => stats.failed += 1,
                "deferred" => {
                    // Not stored: mark what was, and come back for the rest.
                    mark_done(&mut session, &mb, &done).await?;
                    anyhow::bail!(
                        "the database is unavailable; the batch resumes at the next poll"
                    );
                }
                _ => done.push(uid),
            }
        }
        mark_done(&mut session, &mb, &done).await?;
    }
    let _ = session.logout().await;
    Ok(stats)
}

/// Mails whose ticket change committed but which a node that died (or lost
/// its connection) never marked seen or moved: finish that step now.
async fn finish_interrupted(
    app: &AppState,
    session: &mut imap::ImapSession,
    mb: &MailboxRow,
    validity: i64,
) -> anyhow::Result<()> {
    if mb.last_uid < 1 {
        return Ok(());
    }
    // In the moving mode everything still in the folder is unfinished.
    let unseen = if mb.processed_folder.is_some() {
        ""
    } else {
        " UNSEEN"
    };
    let left: Vec<i64> = session
        .uid_search(format!("UID 1:{}{unseen}", mb.last_uid))
        .await?
        .into_iter()
        .map(i64::from)
        .filter(|u| *u <= mb.last_uid)
        .collect();
    if left.is_empty() {
        return Ok(());
    }
    let taken = store::mail::taken_uids(&app.db, mb.id, validity, &left).await?;
    let taken: Vec<u32> = taken
        .into_iter()
        .filter_map(|u| u32::try_from(u).ok())
        .collect();
    mark_done(session, mb, &taken).await
}

/// Tells the IMAP server that these mails are taken in: seen, or moved to
/// the processed folder.
async fn mark_done(
    session: &mut imap::ImapSession,
    mb: &MailboxRow,
    uids: &[u32],
) -> anyhow::Result<()> {
    if uids.is_empty() {
        return Ok(());
    }
    let set = uids
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",");
    match &mb.processed_folder {
        Some(target) => session.uid_mv(&set, imap::folder(target)).await?,
        None => {
            session
                .uid_store(&set, "+FLAGS (\\Seen)")
                .await?
                .try_collect::<Vec<_>>()
                .await?;
        }
    }
    Ok(())
}

/// Whether the mailbox's server offers IDLE.
pub async fn supports_idle(app: &AppState, id: Uuid) -> anyhow::Result<bool> {
    let mb = store::mailboxes::find(&app.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no mailbox"))?;
    let mut session = connect(app, &mb).await?;
    let caps = session.capabilities().await?;
    let _ = session.logout().await;
    Ok(caps.has_str("IDLE"))
}

/// Waits (IMAP IDLE) until the folder changes, `max` passes or `stop` fires.
pub async fn idle(
    app: &AppState,
    id: Uuid,
    max: std::time::Duration,
    stop: &tokio_util::sync::CancellationToken,
) -> anyhow::Result<()> {
    let mb = store::mailboxes::find(&app.db, id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no mailbox"))?;
    let mut session = connect(app, &mb).await?;
    session.select(imap::folder(&mb.imap_folder)).await?;
    let mut handle = session.idle();
    handle.init().await?;
    let (wait, _interrupt) = handle.wait_with_timeout(max);
    tokio::select! {
        _ = stop.cancelled() => {}
        result = wait => { result?; }
    }
    if let Ok(mut session) = handle.done().await {
        let _ = session.logout().await;
    }
    Ok(())
}

/// Adds a routing rule (kind `sender_domain` or `subject_contains`).
pub async fn add_rule(
    db: &PgPool,
    admin: UserId,
    kind: &str,
    pattern: &str,
    department_slug: &str,
) -> Result<Uuid> {
    let mut errors = FieldErrors::default();
    if !matches!(kind, "sender_domain" | "subject_contains") {
        errors.add("kind", "error-invalid");
    }
    if pattern.trim().is_empty() {
        errors.add("pattern", "error-required");
    }
    let department = store::departments::find_by_slug(db, department_slug).await?;
    if department.is_none() {
        errors.add("department", "error-department-unknown");
    }
    errors.into_result()?;
    let department = department.ok_or(Error::NotFound)?;
    let id = store::mail::add_rule(db, kind, pattern.trim(), department.id).await?;
    store::audit::record(
        db,
        store::audit::AuditEntry {
            actor: Some(admin),
            kind: "mail_rule.created",
            ticket: None,
            subject: Some(id),
            data: json!({ "kind": kind, "pattern": pattern.trim(), "department": department_slug }),
            ip: None,
        },
    )
    .await?;
    Ok(id)
}

/// Deletes a routing rule.
pub async fn delete_rule(db: &PgPool, admin: UserId, id: Uuid) -> Result<()> {
    if !store::mail::delete_rule(db, id).await? {
        return Err(Error::NotFound);
    }
    store::audit::record(
        db,
        store::audit::AuditEntry {
            actor: Some(admin),
            kind: "mail_rule.deleted",
            ticket: None,
            subject: Some(id),
            data: json!({}),
            ip: None,
        },
    )
    .await?;
    Ok(())
}

/// The blocked senders, newest first.
pub async fn blocked(app: &AppState) -> Result<Vec<store::blocked::BlockedRow>> {
    Ok(store::blocked::list(&app.db).await?)
}

/// Lets a blocked sender write again.
pub async fn unblock(
    app: &AppState,
    admin: &crate::store::users::UserRow,
    address: &str,
) -> Result<()> {
    let address = address.trim().to_lowercase();
    if !store::blocked::unblock(&app.db, &address).await? {
        return Err(Error::NotFound);
    }
    store::audit::record(
        &app.db,
        store::audit::AuditEntry {
            actor: Some(admin.id),
            kind: "mail.sender_unblocked",
            ticket: None,
            subject: None,
            data: serde_json::json!({ "address": address }),
            ip: None,
        },
    )
    .await?;
    Ok(())
}
