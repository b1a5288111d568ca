//! API tokens: made by admins (console, `bilet token create`), shown once,
//! kept as a keyed hash. A token acts as its user, or as a service identity
//! named after it ("NAME (API)"), narrowed by its departments and its
//! read-only flag through the access rule (`domain::access::Narrowing`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::{Error, FieldErrors, Result};
use crate::domain::access::{AccessLevel, Narrowing};
use crate::domain::ids::{DepartmentId, TokenId, UserId};
use crate::domain::users::Role;
use crate::state::AppState;
use crate::store;
use crate::store::api_tokens::{Listed, NewToken, TokenRow};
use crate::store::audit::AuditEntry;
use crate::store::users::UserRow;

/// Every token starts so: secret scanners and people recognise it.
pub const PREFIX: &str = "bilet_";
/// A last use is written at most this often per token and node.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// What `bilet token create` and the console ask for.
#[derive(Debug, Clone, Default)]
pub struct Spec {
    pub name: String,
    /// Acts as this staff member; None: a service identity of its own.
    pub user_email: Option<String>,
    /// Narrowed to these departments (slug, level); empty: every one.
    pub departments: Vec<(String, AccessLevel)>,
    pub read_only: bool,
    pub created_by: Option<UserId>,
}

/// The keyed hash a token is stored and found by.
pub fn hash(app: &AppState, token: &str) -> [u8; 32] {
    app.secrets
        .session_key
        .sign(&[b"api-token", token.as_bytes()])
}

/// Makes a token; returns it (shown once) and its row.
pub async fn create(app: &AppState, spec: Spec) -> Result<(String, TokenRow)> {
    let name = spec.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(FieldErrors::one("name", "error-token-name"));
    }
    let mut tx = app.db.begin().await?;
    let mut departments: Vec<(DepartmentId, AccessLevel)> = Vec::new();
    for (slug, level) in &spec.departments {
        let d = store::departments::find_by_slug(&mut *tx, slug)
            .await?
            .ok_or_else(|| FieldErrors::one("department", "error-department-unknown"))?;
        departments.push((d.id, *level));
    }
    let id = TokenId::new();
    let (user, service) = match &spec.user_email {
        Some(email) => {
            let u = store::users::find_by_email(&mut *tx, email)
                .await?
                .filter(|u| u.role.is_staff() && u.disabled_at.is_none())
                .ok_or_else(|| FieldErrors::one("user", "error-token-user"))?;
            (u.id, false)
        }
        None => {
            // Its own identity: an agent of the token's departments, or
            // (no departments given) one who reaches every department.
            let user = UserId::new();
            let role = if departments.is_empty() {
                Role::Admin
            } else {
                Role::Agent
            };
            let email = format!("token-{id}@api.invalid");
            let display = format!("{name} (API)");
            store::users::insert(
                &mut tx,
                store::users::NewUser {
                    id: user,
                    role,
                    name: &display,
                    email: &email,
                    password_hash: None,
                    must_change_password: false,
                    locale: None,
                },
            )
            .await?;
            for (d, level) in &departments {
                store::users::grant_department(&mut *tx, user, *d, *level).await?;
            }
            (user, true)
        }
    };
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let token = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(random));
    let prefix: String = token.chars().take(PREFIX.len() + 6).collect();
    let inserted = store::api_tokens::insert(
        &mut tx,
        NewToken {
            id,
            name,
            user,
            service,
            hash: &hash(app, &token),
            prefix: &prefix,
            read_only: spec.read_only,
            departments: &departments,
            created_by: spec.created_by,
        },
    )
    .await;
    match inserted {
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("api_tokens_live_name") => {
            return Err(FieldErrors::one("name", "error-token-name-taken"));
        }
        other => other?,
    }
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: spec.created_by,
            kind: "token.created",
            ticket: None,
            subject: Some(id.0),
            data: serde_json::json!({ "name": name, "service": service, "read_only": spec.read_only }),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    let row = store::api_tokens::by_hash(&app.db, &hash(app, &token))
        .await?
        .ok_or(Error::NotFound)?;
    Ok((token, row))
}

/// Every live token.
pub async fn list(app: &AppState) -> Result<Vec<Listed>> {
    Ok(store::api_tokens::list(&app.db).await?)
}

/// Revokes a token at once; a service identity is disabled with it (its
/// messages keep their author).
pub async fn revoke(app: &AppState, name: &str, by: Option<UserId>) -> Result<()> {
    let mut tx = app.db.begin().await?;
    let t = store::api_tokens::revoke(&mut *tx, name.trim())
        .await?
        .ok_or(Error::NotFound)?;
    if t.service {
        store::users::set_disabled(&mut *tx, t.user_id, true).await?;
    }
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: by,
            kind: "token.revoked",
            ticket: None,
            subject: Some(t.id.0),
            data: serde_json::json!({ "name": t.name }),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Remembers when each token's use was last written, so a busy token
/// costs one write a minute, not one per request.
#[derive(Debug, Default)]
pub struct Uses(Mutex<HashMap<TokenId, Instant>>);

impl Uses {
    fn due(&self, token: TokenId) -> bool {
        let Ok(mut seen) = self.0.lock() else {
            return false;
        };
        let now = Instant::now();
        match seen.get(&token) {
            Some(at) if now.duration_since(*at) < TOUCH_EVERY => false,
            _ => {
                seen.insert(token, now);
                true
            }
        }
    }
}

/// The token presented and the user it acts as, narrowed. None: no such
/// live token (or its user is disabled).
pub async fn authenticate(app: &AppState, presented: &str) -> Result<Option<(TokenRow, UserRow)>> {
    if !presented.starts_with(PREFIX) || presented.len() > 200 {
        return Ok(None);
    }
    let found = store::api_tokens::authenticate(&app.db, &hash(app, presented)).await?;
    let Some((token, mut user)) = found else {
        return Ok(None);
    };
    if !user.role.is_staff() {
        return Ok(None);
    }
    user.narrowing = Some(Narrowing {
        token: token.id,
        departments: !token.all_departments,
        read_only: token.read_only,
    });
    if app.token_uses.due(token.id) {
        store::api_tokens::touch(&app.db, token.id).await?;
    }
    Ok(Some((token, user)))
}

type Keyed = governor::RateLimiter<
    TokenId,
    governor::state::keyed::DefaultKeyedStateStore<TokenId>,
    governor::clock::DefaultClock,
>;

/// Per-token request budget on this node (GCRA): `requests_per_minute`
/// sustained, `burst` at once.
pub struct Limits {
    keyed: Keyed,
    clock: governor::clock::DefaultClock,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Limits")
    }
}

impl Limits {
    pub fn new(config: &crate::config::ApiConfig) -> Limits {
        let per_minute = std::num::NonZeroU32::new(config.requests_per_minute)
            .unwrap_or(std::num::NonZeroU32::MIN);
        let burst = std::num::NonZeroU32::new(config.burst).unwrap_or(std::num::NonZeroU32::MIN);
        let quota = governor::Quota::per_minute(per_minute).allow_burst(burst);
        Limits {
            keyed: governor::RateLimiter::keyed(quota),
            clock: governor::clock::DefaultClock::default(),
        }
    }

    /// Ok, or the seconds to wait before the next request is allowed.
    pub fn check(&self, token: TokenId) -> std::result::Result<(), u64> {
        use governor::clock::Clock;
        match self.keyed.check_key(&token) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
            }
        }
    }
}
