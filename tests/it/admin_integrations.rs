//! The admin console's integrations: webhooks (made with the secret shown
//! once, a refused form keeping what was typed, the delivery history with
//! "send again", removal after a confirmation, the bell telling admins of
//! a disabled one) and API tokens (shown once, working at once, revoked
//! after a confirmation); `bilet webhook` on the command line.

use std::sync::atomic::Ordering;

use bilet::domain::status::Status;
use bilet::domain::users::Role;
use bilet::service::tickets::Change;
use bilet::service::webhooks::send;
use reqwest::StatusCode;
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::harness::{TestApp, attr, fixtures, texts};
use crate::webhooks::{Receiver, round};

async fn admin(db: &PgPool) -> TestApp {
    let app = TestApp::spawn(db.clone()).await;
    let password = app
        .create_account("root@support.test", Role::Admin, &[])
        .await;
    app.login_and_set_password("root@support.test", &password, "a long password 1")
        .await;
    app
}

async fn html(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.text().await.expect("html")
}

#[sqlx::test]
async fn admins_make_watch_resend_and_remove_webhooks_in_the_console(db: PgPool) {
    let (receiver, _stop) = Receiver::start().await;
    let app = admin(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let customer = fixtures::user(&db, "olga@client.test", Role::Customer, &[]).await;
    let (ticket, number) = fixtures::ticket(&db, tech, customer, "Сайт лежит").await;

    // A refused form keeps what was typed.
    let r = app
        .post_form(
            "/admin/webhooks",
            &[("url", "ftp://panel.test/hook"), ("events", "ticket.rated")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("html");
    assert_eq!(
        attr(&page, "#url", "value").as_deref(),
        Some("ftp://panel.test/hook")
    );
    assert!(
        page.contains(r#"value="ticket.rated" checked"#),
        "the checked event stays checked"
    );
    assert!(!page.contains(r#"value="ticket.created" checked"#));

    let url = receiver.url("/hook");
    let r = app
        .post_form(
            "/admin/webhooks",
            &[
                ("url", &url),
                ("events", "status.changed"),
                ("events", "ticket.assigned"),
                ("department", "tech"),
                ("allow_private", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("html");
    let secret = texts(&page, "code.secret")
        .pop()
        .expect("the secret is shown");
    assert!(secret.starts_with("whsec_"));
    let list = html(&app, "/admin/webhooks").await;
    assert!(list.contains(&url));
    assert!(!list.contains(&secret), "the secret is shown once");
    let hook: i64 = sqlx::query_scalar("select id from webhooks")
        .fetch_one(&db)
        .await
        .expect("webhook");

    fixtures::change(&db, ticket, Change::Status(Status::Pending)).await;
    assert_eq!(round(&app.state, OffsetDateTime::now_utc()).await.sent, 1);
    let page = html(&app, &format!("/admin/webhooks/{hook}")).await;
    assert!(page.contains("status.changed"));
    assert!(page.contains("HTTP 200"));
    assert!(page.contains(&format!(r#"href="/agent/tickets/{number}""#)));
    let delivery: i64 = sqlx::query_scalar("select id from webhook_deliveries")
        .fetch_one(&db)
        .await
        .expect("delivery");
    let r = app
        .post_form(&format!("/admin/webhooks/{hook}/resend/{delivery}"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    send::run_once(&app.state, OffsetDateTime::now_utc())
        .await
        .expect("send");
    let hits = receiver.hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(
        hits[0].headers["bilet-event-id"],
        hits[1].headers["bilet-event-id"]
    );

    // A 410 disables it; the bell says so and leads to the webhook.
    receiver.status.store(410, Ordering::SeqCst);
    fixtures::change(&db, ticket, Change::Status(Status::Open)).await;
    round(&app.state, OffsetDateTime::now_utc()).await;
    assert!(
        !bilet::service::webhooks::get(&app.state, hook)
            .await
            .expect("webhook")
            .enabled
    );
    let bell = html(&app, "/agent/notifications").await;
    assert!(
        bell.contains(&format!(r#"href="/admin/webhooks/{hook}""#)),
        "{bell}"
    );
    assert!(bell.contains("410 Gone"));
    let page = html(&app, &format!("/admin/webhooks/{hook}")).await;
    assert!(page.contains("410 Gone"));
    let r = app
        .post_form(&format!("/admin/webhooks/{hook}/enable"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        bilet::service::webhooks::get(&app.state, hook)
            .await
            .expect("webhook")
            .enabled
    );

    // Removal asks first.
    let r = app
        .post_form(&format!("/admin/webhooks/{hook}/remove"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.expect("html").contains(&url));
    assert_eq!(
        bilet::service::webhooks::list(&app.state)
            .await
            .expect("list")
            .len(),
        1
    );
    let r = app
        .post_form(
            &format!("/admin/webhooks/{hook}/remove"),
            &[("confirm", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        bilet::service::webhooks::list(&app.state)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        app.get(&format!("/admin/webhooks/{hook}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/admin/webhooks/nonsense").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test]
async fn admins_make_and_revoke_api_tokens_in_the_console(db: PgPool) {
    let app = admin(&db).await;
    fixtures::department(&db, "tech").await;
    fixtures::department(&db, "sales").await;
    let r = app
        .post_form(
            "/admin/tokens",
            &[
                ("name", "monitoring"),
                ("user", "nobody@support.test"),
                ("dept-tech", "read"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("html");
    assert_eq!(attr(&page, "#name", "value").as_deref(), Some("monitoring"));
    assert!(
        page.contains(r#"<option value="read" selected>"#),
        "the level stays chosen"
    );

    let r = app
        .post_form(
            "/admin/tokens",
            &[
                ("name", "monitoring"),
                ("dept-tech", "read"),
                ("dept-sales", ""),
                ("read_only", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("html");
    let token = texts(&page, "code.secret")
        .pop()
        .expect("the token is shown");
    assert!(token.starts_with("bilet_"));
    let api = |path: &str| {
        app.client
            .get(app.url(path))
            .bearer_auth(token.clone())
            .send()
    };
    let departments: serde_json::Value = api("/api/v1/departments")
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    assert_eq!(
        departments.as_array().expect("list").len(),
        1,
        "narrowed to tech"
    );
    let list = html(&app, "/admin/tokens").await;
    assert!(list.contains("monitoring"));
    assert!(list.contains("tech:read"));
    assert!(!list.contains(&token), "the token is shown once");

    let r = app.post_form("/admin/tokens/monitoring/revoke", &[]).await;
    assert_eq!(r.status(), StatusCode::OK, "asks first");
    assert_eq!(
        api("/api/v1/departments").await.expect("GET").status(),
        StatusCode::OK
    );
    let r = app
        .post_form("/admin/tokens/monitoring/revoke", &[("confirm", "1")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        api("/api/v1/departments").await.expect("GET").status(),
        StatusCode::UNAUTHORIZED
    );
}

#[sqlx::test]
async fn bilet_webhook_adds_lists_and_removes(db: PgPool) {
    fixtures::department(&db, "tech").await;
    let run = |args: Vec<String>| {
        let db = db.clone();
        async move {
            let dir = tempfile::tempdir().expect("dir");
            tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
                .arg("--data-dir")
                .arg(dir.path())
                .args(args)
                .env("DATABASE_URL", fixtures::url_of(&db).await)
                .env("BILET_LOG__FILTER", "off")
                .output()
                .await
                .expect("bilet")
        }
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let out = run(args(&[
        "webhook",
        "add",
        "--url",
        "https://panel.example.com/bilet",
        "--events",
        "ticket.created,ticket.escalated",
        "--department",
        "tech",
    ]))
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let secret = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("shown this once"));
    let out = run(args(&["webhook", "list"])).await;
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        listed.contains("https://panel.example.com/bilet"),
        "{listed}"
    );
    assert!(listed.contains("ticket.created,ticket.escalated"));
    assert!(listed.contains("\ttech\t"));
    assert!(!listed.contains(&secret));
    let id = listed.split('\t').next().expect("id").to_string();
    let out = run(args(&[
        "webhook",
        "add",
        "--url",
        "https://x.test/",
        "--events",
        "ticket.exploded",
    ]))
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("events"));
    let out = run(args(&["webhook", "remove", &id])).await;
    assert!(out.status.success());
    let out = run(args(&["webhook", "remove", &id])).await;
    assert!(!out.status.success(), "removed once");
    let out = run(args(&["webhook", "list"])).await;
    assert!(String::from_utf8_lossy(&out.stdout).trim().is_empty());
}
