//! The embedded default database: a private PostgreSQL cluster for one data
//! folder, run with the system's PostgreSQL binaries, reachable only through
//! a unix socket in a private directory.
//!
//! Who owns the cluster is decided by a lock file (`<data>/bilet.lock`,
//! flock): the holder starts and stops postgres; anybody else who finds it
//! held connects to the running cluster. A postgres left behind by a killed
//! Bilet is stopped by the next holder before it starts its own.
//!
//! PostgreSQL refuses to run as root, so a root Bilet runs it as an
//! unprivileged account (`database.embedded.user`, default `postgres`). If
//! that account cannot enter the data folder (a checkout under /root, say),
//! the cluster lives in /var/lib/bilet-clusters/<hash> instead and the data
//! folder records where. Socket paths are limited to 107 bytes: a data folder
//! too deep gets its socket in /tmp/bilet-<hash>.

use std::fs::File;
use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use nix::fcntl::{Flock, FlockArg};
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, User, geteuid};
use sha2::{Digest, Sha256};
use sqlx::ConnectOptions;
use sqlx::postgres::PgConnectOptions;
use tokio::process::{Child, Command};

use crate::config::EmbeddedDbConfig;

const PORT: u16 = 5432;
const DB_USER: &str = "bilet";
const DB_NAME: &str = "bilet";
// sockaddr_un.sun_path is 108 bytes including the terminating NUL.
const MAX_SOCKET_PATH: usize = 107;
// Outside the data folder: the packaged data folder is 0700 for `bilet`.
const RELOCATED_ROOT: &str = "/var/lib/bilet-clusters";
const OLD_RELOCATED_ROOT: &str = "/var/lib/bilet/clusters";

/// Where everything of one cluster lives.
#[derive(Debug, Clone)]
pub struct Layout {
    pub data_dir: PathBuf,
    pub pgdata: PathBuf,
    pub socket_dir: PathBuf,
    pub log_file: PathBuf,
    pub lock_file: PathBuf,
    pub run_as: Option<Account>,
}

/// The unprivileged account postgres runs as when Bilet is root.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// Whether a missing cluster may be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `bilet serve`: create the data folder and cluster on first start.
    CreateIfMissing,
    /// CLI commands: a missing cluster is an error, never a new empty helpdesk.
    MustExist,
}

impl Layout {
    /// Works out the paths for `data_dir` (which must exist).
    pub fn for_data_dir(data_dir: &Path, config: &EmbeddedDbConfig) -> anyhow::Result<Layout> {
        let data_dir = data_dir
            .canonicalize()
            .with_context(|| format!("data folder {}", data_dir.display()))?;
        let run_as = if geteuid().is_root() {
            let user = User::from_name(&config.user)
                .ok()
                .flatten()
                .with_context(|| {
                    format!(
                        "bilet runs as root and PostgreSQL refuses root, but there is no account \
                         `{}` to run it as: install the postgresql package (which creates it) or \
                         set database.embedded.user",
                        config.user
                    )
                })?;
            Some(Account {
                name: user.name,
                uid: user.uid.as_raw(),
                gid: user.gid.as_raw(),
            })
        } else {
            None
        };
        let hash = short_hash(&data_dir);
        let reachable = run_as.as_ref().is_none_or(|a| can_enter(a, &data_dir));
        let cluster_root = if reachable {
            data_dir.clone()
        } else {
            // Clusters made before the move stay where they are.
            let old = PathBuf::from(OLD_RELOCATED_ROOT).join(&hash);
            match old.join("pgdata/PG_VERSION").exists() {
                true => old,
                false => PathBuf::from(RELOCATED_ROOT).join(&hash),
            }
        };
        let mut socket_dir = cluster_root.join("run");
        if socket_dir.as_os_str().len() + "/.s.PGSQL.5432".len() > MAX_SOCKET_PATH {
            socket_dir = PathBuf::from(format!("/tmp/bilet-{}-{hash}", geteuid().as_raw()));
        }
        Ok(Layout {
            pgdata: cluster_root.join("pgdata"),
            socket_dir,
            log_file: data_dir.join("postgres.log"),
            lock_file: data_dir.join("bilet.lock"),
            data_dir,
            run_as,
        })
    }

    /// Options to connect to the cluster's application database.
    pub fn connect_options(&self) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username(DB_USER)
            .database(DB_NAME)
            .log_statements(tracing::log::LevelFilter::Trace)
    }

    fn exists(&self) -> bool {
        self.pgdata.join("PG_VERSION").exists()
    }
}

/// Holding this means we own the cluster.
pub struct OwnerLock(#[allow(dead_code)] Flock<File>);

/// Tries to become the cluster's owner; `None` when somebody else is.
pub fn try_lock(layout: &Layout) -> anyhow::Result<Option<OwnerLock>> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&layout.lock_file)
        .with_context(|| format!("opening {}", layout.lock_file.display()))?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(Some(OwnerLock(lock))),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, errno)) => Err(errno).context("locking the data folder"),
    }
}

