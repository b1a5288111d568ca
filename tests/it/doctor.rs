//! `bilet doctor` against the real services: a healthy install reports
//! every check ok and exits 0; a mailbox whose server is gone, a data
//! folder others can read and an unreachable public address each get a
//! line saying what to do, and the exit status says there is a problem.

use std::os::unix::fs::PermissionsExt;

use base64::Engine;
use bilet::config::TlsMode;
use sqlx::PgPool;

use crate::harness::TestApp;
use crate::mailkit::{helpdesk, smtp_port};

async fn doctor(db: &PgPool, dir: &std::path::Path, public_url: &str) -> (bool, String) {
    doctor_with(db, dir, public_url, &[]).await
}

async fn doctor_with(
    db: &PgPool,
    dir: &std::path::Path,
    public_url: &str,
    env: &[(&str, String)],
) -> (bool, String) {
    let key = |seed: u8| base64::engine::general_purpose::STANDARD.encode([seed; 32]);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
        .args(["--data-dir", &dir.to_string_lossy(), "doctor"])
        .env("DATABASE_URL", crate::harness::fixtures::url_of(db).await)
        .env("BILET_LOG__FILTER", "off")
        .env("BILET_HTTP__PUBLIC_URL", public_url)
        // The tests' keys, so the mailbox passwords can be read.
        .env("BILET_SECRETS__SESSION_KEY", key(1))
        .env("BILET_SECRETS__MESSAGE_ID_KEY", key(2))
        .env("BILET_SECRETS__MAILBOX_KEY", key(3))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .await
        .expect("bilet doctor");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn line<'a>(report: &'a str, what: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.contains(&format!(" {what}:")))
        .unwrap_or_else(|| panic!("no line for {what}: {report}"))
}

#[sqlx::test]
async fn the_doctor_finds_what_is_wrong_and_says_how_to_fix_it(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let (_, support) = helpdesk(&app, &db, false).await;
    let dir = tempfile::tempdir().expect("dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod");

    let (healthy, report) = doctor(&db, dir.path(), &app.url("")).await;
    assert!(healthy, "{report}");
    for what in [
        "configuration",
        "database",
        "data folder",
        "disk space",
        "clock",
        "file store",
        "public address",
    ] {
        assert!(line(&report, what).starts_with("ok"), "{report}");
    }
    assert!(
        line(&report, &format!("mailbox {support}")).starts_with("ok"),
        "{report}"
    );

    // A mailbox whose IMAP server is gone, an open data folder, a public
    // address nobody answers at.
    let gone = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let gone_port = gone.local_addr().expect("addr").port();
    drop(gone);
    bilet::service::mail::mailboxes::add(
        &app.state,
        None,
        bilet::service::mail::mailboxes::MailboxInput {
            name: "old-server".into(),
            imap_host: "127.0.0.1".into(),
            imap_port: gone_port,
            imap_tls: TlsMode::None,
            imap_user: "old@help.test".into(),
            imap_password: "secret".into(),
            folder: "INBOX".into(),
            processed_folder: None,
            smtp_host: "127.0.0.1".into(),
            smtp_port: smtp_port(),
            smtp_tls: TlsMode::None,
            smtp_user: None,
            smtp_password: None,
            addresses: vec!["old@help.test".into()],
            department: "tech".into(),
            import_existing: false,
            use_idle: false,
        },
    )
    .await
    .expect("mailbox");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let (healthy, report) =
        doctor(&db, dir.path(), &format!("http://127.0.0.1:{gone_port}/")).await;
    assert!(!healthy, "{report}");
    let mailbox = line(&report, "mailbox old-server");
    assert!(
        mailbox.starts_with("FAIL")
            && mailbox.contains(&format!("127.0.0.1:{gone_port}"))
            && mailbox.contains("Admin → Mailboxes"),
        "{mailbox}"
    );
    let folder = line(&report, "data folder");
    assert!(
        folder.starts_with("FAIL") && folder.contains("chmod -R go-rwx"),
        "{folder}"
    );
    let public = line(&report, "public address");
    assert!(
        public.starts_with("FAIL") && public.contains("http.public_url"),
        "{public}"
    );
    assert!(
        line(&report, &format!("mailbox {support}")).starts_with("ok"),
        "{report}"
    );
}

#[sqlx::test]
async fn the_doctor_checks_the_s3_bucket(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let dir = tempfile::tempdir().expect("dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let s3 = crate::s3::bucket("doctor");
    let env = |secret: &str| {
        vec![
            ("BILET_BLOBS__STORE", "s3".to_string()),
            ("BILET_BLOBS__S3__ENDPOINT", s3.endpoint.clone()),
            ("BILET_BLOBS__S3__REGION", s3.region.clone()),
            ("BILET_BLOBS__S3__BUCKET", s3.bucket.clone()),
            ("BILET_BLOBS__S3__ACCESS_KEY_ID", s3.access_key_id.clone()),
            ("BILET_BLOBS__S3__SECRET_ACCESS_KEY", secret.to_string()),
        ]
    };
    let right = std::env::var("TEST_S3_SECRET").expect("TEST_S3_SECRET");
    let (_, report) = doctor_with(&db, dir.path(), &app.url(""), &env(&right)).await;
    let store = line(&report, "file store");
    assert!(
        store.starts_with("ok") && store.contains("S3 bucket"),
        "{report}"
    );
    let (healthy, report) = doctor_with(&db, dir.path(), &app.url(""), &env("wrong")).await;
    assert!(!healthy, "{report}");
    let store = line(&report, "file store");
    assert!(
        store.starts_with("FAIL") && store.contains("blobs.s3"),
        "{store}"
    );
}
