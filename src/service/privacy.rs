//! Data protection: everything about one customer, exported as they may
//! see it. `export` writes a new folder (0700): `profile.json`, one
//! `tickets/<number>.json` per ticket they asked or take part in, in the
//! representation `bilet ticket show --as` prints (through the access rule:
//! no internal notes, nothing of other people's tickets), and every file
//! attached there under `files/<number>/`. The export is audited.
//!
//! `erase` removes a customer's content on request: every ticket they
//! asked, wrote on or take part in goes through the write path with
//! `Change::Erase` (see `tickets::erase` for what goes), then their own
//! row is reduced to a neutral name, all in one transaction; the bytes of
//! their files and raw mail go with the blob collector right after.

use std::path::Path;

use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::domain::access::AccessLevel;
use crate::domain::ids::UserId;
use crate::domain::users::Role;
use crate::i18n::Locale;
use crate::service::tickets::{Actor, Change, Expect, TicketWrite};
use crate::service::{Error, Result};
use crate::state::AppState;
use crate::store;
use crate::store::audit::AuditEntry;
use crate::store::tickets::Target;
use crate::store::users::UserRow;

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    pub tickets: usize,
    pub files: usize,
}

/// A file name safe on any disk: letters, digits, dot, dash, underscore.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    match cleaned.trim_start_matches('.') {
        "" => "file".into(),
        rest => rest.to_string(),
    }
}

fn io(e: std::io::Error) -> Error {
    Error::Internal(e.into())
}

/// The customer with address `email`; staff and unknown addresses are
/// not found (staff accounts are never exported or erased as customers).
pub async fn customer(app: &AppState, email: &str) -> Result<UserRow> {
    store::users::find_by_email(&app.db, &email.trim().to_lowercase())
        .await?
        .filter(|u| u.role == Role::Customer)
        .ok_or(Error::NotFound)
}

/// Exports the customer with address `email` into the new folder `to`.
pub async fn export(app: &AppState, email: &str, to: &Path) -> Result<Exported> {
    let user = customer(app, email).await?;
    export_user(app, &user, to, None).await
}

/// The export of `user` as one `.tar` (the folder `export` writes, under
/// `bilet-export/`), for the console's download: made under the data
/// folder's `tmp/`, opened and unlinked at once, so the open file is all
/// that is left and it goes when the download ends. `by`: the admin.
pub async fn export_archive(
    app: &AppState,
    user: &UserRow,
    by: Option<UserId>,
) -> Result<tokio::fs::File> {
    let tmp = app.config.data_dir.join("tmp");
    std::fs::create_dir_all(&tmp).map_err(io)?;
    let name = uuid::Uuid::new_v4().simple().to_string();
    let dir = tmp.join(format!("export-{name}"));
    let archive = tmp.join(format!("export-{name}.tar"));
    let made = async {
        export_user(app, user, &dir, by).await?;
        let (from, to) = (dir.clone(), archive.clone());
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut tar = tar::Builder::new(std::fs::File::create(to)?);
            tar.append_dir_all("bilet-export", from)?;
            tar.into_inner()?.sync_all()
        })
        .await
        .map_err(|e| Error::Internal(e.into()))?
        .map_err(io)?;
        tokio::fs::File::open(&archive).await.map_err(io)
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&archive);
    made
}

