//! The benches' own bounded load tool: a fixed number of connections,
//! each sending one request after another for a fixed time, every answer
//! read to the last byte and its status checked; with the latencies, the
//! throughput and the CPU the server and PostgreSQL spent (from /proc).

// Each bench takes what it needs of this file.
#![allow(dead_code)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// CPU seconds used so far by `pid` (user + system).
pub fn cpu_of(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command (which may hold spaces) start past ')'.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15; `rest` starts at field 3.
    (ticks(11) + ticks(12)) / 100.0
}

fn postgres_pids() -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "postgres" {
            pids.push(pid);
        }
    }
    pids
}

/// CPU seconds of every postgres process.
pub fn postgres_cpu() -> f64 {
    postgres_pids().into_iter().map(cpu_of).sum()
}

/// A `kB` line of /proc/PID/status or smaps_rollup, in MB.
fn proc_mb(pid: u32, file: &str, key: &str) -> f64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

/// "RSS x MB, PSS y MB, with PostgreSQL z MB" of the server `pid`.
pub fn memory(pid: u32) -> String {
    let pg: f64 = postgres_pids()
        .into_iter()
        .map(|p| proc_mb(p, "smaps_rollup", "Pss:"))
        .sum();
    let pss = proc_mb(pid, "smaps_rollup", "Pss:");
    format!(
        "server RSS {:.0} MB, PSS {:.0} MB; server + every postgres process PSS {:.0} MB",
        proc_mb(pid, "status", "VmRSS:"),
        pss,
        pss + pg
    )
}

pub fn percentiles(v: &mut [Duration]) -> String {
    if v.is_empty() {
        return "no samples".into();
    }
    v.sort();
    let at = |p: usize| v[(v.len() * p / 100).min(v.len() - 1)].as_secs_f64() * 1e3;
    format!(
        "p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms",
        at(50),
        at(95),
        at(99)
    )
}

/// `clients` connections loop for `secs`; `call(client, n)` sends request
/// number `n` and returns its status and body, which must be `want` or a
/// 503 (the server's answer to overload, counted and reported).
/// Each connection is its own `reqwest::Client` (one kept-alive socket).
pub async fn run<F, Fut>(
    clients: usize,
    secs: f64,
    server: u32,
    want: u16,
    call: F,
) -> anyhow::Result<String>
where
    F: Fn(reqwest::Client, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<(u16, Vec<u8>)>> + Send,
{
    let seq = Arc::new(AtomicU64::new(0));
    let busy = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let (cpu0, pg0) = (cpu_of(server), postgres_cpu());
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (seq, busy, call) = (seq.clone(), busy.clone(), call.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .pool_max_idle_per_host(1)
                    .build()?;
                let mut samples = Vec::new();
                while Instant::now() < deadline {
                    let n = seq.fetch_add(1, Ordering::Relaxed);
                    let t = Instant::now();
                    let (status, body) = call(client.clone(), n).await?;
                    if status == 503 {
                        busy.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    anyhow::ensure!(
                        status == want,
                        "{status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(300)])
                    );
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
    let (cpu, pg) = (cpu_of(server) - cpu0, postgres_cpu() - pg0);
    let n = all.len().max(1) as f64;
    let busy = match busy.load(Ordering::Relaxed) {
        0 => String::new(),
        b => format!(", {b} answered 503 busy"),
    };
    Ok(format!(
        "{clients:>2} conn {:>6.0}/s  {}  CPU/req server {:.2} + PostgreSQL {:.2} ms  ({} req{busy})",
        all.len() as f64 / took,
        percentiles(&mut all),
        cpu * 1e3 / n,
        pg * 1e3 / n,
        all.len()
    ))
}
