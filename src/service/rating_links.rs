//! The star links of the "your ticket is resolved" mail: signed tokens
//! that let the requester rate that one ticket without signing in, for 30
//! days. Like the ticket links (`accounts::links`) they carry the user's
//! session epoch, so a password change or "sign out everywhere" revokes
//! them; their own purpose keeps them from serving as any other link. A
//! token only opens the rating page; the rating is recorded by the page's
//! POST through the write path (`tickets::portal::rate`). No SQL here.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;

use crate::domain::ids::{TicketNumber, UserId};
use crate::domain::status::Status;
use crate::secrets::Key;
use crate::service::{Result, tickets};
use crate::state::AppState;
use crate::store;
use crate::store::users::UserRow;

/// How long a rating link works.
pub const VALID_DAYS: i64 = 30;

const PURPOSE: &[u8] = b"rating-link";
const PAYLOAD: usize = 36;
const SIG_BYTES: usize = 16;

/// What a rating token grants: rating `ticket` as `user`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingLink {
    pub user: UserId,
    pub ticket: TicketNumber,
    pub epoch: i32,
    /// Unix seconds.
    pub expires: i64,
}

/// The token of `link`.
pub fn issue(key: &Key, link: RatingLink) -> String {
    let mut payload = Vec::with_capacity(PAYLOAD + SIG_BYTES);
    payload.extend_from_slice(link.user.0.as_bytes());
    payload.extend_from_slice(&link.ticket.0.to_be_bytes());
    payload.extend_from_slice(&link.epoch.to_be_bytes());
    payload.extend_from_slice(&link.expires.to_be_bytes());
    let sig = key.sign(&[PURPOSE, &payload]);
    payload.extend_from_slice(&sig[..SIG_BYTES]);
    URL_SAFE_NO_PAD.encode(payload)
}

/// How a token reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    Valid(RatingLink),
    /// Ours, but past its time.
    Expired,
    /// Not ours, altered, or not a rating token.
    Invalid,
}

/// Reads a token at `now` (the epoch is checked against the user later).
pub fn read(key: &Key, token: &str, now: OffsetDateTime) -> Read {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(token) else {
        return Read::Invalid;
    };
    if bytes.len() != PAYLOAD + SIG_BYTES {
        return Read::Invalid;
    }
    let (payload, sig) = bytes.split_at(PAYLOAD);
    let full = key.sign(&[PURPOSE, payload]);
    // Constant time: a forger learns nothing from how long a refusal takes.
    let differs = full[..SIG_BYTES]
        .iter()
        .zip(sig)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    if differs != 0 {
        return Read::Invalid;
    }
    let be8 = |from: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&payload[from..from + 8]);
        b
    };
    let mut epoch = [0u8; 4];
    epoch.copy_from_slice(&payload[24..28]);
    let Ok(user) = uuid::Uuid::from_slice(&payload[..16]) else {
        return Read::Invalid;
    };
    let link = RatingLink {
        user: UserId(user),
        ticket: TicketNumber(i64::from_be_bytes(be8(16))),
        epoch: i32::from_be_bytes(epoch),
        expires: i64::from_be_bytes(be8(28)),
    };
    match link.expires > now.unix_timestamp() {
        true => Read::Valid(link),
        false => Read::Expired,
    }
}

/// The token for `user` to rate ticket `number`, valid for 30 days.
pub fn token_for(app: &AppState, user: &UserRow, number: TicketNumber) -> String {
    let expires = OffsetDateTime::now_utc() + time::Duration::days(VALID_DAYS);
    issue(
        &app.secrets.session_key,
        RatingLink {
            user: user.id,
            ticket: number,
            epoch: user.session_epoch,
            expires: expires.unix_timestamp(),
        },
    )
}

/// The address of the page rating with `token` at `stars` (1 to 5).
pub fn url(app: &AppState, token: &str, stars: i16) -> String {
    format!("{}rate/{token}?stars={stars}", app.config.http.public_url)
}

/// The ticket a valid token rates, as its page shows it.
#[derive(Debug, Clone)]
pub struct Rating {
    pub user: UserRow,
    pub number: TicketNumber,
    pub subject: String,
    /// The rating given so far (stars, comment), if any.
    pub given: Option<(i16, String)>,
    /// Whether the rating can still be given or changed.
    pub open: bool,
}

