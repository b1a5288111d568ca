//! Data protection: everything about one customer, exported as they may
//! see it. `export` writes a new folder (0700): `profile.json`, one
//! `tickets/<number>.json` per ticket they asked or take part in, in the
//! representation `bilet ticket show --as` prints (through the access rule:
//! no internal notes, nothing of other people's tickets), and every file
//! attached there under `files/<number>/`. The export is audited.

use std::path::Path;

use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::domain::users::Role;
use crate::service::{Error, Result};
use crate::state::AppState;
use crate::store;
use crate::store::audit::AuditEntry;

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

/// Exports the customer with address `email` into the new folder `to`.
pub async fn export(app: &AppState, email: &str, to: &Path) -> Result<Exported> {
    use std::os::unix::fs::PermissionsExt;
    let user = store::users::find_by_email(&app.db, &email.trim().to_lowercase())
        .await?
        .filter(|u| u.role == Role::Customer)
        .ok_or(Error::NotFound)?;
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
            actor: None,
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
