//! How soon a broken promise is acted on: `make bench` (or
//! `tests/env/with-services cargo bench --bench escalation`). Opens
//! BENCH_TICKETS tickets by mail through the real intake (default 500
//! under `--bench`, 20 under `cargo test`), moves their opening back so
//! that their first-response targets fall due one after another over the
//! next BENCH_SPREAD seconds (30, 3 under `cargo test`), recomputes the
//! department as a policy change would, and runs the escalation job and
//! the event listener as the server does. It waits until every ticket's
//! breach is recorded and reports the lateness of each (breach recorded
//! minus due moment): p50/p95/p99 and the worst. Nothing is asserted on
//! time; every ticket must be escalated exactly once.

use std::time::{Duration, Instant};

use bilet::config::Config;
use bilet::secrets::Secrets;
use bilet::state::AppState;
use sqlx::Connection;
use sqlx::postgres::PgPoolOptions;
use tokio_util::sync::CancellationToken;

fn env(name: &str, full: i64, quick: i64, is_full: bool) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if is_full { full } else { quick })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| anyhow::anyhow!("run through tests/env/with-services (DATABASE_URL)"))?;
    let full = std::env::args().any(|a| a == "--bench");
    let tickets = env("BENCH_TICKETS", 500, 20, full);
    let spread = env("BENCH_SPREAD", 30, 3, full);
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&url).await?;
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await?;
    let db_url = url.replacen("/postgres?", &format!("/{name}?"), 1);
    let result = run(&db_url, tickets, spread).await;
    sqlx::query(&format!("drop database {name} with (force)"))
        .execute(&mut admin)
        .await?;
    result
}

async fn run(db_url: &str, tickets: i64, spread: i64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = PgPoolOptions::new()
        .max_connections(20)
        .connect(db_url)
        .await?;
    bilet::database::MIGRATOR.run(&db).await?;
    let stop = CancellationToken::new();
    let app = AppState::new(
        db.clone(),
        Config::for_tests(dir.path()),
        Secrets::for_tests(),
        stop.clone(),
    )?;
    let tech = bilet::service::catalog::departments::create(
        &db,
        None,
        bilet::service::catalog::departments::NewDepartment {
            slug: "tech".into(),
            name: "Tech".into(),
            addresses: vec!["tech@support.test".into()],
            signature: String::new(),
        },
    )
    .await?;
    sqlx::query(
        "insert into sla_targets (department_id, priority, first_response, resolution) \
         values ($1, null, '1h', '5d')",
    )
    .bind(tech)
    .execute(&db)
    .await?;
    for i in 0..tickets {
        let raw = format!(
            "From: c{i}@client.test\r\nTo: tech@support.test\r\nSubject: Server {i} is down\r\n\
             Message-ID: <bench-{i}@client.test>\r\n\r\nIt answers 502.\r\n"
        );
        let report = bilet::service::mail::ingest(&app, raw.as_bytes(), &Default::default()).await;
        anyhow::ensure!(report.outcome == "created", "ticket {i}: {report:?}");
    }
    // Due one after another over the next `spread` seconds, from 2 s on.
    sqlx::query(
        "with o as (select id, row_number() over (order by number) - 1 as i from tickets) \
         update tickets t set created_at = now() - interval '1 hour' + interval '2 seconds' \
              + make_interval(secs => o.i * $1::float8 / greatest($2 - 1, 1)) \
         from o where o.id = t.id",
    )
    .bind(spread as f64)
    .bind(tickets)
    .execute(&db)
    .await?;
    tokio::spawn(app.events.clone().listen(db.clone(), stop.clone()));
    bilet::service::tickets::escalation::recompute(&app, tech).await?;
    let started = Instant::now();
    tokio::spawn(bilet::jobs::escalation::follow(app.clone(), stop.clone()));

    let ceiling = Duration::from_secs(spread as u64 + 120);
    loop {
        let done: i64 = sqlx::query_scalar(
            "select count(*) from sla_outcomes where target = 'first_response' and breached_at is not null",
        )
        .fetch_one(&db)
        .await?;
        if done >= tickets {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < ceiling,
            "only {done} of {tickets} escalated"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.cancel();
    let mut late: Vec<f64> = sqlx::query_scalar(
        "select extract(epoch from breached_at - due_at)::float8 from sla_outcomes \
         where target = 'first_response' and breached_at is not null",
    )
    .fetch_all(&db)
    .await?;
    let events: i64 =
        sqlx::query_scalar("select count(*) from ticket_history where change = 'sla_breach'")
            .fetch_one(&db)
            .await?;
    anyhow::ensure!(
        events == tickets,
        "{events} breach events for {tickets} tickets"
    );
    late.sort_by(f64::total_cmp);
    let at = |p: usize| late[(late.len() * p / 100).min(late.len() - 1)];
    println!(
        "machine: {} cores; {tickets} first-response breaches falling due over {spread} s",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "acted on after the due moment: p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms, worst {:.0} ms, earliest {:.0} ms",
        at(50) * 1e3,
        at(95) * 1e3,
        at(99) * 1e3,
        late[late.len() - 1] * 1e3,
        late[0] * 1e3
    );
    db.close().await;
    Ok(())
}