async fn export_user(
    app: &AppState,
    user: &UserRow,
    to: &Path,
    by: Option<UserId>,
) -> Result<Exported> {
    use std::os::unix::fs::PermissionsExt;
    if to.exists() && std::fs::read_dir(to).map_err(io)?.next().is_some() {
        return Err(Error::Internal(anyhow::anyhow!(
            "{} is not empty: choose a new folder",
            to.display()
        )));
    }
    std::fs::create_dir_all(to.join("tickets")).map_err(io)?;
    std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    let profile = json!({
        "name": user.name,
        "addresses": store::users::addresses_of(&app.db, user.id).await?,
        "language": user.locale,
        "time_zone": user.time_zone,
        "created_at": user.created_at.format(&time::format_description::well_known::Rfc3339).ok(),
        "disabled": user.disabled_at.is_some(),
    });
    let write = |path: std::path::PathBuf, value: &serde_json::Value| {
        std::fs::write(path, serde_json::to_vec_pretty(value).unwrap_or_default()).map_err(io)
    };
    write(to.join("profile.json"), &profile)?;
    let viewer = user.viewer();
    let numbers = store::users::ticket_numbers_of(&app.db, user.id).await?;
    let mut files = 0;
    for number in &numbers {
        let view = super::tickets::view::view(&app.db, &viewer, *number).await?;
        let value = serde_json::to_value(super::tickets::representation::represent(
            &view.ticket,
            &view.messages,
        ))
        .map_err(|e| Error::Internal(e.into()))?;
        write(to.join("tickets").join(format!("{number}.json")), &value)?;
        for m in &view.messages {
            for a in &m.files.0 {
                let dir = to.join("files").join(number.to_string());
                tokio::fs::create_dir_all(&dir).await.map_err(io)?;
                let mut reader = app
                    .blobs
                    .open(&a.sha256)
                    .await
                    .map_err(|e| Error::Internal(e.into()))?;
                let path = dir.join(format!("{}-{}", a.id.0.simple(), safe_name(&a.filename)));
                let mut file = tokio::fs::File::create(path).await.map_err(io)?;
                tokio::io::copy(&mut reader, &mut file).await.map_err(io)?;
                file.flush().await.map_err(io)?;
                files += 1;
            }
        }
    }
    store::audit::record(
        &app.db,
        AuditEntry {
            actor: by,
            kind: "customer.exported",
            ticket: None,
            subject: Some(user.id.0),
            data: json!({ "tickets": numbers.len(), "files": files }),
            ip: None,
        },
    )
    .await?;
    Ok(Exported {
        tickets: numbers.len(),
        files,
    })
}

/// What an erasure removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Erased {
    pub tickets: usize,
    pub messages: i64,
    pub files: i64,
    /// Blobs whose bytes the collector deleted right after.
    pub blobs: usize,
}

/// Erases the customer `user` (see the module comment); `by` is the admin
/// who asked, for the audit log (None: the command line).
pub async fn erase(app: &AppState, user: &UserRow, by: Option<UserId>) -> Result<Erased> {
    // An erased customer has no address left, so is not found again.
    if user.role != Role::Customer {
        return Err(Error::NotFound);
    }
    let mut tx = app.db.begin().await?;
    let tickets = store::erasure::tickets_of(&mut tx, user.id).await?;
    let (mut messages, mut files) = (0, 0);
    for ticket in &tickets {
        let mut w = TicketWrite::open(
            app,
            &mut tx,
            Actor::System,
            Target::Id(*ticket),
            AccessLevel::Manage,
            Expect::Current,
        )
        .await?;
        let removed = w
            .apply(&mut tx, Change::Erase { customer: user.id })
            .await?
            .erased;
        messages += removed.messages;
        files += removed.files;
        w.commit(&mut tx).await?;
    }
    // In the helpdesk's language: the name is stored, shown to every agent.
    let helpdesk = Locale::parse(&app.config.i18n.default_locale).unwrap_or_else(Locale::fallback);
    store::erasure::person(&mut tx, user.id, &helpdesk.t("customer-erased-name")).await?;
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: by,
            kind: "customer.erased",
            ticket: None,
            subject: Some(user.id.0),
            data: json!({ "tickets": tickets.len(), "messages": messages, "files": files }),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    let blobs = super::blob_gc::collect(app).await?;
    Ok(Erased {
        tickets: tickets.len(),
        messages,
        files,
        blobs,
    })
}

/// One customer as the console's data-protection page shows them.
#[derive(Debug, Clone)]
pub struct Overview {
    pub user: UserRow,
    pub addresses: Vec<String>,
    pub tickets: usize,
}

/// The customer `id` (staff and erased people are not found).
pub async fn overview(app: &AppState, id: UserId) -> Result<Overview> {
    let user = store::users::find(&app.db, id)
        .await?
        .filter(|u| u.role == Role::Customer)
        .ok_or(Error::NotFound)?;
    Ok(Overview {
        addresses: store::users::addresses_of(&app.db, user.id).await?,
        tickets: store::users::ticket_numbers_of(&app.db, user.id)
            .await?
            .len(),
        user,
    })
}
