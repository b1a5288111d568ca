//! Staff administration: list, change role and grants, disable without
//! losing history, reset a password. Every change is audited.

use serde_json::json;
use sqlx::PgPool;

use super::passwords;
use crate::domain::access::AccessLevel;
use crate::domain::ids::{DepartmentId, UserId};
use crate::domain::users::Role;
use crate::events::{self, Event};
use crate::service::{Conflict, Error, FieldErrors, Result};
use crate::store;
use crate::store::audit::AuditEntry;
use crate::store::users::UserRow;

/// Every staff member.
pub async fn list(db: &PgPool) -> Result<Vec<UserRow>> {
    Ok(store::users::staff(db).await?)
}

/// One staff member with their grants.
pub async fn get(db: &PgPool, id: UserId) -> Result<(UserRow, Vec<(DepartmentId, AccessLevel)>)> {
    let user = store::users::find(db, id)
        .await?
        .filter(|u| u.role.is_staff())
        .ok_or(Error::NotFound)?;
    let grants = store::users::grants(db, id).await?;
    Ok((user, grants))
}

/// Changes name, role and department grants.
pub async fn update(
    db: &PgPool,
    admin: &UserRow,
    id: UserId,
    name: &str,
    role: Role,
    grants: &[(DepartmentId, AccessLevel)],
) -> Result<()> {
    let (user, _) = get(db, id).await?;
    if name.trim().is_empty() {
        return Err(FieldErrors::one("name", "error-name-required"));
    }
    if role == Role::Customer {
        return Err(FieldErrors::one("role", "error-role"));
    }
    if user.id == admin.id && role != Role::Admin {
        return Err(FieldErrors::one("role", "error-own-admin-role"));
    }
    let mut tx = db.begin().await?;
    store::users::set_name_and_role(&mut *tx, id, name.trim(), role).await?;
    store::users::set_grants(&mut tx, id, grants).await?;
    let grants_json: Vec<_> = grants
        .iter()
        .map(|(d, l)| json!({ "department": d, "level": l }))
        .collect();
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: Some(admin.id),
            kind: "staff.updated",
            ticket: None,
            subject: Some(id.0),
            data: json!({ "name": name.trim(), "role": role.as_str(), "grants": grants_json }),
            ip: None,
        },
    )
    .await?;
    // Live streams hold the grants in memory: they reload now.
    events::publish(&mut *tx, &Event::AccessChanged { user: id }).await?;
    tx.commit().await?;
    Ok(())
}

/// Disables or re-enables an account: its sessions and links end at once,
/// its tickets and messages stay.
pub async fn set_disabled(db: &PgPool, admin: &UserRow, id: UserId, disabled: bool) -> Result<()> {
    let (user, _) = get(db, id).await?;
    if user.id == admin.id {
        return Err(Error::Conflict(Conflict::OwnAccount));
    }
    let mut tx = db.begin().await?;
    store::users::set_disabled(&mut *tx, id, disabled).await?;
    store::sessions::delete_all_but(&mut *tx, id, None).await?;
    events::publish(&mut *tx, &Event::AccessChanged { user: id }).await?;
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: Some(admin.id),
            kind: if disabled {
                "staff.disabled"
            } else {
                "staff.enabled"
            },
            ticket: None,
            subject: Some(id.0),
            data: json!({}),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the password with a one-time one (shown once to the admin).
pub async fn reset_password(
    db: &PgPool,
    hasher: &super::hasher::Hasher,
    admin: &UserRow,
    id: UserId,
) -> Result<String> {
    get(db, id).await?;
    let password = passwords::generate()?;
    let hash = passwords::hash(hasher, None, password.clone()).await?;
    let mut tx = db.begin().await?;
    store::users::set_password(&mut *tx, id, &hash, true).await?;
    store::sessions::delete_all_but(&mut *tx, id, None).await?;
    events::publish(
        &mut *tx,
        &Event::SessionEnded {
            user: id,
            session: None,
        },
    )
    .await?;
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: Some(admin.id),
            kind: "staff.password_reset",
            ticket: None,
            subject: Some(id.0),
            data: json!({}),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(password)
}
