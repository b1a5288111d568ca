//! The console's side of mail texts: what a department has customised,
//! the edit form's starting text, saving (audited), resetting to the
//! shipped text, and a preview filled with sample values.

use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::domain::ids::UserId;
use crate::i18n::Locale;
use crate::service::{Error, Result};
use crate::store;
use crate::store::audit::AuditEntry;
use crate::store::departments::DepartmentRow;

use super::compose::{Fill, Rendered, Star, check, render};
use super::{MailKind, MailText, override_or_shipped, shipped};

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
    let stars: Vec<Star> = (1..=5)
        .map(|n| Star {
            n,
            link: format!("{}rate/example?stars={n}", sample.public_url),
        })
        .collect();
    let customer = locale.t("mail-text-sample-customer");
    let agent = locale.t("mail-text-sample-agent");
    let subject = locale.t("mail-text-sample-subject");
    let reply = format!(
        "{}\n\n--\n{agent}\n{department_name}",
        locale.t("mail-text-sample-reply")
    );
    let mut mail = render(
        text,
        &Fill {
            customer_name: &customer,
            agent_name: &agent,
            department_name,
            ticket_number: "1042",
            ticket_subject: &subject,
            ticket_link: Some(&ticket_link),
            claim_link: Some(&claim_link),
            reply_body: Some(&reply),
            stars: Some(&stars),
        },
        locale,
    );
    if kind.tagged() {
        // As notifications::tagged_subject sends it.
        mail.subject = format!("[{}1042] {}", sample.tag_prefix, mail.subject);
    }
    Ok(mail)
}
