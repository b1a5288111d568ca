//! Settings admins change at run time: the helpdesk's name, its default
//! language, attachment limits. Stored in PostgreSQL, defaulting to the
//! configuration, and cached on every node; a change is announced on the
//! event bus so that every node reloads.

use serde_json::json;
use sqlx::PgPool;

use crate::config::Config;
use crate::events::{self, Event};
use crate::service::{FieldErrors, Result};
pub use crate::state::settings::{Settings, SettingsCache};
use crate::store;
use crate::store::audit::AuditEntry;
use crate::store::users::UserRow;

/// The stored settings over the configuration's defaults.
pub async fn load(db: &PgPool, config: &Config) -> Result<Settings> {
    let mut s = Settings::defaults(config);
    for (key, value) in store::settings::all(db).await? {
        match key.as_str() {
            "helpdesk_name" => {
                s.helpdesk_name = value.as_str().unwrap_or(&s.helpdesk_name).to_string()
            }
            "default_locale" => {
                s.default_locale = value.as_str().unwrap_or(&s.default_locale).to_string()
            }
            "max_file_bytes" => s.max_file_bytes = value.as_u64().unwrap_or(s.max_file_bytes),
            "max_message_bytes" => {
                s.max_message_bytes = value.as_u64().unwrap_or(s.max_message_bytes)
            }
            "relay_addresses" => {
                s.relay_addresses = value
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default()
            }
            "notify_ack" => s.notify_ack = value.as_bool().unwrap_or(true),
            "notify_replies" => s.notify_replies = value.as_bool().unwrap_or(true),
            "notify_agents" => s.notify_agents = value.as_bool().unwrap_or(true),
            _ => {}
        }
    }
    Ok(s)
}

/// Saves new settings after checking them; every node reloads.
pub async fn save(
    db: &PgPool,
    cache: &SettingsCache,
    config: &Config,
    admin: &UserRow,
    new: Settings,
) -> Result<()> {
    let mut errors = FieldErrors::default();
    if new.helpdesk_name.trim().is_empty() {
        errors.add("helpdesk_name", "error-name-required");
    }
    if !crate::i18n::is_available(&new.default_locale) {
        errors.add("default_locale", "error-locale-unknown");
    }
    if new.max_file_bytes == 0 {
        errors.add("max_file_mb", "error-limit");
    }
    if new.max_message_bytes < new.max_file_bytes {
        errors.add("max_message_mb", "error-limit-total");
    }
    let relays: Vec<Option<String>> = new
        .relay_addresses
        .iter()
        .map(|a| crate::domain::email::normalize(a))
        .collect();
    if relays.iter().any(Option::is_none) {
        errors.add("relay_addresses", "error-email-invalid");
    }
    errors.into_result()?;
    let relays: Vec<String> = relays.into_iter().flatten().collect();
    let mut tx = db.begin().await?;
    store::settings::put(&mut *tx, "relay_addresses", json!(relays), admin.id).await?;
    store::settings::put(&mut *tx, "notify_ack", json!(new.notify_ack), admin.id).await?;
    store::settings::put(
        &mut *tx,
        "notify_replies",
        json!(new.notify_replies),
        admin.id,
    )
    .await?;
    store::settings::put(
        &mut *tx,
        "notify_agents",
        json!(new.notify_agents),
        admin.id,
    )
    .await?;
    store::settings::put(
        &mut *tx,
        "helpdesk_name",
        json!(new.helpdesk_name.trim()),
        admin.id,
    )
    .await?;
    store::settings::put(
        &mut *tx,
        "default_locale",
        json!(new.default_locale),
        admin.id,
    )
    .await?;
    store::settings::put(
        &mut *tx,
        "max_file_bytes",
        json!(new.max_file_bytes),
        admin.id,
    )
    .await?;
    store::settings::put(
        &mut *tx,
        "max_message_bytes",
        json!(new.max_message_bytes),
        admin.id,
    )
    .await?;
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: Some(admin.id),
            kind: "settings.changed",
            ticket: None,
            subject: None,
            data: json!({
                "helpdesk_name": new.helpdesk_name.trim(),
                "default_locale": new.default_locale,
                "max_file_bytes": new.max_file_bytes,
                "max_message_bytes": new.max_message_bytes,
            }),
            ip: None,
        },
    )
    .await?;
    events::publish(&mut *tx, &Event::SettingsChanged).await?;
    tx.commit().await?;
    // This node at once; every node (this one again) when the event arrives.
    reload(cache, db, config).await
}

/// Reads the stored settings again into `cache`.
pub async fn reload(cache: &SettingsCache, db: &PgPool, config: &Config) -> Result<()> {
    cache.set(load(db, config).await?);
    Ok(())
}
