//! Mails Bilet writes to the outbox: rendered here, in the recipient's
//! language, fixed at insert; the sender only builds MIME and delivers.
//! The acknowledgement and the claim mail take their text from
//! `texts` (the department's own, else the shipped one).

use askama::Template;
use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::domain::ids::{MessageId, TicketId, TicketNumber};
use crate::i18n::{Arg, Locale};
use crate::service::accounts::links::{self, TicketLink};
use crate::service::mail::texts::{self, MailKind};
use crate::state::AppState;
use crate::store;
use crate::store::users::UserRow;

/// Translation helper for mail templates.
pub struct MailLocale(pub Locale);

impl MailLocale {
    pub fn t(&self, key: &str) -> String {
        self.0.t(key)
    }
    pub fn t1(&self, key: &str, name: &'static str, value: impl ToString) -> String {
        self.0.t_with(key, &[(name, Arg::Str(value.to_string()))])
    }
    pub fn code(&self) -> String {
        self.0.code()
    }
}

/// The language mail to `user` is written in.
pub fn locale_of(app: &AppState, user: &UserRow) -> Locale {
    locale_or_default(app, user.locale.as_deref())
}

/// The language `code` (someone's setting), else the helpdesk's default.
pub fn locale_or_default(app: &AppState, code: Option<&str>) -> Locale {
    code.and_then(Locale::parse)
        .or_else(|| Locale::parse(&app.config.i18n.default_locale))
        .unwrap_or_else(Locale::fallback)
}

/// The domain of our Message-IDs: the public address's host.
pub fn mail_domain(app: &AppState) -> String {
    app.config
        .http
        .public_url
        .host_str()
        .unwrap_or("bilet.localhost")
        .to_string()
}

/// A signed link that opens one ticket for `user`.
pub fn ticket_link(app: &AppState, user: &UserRow, number: TicketNumber) -> String {
    // Never before the ticket could close by itself, plus a week to answer.
    let days = app
        .config
        .tickets
        .link_days
        .max(app.config.tickets.auto_close_days + 7);
    let expires = OffsetDateTime::now_utc() + time::Duration::days(i64::from(days));
    let token = links::issue(
        &app.secrets.session_key,
        TicketLink {
            user: user.id,
            ticket: number,
            epoch: user.session_epoch,
            expires: expires.unix_timestamp(),
        },
    );
    format!("{}l/{token}", app.config.http.public_url)
}

/// The subject with its ticket tag: "[#1042] Printer on fire".
pub fn tagged_subject(app: &AppState, number: TicketNumber, subject: &str) -> String {
    format!("[{}{}] {subject}", app.config.mail.tag_prefix, number)
}

/// The department's sending address, with a fallback for departments that
/// have none.
pub fn from_address(app: &AppState, addresses: &[String]) -> String {
    addresses
        .first()
        .cloned()
        .unwrap_or_else(|| format!("noreply@{}", mail_domain(app)))
}

/// What the acknowledgement of a new ticket needs to know.
pub struct Ack<'a> {
    pub ticket: TicketId,
    pub number: TicketNumber,
    pub subject: &'a str,
    pub department_name: &'a str,
    pub department_addresses: &'a [String],
    pub requester: &'a UserRow,
}

/// Queues the acknowledgement of a new ticket to its requester, in the
/// text of the ticket's department and the requester's language.
pub async fn queue_ack(db: &mut PgConnection, app: &AppState, ack: Ack<'_>) -> anyhow::Result<()> {
    let locale = locale_of(app, ack.requester);
    let link = ticket_link(app, ack.requester, ack.number);
    let number = ack.number.to_string();
    let text = texts::for_ticket(&mut *db, ack.ticket, MailKind::Acknowledgement, &locale).await?;
    let mail = texts::render(
        &text,
        &texts::Fill {
            customer_name: &ack.requester.name,
            department_name: ack.department_name,
            ticket_number: &number,
            ticket_subject: ack.subject,
            ticket_link: Some(&link),
            ..texts::Fill::default()
        },
        &locale,
    );
    let message_id = crate::mail::message_id::generate(
        &app.secrets.message_id_key,
        ack.number,
        MessageId::new(),
        &mail_domain(app),
    );
    let from = from_address(app, ack.department_addresses);
    store::outbox::insert(
        db,
        store::outbox::NewOutbound {
            ticket: Some(ack.ticket),
            message: None,
            kind: "ack",
            from_addr: &from,
            from_name: Some(ack.department_name),
            mail_message_id: &message_id,
            in_reply_to: None,
            references: &[],
            subject: &tagged_subject(app, ack.number, &mail.subject),
            body_text: &mail.text,
            body_html: Some(&mail.html),
            // RFC 3834: an automatic answer; other robots must not answer it.
            headers: json!({ "Auto-Submitted": "auto-replied" }),
            to: std::slice::from_ref(&ack.requester.email),
            attachments: &[],
        },
    )
    .await?;
    Ok(())
}

