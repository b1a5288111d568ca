//! Mail texts admins rewrite per department and language: the
//! acknowledgement of a new ticket, the wrapper around an agent's reply,
//! the resolved mail with its rating links, and the mail with the claim
//! link. A department without its own text gets the shipped one, written
//! from the locale files with the same placeholders. Both parts of a mail
//! come from one text (`compose`): the plain part is the text with its
//! placeholders filled, the HTML part that text escaped, in paragraphs,
//! with its links clickable.
//!
//! Placeholders have the syntax of signatures (`{{customer.name}}`, spaces
//! inside the braces allowed); the signature ones are filled by
//! `domain::placeholders`, the mail's own (subject, links, the reply) by
//! `compose`. No SQL here.

mod compose;
mod console;

pub use compose::{Fill, Rendered, Star, check, render};
pub use console::{
    Editing, Overview, Sample, TextStatus, for_edit, overview, preview, reset, save,
};

use sqlx::PgConnection;

use crate::domain::ids::{TicketId, UserId};
use crate::i18n::{Arg, Locale};
use crate::store;

/// Longest subject admins may write, in characters.
pub const SUBJECT_MAX: usize = 200;
/// Longest body admins may write, in characters.
pub const BODY_MAX: usize = 10_000;

/// The placeholders of a ticket mail's subject.
const TICKET_SUBJECT: &[&str] = &[
    "customer.name",
    "department.name",
    "ticket.number",
    "ticket.subject",
];

/// A mail whose text admins may rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// The answer to a new ticket ("we have received your request").
    Acknowledgement,
    /// What goes around an agent's reply (their words and signature).
    Reply,
    /// "Your ticket is resolved", with the links that rate it.
    Resolved,
    /// The link that lets someone who wrote in by mail set a password.
    Claim,
}

impl MailKind {
    /// Every kind, in the order the console lists them.
    pub const ALL: [MailKind; 4] = [
        MailKind::Acknowledgement,
        MailKind::Reply,
        MailKind::Resolved,
        MailKind::Claim,
    ];

    /// Its name in URLs and in the database.
    pub fn code(self) -> &'static str {
        match self {
            MailKind::Acknowledgement => "acknowledgement",
            MailKind::Reply => "reply",
            MailKind::Resolved => "resolved",
            MailKind::Claim => "claim",
        }
    }

    /// The kind with this code.
    pub fn parse(code: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The placeholders this mail's body may use, without braces.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            MailKind::Acknowledgement => &[
                "customer.name",
                "department.name",
                "ticket.number",
                "ticket.subject",
                "ticket.link",
            ],
            MailKind::Reply => &[
                "reply.body",
                "customer.name",
                "agent.name",
                "department.name",
                "ticket.number",
                "ticket.subject",
                "ticket.link",
            ],
            MailKind::Resolved => &[
                "customer.name",
                "department.name",
                "ticket.number",
                "ticket.subject",
                "ticket.link",
                "rating.links",
            ],
            MailKind::Claim => &["customer.name", "department.name", "claim.link"],
        }
    }

    /// The placeholders its subject may use: no links, no blocks of text.
    pub fn subject_placeholders(self) -> &'static [&'static str] {
        match self {
            MailKind::Acknowledgement | MailKind::Resolved => TICKET_SUBJECT,
            MailKind::Reply => &[
                "customer.name",
                "agent.name",
                "department.name",
                "ticket.number",
                "ticket.subject",
            ],
            MailKind::Claim => &["customer.name", "department.name"],
        }
    }

    /// A placeholder the body cannot do without.
    fn required(self) -> Option<&'static str> {
        match self {
            MailKind::Acknowledgement | MailKind::Resolved => None,
            // Without the agent's words there is no reply.
            MailKind::Reply => Some("reply.body"),
            // Without the link the mail is of no use to anybody.
            MailKind::Claim => Some("claim.link"),
        }
    }

    /// Whether the ticket tag ([#1042]) goes in front of its subject.
    pub fn tagged(self) -> bool {
        self != MailKind::Claim
    }

    /// The message naming this mail in the console.
    pub fn label_key(self) -> &'static str {
        match self {
            MailKind::Acknowledgement => "admin-mail-text-kind-acknowledgement",
            MailKind::Reply => "admin-mail-text-kind-reply",
            MailKind::Resolved => "admin-mail-text-kind-resolved",
            MailKind::Claim => "admin-mail-text-kind-claim",
        }
    }

    /// The message saying when this mail is sent.
    pub fn hint_key(self) -> &'static str {
        match self {
            MailKind::Acknowledgement => "admin-mail-text-when-acknowledgement",
            MailKind::Reply => "admin-mail-text-when-reply",
            MailKind::Resolved => "admin-mail-text-when-resolved",
            MailKind::Claim => "admin-mail-text-when-claim",
        }
    }

    /// The message listing the body's placeholders, for error messages.
    fn list_key(self) -> &'static str {
        match self {
            MailKind::Acknowledgement => "mail-text-placeholders-acknowledgement",
            MailKind::Reply => "mail-text-placeholders-reply",
            MailKind::Resolved => "mail-text-placeholders-resolved",
            MailKind::Claim => "mail-text-placeholders-claim",
        }
    }

    /// The message listing the subject's placeholders.
    fn subject_list_key(self) -> &'static str {
        match self {
            MailKind::Acknowledgement | MailKind::Resolved => "mail-text-placeholders-subject",
            MailKind::Reply => "mail-text-placeholders-subject-reply",
            MailKind::Claim => "mail-text-placeholders-subject-claim",
        }
    }

    /// The placeholders as written in texts, for help texts.
    pub fn placeholder_list(self) -> Vec<String> {
        self.placeholders()
            .iter()
            .map(|p| format!("{{{{{p}}}}}"))
            .collect()
    }
}

