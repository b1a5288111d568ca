//! Mail texts admins rewrite per department and language: the
//! acknowledgement of a new ticket and the mail with the claim link. A
//! department without its own text gets the shipped one, written from the
//! locale files with the same placeholders. Both parts of a mail come from
//! one text: the plain part is the text with its placeholders filled, the
//! HTML part that text escaped, in paragraphs, with its links clickable.
//!
//! Placeholders have the syntax of signatures (`{{customer.name}}`, spaces
//! inside the braces allowed); the signature ones are filled by
//! `domain::placeholders`, the mail's own (subject, links) here. An agent's
//! reply has no text of its own beyond the agent's words and the signature,
//! so it is not here. No SQL here.

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use crate::domain::ids::{TicketId, UserId};
use crate::domain::placeholders::{self, Values};
use crate::i18n::{Arg, Locale};
use crate::service::{Error, FieldError, FieldErrors, Result};
use crate::store;
use crate::store::audit::AuditEntry;
use crate::store::departments::DepartmentRow;

/// Longest subject admins may write, in characters.
pub const SUBJECT_MAX: usize = 200;
/// Longest body admins may write, in characters.
pub const BODY_MAX: usize = 10_000;

/// A mail whose text admins may rewrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// The answer to a new ticket ("we have received your request").
    Acknowledgement,
    /// The link that lets someone who wrote in by mail set a password.
    Claim,
}

impl MailKind {
    /// Every kind, in the order the console lists them.
    pub const ALL: [MailKind; 2] = [MailKind::Acknowledgement, MailKind::Claim];

    /// Its name in URLs and in the database.
    pub fn code(self) -> &'static str {
        match self {
            MailKind::Acknowledgement => "acknowledgement",
            MailKind::Claim => "claim",
        }
    }

    /// The kind with this code.
    pub fn parse(code: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The placeholders this mail may use, without braces.
    pub fn placeholders(self) -> &'static [&'static str] {
        match self {
            MailKind::Acknowledgement => &[
                "customer.name",
                "department.name",
                "ticket.number",
                "ticket.subject",
                "ticket.link",
            ],
            MailKind::Claim => &["customer.name", "department.name", "claim.link"],
        }
    }

    /// A placeholder the body cannot do without.
    fn required(self) -> Option<&'static str> {
        match self {
            MailKind::Acknowledgement => None,
            // Without the link the mail is of no use to anybody.
            MailKind::Claim => Some("claim.link"),
        }
    }

    /// The message naming this mail in the console.
    pub fn label_key(self) -> &'static str {
        match self {
            MailKind::Acknowledgement => "admin-mail-text-kind-acknowledgement",
            MailKind::Claim => "admin-mail-text-kind-claim",
        }
    }

    /// The message saying when this mail is sent.
    pub fn hint_key(self) -> &'static str {
        match self {
            MailKind::Acknowledgement => "admin-mail-text-when-acknowledgement",
            MailKind::Claim => "admin-mail-text-when-claim",
        }
    }

    /// The message listing the placeholders, for error messages.
    fn list_key(self) -> &'static str {
        match self {
            MailKind::Acknowledgement => "mail-text-placeholders-acknowledgement",
            MailKind::Claim => "mail-text-placeholders-claim",
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
    match kind {
        MailKind::Acknowledgement => MailText {
            subject: "{{ticket.subject}}".into(),
            body: [
                greeting,
                t1("mail-ack-received", "number", "{{ticket.number}}"),
                "  {{ticket.subject}}".into(),
                locale.t("mail-ack-next"),
                locale.t("mail-ack-reply-hint"),
                format!("{}\n{{{{ticket.link}}}}", locale.t("mail-open-ticket")),
                "--\n{{department.name}}".into(),
            ]
            .join("\n\n"),
        },
        MailKind::Claim => MailText {
            subject: locale.t("mail-claim-subject"),
            body: [
                greeting,
                locale.t("mail-claim-intro"),
                "{{claim.link}}".into(),
                locale.t("mail-claim-ignore"),
            ]
            .join("\n\n"),
        },
    }
}

/// What the placeholders stand for in one mail.
#[derive(Debug, Clone, Default)]
pub struct Fill<'a> {
    pub customer_name: &'a str,
    pub department_name: &'a str,
    pub ticket_number: &'a str,
    pub ticket_subject: &'a str,
    pub ticket_link: Option<&'a str>,
    pub claim_link: Option<&'a str>,
}

