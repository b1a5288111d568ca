//! `bilet token`: API tokens. Parsing and printing only; the rules are in
//! `service::tokens`.

use clap::{Args, Subcommand};

use crate::service;
use crate::state::AppState;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token; it is printed once and never shown again.
    Create(TokenCreate),
    /// List live tokens (never the tokens themselves).
    List,
    /// Revoke a token at once.
    Revoke { name: String },
}

#[derive(Debug, Args)]
pub struct TokenCreate {
    #[arg(long)]
    pub name: String,
    /// Act as this staff member; without it, as a service identity "NAME (API)".
    #[arg(long, value_name = "EMAIL")]
    pub user: Option<String>,
    /// Narrow to a department, SLUG or SLUG:read|reply|manage (default
    /// manage). Repeatable; without it, every department the user reaches.
    #[arg(long = "department", value_name = "SLUG[:LEVEL]")]
    pub departments: Vec<String>,
    /// Reading only: every write answers 403.
    #[arg(long)]
    pub read_only: bool,
}

pub async fn run(app: &AppState, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create(c) => {
            let mut departments = Vec::new();
            for spec in &c.departments {
                departments.push(match spec.split_once(':') {
                    Some((slug, level)) => {
                        (slug.to_string(), level.parse().map_err(anyhow::Error::msg)?)
                    }
                    None => (spec.clone(), crate::domain::access::AccessLevel::Manage),
                });
            }
            let spec = service::tokens::Spec {
                name: c.name,
                user_email: c.user,
                departments,
                read_only: c.read_only,
                created_by: None,
            };
            let (token, row) = service::tokens::create(app, spec)
                .await
                .map_err(super::explain)?;
            eprintln!(
                "token {} made; it is shown this once, keep it safe:",
                row.name
            );
            println!("{token}");
        }
        TokenCommand::List => {
            for t in service::tokens::list(app).await? {
                let reach = if t.departments.is_empty() {
                    "all departments".to_string()
                } else {
                    t.departments.join(",")
                };
                let used = t
                    .token
                    .last_used_at
                    .map_or("never used".to_string(), |at| format!("last used {at}"));
                println!(
                    "{}\t{}…\tas {} <{}>\t{reach}{}\t{used}",
                    t.token.name,
                    t.token.prefix,
                    t.user_name,
                    t.user_email,
                    if t.token.read_only { "\tread-only" } else { "" }
                );
            }
        }
        TokenCommand::Revoke { name } => {
            service::tokens::revoke(app, &name, None)
                .await
                .map_err(|e| match e {
                    service::Error::NotFound => anyhow::anyhow!("no live token named {name:?}"),
                    other => super::explain(other),
                })?;
            println!("token {name} revoked");
        }
    }
    Ok(())
}
