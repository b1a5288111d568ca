//! `bilet backup` and `bilet restore`. A backup is a folder (0700, files
//! 0600): the database as pg_dump's custom format (one consistent
//! snapshot, taken while Bilet runs), every blob the database lists, the
//! data folder's secrets.toml, and manifest.json with the size and SHA-256
//! of each file, and where the database lived. Blobs are copied after the
//! dump: they are written before the rows that name them, and the blob
//! collector is held off from before the dump until the copy is done, so
//! every blob the dump names is there. A restore checks every checksum first,
//! fills a new data folder, creates (or, with an external database,
//! migrates) an empty database and loads the dump into it; it refuses a
//! folder or database that holds anything.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::config::Config;
use crate::database::{Database, MIGRATOR, embedded};
use crate::state::AppState;

const DUMP: &str = "database.dump";
const SECRETS: &str = "secrets.toml";
const MANIFEST: &str = "manifest.json";

/// What a backup holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub bilet_version: String,
    /// The newest migration of the database backed up.
    pub schema: i64,
    pub created_at: String,
    /// Where the database backed up lived: "embedded: <pgdata>" or
    /// "external" (a DATABASE_URL; never the URL itself, it may hold a
    /// password). For the operator; a restore makes its own.
    #[serde(default)]
    pub database: String,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

