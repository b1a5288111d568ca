//! Overload: a request that cannot get a database connection within the
//! configured bound is answered 503 with Retry-After at once (a page in the
//! reader's language, problem+json on the API) instead of queueing for
//! seconds; a request's statement that runs past the statement timeout is
//! cancelled and answered the same way; the jobs' own pool still works
//! while the requests' pool is exhausted; and everything answers again
//! when the load is gone.

use std::time::{Duration, Instant};

use bilet::domain::access::AccessLevel::Reply;
use bilet::domain::users::Role;
use bilet::service::tokens::{self, Spec};
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{TestApp, fixtures};

#[sqlx::test]
async fn a_saturated_database_answers_503_with_retry_after_and_recovers(db: PgPool) {
    let app = TestApp::spawn_bounded(db.clone(), |c| {
        c.database.max_connections = 2;
        c.database.acquire_timeout_ms = 300;
        c.database.statement_timeout_ms = 500;
    })
    .await;
    fixtures::department(&db, "tech").await;
    let ana = app.another_browser();
    let one_time = ana
        .create_account("ana@support.test", Role::Agent, &[("tech", Reply)])
        .await;
    ana.login_and_set_password("ana@support.test", &one_time, "correct horse battery")
        .await;
    let (token, _) = tokens::create(
        &app.state,
        Spec {
            name: "billing".into(),
            ..Spec::default()
        },
    )
    .await
    .expect("token");
    assert_eq!(ana.get("/agent").await.status(), StatusCode::OK);

    // Every request connection is taken.
    let held = [
        app.state.db.acquire().await.expect("first"),
        app.state.db.acquire().await.expect("second"),
    ];
    let started = Instant::now();
    let page = ana.get("/agent").await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered without queueing: {:?}",
        started.elapsed()
    );
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        page.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("2")
    );
    let html = page.text().await.expect("page");
    assert!(html.contains("very busy"), "{html}");
    let api = app
        .client
        .get(app.url("/api/v1/tickets"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("api");
    assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(api.headers().get("retry-after").is_some());
    assert_eq!(
        api.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    // The jobs keep their own connections meanwhile.
    let jobs_db = app.state.for_jobs().db;
    let one: i32 = sqlx::query_scalar("select 1")
        .fetch_one(&jobs_db)
        .await
        .expect("the jobs' pool answers");
    assert_eq!(one, 1);
    drop(held);
    assert_eq!(ana.get("/agent").await.status(), StatusCode::OK);

    // A statement that waits past the timeout is cancelled: the queue
    // waits on a lock the test holds.
    let mut blocker = db.begin().await.expect("begin");
    sqlx::query("lock table tickets in access exclusive mode")
        .execute(&mut *blocker)
        .await
        .expect("lock");
    let page = ana.get("/agent").await;
    assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.headers().get("retry-after").is_some());
    blocker.rollback().await.expect("rollback");
    assert_eq!(ana.get("/agent").await.status(), StatusCode::OK);
}
