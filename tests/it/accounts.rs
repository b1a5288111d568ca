//! Registration, sign-in, throttling, password changes, sessions, roles.

use bilet::domain::access::AccessLevel;
use bilet::domain::users::Role;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{TestApp, assert_redirect, attr, texts};

const PASSWORD: &str = "correct horse battery";

#[sqlx::test]
async fn registration_signs_the_customer_in(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let res = app.register("Olga@Example.RU", "Ольга", PASSWORD).await;
    assert_redirect(&res, "/portal");
    let page = app
        .get(res.headers()["location"].to_str().expect("location"))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("body");
    assert_eq!(texts(&html, "h1"), ["My tickets"]);
    assert!(
        texts(&html, ".notice")
            .iter()
            .any(|t| t.contains("Welcome"))
    );
    // The address is stored in its normal form.
    let email: String = sqlx::query_scalar("select email from user_emails")
        .fetch_one(&app.state.db)
        .await
        .expect("email");
    assert_eq!(email, "olga@example.ru");
}

#[sqlx::test]
async fn registration_errors_keep_what_was_typed(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let res = app.register("not-an-address", "Пётр Иванов", "short").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert_eq!(
        attr(&html, "input#email", "value").as_deref(),
        Some("not-an-address")
    );
    assert_eq!(
        attr(&html, "input#name", "value").as_deref(),
        Some("Пётр Иванов")
    );
    let summary = texts(&html, ".error-summary li");
    assert_eq!(summary.len(), 2, "{summary:?}");
    assert!(summary[0].contains("email address like"));
    assert!(summary[1].contains("at least 10 characters"));
    assert_eq!(texts(&html, "#password-error").len(), 1);
    // Nobody was created.
    let users: i64 = sqlx::query_scalar("select count(*) from users where role = 'customer'")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert_eq!(users, 0);
    // The mail path's parser decides: what it could never deliver to is refused.
    for bad in ["olga@@client", "olga@@client.ru", "x@y"] {
        let res = app.register(bad, "Ольга", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let html = res.text().await.expect("body");
        assert_eq!(attr(&html, "input#email", "value").as_deref(), Some(bad));
    }
}

#[sqlx::test]
async fn an_address_can_register_once(db: PgPool) {
    let app = TestApp::spawn(db).await;
    assert_redirect(
        &app.register("anna@example.com", "Anna", PASSWORD).await,
        "/portal",
    );
    let other = app.another_browser();
    let res = other.register("ANNA@example.com", "Anna 2", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert!(texts(&html, "#email-error")[0].contains("already an account"));
}

#[sqlx::test]
async fn registration_can_be_switched_off(db: PgPool) {
    let app = TestApp::spawn_with(db, |c| c.accounts.registration = false).await;
    assert_eq!(app.get("/register").await.status(), StatusCode::NOT_FOUND);
    let res = app.register("anna@example.com", "Anna", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let html = app.get("/login").await.text().await.expect("body");
    assert!(attr(&html, "a[href='/register']", "href").is_none());
}

#[sqlx::test]
async fn a_wrong_password_is_refused_and_the_address_kept(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.register("anna@example.com", "Anna", PASSWORD).await;
    let browser = app.another_browser();
    let res = browser.login("anna@example.com", "wrong password").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert_eq!(
        attr(&html, "input#email", "value").as_deref(),
        Some("anna@example.com")
    );
    assert!(
        texts(&html, ".error-summary")
            .join(" ")
            .contains("email address or password is wrong")
    );
    assert_redirect(&browser.get("/portal").await, "/login");
    // The right password works, and lands on the customer's home.
    assert_redirect(
        &browser.login("Anna@Example.com", PASSWORD).await,
        "/portal",
    );
    assert_eq!(browser.get("/portal").await.status(), StatusCode::OK);
}

#[sqlx::test]
async fn sign_in_returns_to_the_page_asked_for_but_never_off_site(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.register("anna@example.com", "Anna", PASSWORD).await;
    let browser = app.another_browser();
    let res = browser.get("/account").await;
    assert_redirect(&res, "/login");
    assert_eq!(res.headers()["location"], "/login?next=%2Faccount");
    let form = browser
        .get("/login?next=%2Faccount")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(
        attr(&form, "input[name=next]", "value").as_deref(),
        Some("/account")
    );
    let res = browser
        .post_form(
            "/login",
            &[
                ("email", "anna@example.com"),
                ("password", PASSWORD),
                ("next", "/account"),
            ],
        )
        .await;
    assert_redirect(&res, "/account");
    let third = app.another_browser();
    let res = third
        .post_form(
            "/login",
            &[
                ("email", "anna@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_redirect(&res, "/portal");
}

#[sqlx::test]
async fn failed_sign_ins_are_throttled_per_account_and_per_address(db: PgPool) {
    let app = TestApp::spawn_with(db, |c| {
        c.accounts.throttle.per_account_and_address = 3;
        c.accounts.throttle.per_address = 5;
    })
    .await;
    app.register("anna@example.com", "Anna", PASSWORD).await;
    app.another_browser()
        .register("boris@example.com", "Boris", PASSWORD)
        .await;
    let attacker = app.another_browser();
    for _ in 0..3 {
        assert_eq!(
            attacker.login("anna@example.com", "guess").await.status(),
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    // Anna's account from this address is now throttled, even with the right password.
    let res = attacker.login("anna@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        res.text()
            .await
            .expect("body")
            .contains("Too many failed attempts")
    );
    // Another account from the same address still works: no global lockout...
    assert_redirect(
        &attacker.login("boris@example.com", PASSWORD).await,
        "/portal",
    );
    // ...until the address as a whole has failed too often.
    let fresh = app.another_browser();
    for _ in 0..2 {
        fresh.login("nobody@example.com", "guess").await;
    }
    let res = fresh.login("boris@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // The attempts are counted in PostgreSQL, so every node sees them.
    let from_address: i32 = sqlx::query_scalar("select n from login_attempts where account = ''")
        .fetch_one(&app.state.db)
        .await
        .expect("count");
    assert!(from_address > 5, "{from_address}");
}

#[sqlx::test]
async fn changing_the_password_ends_the_other_sessions(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.register("anna@example.com", "Anna", PASSWORD).await;
    let laptop = app.another_browser();
    assert_redirect(&laptop.login("anna@example.com", PASSWORD).await, "/portal");
    let epoch_before: i32 = sqlx::query_scalar("select session_epoch from users")
        .fetch_one(&app.state.db)
        .await
        .expect("epoch");

    let res = app
        .post_form(
            "/account/password",
            &[("current", PASSWORD), ("new", "a brand new passphrase")],
        )
        .await;
    assert_redirect(&res, "/portal");
    assert_eq!(
        app.get("/portal").await.status(),
        StatusCode::OK,
        "this session stays"
    );
    assert_redirect(&laptop.get("/portal").await, "/login");
    let epoch_after: i32 = sqlx::query_scalar("select session_epoch from users")
        .fetch_one(&app.state.db)
        .await
        .expect("epoch");
    assert_eq!(
        epoch_after,
        epoch_before + 1,
        "signed links issued before stop working"
    );
    // Old password no longer works, the new one does.
    let other = app.another_browser();
    assert_eq!(
        other.login("anna@example.com", PASSWORD).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_redirect(
        &other
            .login("anna@example.com", "a brand new passphrase")
            .await,
        "/portal",
    );
}

#[sqlx::test]
async fn a_wrong_current_password_changes_nothing(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.register("anna@example.com", "Anna", PASSWORD).await;
    let res = app
        .post_form(
            "/account/password",
            &[("current", "nope"), ("new", "a brand new passphrase")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert!(texts(&html, "#current-error")[0].contains("current password is wrong"));
    assert_redirect(
        &app.another_browser()
            .login("anna@example.com", PASSWORD)
            .await,
        "/portal",
    );
}

#[sqlx::test]
async fn sessions_are_listed_and_can_be_ended(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.register("anna@example.com", "Anna", PASSWORD).await;
    let phone = app.another_browser();
    phone.login("anna@example.com", PASSWORD).await;
    let html = app.get("/account").await.text().await.expect("body");
    let sessions = texts(&html, ".sessions li");
    assert_eq!(sessions.len(), 2);
    assert!(sessions.iter().any(|s| s.contains("This device")));
    let action = attr(&html, ".sessions form", "action").expect("revoke form");
    assert_redirect(&app.post_form(&action, &[]).await, "/account");
    assert_redirect(&phone.get("/portal").await, "/login");
    // Someone else's session answers 404 and ends nothing.
    let anna_session: uuid::Uuid = sqlx::query_scalar("select id from sessions")
        .fetch_one(&app.state.db)
        .await
        .expect("one session left");
    let bob = app.another_browser();
    bob.register("bob@example.com", "Bob", PASSWORD).await;
    let res = bob
        .post_form(&format!("/account/sessions/{anna_session}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/portal").await.status(), StatusCode::OK);

    assert_redirect(
        &app.post_form("/account/sign-out-everywhere", &[]).await,
        "/login",
    );
    assert_redirect(&app.get("/portal").await, "/login");
}

#[sqlx::test]
async fn staff_must_replace_their_one_time_password(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let one_time = app
        .create_account("ana@support.test", Role::Agent, &[])
        .await;
    assert_redirect(
        &app.login("ana@support.test", &one_time).await,
        "/account/password",
    );
    // Every other page sends them back to the password form.
    assert_redirect(&app.get("/agent").await, "/account/password");
    assert_redirect(&app.get("/account").await, "/account/password");
    let html = app
        .get("/account/password")
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("one-time password"));
    let res = app
        .post_form(
            "/account/password",
            &[("current", &one_time), ("new", "agents own passphrase")],
        )
        .await;
    assert_redirect(&res, "/agent");
    assert_eq!(app.get("/agent").await.status(), StatusCode::OK);
}

#[sqlx::test]
async fn each_role_reaches_only_its_areas(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let customer = app.another_browser();
    customer
        .register("cust@example.com", "Customer", PASSWORD)
        .await;
    let agent = app.another_browser();
    let pw = app
        .create_account("agent@support.test", Role::Agent, &[])
        .await;
    agent
        .login_and_set_password("agent@support.test", &pw, PASSWORD)
        .await;
    let admin = app.another_browser();
    let pw = app
        .create_account("admin@support.test", Role::Admin, &[])
        .await;
    admin
        .login_and_set_password("admin@support.test", &pw, PASSWORD)
        .await;
    let anonymous = app.another_browser();

    for (who, path, expected) in [
        (&customer, "/portal", 200),
        (&customer, "/agent", 404),
        (&customer, "/admin", 404),
        (&agent, "/portal", 404),
        (&agent, "/agent", 200),
        (&agent, "/admin", 404),
        (&admin, "/agent", 200),
        (&admin, "/admin", 200),
        (&anonymous, "/portal", 303),
        (&anonymous, "/agent", 303),
        (&anonymous, "/admin", 303),
    ] {
        let status = who.get(path).await.status().as_u16();
        assert_eq!(status, expected, "{path}");
    }
    // Home follows the role.
    assert_redirect(&agent.get("/").await, "/agent");
    assert_redirect(&anonymous.get("/").await, "/login");
}

#[sqlx::test]
async fn disabled_accounts_lose_their_sessions_and_cannot_sign_in(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let pw = app
        .create_account("agent@support.test", Role::Agent, &[])
        .await;
    app.login_and_set_password("agent@support.test", &pw, PASSWORD)
        .await;
    let id: uuid::Uuid =
        sqlx::query_scalar("select user_id from user_emails where email = 'agent@support.test'")
            .fetch_one(&app.state.db)
            .await
            .expect("id");
    bilet::store::users::set_disabled(&app.state.db, bilet::domain::ids::UserId(id), true)
        .await
        .expect("disable");
    assert_redirect(&app.get("/agent").await, "/login");
    let res = app
        .another_browser()
        .login("agent@support.test", PASSWORD)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("body").contains("disabled"));
}

#[sqlx::test]
async fn agents_created_with_departments_get_them(db: PgPool) {
    let app = TestApp::spawn(db).await;
    bilet::service::catalog::departments::create(
        &app.state.db,
        None,
        bilet::service::catalog::departments::NewDepartment {
            slug: "billing".into(),
            name: "Billing".into(),
            addresses: vec!["billing@example.com".into()],
            signature: String::new(),
        },
    )
    .await
    .expect("department");
    app.create_account(
        "ana@support.test",
        Role::Agent,
        &[("billing", AccessLevel::Read)],
    )
    .await;
    let level: String = sqlx::query_scalar("select level::text from agent_departments")
        .fetch_one(&app.state.db)
        .await
        .expect("grant");
    assert_eq!(level, "read");
    let err = bilet::service::accounts::create_account(
        &app.state.db,
        &app.state.hasher,
        None,
        bilet::service::accounts::NewAccount {
            email: "bo@support.test".into(),
            name: "Bo".into(),
            role: Role::Agent,
            departments: vec![("nope".into(), AccessLevel::Reply)],
        },
    )
    .await
    .expect_err("unknown department");
    assert!(matches!(err, bilet::service::Error::Invalid(_)));
}
