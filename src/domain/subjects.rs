//! Ticket subjects: reply prefixes, and whether two subjects are about the
//! same problem ("one problem, one ticket").

use std::collections::BTreeSet;

/// Prefixes mail clients put before a subject, in the languages our users
/// write in. Compared case-insensitively.
const PREFIXES: &[&str] = &[
    "re",
    "fw",
    "fwd",
    "aw",
    "wg",
    "sv",
    "tr",
    "ответ",
    "отв",
    "пересл",
    "fw:",
];

/// The subject without "Re:", "Fwd:", "Ответ:"... prefixes (repeated ones too).
pub fn strip_reply_prefixes(subject: &str) -> &str {
    let mut rest = subject.trim();
    loop {
        let Some((head, tail)) = rest.split_once(':') else {
            return rest;
        };
        // "Re[2]:" and "RE(3):" count too.
        let word = head
            .trim()
            .trim_end_matches(|c: char| c == ']' || c == ')' || c.is_ascii_digit());
        let word = word.trim_end_matches(['[', '(']).to_lowercase();
        if PREFIXES.contains(&word.as_str()) {
            rest = tail.trim_start();
        } else {
            return rest;
        }
    }
}

fn words(subject: &str) -> BTreeSet<String> {
    strip_reply_prefixes(subject)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 2)
        .map(str::to_lowercase)
        .collect()
}

/// Whether two subjects look like the same problem: at least half of the
/// meaningful words are shared (Jaccard similarity ≥ 0.5).
pub fn similar(a: &str, b: &str) -> bool {
    let (a, b) = (words(a), words(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let shared = a.intersection(&b).count();
    let all = a.union(&b).count();
    shared * 2 >= all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_prefixes_are_stripped() {
        assert_eq!(
            strip_reply_prefixes("Re: RE: Fwd: Server down"),
            "Server down"
        );
        assert_eq!(
            strip_reply_prefixes("Ответ: Сайт не работает"),
            "Сайт не работает"
        );
        assert_eq!(strip_reply_prefixes("AW: Re[2]: Rechnung"), "Rechnung");
        assert_eq!(
            strip_reply_prefixes("Ticket: 42 broken"),
            "Ticket: 42 broken"
        );
    }

    #[test]
    fn similar_subjects_share_most_words() {
        assert!(similar(
            "Сайт не открывается",
            "Re: сайт не открывается с утра"
        ));
        assert!(similar(
            "Mail server rejects my mail",
            "mail server rejects mail"
        ));
        assert!(!similar(
            "Mail server rejects my mail",
            "Invoice 42 is wrong"
        ));
        assert!(!similar("", "anything"));
    }
}
