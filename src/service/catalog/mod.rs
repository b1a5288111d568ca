//! What the portal offers customers, as admins configure it: help topics
//! (with guidance, prompts and suggested attachments) mapped to
//! departments, products, and canned responses for agents. Audited.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

pub mod departments;
pub mod settings;

use crate::domain::ids::{DepartmentId, UserId};
use crate::service::{Error, FieldErrors, Result};
use crate::store;
use crate::store::audit::AuditEntry;
use crate::store::catalog::{Names, Prompt};

async fn audit(
    db: &PgPool,
    admin: UserId,
    kind: &str,
    subject: Uuid,
    data: serde_json::Value,
) -> Result<()> {
    store::audit::record(
        db,
        AuditEntry {
            actor: Some(admin),
            kind,
            ticket: None,
            subject: Some(subject),
            data,
            ip: None,
        },
    )
    .await?;
    Ok(())
}

/// Prompts from the admin form: one per line, a trailing `*` marks a
/// required one, `Label | hint` adds a hint.
pub fn parse_prompts(text: &str) -> Vec<Prompt> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| {
            let (label, hint) = line
                .split_once('|')
                .map_or((line, ""), |(l, h)| (l.trim(), h.trim()));
            let required = label.ends_with('*');
            let label = label.trim_end_matches('*').trim().to_string();
            Prompt {
                key: format!("p{}", i + 1),
                label,
                hint: hint.to_string(),
                required,
            }
        })
        .collect()
}

