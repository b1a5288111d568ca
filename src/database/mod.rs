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

/// A pool, and the cluster behind it when we run one.
pub struct Database {
    pub pool: PgPool,
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
        let pool = PgPoolOptions::new()
            .max_connections(config.database.max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .context("connecting to PostgreSQL")?;
        MIGRATOR.run(&pool).await.context("applying migrations")?;
        Ok(Database {
            pool,
            config: config.clone(),
            cluster,
        })
    }

    /// Closes the pool, then stops the embedded cluster if we run it.
    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close().await;
        if let Some(cluster) = self.cluster {
            cluster.stop().await?;
        }
        Ok(())
    }
}