/// What a token opens.
#[derive(Debug, Clone)]
pub enum Opened {
    Rating(Box<Rating>),
    /// The link is too old (410).
    Expired,
    /// The link is not ours, altered, revoked, or its ticket is gone (404).
    Invalid,
}

/// The user and ticket number of a valid token whose user still holds it.
async fn holder(
    app: &AppState,
    token: &str,
) -> Result<std::result::Result<(UserRow, TicketNumber), Opened>> {
    let link = match read(&app.secrets.session_key, token, OffsetDateTime::now_utc()) {
        Read::Valid(link) => link,
        Read::Expired => return Ok(Err(Opened::Expired)),
        Read::Invalid => return Ok(Err(Opened::Invalid)),
    };
    let user = store::users::find(&app.db, link.user)
        .await?
        .filter(|u| u.session_epoch == link.epoch && u.disabled_at.is_none());
    Ok(match user {
        Some(user) => Ok((user, link.ticket)),
        None => Err(Opened::Invalid),
    })
}

/// What the rating page of `token` shows. Reads only: mail scanners open
/// every link.
pub async fn open(app: &AppState, token: &str) -> Result<Opened> {
    let (user, number) = match holder(app, token).await? {
        Ok(found) => found,
        Err(refused) => return Ok(refused),
    };
    let viewer = user.viewer();
    let ticket = match tickets::view::find(
        &app.db,
        &viewer,
        number,
        crate::domain::access::AccessLevel::Read,
    )
    .await
    {
        Ok(t) => t,
        Err(crate::service::Error::NotFound) => return Ok(Opened::Invalid),
        Err(other) => return Err(other),
    };
    let rated = store::ratings::for_ticket(&app.db, ticket.id)
        .await?
        .into_iter()
        .find(|r| r.message_id.is_none());
    let window = time::Duration::hours(i64::from(app.config.tickets.rating_change_hours));
    let now = OffsetDateTime::now_utc();
    let open = matches!(ticket.status, Status::Resolved | Status::Closed)
        && ticket.merged_into_id.is_none()
        && rated.as_ref().is_none_or(|r| r.created_at > now - window);
    Ok(Opened::Rating(Box::new(Rating {
        user,
        number,
        subject: ticket.subject,
        given: rated.map(|r| (r.stars, r.comment)),
        open,
    })))
}

/// Records the rating of `token`'s ticket through the write path, as its
/// requester: once, changeable within the configured hours. Err(Opened)
/// when the token does not (or no longer) hold.
pub async fn rate(
    app: &AppState,
    token: &str,
    stars: i16,
    comment: &str,
) -> Result<std::result::Result<TicketNumber, Opened>> {
    let (user, number) = match holder(app, token).await? {
        Ok(found) => found,
        Err(refused) => return Ok(Err(refused)),
    };
    match tickets::portal::rate(app, &user, number, None, stars, comment).await {
        Ok(()) => Ok(Ok(number)),
        Err(crate::service::Error::NotFound) => Ok(Err(Opened::Invalid)),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rating_tokens_verify_expire_and_serve_nothing_else() {
        let key = Key::for_tests(5);
        let now = OffsetDateTime::now_utc();
        let link = RatingLink {
            user: UserId::new(),
            ticket: TicketNumber(1042),
            epoch: 2,
            expires: now.unix_timestamp() + 60,
        };
        let token = issue(&key, link);
        assert_eq!(read(&key, &token, now), Read::Valid(link));
        let later = now + time::Duration::seconds(61);
        assert_eq!(read(&key, &token, later), Read::Expired);
        assert_eq!(read(&Key::for_tests(6), &token, now), Read::Invalid);
        // Another ticket's number in the payload breaks the signature.
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).expect("b64");
        bytes[23] ^= 1;
        assert_eq!(
            read(&key, &URL_SAFE_NO_PAD.encode(bytes), now),
            Read::Invalid
        );
        assert_eq!(read(&key, "garbage", now), Read::Invalid);
        // A ticket link of the same grant is no rating link.
        let ticket_link = crate::service::accounts::links::issue(
            &key,
            crate::service::accounts::links::TicketLink {
                user: link.user,
                ticket: link.ticket,
                epoch: link.epoch,
                expires: link.expires,
            },
        );
        assert_eq!(read(&key, &ticket_link, now), Read::Invalid);
    }
}
