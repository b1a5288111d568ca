//! Pages in the reader's language; health; errors.

use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{TestApp, assert_redirect, attr, texts};

#[sqlx::test]
async fn pages_follow_accept_language_then_the_switcher_then_the_account(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let res = app
        .client
        .get(app.url("/login"))
        .header("accept-language", "ru-RU,ru;q=0.9,en;q=0.8")
        .send()
        .await
        .expect("GET");
    let html = res.text().await.expect("body");
    assert_eq!(attr(&html, "html", "lang").as_deref(), Some("ru"));
    assert_eq!(texts(&html, "h1"), ["Вход"]);

    // The switcher wins over the browser and brings the reader back.
    let res = app
        .post_form("/locale", &[("lang", "ru"), ("back", "/register")])
        .await;
    assert_redirect(&res, "/register");
    let html = app.get("/register").await.text().await.expect("body");
    assert_eq!(texts(&html, "h1"), ["Регистрация"]);

    // Errors come in that language too, with Russian plural forms.
    let res = app.register("x@example.com", "Имя", "short").await;
    let html = res.text().await.expect("body");
    assert!(
        texts(&html, "#password-error")[0].contains("не менее 10 символов"),
        "{html}"
    );

    // Once signed in, the account's language decides.
    app.register("anna@example.com", "Anna", "correct horse battery")
        .await;
    let locale: Option<String> = sqlx::query_scalar("select locale from users")
        .fetch_one(&app.state.db)
        .await
        .expect("locale");
    assert_eq!(locale.as_deref(), Some("ru"));
    app.post_form(
        "/account",
        &[
            ("name", "Anna"),
            ("locale", "en"),
            ("time_zone", "Europe/Moscow"),
        ],
    )
    .await;
    let res = app
        .client
        .get(app.url("/portal"))
        .header("accept-language", "ru")
        .send()
        .await
        .expect("GET");
    let html = res.text().await.expect("body");
    assert_eq!(texts(&html, "h1"), ["My tickets"]);
}