fn newest_migration() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// A folder that does not exist yet, or is empty, made 0700.
fn fresh_folder(dir: &Path, what: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!("{what} {} is not empty: choose a new folder", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    Ok(())
}

/// A PostgreSQL client program, from the server's binaries when they
/// are there, else from PATH.
fn pg_tool(config: &Config, name: &str) -> PathBuf {
    embedded::find_bin_dir(&config.database.embedded)
        .map(|dir| dir.join(name))
        .ok()
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// How pg_dump and pg_restore reach Bilet's database.
fn connection_args(config: &Config) -> anyhow::Result<Vec<String>> {
    use secrecy::ExposeSecret;
    match &config.database.url {
        Some(url) => Ok(vec![format!("--dbname={}", url.expose_secret())]),
        None => {
            let layout =
                embedded::Layout::for_data_dir(&config.data_dir, &config.database.embedded)?;
            Ok(vec![
                "--host".into(),
                layout.socket_dir.display().to_string(),
                "--port=5432".into(),
                "--username=bilet".into(),
                "--dbname=bilet".into(),
            ])
        }
    }
}

async fn run_tool(config: &Config, name: &str, args: &[String]) -> anyhow::Result<()> {
    let tool = pg_tool(config, name);
    let out = tokio::process::Command::new(&tool)
        .args(args)
        .output()
        .await
        .with_context(|| format!("running {} (install postgresql-client)", tool.display()))?;
    if !out.status.success() {
        bail!(
            "{name} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// A file's size and SHA-256, read in pieces (a dump may be gigabytes).
async fn entry(dir: &Path, path: &str) -> anyhow::Result<FileEntry> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(dir.join(path)).await?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok(FileEntry {
        path: path.to_string(),
        size,
        sha256: hex(&hasher.finalize()),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a backup of the running helpdesk into `to`.
pub async fn backup(app: &AppState, to: &Path) -> anyhow::Result<Manifest> {
    fresh_folder(to, "the backup folder")?;
    let mut hold = app.db.acquire().await?;
    crate::store::blobs::pause_collector(&mut hold).await?;
    let result = write_backup(app, to).await;
    crate::store::blobs::resume_collector(&mut hold).await?;
    result
}

/// Where the configured database lives, as the manifest records it.
fn database_location(config: &Config) -> String {
    if config.database.url.is_some() {
        return "external".into();
    }
    match embedded::Layout::for_data_dir(&config.data_dir, &config.database.embedded) {
        Ok(layout) => format!("embedded: {}", layout.pgdata.display()),
        Err(_) => "embedded".into(),
    }
}

async fn write_backup(app: &AppState, to: &Path) -> anyhow::Result<Manifest> {
    let schema: i64 = sqlx::query_scalar("select max(version) from _sqlx_migrations where success")
        .fetch_one(&app.db)
        .await?;
    let mut args = connection_args(&app.config)?;
    args.extend(["--format=custom".into(), "--no-owner".into()]);
    args.push(format!("--file={}", to.join(DUMP).display()));
    run_tool(&app.config, "pg_dump", &args).await?;
    let mut files = vec![entry(to, DUMP).await?];
    let secrets = app.config.data_dir.join(SECRETS);
    if secrets.is_file() {
        tokio::fs::copy(&secrets, to.join(SECRETS)).await?;
        files.push(entry(to, SECRETS).await?);
    }
    let blobs: Vec<String> = sqlx::query_scalar("select sha256 from blobs order by sha256")
        .fetch_all(&app.db)
        .await?;
    for sha in blobs {
        let path = format!("blobs/{sha}");
        let target = to.join(&path);
        tokio::fs::create_dir_all(target.parent().unwrap_or(to)).await?;
        let mut reader = app
            .blobs
            .open(&sha)
            .await
            .with_context(|| format!("reading blob {sha}"))?;
        let mut file = tokio::fs::File::create(&target).await?;
        let size = tokio::io::copy(&mut reader, &mut file).await?;
        file.flush().await?;
        let copied = entry(to, &path).await?;
        if copied.sha256 != sha {
            bail!(
                "blob {sha} is damaged in the store (its content hashes to {})",
                copied.sha256
            );
        }
        files.push(FileEntry {
            path,
            size,
            sha256: sha,
        });
    }
    let manifest = Manifest {
        format: 1,
        bilet_version: env!("CARGO_PKG_VERSION").into(),
        schema,
        created_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)?,
        database: database_location(&app.config),
        files,
    };
    tokio::fs::write(to.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?).await?;
    Ok(manifest)
}

/// Restores the backup in `from` into `config.data_dir` (new or empty)
/// and the configured database (embedded in that folder, or an empty
/// external one).
pub async fn restore(config: &Config, from: &Path) -> anyhow::Result<Manifest> {
    let manifest: Manifest =
        serde_json::from_slice(&tokio::fs::read(from.join(MANIFEST)).await.with_context(
            || format!("{} is not a Bilet backup (no {MANIFEST})", from.display()),
        )?)?;
    for f in &manifest.files {
        let found = entry(from, &f.path)
            .await
            .with_context(|| format!("reading {}", f.path))?;
        if found.sha256 != f.sha256 || found.size != f.size {
            bail!(
                "{} does not match the manifest: the backup is damaged",
                f.path
            );
        }
    }
    if manifest.schema != newest_migration() {
        bail!(
            "the backup's schema ({}) is not this Bilet's ({}): restore with the Bilet version that made it ({}), then upgrade",
            manifest.schema,
            newest_migration(),
            manifest.bilet_version
        );
    }
    fresh_folder(&config.data_dir, "the data folder")?;
    if manifest.files.iter().any(|f| f.path == SECRETS) {
        tokio::fs::copy(from.join(SECRETS), config.data_dir.join(SECRETS)).await?;
    }
    let store = crate::blobs::open(config)?;
    for f in manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with("blobs/"))
    {
        let file = tokio::fs::File::open(from.join(&f.path)).await?;
        let stored = store.put(Box::pin(file), u64::MAX).await?;
        if stored.sha256 != f.sha256 {
            bail!("{} changed while it was restored", f.path);
        }
    }
    let db = Database::open_for_server(config).await?;
    let used: i64 =
        sqlx::query_scalar("select (select count(*) from users) + (select count(*) from tickets)")
            .fetch_one(&db.pool)
            .await?;
    if used > 0 {
        db.close().await?;
        bail!("the database already holds a helpdesk: restore into an empty one");
    }
    let mut args = connection_args(config)?;
    args.extend([
        "--clean".into(),
        "--if-exists".into(),
        "--no-owner".into(),
        "--single-transaction".into(),
        "--exit-on-error".into(),
    ]);
    args.push(from.join(DUMP).display().to_string());
    let loaded = run_tool(config, "pg_restore", &args).await;
    db.close().await?;
    loaded?;
    Ok(manifest)
}