/// Queues the mail with a link that lets `user` set a password for the
/// address they have written from.
pub async fn queue_claim(
    db: &mut PgConnection,
    app: &AppState,
    user: &UserRow,
) -> anyhow::Result<()> {
    let locale = locale_of(app, user);
    let expires = OffsetDateTime::now_utc() + time::Duration::days(1);
    let token = links::issue_claim(
        &app.secrets.session_key,
        TicketLink {
            user: user.id,
            ticket: TicketNumber(0),
            epoch: user.session_epoch,
            expires: expires.unix_timestamp(),
        },
    );
    let link = format!("{}claim/{token}", app.config.http.public_url);
    let (text, department) =
        texts::for_customer(&mut *db, user.id, MailKind::Claim, &locale).await?;
    let helpdesk = app.settings.get().helpdesk_name.clone();
    let mail = texts::render(
        &text,
        &texts::Fill {
            customer_name: &user.name,
            department_name: department.as_deref().unwrap_or(&helpdesk),
            claim_link: Some(&link),
            ..texts::Fill::default()
        },
        &locale,
    );
    let message_id = format!(
        "claim.{}@{}",
        uuid::Uuid::new_v4().simple(),
        mail_domain(app)
    );
    let from = format!("noreply@{}", mail_domain(app));
    store::outbox::insert(
        db,
        store::outbox::NewOutbound {
            ticket: None,
            message: None,
            kind: "claim",
            from_addr: &from,
            from_name: None,
            mail_message_id: &message_id,
            in_reply_to: None,
            references: &[],
            subject: &mail.subject,
            body_text: &mail.text,
            body_html: Some(&mail.html),
            headers: json!({ "Auto-Submitted": "auto-generated" }),
            to: std::slice::from_ref(&user.email),
            attachments: &[],
        },
    )
    .await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "email/verify.txt", escape = "none")]
struct VerifyText<'a> {
    l: &'a MailLocale,
    name: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "email/verify.html")]
struct VerifyHtml<'a> {
    l: &'a MailLocale,
    name: &'a str,
    link: &'a str,
}

/// Queues the mail with the link that confirms a registered address.
pub async fn queue_verify(
    db: &mut PgConnection,
    app: &AppState,
    user: &UserRow,
) -> anyhow::Result<()> {
    let l = MailLocale(locale_of(app, user));
    let expires = OffsetDateTime::now_utc() + time::Duration::days(2);
    let token = links::issue_verify(
        &app.secrets.session_key,
        TicketLink {
            user: user.id,
            ticket: TicketNumber(0),
            epoch: user.session_epoch,
            expires: expires.unix_timestamp(),
        },
    );
    let link = format!("{}verify/{token}", app.config.http.public_url);
    let text = VerifyText {
        l: &l,
        name: &user.name,
        link: &link,
    }
    .render()?;
    let html = VerifyHtml {
        l: &l,
        name: &user.name,
        link: &link,
    }
    .render()?;
    let message_id = format!(
        "verify.{}@{}",
        uuid::Uuid::new_v4().simple(),
        mail_domain(app)
    );
    let from = format!("noreply@{}", mail_domain(app));
    store::outbox::insert(
        db,
        store::outbox::NewOutbound {
            ticket: None,
            message: None,
            kind: "verify",
            from_addr: &from,
            from_name: None,
            mail_message_id: &message_id,
            in_reply_to: None,
            references: &[],
            subject: &l.t("mail-verify-subject"),
            body_text: &text,
            body_html: Some(&html),
            headers: json!({ "Auto-Submitted": "auto-generated" }),
            to: std::slice::from_ref(&user.email),
            attachments: &[],
        },
    )
    .await?;
    Ok(())
}