/// A running cluster we started and must stop.
pub struct Cluster {
    pub layout: Layout,
    child: Option<Child>,
    _lock: OwnerLock,
}

impl Cluster {
    /// Starts the cluster (creating it first in `CreateIfMissing` mode). A
    /// postgres left running by a killed Bilet is stopped first.
    pub async fn start(
        layout: Layout,
        lock: OwnerLock,
        config: &EmbeddedDbConfig,
        mode: Mode,
    ) -> anyhow::Result<Cluster> {
        let bin = find_bin_dir(config)?;
        if !layout.exists() {
            if mode == Mode::MustExist {
                bail!(
                    "no Bilet database in {}: start `bilet serve` once to create it, or point \
                     --data-dir / DATABASE_URL at an existing one",
                    layout.data_dir.display()
                );
            }
            prepare_dirs(&layout)?;
            init(&bin, &layout).await?;
        } else {
            prepare_dirs(&layout)?;
        }
        stop_leftover(&layout).await?;
        let child = spawn_postgres(&bin, &layout)?;
        let mut cluster = Cluster {
            layout,
            child: Some(child),
            _lock: lock,
        };
        cluster.wait_ready().await?;
        cluster.ensure_database().await?;
        Ok(cluster)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(120);
        let options = self.layout.connect_options().database("postgres");
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                self.child = None;
                bail!(
                    "postgres exited ({status}) while starting; see {}:\n{}",
                    self.layout.log_file.display(),
                    log_tail(&self.layout.log_file)
                );
            }
            match options.connect().await {
                Ok(conn) => {
                    let _ = sqlx::Connection::close(conn).await;
                    return Ok(());
                }
                Err(err) if Instant::now() > deadline => {
                    return Err(err).context("postgres did not accept connections in 120 s");
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    async fn ensure_database(&self) -> anyhow::Result<()> {
        let mut conn = self
            .layout
            .connect_options()
            .database("postgres")
            .connect()
            .await?;
        let exists: bool =
            sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
                .bind(DB_NAME)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            sqlx::query(&format!("create database {DB_NAME}"))
                .execute(&mut conn)
                .await?;
        }
        Ok(())
    }

    /// Fast shutdown (SIGINT): running transactions are rolled back, data is safe.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(mut child) = self.child.take() {
            if let Some(pid) = child.id() {
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGINT);
            }
            match tokio::time::timeout(Duration::from_secs(60), child.wait()).await {
                Ok(status) => {
                    status?;
                }
                Err(_) => {
                    child.start_kill()?;
                    child.wait().await?;
                }
            }
        }
        Ok(())
    }
}

impl Drop for Cluster {
    // Last resort when `stop` was not reached (an error or panic on the way
    // out): ask postgres to stop so that it does not outlive us.
    fn drop(&mut self) {
        if let Some(pid) = self.child.as_ref().and_then(Child::id) {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGINT);
        }
    }
}

fn short_hash(path: &Path) -> String {
    let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// Asks the kernel, not the mode bits: ACLs and every ancestor count.
fn can_enter(account: &Account, dir: &Path) -> bool {
    std::process::Command::new("test")
        .arg("-x")
        .arg(dir)
        .uid(account.uid)
        .gid(account.gid)
        .current_dir("/")
        .status()
        .is_ok_and(|s| s.success())
}

use std::os::unix::process::CommandExt as _;

fn prepare_dirs(layout: &Layout) -> anyhow::Result<()> {
    for dir in [&layout.pgdata, &layout.socket_dir] {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
            // Bilet's umask makes new folders 0700; the PostgreSQL account
            // must still pass through the relocated cluster's parents
            // (passing only: 0711 lists nothing).
            if layout.run_as.is_some() && parent.starts_with(RELOCATED_ROOT) {
                let top = Path::new(RELOCATED_ROOT)
                    .parent()
                    .unwrap_or(Path::new(RELOCATED_ROOT));
                for ancestor in parent.ancestors().take_while(|a| a.starts_with(top)) {
                    std::fs::set_permissions(ancestor, std::fs::Permissions::from_mode(0o711))?;
                }
            }
        }
        if !dir.exists() {
            std::fs::create_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        if let Some(account) = &layout.run_as {
            chown(dir, Some(account.uid), Some(account.gid))
                .with_context(|| format!("handing {} to {}", dir.display(), account.name))?;
        }
    }
    // Someone else's directory in /tmp would let them read our socket.
    let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&layout.socket_dir)?);
    let expected = layout.run_as.as_ref().map_or(geteuid().as_raw(), |a| a.uid);
    if owner != expected {
        bail!(
            "{} belongs to another user; remove it",
            layout.socket_dir.display()
        );
    }
    if !layout.pgdata.starts_with(&layout.data_dir) {
        std::fs::write(
            layout.data_dir.join("CLUSTER_LOCATION"),
            format!(
                "The PostgreSQL account cannot enter this folder, so the database cluster of this\n\
                 data folder lives in:\n{}\nBack it up together with this folder.\n",
                layout.pgdata.display()
            ),
        )?;
    }
    Ok(())
}

