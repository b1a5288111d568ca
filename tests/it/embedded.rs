//! The embedded default database, exercised through the real binary: first
//! start, CLI next to a running server, clean stops, a hard kill, and data
//! folders PostgreSQL's account cannot enter or whose paths are too long for
//! a unix socket. Runs as whoever runs the tests (root in CI, where postgres
//! then runs as the `postgres` account).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_bilet");

struct Running {
    child: Child,
    addr: String,
}

fn bilet(data_dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir")
        .arg(data_dir)
        // The test suite's own database must not leak into the binary.
        .env_remove("DATABASE_URL")
        .env("BILET_LOG__FILTER", "warn")
        .kill_on_drop(true);
    cmd
}

async fn start(data_dir: &Path) -> Running {
    let mut child = bilet(data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn bilet");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = tokio::time::timeout(Duration::from_secs(120), async {
        while let Some(line) = lines.next_line().await.expect("read") {
            if let Some(rest) = line.strip_prefix("Bilet is running at http://") {
                return rest.split('/').next().expect("address").to_string();
            }
        }
        panic!("bilet exited before it was running");
    })
    .await
    .expect("bilet started in time");
    // Keep draining stdout so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Running { child, addr }
}

async fn healthz(addr: &str) -> u16 {
    bilet::use_ring_for_tls();
    reqwest::get(format!("http://{addr}/healthz"))
        .await
        .expect("GET")
        .status()
        .as_u16()
}

async fn cli(data_dir: &Path, args: &[&str]) -> (bool, String) {
    let out = bilet(data_dir).args(args).output().await.expect("run cli");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn stop(mut running: Running, signal: Signal) {
    let pid = Pid::from_raw(running.child.id().expect("pid") as i32);
    kill(pid, signal).expect("signal");
    let status = tokio::time::timeout(Duration::from_secs(60), running.child.wait())
        .await
        .expect("stopped in time")
        .expect("wait");
    assert!(
        status.success(),
        "bilet exited with {status} after {signal}"
    );
}

fn pgdata(data_dir: &Path) -> PathBuf {
    let location = data_dir.join("CLUSTER_LOCATION");
    match std::fs::read_to_string(&location) {
        Ok(text) => PathBuf::from(text.lines().nth(2).expect("path line").trim()),
        Err(_) => data_dir.canonicalize().expect("data dir").join("pgdata"),
    }
}

/// Processes whose command line names this cluster's data directory.
fn postgres_processes(pgdata: &Path) -> Vec<i32> {
    let needle = pgdata.to_string_lossy().to_string();
    std::fs::read_dir("/proc")
        .expect("/proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                String::from_utf8_lossy(&c)
                    .replace('\0', " ")
                    .contains(&needle)
            })
        })
        .collect()
}

async fn wait_until_gone(pgdata: &Path) {
    for _ in 0..100 {
        if postgres_processes(pgdata).is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "stray postgres left running: {:?}",
        postgres_processes(pgdata)
    );
}

fn open_to_all(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[tokio::test]
async fn the_embedded_cluster_survives_stops_restarts_and_a_hard_kill() {
    let tmp = tempfile::tempdir().expect("tempdir");
    open_to_all(tmp.path());
    let data = tmp.path().join("data");

    let (ok, text) = cli(&data, &["department", "list"]).await;
    assert!(
        !ok && text.contains("no Bilet data folder"),
        "a CLI never creates a helpdesk: {text}"
    );

    let server = start(&data).await;
    assert_eq!(healthz(&server.addr).await, 200);
    assert!(pgdata(&data).join("PG_VERSION").exists());
    assert!(data.join("first-admin.txt").exists());
    let (ok, text) = cli(
        &data,
        &[
            "department",
            "add",
            "--slug",
            "tech",
            "--name",
            "Техподдержка",
            "--address",
            "help@example.com",
        ],
    )
    .await;
    assert!(ok, "CLI next to a running server: {text}");
    let pg = pgdata(&data);
    assert!(!postgres_processes(&pg).is_empty());
    stop(server, Signal::SIGINT).await;
    wait_until_gone(&pg).await;

    // Without a server, the CLI starts the existing cluster for itself.
    let (ok, text) = cli(&data, &["department", "list"]).await;
    assert!(ok && text.contains("Техподдержка"), "{text}");
    wait_until_gone(&pg).await;

    // Killed hard, Bilet leaves postgres running; the next start deals with it.
    let server = start(&data).await;
    let pid = Pid::from_raw(server.child.id().expect("pid") as i32);
    kill(pid, Signal::SIGKILL).expect("kill");
    let mut server = server;
    server.child.wait().await.expect("wait");
    assert!(
        !postgres_processes(&pg).is_empty(),
        "postgres outlives a SIGKILLed bilet"
    );

    let server = start(&data).await;
    assert_eq!(healthz(&server.addr).await, 200);
    let (ok, text) = cli(&data, &["department", "list"]).await;
    assert!(
        ok && text.contains("tech\tТехподдержка\thelp@example.com"),
        "data intact: {text}"
    );
    stop(server, Signal::SIGTERM).await;
    wait_until_gone(&pg).await;
}

#[tokio::test]
async fn a_data_folder_postgres_cannot_enter_with_a_very_long_path_still_works() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // Like /root: PostgreSQL's account cannot enter it when we are root.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o700))
            .expect("chmod");
    }
    let data = tmp
        .path()
        .join("a-rather-long-folder-name-for-the-helpdesk-data".repeat(2))
        .join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    assert!(data.to_string_lossy().len() > 107);

    let server = start(&data).await;
    assert_eq!(healthz(&server.addr).await, 200);
    let pg = pgdata(&data);
    if nix::unistd::geteuid().is_root() {
        assert!(
            !pg.starts_with(tmp.path()),
            "the cluster moved where postgres can reach it: {}",
            pg.display()
        );
        assert!(data.join("CLUSTER_LOCATION").exists());
    }
    stop(server, Signal::SIGINT).await;
    wait_until_gone(&pg).await;
    let server = start(&data).await;
    assert_eq!(healthz(&server.addr).await, 200);
    stop(server, Signal::SIGINT).await;
    wait_until_gone(&pg).await;
    if !pg.starts_with(tmp.path()) {
        std::fs::remove_dir_all(pg.parent().expect("cluster root"))
            .expect("clean up the moved cluster");
    }
}