/// What an agent's reply mail needs to know.
pub struct Reply<'a> {
    pub ticket: TicketId,
    pub number: TicketNumber,
    pub subject: &'a str,
    pub message: MessageId,
    /// The whole text, signature included.
    pub body: &'a str,
    pub agent_name: &'a str,
    pub department_name: &'a str,
    pub department_addresses: &'a [String],
    pub requester: &'a UserRow,
    /// Message-IDs of the thread so far, oldest first.
    pub thread: &'a [String],
    pub attachments: &'a [uuid::Uuid],
}

/// Queues an agent's reply to the requester; returns its Message-ID, which
/// the message keeps so that answers to it thread back.
pub async fn queue_reply(
    db: &mut PgConnection,
    app: &AppState,
    reply: Reply<'_>,
) -> anyhow::Result<String> {
    let locale = locale_of(app, reply.requester);
    let link = ticket_link(app, reply.requester, reply.number);
    let number = reply.number.to_string();
    let text = texts::for_ticket(&mut *db, reply.ticket, MailKind::Reply, &locale).await?;
    let mail = texts::render(
        &text,
        &texts::Fill {
            customer_name: &reply.requester.name,
            agent_name: reply.agent_name,
            department_name: reply.department_name,
            ticket_number: &number,
            ticket_subject: reply.subject,
            ticket_link: Some(&link),
            reply_body: Some(reply.body),
            ..texts::Fill::default()
        },
        &locale,
    );
    let message_id = crate::mail::message_id::generate(
        &app.secrets.message_id_key,
        reply.number,
        reply.message,
        &mail_domain(app),
    );
    let from = from_address(app, reply.department_addresses);
    store::outbox::insert(
        db,
        store::outbox::NewOutbound {
            ticket: Some(reply.ticket),
            message: Some(reply.message),
            kind: "reply",
            from_addr: &from,
            from_name: Some(reply.agent_name),
            mail_message_id: &message_id,
            in_reply_to: reply.thread.last().map(String::as_str),
            references: reply.thread,
            subject: &tagged_subject(app, reply.number, &mail.subject),
            body_text: &mail.text,
            body_html: Some(&mail.html),
            headers: json!({}),
            to: std::slice::from_ref(&reply.requester.email),
            attachments: reply.attachments,
        },
    )
    .await?;
    Ok(message_id)
}

/// Tells the assignee (or, with none, the department's agents who may
/// answer) that a customer wrote. Staff only; no link secrets in it.
pub async fn queue_agent_notice(
    db: &mut PgConnection,
    app: &AppState,
    ticket: TicketId,
    number: TicketNumber,
    subject: &str,
    customer_name: &str,
    body: &str,
) -> anyhow::Result<()> {
    if !app.settings.get().notify_agents {
        return Ok(());
    }
    let recipients = store::notices::agents_to_tell(&mut *db, ticket).await?;
    if recipients.is_empty() {
        return Ok(());
    }
    let l = MailLocale(
        Locale::parse(&app.settings.get().default_locale).unwrap_or_else(Locale::fallback),
    );
    let link = format!("{}agent/tickets/{number}", app.config.http.public_url);
    let excerpt: String = body.chars().take(2000).collect();
    let text = format!(
        "{}\n\n{excerpt}\n\n--\n{link}\n",
        l.t1("mail-agent-notice", "name", customer_name)
    );
    let message_id = crate::mail::message_id::generate(
        &app.secrets.message_id_key,
        number,
        MessageId::new(),
        &mail_domain(app),
    );
    store::outbox::insert(
        db,
        store::outbox::NewOutbound {
            ticket: Some(ticket),
            message: None,
            kind: "notification",
            from_addr: &format!("noreply@{}", mail_domain(app)),
            from_name: Some(&app.settings.get().helpdesk_name),
            mail_message_id: &message_id,
            in_reply_to: None,
            references: &[],
            subject: &tagged_subject(app, number, subject),
            body_text: &text,
            body_html: None,
            headers: json!({ "Auto-Submitted": "auto-generated" }),
            to: &recipients,
            attachments: &[],
        },
    )
    .await?;
    Ok(())
}
