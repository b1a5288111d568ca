//! `bilet dev`: tools for developers and trials.

use clap::Subcommand;

use crate::service::seed;
use crate::state::AppState;

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Fill a new, empty database with a large realistic helpdesk (10
    /// departments, 50 agents, 100 000 customers, N tickets with threads of
    /// 1 to 40 messages in four languages over three years). Refuses a
    /// database that holds departments, customers or tickets.
    Seed {
        #[arg(long, value_name = "N")]
        tickets: i64,
    },
}

pub async fn run(app: &AppState, command: DevCommand) -> anyhow::Result<()> {
    let DevCommand::Seed { tickets } = command;
    let done = seed::seed(app, tickets).await?;
    println!(
        "seeded {} tickets with {} messages in {:.1} s; counts and statistics rebuilt in {:.1} s",
        done.tickets,
        done.messages,
        done.fill.as_secs_f64(),
        done.rebuild.as_secs_f64()
    );
    println!(
        "agents agent1@seed.bilet.test … agent50@seed.bilet.test sign in with the password {}",
        seed::AGENT_PASSWORD
    );
    println!(
        "customers c1@client1.example … c100@client100.example sign in to the portal with the same password; \
         mail to SLUG@support.seed.bilet.test files into department SLUG"
    );
    println!("run `bilet search reindex` to make them searchable");
    Ok(())
}
