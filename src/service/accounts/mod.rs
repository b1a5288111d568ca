//! Accounts: registration, sign-in with throttling, password changes,
//! staff creation and the first administrator.

use std::net::IpAddr;

use serde_json::json;
use sqlx::PgPool;

pub mod hasher;
pub mod links;
pub mod passwords;
pub mod sessions;
pub mod staff;

use crate::config::AccountsConfig;
use crate::domain::access::AccessLevel;
use crate::domain::email;
use crate::domain::ids::{DepartmentId, SessionId, UserId};
use crate::domain::users::Role;
use crate::service::{Error, FieldErrors, Result};
use crate::store;
use crate::store::audit::AuditEntry;
use crate::store::users::{NewUser, UserRow};
use hasher::Hasher;

const MAX_PASSWORD: usize = 1024;
const MAX_NAME: usize = 200;

/// A customer signing up in the portal.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub email: String,
    pub name: String,
    pub password: String,
    pub locale: Option<String>,
    /// The zone the browser reported; ignored unless it is a known one.
    pub time_zone: Option<String>,
}

fn check_password(errors: &mut FieldErrors, field: &'static str, password: &str, min: usize) {
    let len = password.chars().count();
    if len < min {
        errors.add_n(field, "error-password-too-short", min as i64);
    } else if len > MAX_PASSWORD {
        errors.add(field, "error-password-too-long");
    }
}

fn check_name(errors: &mut FieldErrors, name: &str) {
    if name.trim().is_empty() {
        errors.add("name", "error-name-required");
    } else if name.chars().count() > MAX_NAME {
        errors.add("name", "error-name-too-long");
    }
}

/// Creates a customer account with a password, and mails a link that
/// confirms the address: until it is followed, the account does not see
/// tickets that mail from that address opened or answered.
pub async fn register(
    app: &crate::state::AppState,
    client: IpAddr,
    input: Registration,
) -> Result<UserId> {
    let (db, config, hasher) = (&app.db, &app.config.accounts, &app.hasher);
    let mut errors = FieldErrors::default();
    let address = email::normalize(&input.email);
    if address.is_none() {
        errors.add("email", "error-email-invalid");
    }
    check_name(&mut errors, &input.name);
    check_password(
        &mut errors,
        "password",
        &input.password,
        config.min_password_length,
    );
    errors.into_result()?;
    let address = address.unwrap_or_default();
    // Every registration mails a confirmation: past the client's budget of
    // account mails, no more registrations from there.
    let mut budget = db.begin().await?;
    if !account_mail_allowed(&mut budget, app, &address, Some(client), "verify").await? {
        return Err(Error::Throttled { retry_after: 3600 });
    }
    budget.commit().await?;

    let hash = passwords::hash(hasher, Some(client), input.password).await?;
    let id = UserId::new();
    let mut tx = db.begin().await?;
    let inserted = store::users::insert(
        &mut tx,
        NewUser {
            id,
            role: Role::Customer,
            name: input.name.trim(),
            email: &address,
            password_hash: Some(&hash),
            must_change_password: false,
            locale: input.locale.as_deref(),
        },
    )
    .await;
    if let Err(err) = inserted {
        return Err(match store::violated_constraint(&err) {
            Some("user_emails_email_key") => FieldErrors::one("email", "error-email-taken"),
            _ => err.into(),
        });
    }
    // Times read right from the first page: the browser's own zone.
    let zone = input
        .time_zone
        .as_deref()
        .map(str::trim)
        .filter(|z| z.len() <= 64 && jiff::tz::TimeZone::get(z).is_ok());
    if zone.is_some() {
        store::users::set_preferences(
            &mut *tx,
            id,
            input.name.trim(),
            input.locale.as_deref(),
            zone,
        )
        .await?;
    }
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: Some(id),
            kind: "account.registered",
            ticket: None,
            subject: Some(id.0),
            data: json!({ "email": address }),
            ip: None,
        },
    )
    .await?;
    let user = store::users::find(&mut *tx, id)
        .await?
        .ok_or(Error::NotFound)?;
    crate::service::mail::notifications::queue_verify(&mut tx, app, &user).await?;
    tx.commit().await?;
    Ok(id)
}

