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

#[sqlx::test]
async fn registering_an_address_does_not_reveal_its_mail_until_it_is_confirmed(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = crate::harness::fixtures::department(&db, "tech").await;
    // Someone registers the victim's address before the victim writes in.
    let squatter = app.another_browser();
    assert_redirect(
        &squatter
            .register("victim@client.test", "Victim", PASSWORD)
            .await,
        "/portal",
    );
    let raw = crate::mailkit::mail(
        "victim@client.test",
        "tech@support.test",
        "Server down",
        "private details",
        "",
    );
    let report =
        bilet::service::mail::ingest(&app.state, &raw, &bilet::service::mail::Envelope::default())
            .await;
    let number = report.ticket.expect("a ticket");
    // The account may file tickets in the portal and sees those...
    let form = crate::harness::Form::new()
        .text("topic", &format!("d-{tech}"))
        .text("subject", "From the portal")
        .text("body", "typed here")
        .text("confirm_new", "1");
    let res = squatter.post_multipart("/portal/tickets", form).await;
    let own = TestApp::location(&res);
    assert!(own.starts_with("/portal/tickets/"), "{own}");
    assert_eq!(squatter.get(&own).await.status(), StatusCode::OK);
    // ...but not what mail from the address opened.
    let page = format!("/portal/tickets/{number}");
    assert_eq!(squatter.get(&page).await.status(), StatusCode::NOT_FOUND);
    let list = squatter.get("/portal").await.text().await.expect("list");
    assert!(!list.contains("Server down"), "{list}");
    assert!(list.contains("not confirmed"));

    // The owner of the mailbox follows the link that went there.
    let link: String = sqlx::query_scalar(
        "select o.body_text from outbox o join outbox_recipients r on r.outbox_id = o.id \
         where o.kind = 'verify' and r.address = 'victim@client.test'",
    )
    .fetch_one(&db)
    .await
    .expect("the confirmation mail");
    let path = link
        .split_whitespace()
        .find_map(|w| {
            w.split_once("/verify/")
                .map(|(_, t)| format!("/verify/{t}"))
        })
        .expect("link");
    let form_page = squatter.get(&path).await;
    assert_eq!(
        form_page.status(),
        StatusCode::OK,
        "following the link changes nothing"
    );
    assert_eq!(squatter.get(&page).await.status(), StatusCode::NOT_FOUND);
    let res = squatter.post_form(&path, &[]).await;
    assert_redirect(&res, "/portal");
    assert_eq!(
        squatter.get(&page).await.status(),
        StatusCode::OK,
        "confirmed"
    );
}

#[sqlx::test]
async fn sign_out_forgets_a_followed_link_and_signing_in_again_ends_the_old_session(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = crate::harness::fixtures::department(&db, "tech").await;
    let anna = app.another_browser();
    assert_redirect(
        &anna.register("anna@example.com", "Anna", PASSWORD).await,
        "/portal",
    );
    let form = crate::harness::Form::new()
        .text("topic", &format!("d-{tech}"))
        .text("subject", "Linked")
        .text("body", "b")
        .text("confirm_new", "1");
    let res = anna.post_multipart("/portal/tickets", form).await;
    let page = TestApp::location(&res)
        .split('?')
        .next()
        .unwrap_or("")
        .to_string();
    let body: String = sqlx::query_scalar("select body_text from outbox where kind = 'ack'")
        .fetch_one(&db)
        .await
        .expect("ack");
    let link = body
        .split_whitespace()
        .find_map(|w| w.split_once("/l/").map(|(_, t)| format!("/l/{t}")))
        .expect("link");

    // A shared computer: someone follows the link, then signs out.
    let kiosk = app.another_browser();
    kiosk.get(&link).await;
    assert_eq!(kiosk.get(&page).await.status(), StatusCode::OK);
    let res = kiosk.post_form("/logout", &[]).await;
    assert_redirect(&res, "/login");
    assert_ne!(
        kiosk.get(&page).await.status(),
        StatusCode::OK,
        "the link is forgotten"
    );

    // Signing in as someone else in a browser ends the session that was there.
    let old = anna.cookie("bilet_session").expect("session");
    let boris_pw = anna
        .create_account(
            "boris@example.com",
            bilet::domain::users::Role::Customer,
            &[],
        )
        .await;
    let res = anna.login("boris@example.com", &boris_pw).await;
    assert!(res.status().is_redirection());
    let alive: i64 =
        sqlx::query_scalar("select count(*) from sessions where token_hash = sha256($1::bytea)")
            .bind(old.as_bytes())
            .fetch_one(&db)
            .await
            .expect("sessions");
    assert_eq!(alive, 0, "Anna's session ended when Boris signed in there");
}