/// A subject and a body with placeholders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailText {
    pub subject: String,
    pub body: String,
}

impl MailText {
    /// The text as typed into a form: line ends as `\n`, no trailing blanks.
    pub fn from_form(subject: &str, body: &str) -> MailText {
        MailText {
            subject: subject.trim().to_string(),
            body: body.replace("\r\n", "\n").trim_end().to_string(),
        }
    }
}

/// The shipped text of `kind` in `locale`, from the locale files.
pub fn shipped(kind: MailKind, locale: &Locale) -> MailText {
    let t1 = |key: &str, name: &'static str, value: &str| {
        locale.t_with(key, &[(name, Arg::Str(value.to_string()))])
    };
    let greeting = t1("mail-greeting", "name", "{{customer.name}}");
    let open = format!("{}\n{{{{ticket.link}}}}", locale.t("mail-open-ticket"));
    let (subject, parts) = match kind {
        MailKind::Acknowledgement => (
            "{{ticket.subject}}".to_string(),
            vec![
                greeting,
                t1("mail-ack-received", "number", "{{ticket.number}}"),
                "  {{ticket.subject}}".into(),
                locale.t("mail-ack-next"),
                locale.t("mail-ack-reply-hint"),
                open,
                "--\n{{department.name}}".into(),
            ],
        ),
        MailKind::Reply => (
            "{{ticket.subject}}".to_string(),
            vec!["{{reply.body}}".into(), format!("--\n{open}")],
        ),
        MailKind::Resolved => (
            "{{ticket.subject}}".to_string(),
            vec![
                greeting,
                t1("mail-resolved-intro", "number", "{{ticket.number}}"),
                "  {{ticket.subject}}".into(),
                format!("{}\n{{{{rating.links}}}}", locale.t("mail-resolved-rate")),
                locale.t("mail-resolved-reopen"),
                open,
                "--\n{{department.name}}".into(),
            ],
        ),
        MailKind::Claim => (
            locale.t("mail-claim-subject"),
            vec![
                greeting,
                locale.t("mail-claim-intro"),
                "{{claim.link}}".into(),
                locale.t("mail-claim-ignore"),
            ],
        ),
    };
    MailText {
        subject,
        body: parts.join("\n\n"),
    }
}

fn override_or_shipped(
    kind: MailKind,
    locale: &Locale,
    row: Option<store::mail_texts::MailTextRow>,
) -> MailText {
    row.map(|r| MailText {
        subject: r.subject,
        body: r.body,
    })
    .unwrap_or_else(|| shipped(kind, locale))
}

/// The text of `kind` in `locale` for the department of `ticket`: its
/// admins' text, else the shipped one.
pub async fn for_ticket(
    db: &mut PgConnection,
    ticket: TicketId,
    kind: MailKind,
    locale: &Locale,
) -> anyhow::Result<MailText> {
    let row = store::mail_texts::for_ticket(&mut *db, ticket, &locale.code(), kind.code()).await?;
    Ok(override_or_shipped(kind, locale, row))
}

/// The text of `kind` in `locale` for a mail to `user` about their account:
/// that of the department of their latest ticket, with its name, if any.
pub async fn for_customer(
    db: &mut PgConnection,
    user: UserId,
    kind: MailKind,
    locale: &Locale,
) -> anyhow::Result<(MailText, Option<String>)> {
    let Some((department, name)) = store::mail_texts::latest_department(&mut *db, user).await?
    else {
        return Ok((shipped(kind, locale), None));
    };
    let row = store::mail_texts::find(&mut *db, department, &locale.code(), kind.code()).await?;
    Ok((override_or_shipped(kind, locale, row), Some(name)))
}
