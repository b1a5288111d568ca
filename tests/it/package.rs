//! The Debian package, built from the debug binary with cargo-deb and
//! installed with dpkg: the bilet user and its 0700 data folder, the
//! overrides-only conffile, the unit; root is sent to the bilet user; the
//! service (systemd where it runs, else `bilet serve` as bilet under the
//! packaged config) answers /healthz and writes the first-admin file; a
//! purge removes the package, the user and the data folder.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

/// Purges the package when dropped, whatever the test did.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        if Path::new("/run/systemd/system").is_dir() {
            let _ = Command::new("systemctl").args(["stop", "bilet"]).status();
        }
        let _ = Command::new("dpkg").args(["--purge", "bilet"]).output();
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    l.local_addr().expect("addr").port()
}

async fn healthz(port: u16) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).await.ok()?;
    Some(out)
}

#[tokio::test]
async fn the_debian_package_installs_runs_and_purges_cleanly() {
    assert!(
        nix::unistd::geteuid().is_root(),
        "dpkg needs root: `make test` runs as root in CI"
    );
    let out = tempfile::tempdir().expect("dir");
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    // The release build stays out of `make test`: package the debug binary.
    run(Command::new("cargo")
        .args([
            "deb",
            "--no-build",
            "--profile",
            "dev",
            "--no-strip",
            "--manifest-path",
            manifest,
            "-o",
        ])
        .arg(out.path()));
    let deb = std::fs::read_dir(out.path())
        .expect("out")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .expect("a .deb");
    let _ = Command::new("dpkg").args(["--purge", "bilet"]).output();
    let installed = Installed;
    run(Command::new("dpkg").arg("-i").arg(&deb));

    // The user, the data folder, the files.
    let user = nix::unistd::User::from_name("bilet")
        .expect("passwd")
        .expect("the bilet user");
    let data = std::fs::metadata("/var/lib/bilet").expect("/var/lib/bilet");
    assert_eq!(data.permissions().mode() & 0o777, 0o700);
    assert_eq!(data.uid(), user.uid.as_raw());
    let conffiles = run(Command::new("dpkg-query").args(["-W", "-f=${Conffiles}", "bilet"]));
    assert!(conffiles.contains("/etc/bilet/config.toml"), "{conffiles}");
    let config = std::fs::read_to_string("/etc/bilet/config.toml").expect("config");
    let active: Vec<&str> = config
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .collect();
    assert_eq!(
        active,
        vec!["data_dir = \"/var/lib/bilet\""],
        "overrides only"
    );
    assert!(Path::new("/usr/share/bilet/default.toml").is_file());
    let unit = std::fs::read_to_string("/lib/systemd/system/bilet.service").expect("unit");
    for line in [
        "User=bilet",
        "KillMode=mixed",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
    ] {
        assert!(unit.contains(line), "{line}");
    }

    // Root is sent to the bilet user with the exact line.
    let root = Command::new("/usr/bin/bilet")
        .arg("doctor")
        .output()
        .expect("bilet");
    assert!(!root.status.success());
    assert!(
        String::from_utf8_lossy(&root.stderr).contains("sudo -u bilet /usr/bin/bilet doctor"),
        "{}",
        String::from_utf8_lossy(&root.stderr)
    );

    // The service, under the packaged config.
    let port = free_port();
    let systemd = Path::new("/run/systemd/system").is_dir();
    let mut child = None;
    if systemd {
        std::fs::create_dir_all("/etc/systemd/system/bilet.service.d").expect("dropin");
        std::fs::write(
            "/etc/systemd/system/bilet.service.d/test.conf",
            format!("[Service]\nEnvironment=BILET_HTTP__LISTEN=127.0.0.1:{port}\n"),
        )
        .expect("dropin");
        run(Command::new("systemctl").arg("daemon-reload"));
        run(Command::new("systemctl").args(["restart", "bilet"]));
    } else {
        let mut c = tokio::process::Command::new("setpriv")
            .args([
                "--reuid=bilet",
                "--regid=bilet",
                "--init-groups",
                "/usr/bin/bilet",
                "serve",
                "--listen",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .env_clear()
            .env("HOME", "/var/lib/bilet")
            .env("PATH", "/usr/bin:/bin")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("bilet serve");
        let mut lines = BufReader::new(c.stdout.take().expect("stdout")).lines();
        tokio::time::timeout(Duration::from_secs(90), async {
            while let Some(line) = lines.next_line().await.expect("line") {
                if line.starts_with("Bilet is running at") {
                    return;
                }
            }
            panic!("bilet serve ended without listening");
        })
        .await
        .expect("the service starts");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        child = Some(c);
    }
    // `bilet serve` said it listens; under systemd (Type=simple) the unit
    // is active before the port is, so only there is the port polled.
    let mut answer = healthz(port).await;
    if systemd {
        for _ in 0..300 {
            if answer.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            answer = healthz(port).await;
        }
    }
    let answer = answer.expect("the service answers");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let first_admin = std::fs::metadata("/var/lib/bilet/first-admin.txt").expect("first-admin.txt");
    assert_eq!(first_admin.uid(), user.uid.as_raw());
    assert!(
        Path::new("/var/lib/bilet/pgdata/PG_VERSION").is_file(),
        "the cluster is in the data folder"
    );
    if let Some(mut c) = child {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(c.id().expect("pid") as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .expect("stop");
        tokio::time::timeout(Duration::from_secs(60), c.wait())
            .await
            .expect("stops")
            .expect("exit");
    }
    if systemd {
        let _ = std::fs::remove_dir_all("/etc/systemd/system/bilet.service.d");
    }

    drop(installed);
    assert!(
        nix::unistd::User::from_name("bilet")
            .expect("passwd")
            .is_none(),
        "the user is gone"
    );
    assert!(
        !Path::new("/var/lib/bilet").exists(),
        "the data folder is gone"
    );
    assert!(!Path::new("/etc/bilet").exists());
}
