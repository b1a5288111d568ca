//! `bilet webhook`: subscriptions and their deliveries. Parsing and
//! printing only; the rules are in `service::webhooks`.

use clap::{Args, Subcommand};

use crate::service;
use crate::state::AppState;

#[derive(Debug, Subcommand)]
pub enum WebhookCommand {
    /// Subscribe a URL; its signing secret is printed once.
    Add(WebhookAdd),
    /// List subscriptions (never their secrets).
    List,
    /// Remove a subscription; nothing more is sent to it.
    Remove { id: i64 },
    /// Enable a subscription Bilet disabled.
    Enable { id: i64 },
    /// A subscription's latest deliveries, newest first.
    Deliveries {
        id: i64,
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Send a sent or dead delivery again.
    Resend { id: i64, delivery: i64 },
}

#[derive(Debug, Args)]
pub struct WebhookAdd {
    #[arg(long)]
    pub url: String,
    /// Comma-separated: ticket.created, message.added, status.changed,
    /// ticket.assigned, ticket.transferred, ticket.escalated, ticket.rated;
    /// or * for all.
    #[arg(long)]
    pub events: String,
    /// Only this department's tickets.
    #[arg(long, value_name = "SLUG")]
    pub department: Option<String>,
    /// Allow private, loopback and link-local target addresses.
    #[arg(long)]
    pub allow_private: bool,
}

pub async fn run(app: &AppState, command: WebhookCommand) -> anyhow::Result<()> {
    let not_found = |id: i64| {
        move |e| match e {
            service::Error::NotFound => anyhow::anyhow!("no webhook {id}"),
            other => super::explain(other),
        }
    };
    match command {
        WebhookCommand::Add(a) => {
            let spec = service::webhooks::Spec {
                url: a.url,
                events: a.events,
                department: a.department,
                allow_private: a.allow_private,
                created_by: None,
            };
            let (row, secret) = service::webhooks::add(app, spec)
                .await
                .map_err(super::explain)?;
            eprintln!(
                "webhook {} made for {}; its signing secret is shown this once:",
                row.id, row.url
            );
            println!("{secret}");
        }
        WebhookCommand::List => {
            for w in service::webhooks::list(app).await? {
                let state = if w.enabled {
                    "enabled".to_string()
                } else {
                    format!("disabled ({})", w.disabled_reason.as_deref().unwrap_or("?"))
                };
                println!(
                    "{}\t{}\t{}\t{}\t{state}\t{} waiting\t{} dead",
                    w.id,
                    w.url,
                    w.events.join(","),
                    w.department.as_deref().unwrap_or("all departments"),
                    w.pending,
                    w.dead
                );
            }
        }
        WebhookCommand::Remove { id } => {
            service::webhooks::remove(app, id, None)
                .await
                .map_err(not_found(id))?;
            println!("webhook {id} removed");
        }
        WebhookCommand::Enable { id } => {
            service::webhooks::enable(app, id, None)
                .await
                .map_err(not_found(id))?;
            println!("webhook {id} enabled");
        }
        WebhookCommand::Deliveries { id, limit } => {
            let (_, rows) = service::webhooks::history(app, id, None, limit.clamp(1, 500))
                .await
                .map_err(not_found(id))?;
            for d in rows {
                let answer = match (d.last_code, &d.last_error) {
                    (Some(code), _) => format!("HTTP {code}"),
                    (None, Some(e)) => e.clone(),
                    (None, None) => "not tried yet".into(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{} attempts\t{answer}",
                    d.id,
                    d.event,
                    d.number.map(|n| n.to_string()).unwrap_or_default(),
                    d.status.as_str(),
                    d.attempts
                );
            }
        }
        WebhookCommand::Resend { id, delivery } => {
            let copy = service::webhooks::resend(app, id, delivery)
                .await
                .map_err(not_found(id))?;
            println!("delivery {delivery} queued again as {copy}");
        }
    }
    Ok(())
}
