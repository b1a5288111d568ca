//! The command line: parsing and printing only; the work is in `service`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::database::Database;
use crate::domain::access::AccessLevel;
use crate::domain::users::Role;
use crate::service::{self, Error};

/// Bilet, a self-hosted helpdesk.
#[derive(Debug, Parser)]
#[command(name = "bilet", version, about)]
pub struct Cli {
    /// Configuration file (overrides config/default.toml; BILET_* variables override it).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The data folder (default ./data).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server and background jobs.
    Serve {
        /// Address to listen on, e.g. 0.0.0.0:8080 (overrides http.listen).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage people.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage departments.
    #[command(subcommand)]
    Department(DepartmentCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user with a one-time password (printed once).
    Add(UserAdd),
}

#[derive(Debug, Args)]
pub struct UserAdd {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub name: String,
    /// customer, agent or admin.
    #[arg(long)]
    pub role: Role,
    /// Grant a department: SLUG or SLUG:LEVEL (level read, reply or manage; default reply). Repeatable.
    #[arg(long = "department", value_name = "SLUG[:LEVEL]")]
    pub departments: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum DepartmentCommand {
    /// Create a department.
    Add(DepartmentAdd),
    /// List departments.
    List,
}

#[derive(Debug, Args)]
pub struct DepartmentAdd {
    #[arg(long)]
    pub slug: String,
    #[arg(long)]
    pub name: String,
    /// A mail address of the department; the first is its primary one. Repeatable.
    #[arg(long = "address", value_name = "EMAIL", required = true)]
    pub addresses: Vec<String>,
    #[arg(long, default_value = "")]
    pub signature: String,
}

/// Loads the configuration with the command line's overrides.
pub fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(dir) = &cli.data_dir {
        config.data_dir = dir.clone();
    }
    Ok(config)
}

fn parse_grant(spec: &str) -> anyhow::Result<(String, AccessLevel)> {
    match spec.split_once(':') {
        Some((slug, level)) => Ok((slug.to_string(), level.parse().map_err(anyhow::Error::msg)?)),
        None => Ok((spec.to_string(), AccessLevel::Reply)),
    }
}

/// Explains a service error in one line, in English (the CLI is for operators).
fn explain(err: Error) -> anyhow::Error {
    match err {
        Error::Invalid(errors) => {
            let parts: Vec<String> = errors
                .0
                .iter()
                .map(|e| {
                    let locale = crate::i18n::Locale::fallback();
                    let text = match e.n {
                        Some(n) => locale.t_with(e.key, &[("n", crate::i18n::Arg::Num(n))]),
                        None => locale.t(e.key),
                    };
                    format!("{}: {text}", e.field)
                })
                .collect();
            anyhow::anyhow!(parts.join("; "))
        }
        other => anyhow::Error::new(other),
    }
}

/// Runs a command other than `serve`.
pub async fn run(config: Config, command: Command) -> anyhow::Result<()> {
    let db = Database::open_for_cli(&config).await?;
    let result = run_with(&db, command).await;
    let closed = db.close().await;
    result.and(closed)
}

async fn run_with(db: &Database, command: Command) -> anyhow::Result<()> {
    let pool = &db.pool;
    match command {
        Command::Serve { .. } => unreachable!("serve is handled by main"),
        Command::Migrate => println!("migrations applied"),
        Command::User(UserCommand::Add(add)) => {
            let departments = add
                .departments
                .iter()
                .map(|d| parse_grant(d))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let (_, password) = service::accounts::create_account(
                pool,
                None,
                service::accounts::NewAccount {
                    email: add.email.clone(),
                    name: add.name,
                    role: add.role,
                    departments,
                },
            )
            .await
            .map_err(explain)?;
            println!(
                "created {} {}",
                add.role.as_str(),
                add.email.trim().to_lowercase()
            );
            println!("one-time password: {password} (must be changed at the first sign-in)");
        }
        Command::Department(DepartmentCommand::Add(add)) => {
            service::departments::create(
                pool,
                None,
                service::departments::NewDepartment {
                    slug: add.slug.clone(),
                    name: add.name,
                    addresses: add.addresses,
                    signature: add.signature,
                },
            )
            .await
            .map_err(explain)?;
            println!("created department {}", add.slug);
        }
        Command::Department(DepartmentCommand::List) => {
            let departments = service::departments::list(pool)
                .await
                .map_err(explain)
                .context("listing departments")?;
            for d in departments {
                println!("{}\t{}\t{}", d.slug, d.name, d.addresses.join(", "));
            }
        }
    }
    Ok(())
}
