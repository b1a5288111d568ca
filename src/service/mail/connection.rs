//! Why talking to a mail server failed, in words an admin can act on: a
//! small classification of connection errors (the server name is not
//! found, the connection is refused or times out, TLS or the login fails,
//! …) that pages turn into a sentence in the reader's language, with the
//! raw error kept only as a detail. Also the bounded IMAP check run before
//! a mailbox is saved. No SQL here.

use std::time::Duration;

use crate::config::TlsMode;
use crate::mail::imap;
use crate::service::FieldError;

/// How long the check before saving a mailbox may take, all steps together.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// What kind of trouble a connection ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The server name does not resolve (a typo, or no such host).
    HostNotFound,
    /// Something answers at the address but refuses the port.
    Refused,
    /// No answer in time (a firewall, a wrong address).
    Timeout,
    /// The secure connection could not be set up (wrong mode for the port,
    /// a bad certificate).
    Tls,
    /// The server refused the user name or password.
    LoginRefused,
    /// Signed in, but the folder to read does not exist.
    FolderMissing,
    /// No server is configured to send through.
    NotConfigured,
    /// The server took the connection but refused the mail.
    Rejected,
    /// Anything else: the details say what.
    Other,
}

impl ProblemKind {
    /// Classifies an error by its text (how errors are stored: a mailbox's
    /// last poll error, an outgoing mail's last error). Operating-system and
    /// library messages are in English whatever the locale, so this works
    /// on what Linux, rustls, async-imap and lettre say.
    pub fn classify(text: &str) -> ProblemKind {
        let t = text.to_lowercase();
        let has = |needles: &[&str]| needles.iter().any(|n| t.contains(n));
        if has(&["no smtp server configured"]) {
            ProblemKind::NotConfigured
        } else if has(&[
            "login failed",
            "authenticationfailed",
            "authentication failed",
            "invalid credentials",
            "(535)",
            "(534)",
            "(530)",
        ]) {
            ProblemKind::LoginRefused
        } else if has(&[
            "failed to lookup address",
            "name or service not known",
            "no address associated with hostname",
            "nodename nor servname",
            "temporary failure in name resolution",
            "no such host",
        ]) {
            ProblemKind::HostNotFound
        } else if has(&["connection refused", "os error 111", "actively refused"]) {
            ProblemKind::Refused
        } else if has(&["timed out", "deadline has elapsed", "timeout"]) {
            ProblemKind::Timeout
        } else if has(&["tls", "certificate", "handshake", "server name"]) {
            ProblemKind::Tls
        } else if has(&["select the folder", "nonexistent", "no such mailbox"]) {
            ProblemKind::FolderMissing
        } else if has(&[
            "permanent error (",
            "transient error (",
            "a recipient address",
        ]) {
            ProblemKind::Rejected
        } else {
            ProblemKind::Other
        }
    }

    /// Its locale key; the message names the server as `$name`.
    pub fn key(self) -> &'static str {
        match self {
            ProblemKind::HostNotFound => "mail-problem-host-not-found",
            ProblemKind::Refused => "mail-problem-refused",
            ProblemKind::Timeout => "mail-problem-timeout",
            ProblemKind::Tls => "mail-problem-tls",
            ProblemKind::LoginRefused => "mail-problem-login-refused",
            ProblemKind::FolderMissing => "mail-problem-folder-missing",
            ProblemKind::NotConfigured => "mail-problem-not-configured",
            ProblemKind::Rejected => "mail-problem-rejected",
            ProblemKind::Other => "mail-problem-other",
        }
    }

    /// The IMAP field of the mailbox form that most likely needs a change.
    pub fn imap_field(self) -> &'static str {
        match self {
            ProblemKind::HostNotFound | ProblemKind::Timeout | ProblemKind::Other => "imap_host",
            ProblemKind::Refused => "imap_port",
            ProblemKind::Tls => "imap_tls",
            ProblemKind::LoginRefused => "imap_password",
            ProblemKind::FolderMissing => "folder",
            ProblemKind::NotConfigured | ProblemKind::Rejected => "smtp_host",
        }
    }
}

/// A failed connection: its kind, the server (`host` or `host:port`, as
/// the sentence names it) and the raw error for the details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionProblem {
    pub kind: ProblemKind,
    /// What the sentence names: the host for a name not found, the folder
    /// for a missing folder, else `host:port`.
    pub name: String,
    /// The error as the system or the server said it (English).
    pub detail: String,
}

impl ConnectionProblem {
    /// Classifies `detail`, an error met talking to `host:port`.
    pub fn new(host: &str, port: u16, detail: impl Into<String>) -> ConnectionProblem {
        let detail = detail.into();
        let kind = ProblemKind::classify(&detail);
        ConnectionProblem::of_kind(kind, host, port, detail)
    }

