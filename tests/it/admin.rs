//! The admin console over HTTP: only admins get in; departments, staff and
//! grants, help topics, products, canned responses and settings change
//! what the rest of Bilet does, and every change lands in the audit log.

use bilet::domain::users::Role;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{TestApp, assert_redirect, attr, fixtures, texts};

const PASSWORD: &str = "correct horse battery";

async fn admin(app: &TestApp) -> TestApp {
    let browser = app.another_browser();
    let pw = app
        .create_account("root@support.test", Role::Admin, &[])
        .await;
    browser
        .login_and_set_password("root@support.test", &pw, PASSWORD)
        .await;
    browser
}

const PAGES: &[&str] = &[
    "/admin",
    "/admin/departments",
    "/admin/staff",
    "/admin/topics",
    "/admin/products",
    "/admin/canned",
    "/admin/settings",
    "/admin/audit",
];

#[sqlx::test]
async fn only_admins_enter_the_console(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let root = admin(&app).await;
    let agent = app.another_browser();
    let pw = app
        .create_account("ana@support.test", Role::Agent, &[])
        .await;
    agent
        .login_and_set_password("ana@support.test", &pw, PASSWORD)
        .await;
    let customer = app.another_browser();
    customer.register("c@example.com", "C", PASSWORD).await;
    for page in PAGES {
        assert_eq!(root.get(page).await.status(), StatusCode::OK, "{page}");
        assert_eq!(
            agent.get(page).await.status(),
            StatusCode::NOT_FOUND,
            "{page}"
        );
        assert_eq!(
            customer.get(page).await.status(),
            StatusCode::NOT_FOUND,
            "{page}"
        );
    }
    let res = agent
        .post_form(
            "/admin/departments",
            &[("slug", "x"), ("name", "X"), ("addresses", "x@x.org")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let count: i64 = sqlx::query_scalar("select count(*) from departments")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(count, 0);
}

#[sqlx::test]
async fn departments_are_created_edited_and_audited(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let root = admin(&app).await;
    let res = root
        .post_form(
            "/admin/departments",
            &[
                ("slug", "tech"),
                ("name", "Техподдержка"),
                ("addresses", "Help@Example.com\nsupport@example.com"),
                ("signature", ""),
            ],
        )
        .await;
    assert_redirect(&res, "/admin/departments");
    let res = root
        .post_form(
            "/admin/departments",
            &[
                ("slug", "tech"),
                ("name", "Again"),
                ("addresses", "other@example.com"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("page");
    assert!(
        texts(&html, ".error-summary")
            .join(" ")
            .contains("already uses this short name")
    );
    assert_eq!(
        attr(&html, "input#name", "value").as_deref(),
        Some("Again"),
        "what was typed stays"
    );

    let html = root
        .get("/admin/departments/tech")
        .await
        .text()
        .await
        .expect("edit");
    assert_eq!(
        texts(&html, "textarea#addresses"),
        ["help@example.com\nsupport@example.com"]
    );
    let res = root
        .post_form(
            "/admin/departments/tech",
            &[
                ("name", "Техподдержка"),
                ("addresses", "help@example.com"),
                ("signature", "-- \n{{agent.name}}, {{department.name}}"),
                ("manager", ""),
                ("visible", ""),
            ],
        )
        .await;
    assert_redirect(&res, "/admin/departments/tech");
    let (signature, visible): (String, bool) =
        sqlx::query_as("select signature, customer_visible from departments")
            .fetch_one(&db)
            .await
            .expect("department");
    assert_eq!(signature, "-- \n{{agent.name}}, {{department.name}}");
    assert!(!visible);
    let html = root.get("/admin/audit").await.text().await.expect("audit");
    let kinds = texts(&html, "td code");
    assert!(
        kinds.iter().any(|k| k == "department.created")
            && kinds.iter().any(|k| k == "department.updated"),
        "{kinds:?}"
    );
    assert!(
        texts(&html, "tbody tr").iter().any(|r| r.contains("root")),
        "who did it"
    );
}

#[sqlx::test]
async fn staff_get_grants_can_be_disabled_and_reset(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let root = admin(&app).await;
    fixtures::department(&db, "tech").await;
    let tech: String = sqlx::query_scalar("select id::text from departments")
        .fetch_one(&db)
        .await
        .expect("tech");
    let res = root
        .post_form(
            "/admin/staff",
            &[
                ("email", "Ana@Support.test"),
                ("name", "Анна"),
                ("role", "agent"),
                (&format!("grant.{tech}"), "reply"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("page");
    let password = texts(&html, ".callout code.secret")
        .into_iter()
        .next()
        .expect("one-time password shown once");
    let level: String = sqlx::query_scalar("select level::text from agent_departments")
        .fetch_one(&db)
        .await
        .expect("grant");
    assert_eq!(level, "reply");

    let ana = app.another_browser();
    ana.login_and_set_password("ana@support.test", &password, PASSWORD)
        .await;
    assert_eq!(ana.get("/agent").await.status(), StatusCode::OK);

    let id: String = sqlx::query_scalar(
        "select user_id::text from user_emails where email = 'ana@support.test'",
    )
    .fetch_one(&db)
    .await
    .expect("id");
    let res = root
        .post_form(
            &format!("/admin/staff/{id}"),
            &[
                ("name", "Анна К."),
                ("role", "agent"),
                (&format!("grant.{tech}"), "manage"),
            ],
        )
        .await;
    assert_redirect(&res, &format!("/admin/staff/{id}"));
    let level: String = sqlx::query_scalar("select level::text from agent_departments")
        .fetch_one(&db)
        .await
        .expect("grant");
    assert_eq!(level, "manage");

    assert_redirect(
        &root
            .post_form(&format!("/admin/staff/{id}/disable"), &[])
            .await,
        &format!("/admin/staff/{id}"),
    );
    assert_redirect(&ana.get("/agent").await, "/login");
    assert_eq!(
        app.another_browser()
            .login("ana@support.test", PASSWORD)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let messages_kept: i64 =
        sqlx::query_scalar("select count(*) from users where disabled_at is not null")
            .fetch_one(&db)
            .await
            .expect("kept");
    assert_eq!(messages_kept, 1, "disabled, not deleted");
    root.post_form(&format!("/admin/staff/{id}/enable"), &[])
        .await;
    let html = root
        .post_form(&format!("/admin/staff/{id}/reset-password"), &[])
        .await
        .text()
        .await
        .expect("page");
    let new_password = texts(&html, "code.secret")
        .into_iter()
        .next()
        .expect("new password");
    let again = app.another_browser();
    assert_redirect(
        &again.login("ana@support.test", &new_password).await,
        "/account/password",
    );

    // An admin cannot demote or disable themselves.
    let root_id: String = sqlx::query_scalar(
        "select user_id::text from user_emails where email = 'root@support.test'",
    )
    .fetch_one(&db)
    .await
    .expect("root");
    let res = root
        .post_form(
            &format!("/admin/staff/{root_id}"),
            &[("name", "root"), ("role", "agent")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = root
        .post_form(&format!("/admin/staff/{root_id}/disable"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = res.text().await.expect("page");
    assert!(
        page.contains("You cannot disable your own account."),
        "says why, not \"someone changed this\": {page}"
    );
}

#[sqlx::test]
async fn topics_products_and_canned_responses_reach_the_portal_and_agents(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let root = admin(&app).await;
    fixtures::department(&db, "tech").await;
    let tech: String = sqlx::query_scalar("select id::text from departments")
        .fetch_one(&db)
        .await
        .expect("tech");
    let res = root
        .post_form(
            "/admin/topics",
            &[
                ("name", "Сайт не работает"),
                ("department", &tech),
                ("guidance", "Укажите адрес сайта."),
                ("prompts", "Адрес сайта* | example.com\nС какого времени"),
                ("suggested", "Снимок экрана"),
                ("visible", "1"),
            ],
        )
        .await;
    assert_redirect(&res, "/admin/topics");
    root.post_form("/admin/products", &[("name", "Хостинг «Старт»")])
        .await;
    root.post_form(
        "/admin/canned",
        &[
            ("title", "Перезапуск"),
            ("body", "Здравствуйте, {{customer.name}}!"),
            ("department", ""),
        ],
    )
    .await;

    let customer = app.another_browser();
    customer.register("c@example.com", "Клиент", PASSWORD).await;
    let html = customer
        .get("/portal/tickets/new")
        .await
        .text()
        .await
        .expect("form");
    assert!(
        html.contains("Укажите адрес сайта."),
        "one topic: straight to its form"
    );
    assert_eq!(texts(&html, "label[for=prompt-p1]"), ["Адрес сайта"]);
    assert!(
        texts(&html, "#product option")
            .iter()
            .any(|o| o == "Хостинг «Старт»")
    );

    let id: String = sqlx::query_scalar("select id::text from products")
        .fetch_one(&db)
        .await
        .expect("product");
    root.post_form(&format!("/admin/products/{id}/toggle"), &[("active", "0")])
        .await;
    let html = customer
        .get("/portal/tickets/new")
        .await
        .text()
        .await
        .expect("form");
    assert!(
        texts(&html, "#product option").is_empty(),
        "a hidden product is not offered"
    );

    let canned: i64 =
        sqlx::query_scalar("select count(*) from canned_responses where department_id is null")
            .fetch_one(&db)
            .await
            .expect("canned");
    assert_eq!(canned, 1);
    let res = root
        .post_form("/admin/canned", &[("title", ""), ("body", "x")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A placeholder Bilet does not know would reach customers as typed.
    let typo = "Здравствуйте, {{custmer.name}}!";
    let res = root
        .post_form(
            "/admin/canned",
            &[("title", "Опечатка"), ("body", typo), ("department", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("page");
    let summary = texts(&html, ".error-summary li").join(" ");
    assert!(summary.contains("{{custmer.name}}"), "{summary}");
    assert!(
        summary.contains("customer.name"),
        "lists the valid ones: {summary}"
    );
    assert!(
        html.contains("Здравствуйте, {{custmer.name}}!"),
        "the text is kept"
    );
    let res = root
        .post_form(
            "/admin/departments",
            &[
                ("slug", "sales"),
                ("name", "Sales"),
                ("addresses", "sales@example.com"),
                ("signature", "-- {{agent.nmae}}"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Deleting asks first, on a page of its own; only the second step acts.
    let id: String = sqlx::query_scalar("select id::text from canned_responses limit 1")
        .fetch_one(&db)
        .await
        .expect("canned");
    let canned = |db: PgPool| async move {
        sqlx::query_scalar::<_, i64>("select count(*) from canned_responses")
            .fetch_one(&db)
            .await
            .expect("count")
    };
    let before = canned(db.clone()).await;
    let res = root
        .post_form(&format!("/admin/canned/{id}/delete"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.expect("page").contains("deleted for good"));
    assert_eq!(canned(db.clone()).await, before);
    let res = root
        .post_form(&format!("/admin/canned/{id}/delete"), &[("confirm", "1")])
        .await;
    assert_redirect(&res, "/admin/canned");
    assert_eq!(canned(db.clone()).await, before - 1);
    let topic: String = sqlx::query_scalar("select id::text from help_topics limit 1")
        .fetch_one(&db)
        .await
        .expect("topic");
    let res = root
        .post_form(&format!("/admin/topics/{topic}/delete"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = root
        .post_form(
            &format!("/admin/topics/{topic}/delete"),
            &[("confirm", "1")],
        )
        .await;
    assert_redirect(&res, "/admin/topics");
}

#[sqlx::test]
async fn settings_change_the_name_language_and_limits(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let root = admin(&app).await;
    let res = root
        .post_form(
            "/admin/settings",
            &[
                ("helpdesk_name", "Поддержка Хостинга"),
                ("default_locale", "ru"),
                ("max_file_mb", "1"),
                ("max_message_mb", "2"),
            ],
        )
        .await;
    assert_redirect(&res, "/admin/settings");
    let visitor = app.another_browser();
    let html = visitor.get("/login").await.text().await.expect("login");
    assert_eq!(texts(&html, ".brand"), ["Поддержка Хостинга"]);
    assert_eq!(
        texts(&html, "h1"),
        ["Вход"],
        "default language for browsers without a preference"
    );
    assert_eq!(app.state.settings.get().max_file_bytes, 1024 * 1024);
    let res = root
        .post_form(
            "/admin/settings",
            &[
                ("helpdesk_name", "X"),
                ("default_locale", "ru"),
                ("max_file_mb", "5"),
                ("max_message_mb", "2"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = root
        .post_form(
            "/admin/settings",
            &[
                ("helpdesk_name", "X"),
                ("default_locale", "xx"),
                ("max_file_mb", "abc"),
                ("max_message_mb", "2"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.state.settings.get().helpdesk_name, "Поддержка Хостинга");
}
