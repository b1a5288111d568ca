//! Tickets: the one write path (write.rs, change.rs, post.rs, commit.rs),
//! the read model (view.rs, representation.rs), and the use cases of every
//! entry point built on them: the portal (portal.rs), the agent workspace
//! (agent.rs, bulk.rs), and the jobs (jobs.rs). The mail gateway writes
//! through the same `TicketWrite`.

pub mod agent;
pub mod bulk;
pub mod change;
pub mod commit;
pub mod erase;
pub mod escalation;
pub mod jobs;
pub mod portal;
pub mod post;
pub mod representation;
mod sla;
pub mod uploads;
pub mod view;
pub mod workspaces;
pub mod write;

pub use change::Change;
pub use commit::Committed;
pub use post::{MailFacts, NewFile, Post};
pub use write::{Actor, Applied, Expect, TicketWrite};
