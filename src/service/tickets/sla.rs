//! Service levels inside the write path. `refresh` runs in every commit
//! whose steps can move the clock: it recomputes the due times from the
//! department's policy and the ticket's clock, stores them on the ticket,
//! and records the promises (running, done) in `sla_outcomes`. `check` is
//! the escalation job's change: it claims each warning and breach whose
//! moment has come, exactly once, and records it as a step so the commit
//! tells the managers.

use serde_json::json;
use sqlx::PgConnection;

use super::change::{assign, set_priority, transfer};
use super::write::TicketWrite;
use crate::domain::business_time::{Calendar, from_time, to_time};
use crate::domain::journal::JournalKind;
use crate::domain::sla::{self, Policy};
use crate::domain::sla_clock::{self, Running, TargetKind};
use crate::domain::status::Status;
use crate::service::{Error, Result};
use crate::store;
use crate::store::history::NewHistory;
use crate::store::sla_outcomes::{Claim, Promise, Standing};

/// A warning or breach the commit must tell the managers about.
#[derive(Debug, Clone, Copy)]
pub(super) struct Escalation {
    pub claim: Claim,
    pub target: TargetKind,
    pub due: time::OffsetDateTime,
}

/// Whether a step of this kind can move a due time.
pub(super) fn moves_clock(kind: JournalKind) -> bool {
    !matches!(
        kind,
        JournalKind::Rated | JournalKind::Linked | JournalKind::Participant
    )
}

async fn policy(w: &TicketWrite<'_>, tx: &mut PgConnection) -> Result<(Policy, Calendar)> {
    match crate::service::sla::policy_for(&mut *tx, w.t.department_id, w.t.priority).await {
        Err(Error::NotFound) => Ok((Policy::default(), Calendar::always())),
        other => other,
    }
}

/// The running promises under the ticket's policy now.
fn promises(w: &TicketWrite<'_>, policy: &Policy, calendar: &Calendar) -> (sla::Due, Vec<Running>) {
    let t = &w.t;
    let done_at = matches!(t.status, Status::Resolved | Status::Closed)
        .then(|| t.resolved_at.or(t.closed_at).unwrap_or(w.now));
    let clock = t.sla.0.clock(t.created_at, t.first_response_at, done_at);
    let due = sla::due(policy, calendar, &clock);
    let running = sla_clock::running(&due, &clock);
    (due, running)
}

fn promise(r: &Running) -> Promise {
    Promise {
        target: r.target,
        started_at: to_time(r.started_at),
        due_at: to_time(r.due),
    }
}

fn standing(w: &TicketWrite<'_>) -> Standing {
    Standing {
        ticket: w.t.id,
        department: w.t.department_id,
        priority: w.t.priority,
    }
}

/// Recomputes and stores the due times; see the module comment.
pub(super) async fn refresh(w: &mut TicketWrite<'_>, tx: &mut PgConnection) -> Result<()> {
    let (policy, calendar) = policy(w, tx).await?;
    let (due, running) = promises(w, &policy, &calendar);
    let after = w.sla_checked.then(|| from_time(w.now));
    let t = &mut w.t;
    t.first_response_due_at = due.first_response.map(to_time);
    t.next_response_due_at = due.next_response.map(to_time);
    t.resolution_due_at = due.resolution.map(to_time);
    t.sla_due_at = running.iter().map(|r| to_time(r.due)).min();
    t.sla_next_at =
        sla_clock::next_look(&running, policy.warn_before, &calendar, after).map(to_time);

    let mut done = Vec::new();
    let agent = w.actor.user().filter(|u| u.role.is_staff()).map(|u| u.id);
    if let Some(b) = &w.before {
        let t = &w.t;
        if b.first_response_at.is_none() && t.first_response_at.is_some() {
            done.push(TargetKind::FirstResponse);
        }
        if b.sla.0.asked_at.is_some() && t.sla.0.asked_at.is_none() {
            done.push(TargetKind::NextResponse);
        }
        let finished = |s: Status| matches!(s, Status::Resolved | Status::Closed);
        // A resolution settles every promise still open.
        if !finished(b.status) && finished(t.status) {
            done = TargetKind::ALL.to_vec();
        }
    }
    if running.is_empty() && done.is_empty() {
        return Ok(());
    }
    // The resolution belongs to whoever held the ticket.
    let by = match done.as_slice() {
        [TargetKind::Resolution] => w.t.assignee_id.or(agent),
        _ => agent,
    };
    let running: Vec<Promise> = running.iter().map(promise).collect();
    store::sla_outcomes::record(&mut *tx, standing(w), &running, &done, by, w.now).await?;
    Ok(())
}

/// Claims what is due now and records each claim as a step (the job).
pub(super) async fn check(w: &mut TicketWrite<'_>, tx: &mut PgConnection) -> Result<()> {
    w.sla_checked = true;
    let (policy, calendar) = policy(w, tx).await?;
    let (_, running) = promises(w, &policy, &calendar);
    let now = from_time(w.now);
    let mut breached = false;
    for r in &running {
        let warn = sla_clock::warn_at(r, policy.warn_before, &calendar);
        let claims = [
            (Claim::Warning, warn.filter(|at| *at <= now && r.due > now)),
            (Claim::Breach, Some(r.due).filter(|at| *at <= now)),
        ];
        for (claim, _) in claims.iter().filter(|(_, at)| at.is_some()) {
            if !store::sla_outcomes::claim(&mut *tx, standing(w), promise(r), *claim, w.now).await?
            {
                continue;
            }
            record(w, *claim, r);
            breached |= *claim == Claim::Breach;
        }
    }
    if breached {
        act(w, tx).await?;
    }
    Ok(())
}

fn record(w: &mut TicketWrite<'_>, claim: Claim, r: &Running) {
    let (event, change) = match claim {
        Claim::Warning => ("warning", "sla_warning"),
        Claim::Breach => ("breach", "sla_breach"),
    };
    let due = to_time(r.due);
    let before = w.t.clone();
    w.step(
        JournalKind::Sla,
        before,
        None,
        json!({ "event": event, "target": r.target, "due": due.unix_timestamp() }),
        Some(NewHistory {
            ticket: w.t.id,
            change,
            detail: Some(r.target.as_str()),
            ..NewHistory::default()
        }),
    );
    w.escalations.push(Escalation {
        claim,
        target: r.target,
        due,
    });
}

/// The policy's actions on a breach: raise the priority, hand the ticket
/// to someone, move it. Each only when it changes something and is allowed.
async fn act(w: &mut TicketWrite<'_>, tx: &mut PgConnection) -> Result<()> {
    let Some(actions) =
        store::sla::breach_actions(&mut *tx, w.t.department_id, w.t.priority).await?
    else {
        return Ok(());
    };
    if let Some(p) = actions.priority
        && p > w.t.priority
    {
        set_priority(w, p);
    }
    if let Some(to) = actions.department
        && to != w.t.department_id
        && store::departments::find(&mut *tx, to).await?.is_some()
    {
        transfer(w, tx, to).await?;
    }
    if let Some(user) = actions.assignee
        && w.t.assignee_id != Some(user)
        && store::access::works_in_department(&mut *tx, user, w.t.department_id).await?
    {
        assign(w, Some(user));
    }
    Ok(())
}