    /// A problem whose kind is known.
    pub fn of_kind(
        kind: ProblemKind,
        host: &str,
        port: u16,
        detail: impl Into<String>,
    ) -> ConnectionProblem {
        let name = match kind {
            ProblemKind::HostNotFound => host.to_string(),
            _ => format!("{host}:{port}"),
        };
        ConnectionProblem {
            kind,
            name,
            detail: detail.into(),
        }
    }

    /// Classifies an error with its cause chain: the I/O error kinds first,
    /// then the text.
    pub fn from_error(host: &str, port: u16, err: &anyhow::Error) -> ConnectionProblem {
        let detail = format!("{err:#}");
        let by_io = err.chain().find_map(|cause| {
            if cause.is::<tokio::time::error::Elapsed>() {
                return Some(ProblemKind::Timeout);
            }
            match cause.downcast_ref::<std::io::Error>()?.kind() {
                std::io::ErrorKind::ConnectionRefused => Some(ProblemKind::Refused),
                std::io::ErrorKind::TimedOut => Some(ProblemKind::Timeout),
                _ => None,
            }
        });
        match by_io {
            Some(kind) => ConnectionProblem::of_kind(kind, host, port, detail),
            None => ConnectionProblem::new(host, port, detail),
        }
    }

    /// The problem as a form error of `field`.
    pub fn field_error(&self, field: &'static str) -> FieldError {
        FieldError {
            field,
            key: self.kind.key(),
            n: None,
            name: Some(self.name.clone()),
            terms: Vec::new(),
        }
    }
}

/// How to reach an IMAP folder, as typed in the form.
#[derive(Debug, Clone, Copy)]
pub struct ImapTarget<'a> {
    pub host: &'a str,
    pub port: u16,
    pub tls: TlsMode,
    pub user: &'a str,
    pub password: &'a str,
    pub folder: &'a str,
}

/// Connects, logs in and selects the folder, all within `limit`; returns
/// how many messages the folder holds.
pub async fn check_imap(target: ImapTarget<'_>, limit: Duration) -> Result<u32, ConnectionProblem> {
    let ImapTarget {
        host, port, folder, ..
    } = target;
    let attempt = async {
        let mut session = imap::connect(host, port, target.tls, target.user, target.password)
            .await
            .map_err(|e| ConnectionProblem::from_error(host, port, &e))?;
        let selected = session.select(imap::folder(folder)).await;
        let _ = session.logout().await;
        match selected {
            Ok(m) => Ok(m.exists),
            // A NO to SELECT: signed in, but there is no such folder.
            Err(async_imap::error::Error::No(text)) => Err(ConnectionProblem {
                kind: ProblemKind::FolderMissing,
                name: folder.to_string(),
                detail: format!("cannot select the folder {folder}: {text}"),
            }),
            Err(e) => Err(ConnectionProblem::new(host, port, e.to_string())),
        }
    };
    match tokio::time::timeout(limit, attempt).await {
        Ok(result) => result,
        Err(_) => Err(ConnectionProblem::of_kind(
            ProblemKind::Timeout,
            host,
            port,
            format!("no answer within {} s", limit.as_secs()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::ProblemKind::{self, *};

    #[test]
    fn what_linux_rustls_and_the_mail_libraries_say_is_classified() {
        let cases: &[(&str, ProblemKind)] = &[
            (
                "connecting to mail.example.invalid:993: failed to lookup address information: Name or service not known",
                HostNotFound,
            ),
            (
                "Connection error: failed to lookup address information: Temporary failure in name resolution",
                HostNotFound,
            ),
            (
                "connecting to 127.0.0.1:1: Connection refused (os error 111)",
                Refused,
            ),
            ("network error: Connection refused (os error 111)", Refused),
            ("connection timed out: deadline has elapsed", Timeout),
            (
                "TLS handshake: received corrupt message of type InvalidContentType",
                Tls,
            ),
            (
                "login failed: No Response: [AUTHENTICATIONFAILED] Authentication failed.",
                LoginRefused,
            ),
            (
                "permanent error (535): 5.7.8 Authentication credentials invalid",
                LoginRefused,
            ),
            ("permanent error (550): mailbox unavailable", Rejected),
            (
                "no SMTP server configured (mail.smtp or a mailbox)",
                NotConfigured,
            ),
            ("something else entirely", Other),
        ];
        for (text, kind) in cases {
            assert_eq!(ProblemKind::classify(text), *kind, "{text}");
        }
    }

    #[test]
    fn a_name_not_found_names_the_host_and_the_rest_host_and_port() {
        let p = super::ConnectionProblem::new(
            "mail.example.invalid",
            993,
            "failed to lookup address information: Name or service not known",
        );
        assert_eq!(p.name, "mail.example.invalid");
        let p = super::ConnectionProblem::new("127.0.0.1", 1, "Connection refused (os error 111)");
        assert_eq!(p.name, "127.0.0.1:1");
    }
}
