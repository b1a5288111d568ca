//! Pure helpers for threading: the subject tag and the Message-IDs a reply
//! points at. The decision itself (which needs the database) is in
//! `service::inbound`: our signed Message-ID, then In-Reply-To and
//! References against every Message-ID we know, then the subject tag from
//! the requester or a participant only.

use crate::domain::ids::TicketNumber;

use super::parse::ParsedMail;

/// The ticket number in a `[#1042]`-style tag, for any of `prefixes`.
pub fn tag_number(subject: &str, prefixes: &[String]) -> Option<TicketNumber> {
    let mut rest = subject;
    while let Some(open) = rest.find('[') {
        let inner = &rest[open + 1..];
        let Some(close) = inner.find(']') else { break };
        let tag = inner[..close].trim();
        for prefix in prefixes {
            if let Some(n) = tag.strip_prefix(prefix.as_str())
                && let Ok(number) = n.trim().parse()
            {
                return Some(number);
            }
        }
        rest = &inner[close + 1..];
    }
    None
}

/// The subject without our tags, for a new ticket's title.
pub fn strip_tags(subject: &str, prefixes: &[String]) -> String {
    let mut out = subject.to_string();
    while let Some(n) = tag_number(&out, prefixes) {
        let Some(at) = prefixes.iter().find_map(|p| {
            out.find(&format!("[{p}{n}]"))
                .map(|i| (i, format!("[{p}{n}]").len()))
        }) else {
            break;
        };
        out.replace_range(at.0..at.0 + at.1, "");
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Message-IDs the mail answers, most direct first: In-Reply-To, then
/// References from the newest back.
pub fn referenced_ids(m: &ParsedMail) -> Vec<String> {
    let mut ids: Vec<String> = m.in_reply_to.iter().map(|s| clean_id(s)).collect();
    for r in m.references.iter().rev() {
        let r = clean_id(r);
        if !ids.contains(&r) {
            ids.push(r);
        }
    }
    ids.retain(|s| !s.is_empty());
    ids
}

/// A Message-ID without angle brackets or surrounding space.
pub fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_found_with_current_and_old_prefixes() {
        let prefixes = vec!["#".to_string(), "Ticket#".to_string()];
        assert_eq!(
            tag_number("Re: [#1042] Printer", &prefixes),
            Some(TicketNumber(1042))
        );
        assert_eq!(
            tag_number("AW: [Ticket#77] old one", &prefixes),
            Some(TicketNumber(77))
        );
        assert_eq!(
            tag_number("[list] [#12] x", &prefixes),
            Some(TicketNumber(12))
        );
        assert_eq!(tag_number("[#abc] x", &prefixes), None);
        assert_eq!(tag_number("no tag #1042", &prefixes), None);
        assert_eq!(strip_tags("Re: [#1042] Printer", &prefixes), "Re: Printer");
    }

    #[test]
    fn in_reply_to_comes_before_references_newest_first() {
        let m = ParsedMail {
            in_reply_to: vec!["<c@x>".into()],
            references: vec!["a@x".into(), "b@x".into(), "c@x".into()],
            ..ParsedMail::default()
        };
        assert_eq!(referenced_ids(&m), ["c@x", "b@x", "a@x"]);
    }
}
