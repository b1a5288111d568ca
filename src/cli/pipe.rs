//! `bilet mail ingest -`: one mail on standard input, as Postfix's pipe(8)
//! delivers it, answered by exit status (sysexits.h): 0 once the mail is
//! stored (quarantined included), 67 for a recipient Bilet does not serve,
//! 65 for a mail over `mail.max_mail_bytes`, 75 when it could not be
//! stored (the MTA keeps it and tries again). With a server running, the
//! command works in its database, so the server sees the new ticket live.

use tokio::io::AsyncReadExt;

use crate::mail::lmtp::Outcome;
use crate::service;
use crate::state::AppState;

/// An exit status chosen by a command, with what to print.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

pub const EX_DATAERR: u8 = 65;
pub const EX_NOUSER: u8 = 67;
pub const EX_TEMPFAIL: u8 = 75;

fn exit(code: u8, message: impl Into<String>) -> anyhow::Error {
    Exit {
        code,
        message: message.into(),
    }
    .into()
}

/// Reads the mail, checks the recipient, hands it to intake.
pub async fn ingest(app: &AppState, to: Option<&str>) -> anyhow::Result<()> {
    let max = app.config.mail.max_mail_bytes;
    let mut raw = Vec::new();
    tokio::io::stdin()
        .take(max + 1)
        .read_to_end(&mut raw)
        .await
        .map_err(|e| exit(EX_TEMPFAIL, format!("reading the mail: {e}")))?;
    if raw.len() as u64 > max {
        return Err(exit(
            EX_DATAERR,
            format!("the mail is larger than mail.max_mail_bytes ({max} bytes)"),
        ));
    }
    let to = match to {
        Some(to) => match service::mail::lmtp::recipient(app, to).await {
            Ok(Some(_)) => Some(to),
            Ok(None) => {
                return Err(exit(
                    EX_NOUSER,
                    format!("{to} is not an address Bilet serves"),
                ));
            }
            Err(e) => return Err(exit(EX_TEMPFAIL, format!("checking the recipient: {e:#}"))),
        },
        None => None,
    };
    let outcome = match to {
        Some(to) => service::mail::lmtp::deliver(app, &raw, to).await,
        None => {
            let env = service::mail::Envelope {
                notify: true,
                ..service::mail::Envelope::default()
            };
            match service::mail::ingest(app, &raw, &env).await.outcome {
                "deferred" => Outcome::TryLater,
                _ => Outcome::Stored,
            }
        }
    };
    match outcome {
        Outcome::Stored => Ok(()),
        Outcome::TryLater => Err(exit(
            EX_TEMPFAIL,
            "the mail could not be stored; try again later",
        )),
    }
}
