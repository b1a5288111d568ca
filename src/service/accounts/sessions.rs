//! Sign-in sessions: random tokens for cookies, stored hashed.

use std::net::IpAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::domain::ids::{SessionId, UserId};
use crate::service::Result;
use crate::store;

/// A fresh random token (256 bits, URL-safe).
pub fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Starts a session for `user`; returns the cookie token.
pub async fn start(
    db: &PgPool,
    user: UserId,
    days: u32,
    ip: Option<IpAddr>,
    user_agent: Option<&str>,
) -> Result<String> {
    let token = random_token()?;
    let agent = user_agent.map(|ua| ua.chars().take(300).collect::<String>());
    store::sessions::insert(
        db,
        SessionId::new(),
        &token_hash(&token),
        user,
        days,
        ip,
        agent.as_deref(),
    )
    .await?;
    Ok(token)
}

/// The live session behind a cookie token, with its user.
pub async fn resume(
    db: &PgPool,
    token: &str,
    days: u32,
) -> Result<Option<store::sessions::LiveSession>> {
    Ok(store::sessions::resume(db, &token_hash(token), days).await?)
}

/// Ends the session behind a cookie token, if it is live (signing in as
/// someone else in the same browser).
pub async fn end_token(db: &PgPool, token: &str) -> Result<()> {
    if let Some(live) = store::sessions::resume(db, &token_hash(token), 1).await? {
        end(db, live.user.id, live.session_id).await?;
    }
    Ok(())
}

/// Signs out of one session; its live streams end.
pub async fn end(db: &PgPool, user: UserId, id: SessionId) -> Result<()> {
    let mut tx = db.begin().await?;
    store::sessions::delete(&mut *tx, id).await?;
    let ended = crate::events::Event::SessionEnded {
        user,
        session: Some(id),
    };
    crate::events::publish(&mut *tx, &ended).await?;
    tx.commit().await?;
    Ok(())
}

/// The grants of a live session's staff user; None once the session ended,
/// the account was disabled, or it is a customer's.
pub async fn grants(
    db: &PgPool,
    session: SessionId,
) -> Result<Option<crate::domain::access::Grants>> {
    Ok(store::access::session_grants(db, session).await?)
}