/// Mails the confirmation link again (the account's own request), within
/// the address's budget of account mails.
pub async fn resend_verification(
    app: &crate::state::AppState,
    user: &UserRow,
    client: IpAddr,
) -> Result<()> {
    if user.email_verified {
        return Ok(());
    }
    let mut tx = app.db.begin().await?;
    if account_mail_allowed(&mut tx, app, &user.email, Some(client), "verify").await? {
        crate::service::mail::notifications::queue_verify(&mut tx, app, user).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The account a confirmation link is for, if the link is still valid.
pub async fn verifiable(app: &crate::state::AppState, token: &str) -> Result<UserRow> {
    let now = time::OffsetDateTime::now_utc();
    let link = links::read_verify(&app.secrets.session_key, token, now).ok_or(Error::NotFound)?;
    let user = store::users::find(&app.db, link.user)
        .await?
        .ok_or(Error::NotFound)?;
    if user.session_epoch == link.epoch && user.disabled_at.is_none() {
        Ok(user)
    } else {
        Err(Error::NotFound)
    }
}

/// Confirms the address of a confirmation link.
pub async fn verify(app: &crate::state::AppState, token: &str) -> Result<UserRow> {
    let user = verifiable(app, token).await?;
    let mut tx = app.db.begin().await?;
    store::users::verify_email(&mut *tx, user.id).await?;
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: Some(user.id),
            kind: "account.address_confirmed",
            ticket: None,
            subject: Some(user.id.0),
            data: json!({ "email": user.email }),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// Checks an address and password. Attempts are counted per (account,
/// address) and per address, each reserved before its password is checked
/// (so parallel guesses cannot outrun the count); past either limit every
/// attempt is refused with `Throttled` until the window has passed. There
/// is no per-account lockout, which anyone could trigger against anyone.
/// Unknown addresses cost a verification like known ones.
pub async fn authenticate(
    db: &PgPool,
    config: &AccountsConfig,
    hasher: &Hasher,
    email_input: &str,
    password: &str,
    ip: IpAddr,
) -> Result<UserRow> {
    let account =
        email::normalize(email_input).unwrap_or_else(|| email_input.trim().to_lowercase());
    let limits = &config.throttle;
    let (for_account, for_address) =
        store::login_attempts::reserve(db, &account, ip, limits.window_minutes).await?;
    if for_account > i64::from(limits.per_account_and_address)
        || for_address > i64::from(limits.per_address)
    {
        metrics::counter!("bilet_login_failures_total", "reason" => "throttled").increment(1);
        return Err(Error::Throttled {
            retry_after: u64::from(limits.window_minutes) * 60,
        });
    }
    let user = store::users::find_by_email(db, &account).await?;
    let ok = match user.as_ref().and_then(|u| u.password_hash.clone()) {
        Some(hash) => passwords::verify(hasher, Some(ip), password.to_string(), hash).await?,
        None => {
            passwords::verify_unknown(hasher, Some(ip), password.to_string()).await?;
            false
        }
    };
    match user {
        Some(user) if ok && user.disabled_at.is_none() => {
            store::login_attempts::succeeded(db, &account, ip).await?;
            Ok(user)
        }
        Some(_) if ok => Err(FieldErrors::one("", "error-account-disabled")),
        _ => {
            metrics::counter!("bilet_login_failures_total", "reason" => "wrong").increment(1);
            Err(FieldErrors::one("", "error-login-failed"))
        }
    }
}

/// Changes the password after checking the current one; every other
/// session of the user ends and earlier signed links stop working.
#[allow(clippy::too_many_arguments)]
pub async fn change_password(
    db: &PgPool,
    config: &AccountsConfig,
    hasher: &Hasher,
    client: IpAddr,
    user: UserId,
    keep_session: SessionId,
    current: &str,
    new: &str,
) -> Result<()> {
    let row = store::users::find(db, user).await?.ok_or(Error::NotFound)?;
    let mut errors = FieldErrors::default();
    let current_ok = match row.password_hash {
        Some(hash) => passwords::verify(hasher, Some(client), current.to_string(), hash).await?,
        None => false,
    };
    if !current_ok {
        errors.add("current", "error-current-password-wrong");
    }
    check_password(&mut errors, "new", new, config.min_password_length);
    if errors.is_empty() && current == new {
        errors.add("new", "error-password-unchanged");
    }
    errors.into_result()?;
    let hash = passwords::hash(hasher, Some(client), new.to_string()).await?;
    let mut tx = db.begin().await?;
    store::users::set_password(&mut *tx, user, &hash, false).await?;
    store::sessions::delete_all_but(&mut *tx, user, Some(keep_session)).await?;
    crate::events::publish(
        &mut *tx,
        &crate::events::Event::SessionEnded {
            user,
            session: None,
        },
    )
    .await?;
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: Some(user),
            kind: "account.password_changed",
            ticket: None,
            subject: Some(user.0),
            data: json!({}),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of the user, this one included, and revokes links.
/// Live streams of those sessions end within seconds.
pub async fn sign_out_everywhere(db: &PgPool, user: UserId) -> Result<()> {
    let mut tx = db.begin().await?;
    store::sessions::delete_all_but(&mut *tx, user, None).await?;
    store::users::bump_epoch(&mut *tx, user).await?;
    crate::events::publish(
        &mut *tx,
        &crate::events::Event::SessionEnded {
            user,
            session: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The customer account of `address`, created without a password (they
/// can claim the address later) when it is new.
pub async fn customer_for_address(
    tx: &mut sqlx::PgConnection,
    address: &str,
    name: Option<&str>,
) -> Result<UserRow> {
    if let Some(u) = store::users::find_by_email(&mut *tx, address).await? {
        return Ok(u);
    }
    let id = UserId::new();
    let fallback = address.split('@').next().unwrap_or(address);
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(fallback);
    let name: String = name.chars().take(200).collect();
    store::users::insert_if_new(
        tx,
        store::users::NewUser {
            id,
            role: Role::Customer,
            name: &name,
            email: address,
            password_hash: None,
            must_change_password: false,
            locale: None,
        },
    )
    .await?;
    // Ours, or the one a racing intake made first.
    store::users::find_by_email(&mut *tx, address)
        .await?
        .ok_or(Error::NotFound)
}

/// The zone a browser reported for a person who has none yet (a new
/// account's first page); an unknown name is ignored.
pub async fn adopt_browser_zone(db: &PgPool, user: UserId, zone: &str) -> Result<()> {
    let zone = zone.trim();
    if zone.is_empty() || zone.len() > 64 || jiff::tz::TimeZone::get(zone).is_err() {
        return Ok(());
    }
    store::users::adopt_time_zone(db, user, zone).await?;
    Ok(())
}

/// Saves name, language and time zone.
pub async fn update_preferences(
    db: &PgPool,
    user: UserId,
    name: &str,
    locale: Option<&str>,
    time_zone: Option<&str>,
) -> Result<()> {
    let mut errors = FieldErrors::default();
    check_name(&mut errors, name);
    if locale.is_some_and(|l| !crate::i18n::is_available(l)) {
        errors.add("locale", "error-locale-unknown");
    }
    if time_zone.is_some_and(|tz| jiff::tz::TimeZone::get(tz).is_err()) {
        errors.add("time_zone", "error-time-zone-unknown");
    }
    errors.into_result()?;
    store::users::set_preferences(db, user, name.trim(), locale, time_zone).await?;
    Ok(())
}

/// A staff or customer account made by an admin or the CLI.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Departments to grant (agents), by slug.
    pub departments: Vec<(String, AccessLevel)>,
}

/// Creates the account with a one-time password that must be changed at the
/// first sign-in. Returns the id and that password.
pub async fn create_account(
    db: &PgPool,
    hasher: &Hasher,
    actor: Option<UserId>,
    new: NewAccount,
) -> Result<(UserId, String)> {
    let mut errors = FieldErrors::default();
    let address = email::normalize(&new.email);
    if address.is_none() {
        errors.add("email", "error-email-invalid");
    }
    check_name(&mut errors, &new.name);
    let mut grants: Vec<(DepartmentId, AccessLevel)> = Vec::new();
    for (slug, level) in &new.departments {
        match store::departments::find_by_slug(db, slug).await? {
            Some(d) => grants.push((d.id, *level)),
            None => errors.add("departments", "error-department-unknown"),
        }
    }
    errors.into_result()?;
    let address = address.unwrap_or_default();
    let password = passwords::generate()?;
    let hash = passwords::hash(hasher, None, password.clone()).await?;
    let id = UserId::new();
    let mut tx = db.begin().await?;
    let inserted = store::users::insert(
        &mut tx,
        NewUser {
            id,
            role: new.role,
            name: new.name.trim(),
            email: &address,
            password_hash: Some(&hash),
            must_change_password: true,
            locale: None,
        },
    )
    .await;
    if let Err(err) = inserted {
        return Err(match store::violated_constraint(&err) {
            Some("user_emails_email_key") => FieldErrors::one("email", "error-email-taken"),
            _ => err.into(),
        });
    }
    for (department, level) in grants {
        store::users::grant_department(&mut *tx, id, department, level).await?;
    }
    // The admin who typed the address vouches for it.
    store::users::verify_email(&mut *tx, id).await?;
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor,
            kind: "account.created",
            ticket: None,
            subject: Some(id.0),
            data: json!({ "email": address, "role": new.role.as_str() }),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((id, password))
}

/// Creates the first administrator when there is none. Returns its address
/// and one-time password, to be shown once.
pub async fn ensure_first_admin(
    db: &PgPool,
    hasher: &Hasher,
    config: &AccountsConfig,
) -> Result<Option<(String, String)>> {
    if store::users::any_admin(db).await? {
        return Ok(None);
    }
    let email = email::normalize(&config.first_admin_email).unwrap_or_default();
    let (_, password) = create_account(
        db,
        hasher,
        None,
        NewAccount {
            email: email.clone(),
            name: "Administrator".into(),
            role: Role::Admin,
            departments: vec![],
        },
    )
    .await?;
    Ok(Some((email, password)))
}

/// Remembers the language picked in the header's switcher.
pub async fn set_locale(db: &PgPool, user: UserId, locale: &crate::i18n::Locale) -> Result<()> {
    store::users::set_locale(db, user, &locale.code()).await?;
    Ok(())
}

/// The user's live sessions, newest first.
pub async fn sessions(db: &PgPool, user: UserId) -> Result<Vec<store::sessions::SessionRow>> {
    Ok(store::sessions::list_for_user(db, user).await?)
}

/// Ends one of the user's own sessions; `NotFound` for anyone else's.
pub async fn revoke_session(db: &PgPool, user: UserId, session: SessionId) -> Result<()> {
    if store::sessions::delete_for_user(db, user, session).await? {
        let ended = crate::events::Event::SessionEnded {
            user,
            session: Some(session),
        };
        crate::events::publish(db, &ended).await?;
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// Forgets expired sessions and day-old failed sign-ins.
pub async fn purge_expired(db: &PgPool) -> Result<()> {
    store::sessions::purge_expired(db).await?;
    store::login_attempts::purge(db).await?;
    store::account_mails::purge(db).await?;
    Ok(())
}

/// Whether the first administrator still has to replace their one-time password.
pub async fn first_admin_pending(db: &PgPool, config: &AccountsConfig) -> Result<bool> {
    let email = email::normalize(&config.first_admin_email).unwrap_or_default();
    Ok(store::users::find_by_email(db, &email)
        .await?
        .is_some_and(|u| u.must_change_password))
}

/// Someone asks to claim the account of an address that has only written
/// mail. A link is mailed only when such an account exists; the answer is
/// the same either way, so nobody learns who writes to the helpdesk.
pub async fn request_claim(
    app: &crate::state::AppState,
    email_input: &str,
    client: IpAddr,
) -> Result<()> {
    let Some(address) = email::normalize(email_input) else {
        return Err(FieldErrors::one("email", "error-email-invalid"));
    };
    // The same answer, as fast, whether or not the address wrote in: the
    // look-up and the mail happen after the response.
    let app = app.clone();
    tokio::spawn(async move {
        if let Err(err) = send_claim(&app, &address, client).await {
            tracing::error!(error = ?err, "queueing a claim mail");
        }
    });
    Ok(())
}

/// Queues the claim link for an address that wrote in, within its budget.
async fn send_claim(app: &crate::state::AppState, address: &str, client: IpAddr) -> Result<()> {
    let Some(user) = store::users::find_by_email(&app.db, address).await? else {
        return Ok(());
    };
    if user.role != Role::Customer || user.password_hash.is_some() || user.disabled_at.is_some() {
        return Ok(());
    }
    let mut tx = app.db.begin().await?;
    if account_mail_allowed(&mut tx, app, address, Some(client), "claim").await? {
        crate::service::mail::notifications::queue_claim(&mut tx, app, &user).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Counts one account mail to `address` caused by `client` if both are
/// within their hourly budget.
async fn account_mail_allowed(
    tx: &mut sqlx::PgConnection,
    app: &crate::state::AppState,
    address: &str,
    client: Option<IpAddr>,
    kind: &str,
) -> Result<bool> {
    let limits = &app.config.accounts;
    Ok(store::account_mails::reserve(
        &mut *tx,
        address,
        client,
        kind,
        limits.mails_per_address_per_hour,
        limits.mails_per_client_per_hour,
    )
    .await?)
}

/// The account a claim token is for, if it is still valid and unclaimed.
pub async fn claimable(app: &crate::state::AppState, token: &str) -> Result<UserRow> {
    let link = links::read_claim(
        &app.secrets.session_key,
        token,
        time::OffsetDateTime::now_utc(),
    )
    .ok_or(Error::NotFound)?;
    let user = store::users::find(&app.db, link.user)
        .await?
        .ok_or(Error::NotFound)?;
    let valid = user.session_epoch == link.epoch
        && user.password_hash.is_none()
        && user.disabled_at.is_none();
    if valid {
        Ok(user)
    } else {
        Err(Error::NotFound)
    }
}

/// Sets the first password of a claimed account.
pub async fn claim(
    app: &crate::state::AppState,
    token: &str,
    name: &str,
    password: &str,
) -> Result<UserRow> {
    let user = claimable(app, token).await?;
    let mut errors = FieldErrors::default();
    check_name(&mut errors, name);
    check_password(
        &mut errors,
        "password",
        password,
        app.config.accounts.min_password_length,
    );
    errors.into_result()?;
    let hash = passwords::hash(&app.hasher, None, password.to_string()).await?;
    let mut tx = app.db.begin().await?;
    store::users::set_password(&mut *tx, user.id, &hash, false).await?;
    // The claim link went to the address: that proves it.
    store::users::verify_email(&mut *tx, user.id).await?;
    store::users::set_preferences(
        &mut *tx,
        user.id,
        name.trim(),
        user.locale.as_deref(),
        user.time_zone.as_deref(),
    )
    .await?;
    store::audit::record(
        &mut *tx,
        AuditEntry {
            actor: Some(user.id),
            kind: "account.claimed",
            ticket: None,
            subject: Some(user.id.0),
            data: json!({}),
            ip: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// Remembers whether an agent wants a sound for new customer messages.
pub async fn set_sound(db: &PgPool, user: UserId, on: bool) -> Result<()> {
    store::users::set_preference(db, user, "sound", serde_json::Value::Bool(on)).await?;
    Ok(())
}
