//! Password hashing (argon2id) and generated one-time passwords. Hashing is
//! deliberately slow, so it runs on the blocking pool.

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

/// The argon2id PHC string for `password`.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
        Ok(hash.to_string())
    })
    .await?
}

/// Whether `password` matches `hash`; a malformed hash never matches.
pub async fn verify(password: String, hash: String) -> anyhow::Result<bool> {
    Ok(tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await?)
}

/// Burns the time of one verification (hashing costs the same), so that an
/// unknown account answers as slowly as a wrong password.
pub async fn burn_time(password: String) -> anyhow::Result<()> {
    hash(password).await.map(|_| ())
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
        let hash = hash("correct horse battery".into()).await.expect("hash");
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify("correct horse battery".into(), hash.clone())
                .await
                .expect("verify")
        );
        assert!(!verify("wrong".into(), hash).await.expect("verify"));
        assert!(
            !verify("x".into(), "not a hash".into())
                .await
                .expect("verify")
        );
    }

    #[test]
    fn generated_passwords_are_long_and_differ() {
        let a = generate().expect("a");
        let b = generate().expect("b");
        assert_eq!(a.len(), 19);
        assert_ne!(a, b);
    }
}
