//! Departments: creation and listing.

use serde_json::json;
use sqlx::PgPool;

use crate::domain::email;
use crate::domain::ids::{DepartmentId, UserId};
use crate::service::{FieldErrors, Result};
use crate::store;
use crate::store::audit::AuditEntry;
use crate::store::departments::DepartmentRow;

/// A department as an admin or the CLI describes it.
#[derive(Debug, Clone, Default)]
pub struct NewDepartment {
    pub slug: String,
    pub name: String,
    pub addresses: Vec<String>,
    pub signature: String,
}

fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 63
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
}

/// Creates a department with its addresses (the first is the primary one).
pub async fn create(
    db: &PgPool,
    actor: Option<UserId>,
    new: NewDepartment,
) -> Result<DepartmentId> {
    let mut errors = FieldErrors::default();
    if !valid_slug(&new.slug) {
        errors.add("slug", "error-slug-invalid");
    }
    if new.name.trim().is_empty() {
        errors.add("name", "error-name-required");
    }
    let addresses: Vec<Option<String>> =
        new.addresses.iter().map(|a| email::normalize(a)).collect();
    if addresses.iter().any(Option::is_none) {
        errors.add("addresses", "error-email-invalid");
    }
    if let Some(unknown) = crate::domain::placeholders::first_unknown(&new.signature) {
        errors.add_named("signature", "error-placeholder-unknown", &unknown, None);
    }
    errors.into_result()?;
    let addresses: Vec<String> = addresses.into_iter().flatten().collect();

    let id = DepartmentId::new();
    let mut tx = db.begin().await?;
    if let Err(err) = store::departments::insert(
        &mut tx,
        id,
        &new.slug,
        new.name.trim(),
        &new.signature,
        &addresses,
    )
    .await
    {
        return Err(match store::violated_constraint(&err) {
            Some("departments_slug_key") => FieldErrors::one("slug", "error-slug-taken"),
            Some("department_addresses_pkey") => {
                FieldErrors::one("addresses", "error-address-taken")
            }
            _ => err.into(),
        });
    }
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor,
            kind: "department.created",
            ticket: None,
            subject: Some(id.0),
            data: json!({ "slug": new.slug, "addresses": addresses }),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Every department.
pub async fn list(db: &PgPool) -> Result<Vec<DepartmentRow>> {
    Ok(store::departments::list(db).await?)
}

/// The departments `user` may open tickets in for a customer: those they
/// work (the access rule's "works in").
pub async fn openable_by(
    db: &PgPool,
    user: &crate::store::users::UserRow,
) -> Result<Vec<DepartmentRow>> {
    Ok(store::departments::worked_by(db, user.id).await?)
}

/// A department as the admin console edits it.
pub async fn for_edit(db: &PgPool, slug: &str) -> Result<store::departments::DepartmentEdit> {
    store::departments::find_for_edit(db, slug)
        .await?
        .ok_or(crate::service::Error::NotFound)
}

/// Saves an edited department.
pub async fn update(
    db: &PgPool,
    admin: UserId,
    d: store::departments::DepartmentEdit,
) -> Result<()> {
    let mut errors = FieldErrors::default();
    if d.name.trim().is_empty() {
        errors.add("name", "error-name-required");
    }
    let addresses: Vec<Option<String>> = d.addresses.iter().map(|a| email::normalize(a)).collect();
    if addresses.iter().any(Option::is_none) {
        errors.add("addresses", "error-email-invalid");
    }
    if let Some(unknown) = crate::domain::placeholders::first_unknown(&d.signature) {
        errors.add_named("signature", "error-placeholder-unknown", &unknown, None);
    }
    if let Some(m) = d.manager_id
        && !store::users::find(db, m)
            .await?
            .is_some_and(|u| u.role.is_staff())
    {
        errors.add("manager", "error-manager");
    }
    errors.into_result()?;
    let d = store::departments::DepartmentEdit {
        addresses: addresses.into_iter().flatten().collect(),
        name: d.name.trim().to_string(),
        ..d
    };
    let mut tx = db.begin().await?;
    if let Err(err) = store::departments::update(&mut tx, &d).await {
        return Err(match store::violated_constraint(&err) {
            Some("department_addresses_pkey") => {
                FieldErrors::one("addresses", "error-address-taken")
            }
            _ => err.into(),
        });
    }
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: Some(admin),
            kind: "department.updated",
            ticket: None,
            subject: Some(d.id.0),
            data: json!({ "slug": d.slug, "name": d.name, "addresses": d.addresses, "customer_visible": d.customer_visible }),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_lowercase_words() {
        assert!(super::valid_slug("billing"));
        assert!(super::valid_slug("tech-support-2"));
        for bad in ["", "-x", "Billing", "tech support", "техподдержка"] {
            assert!(!super::valid_slug(bad), "{bad:?}");
        }
    }
}