#[sqlx::test]
async fn account_preferences_are_validated_and_kept(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.register("anna@example.com", "Anna", "correct horse battery")
        .await;
    let res = app
        .post_form(
            "/account",
            &[
                ("name", ""),
                ("locale", "xx"),
                ("time_zone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert_eq!(texts(&html, ".error-summary li").len(), 3);
    let res = app
        .post_form(
            "/account",
            &[
                ("name", "Анна"),
                ("locale", ""),
                ("time_zone", "Asia/Yekaterinburg"),
            ],
        )
        .await;
    assert_redirect(&res, "/account");
    let html = app.get("/account").await.text().await.expect("body");
    assert_eq!(attr(&html, "input#name", "value").as_deref(), Some("Анна"));
    assert_eq!(
        attr(&html, "#time_zone option[selected]", "value").as_deref(),
        Some("Asia/Yekaterinburg")
    );
    assert_eq!(texts(&html, ".notice"), ["Saved."]);
}

#[sqlx::test]
async fn notices_show_only_known_messages(db: PgPool) {
    let app = TestApp::spawn(db).await;
    for key in ["%3Cscript%3Ealert(1)%3C/script%3E", "no-such-notice"] {
        app.set_cookie("bilet_notice", key);
        let html = app.get("/login").await.text().await.expect("body");
        assert!(texts(&html, ".notice").is_empty(), "{key}");
    }
    app.set_cookie("bilet_notice", "signed-out");
    let html = app.get("/login").await.text().await.expect("body");
    assert_eq!(texts(&html, ".notice"), ["You are signed out."]);
    // The address carries no notice any more: old links show none.
    let html = app
        .get("/login?notice=signed-out")
        .await
        .text()
        .await
        .expect("body");
    assert!(texts(&html, ".notice").is_empty());
}

#[sqlx::test]
async fn unknown_pages_answer_404_in_the_readers_language(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let res = app
        .client
        .get(app.url("/no/such/page"))
        .header("accept-language", "ru")
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let html = res.text().await.expect("body");
    assert_eq!(texts(&html, "h1"), ["Страница не найдена"]);
}

#[sqlx::test]
async fn health_answers_when_the_database_does(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    app.state.db.close().await;
    assert_eq!(
        app.get("/healthz").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[sqlx::test]
async fn static_files_are_served_from_the_binary(db: PgPool) {
    let app = TestApp::spawn(db).await;
    let res = app.get("/static/app.css").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/css")
    );
    assert!(
        res.text()
            .await
            .expect("css")
            .contains("prefers-color-scheme: dark")
    );
    assert_eq!(
        app.get("/static/nope.css").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test]
async fn a_get_of_a_form_address_gets_our_page_and_the_switch_returns_to_a_real_page(db: PgPool) {
    let app = TestApp::spawn(db).await;
    // A reload of a page that answered a POST: Bilet's page, not the
    // browser's bare "HTTP ERROR 405", in the reader's language.
    let res = app
        .client
        .get(app.url("/register"))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .client
        .get(app.url("/portal/tickets/1001/reply"))
        .header("accept-language", "ru")
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    let html = res.text().await.expect("body");
    assert!(
        texts(&html, "main p")
            .join(" ")
            .contains("только принимает формы"),
        "{html}"
    );
    // A form shown again with its errors: the language switch goes back
    // to the page the form came from, never to the POST-only address.
    let csrf = app.csrf().await;
    let res = app
        .client
        .post(app.url("/register"))
        .header("referer", app.url("/register"))
        .form(&[
            ("email", "not an address"),
            ("name", ""),
            ("password", ""),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert_eq!(
        attr(&html, ".lang-switch input[name=back]", "value").as_deref(),
        Some("/register")
    );
    // Without a Referer: the address's parent page.
    let res = app
        .client
        .post(app.url("/register"))
        .form(&[
            ("email", "x"),
            ("name", ""),
            ("password", ""),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("POST");
    let html = res.text().await.expect("body");
    assert_eq!(
        attr(&html, ".lang-switch input[name=back]", "value").as_deref(),
        Some("/")
    );
}

#[sqlx::test]
async fn a_new_account_takes_a_known_browser_zone_and_times_name_it(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    for (email, zone) in [
        ("anna@example.com", "Europe/Moscow"),
        ("bo@example.com", "Mars/Olympus"),
    ] {
        let visitor = app.another_browser();
        let res = visitor
            .post_form(
                "/register",
                &[
                    ("email", email),
                    ("name", "Anna"),
                    ("password", "correct horse battery"),
                    ("time_zone", zone),
                ],
            )
            .await;
        assert!(res.status().is_redirection(), "{}", res.status());
        if zone == "Europe/Moscow" {
            // Exact times in titles name the zone.
            let html = visitor.get("/account").await.text().await.expect("account");
            assert!(html.contains("Europe/Moscow (UTC+03"), "{html}");
        }
    }
    let zones: Vec<Option<String>> = sqlx::query_scalar(
        "select u.time_zone from users u join user_emails e on e.user_id = u.id order by e.email",
    )
    .fetch_all(&db)
    .await
    .expect("zones");
    assert_eq!(zones, [Some("Europe/Moscow".to_string()), None]);
}

#[sqlx::test]
async fn a_notice_shows_once_after_its_redirect_and_never_in_the_address(db: PgPool) {
    let app = TestApp::spawn(db).await;
    app.register("anna@example.com", "Anna", "correct horse battery")
        .await;
    let res = app
        .post_form(
            "/account",
            &[("name", "Anna"), ("locale", ""), ("time_zone", "")],
        )
        .await;
    assert_eq!(TestApp::location(&res), "/account", "no notice in the URL");
    assert_eq!(TestApp::notice(&res).as_deref(), Some("saved"));
    let page = app.get("/account").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("body");
    assert_eq!(texts(&html, ".notice"), ["Saved."]);
    assert!(!html.contains("notice="), "no notice in any link: {html}");
    // A reload shows it no more.
    let html = app.get("/account").await.text().await.expect("body");
    assert!(texts(&html, ".notice").is_empty());
    // A redirect passes a notice on to the page it leads to.
    let res = app.post_form("/logout", &[]).await;
    assert_eq!(TestApp::location(&res), "/login");
    let html = app.get("/").await;
    assert!(html.status().is_redirection());
    let html = app.get("/login").await.text().await.expect("body");
    assert_eq!(texts(&html, ".notice"), ["You are signed out."]);
    // An unknown key in the cookie shows nothing, and is cleared as well.
    app.set_cookie("bilet_notice", "no-such-notice");
    let html = app.get("/login").await.text().await.expect("body");
    assert!(texts(&html, ".notice").is_empty());
    assert_eq!(app.cookie("bilet_notice"), None);
}

#[sqlx::test]
async fn staff_take_the_browser_zone_when_they_first_set_their_password(db: PgPool) {
    use bilet::domain::users::Role;
    let app = TestApp::spawn(db.clone()).await;
    let one_time = app
        .create_account("ana@support.test", Role::Agent, &[])
        .await;
    let ana = app.another_browser();
    ana.login("ana@support.test", &one_time).await;
    let res = ana
        .post_form(
            "/account/password",
            &[
                ("current", &one_time),
                ("new", "correct horse battery"),
                ("time_zone", "Asia/Yekaterinburg"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let zone: Option<String> = sqlx::query_scalar(
        "select u.time_zone from users u join user_emails e on e.user_id = u.id where e.email = 'ana@support.test'",
    )
    .fetch_one(&db)
    .await
    .expect("zone");
    assert_eq!(zone.as_deref(), Some("Asia/Yekaterinburg"));
    // A zone chosen in the account is never overwritten by a browser's.
    bilet::service::accounts::adopt_browser_zone(&db, ana_id(&db).await, "Europe/Moscow")
        .await
        .expect("adopt");
    let zone: Option<String> = sqlx::query_scalar("select time_zone from users where id = $1")
        .bind(ana_id(&db).await)
        .fetch_one(&db)
        .await
        .expect("zone");
    assert_eq!(zone.as_deref(), Some("Asia/Yekaterinburg"));
}

async fn ana_id(db: &PgPool) -> bilet::domain::ids::UserId {
    sqlx::query_scalar("select user_id from user_emails where email = 'ana@support.test'")
        .fetch_one(db)
        .await
        .expect("ana")
}
