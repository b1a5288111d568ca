//! `bilet token create/list/revoke`: the token is printed once, works
//! against the server at once, is listed without its secret, and stops
//! working when revoked.

use base64::Engine;
use bilet::domain::access::AccessLevel::Manage;
use bilet::domain::users::Role;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{TestApp, fixtures};

async fn bilet(db: &PgPool, args: &[&str]) -> (bool, String, String) {
    let key = |seed: u8| base64::engine::general_purpose::STANDARD.encode([seed; 32]);
    let dir = tempfile::tempdir().expect("dir");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(args)
        .env("DATABASE_URL", fixtures::url_of(db).await)
        .env("BILET_LOG__FILTER", "off")
        // The tests' keys: the server under test hashes tokens with them.
        .env("BILET_SECRETS__SESSION_KEY", key(1))
        .env("BILET_SECRETS__MESSAGE_ID_KEY", key(2))
        .env("BILET_SECRETS__MAILBOX_KEY", key(3))
        .output()
        .await
        .expect("bilet");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[sqlx::test]
async fn a_token_made_on_the_command_line_works_until_it_is_revoked(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    fixtures::department(&db, "billing").await;
    fixtures::user(
        &db,
        "ana@support.test",
        Role::Agent,
        &[("tech", Manage), ("billing", Manage)],
    )
    .await;
    let (ok, out, err) = bilet(
        &db,
        &[
            "token",
            "create",
            "--name",
            "monitoring",
            "--user",
            "ana@support.test",
            "--department",
            "tech:read",
            "--read-only",
        ],
    )
    .await;
    assert!(ok, "{err}");
    let token = out.trim().to_string();
    assert!(token.starts_with("bilet_") && token.len() > 40, "{out}");
    assert!(err.contains("shown this once"), "{err}");

    let r = app
        .client
        .get(app.url("/api/v1/departments"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    let ds: serde_json::Value = r.json().await.expect("json");
    assert_eq!(
        ds.as_array().expect("list").len(),
        1,
        "narrowed to tech: {ds}"
    );

    let (ok, list, _) = bilet(&db, &["token", "list"]).await;
    assert!(ok);
    assert!(
        list.contains("monitoring") && list.contains("tech:read") && list.contains("read-only"),
        "{list}"
    );
    assert!(!list.contains(&token), "the secret is never listed");

    let (ok, _, err) = bilet(&db, &["token", "create", "--name", "monitoring"]).await;
    assert!(!ok && err.contains("already has this name"), "{err}");

    let (ok, _, err) = bilet(&db, &["token", "revoke", "monitoring"]).await;
    assert!(ok, "{err}");
    let r = app
        .client
        .get(app.url("/api/v1/departments"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (ok, _, err) = bilet(&db, &["token", "revoke", "monitoring"]).await;
    assert!(!ok && err.contains("no live token"), "{err}");
}
