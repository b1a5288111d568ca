//! The command line: parsing and printing only; the work is in `service`.

mod blobs;
mod customer;
mod dev;
pub mod pipe;
mod search;
mod sla;
mod token;
mod webhook;

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
    /// Feed mail through the gateway.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Look at tickets.
    #[command(subcommand)]
    Ticket(TicketCommand),
    /// Manage mailboxes.
    #[command(subcommand)]
    Mailbox(MailboxCommand),
    /// Show the change journal's readers: their position and lag on each node.
    Journal,
    /// Data protection: one customer's data.
    #[command(subcommand)]
    Customer(customer::CustomerCommand),
    /// Check the installation (database, data folder, disk, clock,
    /// mailboxes, public address); exits non-zero on a problem.
    Doctor,
    /// Write a consistent backup (database, files, secrets, manifest) into
    /// a new folder, while Bilet runs.
    Backup {
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
    },
    /// Restore a backup into a new data folder (--data-dir) and an empty
    /// database (the embedded one there, or DATABASE_URL).
    Restore {
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
    },
    /// Search tickets as someone; see or rebuild the search index.
    Search(search::SearchArgs),
    /// Manage business-hours calendars.
    #[command(subcommand)]
    Calendar(sla::CalendarCommand),
    /// Set and list service-level targets.
    #[command(subcommand)]
    Sla(sla::SlaCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Webhook subscriptions and their deliveries.
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Where attachment and raw-mail bytes live.
    #[command(subcommand)]
    Blobs(blobs::BlobsCommand),
    /// Developer tools: a large seeded helpdesk.
    #[command(subcommand)]
    Dev(dev::DevCommand),
}

#[derive(Debug, Subcommand)]
pub enum MailCommand {
    /// Run .eml files and mbox archives through exactly the IMAP path.
    Ingest(MailIngest),
}

impl MailIngest {
    /// One mail from standard input (`bilet mail ingest -`).
    pub fn is_pipe(&self) -> bool {
        self.files.len() == 1 && self.files[0].as_os_str() == "-"
    }
}

