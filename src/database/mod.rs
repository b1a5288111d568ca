//! Getting a connection pool: an external PostgreSQL when one is configured,
//! else the embedded cluster of the data folder. Migrations run here.

pub mod embedded;

use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::config::Config;
use embedded::{Cluster, Layout, Mode};

/// The schema, compiled in.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Pools, and the cluster behind them when we run one.
pub struct Database {
    /// For requests (the server's) or the command (the CLI's).
    pub pool: PgPool,
    /// The server's background jobs' own; the same as `pool` for the CLI.
    pub jobs: PgPool,
    /// The configuration it was opened with.
    pub config: Config,
    cluster: Option<Cluster>,
}

impl Database {
    /// For `bilet serve`: creates the data folder and cluster on first start.
    pub async fn open_for_server(config: &Config) -> anyhow::Result<Database> {
        if config.database.url.is_none() {
            std::fs::create_dir_all(&config.data_dir)
                .with_context(|| format!("creating data folder {}", config.data_dir.display()))?;
        }
        Self::open(config, Mode::CreateIfMissing).await
    }

    /// For CLI commands: uses the running server's cluster, or starts the
    /// existing one for the command's duration; never creates one.
    pub async fn open_for_cli(config: &Config) -> anyhow::Result<Database> {
        if config.database.url.is_none() && !config.data_dir.is_dir() {
            anyhow::bail!(
                "no Bilet data folder at {}: start `bilet serve` once to create it, or pass \
                 --data-dir (BILET_DATA_DIR) or DATABASE_URL",
                config.data_dir.display()
            );
        }
        Self::open(config, Mode::MustExist).await
    }

    async fn open(config: &Config, mode: Mode) -> anyhow::Result<Database> {
        let (options, cluster) = match &config.database.url {
            Some(url) => {
                let options: PgConnectOptions = url
                    .expose_secret()
                    .parse()
                    .context("database.url (DATABASE_URL) is not a PostgreSQL URL")?;
                (options, None)
            }
            None => {
                let layout = Layout::for_data_dir(&config.data_dir, &config.database.embedded)?;
                match embedded::try_lock(&layout)? {
                    Some(lock) => {
                        let cluster =
                            Cluster::start(layout, lock, &config.database.embedded, mode).await?;
                        (cluster.layout.connect_options(), Some(cluster))
                    }
                    None if mode == Mode::MustExist => (layout.connect_options(), None),
                    None => anyhow::bail!(
                        "another Bilet is already running on {}; stop it first",
                        layout.data_dir.display()
                    ),
                }
            }
        };
        // One forgotten transaction must not hold back every journal
        // reader (they read below the oldest running transaction).
        let idle = format!("{}s", config.journal.idle_transaction_seconds);
        let options = options.options([("idle_in_transaction_session_timeout", idle.as_str())]);
        let unbounded = PgPoolOptions::new()
            .acquire_timeout(Duration::from_secs(30))
            .max_connections(match mode {
                Mode::CreateIfMissing => config.database.job_connections,
                Mode::MustExist => config.database.max_connections,
            })
            .connect_with(options.clone())
            .await
            .context("connecting to PostgreSQL")?;
        MIGRATOR
            .run(&unbounded)
            .await
            .context("applying migrations")?;
        let pool = match mode {
            Mode::CreateIfMissing => connect_requests(config, &options),
            Mode::MustExist => unbounded.clone(),
        };
        Ok(Database {
            pool,
            jobs: unbounded,
            config: config.clone(),
            cluster,
        })
    }

    /// Closes the pools, then stops the embedded cluster if we run it.
    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close().await;
        self.jobs.close().await;
        if let Some(cluster) = self.cluster {
            cluster.stop().await?;
        }
        Ok(())
    }
}

/// The requests' pool: a short wait for a connection (then 503, not a
/// queue of seconds) and a bound on every statement. sqlx sends no cancel
/// when a request's future is dropped, so the statement timeout is also
/// what ends the query of a client that went away; the check interval lets
/// PostgreSQL notice a vanished connection during a long statement.
/// Tests and benchmarks build theirs with this too.
pub fn connect_requests(config: &Config, options: &PgConnectOptions) -> PgPool {
    let timeout = format!("{}ms", config.database.statement_timeout_ms);
    let options = options.clone().options([
        ("statement_timeout", timeout.as_str()),
        ("client_connection_check_interval", "2s"),
    ]);
    PgPoolOptions::new()
        .max_connections(config.database.max_connections)
        .acquire_timeout(Duration::from_millis(config.database.acquire_timeout_ms))
        .connect_lazy_with(options)
}

/// Whether a failure means the database is too busy right now (no
/// connection in time, or a statement cancelled by its timeout): the
/// request is answered 503 with Retry-After, not as a server error.
pub fn is_overload(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|cause| match cause.downcast_ref::<sqlx::Error>() {
            Some(sqlx::Error::PoolTimedOut) => true,
            Some(sqlx::Error::Database(db)) => db.code().as_deref() == Some("57014"),
            _ => false,
        })
}
