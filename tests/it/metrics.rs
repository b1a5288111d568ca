//! Health, readiness and /metrics as a load balancer and Prometheus meet
//! them: readiness follows the schema, /metrics answers only the allowed
//! networks (judged by the real client address behind a trusted proxy) and
//! counts requests by route, failed sign-ins and the mail waiting.

use sqlx::PgPool;

use crate::harness::TestApp;

/// The value of the first series of `name` whose labels contain `with`.
fn value(text: &str, name: &str, with: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(with))
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .next()
        .unwrap_or(0.0)
}

#[sqlx::test]
async fn readiness_follows_the_schema(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.expect("text"), "ready\n");

    // A database that lacks the newest migration is not ready.
    sqlx::query(
        "delete from _sqlx_migrations where version = (select max(version) from _sqlx_migrations)",
    )
    .execute(&db)
    .await
    .expect("forget a migration");
    let not = app.get("/readyz").await;
    assert_eq!(not.status(), 503);
    assert!(not.text().await.expect("text").contains("bilet migrate"));
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "alive all the same"
    );
}

#[sqlx::test]
async fn metrics_count_requests_sign_in_failures_and_waiting_mail(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let before = app.get("/metrics").await.text().await.expect("text");
    let failures = value(&before, "bilet_login_failures_total", "reason=\"wrong\"");

    app.get("/healthz").await;
    app.login("nobody@example.com", "not the password").await;
    app.get("/agent/tickets/1042").await;
    sqlx::query(
        "insert into outbox (id, kind, from_addr, mail_message_id, subject, body_text, created_at) \
         values (gen_random_uuid(), 'ack', 'tech@support.test', '<m1@support.test>', 'Hi', 'Hi', now() - interval '90 seconds')",
    )
    .execute(&db)
    .await
    .expect("a waiting mail");

    bilet::jobs::pool_probe::run_once(&app.state)
        .await
        .expect("probe");

    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/plain")
    );
    let text = res.text().await.expect("text");
    assert!(
        value(&text, "bilet_http_requests_total", "route=\"/healthz\"") >= 1.0,
        "{text}"
    );
    assert!(
        text.contains("bilet_http_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        value(
            &text,
            "bilet_http_requests_total",
            "route=\"/agent/tickets/{number}\""
        ) >= 1.0
            && !text.contains("/agent/tickets/1042"),
        "routes by pattern, never by number: {text}"
    );
    assert!(value(&text, "bilet_login_failures_total", "reason=\"wrong\"") >= failures + 1.0);
    assert_eq!(value(&text, "bilet_outbox_waiting", ""), 1.0, "{text}");
    assert!(value(&text, "bilet_outbox_oldest_seconds", "") >= 90.0);
    assert_eq!(value(&text, "bilet_database_up", ""), 1.0);
    assert!(
        value(&text, "bilet_db_pool_wait_seconds_count", "") >= 1.0,
        "the pool's wait is probed: {text}"
    );
}

#[sqlx::test]
async fn metrics_answer_only_allowed_clients_behind_a_trusted_proxy(db: PgPool) {
    let app = TestApp::spawn_with(db, |c| {
        c.metrics.allow = vec!["10.0.0.0/8".parse().expect("net")];
        c.http.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
    })
    .await;
    let get = |xff: Option<&'static str>| {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(x) = xff {
            req = req.header("x-forwarded-for", x);
        }
        req.send()
    };
    assert_eq!(
        get(None).await.expect("get").status(),
        404,
        "the proxy itself"
    );
    assert_eq!(get(Some("203.0.113.5")).await.expect("get").status(), 404);
    assert_eq!(get(Some("10.1.2.3")).await.expect("get").status(), 200);
    // Only a trusted proxy is believed.
    let direct = TestApp::spawn_with(app.state.db.clone(), |c| {
        c.metrics.allow = vec!["10.0.0.0/8".parse().expect("net")];
    })
    .await;
    let res = direct
        .client
        .get(direct.url("/metrics"))
        .header("x-forwarded-for", "10.1.2.3")
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 404);
}
