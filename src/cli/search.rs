//! `bilet search`: run a query as someone, see the index's state, rebuild it.

use std::time::Duration;

use clap::{Args, Subcommand};
use sqlx::postgres::PgListener;

use crate::domain::queue::Filter;
use crate::events::{self, CHANNEL, Event};
use crate::search::find::Sort;
use crate::service;
use crate::state::AppState;
use crate::store;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SearchArgs {
    #[command(subcommand)]
    pub action: Option<SearchAction>,
    /// Search as this person, with their access (their address).
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: Option<String>,
    /// Print the hits as JSON lines.
    #[arg(long)]
    pub json: bool,
    /// The query, in the search box's language.
    pub query: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum SearchAction {
    /// The index's journal position, lag and document count on this node.
    Status,
    /// Rebuild this node's index from PostgreSQL (the old one serves
    /// until the new one is complete).
    Reindex,
}

pub async fn run(app: &AppState, args: SearchArgs) -> anyhow::Result<()> {
    match args.action {
        Some(SearchAction::Status) => status(app).await,
        Some(SearchAction::Reindex) => reindex(app).await,
        None => query(app, args).await,
    }
}

async fn status(app: &AppState) -> anyhow::Result<()> {
    // Looking must not create: the server makes the index.
    if crate::search::index::Folders::new(&app.config.data_dir)
        .current()
        .is_none()
    {
        println!("no search index on this node yet (the server builds it when it starts)");
        return Ok(());
    }
    let handle = app.search.handle()?;
    let live = handle.live();
    let at = live.position();
    let lag = store::journal::lag_after(&app.db, at).await?;
    println!("position   {}/{}", at.txid, at.seq);
    println!("lag        {} entries", lag.entries);
    println!("documents  {}", live.documents());
    println!("folder     {}", live.folder.display());
    if handle.is_incomplete() {
        println!("state      being built (not complete yet)");
    }
    Ok(())
}

async fn reindex(app: &AppState) -> anyhow::Result<()> {
    // A running server on this node holds the index: ask it, and wait.
    let mut listener = PgListener::connect_with(&app.db).await?;
    listener.listen(CHANNEL).await?;
    let node = app.node.to_string();
    events::publish(&app.db, &Event::SearchReindex { node: node.clone() }).await?;
    let mut started = false;
    loop {
        let wait = if started {
            Duration::from_secs(3600)
        } else {
            Duration::from_secs(5)
        };
        let Ok(note) = tokio::time::timeout(wait, listener.recv()).await else {
            break;
        };
        match serde_json::from_str::<Event>(note?.payload()) {
            Ok(Event::SearchReindexStarted { node: n }) if n == node => {
                started = true;
                println!("the server on node {node} is rebuilding its index");
            }
            Ok(Event::SearchRebuilt { node: n, tickets }) if n == node => {
                println!("rebuilt: {tickets} tickets indexed");
                return Ok(());
            }
            _ => {}
        }
    }
    if started {
        anyhow::bail!("the server did not finish the rebuild within an hour");
    }
    // No server answered: this process rebuilds the index itself.
    let tickets = crate::search::indexer::rebuild(&app.search, &app.db, &app.node).await?;
    println!("rebuilt: {tickets} tickets indexed");
    Ok(())
}

async fn query(app: &AppState, args: SearchArgs) -> anyhow::Result<()> {
    let email = args
        .as_user
        .ok_or_else(|| anyhow::anyhow!("say whose access to search with: --as EMAIL"))?;
    let user = store::users::find_by_email(&app.db, &email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no one has the address {email}"))?;
    let text = args.query.join(" ");
    let found = service::search::tickets(
        app,
        &user,
        &text,
        &Filter::default(),
        Sort::Relevance {
            offset: 0,
            pinned: None,
        },
        50,
    )
    .await
    .map_err(super::explain)?;
    let mut scores = found.scores;
    for row in &found.rows {
        let snippet: String = found
            .snippets
            .get(&row.id)
            .map(|parts| {
                parts
                    .iter()
                    .map(|(t, marked)| if *marked { format!("[{t}]") } else { t.clone() })
                    .collect()
            })
            .unwrap_or_default();
        let score = scores.remove(&row.id).unwrap_or_default();
        if args.json {
            println!(
                "{}",
                serde_json::json!({
                    "number": row.number.0, "subject": row.subject,
                    "department": row.department_name, "score": score, "snippet": snippet,
                })
            );
        } else {
            println!(
                "#{:<8} {:<40} {:<16} {:>6.2}  {}",
                row.number.0, row.subject, row.department_name, score, snippet
            );
        }
    }
    if !args.json {
        println!("{} found", found.total);
    }
    Ok(())
}
