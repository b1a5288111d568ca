//! Webhooks' rules: which journal entries make which event, which target
//! addresses are refused, how long a failing delivery is retried, and the
//! signature receivers check.

use std::net::IpAddr;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::journal::JournalKind;

/// What a subscription can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Created,
    MessageAdded,
    StatusChanged,
    Assigned,
    Transferred,
    Escalated,
    Rated,
}

impl Event {
    pub const ALL: [Event; 7] = [
        Event::Created,
        Event::MessageAdded,
        Event::StatusChanged,
        Event::Assigned,
        Event::Transferred,
        Event::Escalated,
        Event::Rated,
    ];

    /// The name in subscriptions and in deliveries' `event`.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Created => "ticket.created",
            Event::MessageAdded => "message.added",
            Event::StatusChanged => "status.changed",
            Event::Assigned => "ticket.assigned",
            Event::Transferred => "ticket.transferred",
            Event::Escalated => "ticket.escalated",
            Event::Rated => "ticket.rated",
        }
    }

    pub fn kind(self) -> JournalKind {
        match self {
            Event::Created => JournalKind::Opened,
            Event::MessageAdded => JournalKind::Message,
            Event::StatusChanged => JournalKind::Status,
            Event::Assigned => JournalKind::Assignee,
            Event::Transferred => JournalKind::Department,
            Event::Escalated => JournalKind::Sla,
            Event::Rated => JournalKind::Rated,
        }
    }

    /// The event a journal entry makes, if any: a service-level entry is
    /// an escalation only when it records a breach, not a warning.
    pub fn of(kind: JournalKind, data: &serde_json::Value) -> Option<Event> {
        let event = Event::ALL.into_iter().find(|e| e.kind() == kind)?;
        if event == Event::Escalated && data["event"] != "breach" {
            return None;
        }
        Some(event)
    }
}

impl std::str::FromStr for Event {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Event::ALL
            .into_iter()
            .find(|e| e.as_str() == s.trim())
            .ok_or_else(|| {
                let names: Vec<_> = Event::ALL.iter().map(|e| e.as_str()).collect();
                format!("unknown event {s:?}: one of {}", names.join(", "))
            })
    }
}

/// Parses a comma-separated list; `*` or `all` is every event.
pub fn parse_events(list: &str) -> Result<Vec<Event>, String> {
    if matches!(list.trim(), "*" | "all") {
        return Ok(Event::ALL.to_vec());
    }
    let mut events = Vec::new();
    for name in list.split(',').filter(|n| !n.trim().is_empty()) {
        let e: Event = name.parse()?;
        if !events.contains(&e) {
            events.push(e);
        }
    }
    if events.is_empty() {
        return Err("name at least one event".into());
    }
    Ok(events)
}

/// Why a target address is refused without the subscription's permission:
/// loopback, private, link-local and other non-public ranges.
pub fn refused(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if v4.is_unspecified() || a == 0 {
                Some("unspecified")
            } else if a == 100 && (64..128).contains(&b) {
                Some("shared (carrier-grade NAT)")
            } else if v4.is_multicast() || v4.is_broadcast() || a >= 240 {
                Some("reserved")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return refused(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfec0 {
                Some("private")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if v6.is_multicast() {
                Some("reserved")
            } else {
                None
            }
        }
    }
}

/// A failing delivery is retried for this long, then set aside as dead.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 3600);
/// A subscription failing this long is disabled.
pub const DISABLE_AFTER: Duration = Duration::from_secs(3 * 24 * 3600);

/// The wait before the next try after `attempts` failed ones: 30 s,
/// doubling, at most an hour.
pub fn retry_delay(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(7);
    Duration::from_secs(30 << doublings).min(Duration::from_secs(3600))
}

/// `Bilet-Signature`: `t=UNIX,v1=HEX`, HEX being HMAC-SHA256 under the
/// subscription's secret of "UNIX.BODY".
pub fn signature(secret: &str, unix: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(unix.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={unix},v1={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses_are_refused() {
        for (ip, why) in [
            ("127.0.0.1", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("0.0.0.0", "unspecified"),
            ("100.64.0.1", "shared (carrier-grade NAT)"),
            ("::1", "loopback"),
            ("::ffff:127.0.0.1", "loopback"),
            ("fd00::1", "private"),
            ("fe80::1", "link-local"),
        ] {
            assert_eq!(refused(ip.parse().expect("an address")), Some(why), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "100.128.0.1"] {
            assert_eq!(refused(ip.parse().expect("an address")), None, "{ip}");
        }
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_delay(1), Duration::from_secs(30));
        assert_eq!(retry_delay(2), Duration::from_secs(60));
        assert_eq!(retry_delay(7), Duration::from_secs(1920));
        assert_eq!(retry_delay(8), Duration::from_secs(3600));
        assert_eq!(retry_delay(500), Duration::from_secs(3600));
    }

    #[test]
    fn signature_is_hmac_of_time_dot_body() {
        // Computed independently: printf '1.{}' | openssl dgst -sha256 -hmac key
        let s = signature("key", 1, b"{}");
        assert_eq!(
            s,
            "t=1,v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
        assert_ne!(s, signature("key", 2, b"{}"));
        assert_ne!(s, signature("other", 1, b"{}"));
    }

    #[test]
    fn only_breaches_escalate() {
        let breach = serde_json::json!({"event": "breach"});
        let warning = serde_json::json!({"event": "warning"});
        assert_eq!(Event::of(JournalKind::Sla, &breach), Some(Event::Escalated));
        assert_eq!(Event::of(JournalKind::Sla, &warning), None);
        assert_eq!(Event::of(JournalKind::Linked, &warning), None);
        assert_eq!(
            parse_events("ticket.created, message.added").expect("events"),
            vec![Event::Created, Event::MessageAdded]
        );
        assert!(parse_events("ticket.exploded").is_err());
    }
}
