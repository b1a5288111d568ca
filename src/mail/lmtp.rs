//! The server side of LMTP (RFC 2033), so an MTA such as Postfix can hand
//! mail straight to Bilet. One session over any byte stream (TCP or a unix
//! socket); what a recipient is and what delivering means is the caller's
//! [`Delivery`]. Every read is bounded (line length, mail size, recipients,
//! idle time), so no client can make a session hold more than one mail of
//! `max_bytes`. After DATA each recipient gets its own reply, given only
//! once `deliver` has returned: 250 means the mail is stored.
//!
//! Hand-written: the protocol is a dozen commands, and the Rust SMTP server
//! crates are either synchronous or SMTP-only without per-recipient replies.

use std::future::Future;
use std::time::Duration;

use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};

/// Longest command line (RFC 5321 asks for 512; extensions make it longer).
const MAX_COMMAND: u64 = 2048;
/// A mail is read in pieces of at most this many bytes.
const PIECE: u64 = 64 * 1024;

/// What a session allows.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_recipients: usize,
    /// Closes a session silent for this long.
    pub idle: Duration,
}

/// The answer to RCPT TO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    /// Not an address Bilet serves: 550, the MTA bounces.
    Unknown,
    /// Cannot tell now (the database is away): 451, the MTA retries.
    TryLater,
}

/// What became of one recipient's copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Stored,
    TryLater,
}

/// What the session hands mail to.
pub trait Delivery: Send + Sync {
    fn accepts(&self, recipient: &str) -> impl Future<Output = Verdict> + Send;
    fn deliver(
        &self,
        raw: &[u8],
        sender: &str,
        recipient: &str,
    ) -> impl Future<Output = Outcome> + Send;
}

/// Runs one session to its end. I/O errors end it (the MTA retries
/// whatever it was not told was delivered).
pub async fn session<S, D>(stream: S, host: &str, limits: &Limits, d: &D) -> std::io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
    D: Delivery,
{
    let (read, mut write) = tokio::io::split(stream);
    let mut read = BufReader::new(read);
    reply(&mut write, &format!("220 {host} LMTP Bilet ready")).await?;
    let mut greeted = false;
    let mut sender: Option<String> = None;
    let mut recipients: Vec<String> = Vec::new();
    loop {
        let Some(line) = read_line(&mut read, limits.idle).await? else {
            reply(&mut write, "421 4.4.2 Idle too long, closing").await?;
            return Ok(());
        };
        let line = match line {
            Line::Complete(line) => line,
            Line::TooLong => {
                reply(&mut write, "500 5.5.2 Line too long").await?;
                continue;
            }
            Line::End => return Ok(()),
        };
        let (verb, arg) = split_command(&line);
        let answer = match verb.as_str() {
            "LHLO" if arg.is_empty() => "501 5.5.4 LHLO needs a host name".to_string(),
            "LHLO" => {
                greeted = true;
                sender = None;
                recipients.clear();
                format!(
                    "250-{host}\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n\
                     250-SMTPUTF8\r\n250 SIZE {}",
                    limits.max_bytes
                )
            }
            "HELO" | "EHLO" => "500 5.5.1 This is LMTP: say LHLO".into(),
            "MAIL" if !greeted => "503 5.5.1 Say LHLO first".into(),
            "MAIL" if sender.is_some() => "503 5.5.1 Nested MAIL".into(),
            "MAIL" => match path(&arg, "FROM:") {
                None => "501 5.5.4 Syntax: MAIL FROM:<address>".into(),
                Some((_, params)) if declared_size(params) > Some(limits.max_bytes) => {
                    "552 5.3.4 Message too big".into()
                }
                Some((from, _)) => {
                    sender = Some(from);
                    "250 2.1.0 Sender OK".into()
                }
            },
            "RCPT" if sender.is_none() => "503 5.5.1 Say MAIL first".into(),
            "RCPT" if recipients.len() >= limits.max_recipients => {
                "452 4.5.3 Too many recipients".into()
            }
            "RCPT" => match path(&arg, "TO:") {
                None => "501 5.5.4 Syntax: RCPT TO:<address>".into(),
                Some((to, _)) => match d.accepts(&to).await {
                    Verdict::Accept => {
                        recipients.push(to);
                        "250 2.1.5 Recipient OK".into()
                    }
                    Verdict::Unknown => "550 5.1.1 No such recipient here".into(),
                    Verdict::TryLater => "451 4.3.0 Cannot check the recipient now".into(),
                },
            },
            "DATA" if recipients.is_empty() => "503 5.5.1 No valid recipients".into(),
            "DATA" => {
                reply(&mut write, "354 Send the mail, end with <CRLF>.<CRLF>").await?;
                let mail = read_data(&mut read, limits).await?;
                let from = sender.take().unwrap_or_default();
                let mut lines = Vec::with_capacity(recipients.len());
                for to in std::mem::take(&mut recipients) {
                    lines.push(match &mail {
                        None => format!("552 5.3.4 Message too big for <{to}>"),
                        Some(raw) => match d.deliver(raw, &from, &to).await {
                            Outcome::Stored => format!("250 2.0.0 <{to}> stored"),
                            Outcome::TryLater => {
                                format!("451 4.3.0 <{to}> not stored, try again later")
                            }
                        },
                    });
                }
                lines.join("\r\n")
            }
            "RSET" => {
                sender = None;
                recipients.clear();
                "250 2.0.0 OK".into()
            }
            "NOOP" => "250 2.0.0 OK".into(),
            "VRFY" => "252 2.5.0 Cannot verify, but will try".into(),
            "QUIT" => {
                reply(&mut write, "221 2.0.0 Bye").await?;
                return Ok(());
            }
            _ => "500 5.5.2 Unknown command".into(),
        };
        reply(&mut write, &answer).await?;
    }
}

