//! How much one mail may make us store, and the cuts that enforce it.
//! A mail is written by a stranger: without these a single message can
//! fill a ticket list with a megabyte subject or a thousand attachments.
//! The parser applies them; nothing here does I/O.

use std::time::Duration;

/// Subject length in characters: RFC 5322 §2.1.1's line limit, so any
/// subject a mailer can write on one header line survives whole.
pub const MAX_SUBJECT_CHARS: usize = 998;

/// Display name length in characters ("Ivan Petrov" in `From:`).
pub const MAX_DISPLAY_NAME_CHARS: usize = 200;

/// Attachment file name length in UTF-8 bytes: what ext4, NTFS and most
/// file systems allow for one name, so a downloaded file can be saved.
pub const MAX_FILENAME_BYTES: usize = 255;

/// Attachment parts kept per mail; the first ones are kept, in order.
pub const MAX_ATTACHMENTS: usize = 100;

/// Message-IDs kept from `References:`. RFC 5322 §3.6.4 lets a long list
/// be trimmed to the first (the thread's root) and the newest ones.
pub const MAX_REFERENCES: usize = 100;

/// Sanitised HTML may be this many times longer than the mail's HTML
/// (at least 1 MiB): escapes and link attributes add a little, the HTML5
/// tree builder re-opening formatting elements can add without end.
pub const MAX_HTML_GROWTH: usize = 8;

/// Time one mail's HTML may take to sanitise; past it the HTML is shown as
/// text (see `html`). A release build sanitises several megabytes in it.
pub const MAX_HTML_SANITISE_TIME: Duration = Duration::from_millis(250);

/// The longest extension kept whole when a file name is shortened.
const MAX_EXTENSION_BYTES: usize = 16;

/// `s` cut to at most `max` characters.
pub fn cap_chars(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

/// `s` cut to at most `max` bytes, on a character boundary.
fn cap_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut at = max;
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    &s[..at]
}

/// A file name cut to [`MAX_FILENAME_BYTES`], keeping a short extension
/// so the file still opens with the right program.
pub fn cap_filename(name: &str) -> String {
    if name.len() <= MAX_FILENAME_BYTES {
        return name.to_string();
    }
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|ext| ext.len() <= MAX_EXTENSION_BYTES && ext.len() > 1);
    match extension {
        Some(ext) => {
            let stem = cap_bytes(
                &name[..name.len() - ext.len()],
                MAX_FILENAME_BYTES - ext.len(),
            );
            format!("{}{ext}", stem.trim_end())
        }
        None => cap_bytes(name, MAX_FILENAME_BYTES).to_string(),
    }
}

/// A list of Message-IDs cut to `max`: the first (the thread's root) and
/// the newest `max - 1`. Returns how many were left out.
pub fn cap_references(ids: &mut Vec<String>, max: usize) -> usize {
    if ids.len() <= max || max == 0 {
        return 0;
    }
    let dropped = ids.len() - max;
    ids.drain(1..1 + dropped);
    dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_are_counted_not_bytes() {
        assert_eq!(cap_chars("Счёт", 2), "Сч");
        assert_eq!(cap_chars("abc", 5), "abc");
    }

    #[test]
    fn a_long_name_keeps_its_extension_and_whole_characters() {
        let name = format!("{}.pdf", "я".repeat(300));
        let capped = cap_filename(&name);
        assert!(capped.len() <= MAX_FILENAME_BYTES, "{}", capped.len());
        assert!(capped.ends_with("я.pdf"), "{capped}");
        let no_ext = "ж".repeat(200);
        assert_eq!(cap_filename(&no_ext).len(), 254);
        assert_eq!(cap_filename("short.txt"), "short.txt");
    }

    #[test]
    fn references_keep_the_root_and_the_newest() {
        let mut ids: Vec<String> = (0..10).map(|i| format!("{i}@x")).collect();
        assert_eq!(cap_references(&mut ids, 4), 6);
        assert_eq!(ids, ["0@x", "7@x", "8@x", "9@x"]);
    }
}
