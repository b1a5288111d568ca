//! Speed of the hot paths on a large helpdesk: `make bench` (or
//! `tests/env/with-services cargo bench --bench queue`). Seeds
//! BENCH_TICKETS tickets (default 200 000, 2 000 under `cargo test`; try
//! 1 000 000) into a fresh database, then times the queries agents and
//! customers run all day, and prints their plans. Figures go to stdout; nothing is asserted on time.

use std::time::{Duration, Instant};

use bilet::domain::access::{AccessLevel, Scope, Viewer, scope};
use bilet::domain::ids::{DepartmentId, UserId};
use bilet::domain::queue::{Builtin, Filter};
use bilet::domain::users::Role;
use bilet::store;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgPool};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn time<F, Fut, T>(name: &str, runs: usize, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    f().await; // warm the cache and the prepared statement
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f().await;
        samples.push(started.elapsed());
    }
    let p95 = {
        let mut s = samples.clone();
        s.sort();
        s[(s.len() * 95 / 100).min(s.len() - 1)]
    };
    println!(
        "{name:<48} median {:>8.2} ms   p95 {:>8.2} ms",
        median(samples).as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3
    );
}

async fn seed(db: &PgPool, tickets: i64) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut tx = db.begin().await?;
    sqlx::query(
        "insert into departments (id, slug, name) select gen_random_uuid(), 'dept-' || g, 'Department ' || g \
         from generate_series(1, 10) g",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into users (id, role, name) select gen_random_uuid(), 'customer', 'Customer ' || g from generate_series(1, 20000) g",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into user_emails (id, user_id, email, is_primary) \
         select gen_random_uuid(), id, 'c' || row_number() over () || '@example.com', true from users",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "with d as (select array_agg(id) ids from departments), u as (select array_agg(id) ids from users) \
         insert into tickets (id, subject, department_id, requester_id, status, priority, last_activity_at, created_at, last_message_kind) \
         select gen_random_uuid(), 'Ticket ' || g || ' about server ' || (g % 977), \
                d.ids[1 + (g % 10)], u.ids[1 + (g % 20000)], \
                (array['open','pending','resolved','closed']::ticket_status[])[1 + (g % 4)], \
                (array['low','normal','normal','high','urgent']::ticket_priority[])[1 + (g % 5)], \
                now() - make_interval(secs => (g * 7) % 31536000), now() - make_interval(secs => (g * 7) % 31536000 + 3600), \
                (array['customer','agent']::message_kind[])[1 + (g % 2)] \
         from generate_series(1, $1) g, d, u",
    )
    .bind(tickets)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into messages (id, ticket_id, kind, source, author_id, body_text, created_at) \
         select gen_random_uuid(), t.id, 'customer', 'email', t.requester_id, \
                'The server ' || t.number || ' answers 502 since this morning; traceroute attached.', t.created_at from tickets t",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    // A bulk load bypasses the write path, so the counts are rebuilt.
    let mut rebuild = db.begin().await?;
    store::counts::rebuild(&mut rebuild).await?;
    rebuild.commit().await?;
    sqlx::query("analyze").execute(db).await?;
    println!(
        "seeded {tickets} tickets with one message each in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn explain(db: &PgPool, name: &str, sql: &str) -> anyhow::Result<()> {
    let plan: Vec<String> = sqlx::query_scalar(&format!(
        "explain (analyze, buffers off, costs off, timing off, summary on) {sql}"
    ))
    .fetch_all(db)
    .await?;
    println!("\n-- plan: {name}");
    for line in plan {
        println!("   {line}");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| anyhow::anyhow!("run through tests/env/with-services (DATABASE_URL)"))?;
    let tickets: i64 = std::env::var("BENCH_TICKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        // `cargo test --all-targets` runs this without `--bench`: a small
        // seed keeps it a quick check that every timed query still runs.
        .unwrap_or(if std::env::args().any(|a| a == "--bench") {
            200_000
        } else {
            2_000
        });
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&url).await?;
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await?;
    let db_url = url.replacen("/postgres?", &format!("/{name}?"), 1);
    let db = PgPoolOptions::new()
        .max_connections(4)
        .connect(&db_url)
        .await?;
    bilet::database::MIGRATOR.run(&db).await?;
    seed(&db, tickets).await?;

    let department: DepartmentId =
        sqlx::query_scalar("select id from departments order by slug limit 1")
            .fetch_one(&db)
            .await?;
    let agent = UserId::new();
    sqlx::query("insert into users (id, role, name) values ($1, 'agent', 'Agent')")
        .bind(agent)
        .execute(&db)
        .await?;
    sqlx::query("insert into agent_departments (user_id, department_id, level) select $1, id, 'manage' from departments where slug in ('dept-1', 'dept-2', 'dept-3')")
        .bind(agent)
        .execute(&db)
        .await?;
    let viewer = Viewer {
        user_id: agent,
        role: Role::Agent,
        organisation_id: None,
        disabled: false,
        mail_proven: true,
        narrowing: None,
    };
    let agent_scope = scope(&viewer, AccessLevel::Read);

    println!();
    let unassigned = Builtin::Unassigned.filter();
    time("queue: unassigned in my departments, page 1", 50, || {
        store::queue::page(&db, agent_scope, agent, &unassigned, None, 50)
    })
    .await;
    let page = store::queue::page(&db, agent_scope, agent, &unassigned, None, 50).await?;
    let last = page.last().map(|r| store::queue::Cursor {
        at: r.last_activity_at,
        id: r.id,
    });
    time("queue: unassigned, next page (keyset)", 50, || {
        store::queue::page(&db, agent_scope, agent, &unassigned, last, 50)
    })
    .await;
    let one_dept = Filter {
        department: Some(department),
        statuses: vec![bilet::domain::status::Status::Open],
        ..Filter::default()
    };
    time("queue: one department, open, page 1", 50, || {
        store::queue::page(&db, agent_scope, agent, &one_dept, None, 50)
    })
    .await;
    let text = Filter {
        text: Some("server 42 ".into()),
        ..Filter::default()
    };
    time("queue: text search (ILIKE, before tantivy)", 10, || {
        store::queue::page(&db, agent_scope, agent, &text, None, 50)
    })
    .await;
    let counted = [store::queue::CountOf::Counter(&unassigned)];
    time("count: unassigned in my departments (counters)", 50, || {
        store::queue::counts(&db, agent_scope, agent, &counted)
    })
    .await;
    let closed = Builtin::RecentlyClosed.filter();
    let capped = [store::queue::CountOf::Capped(&closed)];
    time("count: recently closed (index-backed, capped)", 50, || {
        store::queue::counts(&db, agent_scope, agent, &capped)
    })
    .await;
    let every = [
        store::queue::CountOf::Counter(&Builtin::MineOpen.filter()),
        store::queue::CountOf::Counter(&unassigned),
        store::queue::CountOf::Counter(&Builtin::Waiting.filter()),
        store::queue::CountOf::Capped(&closed),
    ];
    time("count: every workspace tab, one statement", 50, || {
        store::queue::counts(&db, agent_scope, agent, &every)
    })
    .await;
    let all = Filter::default();
    time("admin: all tickets, page 1", 50, || {
        store::queue::page(&db, Scope::All, agent, &all, None, 50)
    })
    .await;

    let customer: UserId =
        sqlx::query_scalar("select id from users where role = 'customer' limit 1")
            .fetch_one(&db)
            .await?;
    let customer_scope = Scope::Customer {
        user: customer,
        organisation: None,
        mail_proven: true,
    };
    time("portal: my tickets, page 1", 50, || {
        store::tickets::list_page(&db, customer_scope, None, None, 25)
    })
    .await;
    let number: bilet::domain::ids::TicketNumber =
        sqlx::query_scalar("select number from tickets order by random() limit 1")
            .fetch_one(&db)
            .await?;
    time("ticket page: header, messages with files", 50, || async {
        let target = store::tickets::Target::Number(number);
        let t = store::ticket_views::detail(&db, &viewer, Scope::All, target)
            .await
            .expect("detail")
            .expect("ticket");
        store::ticket_views::timeline(&db, Scope::All, t.id)
            .await
            .expect("messages");
    })
    .await;

    explain(
        &db,
        "unassigned queue",
        &format!(
            "select t.id from tickets t where t.merged_into_id is null and exists (select 1 from agent_departments ad \
             where ad.department_id = t.department_id and ad.user_id = '{agent}' and ad.level >= 'read') \
             and t.status = any(array['open','pending']::ticket_status[]) and t.assignee_id is null \
             order by t.last_activity_at desc, t.id desc limit 50"
        ),
    )
    .await?;
    explain(
        &db,
        "recently closed count (capped)",
        &format!(
            "select count(*) from (select 1 from tickets t where t.merged_into_id is null and exists (select 1 from agent_departments ad \
             where ad.department_id = t.department_id and ad.user_id = '{agent}' and ad.level >= 'read') \
             and t.status = any(array['resolved','closed']::ticket_status[]) \
             and t.last_activity_at > now() - make_interval(days => 7) limit 1000) x"
        ),
    )
    .await?;
    explain(&db, "portal list", &format!("select t.id from tickets t where t.requester_id = '{customer}' order by t.last_activity_at desc, t.id desc limit 25")).await?;

    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(peak) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!(
            "\npeak memory of the bench process: {}",
            peak.trim_start_matches("VmHWM:").trim()
        );
    }
    db.close().await;
    if std::env::var_os("BENCH_KEEP").is_some() {
        println!("kept database {name} (BENCH_KEEP)");
        return Ok(());
    }
    // The pool's backends may still be exiting after close(): force
    // ends them rather than racing them.
    sqlx::query(&format!("drop database {name} with (force)"))
        .execute(&mut admin)
        .await?;
    Ok(())
}
