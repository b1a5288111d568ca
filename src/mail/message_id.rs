//! Bilet's own Message-IDs carry a signed reference to the ticket and
//! message, so a reply is threaded even when a mail client drops or mangles
//! References: `<t1042.0194f2c3...d1.5a7c9e0b12f4@help.example.com>`.

use crate::domain::ids::{MessageId, TicketNumber};
use crate::secrets::Key;

// 8 bytes of HMAC: forging one needs 2^64 tries against a live server.
const SIG_BYTES: usize = 8;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new Message-ID (without angle brackets) for a mail about `ticket`.
/// `message` is the ticket message the mail carries, or a fresh id for
/// mails that carry none (acknowledgements).
pub fn generate(key: &Key, ticket: TicketNumber, message: MessageId, domain: &str) -> String {
    let local = format!("t{}.{}", ticket.0, message.0.simple());
    let sig = key.sign(&[b"message-id", local.as_bytes()]);
    format!("{local}.{}@{domain}", hex(&sig[..SIG_BYTES]))
}

/// The ticket and message a Message-ID of ours refers to, if its signature
/// holds. Angle brackets and surrounding space are ignored.
pub fn verify(key: &Key, message_id: &str) -> Option<(TicketNumber, MessageId)> {
    let id = message_id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    let (local, _domain) = id.rsplit_once('@')?;
    let (signed, sig) = local.rsplit_once('.')?;
    let sig: Vec<u8> = (0..sig.len())
        .step_by(2)
        .map(|i| {
            sig.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<_>>()?;
    let full = key.sign(&[b"message-id", signed.as_bytes()]);
    if sig.len() != SIG_BYTES || !constant_eq(&full[..SIG_BYTES], &sig) {
        return None;
    }
    let (ticket, message) = signed.strip_prefix('t')?.split_once('.')?;
    Some((
        TicketNumber(ticket.parse().ok()?),
        MessageId(message.parse().ok()?),
    ))
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_message_ids_verify_and_forgeries_do_not() {
        let key = Key::for_tests(4);
        let message = MessageId::new();
        let id = generate(&key, TicketNumber(1042), message, "help.example.com");
        assert!(id.starts_with("t1042."));
        assert_eq!(
            verify(&key, &format!("<{id}>")),
            Some((TicketNumber(1042), message))
        );
        let forged = id.replacen("t1042", "t1043", 1);
        assert_eq!(verify(&key, &forged), None);
        assert_eq!(verify(&Key::for_tests(5), &id), None);
        assert_eq!(verify(&key, "<CAB123@mail.gmail.com>"), None);
    }
}
