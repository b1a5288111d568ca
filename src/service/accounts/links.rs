//! Signed links that open one ticket without a password. They expire, and
//! carry the user's session epoch, so a password change or "sign out
//! everywhere" revokes every link issued before. A link never changes
//! anything by itself: it only opens a page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;

use crate::domain::ids::{TicketNumber, UserId};
use crate::secrets::Key;

const SIG_BYTES: usize = 16;

/// What a valid link grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketLink {
    pub user: UserId,
    pub ticket: TicketNumber,
    pub epoch: i32,
    pub expires: i64,
}

/// The token for a link to `ticket` for `user`.
pub fn issue(key: &Key, link: TicketLink) -> String {
    issue_with(key, b"ticket-link", link)
}

/// The token of an account-claim link (`ticket` is unused): a different
/// purpose, so a ticket link can never serve as a claim link.
pub fn issue_claim(key: &Key, link: TicketLink) -> String {
    issue_with(key, b"claim-link", link)
}

/// The token of an address-confirmation link (`ticket` is unused).
pub fn issue_verify(key: &Key, link: TicketLink) -> String {
    issue_with(key, b"verify-email", link)
}

/// Reads an address-confirmation token.
pub fn read_verify(key: &Key, token: &str, now: OffsetDateTime) -> Option<TicketLink> {
    read_with(key, b"verify-email", token, now)
}

/// Reads an account-claim token.
pub fn read_claim(key: &Key, token: &str, now: OffsetDateTime) -> Option<TicketLink> {
    read_with(key, b"claim-link", token, now)
}

fn issue_with(key: &Key, purpose: &[u8], link: TicketLink) -> String {
    let mut payload = Vec::with_capacity(36 + SIG_BYTES);
    payload.extend_from_slice(link.user.0.as_bytes());
    payload.extend_from_slice(&link.ticket.0.to_be_bytes());
    payload.extend_from_slice(&link.epoch.to_be_bytes());
    payload.extend_from_slice(&link.expires.to_be_bytes());
    let sig = key.sign(&[purpose, &payload]);
    payload.extend_from_slice(&sig[..SIG_BYTES]);
    URL_SAFE_NO_PAD.encode(payload)
}

/// The link's grant if the token is ours and not expired. The epoch is
/// checked by the caller against the user's current one.
pub fn read(key: &Key, token: &str, now: OffsetDateTime) -> Option<TicketLink> {
    read_with(key, b"ticket-link", token, now)
}

fn read_with(key: &Key, purpose: &[u8], token: &str, now: OffsetDateTime) -> Option<TicketLink> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    if bytes.len() != 36 + SIG_BYTES {
        return None;
    }
    let (payload, sig) = bytes.split_at(36);
    let full = key.sign(&[purpose, payload]);
    if !constant_eq(&full[..SIG_BYTES], sig) {
        return None;
    }
    let link = TicketLink {
        user: UserId(uuid::Uuid::from_slice(&payload[..16]).ok()?),
        ticket: TicketNumber(i64::from_be_bytes(payload[16..24].try_into().ok()?)),
        epoch: i32::from_be_bytes(payload[24..28].try_into().ok()?),
        expires: i64::from_be_bytes(payload[28..36].try_into().ok()?),
    };
    (link.expires > now.unix_timestamp()).then_some(link)
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The user and ticket a link token opens, if it is valid now: signed by
/// us, not expired, issued since the user's last password change or
/// "sign out everywhere", and the account not disabled.
pub async fn holder(
    db: &sqlx::PgPool,
    key: &Key,
    token: &str,
) -> crate::service::Result<Option<(crate::store::users::UserRow, TicketNumber)>> {
    let Some(link) = read(key, token, OffsetDateTime::now_utc()) else {
        return Ok(None);
    };
    let user = crate::store::users::find(db, link.user).await?;
    Ok(user
        .filter(|u| u.session_epoch == link.epoch && u.disabled_at.is_none())
        .map(|u| (u, link.ticket)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_verify_expire_and_resist_tampering() {
        let key = Key::for_tests(7);
        let now = OffsetDateTime::now_utc();
        let link = TicketLink {
            user: UserId::new(),
            ticket: TicketNumber(1001),
            epoch: 3,
            expires: now.unix_timestamp() + 60,
        };
        let token = issue(&key, link);
        assert_eq!(read(&key, &token, now), Some(link));
        assert_eq!(read(&key, &token, now + time::Duration::seconds(61)), None);
        assert_eq!(read(&Key::for_tests(8), &token, now), None);
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).expect("b64");
        bytes[20] ^= 1;
        assert_eq!(read(&key, &URL_SAFE_NO_PAD.encode(bytes), now), None);
        assert_eq!(read(&key, "garbage", now), None);
        assert_eq!(
            read_claim(&key, &token, now),
            None,
            "a ticket link is no claim link"
        );
    }
}
