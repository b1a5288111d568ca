//! schemathesis (from PyPI, in the test venv) generates requests from the
//! served OpenAPI document and sends them to the live server: no answer
//! may be a 5xx, and every answer must match the document.

use bilet::domain::users::Role;
use bilet::service::tokens::{self, Spec};
use sqlx::PgPool;

use crate::harness::{TestApp, fixtures};

fn schemathesis() -> std::path::PathBuf {
    let python =
        std::env::var("TEST_PYTHON").expect("TEST_PYTHON: run under tests/env/with-services");
    std::path::Path::new(&python).with_file_name("schemathesis")
}

#[sqlx::test]
async fn a_property_based_fuzzer_finds_no_server_error_and_no_answer_off_the_document(db: PgPool) {
    let app = TestApp::spawn_with(db.clone(), |c| {
        c.api.burst = 100_000;
        c.api.requests_per_minute = 1_000_000;
        c.api.long_poll_seconds = 1;
    })
    .await;
    let tech = fixtures::department(&db, "tech").await;
    let olga = fixtures::user(&db, "olga@client.test", Role::Customer, &[]).await;
    fixtures::ticket(&db, tech, olga, "Сайт лежит").await;
    let (token, _) = tokens::create(
        &app.state,
        Spec {
            name: "fuzz".into(),
            ..Spec::default()
        },
    )
    .await
    .expect("token");
    // It keeps a cache in its working folder: not in the checkout.
    let work = tempfile::tempdir().expect("dir");
    let out = tokio::process::Command::new(schemathesis())
        .current_dir(work.path())
        .arg("run")
        .arg(app.url("/api/v1/openapi.json"))
        .args(["--url", &app.url("")])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance",
        ])
        // Its stateful phase infers links between operations by name and
        // breaks on ours (a reply's `id` taken for a webhook's, then asking
        // for `number` there: "Invalid OpenAPI Links Definition"): the
        // stateless phases cover every operation.
        .args(["--phases", "examples,coverage,fuzzing"])
        .args([
            "--max-examples",
            "25",
            "--seed",
            "1",
            "--request-timeout",
            "20",
        ])
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .output()
        .await
        .expect("schemathesis runs");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("passed"), "{text}");
}
