//! Webhooks: admins subscribe a URL to kinds of ticket change (console,
//! API, `bilet webhook`). The `webhooks` journal reader ([`reader`]) makes
//! one delivery per entry and matching subscription; [`send`] posts them,
//! signed, in order, one at a time per subscription, on whichever node
//! holds the subscription's lease.

pub mod client;
pub mod reader;
pub mod send;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{Error, FieldErrors, Result};
use crate::domain::ids::UserId;
use crate::domain::journal::JournalKind;
use crate::domain::webhooks;
use crate::state::AppState;
use crate::store;
use crate::store::audit::AuditEntry;
use crate::store::webhook_deliveries::DeliveryRow;
use crate::store::webhooks::{NewWebhook, WebhookRow};

/// Every secret starts so, to be recognised in a config or a leak.
pub const SECRET_PREFIX: &str = "whsec_";

/// What `bilet webhook add`, the console and the API ask for.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub url: String,
    /// Comma-separated event names, or `*`.
    pub events: String,
    pub department: Option<String>,
    /// Allows private, loopback and link-local targets.
    pub allow_private: bool,
    pub created_by: Option<UserId>,
}

/// Subscribes; returns the subscription and its secret (shown once).
pub async fn add(app: &AppState, spec: Spec) -> Result<(WebhookRow, String)> {
    let mut errors = FieldErrors::default();
    let url = spec.url.trim();
    match url::Url::parse(url) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && url.len() <= 2000 =>
        {
            if !u.username().is_empty() || u.password().is_some() {
                errors.add("url", "error-webhook-url-credentials");
            }
        }
        _ => errors.add("url", "error-webhook-url"),
    }
    let events = webhooks::parse_events(&spec.events).unwrap_or_else(|_| {
        errors.add("events", "error-webhook-events");
        Vec::new()
    });
    let department = match spec.department.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(slug) => match store::departments::find_by_slug(&app.db, slug).await? {
            Some(d) => Some(d.id),
            None => {
                errors.add("department", "error-department-unknown");
                None
            }
        },
    };
    errors.into_result()?;
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let secret = format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(random));
    let sealed = app.secrets.mailbox_key.encrypt(secret.as_bytes())?;
    let kinds: Vec<JournalKind> = events.iter().map(|e| e.kind()).collect();
    let names: Vec<String> = events.iter().map(|e| e.as_str().to_string()).collect();
    let mut tx = app.db.begin().await?;
    let id = store::webhooks::insert(
        &mut *tx,
        NewWebhook {
            url,
            kinds: &kinds,
            events: &names,
            department_id: department,
            secret: &sealed,
            allow_private: spec.allow_private,
            created_by: spec.created_by,
        },
    )
    .await?;
    audit(&mut tx, spec.created_by, "webhook.added", id, url).await?;
    tx.commit().await?;
    let row = store::webhooks::get(&app.db, id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((row, secret))
}

async fn audit(
    tx: &mut sqlx::PgConnection,
    by: Option<UserId>,
    kind: &str,
    id: i64,
    url: &str,
) -> Result<()> {
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: by,
            kind,
            ticket: None,
            subject: None,
            data: serde_json::json!({ "webhook": id, "url": url }),
            ip: None,
        },
    )
    .await?;
    Ok(())
}

pub async fn list(app: &AppState) -> Result<Vec<WebhookRow>> {
    Ok(store::webhooks::list(&app.db).await?)
}

pub async fn get(app: &AppState, id: i64) -> Result<WebhookRow> {
    store::webhooks::get(&app.db, id)
        .await?
        .ok_or(Error::NotFound)
}

pub async fn remove(app: &AppState, id: i64, by: Option<UserId>) -> Result<()> {
    let w = get(app, id).await?;
    let mut tx = app.db.begin().await?;
    if !store::webhooks::remove(&mut *tx, id).await? {
        return Err(Error::NotFound);
    }
    audit(&mut tx, by, "webhook.removed", id, &w.url).await?;
    tx.commit().await?;
    Ok(())
}

/// Enables a subscription Bilet disabled; its waiting deliveries go out.
pub async fn enable(app: &AppState, id: i64, by: Option<UserId>) -> Result<()> {
    let w = get(app, id).await?;
    let mut tx = app.db.begin().await?;
    store::webhooks::enable(&mut *tx, id).await?;
    audit(&mut tx, by, "webhook.enabled", id, &w.url).await?;
    crate::events::publish(&mut *tx, &crate::events::Event::WebhooksDue).await?;
    tx.commit().await?;
    Ok(())
}

/// A page of a subscription's deliveries, newest first.
pub async fn history(
    app: &AppState,
    id: i64,
    before: Option<i64>,
    limit: i64,
) -> Result<(WebhookRow, Vec<DeliveryRow>)> {
    let w = get(app, id).await?;
    let rows = store::webhook_deliveries::history(&app.db, id, before, limit).await?;
    Ok((w, rows))
}

/// Sends a finished (sent or dead) delivery again, after what waits.
pub async fn resend(app: &AppState, id: i64, delivery: i64) -> Result<i64> {
    get(app, id).await?;
    let copy = store::webhook_deliveries::resend(&app.db, id, delivery)
        .await?
        .ok_or(Error::NotFound)?;
    crate::events::publish(&app.db, &crate::events::Event::WebhooksDue).await?;
    Ok(copy)
}

/// Deletes finished deliveries older than the journal's retention.
pub async fn prune(app: &AppState) -> Result<u64> {
    let days = i64::from(app.config.journal.retention_days);
    Ok(store::webhook_deliveries::prune(&app.db, days).await?)
}
