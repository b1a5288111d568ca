//! Password hashing (argon2id) and generated one-time passwords. Hashing is
//! deliberately slow and memory-hungry, so it runs in the bounded pool of
//! [`Hasher`], for one client address at a time.

use std::net::IpAddr;

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

use super::hasher::Hasher;
use crate::service::Result;

/// What unknown addresses are checked against: the default parameters and
/// an output no password produces, so the answer takes as long as for a
/// real account and is always "no".
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$YmlsZXQtZHVtbXktc2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// The argon2id PHC string for `password`.
pub async fn hash(h: &Hasher, client: Option<IpAddr>, password: String) -> Result<String> {
    let hashed = h
        .run(client, move || -> anyhow::Result<String> {
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
            let hash = Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
            Ok(hash.to_string())
        })
        .await?;
    Ok(hashed?)
}

/// Whether `password` matches `hash`; a malformed hash never matches.
pub async fn verify(
    h: &Hasher,
    client: Option<IpAddr>,
    password: String,
    hash: String,
) -> Result<bool> {
    h.run(client, move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
}

/// Checks `password` against the dummy hash: an unknown account answers
/// as slowly as a wrong password, through the same pool.
pub async fn verify_unknown(h: &Hasher, client: Option<IpAddr>, password: String) -> Result<()> {
    verify(h, client, password, DUMMY.to_string())
        .await
        .map(|_| ())
}

/// A readable one-time password: four groups of four from an alphabet
/// without look-alikes (about 80 bits).
pub fn generate() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let h = Hasher::new(1, std::time::Duration::from_secs(5));
        let pw = || "correct horse battery".to_string();
        let hash = hash(&h, None, pw()).await.expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify(&h, None, pw(), hash.clone()).await.expect("verify"));
        assert!(
            !verify(&h, None, "wrong".into(), hash)
                .await
                .expect("verify")
        );
        let bad = "not a hash".to_string();
        assert!(!verify(&h, None, "x".into(), bad).await.expect("verify"));
        // The dummy parses, so unknown accounts cost a real verification.
        assert!(PasswordHash::new(DUMMY).is_ok());
        assert!(!verify(&h, None, pw(), DUMMY.into()).await.expect("dummy"));
    }

    #[test]
    fn generated_passwords_are_long_and_differ() {
        let a = generate().expect("a");
        let b = generate().expect("b");
        assert_eq!(a.len(), 19);
        assert_ne!(a, b);
    }
}
