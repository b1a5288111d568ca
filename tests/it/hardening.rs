//! Attacks on sign-in, reproduced: parallel sign-ins cannot exhaust memory
//! (hashing is bounded), and parallel guesses cannot outrun the throttle.

use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{TestApp, assert_redirect};

const PASSWORD: &str = "correct horse battery";

/// A login POST as a client at `ip` (the test server trusts loopback as
/// its proxy, so X-Forwarded-For names the client).
async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> reqwest::Response {
    let b = app.another_browser();
    let token = b.csrf().await;
    b.client
        .post(b.url("/login"))
        .header("x-forwarded-for", ip)
        .form(&[("email", email), ("password", password), ("csrf", &token)])
        .send()
        .await
        .expect("login")
}

#[sqlx::test]
async fn parallel_sign_ins_hash_at_most_the_pool_size_at_once(db: PgPool) {
    let app = TestApp::spawn_with(db, |c| {
        c.accounts.hash_pool = 2;
        c.accounts.hash_wait_ms = 60_000;
        c.accounts.throttle.per_address = 1000;
        c.http.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
    })
    .await;
    let attempts = (0..40).map(|i| {
        let app = app.another_browser();
        async move {
            login_from(
                &app,
                &format!("10.0.{}.{}", i / 200, i % 200 + 1),
                &format!("nobody{i}@example.com"),
                "guess",
            )
            .await
            .status()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
    let peak = app.state.hasher.peak();
    assert!(
        (1..=2).contains(&peak),
        "never more than the pool hashing at once: {peak}"
    );
}

#[sqlx::test]
async fn one_client_hashes_one_at_a_time_and_is_told_to_retry(db: PgPool) {
    let app = TestApp::spawn_with(db, |c| {
        c.accounts.hash_pool = 2;
        c.accounts.hash_wait_ms = 1;
        c.accounts.throttle.per_address = 1000;
        c.accounts.throttle.per_account_and_address = 1000;
        c.http.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
    })
    .await;
    let attempts = (0..10).map(|i| {
        let app = app.another_browser();
        async move { login_from(&app, "10.9.9.9", &format!("x{i}@example.com"), "guess").await }
    });
    let responses = futures_util::future::join_all(attempts).await;
    let refused: Vec<_> = responses
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert!(
        !refused.is_empty(),
        "parallel hashes from one address wait or are refused"
    );
    assert!(
        refused
            .iter()
            .all(|r| r.headers().contains_key("retry-after"))
    );
    assert!(responses.iter().all(|r| matches!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::TOO_MANY_REQUESTS
    )));
}

#[sqlx::test]
async fn fifty_parallel_guesses_check_at_most_the_limit(db: PgPool) {
    let app = TestApp::spawn_with(db, |c| {
        c.accounts.throttle.per_account_and_address = 5;
        c.accounts.throttle.per_address = 1000;
        // Each guess may wait its turn: the throttle, not the pool, refuses.
        c.accounts.hash_wait_ms = 60_000;
    })
    .await;
    assert_redirect(
        &app.register("anna@example.com", "Anna", PASSWORD).await,
        "/portal",
    );
    let guesses = (0..50).map(|i| {
        let app = app.another_browser();
        // Guess 26 is the right password.
        let password = if i == 25 {
            PASSWORD.to_string()
        } else {
            format!("guess {i}")
        };
        async move { app.login("anna@example.com", &password).await.status() }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s != StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        checked <= 5,
        "{checked} of 50 guesses were checked: {statuses:?}"
    );
    let signed_in = statuses.iter().filter(|s| s.is_redirection()).count();
    // The right password got in only if it was among the five checked.
    assert!(signed_in <= 1);
}