#[derive(Debug, Args)]
pub struct MailIngest {
    /// One JSON object a line per message.
    #[arg(long)]
    pub json: bool,
    /// The envelope recipient.
    #[arg(long, value_name = "ADDRESS")]
    pub to: Option<String>,
    /// Send nothing (archive imports).
    #[arg(long)]
    pub no_notify: bool,
    /// Files, or `-`: one mail on standard input, answered by exit status
    /// for an MTA's pipe (0 stored, 67 unknown recipient, 75 try later).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum TicketCommand {
    /// Print a ticket.
    Show {
        /// As JSON (the REST API's representation).
        #[arg(long)]
        json: bool,
        /// Show it as this person sees it (through the access rule); by
        /// default the operator sees everything.
        #[arg(long = "as", value_name = "EMAIL")]
        viewer: Option<String>,
        number: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailboxCommand {
    /// Add a mailbox. Passwords are read from the environment
    /// (MAILBOX_IMAP_PASSWORD, MAILBOX_SMTP_PASSWORD) so they stay out of shell history.
    Add(Box<MailboxAdd>),
    /// List mailboxes.
    List,
    /// Try the IMAP and SMTP connections of a mailbox.
    Test { name: String },
}

#[derive(Debug, Args)]
pub struct MailboxAdd {
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub imap_host: String,
    #[arg(long, default_value_t = 993)]
    pub imap_port: u16,
    /// tls, starttls or none.
    #[arg(long, default_value = "tls")]
    pub imap_tls: crate::config::TlsMode,
    #[arg(long)]
    pub imap_user: String,
    #[arg(long, env = "MAILBOX_IMAP_PASSWORD", hide_env_values = true)]
    pub imap_password: String,
    #[arg(long, default_value = "INBOX")]
    pub folder: String,
    /// Move processed mail here instead of marking it seen.
    #[arg(long)]
    pub processed_folder: Option<String>,
    #[arg(long)]
    pub smtp_host: String,
    #[arg(long, default_value_t = 587)]
    pub smtp_port: u16,
    #[arg(long, default_value = "starttls")]
    pub smtp_tls: crate::config::TlsMode,
    #[arg(long)]
    pub smtp_user: Option<String>,
    #[arg(long, env = "MAILBOX_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
    /// An address this mailbox receives for. Repeatable.
    #[arg(long = "address", value_name = "EMAIL")]
    pub addresses: Vec<String>,
    /// The department of mail that names no department address.
    #[arg(long, value_name = "SLUG")]
    pub department: String,
    /// Import the mail already in the folder (without acknowledgements)
    /// instead of starting with new mail only.
    #[arg(long)]
    pub import_existing: bool,
    /// Poll instead of using IMAP IDLE.
    #[arg(long)]
    pub no_idle: bool,
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
    /// Set a department's managers and business-hours calendar.
    Set(sla::DepartmentSet),
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
/// Where the Debian package puts the binary and its configuration.
const PACKAGED_BIN: &str = "/usr/bin/bilet";
const PACKAGED_CONFIG: &str = "/etc/bilet/config.toml";
const PACKAGED_USER: &str = "bilet";

/// Whether this is the packaged binary with its configuration in place.
pub fn packaged() -> bool {
    std::env::current_exe().is_ok_and(|e| e == std::path::Path::new(PACKAGED_BIN))
        && std::path::Path::new(PACKAGED_CONFIG).is_file()
}

/// Under the package, root must not create files the service cannot
/// read: the exact line to run instead, when root runs it.
pub fn packaged_as_root() -> Option<String> {
    if !packaged() || !nix::unistd::geteuid().is_root() {
        return None;
    }
    nix::unistd::User::from_name(PACKAGED_USER).ok().flatten()?;
    let args: Vec<String> = std::env::args()
        .skip(1)
        .map(|a| {
            match a
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,".contains(c))
            {
                true => a,
                false => format!("'{}'", a.replace('\'', "'\\''")),
            }
        })
        .collect();
    Some(format!(
        "sudo -u {PACKAGED_USER} {PACKAGED_BIN} {}",
        args.join(" ")
    ))
}

pub fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    // The packaged binary reads the package's file unless told otherwise.
    let file = cli
        .config
        .clone()
        .or_else(|| packaged().then(|| PathBuf::from(PACKAGED_CONFIG)));
    let mut config = Config::load(file.as_deref())?;
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
    // A restore makes its data folder and database; nothing to open first.
    if let Command::Restore { from } = &command {
        let m = service::backup::restore(&config, from).await?;
        println!(
            "restored the backup of {} ({} files) into {}",
            m.created_at,
            m.files.len(),
            config.data_dir.display()
        );
        return Ok(());
    }
    let db = match Database::open_for_cli(&config).await {
        Ok(db) => db,
        Err(err) if matches!(command, Command::Doctor) => {
            println!("FAIL database: {err:#}: check database.url, or start `bilet serve` once");
            anyhow::bail!("1 problem found");
        }
        Err(err) => return Err(err),
    };
    let result = run_with(&db, command).await;
    let closed = db.close().await;
    result.and(closed)
}

async fn run_with(db: &Database, command: Command) -> anyhow::Result<()> {
    // Commands that act like the server (ingest, mailboxes) need its state.
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
            let hasher =
                service::accounts::hasher::Hasher::new(0, std::time::Duration::from_secs(60));
            let (_, password) = service::accounts::create_account(
                pool,
                &hasher,
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
            service::catalog::departments::create(
                pool,
                None,
                service::catalog::departments::NewDepartment {
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
        Command::Department(DepartmentCommand::Set(set)) => {
            return sla::department_set(pool, set).await;
        }
        Command::Calendar(command) => return sla::calendar(pool, command).await,
        Command::Sla(command) => return sla::sla(pool, command).await,
        Command::Mail(MailCommand::Ingest(ingest)) => return mail_ingest(db, ingest).await,
        Command::Token(command) => {
            let app = app_state(db)?;
            return token::run(&app, command).await;
        }
        Command::Webhook(command) => {
            let app = app_state(db)?;
            return webhook::run(&app, command).await;
        }
        Command::Search(args) => {
            let app = app_state(db)?;
            return search::run(&app, args).await;
        }
        Command::Customer(command) => {
            let app = app_state(db)?;
            return customer::run(&app, command).await;
        }
        Command::Blobs(command) => {
            let app = app_state(db)?;
            return blobs::run(&app, command).await;
        }
        Command::Dev(command) => {
            let app = app_state(db)?;
            return dev::run(&app, command).await;
        }
        Command::Backup { to } => {
            let app = app_state(db)?;
            let m = service::backup::backup(&app, &to).await?;
            let bytes: u64 = m.files.iter().map(|f| f.size).sum();
            println!(
                "backup written to {}: {} files, {} bytes",
                to.display(),
                m.files.len(),
                bytes
            );
        }
        Command::Restore { .. } => unreachable!("restore is handled before the database opens"),
        Command::Doctor => {
            let app = app_state(db)?;
            let findings = service::doctor::run(&app).await;
            for f in &findings {
                println!(
                    "{:<4} {}: {}",
                    if f.ok { "ok" } else { "FAIL" },
                    f.what,
                    f.detail
                );
            }
            let problems = findings.iter().filter(|f| !f.ok).count();
            if problems > 0 {
                anyhow::bail!("{problems} problem(s) found");
            }
        }
        Command::Journal => {
            let app = app_state(db)?;
            let readers = service::journal::positions(&app).await.map_err(explain)?;
            if readers.is_empty() {
                println!("no journal reader has read anything yet");
            }
            for r in readers {
                println!(
                    "{:<16} {:<32} {} behind (position saved {})",
                    r.reader, r.node, r.behind, r.updated_at
                );
            }
        }
        Command::Ticket(TicketCommand::Show {
            json,
            viewer,
            number,
        }) => {
            let number = number
                .trim_start_matches('#')
                .parse()
                .map_err(|_| anyhow::anyhow!("not a ticket number: {number}"))?;
            let value = match viewer {
                Some(email) => {
                    service::tickets::representation::ticket_json_as(pool, &email, number)
                        .await
                        .map_err(explain)?
                }
                None => service::tickets::representation::ticket_json(pool, number)
                    .await
                    .map_err(explain)?,
            };
            let value = serde_json::to_value(&value)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                println!(
                    "#{} {} [{}]",
                    value["number"].as_str().unwrap_or(""),
                    value["subject"].as_str().unwrap_or(""),
                    value["status"].as_str().unwrap_or("")
                );
                for m in value["messages"].as_array().into_iter().flatten() {
                    println!(
                        "\n-- {} {} {}\n{}",
                        m["created_at"].as_str().unwrap_or(""),
                        m["kind"].as_str().unwrap_or(""),
                        m["author"]["email"].as_str().unwrap_or(""),
                        m["body_text"].as_str().unwrap_or("")
                    );
                }
            }
        }
        Command::Mailbox(MailboxCommand::Add(add)) => {
            let app = app_state(db)?;
            let id = service::mail::mailboxes::add(&app, None, mailbox_input(*add))
                .await
                .map_err(explain)?;
            println!("mailbox added ({id})");
        }
        Command::Mailbox(MailboxCommand::List) => {
            for m in service::mail::mailboxes::list(pool)
                .await
                .map_err(explain)?
            {
                println!(
                    "{}\t{}@{}:{}\t{}\t{}",
                    m.name,
                    m.imap_user,
                    m.imap_host,
                    m.imap_port,
                    m.addresses.join(","),
                    m.last_error.unwrap_or_default()
                );
            }
        }
        Command::Mailbox(MailboxCommand::Test { name }) => {
            let app = app_state(db)?;
            let result = service::mail::mailboxes::test_by_name(&app, &name)
                .await
                .map_err(explain)?;
            println!("IMAP: {}", result.imap);
            println!("SMTP: {}", result.smtp);
            if !result.ok {
                anyhow::bail!("the connection test failed");
            }
        }
        Command::Department(DepartmentCommand::List) => {
            let departments = service::catalog::departments::list(pool)
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

fn mailbox_input(add: MailboxAdd) -> service::mail::mailboxes::MailboxInput {
    service::mail::mailboxes::MailboxInput {
        name: add.name,
        imap_host: add.imap_host,
        imap_port: add.imap_port,
        imap_tls: add.imap_tls,
        imap_user: add.imap_user,
        imap_password: add.imap_password,
        folder: add.folder,
        processed_folder: add.processed_folder,
        smtp_host: add.smtp_host,
        smtp_port: add.smtp_port,
        smtp_tls: add.smtp_tls,
        smtp_user: add.smtp_user,
        smtp_password: add.smtp_password,
        addresses: add.addresses,
        department: add.department,
        import_existing: add.import_existing,
        use_idle: !add.no_idle,
    }
}

/// The state CLI commands that act like the server need.
fn app_state(db: &Database) -> anyhow::Result<crate::state::AppState> {
    let config = db.config.clone();
    std::fs::create_dir_all(&config.data_dir)?;
    let secrets = crate::secrets::Secrets::load_or_create(&config.secrets, &config.data_dir)?;
    crate::state::AppState::new(
        db.pool.clone(),
        config,
        secrets,
        tokio_util::sync::CancellationToken::new(),
    )
}

async fn mail_ingest(db: &Database, args: MailIngest) -> anyhow::Result<()> {
    let app = app_state(db)?;
    service::catalog::settings::reload(&app.settings, &app.db, &app.config)
        .await
        .map_err(explain)?;
    if args.is_pipe() {
        return pipe::ingest(&app, args.to.as_deref()).await;
    }
    let mut failed = 0;
    for file in &args.files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let messages = if crate::mail::mbox::is_mbox(&bytes) {
            crate::mail::mbox::split(&bytes)
        } else {
            vec![bytes]
        };
        let many = messages.len() > 1 || crate::mail::mbox::is_mbox(&messages[0]);
        for (i, raw) in messages.iter().enumerate() {
            let source = if many {
                format!("{}#{}", file.display(), i + 1)
            } else {
                file.display().to_string()
            };
            let env = service::mail::Envelope {
                recipient: args.to.as_deref().and_then(crate::domain::email::normalize),
                notify: !args.no_notify,
                ..service::mail::Envelope::default()
            };
            let report = service::mail::ingest(&app, raw, &env).await;
            if report.outcome == "failed" {
                failed += 1;
            }
            if args.json {
                let mut line = serde_json::to_value(&report)?;
                line["source"] = serde_json::Value::String(source);
                println!("{line}");
            } else {
                println!(
                    "{source}: {} {}{}",
                    report.outcome,
                    report
                        .ticket
                        .as_deref()
                        .map(|t| format!("#{t}"))
                        .unwrap_or_default(),
                    report.reason.map(|r| format!(" ({r})")).unwrap_or_default()
                );
            }
        }
    }
    if failed > 0 {
        anyhow::bail!(
            "{failed} message(s) failed; they are quarantined and listed in the admin console"
        );
    }
    Ok(())
}
