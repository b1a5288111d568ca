//! Every state-changing form needs the CSRF token; security headers.

use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{TestApp, texts};

const POST_ROUTES: &[&str] = &[
    "/login",
    "/logout",
    "/register",
    "/locale",
    "/account",
    "/account/password",
    "/account/sign-out-everywhere",
    "/account/sessions/00000000-0000-0000-0000-000000000000/revoke",
    "/portal/tickets",
    "/portal/tickets/1001/reply",
    "/portal/tickets/1001/close",
    "/portal/tickets/1001/rating",
    "/claim",
    "/claim/some-token",
    "/agent/tickets",
    "/agent/tickets/1001/reply",
    "/agent/tickets/1001/note",
    "/agent/tickets/1001/status",
    "/agent/tickets/1001/priority",
    "/agent/tickets/1001/assign",
    "/agent/tickets/1001/transfer",
    "/agent/tickets/1001/split",
    "/agent/tickets/1001/properties",
    "/agent/tickets/1001/merge",
    "/agent/tickets/1001/presence",
    "/agent/preferences",
    "/agent/workspaces",
    "/agent/bulk",
    "/admin/departments",
    "/admin/departments/tech",
    "/admin/staff",
    "/admin/topics",
    "/admin/products",
    "/admin/canned",
    "/admin/settings",
    "/admin/mailboxes",
    "/admin/rules",
    "/admin/mail/00000000-0000-0000-0000-000000000000/retry",
];

#[sqlx::test]
async fn posts_without_a_valid_token_are_refused(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.register("anna@example.com", "Anna", "correct horse battery")
        .await;
    for path in POST_ROUTES {
        let res = app.post_raw(path, &[("email", "anna@example.com")]).await;
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{path} without a token"
        );
        let res = app
            .post_raw(path, &[("csrf", "forged"), ("email", "x")])
            .await;
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{path} with a forged token"
        );
    }
    // Still signed in: the refused logout did nothing.
    assert_eq!(app.get("/portal").await.status(), StatusCode::OK);
}

#[sqlx::test]
async fn a_token_from_another_browser_is_refused(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let victim = app.another_browser();
    let attacker_token = app.csrf().await;
    victim.get("/login").await;
    let res = victim
        .post_raw(
            "/register",
            &[
                ("csrf", &attacker_token),
                ("email", "x@example.com"),
                ("name", "X"),
                ("password", "0123456789ab"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let html = res.text().await.expect("body");
    assert!(
        texts(&html, "main p")
            .join(" ")
            .contains("expired or did not come from this site")
    );
}

#[sqlx::test]
async fn pages_carry_security_headers(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let res = app.get("/login").await;
    let headers = res.headers();
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("x-request-id"));
    let cookie = headers["set-cookie"].to_str().expect("cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain http public_url");
}

#[sqlx::test]
async fn cookies_are_secure_behind_https(db: PgPool) {
    let app = TestApp::spawn_with(db, |c| {
        c.http.public_url = "https://help.example.com/".parse().expect("url")
    })
    .await;
    let res = app.get("/login").await;
    assert!(
        res.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .contains("Secure")
    );
}

#[sqlx::test]
async fn a_cookie_chosen_by_the_client_binds_no_token(db: PgPool) {
    let app = TestApp::spawn(db).await;
    // The old way: any cookie value was accepted with the token derived from it.
    let chosen = "attacker-chosen-value";
    let token = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        app.state
            .secrets
            .session_key
            .sign(&[b"csrf", chosen.as_bytes()]),
    );
    let res = app
        .client
        .post(app.url("/register"))
        .header("cookie", format!("bilet_csrf={chosen}"))
        .form(&[
            ("csrf", token.as_str()),
            ("email", "x@example.com"),
            ("name", "X"),
            ("password", "0123456789ab"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A chosen cookie is replaced by one the server issues.
    let res = app
        .client
        .get(app.url("/login"))
        .header("cookie", format!("bilet_csrf={chosen}"))
        .send()
        .await
        .expect("get");
    let set = res.headers()["set-cookie"]
        .to_str()
        .expect("cookie")
        .to_string();
    assert!(
        set.starts_with("bilet_csrf=") && !set.contains(chosen),
        "{set}"
    );
}

#[sqlx::test]
async fn the_token_changes_at_sign_in(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let before = app.csrf().await;
    crate::harness::assert_redirect(
        &app.register("anna@example.com", "Anna", "correct horse battery")
            .await,
        "/portal",
    );
    let after = app.csrf().await;
    assert_ne!(before, after);
    // The pre-sign-in token no longer works for the signed-in user.
    let res = app.post_raw("/logout", &[("csrf", &before)]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app.post_raw("/logout", &[("csrf", &after)]).await;
    assert!(res.status().is_redirection());
}

#[sqlx::test]
async fn an_upload_without_the_token_first_is_refused_before_it_is_read(db: PgPool) {
    let app = TestApp::spawn(db).await;
    crate::harness::assert_redirect(
        &app.register("anna@example.com", "Anna", "correct horse battery")
            .await,
        "/portal",
    );
    let token = app.csrf().await;
    // The token in the query string, as the old forms sent it, is refused.
    let form = crate::harness::Form::new().text("body", "x").build(None);
    let res = app
        .client
        .post(app.url(&format!("/portal/tickets?csrf={token}")))
        .multipart(form)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A large file first: refused without reading it all (the server
    // answers while the client still has most of it to send).
    let big = vec![b'x'; 40 * 1024 * 1024];
    let form = crate::harness::Form::new()
        .file("files", "big.bin", &big)
        .text("csrf", &token)
        .build(None);
    let started = std::time::Instant::now();
    let res = app
        .client
        .post(app.url("/portal/tickets"))
        .multipart(form)
        .send()
        .await;
    match res {
        Ok(r) => assert_eq!(r.status(), StatusCode::FORBIDDEN),
        // The server may close the connection before the client is done.
        Err(e) => assert!(e.is_request() || e.is_body() || e.is_connect(), "{e}"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}
