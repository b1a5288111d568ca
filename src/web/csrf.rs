//! CSRF tokens, bound to the server's side of the visit: for a signed-in
//! user to their session (so the token changes at every sign-in and dies
//! with the session), before sign-in to a short-lived pre-session that the
//! server itself issued and signed (a cookie value the client chose is
//! refused). Tokens travel in a form field or a header, never in a URL: a
//! multipart form carries it as its first field, read before any file part,
//! so a large upload without a valid token is refused before it is read.

use axum::body::{Body, Bytes};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt;

use crate::domain::ids::SessionId;
use crate::secrets::Key;

/// How long a pre-session (the sign-in and registration forms) lasts.
const PRE_SESSION_SECONDS: i64 = 12 * 3600;
/// How much of a multipart body is read to find its first field.
const PEEK_LIMIT: usize = 16 * 1024;

/// What a token is bound to.
#[derive(Debug, Clone, Copy)]
pub enum Binding<'a> {
    Session(SessionId),
    /// A pre-session cookie value issued by [`issue_pre_session`].
    PreSession(&'a str),
}

/// A fresh pre-session cookie value: random, stamped and signed.
pub fn issue_pre_session(key: &Key, now: i64) -> anyhow::Result<String> {
    let mut payload = [0u8; 24];
    getrandom::fill(&mut payload[..16]).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    payload[16..].copy_from_slice(&now.to_be_bytes());
    let sig = key.sign(&[b"pre-session", &payload]);
    let mut value = payload.to_vec();
    value.extend_from_slice(&sig);
    Ok(URL_SAFE_NO_PAD.encode(value))
}

/// Whether a pre-session cookie value is ours and still young.
pub fn pre_session_valid(key: &Key, value: &str, now: i64) -> bool {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(value) else {
        return false;
    };
    if bytes.len() != 24 + 32 {
        return false;
    }
    let (payload, sig) = bytes.split_at(24);
    let mut stamp = [0u8; 8];
    stamp.copy_from_slice(&payload[16..]);
    let issued = i64::from_be_bytes(stamp);
    key.verify(&[b"pre-session", payload], sig)
        && (0..=PRE_SESSION_SECONDS).contains(&(now - issued))
}

/// The token forms carry for `binding`.
pub fn token(key: &Key, binding: Binding<'_>) -> String {
    let sig = match binding {
        Binding::Session(id) => key.sign(&[b"csrf-session", id.0.as_bytes()]),
        Binding::PreSession(value) => key.sign(&[b"csrf-pre", value.as_bytes()]),
    };
    URL_SAFE_NO_PAD.encode(sig)
}

/// Whether `given` is the token of `binding`.
pub fn valid(key: &Key, binding: Binding<'_>, given: Option<&str>) -> bool {
    let Some(sig) = given.and_then(|t| URL_SAFE_NO_PAD.decode(t).ok()) else {
        return false;
    };
    match binding {
        Binding::Session(id) => key.verify(&[b"csrf-session", id.0.as_bytes()], &sig),
        Binding::PreSession(value) => key.verify(&[b"csrf-pre", value.as_bytes()], &sig),
    }
}

/// The value of the first field of a multipart body if it is `name`:
/// `None` while more bytes are needed, `Some(None)` when the first field
/// is something else (or the start is not multipart at all).
fn first_field(buf: &[u8], boundary: &str, name: &str) -> Option<Option<String>> {
    let start = format!("--{boundary}\r\n");
    if buf.len() < start.len() {
        // Too short to tell, unless it already is not our start.
        return if start.as_bytes().starts_with(buf) {
            None
        } else {
            Some(None)
        };
    }
    if !buf.starts_with(start.as_bytes()) {
        return Some(None);
    }
    let rest = &buf[start.len()..];
    let headers_end = find(rest, b"\r\n\r\n")?;
    let headers = String::from_utf8_lossy(&rest[..headers_end]).to_ascii_lowercase();
    let wanted = format!("name=\"{name}\"");
    if !headers.contains(&wanted) || headers.contains("filename") {
        return Some(None);
    }
    let value = &rest[headers_end + 4..];
    let end = find(value, format!("\r\n--{boundary}").as_bytes())?;
    Some(Some(
        String::from_utf8_lossy(&value[..end]).trim().to_string(),
    ))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Reads the first field of a multipart body if it is `name`, and gives
/// back a body that replays what was read before the rest.
pub async fn multipart_field(body: Body, boundary: &str, name: &str) -> (Option<String>, Body) {
    let mut stream = body.into_data_stream();
    let mut buf: Vec<u8> = Vec::new();
    let mut found = None;
    while buf.len() < PEEK_LIMIT {
        if let Some(decided) = first_field(&buf, boundary, name) {
            found = decided;
            break;
        }
        match stream.next().await {
            Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
            _ => break,
        }
    }
    if found.is_none()
        && let Some(Some(value)) = first_field(&buf, boundary, name)
    {
        found = Some(value);
    }
    let head = Bytes::from(buf);
    let replay = futures_util::stream::once(async move { Ok::<Bytes, axum::Error>(head) });
    (found, Body::from_stream(replay.chain(stream)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_sessions_are_ours_and_expire() {
        let key = Key::for_tests(9);
        let v = issue_pre_session(&key, 1000).expect("issue");
        assert!(pre_session_valid(&key, &v, 1000 + 60));
        assert!(!pre_session_valid(&key, &v, 1000 + PRE_SESSION_SECONDS + 1));
        assert!(!pre_session_valid(&Key::for_tests(8), &v, 1001));
        assert!(!pre_session_valid(&key, "chosen-by-the-client", 1001));
    }

    #[test]
    fn tokens_are_bound_to_their_session() {
        let key = Key::for_tests(9);
        let a = SessionId::new();
        let t = token(&key, Binding::Session(a));
        assert!(valid(&key, Binding::Session(a), Some(&t)));
        assert!(!valid(&key, Binding::Session(SessionId::new()), Some(&t)));
        assert!(!valid(&key, Binding::PreSession("x"), Some(&t)));
        assert!(!valid(&key, Binding::Session(a), None));
    }

    #[test]
    fn the_first_multipart_field_is_found_before_any_file() {
        let b = "XyZ";
        let body = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok123\r\n--{b}\r\n\
             Content-Disposition: form-data; name=\"files\"; filename=\"big.bin\"\r\n\r\n..."
        );
        assert_eq!(
            first_field(body.as_bytes(), b, "csrf"),
            Some(Some("tok123".into()))
        );
        assert_eq!(
            first_field(&body.as_bytes()[..20], b, "csrf"),
            None,
            "needs more"
        );
        let file_first = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a\"\r\n\r\nxx\r\n--{b}--"
        );
        assert_eq!(first_field(file_first.as_bytes(), b, "csrf"), Some(None));
        assert_eq!(first_field(b"garbage", b, "csrf"), Some(None));
    }
}
