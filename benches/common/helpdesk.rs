//! A seeded helpdesk served by a real `bilet serve` on its embedded
//! PostgreSQL, as production runs it: the pages bench's subject.

// Each bench takes what it needs of this file.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use reqwest::cookie::CookieStore;
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};

pub struct Helpdesk {
    pub dir: PathBuf,
    pub base: String,
    pub pid: u32,
    pub db: PgPool,
    child: tokio::process::Child,
    cluster_root: PathBuf,
}

/// `bilet --data-dir DIR ARGS…` on the data folder's own cluster; its
/// standard output, or an error with what it printed.
pub async fn cli(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> anyhow::Result<String> {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("BILET_LOG__FILTER", "error")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let mut input = child.stdin.take();
    if let (Some(pipe), Some(bytes)) = (input.as_mut(), stdin) {
        pipe.write_all(bytes).await?;
    }
    drop(input);
    let out = child.wait_with_output().await?;
    anyhow::ensure!(
        out.status.success(),
        "bilet {args:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Waits for `bilet serve` (started with its standard output piped) to
/// say where it listens; its address, and the rest of its output drained.
pub async fn listening(child: &mut tokio::process::Child) -> anyhow::Result<String> {
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut lines = BufReader::new(stdout).lines();
    let mut base = None;
    while let Some(line) = lines.next_line().await? {
        if let Some(rest) = line.strip_prefix("Bilet is running at ") {
            let url = rest.split_whitespace().next().unwrap_or(rest);
            base = Some(url.trim_end_matches('/').to_string());
            break;
        }
    }
    let base = base.ok_or_else(|| anyhow::anyhow!("bilet serve ended without listening"))?;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(base)
}

impl Helpdesk {
    /// Starts `bilet serve` on `dir` (created with its cluster if new).
    pub async fn serve(dir: &Path) -> anyhow::Result<Helpdesk> {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
            .arg("--data-dir")
            .arg(dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env_remove("DATABASE_URL")
            .env("BILET_LOG__FILTER", "error")
            .env("BILET_API__REQUESTS_PER_MINUTE", "100000000")
            .env("BILET_API__BURST", "1000000")
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id().ok_or_else(|| anyhow::anyhow!("no pid"))?;
        let base = listening(&mut child).await?;
        let config = bilet::config::Config::for_tests(dir);
        let layout =
            bilet::database::embedded::Layout::for_data_dir(dir, &config.database.embedded)?;
        let db = PgPool::connect_with(layout.connect_options()).await?;
        let cluster_root = layout
            .pgdata
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Ok(Helpdesk {
            dir: dir.to_path_buf(),
            base,
            pid,
            db,
            child,
            cluster_root,
        })
    }

    /// Stops the server (which stops its PostgreSQL); with `remove`, the
    /// cluster goes too, wherever it lived (as root: /var/lib/bilet-clusters).
    pub async fn stop(mut self, remove: bool) -> anyhow::Result<()> {
        self.db.close().await;
        let pid = nix::unistd::Pid::from_raw(i32::try_from(self.pid)?);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM)?;
        self.child.wait().await?;
        if remove && self.cluster_root.join("pgdata").is_dir() {
            std::fs::remove_dir_all(&self.cluster_root)?;
        }
        Ok(())
    }

    /// Signs in through the form; the session's `Cookie` header.
    pub async fn sign_in(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let form = client
            .get(format!("{}/login", self.base))
            .send()
            .await?
            .text()
            .await?;
        let csrf = csrf(&form).ok_or_else(|| anyhow::anyhow!("no csrf on /login"))?;
        let res = client
            .post(format!("{}/login", self.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", email),
                ("password", password),
                ("next", ""),
            ])
            .send()
            .await?;
        anyhow::ensure!(res.status() == 303, "signing in {email}: {}", res.status());
        let url = self.base.parse()?;
        let cookie = jar
            .cookies(&url)
            .ok_or_else(|| anyhow::anyhow!("no session cookie"))?;
        Ok(cookie.to_str()?.to_string())
    }

    /// GET `path` with `cookie`: the page's text (which must be 200).
    pub async fn page(&self, cookie: &str, path: &str) -> anyhow::Result<String> {
        let res = reqwest::Client::new()
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await?;
        anyhow::ensure!(res.status() == 200, "{path}: {}", res.status());
        Ok(res.text().await?)
    }
}

/// The value of a form's `csrf` field.
pub fn csrf(html: &str) -> Option<String> {
    attribute_after(html, "name=\"csrf\" value=\"")
}

/// The text from after `marker` up to the next quote.
pub fn attribute_after(html: &str, marker: &str) -> Option<String> {
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}