#[sqlx::test]
async fn redirects_after_sign_in_stay_on_this_site(db: PgPool) {
    let app = TestApp::spawn(db).await;
    assert_redirect(
        &app.register("anna@example.com", "Anna", PASSWORD).await,
        "/portal",
    );
    for next in [
        "/%09/evil.example",
        "/\t/evil.example",
        "/\x0b/evil.example",
        "//evil.example",
        "/\\evil.example",
        "/%5C%5Cevil.example",
        "/%2F%2Fevil.example",
        "https://user@evil.example/",
    ] {
        let b = app.another_browser();
        let res = b
            .post_form(
                "/login",
                &[
                    ("email", "anna@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_redirect(&res, "/portal");
        let res = b
            .post_form("/locale", &[("lang", "ru"), ("back", next)])
            .await;
        assert_redirect(&res, "/");
    }
}

#[sqlx::test]
async fn a_live_stream_ends_when_its_session_does(db: PgPool) {
    use futures_util::StreamExt;
    let app = TestApp::spawn(db.clone()).await;
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(app.state.events.clone().listen(db.clone(), stop.clone()));
    crate::harness::fixtures::department(&db, "tech").await;
    let agent = app.another_browser();
    let pw = agent
        .create_account(
            "ana@support.test",
            bilet::domain::users::Role::Agent,
            &[("tech", bilet::domain::access::AccessLevel::Reply)],
        )
        .await;
    agent
        .login_and_set_password("ana@support.test", &pw, PASSWORD)
        .await;
    for ending in ["sign-out", "disabled"] {
        if ending == "disabled" {
            agent.login("ana@support.test", PASSWORD).await;
        }
        let res = agent.get("/agent/stream").await;
        assert_eq!(res.status(), StatusCode::OK);
        let mut body = res.bytes_stream();
        if ending == "sign-out" {
            let res = agent.post_form("/logout", &[]).await;
            assert_redirect(&res, "/login");
        } else {
            let admin = app.another_browser();
            let pw = admin
                .create_account("root@support.test", bilet::domain::users::Role::Admin, &[])
                .await;
            admin
                .login_and_set_password("root@support.test", &pw, PASSWORD)
                .await;
            let id: String = sqlx::query_scalar(
                "select user_id::text from user_emails where email = 'ana@support.test'",
            )
            .fetch_one(&db)
            .await
            .expect("id");
            let res = admin
                .post_form(&format!("/admin/staff/{id}/disable"), &[])
                .await;
            assert!(res.status().is_redirection(), "{}", res.status());
        }
        let ended = tokio::time::timeout(std::time::Duration::from_secs(15), async {
            while let Some(chunk) = body.next().await {
                if chunk.is_err() {
                    break;
                }
            }
        })
        .await;
        assert!(ended.is_ok(), "the stream ended after {ending}");
    }
    stop.cancel();
}

#[sqlx::test]
async fn the_data_folder_is_private_to_bilet(db: PgPool) {
    use std::os::unix::fs::PermissionsExt;
    crate::harness::fixtures::department(&db, "tech").await;
    let name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&db)
        .await
        .expect("db");
    let url =
        std::env::var("DATABASE_URL")
            .expect("url")
            .replacen("/postgres?", &format!("/{name}?"), 1);
    let tmp = tempfile::tempdir().expect("dir");
    let data = tmp.path().join("data");
    let eml = tmp.path().join("one.eml");
    let raw = "From: a@example.com\r\nTo: tech@support.test\r\nSubject: Files\r\nMIME-Version: 1.0\r\n\
               Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n\
               --b\r\nContent-Type: text/plain; name=log.txt\r\nContent-Disposition: attachment; filename=log.txt\r\n\r\n\
               secret log\r\n--b--\r\n";
    std::fs::write(&eml, raw).expect("eml");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
        .args(["--data-dir", &data.to_string_lossy(), "mail", "ingest"])
        .arg(&eml)
        .env("DATABASE_URL", &url)
        .env("BILET_LOG__FILTER", "error")
        .output()
        .await
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut seen = 0;
    let mut stack = vec![data.clone()];
    while let Some(path) = stack.pop() {
        let meta = std::fs::metadata(&path).expect("meta");
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            assert_eq!(mode, 0o700, "{}", path.display());
            stack.extend(
                std::fs::read_dir(&path)
                    .expect("dir")
                    .map(|e| e.expect("entry").path()),
            );
        } else {
            assert_eq!(mode, 0o600, "{}", path.display());
            seen += 1;
        }
    }
    assert!(
        seen >= 3,
        "the raw mail, the attachment and the keys were written: {seen}"
    );
}

#[sqlx::test]
async fn account_mails_are_rationed_per_address_and_per_client(db: PgPool) {
    let app = TestApp::spawn_with(db.clone(), |c| {
        c.accounts.mails_per_address_per_hour = 3;
        c.accounts.mails_per_client_per_hour = 5;
        c.accounts.throttle.per_address = 1000;
    })
    .await;
    // Mail-only customers, as mail or an agent makes them.
    let mut tx = db.begin().await.expect("tx");
    for who in ["petr@example.ru", "olga@example.ru"] {
        bilet::service::accounts::customer_for_address(&mut tx, who, None)
            .await
            .expect("customer");
    }
    tx.commit().await.expect("commit");
    for _ in 0..6 {
        app.post_form("/claim", &[("email", "petr@example.ru")])
            .await;
    }
    let claims = |who: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from outbox o join outbox_recipients r on r.outbox_id = o.id \
                 where o.kind = 'claim' and r.address = $1",
            )
            .bind(who)
            .fetch_one(&db)
            .await
            .expect("count")
        }
    };
    // The requests are answered at once; wait until the six were counted.
    for _ in 0..100 {
        let counted: i64 = sqlx::query_scalar("select count(*) from account_mails")
            .fetch_one(&db)
            .await
            .expect("count");
        if counted >= 3 && claims("petr@example.ru").await >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        claims("petr@example.ru").await,
        3,
        "three an hour to one address"
    );
    // Two more from this client reach its budget of five; registration
    // from there is then refused too.
    for _ in 0..2 {
        app.post_form("/claim", &[("email", "olga@example.ru")])
            .await;
    }
    for _ in 0..100 {
        if claims("olga@example.ru").await >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(claims("olga@example.ru").await, 2);
    let res = app.register("new@example.com", "New", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[sqlx::test]
async fn nul_bytes_in_any_field_are_no_server_error(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = crate::harness::fixtures::department(&db, "tech").await;
    let res = app.register("an\0na@example.com", "An\0na", PASSWORD).await;
    assert!(
        res.status().is_redirection() || res.status() == StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.status()
    );
    let customer = app.another_browser();
    assert_redirect(
        &customer
            .register("boris@example.com", "Bo\0ris", PASSWORD)
            .await,
        "/portal",
    );
    assert_eq!(
        customer.get("/portal?q=a%00b").await.status(),
        StatusCode::OK
    );
    let form = crate::harness::Form::new()
        .text("topic", &format!("d-{tech}"))
        .text("subject", "Null\0 subject")
        .text("body", "with \0 inside")
        .text("confirm_new", "1");
    let res = customer.post_multipart("/portal/tickets", form).await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let subject: String = sqlx::query_scalar("select subject from tickets")
        .fetch_one(&db)
        .await
        .expect("s");
    assert_eq!(subject, "Null subject");
    let agent = app.another_browser();
    let pw = agent
        .create_account(
            "ana@support.test",
            bilet::domain::users::Role::Agent,
            &[("tech", bilet::domain::access::AccessLevel::Reply)],
        )
        .await;
    agent
        .login_and_set_password("ana@support.test", &pw, PASSWORD)
        .await;
    for path in [
        "/agent?q=%00",
        "/agent?requester=x%00y&status=open",
        "/agent/queue?q=%00%00",
    ] {
        assert_eq!(agent.get(path).await.status(), StatusCode::OK, "{path}");
    }
    let res = agent
        .post_form(
            "/agent/workspaces",
            &[("name", "Saved\0"), ("query", "q=%00")],
        )
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
}
