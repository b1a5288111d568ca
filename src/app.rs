//! Composition root: builds the state, starts the web server and the
//! background tasks, and shuts everything down in order: stop accepting,
//! let running requests finish, end streams and jobs, close the pool, stop
//! the embedded database.

use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::database::Database;
use crate::jobs::{self, Supervisor};
use crate::secrets::Secrets;
use crate::service;
pub use crate::state::AppState;

/// Starts the background tasks of a node. `state` is the requests' (the
/// pool probe times their pool); the jobs themselves run on
/// `state.for_jobs()`, their own pool.
pub fn start_jobs(requests: &AppState, supervisor: &Supervisor) {
    let state = &requests.for_jobs();
    supervisor.spawn(
        "events",
        state
            .events
            .clone()
            .listen(state.db.clone(), supervisor.token()),
    );
    supervisor.spawn(
        "settings",
        jobs::settings::follow(state.clone(), supervisor.token()),
    );
    supervisor.spawn(
        "search",
        crate::search::follow(state.clone(), supervisor.token()),
    );
    supervisor.spawn(
        "escalation",
        jobs::escalation::follow(state.clone(), supervisor.token()),
    );
    supervisor.spawn(
        "stats",
        service::stats::facts::follow(state.clone(), supervisor.token()),
    );
    supervisor.spawn(
        "webhooks",
        service::webhooks::send::follow(state.clone(), supervisor.token()),
    );
    jobs::mail::start(state, supervisor);
    let app = state.clone();
    supervisor.spawn_every("counts", Duration::from_secs(30), move || {
        let app = app.clone();
        async move { Ok(service::tickets::jobs::fold_counts(&app).await?) }
    });
    let app = requests.clone();
    supervisor.spawn_every("pool-probe", Duration::from_secs(1), move || {
        let app = app.clone();
        async move { jobs::pool_probe::run_once(&app).await }
    });
    let app = state.clone();
    supervisor.spawn_every("cleanup", Duration::from_secs(300), move || {
        let app = app.clone();
        async move { jobs::cleanup::run_once(&app).await }
    });
}

/// `bilet serve`.
pub async fn serve(mut config: Config, listen: Option<SocketAddr>) -> anyhow::Result<()> {
    if let Some(listen) = listen {
        // With the default public address, links should follow the override.
        if config.http.public_url.as_str() == "http://127.0.0.1:8080/"
            && let Ok(url) = format!("http://{listen}/").parse()
        {
            config.http.public_url = url;
        }
        config.http.listen = listen;
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data folder {}", config.data_dir.display()))?;
    warn_if_open(&config.data_dir);
    let database = Database::open_for_server(&config).await?;
    let result = run(&config, database.pool.clone(), database.jobs.clone()).await;
    let closed = database.close().await;
    result.and(closed)
}

async fn run(config: &Config, db: PgPool, jobs: PgPool) -> anyhow::Result<()> {
    service::accounts::hasher::return_big_allocations();
    let secrets = Secrets::load_or_create(&config.secrets, &config.data_dir)?;
    let supervisor = Supervisor::new();
    let state = AppState::new(db, config.clone(), secrets, supervisor.token())?.with_job_pool(jobs);
    service::catalog::settings::reload(&state.settings, &state.db, &state.config).await?;
    let first_admin = first_admin_notice(&state).await?;

    let listener = TcpListener::bind(config.http.listen)
        .await
        .with_context(|| format!("listening on {} (http.listen)", config.http.listen))?;
    let address = listener.local_addr()?;
    let lmtp = jobs::lmtp::bind(&config.mail.lmtp.listen).await?;
    start_jobs(&state, &supervisor);
    if let Some(lmtp) = lmtp {
        println!("Taking mail over LMTP at {}", lmtp.describe());
        supervisor.spawn(
            "lmtp",
            jobs::lmtp::serve(state.clone(), lmtp, supervisor.token()),
        );
    }

    let token = supervisor.token();
    tokio::spawn(wait_for_signal(token.clone()));
    let app = crate::web::router(state.clone());
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(token.clone().cancelled_owned());
    let mut server = tokio::spawn(async move { server.await });

    println!(
        "Bilet is running at http://{address}/ (public address {})",
        config.http.public_url
    );
    if let Some(notice) = first_admin {
        println!("{notice}");
    }
    tracing::info!(%address, "listening");

    let grace = Duration::from_secs(config.http.shutdown_grace);
    tokio::select! {
        finished = &mut server => finished??,
        _ = token.cancelled() => {
            tracing::info!("shutting down: finishing running requests");
            match tokio::time::timeout(grace, &mut server).await {
                Ok(finished) => finished??,
                Err(_) => {
                    tracing::warn!("requests still running after {grace:?}; stopping them");
                    server.abort();
                }
            }
        }
    }
    supervisor.shutdown(grace).await;
    tracing::info!("stopped");
    Ok(())
}

/// Says so when the data folder, or what is in it, can be read by other
/// local users (made by an older version, or by hand).
fn warn_if_open(data_dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut open = Vec::new();
    for path in [
        data_dir.to_path_buf(),
        data_dir.join("blobs"),
        data_dir.join("postgres.log"),
    ] {
        if let Ok(meta) = std::fs::metadata(&path)
            && meta.permissions().mode() & 0o077 != 0
        {
            open.push(format!(
                "{} ({:o})",
                path.display(),
                meta.permissions().mode() & 0o777
            ));
        }
    }
    if !open.is_empty() {
        let list = open.join(", ");
        eprintln!("warning: other local users can read {list}: chmod -R go-rwx it");
        tracing::warn!(paths = %list, "the data folder is readable by other users");
    }
}

async fn wait_for_signal(token: CancellationToken) {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(term) => term,
        Err(err) => {
            tracing::error!(error = %err, "cannot watch SIGTERM");
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term.recv() => {},
    }
    token.cancel();
}

/// Creates the first administrator on the first start and says how to sign
/// in; the one-time password is also kept in `<data>/first-admin.txt`
/// (mode 0600) until it has been changed.
async fn first_admin_notice(state: &AppState) -> anyhow::Result<Option<String>> {
    let file = state.config.data_dir.join("first-admin.txt");
    let login = format!("{}login", state.config.http.public_url);
    if let Some((email, password)) =
        service::accounts::ensure_first_admin(&state.db, &state.hasher, &state.config.accounts)
            .await?
    {
        let text = format!(
            "First administrator created. Sign in at {login}\n  email:    {email}\n  password: {password}\n\
             This one-time password must be changed at the first sign-in.\n"
        );
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&file)?;
        f.write_all(text.as_bytes())?;
        return Ok(Some(text));
    }
    if file.exists() {
        if service::accounts::first_admin_pending(&state.db, &state.config.accounts).await? {
            return Ok(Some(format!(
                "Sign in at {login}: the first administrator's one-time password is in {}",
                file.display()
            )));
        }
        let _ = std::fs::remove_file(&file);
    }
    Ok(None)
}