/// The prompts as the admin form shows them.
pub fn format_prompts(prompts: &[Prompt]) -> String {
    prompts
        .iter()
        .map(|p| {
            let mut line = p.label.clone();
            if p.required {
                line.push('*');
            }
            if !p.hint.is_empty() {
                line.push_str(" | ");
                line.push_str(&p.hint);
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names per language as saved: shipped languages only, trimmed, and
/// an empty one left out (the default name shows instead).
pub fn clean_names(names: &Names) -> Names {
    names
        .iter()
        .filter(|(lang, _)| crate::i18n::available().contains(lang))
        .map(|(lang, name)| (lang.clone(), name.trim().to_string()))
        .filter(|(_, name)| !name.is_empty())
        .collect()
}

/// A help topic as the admin form sends it.
#[derive(Debug, Clone, Default)]
pub struct TopicInput {
    pub name: String,
    /// Names per language code; empty ones fall back to `name`.
    pub names: Names,
    pub department: Option<DepartmentId>,
    pub guidance: String,
    pub prompts: String,
    pub suggested_attachments: String,
    pub visible: bool,
}

fn check_topic(input: &TopicInput) -> Result<DepartmentId> {
    let mut errors = FieldErrors::default();
    if input.name.trim().is_empty() {
        errors.add("name", "error-name-required");
    }
    if input.department.is_none() {
        errors.add("department", "error-department-unknown");
    }
    errors.into_result()?;
    input.department.ok_or(Error::NotFound)
}

/// Creates a help topic.
pub async fn create_topic(db: &PgPool, admin: UserId, input: TopicInput) -> Result<Uuid> {
    let department = check_topic(&input)?;
    let prompts = parse_prompts(&input.prompts);
    let id = store::catalog::insert_help_topic(
        db,
        input.name.trim(),
        department,
        input.guidance.trim(),
        &prompts,
        input.suggested_attachments.trim(),
    )
    .await?;
    store::catalog::set_topic_visible(db, id, input.visible).await?;
    let names = clean_names(&input.names);
    store::catalog::set_topic_names(db, id, &names).await?;
    audit(
        db,
        admin,
        "topic.created",
        id,
        json!({ "name": input.name.trim(), "names": names }),
    )
    .await?;
    Ok(id)
}

/// Changes a help topic.
pub async fn update_topic(db: &PgPool, admin: UserId, id: Uuid, input: TopicInput) -> Result<()> {
    let department = check_topic(&input)?;
    let prompts = parse_prompts(&input.prompts);
    if !store::catalog::update_help_topic(
        db,
        id,
        input.name.trim(),
        department,
        input.guidance.trim(),
        &prompts,
        input.suggested_attachments.trim(),
        input.visible,
    )
    .await?
    {
        return Err(Error::NotFound);
    }
    let names = clean_names(&input.names);
    store::catalog::set_topic_names(db, id, &names).await?;
    audit(
        db,
        admin,
        "topic.updated",
        id,
        json!({ "name": input.name.trim(), "names": names }),
    )
    .await
}

/// Deletes a help topic (tickets keep their department).
pub async fn delete_topic(db: &PgPool, admin: UserId, id: Uuid) -> Result<()> {
    if !store::catalog::delete_help_topic(db, id).await? {
        return Err(Error::NotFound);
    }
    audit(db, admin, "topic.deleted", id, json!({})).await
}

/// A product as the admin form sends it.
#[derive(Debug, Clone, Default)]
pub struct ProductInput {
    pub name: String,
    /// Names per language code; empty ones fall back to `name`.
    pub names: Names,
}

fn check_product(input: &ProductInput) -> Result<()> {
    if input.name.trim().is_empty() {
        return Err(FieldErrors::one("name", "error-name-required"));
    }
    Ok(())
}

/// Adds a product.
pub async fn add_product(db: &PgPool, admin: UserId, input: ProductInput) -> Result<Uuid> {
    check_product(&input)?;
    let name = input.name.trim();
    let names = clean_names(&input.names);
    let id = store::catalog::insert_product(db, name).await?;
    store::catalog::update_product(db, id, name, &names).await?;
    audit(
        db,
        admin,
        "product.created",
        id,
        json!({ "name": name, "names": names }),
    )
    .await?;
    Ok(id)
}

/// Changes a product's default name and its names per language.
pub async fn update_product(
    db: &PgPool,
    admin: UserId,
    id: Uuid,
    input: ProductInput,
) -> Result<()> {
    check_product(&input)?;
    let name = input.name.trim();
    let names = clean_names(&input.names);
    if !store::catalog::update_product(db, id, name, &names).await? {
        return Err(Error::NotFound);
    }
    audit(
        db,
        admin,
        "product.updated",
        id,
        json!({ "name": name, "names": names }),
    )
    .await
}

/// Shows or hides a product in the portal form.
pub async fn set_product_active(db: &PgPool, admin: UserId, id: Uuid, active: bool) -> Result<()> {
    if !store::catalog::set_product_active(db, id, active).await? {
        return Err(Error::NotFound);
    }
    audit(
        db,
        admin,
        if active {
            "product.shown"
        } else {
            "product.hidden"
        },
        id,
        json!({}),
    )
    .await
}

/// A canned response as the admin form sends it.
#[derive(Debug, Clone, Default)]
pub struct CannedInput {
    pub title: String,
    pub body: String,
    /// None: every department.
    pub department: Option<DepartmentId>,
}

fn check_canned(input: &CannedInput) -> Result<()> {
    let mut errors = FieldErrors::default();
    if input.title.trim().is_empty() {
        errors.add("title", "error-title-required");
    }
    if input.body.trim().is_empty() {
        errors.add("body", "error-body-required");
    }
    if let Some(unknown) = crate::domain::placeholders::first_unknown(&input.body) {
        errors.add_named("body", "error-placeholder-unknown", &unknown, None);
    }
    errors.into_result()
}

/// Creates a canned response.
pub async fn create_canned(db: &PgPool, admin: UserId, input: CannedInput) -> Result<Uuid> {
    check_canned(&input)?;
    let id = store::canned::insert(
        db,
        input.department,
        input.title.trim(),
        input.body.trim_end(),
        admin,
    )
    .await?;
    audit(
        db,
        admin,
        "canned.created",
        id,
        json!({ "title": input.title.trim() }),
    )
    .await?;
    Ok(id)
}

/// Changes a canned response.
pub async fn update_canned(db: &PgPool, admin: UserId, id: Uuid, input: CannedInput) -> Result<()> {
    check_canned(&input)?;
    if !store::canned::update(
        db,
        id,
        input.department,
        input.title.trim(),
        input.body.trim_end(),
    )
    .await?
    {
        return Err(Error::NotFound);
    }
    audit(
        db,
        admin,
        "canned.updated",
        id,
        json!({ "title": input.title.trim() }),
    )
    .await
}

/// Deletes a canned response.
pub async fn delete_canned(db: &PgPool, admin: UserId, id: Uuid) -> Result<()> {
    if !store::canned::delete(db, id).await? {
        return Err(Error::NotFound);
    }
    audit(db, admin, "canned.deleted", id, json!({})).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_shipped_languages_with_text_only() {
        let typed: Names = [("ru", "  Оплата "), ("en", ""), ("xx", "Nope")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let names = clean_names(&typed);
        assert_eq!(names.len(), 1);
        assert_eq!(names["ru"], "Оплата");
        assert_eq!(store::catalog::name_for("Billing", &names, "ru"), "Оплата");
        assert_eq!(store::catalog::name_for("Billing", &names, "en"), "Billing");
    }

    #[test]
    fn prompts_round_trip_through_the_admin_text() {
        let text =
            "Server name* | e.g. vps-12\nSince when\nWhat changed? | Updates, new plugins...";
        let prompts = parse_prompts(text);
        assert_eq!(prompts.len(), 3);
        assert!(prompts[0].required && !prompts[1].required);
        assert_eq!(prompts[0].hint, "e.g. vps-12");
        assert_eq!(
            format_prompts(&prompts),
            "Server name* | e.g. vps-12\nSince when\nWhat changed? | Updates, new plugins..."
        );
    }
}
