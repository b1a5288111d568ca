//! What every handler, service and job shares: the pool, the
//! configuration, the keys, the event bus, the blob store and the settings
//! cache. Built once by `app`; services take it from here, never from the
//! composition root.

pub mod settings;

use std::sync::Arc;

use anyhow::Context;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::blobs::BlobStore;
use crate::config::Config;
use crate::events::Bus;
use crate::secrets::Secrets;
use crate::service::accounts::hasher::Hasher;
use settings::{Settings, SettingsCache};

/// Everything handlers and jobs share.
#[derive(Clone)]
pub struct AppState {
    /// The requests' pool (bounded waits and statements on a server).
    pub db: PgPool,
    /// The background jobs' own pool; the same as `db` unless a server
    /// sets it.
    jobs_db: PgPool,
    pub config: Arc<Config>,
    pub secrets: Arc<Secrets>,
    pub events: Bus,
    pub blobs: Arc<dyn BlobStore>,
    /// Cancelled at shutdown: long-lived streams end when it is.
    pub shutdown: CancellationToken,
    /// Admin settings, cached; reloaded when any node changes them.
    pub settings: SettingsCache,
    /// This node's name: readers of the change journal keep a position per node.
    pub node: Arc<str>,
    /// The bounded pool every password hash runs in.
    pub hasher: Hasher,
    /// This node's search index.
    pub search: Arc<crate::search::Search>,
    /// When each API token's last use was written.
    pub token_uses: Arc<crate::service::tokens::Uses>,
    /// Each API token's request budget on this node.
    pub api_limits: Arc<crate::service::tokens::Limits>,
}

impl AppState {
    pub fn new(
        db: PgPool,
        config: Config,
        secrets: Secrets,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Self> {
        crate::use_ring_for_tls();
        let blobs = crate::blobs::open(&config).context("opening the blob store")?;
        let settings = SettingsCache::new(Settings::defaults(&config));
        let node = config.node_name();
        let search = Arc::new(crate::search::Search::new(config.data_dir.clone()));
        let hasher = Hasher::new(
            config.accounts.hash_pool,
            std::time::Duration::from_millis(config.accounts.hash_wait_ms),
        );
        let api_limits = Arc::new(crate::service::tokens::Limits::new(&config.api));
        Ok(Self {
            settings,
            jobs_db: db.clone(),
            db,
            config: Arc::new(config),
            secrets: Arc::new(secrets),
            events: Bus::new(),
            blobs,
            shutdown,
            node: node.into(),
            hasher,
            search,
            token_uses: Arc::default(),
            api_limits,
        })
    }

    /// Gives the background jobs a pool of their own.
    pub fn with_job_pool(mut self, pool: PgPool) -> Self {
        self.jobs_db = pool;
        self
    }

    /// The state the background jobs run with: everything shared, their
    /// own pool.
    pub fn for_jobs(&self) -> AppState {
        AppState {
            db: self.jobs_db.clone(),
            ..self.clone()
        }
    }
}
