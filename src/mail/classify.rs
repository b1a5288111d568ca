//! What kind of mail this is, for loop and bounce protection (RFC 3834,
//! RFC 3464, RFC 8098, RFC 5965). Pure.

use super::parse::ParsedMail;

/// The gateway's view of a mail.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    /// Sent by a robot: never opens a ticket; stored silently on a known one.
    pub automatic: Option<&'static str>,
    /// A delivery failure: marks recipients failed, never opens a ticket.
    pub bounce: bool,
    /// Mailing-list mail: may open a ticket, never gets an automatic answer.
    pub list: bool,
    /// Never answer it automatically.
    pub no_auto_answer: bool,
    /// The receiving server said spam: held for an admin.
    pub spam: bool,
}

const ROBOT_LOCALS: &[&str] = &[
    "noreply",
    "no-reply",
    "donotreply",
    "do-not-reply",
    "mailer-daemon",
    "postmaster",
    "bounce",
    "bounces",
];

fn local_part(address: &str) -> &str {
    address.split('@').next().unwrap_or("")
}

/// Whether an address belongs to a robot: "noreply", but also
/// "noreply-1234" and "no-reply.shop", mailer daemons, postmasters.
pub fn is_robot(address: &str) -> bool {
    ROBOT_LOCALS
        .iter()
        .any(|r| local_part(address).starts_with(r))
}

/// Looks for a returned Message-ID in a non-standard bounce's text.
pub fn returned_message_id(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let l = l.trim_start_matches(['>', ' ', '\t']);
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("message-id")
            .then(|| v.trim().trim_matches(['<', '>']).to_string())
    })
}

/// Classifies a parsed mail. `to_our_bounce_address` is true when it was
/// sent to one of our signed VERP addresses.
pub fn classify(m: &ParsedMail, to_our_bounce_address: bool) -> Verdict {
    let null_sender = m.return_path.as_deref() == Some("");
    let from = m.from.as_ref().map_or("", |f| f.address.as_str());
    let from_daemon = matches!(local_part(from), "mailer-daemon" | "postmaster");
    let mut v = Verdict {
        spam: m.spam_flag,
        ..Verdict::default()
    };

    match &m.report {
        Some(r) if r.report_type == "delivery-status" => {
            if r.any_failed {
                v.bounce = true;
            } else {
                v.automatic = Some("delivery delayed notice");
            }
        }
        Some(r) if r.report_type == "disposition-notification" => {
            v.automatic = Some("read receipt")
        }
        Some(r) if r.report_type == "feedback-report" => v.automatic = Some("abuse report"),
        _ => {}
    }
    // A bounce without a standard report: a daemon or null sender returning
    // one of our messages, or anything sent to our bounce address.
    if !v.bounce
        && v.automatic.is_none()
        && (null_sender || from_daemon)
        && (to_our_bounce_address || returned_message_id(&m.text).is_some())
    {
        v.bounce = true;
    }
    if !v.bounce && to_our_bounce_address {
        v.bounce = true;
    }
    if v.automatic.is_none() && !v.bounce {
        v.automatic = if m.auto_submitted.as_deref().is_some_and(|a| a != "no") {
            Some("Auto-Submitted")
        } else if m.autoreply_header {
            Some("X-Autoreply")
        } else if matches!(
            m.precedence.as_deref(),
            Some("auto_reply" | "bulk" | "junk")
        ) {
            Some("Precedence")
        } else if null_sender {
            Some("null envelope sender")
        } else {
            None
        };
    }
    v.list = m.list_id.is_some() || m.precedence.as_deref() == Some("list");
    v.no_auto_answer = v.list || v.automatic.is_some() || v.bounce || is_robot(from);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::parse::{Mailbox, Report};

    fn mail() -> ParsedMail {
        ParsedMail {
            from: Some(Mailbox {
                address: "anna@example.com".into(),
                name: None,
            }),
            ..ParsedMail::default()
        }
    }

    #[test]
    fn people_are_not_robots() {
        let v = classify(&mail(), false);
        assert_eq!(v, Verdict::default());
    }

    #[test]
    fn automatic_mail_is_recognised_by_each_signal() {
        type Set = Box<dyn Fn(&mut ParsedMail)>;
        let cases: Vec<Set> = vec![
            Box::new(|m| m.auto_submitted = Some("auto-replied".into())),
            Box::new(|m| m.autoreply_header = true),
            Box::new(|m| m.precedence = Some("bulk".into())),
            Box::new(|m| m.precedence = Some("auto_reply".into())),
            Box::new(|m| m.return_path = Some(String::new())),
        ];
        for set in cases {
            let mut m = mail();
            set(&mut m);
            let v = classify(&m, false);
            assert!(v.automatic.is_some() && v.no_auto_answer, "{m:?}");
        }
        let mut m = mail();
        m.auto_submitted = Some("no".into());
        assert_eq!(classify(&m, false).automatic, None);
    }

    #[test]
    fn lists_and_noreply_senders_open_tickets_but_get_no_answer() {
        let mut m = mail();
        m.list_id = Some("<users.lists.example.com>".into());
        let v = classify(&m, false);
        assert!(v.list && v.no_auto_answer && v.automatic.is_none());
        let mut m = mail();
        m.from = Some(Mailbox {
            address: "no-reply@shop.example".into(),
            name: None,
        });
        let v = classify(&m, false);
        assert!(v.no_auto_answer && v.automatic.is_none());
    }

    #[test]
    fn only_failed_delivery_reports_are_bounces() {
        let mut m = mail();
        m.report = Some(Report {
            report_type: "delivery-status".into(),
            any_failed: true,
            ..Report::default()
        });
        assert!(classify(&m, false).bounce);
        m.report = Some(Report {
            report_type: "delivery-status".into(),
            any_failed: false,
            ..Report::default()
        });
        let v = classify(&m, false);
        assert!(!v.bounce && v.automatic.is_some(), "delayed is not failed");
        m.report = Some(Report {
            report_type: "disposition-notification".into(),
            ..Report::default()
        });
        assert!(!classify(&m, false).bounce, "read receipts are not bounces");
        m.report = Some(Report {
            report_type: "feedback-report".into(),
            ..Report::default()
        });
        assert!(!classify(&m, false).bounce, "abuse reports are not bounces");
    }

    #[test]
    fn non_standard_bounces_need_a_daemon_and_returned_headers() {
        let mut m = mail();
        m.from = Some(Mailbox {
            address: "mailer-daemon@mx.example".into(),
            name: None,
        });
        m.text =
            "Your message could not be delivered.\n> Message-ID: <t1001.x.y@help.test>\n".into();
        assert!(classify(&m, false).bounce);
        m.text = "Hello, I am a daemon who writes.".into();
        assert!(!classify(&m, false).bounce);
        assert!(
            classify(&m, true).bounce,
            "anything to our bounce address is one"
        );
    }

    #[test]
    fn spam_verdicts_are_seen() {
        let mut m = mail();
        m.spam_flag = true;
        assert!(classify(&m, false).spam);
    }
}