fn command(bin: &Path, program: &str, layout: &Layout) -> anyhow::Result<Command> {
    let mut cmd = Command::new(bin.join(program));
    let log = File::options()
        .create(true)
        .append(true)
        .open(&layout.log_file)?;
    cmd.stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .current_dir("/")
        .env_remove("PGDATA")
        .env("LC_ALL", "C.UTF-8");
    if let Some(account) = &layout.run_as {
        cmd.uid(account.uid).gid(account.gid);
    }
    Ok(cmd)
}

async fn init(bin: &Path, layout: &Layout) -> anyhow::Result<()> {
    tracing::info!(pgdata = %layout.pgdata.display(), "creating the embedded database cluster");
    let status = command(bin, "initdb", layout)?
        .arg("-D")
        .arg(&layout.pgdata)
        .args(["-U", DB_USER, "-E", "UTF8", "--locale=C.UTF-8"])
        // Trust is safe only because the socket directory is private (0700).
        .args([
            "--auth-local=trust",
            "--auth-host=reject",
            "--no-instructions",
        ])
        .status()
        .await
        .context("running initdb")?;
    if !status.success() {
        bail!(
            "initdb failed ({status}); see {}:\n{}",
            layout.log_file.display(),
            log_tail(&layout.log_file)
        );
    }
    Ok(())
}

fn spawn_postgres(bin: &Path, layout: &Layout) -> anyhow::Result<Child> {
    let mut cmd = command(bin, "postgres", layout)?;
    cmd.arg("-D")
        .arg(&layout.pgdata)
        .arg("-p")
        .arg(PORT.to_string())
        .args(["-c", "listen_addresses="])
        .arg("-c")
        .arg(format!(
            "unix_socket_directories={}",
            layout.socket_dir.display()
        ))
        .args([
            "-c",
            "unix_socket_permissions=0700",
            "-c",
            "logging_collector=off",
        ])
        // Its own process group: a terminal's Ctrl-C reaches Bilet only, and
        // Bilet stops postgres after it has drained its requests.
        .process_group(0)
        .kill_on_drop(false);
    cmd.spawn().context("starting postgres")
}

/// Stops a postgres that a killed Bilet left running on this cluster.
async fn stop_leftover(layout: &Layout) -> anyhow::Result<()> {
    let Ok(text) = std::fs::read_to_string(layout.pgdata.join("postmaster.pid")) else {
        return Ok(());
    };
    let Some(pid) = text
        .lines()
        .next()
        .and_then(|l| l.trim().parse::<i32>().ok())
    else {
        return Ok(());
    };
    let pid = Pid::from_raw(pid);
    let is_postgres = std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains("postgres"));
    if !is_postgres {
        // A stale file from a crash: postgres removes it itself.
        return Ok(());
    }
    tracing::warn!(%pid, "stopping a postgres left running by an earlier Bilet");
    let _ = kill(pid, Signal::SIGINT);
    let started = Instant::now();
    while kill(pid, None).is_ok() && std::path::Path::new(&format!("/proc/{pid}")).exists() {
        if started.elapsed() > Duration::from_secs(30) {
            let _ = kill(pid, Signal::SIGQUIT);
        }
        if started.elapsed() > Duration::from_secs(90) {
            bail!("a leftover postgres (pid {pid}) does not stop; stop it by hand");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

pub fn find_bin_dir(config: &EmbeddedDbConfig) -> anyhow::Result<PathBuf> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    if let Some(dir) = &config.bin_dir {
        if has_initdb(dir) {
            return Ok(dir.clone());
        }
        bail!(
            "database.embedded.bin_dir: no initdb and postgres in {}",
            dir.display()
        );
    }
    if let Ok(out) = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_initdb(&dir) {
            return Ok(dir);
        }
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, dir)| has_initdb(dir))
        .collect();
    versioned.sort();
    if let Some((_, dir)) = versioned.pop() {
        return Ok(dir);
    }
    if let Some(dir) = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|d| has_initdb(d))
    {
        return Ok(dir);
    }
    bail!(
        "no PostgreSQL server binaries found (initdb, postgres). Install them \
         (`apt-get install postgresql`), set database.embedded.bin_dir, or use an external \
         database with DATABASE_URL"
    )
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_data_folders_get_a_short_socket_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        let deep = dir.path().join("x".repeat(90));
        std::fs::create_dir_all(&deep).expect("mkdir");
        let layout = Layout::for_data_dir(
            &deep,
            &EmbeddedDbConfig {
                bin_dir: None,
                user: "postgres".into(),
            },
        )
        .expect("layout");
        assert!(layout.socket_dir.as_os_str().len() + 14 <= MAX_SOCKET_PATH);
        assert!(layout.socket_dir.starts_with("/tmp"));
    }
}