/// A mail ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    /// The HTML part's content, without the document around it.
    pub html_body: String,
    /// The whole HTML part.
    pub html: String,
}

/// One piece of a text: as written, or a placeholder.
enum Piece<'a> {
    Literal(&'a str),
    Placeholder { raw: &'a str, name: &'a str },
}

/// `template` cut into literals and placeholders, read the way
/// `domain::placeholders` reads signatures (an unclosed `{{` is text).
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        if start > 0 {
            out.push(Piece::Literal(&rest[..start]));
        }
        out.push(Piece::Placeholder {
            raw: &rest[start..start + 2 + end + 2],
            name: after[..end].trim(),
        });
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Literal(rest));
    }
    out
}

/// Filled text: plain runs and links.
enum Out {
    Text(String),
    Link(String),
}

fn fill(template: &str, f: &Fill<'_>) -> Vec<Out> {
    let values = Values {
        agent_name: "",
        department_name: f.department_name,
        ticket_number: f.ticket_number,
        customer_name: f.customer_name,
    };
    pieces(template)
        .into_iter()
        .map(|piece| match piece {
            Piece::Literal(s) => Out::Text(s.to_string()),
            Piece::Placeholder { raw, name } => match (name, f.ticket_link, f.claim_link) {
                ("ticket.subject", ..) => Out::Text(f.ticket_subject.to_string()),
                ("ticket.link", Some(link), _) | ("claim.link", _, Some(link)) => {
                    Out::Link(link.to_string())
                }
                // The signature placeholders; anything else stays as written.
                _ => Out::Text(placeholders::render(raw, &values)),
            },
        })
        .collect()
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// Escaped HTML of filled text: blank lines part paragraphs, other line
/// ends become `<br>`.
fn html_of(filled: &[Out]) -> String {
    let mut flat = String::new();
    for out in filled {
        match out {
            Out::Text(s) => escape(s, &mut flat),
            Out::Link(url) => {
                let mut u = String::new();
                escape(url, &mut u);
                flat.push_str(&format!("<a href=\"{u}\">{u}</a>"));
            }
        }
    }
    let mut html = String::new();
    let mut paragraph: Vec<&str> = Vec::new();
    // A trailing empty line closes the last paragraph.
    for line in flat.lines().chain(std::iter::once("")) {
        if line.trim().is_empty() {
            if !paragraph.is_empty() {
                html.push_str(&format!("<p>{}</p>\n", paragraph.join("<br>\n")));
                paragraph.clear();
            }
        } else {
            paragraph.push(line.trim_end());
        }
    }
    html
}

/// `text` with `f` filled in, as the plain and the HTML part.
pub fn render(text: &MailText, f: &Fill<'_>, locale: &Locale) -> Rendered {
    let plain = |template: &str| -> String {
        fill(template, f)
            .into_iter()
            .map(|o| match o {
                Out::Text(s) | Out::Link(s) => s,
            })
            .collect()
    };
    let subject = plain(&text.subject)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let body_text = format!("{}\n", plain(&text.body).trim_end());
    let html_body = html_of(&fill(&text.body, f));
    let mut title = String::new();
    escape(&subject, &mut title);
    // The look of Bilet's other mails (templates/email/verify.html).
    let html = format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n\
         <body style=\"font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif; \
         font-size: 15px; line-height: 1.5; color: #1c2230;\">\n{html_body}</body></html>\n",
        locale.code()
    );
    Rendered {
        subject,
        text: body_text,
        html_body,
        html,
    }
}

