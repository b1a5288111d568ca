//! Splitting mbox archives (mboxrd: a message starts at a line beginning
//! "From " after an empty line or the start; ">From " lines inside were
//! quoted once more and are unquoted here). Pure.

/// Whether the bytes look like an mbox rather than a single message.
pub fn is_mbox(bytes: &[u8]) -> bool {
    bytes.starts_with(b"From ")
}

/// The messages of an mbox, unquoted.
pub fn split(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut messages: Vec<Vec<u8>> = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    let mut previous_blank = true;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"From ") && previous_blank {
            if let Some(done) = current.take() {
                messages.push(trim_separator(done));
            }
            current = Some(Vec::new());
            previous_blank = false;
            continue;
        }
        let blank = line == b"\n" || line == b"\r\n";
        if let Some(msg) = current.as_mut() {
            let quotes = line.iter().take_while(|&&b| b == b'>').count();
            if quotes > 0 && line[quotes..].starts_with(b"From ") {
                msg.extend_from_slice(&line[1..]);
            } else {
                msg.extend_from_slice(line);
            }
        }
        previous_blank = blank;
    }
    if let Some(done) = current {
        messages.push(trim_separator(done));
    }
    messages
}

// The empty line before the next "From " belongs to the format, not the mail.
fn trim_separator(mut msg: Vec<u8>) -> Vec<u8> {
    if msg.ends_with(b"\r\n\r\n") {
        msg.truncate(msg.len() - 2);
    } else if msg.ends_with(b"\n\n") {
        msg.truncate(msg.len() - 1);
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_split_and_unquoted() {
        let mbox = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\nFirst\n>From the start\n>>From deeper\n\nFrom c@d Tue Jan  2 00:00:00 2024\nSubject: two\n\nSecond\n";
        assert!(is_mbox(mbox));
        let msgs = split(mbox);
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            String::from_utf8_lossy(&msgs[0]),
            "Subject: one\n\nFirst\nFrom the start\n>From deeper\n"
        );
        assert_eq!(
            String::from_utf8_lossy(&msgs[1]),
            "Subject: two\n\nSecond\n"
        );
        assert!(!is_mbox(b"Subject: x\n\ny"));
    }
}
