//! The server's own keys: session/link signing, Message-ID signing and
//! mailbox-password encryption. Never shipped in the repository: generated
//! at the first start into `<data_dir>/secrets.toml` (mode 0600), or given
//! in the configuration, which several nodes must then share.

use std::fmt;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::config::SecretsConfig;

/// A 32-byte key. Its `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Key([u8; 32]);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

impl Key {
    fn generate() -> anyhow::Result<Key> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        Ok(Key(bytes))
    }

    fn decode(name: &str, text: &str) -> anyhow::Result<Key> {
        let bytes = STANDARD
            .decode(text.trim())
            .with_context(|| format!("secrets.{name} is not base64"))?;
        let Ok(bytes) = <[u8; 32]>::try_from(bytes.as_slice()) else {
            bail!("secrets.{name} must be 32 bytes, base64-encoded");
        };
        Ok(Key(bytes))
    }

    fn encode(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// HMAC-SHA256 of `parts`, each length-prefixed so that ("ab","c") and
    /// ("a","bc") never sign alike.
    pub fn sign(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// Constant-time check of a signature made by [`Key::sign`].
    pub fn verify(&self, parts: &[&[u8]], signature: &[u8]) -> bool {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.verify_slice(signature).is_ok()
    }

    /// Encrypts a small secret (a mailbox password) for storage:
    /// nonce || ciphertext, ChaCha20-Poly1305.
    pub fn encrypt(&self, plain: &[u8]) -> anyhow::Result<Vec<u8>> {
        use chacha20poly1305::aead::{Aead, KeyInit};
        let cipher = chacha20poly1305::ChaCha20Poly1305::new((&self.0).into());
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let sealed = cipher
            .encrypt((&nonce).into(), plain)
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// Decrypts what [`Key::encrypt`] made; fails with a wrong key or
    /// tampered bytes.
    pub fn decrypt(&self, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        use chacha20poly1305::aead::{Aead, KeyInit};
        if sealed.len() < 12 {
            bail!("not an encrypted secret");
        }
        let cipher = chacha20poly1305::ChaCha20Poly1305::new((&self.0).into());
        let (nonce, body) = sealed.split_at(12);
        cipher
            .decrypt(nonce.into(), body)
            .map_err(|_| anyhow::anyhow!("cannot decrypt: was secrets.mailbox_key changed?"))
    }

    /// A key for tests.
    pub fn for_tests(seed: u8) -> Key {
        Key([seed; 32])
    }
}

/// All of the server's keys.
#[derive(Debug, Clone)]
pub struct Secrets {
    pub session_key: Key,
    pub message_id_key: Key,
    pub mailbox_key: Key,
}

#[derive(Default, Serialize, Deserialize)]
struct SecretsFile {
    session_key: Option<String>,
    message_id_key: Option<String>,
    mailbox_key: Option<String>,
}

impl Secrets {
    /// Keys from the configuration, else from the data folder's file, where
    /// missing ones are generated and saved.
    pub fn load_or_create(config: &SecretsConfig, data_dir: &Path) -> anyhow::Result<Secrets> {
        let path = data_dir.join("secrets.toml");
        let mut file: SecretsFile = if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            toml_from_str(&text).with_context(|| format!("parsing {}", path.display()))?
        } else {
            SecretsFile::default()
        };
        let mut changed = false;
        let mut pick =
            |name: &str, configured: &Option<SecretString>, stored: &mut Option<String>| {
                if let Some(value) = configured {
                    return Key::decode(name, value.expose_secret());
                }
                if let Some(value) = stored {
                    return Key::decode(name, value);
                }
                let key = Key::generate()?;
                *stored = Some(key.encode());
                changed = true;
                Ok(key)
            };
        let secrets = Secrets {
            session_key: pick("session_key", &config.session_key, &mut file.session_key)?,
            message_id_key: pick(
                "message_id_key",
                &config.message_id_key,
                &mut file.message_id_key,
            )?,
            mailbox_key: pick("mailbox_key", &config.mailbox_key, &mut file.mailbox_key)?,
        };
        if changed {
            write_private(&path, &toml_to_string(&file))?;
        }
        Ok(secrets)
    }

    /// Fixed keys for tests.
    pub fn for_tests() -> Secrets {
        Secrets {
            session_key: Key::for_tests(1),
            message_id_key: Key::for_tests(2),
            mailbox_key: Key::for_tests(3),
        }
    }
}

// The file is three `name = "base64"` lines; a TOML crate would be one more
// dependency for that (figment's TOML parser is not public API).
fn toml_from_str(text: &str) -> anyhow::Result<SecretsFile> {
    let mut file = SecretsFile::default();
    for line in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let Some((name, value)) = line.split_once('=') else {
            bail!("not `name = \"value\"`: {line}");
        };
        let value = value.trim().trim_matches('"').to_string();
        match name.trim() {
            "session_key" => file.session_key = Some(value),
            "message_id_key" => file.message_id_key = Some(value),
            "mailbox_key" => file.mailbox_key = Some(value),
            other => bail!("unknown key {other}"),
        }
    }
    Ok(file)
}

fn toml_to_string(file: &SecretsFile) -> String {
    let mut out = String::from(
        "# Generated by bilet at its first start. Keep private; several nodes must share it.\n",
    );
    for (name, value) in [
        ("session_key", &file.session_key),
        ("message_id_key", &file.message_id_key),
        ("mailbox_key", &file.mailbox_key),
    ] {
        if let Some(value) = value {
            out.push_str(&format!("{name} = \"{value}\"\n"));
        }
    }
    out
}

/// Writes a file only its owner can read, replacing it atomically.
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn keys_are_generated_once_and_kept_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Secrets::load_or_create(&SecretsConfig::default(), dir.path()).expect("create");
        let mode = std::fs::metadata(dir.path().join("secrets.toml"))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = Secrets::load_or_create(&SecretsConfig::default(), dir.path()).expect("load");
        assert_eq!(first.session_key, again.session_key);
        assert_ne!(first.session_key, first.mailbox_key);
        assert!(!format!("{first:?}").contains(&first.session_key.encode()));
    }

    #[test]
    fn configured_keys_win_over_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let configured = SecretsConfig {
            session_key: Some(SecretString::from(STANDARD.encode([7u8; 32]))),
            ..SecretsConfig::default()
        };
        let secrets = Secrets::load_or_create(&configured, dir.path()).expect("load");
        assert_eq!(secrets.session_key, Key([7u8; 32]));
    }

    #[test]
    fn secrets_round_trip_and_wrong_keys_fail() {
        let key = Key::for_tests(5);
        let sealed = key.encrypt("пароль".as_bytes()).expect("seal");
        assert!(!sealed.windows(6).any(|w| w == "пароль".as_bytes()));
        assert_eq!(key.decrypt(&sealed).expect("open"), "пароль".as_bytes());
        assert!(Key::for_tests(6).decrypt(&sealed).is_err());
        assert_ne!(
            key.encrypt(b"x").expect("a"),
            key.encrypt(b"x").expect("b"),
            "fresh nonce each time"
        );
    }

    #[test]
    fn signatures_verify_and_separate_their_parts() {
        let key = Key::for_tests(9);
        let sig = key.sign(&[b"ab", b"c"]);
        assert!(key.verify(&[b"ab", b"c"], &sig));
        assert!(!key.verify(&[b"a", b"bc"], &sig));
    }
}
