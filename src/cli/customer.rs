//! `bilet customer`: data protection for one customer. Parsing and
//! printing only; the rules are in `service::privacy`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;

use crate::service::{self, Error};
use crate::state::AppState;

#[derive(Debug, Subcommand)]
pub enum CustomerCommand {
    /// Everything about one customer as they may see it (profile, their
    /// tickets as JSON, attached files) into a new folder.
    Export {
        email: String,
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
    },
    /// Erase one customer: what they wrote and what was written to them,
    /// their files, raw mail, addresses and password. Their tickets stay,
    /// under "Erased customer", for history and statistics. Cannot be undone.
    Erase {
        email: String,
        /// Do not ask (scripts); without it the address is typed again.
        #[arg(long)]
        yes: bool,
    },
}

fn found(err: Error, email: &str) -> anyhow::Error {
    match err {
        Error::NotFound => anyhow::anyhow!("no customer has the address {email}"),
        other => anyhow::Error::new(other),
    }
}

pub async fn run(app: &AppState, command: CustomerCommand) -> anyhow::Result<()> {
    match command {
        CustomerCommand::Export { email, to } => {
            let done = service::privacy::export(app, &email, &to)
                .await
                .map_err(|e| found(e, &email))
                .with_context(|| format!("exporting {email}"))?;
            println!(
                "exported {email}: {} tickets, {} files, into {}",
                done.tickets,
                done.files,
                to.display()
            );
        }
        CustomerCommand::Erase { email, yes } => {
            let user = service::privacy::customer(app, &email)
                .await
                .map_err(|e| found(e, &email))?;
            if !yes {
                confirm(&email)?;
            }
            let done = service::privacy::erase(app, &user, None)
                .await
                .with_context(|| format!("erasing {email}"))?;
            println!(
                "erased {email}: {} tickets, {} messages, {} files ({} stored files deleted)",
                done.tickets, done.messages, done.files, done.blobs
            );
        }
    }
    Ok(())
}

/// Asks for the address once more; anything else stops.
fn confirm(email: &str) -> anyhow::Result<()> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        anyhow::bail!("erasing cannot be undone: pass --yes, or run it in a terminal to confirm");
    }
    eprint!("This erases {email} for good. Type the address again to go on: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    if line.trim().to_lowercase() != email.trim().to_lowercase() {
        anyhow::bail!("not confirmed: nothing was erased");
    }
    Ok(())
}
