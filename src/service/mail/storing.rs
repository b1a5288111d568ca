//! Writing a mail into a ticket, through the write path, with its raw mail
//! row in the same transaction: appended to a thread (reopening by the
//! status rules, or continuing in a new ticket after the reopen window), a
//! new ticket, staff mail (an internal note, or held), or a bounce.
//!
//! Staff mail policy (README, Policies): mail from a staff address becomes
//! an internal note only when that person works the ticket's department
//! (reply level or more, or admin); otherwise it is held under "Mail
//! needing attention". It is never filed as a customer message.

use uuid::Uuid;

use super::intake::{Mail, Report};
use super::routing;
use crate::domain::access::AccessLevel;
use crate::domain::ids::{DepartmentId, TicketId};
use crate::domain::messages::{Kind, Source};
use crate::mail::classify::{self, Verdict};
use crate::mail::threading;
use crate::service::tickets::{Actor, Change, Expect, MailFacts, NewFile, Post, TicketWrite};
use crate::service::{Conflict, Error};
use crate::state::AppState;
use crate::store;
use crate::store::tickets::{NewTicket, Target, TicketState};
use crate::store::users::UserRow;

type Sender = (String, Option<String>);

/// Stores the mail's attachments in the blob store (before any
/// transaction: blobs are content-addressed, a retry finds them again).
async fn files(app: &AppState, mail: &Mail<'_>) -> anyhow::Result<Vec<NewFile>> {
    let mut out = Vec::with_capacity(mail.m.attachments.len());
    for a in &mail.m.attachments {
        let stored = app
            .blobs
            .put(Box::pin(a.bytes.as_slice()), u64::MAX)
            .await?;
        // Trust the bytes, not the label, except for text.
        let content_type = crate::domain::uploads::classify(&a.bytes)
            .filter(|k| !matches!(k, crate::domain::uploads::Kind::Text { .. }))
            .map_or(a.content_type.clone(), |k| k.content_type().to_string());
        out.push(NewFile {
            sha256: stored.sha256,
            size: stored.size as i64,
            filename: a.filename.clone(),
            content_type,
            content_id: a.content_id.clone(),
            inline: a.inline,
        });
    }
    Ok(out)
}