/// The errors of `text` as a text of `kind`: empty or long parts, and
/// placeholders this mail does not have (with the list of those it has).
pub fn check(kind: MailKind, text: &MailText) -> FieldErrors {
    let mut errors = FieldErrors::default();
    for (field, value, max) in [
        ("subject", &text.subject, SUBJECT_MAX),
        ("body", &text.body, BODY_MAX),
    ] {
        if value.trim().is_empty() {
            errors.add(field, "error-mail-text-required");
            continue;
        }
        if value.chars().count() > max {
            errors.add_n(field, "error-mail-text-too-long", max as i64);
            continue;
        }
        let unknown = pieces(value).into_iter().find_map(|p| match p {
            Piece::Placeholder { name, .. } if !kind.placeholders().contains(&name) => Some(name),
            _ => None,
        });
        if let Some(name) = unknown {
            errors.0.push(FieldError {
                field,
                key: "error-mail-text-placeholder",
                n: None,
                name: Some(format!("{{{{{name}}}}}")),
                terms: vec![("list", kind.list_key())],
            });
        }
    }
    if let Some(required) = kind.required()
        && errors.get("body").is_none()
        && !pieces(&text.body)
            .iter()
            .any(|p| matches!(p, Piece::Placeholder { name, .. } if *name == required))
    {
        errors.add_named(
            "body",
            "error-mail-text-link-required",
            &format!("{{{{{required}}}}}"),
            None,
        );
    }
    errors
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

/// One kind in one language, as the console lists it.
#[derive(Debug, Clone)]
pub struct TextStatus {
    pub kind: MailKind,
    pub language: String,
    /// When the department's own text was last saved; `None`: the shipped one.
    pub customised: Option<OffsetDateTime>,
}

/// A department's mail texts.
#[derive(Debug, Clone)]
pub struct Overview {
    pub department: DepartmentRow,
    pub texts: Vec<TextStatus>,
}

async fn department(db: &PgPool, slug: &str) -> Result<DepartmentRow> {
    store::departments::find_by_slug(db, slug)
        .await?
        .ok_or(Error::NotFound)
}

/// Every kind in every shipped language for the department `slug`.
pub async fn overview(db: &PgPool, slug: &str) -> Result<Overview> {
    let department = department(db, slug).await?;
    let rows = store::mail_texts::list(db, department.id).await?;
    let mut texts = Vec::new();
    for kind in MailKind::ALL {
        for language in crate::i18n::available() {
            let customised = rows
                .iter()
                .find(|r| r.kind == kind.code() && r.language == language)
                .map(|r| r.updated_at);
            texts.push(TextStatus {
                kind,
                language,
                customised,
            });
        }
    }
    Ok(Overview { department, texts })
}

/// One text as the edit form starts.
#[derive(Debug, Clone)]
pub struct Editing {
    pub department: DepartmentRow,
    pub text: MailText,
    pub shipped: MailText,
    pub customised: bool,
}

/// The text of `kind` in `locale` of the department `slug`, for editing.
pub async fn for_edit(db: &PgPool, slug: &str, kind: MailKind, locale: &Locale) -> Result<Editing> {
    let department = department(db, slug).await?;
    let row = store::mail_texts::find(db, department.id, &locale.code(), kind.code()).await?;
    let customised = row.is_some();
    Ok(Editing {
        department,
        text: override_or_shipped(kind, locale, row),
        shipped: shipped(kind, locale),
        customised,
    })
}

/// Saves the department's text of `kind` in `locale`. A text that is the
/// shipped one is not kept: the department then follows the shipped text.
pub async fn save(
    db: &PgPool,
    admin: UserId,
    slug: &str,
    kind: MailKind,
    locale: &Locale,
    text: &MailText,
) -> Result<()> {
    check(kind, text).into_result()?;
    let department = department(db, slug).await?;
    let language = locale.code();
    let is_shipped = *text == shipped(kind, locale);
    let mut tx = db.begin().await?;
    if is_shipped {
        store::mail_texts::delete(&mut *tx, department.id, &language, kind.code()).await?;
    } else {
        store::mail_texts::upsert(
            &mut *tx,
            department.id,
            &language,
            kind.code(),
            &text.subject,
            &text.body,
            admin,
        )
        .await?;
    }
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: Some(admin),
            kind: "mail_text.saved",
            ticket: None,
            subject: Some(department.id.0),
            data: json!({
                "department": department.slug,
                "mail": kind.code(),
                "language": language,
                "subject": text.subject,
                "shipped": is_shipped,
            }),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Returns the department's text of `kind` in `locale` to the shipped one.
pub async fn reset(
    db: &PgPool,
    admin: UserId,
    slug: &str,
    kind: MailKind,
    locale: &Locale,
) -> Result<()> {
    let department = department(db, slug).await?;
    let language = locale.code();
    let mut tx = db.begin().await?;
    if store::mail_texts::delete(&mut *tx, department.id, &language, kind.code()).await? {
        store::audit::record(
            &mut *tx,
            AuditEntry {
                actor: Some(admin),
                kind: "mail_text.reset",
                ticket: None,
                subject: Some(department.id.0),
                data: json!({
                    "department": department.slug,
                    "mail": kind.code(),
                    "language": language,
                }),
                ip: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Where a preview's sample links point and how ticket subjects are tagged.
pub struct Sample<'a> {
    pub public_url: &'a str,
    pub tag_prefix: &'a str,
}

/// `text` filled with sample values in `locale`, as a customer of
/// `department_name` would get it; refused like a save when it is wrong.
pub fn preview(
    kind: MailKind,
    locale: &Locale,
    text: &MailText,
    department_name: &str,
    sample: Sample<'_>,
) -> Result<Rendered> {
    check(kind, text).into_result()?;
    let ticket_link = format!("{}l/example", sample.public_url);
    let claim_link = format!("{}claim/example", sample.public_url);
    let customer = locale.t("mail-text-sample-customer");
    let subject = locale.t("mail-text-sample-subject");
    let mut mail = render(
        text,
        &Fill {
            customer_name: &customer,
            department_name,
            ticket_number: "1042",
            ticket_subject: &subject,
            ticket_link: Some(&ticket_link),
            claim_link: Some(&claim_link),
        },
        locale,
    );
    if kind == MailKind::Acknowledgement {
        // As notifications::tagged_subject sends it.
        mail.subject = format!("[{}1042] {}", sample.tag_prefix, mail.subject);
    }
    Ok(mail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ru() -> Locale {
        Locale::parse("ru").expect("ru")
    }

    #[test]
    fn both_parts_come_from_one_text_and_html_is_escaped() {
        let text = MailText::from_form(
            "Заявка {{ ticket.subject }}",
            "Здравствуйте, {{customer.name}}!\r\n\r\nСсылка:\r\n{{ticket.link}}\r\n\r\n{{agent.nmae}} <b>",
        );
        let r = render(
            &text,
            &Fill {
                customer_name: "Пётр & Co",
                department_name: "Техподдержка",
                ticket_number: "1042",
                ticket_subject: "Принтер\nне печатает",
                ticket_link: Some("https://help.test/l/x?a=1&b=2"),
                claim_link: None,
            },
            &ru(),
        );
        assert_eq!(r.subject, "Заявка Принтер не печатает");
        assert_eq!(
            r.text,
            "Здравствуйте, Пётр & Co!\n\nСсылка:\nhttps://help.test/l/x?a=1&b=2\n\n{{agent.nmae}} <b>\n"
        );
        assert_eq!(
            r.html_body,
            "<p>Здравствуйте, Пётр &amp; Co!</p>\n\
             <p>Ссылка:<br>\n<a href=\"https://help.test/l/x?a=1&amp;b=2\">https://help.test/l/x?a=1&amp;b=2</a></p>\n\
             <p>{{agent.nmae}} &lt;b&gt;</p>\n"
        );
        assert!(r.html.starts_with("<!doctype html>\n<html lang=\"ru\">"));
    }

    #[test]
    fn shipped_texts_pass_their_own_check_in_every_language() {
        for code in crate::i18n::available() {
            let locale = Locale::parse(&code).expect("locale");
            for kind in MailKind::ALL {
                let text = shipped(kind, &locale);
                assert!(check(kind, &text).is_empty(), "{code} {kind:?}");
                assert!(
                    !text.body.contains("mail-"),
                    "{code} {kind:?}: a missing message"
                );
            }
        }
    }

    #[test]
    fn placeholders_of_another_mail_are_refused_with_the_list() {
        let errors = check(
            MailKind::Claim,
            &MailText::from_form("Hi", "{{ticket.number}} {{claim.link}}"),
        );
        let e = errors.get("body").expect("refused");
        assert_eq!(e.key, "error-mail-text-placeholder");
        assert_eq!(e.name.as_deref(), Some("{{ticket.number}}"));
        assert_eq!(e.terms, vec![("list", "mail-text-placeholders-claim")]);
        let errors = check(MailKind::Claim, &MailText::from_form("Hi", "no link"));
        assert_eq!(
            errors.get("body").map(|e| e.key),
            Some("error-mail-text-link-required")
        );
        let errors = check(MailKind::Acknowledgement, &MailText::from_form(" ", "x"));
        assert_eq!(
            errors.get("subject").map(|e| e.key),
            Some("error-mail-text-required")
        );
    }
}