async fn reply<W: AsyncWrite + Unpin>(w: &mut W, text: &str) -> std::io::Result<()> {
    w.write_all(text.as_bytes()).await?;
    w.write_all(b"\r\n").await?;
    w.flush().await
}

enum Line {
    Complete(String),
    /// Longer than a command may be; the rest was skipped.
    TooLong,
    /// The client closed the connection.
    End,
}

/// One command line without its ending; None after `idle` of silence.
async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    idle: Duration,
) -> std::io::Result<Option<Line>> {
    let mut buf = Vec::new();
    let mut limited = (&mut *r).take(MAX_COMMAND);
    let read = limited.read_until(b'\n', &mut buf);
    let n = match tokio::time::timeout(idle, read).await {
        Err(_) => return Ok(None),
        Ok(r) => r?,
    };
    if n == 0 {
        return Ok(Some(Line::End));
    }
    if buf.len() as u64 >= MAX_COMMAND && !buf.ends_with(b"\n") {
        // Skip to the end of the overlong line.
        loop {
            let mut rest = Vec::new();
            let n = (&mut *r).take(PIECE).read_until(b'\n', &mut rest).await?;
            if n == 0 || rest.ends_with(b"\n") {
                return Ok(Some(Line::TooLong));
            }
        }
    }
    let text = String::from_utf8_lossy(&buf);
    Ok(Some(Line::Complete(
        text.trim_end_matches(['\r', '\n']).to_string(),
    )))
}

/// The mail after DATA, dot-unstuffed; None when it was larger than the
/// limit (read to its end and dropped, so the session can go on).
async fn read_data<R: AsyncBufRead + Unpin>(
    r: &mut R,
    limits: &Limits,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut mail = Vec::new();
    let mut too_big = false;
    let mut line_start = true;
    loop {
        let mut piece = Vec::new();
        let mut limited = (&mut *r).take(PIECE);
        let read = limited.read_until(b'\n', &mut piece);
        let n = match tokio::time::timeout(limits.idle, read).await {
            Err(_) => return Err(std::io::ErrorKind::TimedOut.into()),
            Ok(n) => n?,
        };
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let mut bytes = &piece[..];
        if line_start {
            if bytes == b".\r\n" || bytes == b".\n" {
                return Ok((!too_big).then_some(mail));
            }
            if bytes.starts_with(b".") {
                bytes = &bytes[1..];
            }
        }
        line_start = piece.ends_with(b"\n");
        if mail.len() as u64 + bytes.len() as u64 > limits.max_bytes {
            too_big = true;
            mail = Vec::new();
        }
        if !too_big {
            mail.extend_from_slice(bytes);
        }
    }
}

/// The verb upper-cased and the rest.
fn split_command(line: &str) -> (String, String) {
    let line = line.trim();
    match line.split_once(' ') {
        Some((verb, rest)) => (verb.to_ascii_uppercase(), rest.trim().to_string()),
        None => (line.to_ascii_uppercase(), String::new()),
    }
}

/// `FROM:<a@b> SIZE=10` → ("a@b", "SIZE=10"); the null sender is "".
fn path<'a>(arg: &'a str, prefix: &str) -> Option<(String, &'a str)> {
    let head = arg.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg[prefix.len()..].trim_start();
    let inner = rest.strip_prefix('<')?;
    let end = inner.find('>')?;
    let address = inner[..end].trim();
    if address.len() > 320 || address.contains(char::is_whitespace) {
        return None;
    }
    Some((address.to_string(), inner[end + 1..].trim()))
}

/// The SIZE= parameter of MAIL FROM, when given.
fn declared_size(params: &str) -> Option<u64> {
    params.split_whitespace().find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.eq_ignore_ascii_case("SIZE")
            .then(|| v.parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_sizes_are_read_strictly() {
        assert_eq!(
            path("FROM:<a@b.test> SIZE=10", "FROM:"),
            Some(("a@b.test".into(), "SIZE=10"))
        );
        assert_eq!(path("from: <>", "FROM:"), Some((String::new(), "")));
        assert_eq!(path("TO:a@b.test", "TO:"), None);
        assert_eq!(path("TO:<a b@c>", "TO:"), None);
        assert_eq!(path("T", "TO:"), None);
        assert_eq!(declared_size("BODY=8BITMIME size=4096"), Some(4096));
        assert_eq!(declared_size("SIZE=x"), None);
    }
}