/// The mail as a message of `kind`.
async fn post(
    app: &AppState,
    mail: &Mail<'_>,
    kind: Kind,
    author: Option<&UserRow>,
    note: &str,
    silent: bool,
) -> anyhow::Result<Post> {
    let m = &mail.m;
    Ok(Post {
        kind,
        source: Source::Email,
        author: author.map(|u| u.id),
        subject: m.subject.clone(),
        body_text: m.text.clone(),
        body_html: m.html.clone(),
        mail: Some(MailFacts {
            message_id: m.message_id.clone(),
            in_reply_to: m.in_reply_to.first().cloned(),
            references: m.references.clone(),
            to: m.to.iter().map(|a| a.address.clone()).collect(),
            cc: m.cc.iter().map(|a| a.address.clone()).collect(),
            raw_mail: Some(mail.raw_id),
            // What parsing had to repair or leave out belongs with the
            // decision: an agent reading the message sees both.
            threading_note: std::iter::once(note)
                .chain(m.repairs.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join("; "),
        }),
        files: files(app, mail).await?,
        then: None,
        silent,
        notify: mail.env.notify && kind == Kind::Customer,
    })
}

/// Keeps the mail under Mail needing attention with the reason: stored,
/// never filed.
pub(super) async fn hold(app: &AppState, mail: &Mail<'_>, why: &str) -> anyhow::Result<Report> {
    let mut tx = app.db.begin().await?;
    save_raw(
        app,
        &mut tx,
        mail.raw("held", "held", Some(why), None, None),
    )
    .await?;
    tx.commit().await?;
    Ok(Report::new("held", &mail.m, None, why))
}

/// Saves the raw mail's row and checks its bytes are still stored (a
/// collector may have taken the same content a moment ago: `blob_gc`).
pub(super) async fn save_raw(
    app: &AppState,
    tx: &mut sqlx::PgConnection,
    raw: store::mail::NewRaw<'_>,
) -> anyhow::Result<()> {
    let sha = [raw.sha256.to_string()];
    store::mail::save_raw(tx, raw).await?;
    crate::service::blob_gc::kept(app, &sha).await?;
    Ok(())
}

/// Why mail from `address` is never filed, if it is not: one of the
/// helpdesk's own addresses (a loop), or a blocked sender.
pub(super) async fn refused_sender(
    app: &AppState,
    address: &str,
) -> anyhow::Result<Option<String>> {
    if store::mail::department_addresses(&app.db)
        .await?
        .contains_key(address)
    {
        return Ok(Some(format!(
            "from {address}, one of the helpdesk's own addresses"
        )));
    }
    if store::blocked::is_blocked(&app.db, address).await? {
        return Ok(Some(format!("from {address}, a blocked sender")));
    }
    Ok(None)
}

/// The slug of a ticket's department, for the report.
async fn slug_of(app: &AppState, department: DepartmentId) -> anyhow::Result<Option<String>> {
    Ok(store::departments::find(&app.db, department)
        .await?
        .map(|d| d.slug))
}

/// The sender's account, made in its own transaction before the ticket is
/// locked (a retry finds it again).
async fn sender_account(app: &AppState, sender: &Sender) -> anyhow::Result<UserRow> {
    let mut tx = app.db.begin().await?;
    let user =
        crate::service::accounts::customer_for_address(&mut tx, &sender.0, sender.1.as_deref())
            .await?;
    tx.commit().await?;
    Ok(user)
}

/// A mail on a known thread from a customer (or anyone not staff):
/// appended, reopening by the status rules; after the reopen window, a new
/// ticket linked to the old one.
pub(super) async fn append(
    app: &AppState,
    mail: &Mail<'_>,
    verdict: &Verdict,
    sender: &Sender,
    t: TicketState,
    how: String,
) -> anyhow::Result<Report> {
    let user = sender_account(app, sender).await?;
    let automatic = verdict.automatic;
    let note = match automatic {
        Some(reason) => {
            format!("{how}; automatic mail ({reason}): stored without notifying anyone")
        }
        None => how.clone(),
    };
    let p = post(
        app,
        mail,
        Kind::Customer,
        Some(&user),
        &note,
        automatic.is_some(),
    )
    .await?;
    let mut tx = app.db.begin().await?;
    let target = Target::Id(t.id);
    let mut w = TicketWrite::open(
        app,
        &mut tx,
        Actor::Mail(&user),
        target,
        AccessLevel::Reply,
        Expect::Current,
    )
    .await?;
    if automatic.is_none() && !store::mail::is_participant(&mut *tx, t.id, user.id).await? {
        w.apply(
            &mut tx,
            Change::Participant {
                user: user.id,
                via: "email",
            },
        )
        .await?;
    }
    let message = match w.apply(&mut tx, Change::message(p)).await {
        Ok(a) => a.message,
        Err(Error::Conflict(Conflict::ReopenWindowPassed)) => {
            let old = w.ticket().clone();
            drop(w);
            tx.rollback().await?;
            let note = format!("{how}; the ticket was closed too long ago: new ticket");
            let link = Some((old.id, "reopened_as"));
            return open_ticket(
                app,
                mail,
                verdict,
                sender,
                Some((old.department_id, note)),
                link,
            )
            .await;
        }
        Err(other) => return Err(other.into()),
    };
    let done = w.commit(&mut tx).await?;
    save_raw(
        app,
        &mut tx,
        mail.raw("processed", "appended", Some(&note), Some(t.id), message),
    )
    .await?;
    tx.commit().await?;
    let reason = match automatic {
        Some(reason) => format!("automatic mail ({reason}) stored silently"),
        None => how,
    };
    Ok(Report {
        department: slug_of(app, done.department).await?,
        ..Report::new("appended", &mail.m, Some(done.number), &reason)
    })
}

/// A mail on a known thread from a staff address: an internal note when
/// they work the ticket's department, else held for an admin.
pub(super) async fn from_staff(
    app: &AppState,
    mail: &Mail<'_>,
    verdict: &Verdict,
    sender: &Sender,
    t: TicketState,
    how: String,
) -> anyhow::Result<Report> {
    let user = store::users::find_by_email(&app.db, &sender.0)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the staff sender vanished"))?;
    let note = format!("{how}; from staff by mail: kept as an internal note");
    let p = post(app, mail, Kind::Note, Some(&user), &note, false).await?;
    let mut tx = app.db.begin().await?;
    let target = Target::Id(t.id);
    let w = TicketWrite::open(
        app,
        &mut tx,
        Actor::Mail(&user),
        target,
        AccessLevel::Reply,
        Expect::Current,
    );
    let mut w = w.await?;
    // Decided on the locked row: a transfer cannot slip in between.
    let department = w.ticket().department_id;
    let works = store::access::works_in_department(&mut *tx, user.id, department).await?;
    let trusted = &app.config.mail.trusted_authserv_ids;
    let forged = super::authres::failure(&mail.auth_results, trusted);
    if !works || verdict.automatic.is_some() || forged.is_some() {
        drop(w);
        tx.rollback().await?;
        let why = match (works, forged) {
            (_, Some(forged)) => format!("{how}; from a staff address, but {forged}: held"),
            (true, None) => format!("{how}; automatic mail from a staff address: held"),
            (false, None) => {
                format!("{how}; from staff without access to the ticket's department: held")
            }
        };
        return hold(app, mail, &why).await;
    }
    let message = w.apply(&mut tx, Change::message(p)).await?.message;
    let done = w.commit(&mut tx).await?;
    save_raw(
        app,
        &mut tx,
        mail.raw("processed", "appended", Some(&note), Some(t.id), message),
    )
    .await?;
    tx.commit().await?;
    Ok(Report {
        department: slug_of(app, done.department).await?,
        ..Report::new(
            "appended",
            &mail.m,
            Some(done.number),
            "from staff: internal note",
        )
    })
}

/// A mail on no known thread: a new ticket (linked to a ticket whose tag it
/// carried from an unknown sender); automatic mail is only recorded.
pub(super) async fn create(
    app: &AppState,
    mail: &Mail<'_>,
    verdict: &Verdict,
    sender: &Sender,
    mentioned: Option<TicketState>,
) -> anyhow::Result<Report> {
    if let Some(reason) = verdict.automatic {
        let mut tx = app.db.begin().await?;
        let why = format!("automatic mail ({reason}) on no known ticket");
        save_raw(
            app,
            &mut tx,
            mail.raw("ignored", "ignored", Some(&why), None, None),
        )
        .await?;
        tx.commit().await?;
        return Ok(Report::new("ignored", &mail.m, None, &why));
    }
    let link = mentioned.as_ref().map(|t| (t.id, "mentioned"));
    let department = routing::route_department(app, mail, sender)
        .await?
        .map(|(d, why)| {
            let note = if mentioned.is_some() {
                "new ticket: tag from unknown sender".to_string()
            } else {
                format!("new ticket; {why}")
            };
            (d, note)
        });
    open_ticket(app, mail, verdict, sender, department, link).await
}

async fn open_ticket(
    app: &AppState,
    mail: &Mail<'_>,
    verdict: &Verdict,
    sender: &Sender,
    department: Option<(DepartmentId, String)>,
    link: Option<(TicketId, &'static str)>,
) -> anyhow::Result<Report> {
    let m = &mail.m;
    let Some((department_id, note)) = department else {
        anyhow::bail!("no department to route the mail to: create a department first");
    };
    let department = store::departments::find(&app.db, department_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("department vanished"))?;
    let prefixes = app.config.mail.tag_prefixes();
    let subject = m
        .subject
        .as_deref()
        .map(|s| threading::strip_tags(crate::domain::subjects::strip_reply_prefixes(s), &prefixes))
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| routing::placeholder_subject(&m.text));
    let user = sender_account(app, sender).await?;
    let limit = app.config.mail.max_new_tickets_per_sender_per_hour;
    if store::mail::tickets_opened_last_hour(&app.db, user.id).await? >= i64::from(limit) {
        let why = format!(
            "{} opened {limit} tickets by mail within the hour: held",
            user.email
        );
        return hold(app, mail, &why).await;
    }
    // Other people in Cc take part (without portal access by itself), up
    // to a limit; the rest stay visible in the message's To and Cc.
    let ours = store::mail::department_addresses(&app.db).await?;
    let mut ccs = Vec::new();
    for cc in m.to.iter().chain(m.cc.iter()) {
        if ccs.len() >= app.config.mail.max_participants_per_mail {
            break;
        }
        if cc.address != user.email
            && !ours.contains_key(&cc.address)
            && !routing::verp_or_relay(app, &cc.address)
        {
            let u = sender_account(app, &(cc.address.clone(), cc.name.clone())).await?;
            if !u.role.is_staff() && !ccs.contains(&u.id) {
                ccs.push(u.id);
            }
        }
    }
    let p = post(app, mail, Kind::Customer, Some(&user), &note, false).await?;
    let mut tx = app.db.begin().await?;
    let new = NewTicket {
        organisation: user.organisation_id,
        via: "email",
        continues: link.filter(|(_, k)| *k == "reopened_as").map(|(id, _)| id),
        ..NewTicket::basic(&subject, department.id, user.id)
    };
    let mut w = TicketWrite::create(app, &mut tx, Actor::Mail(&user), new).await?;
    if let Some((other, "mentioned")) = link {
        w.apply(
            &mut tx,
            Change::Link {
                other,
                kind: "mentioned",
            },
        )
        .await?;
    }
    for cc in ccs {
        w.apply(
            &mut tx,
            Change::Participant {
                user: cc,
                via: "email",
            },
        )
        .await?;
    }
    let message = w.apply(&mut tx, Change::message(p)).await?.message;
    let may_answer = mail.env.notify && !verdict.no_auto_answer && app.settings.get().notify_ack;
    if may_answer
        && store::mail::auto_replies_last_hour(&mut *tx, &user.email).await?
            < i64::from(app.config.mail.auto_replies_per_hour)
    {
        w.acknowledge();
        store::mail::count_auto_reply(&mut *tx, &user.email).await?;
    }
    let done = w.commit(&mut tx).await?;
    save_raw(
        app,
        &mut tx,
        mail.raw("processed", "created", Some(&note), Some(done.id), message),
    )
    .await?;
    tx.commit().await?;
    Ok(Report {
        department: Some(department.slug),
        ..Report::new("created", m, Some(done.number), &note)
    })
}

/// A bounce: the recipients of the mail it reports on are marked failed
/// and the report is attached to that mail's ticket. Never a new ticket.
pub(super) async fn bounce(
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
    let ticket = match outbox {
        Some(o) => store::mail::outbox_ticket(&app.db, o).await?,
        None => None,
    };
    let (Some(outbox), Some(ticket)) = (outbox, ticket) else {
        let mut tx = app.db.begin().await?;
        if let Some(o) = outbox {
            store::mail::mark_bounced(&mut tx, o, &failed, mail.raw_id, "bounced").await?;
        }
        let why = Some("bounce for no known mail");
        save_raw(
            app,
            &mut tx,
            mail.raw("ignored", "ignored", why, None, None),
        )
        .await?;
        tx.commit().await?;
        return Ok(Report::new(
            "ignored",
            m,
            None,
            "bounce for no mail we know",
        ));
    };
    let who = if failed.is_empty() {
        "the recipient".to_string()
    } else {
        failed.join(", ")
    };
    let note = format!("delivery failed for {who}");
    let p = post(app, mail, Kind::System, None, &note, true).await?;
    let mut tx = app.db.begin().await?;
    let target = Target::Id(ticket);
    let mut w = TicketWrite::open(
        app,
        &mut tx,
        Actor::System,
        target,
        AccessLevel::Read,
        Expect::Current,
    )
    .await?;
    store::mail::mark_bounced(&mut tx, outbox, &failed, mail.raw_id, "bounced").await?;
    // The same failure reported again (mail servers retry their reports):
    // one note on the ticket, with a count.
    let earlier = store::mail::bounce_note(&mut *tx, ticket, &note).await?;
    let change = match earlier {
        Some((message, reports)) => Change::Renote {
            message,
            note: format!("{note} (reported {} times)", reports + 1),
        },
        None => Change::message(p),
    };
    let message = match w.apply(&mut tx, change).await {
        Ok(a) => a.message.or(earlier.map(|(m, _)| m)),
        // A merged ticket: the report still marks the delivery failed.
        Err(Error::Conflict(Conflict::Merged)) => None,
        Err(other) => return Err(other.into()),
    };
    let done = w.commit(&mut tx).await?;
    save_raw(
        app,
        &mut tx,
        mail.raw("processed", "appended", Some(&note), Some(ticket), message),
    )
    .await?;
    tx.commit().await?;
    Ok(Report::new(
        "appended",
        m,
        Some(done.number),
        &format!("bounce: {note}"),
    ))
}
