//! Memory under a sign-in flood: `make bench` (or `tests/env/with-services
//! cargo bench --bench signin`). Starts `bilet serve` on a fresh database,
//! sends 1,000 sign-ins for made-up addresses in bursts of 100 parallel
//! requests (each from its own client address, through a trusted proxy
//! header), times /healthz meanwhile, and reads the server's RSS at rest
//! afterwards. Fails when that RSS is above 60 MB: every sign-in hashes
//! 19 MiB, and the pool must give it back.

use std::time::{Duration, Instant};

#[path = "common/helpdesk.rs"]
mod helpdesk;

use base64::Engine;
use sqlx::Connection;

const LIMIT_KB: u64 = 60 * 1024;

fn kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

fn percentiles(mut v: Vec<Duration>) -> String {
    if v.is_empty() {
        return "no samples".into();
    }
    v.sort();
    let at = |p: usize| v[(v.len() * p / 100).min(v.len() - 1)].as_secs_f64() * 1e3;
    format!(
        "p50 {:>7.1} ms   p95 {:>7.1} ms   p99 {:>7.1} ms   ({} requests)",
        at(50),
        at(95),
        at(99),
        v.len()
    )
}

/// One made-up visitor: fetches the sign-in page for its CSRF token, then
/// signs in with an address nobody has. Returns the status and the time.
async fn attempt(base: String, ip: String, email: String) -> anyhow::Result<(u16, Duration)> {
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let page = client
        .get(format!("{base}/login"))
        .header("x-forwarded-for", &ip)
        .send()
        .await?
        .text()
        .await?;
    let csrf = scraper::Html::parse_document(&page)
        .select(&scraper::Selector::parse("input[name=csrf]").expect("selector"))
        .next()
        .and_then(|e| e.value().attr("value").map(str::to_string))
        .ok_or_else(|| anyhow::anyhow!("no CSRF field on /login"))?;
    let started = Instant::now();
    let res = client
        .post(format!("{base}/login"))
        .header("x-forwarded-for", &ip)
        .form(&[
            ("email", email.as_str()),
            ("password", "not the password"),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await?;
    Ok((res.status().as_u16(), started.elapsed()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bilet::use_ring_for_tls();
    // `cargo test --all-targets` runs this without `--bench`: a small run.
    let (bursts, size) = if std::env::args().any(|a| a == "--bench") {
        (10, 100)
    } else {
        (2, 20)
    };
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| anyhow::anyhow!("run through tests/env/with-services (DATABASE_URL)"))?;
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&url).await?;
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await?;
    let db_url = url.replacen("/postgres?", &format!("/{name}?"), 1);
    let result = run(&db_url, bursts, size).await;
    sqlx::query(&format!("drop database {name} with (force)"))
        .execute(&mut admin)
        .await?;
    result
}

async fn run(db_url: &str, bursts: usize, size: usize) -> anyhow::Result<()> {
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
        .env("BILET_HTTP__TRUSTED_PROXIES", "[\"127.0.0.1/32\"]")
        .env("BILET_SECRETS__SESSION_KEY", key(1))
        .env("BILET_SECRETS__MESSAGE_ID_KEY", key(2))
        .env("BILET_SECRETS__MAILBOX_KEY", key(3))
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().ok_or_else(|| anyhow::anyhow!("no pid"))?;
    let base = helpdesk::listening(&mut child).await?;
    reqwest::get(format!("{base}/login")).await?;
    let idle = kb(pid, "VmRSS:");

    // /healthz, as a load balancer polls it, all through the flood.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let probe = {
        let url = format!("{base}/healthz");
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut samples = Vec::new();
            while !*stopped.borrow() {
                let started = Instant::now();
                if client.get(&url).send().await.is_ok() {
                    samples.push(started.elapsed());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            samples
        })
    };
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let mut logins = Vec::new();
    let mut peak = 0;
    for burst in 0..bursts {
        let tasks: Vec<_> = (0..size)
            .map(|i| {
                let ip = format!("10.1.{burst}.{}", i + 1);
                let email = format!("nobody-{burst}-{i}@example.com");
                tokio::spawn(attempt(base.clone(), ip, email))
            })
            .collect();
        for task in tasks {
            let (status, took) = task.await??;
            *statuses.entry(status).or_default() += 1;
            logins.push(took);
        }
        peak = peak.max(kb(pid, "VmHWM:"));
    }
    let _ = stop.send(true);
    let health = probe.await?;

    // At rest: RSS no longer moving (the pool has returned its buffers).
    let mut rest = kb(pid, "VmRSS:");
    let mut steady = 0;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = kb(pid, "VmRSS:");
        steady = if now == rest { steady + 1 } else { 0 };
        rest = now;
        if steady >= 10 {
            break;
        }
    }
    println!(
        "machine: {} cores",
        std::thread::available_parallelism()?.get()
    );
    println!(
        "{} sign-ins for unknown addresses in {bursts} bursts of {size}",
        bursts * size
    );
    println!("answers: {statuses:?}");
    println!("POST /login  {}", percentiles(logins));
    println!("GET /healthz {}", percentiles(health));
    println!(
        "server RSS: {} MB idle, {} MB peak, {} MB at rest (limit {} MB)",
        idle / 1024,
        peak / 1024,
        rest / 1024,
        LIMIT_KB / 1024
    );
    let _ = child.kill().await;
    anyhow::ensure!(
        rest <= LIMIT_KB,
        "RSS at rest {} kB is above {LIMIT_KB} kB",
        rest
    );
    Ok(())
}
