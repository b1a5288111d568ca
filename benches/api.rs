//! The REST API under load: `make bench` (or `tests/env/with-services
//! cargo bench --bench api`). Starts `bilet serve` on a fresh database,
//! makes a token and a ticket with 20 messages through the API, then for
//! a fixed time at 1 and 16 concurrent clients: `POST /api/v1/tickets`
//! (a new ticket for one of 1,000 customers, acknowledgement mail queued
//! in the outbox) and `GET /api/v1/tickets/{n}` of the 20-message ticket,
//! each answer read to the last byte and checked (201 / 200); reads first,
//! and each creation run measured until the journal readers caught up. Reports
//! requests/s, p50/p95/p99, and CPU ms per request of the server process
//! and of PostgreSQL (every postgres process on the machine, from
//! /proc), measured over each run. Nothing is asserted on time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::json;
use sqlx::Connection;

#[path = "common/helpdesk.rs"]
mod helpdesk;
#[path = "common/load.rs"]
mod load;
use load::{cpu_of, percentiles, postgres_cpu};

#[derive(Clone, Copy)]
enum Call {
    Create,
    Get,
}

/// Waits until every journal reader has read the newest entry (at most a
/// minute); returns whether they did.
async fn settled(db: &sqlx::PgPool) -> anyhow::Result<bool> {
    for _ in 0..600 {
        let behind: i64 = sqlx::query_scalar(
            "select count(*) from journal_positions p \
             where (p.txid, p.seq) < (select txid, seq from ticket_journal order by txid desc, seq desc limit 1)",
        )
        .fetch_one(db)
        .await?;
        if behind == 0 {
            return Ok(true);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(false)
}

/// `clients` loops for `secs`, each sending one request after another;
/// with `settle`, the CPU is counted until the journal readers caught up.
#[allow(clippy::too_many_arguments)]
async fn load(
    base: &str,
    token: &str,
    number: &str,
    call: Call,
    clients: usize,
    secs: u64,
    server: u32,
    settle: Option<&sqlx::PgPool>,
) -> anyhow::Result<String> {
    let seq = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (cpu0, pg0) = (cpu_of(server), postgres_cpu());
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (base, token, number, seq) = (base.to_string(), token.to_string(), number.to_string(), seq.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut samples = Vec::new();
                while Instant::now() < deadline {
                    let n = seq.fetch_add(1, Ordering::Relaxed);
                    let t = Instant::now();
                    let (want, res) = match call {
                        Call::Create => (
                            201,
                            client
                                .post(format!("{base}/api/v1/tickets"))
                                .bearer_auth(&token)
                                .json(&json!({
                                    "customer_email": format!("customer-{}@example.com", n % 1000),
                                    "department": "tech",
                                    "subject": format!("Сайт не открывается {n}"),
                                    "body": "После обновления сайт отдаёт 502. Логи nginx ниже.\n\nupstream timed out (110: Connection timed out)",
                                }))
                                .send()
                                .await?,
                        ),
                        Call::Get => (
                            200,
                            client
                                .get(format!("{base}/api/v1/tickets/{number}"))
                                .bearer_auth(&token)
                                .send()
                                .await?,
                        ),
                    };
                    let status = res.status().as_u16();
                    let body = res.bytes().await?;
                    anyhow::ensure!(status == want, "{status}: {}", String::from_utf8_lossy(&body));
                    samples.push(t.elapsed());
                }
                anyhow::Ok(samples)
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let took = started.elapsed().as_secs_f64();
    let caught_up = match settle {
        Some(db) => {
            let t = Instant::now();
            let done = settled(db).await?;
            format!(
                ", readers caught up {} s after the run{}",
                t.elapsed().as_secs(),
                if done { "" } else { " (NOT within a minute)" }
            )
        }
        None => String::new(),
    };
    let (cpu, pg) = (cpu_of(server) - cpu0, postgres_cpu() - pg0);
    let n = all.len() as f64;
    Ok(format!(
        "{:>2} clients: {:>6.0} req/s  {}  CPU/request: server {:.2} ms + PostgreSQL {:.2} ms  ({} requests{caught_up})",
        clients,
        n / took,
        percentiles(&mut all),
        cpu * 1e3 / n,
        pg * 1e3 / n,
        all.len()
    ))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bilet::use_ring_for_tls();
    // `cargo test --all-targets` runs this without `--bench`: a short run.
    let secs = if std::env::args().any(|a| a == "--bench") {
        15
    } else {
        1
    };
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| anyhow::anyhow!("run through tests/env/with-services (DATABASE_URL)"))?;
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&url).await?;
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await?;
    let db_url = url.replacen("/postgres?", &format!("/{name}?"), 1);
    let result = run(&db_url, secs).await;
    sqlx::query(&format!("drop database {name} with (force)"))
        .execute(&mut admin)
        .await?;
    result
}

async fn run(db_url: &str, secs: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )?;
    let key = |seed: u8| base64::engine::general_purpose::STANDARD.encode([seed; 32]);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
        .args(["--data-dir", &dir.path().to_string_lossy()])
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", db_url)
        .env("BILET_LOG__FILTER", "error")
        .env("BILET_API__REQUESTS_PER_MINUTE", "100000000")
        .env("BILET_API__BURST", "1000000")
        .env("BILET_SECRETS__SESSION_KEY", key(1))
        .env("BILET_SECRETS__MESSAGE_ID_KEY", key(2))
        .env("BILET_SECRETS__MAILBOX_KEY", key(3))
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().ok_or_else(|| anyhow::anyhow!("no pid"))?;
    let base = helpdesk::listening(&mut child).await?;

    // The token and the department, made with the server's keys.
    let db = sqlx::PgPool::connect(db_url).await?;
    let state = bilet::state::AppState::new(
        db.clone(),
        bilet::config::Config::for_tests(dir.path()),
        bilet::secrets::Secrets::for_tests(),
        tokio_util::sync::CancellationToken::new(),
    )?;
    bilet::service::catalog::departments::create(
        &db,
        None,
        bilet::service::catalog::departments::NewDepartment {
            slug: "tech".into(),
            name: "Tech".into(),
            addresses: vec!["tech@support.example.com".into()],
            signature: String::new(),
        },
    )
    .await?;
    let (token, _) = bilet::service::tokens::create(
        &state,
        bilet::service::tokens::Spec {
            name: "bench".into(),
            ..Default::default()
        },
    )
    .await?;
    let client = reqwest::Client::new();
    let first: serde_json::Value = client
        .post(format!("{base}/api/v1/tickets"))
        .bearer_auth(&token)
        .json(
            &json!({"customer_email": "olga@example.com", "department": "tech",
                      "subject": "Двадцать сообщений", "body": "Первое сообщение."}),
        )
        .send()
        .await?
        .json()
        .await?;
    let number = first["number"].as_str().unwrap_or_default().to_string();
    for i in 1..20 {
        let path = if i % 2 == 1 { "replies" } else { "notes" };
        let r = client
            .post(format!("{base}/api/v1/tickets/{number}/{path}"))
            .bearer_auth(&token)
            .json(&json!({"body": format!("Сообщение {i}: проверьте, пожалуйста, настройки DNS и сертификат.")}))
            .send()
            .await?;
        anyhow::ensure!(r.status() == 201, "message {i}: {}", r.status());
    }
    let shown: serde_json::Value = client
        .get(format!("{base}/api/v1/tickets/{number}"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    let messages = shown["messages"].as_array().map_or(0, Vec::len);
    anyhow::ensure!(messages == 20, "the ticket has {messages} messages");

    println!(
        "\nmachine: {} cores; server: bilet serve (debug = {}), PostgreSQL from tests/env; {secs} s per run\n",
        std::thread::available_parallelism()?.get(),
        cfg!(debug_assertions)
    );
    // The reads first, on a quiet server; then the creations, each run
    // measured until the journal's readers (search index, statistics,
    // webhooks) have caught up with what it made: their work is part of
    // what a ticket costs.
    for clients in [1, 16] {
        let line = load(&base, &token, &number, Call::Get, clients, secs, pid, None).await?;
        println!("GET /api/v1/tickets/N (20)  {line}");
    }
    for clients in [1, 16] {
        let line = load(
            &base,
            &token,
            &number,
            Call::Create,
            clients,
            secs,
            pid,
            Some(&db),
        )
        .await?;
        println!("POST /api/v1/tickets        {line}");
    }
    let outbox: i64 = sqlx::query_scalar("select count(*) from outbox")
        .fetch_one(&db)
        .await?;
    let tickets: i64 = sqlx::query_scalar("select count(*) from tickets")
        .fetch_one(&db)
        .await?;
    println!("\n{tickets} tickets made, {outbox} mails in the outbox");
    let _ = child.kill().await;
    Ok(())
}
