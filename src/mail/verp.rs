//! Per-message envelope senders (VERP): `bounces+<outbox id>-<sig>@domain`.
//! A bounce comes back to exactly that address, so it matches the mail it
//! is about without guessing; the signature keeps anyone from marking our
//! recipients failed with made-up addresses.

use uuid::Uuid;

use crate::secrets::Key;

const SIG_BYTES: usize = 6;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The envelope sender for outbox row `id`.
pub fn address(key: &Key, id: Uuid, domain: &str) -> String {
    let sig = key.sign(&[b"verp", id.as_bytes()]);
    format!(
        "bounces+{}-{}@{domain}",
        id.simple(),
        hex(&sig[..SIG_BYTES])
    )
}

/// The outbox row a bounce address names, if it is one of ours.
pub fn outbox_id(key: &Key, address: &str) -> Option<Uuid> {
    let local = address.split('@').next()?.to_ascii_lowercase();
    let rest = local.strip_prefix("bounces+")?;
    let (id, sig) = rest.split_once('-')?;
    let id = Uuid::parse_str(id).ok()?;
    let expected = key.sign(&[b"verp", id.as_bytes()]);
    (hex(&expected[..SIG_BYTES]) == sig).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounce_addresses_round_trip_and_resist_forgery() {
        let key = Key::for_tests(3);
        let id = Uuid::now_v7();
        let a = address(&key, id, "help.test");
        assert_eq!(outbox_id(&key, &a), Some(id));
        assert_eq!(outbox_id(&key, &a.to_uppercase()), Some(id));
        assert_eq!(outbox_id(&Key::for_tests(4), &a), None);
        assert_eq!(
            outbox_id(
                &key,
                &format!("bounces+{}-000000000000@help.test", id.simple())
            ),
            None
        );
        assert_eq!(outbox_id(&key, "anna@example.com"), None);
    }
}
