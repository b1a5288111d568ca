//! The REST API over real HTTP: tokens (401 without one, even with a
//! session cookie), every endpoint, the scope rules (404 outside a token's
//! departments, 403 for a read-only token's writes), ETag / If-Match,
//! Idempotency-Key under parallel retries, one customer per new address
//! under racing requests, rate limits, problem+json errors with pointers,
//! the event feed (long poll, 410 past retention), and every documented
//! route answering.

use base64::Engine;
use bilet::domain::access::AccessLevel::{Manage, Read, Reply};
use bilet::domain::users::Role;
use bilet::service::tokens::{self, Spec};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::harness::{TestApp, fixtures};

async fn token(app: &TestApp, spec: Spec) -> String {
    tokens::create(&app.state, spec).await.expect("token").0
}

fn spec(name: &str) -> Spec {
    Spec {
        name: name.into(),
        ..Spec::default()
    }
}

struct Api<'a> {
    app: &'a TestApp,
    token: String,
}

impl Api<'_> {
    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.token)
    }
    async fn get(&self, path: &str) -> reqwest::Response {
        self.req(reqwest::Method::GET, path)
            .send()
            .await
            .expect("GET")
    }
    async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.req(reqwest::Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("POST")
    }
}

async fn body(r: reqwest::Response) -> Value {
    r.json().await.expect("json")
}

fn new_ticket(email: &str, subject: &str) -> Value {
    json!({
        "customer_email": email,
        "customer_name": "Ольга",
        "department": "tech",
        "subject": subject,
        "body": "Сайт отдаёт 502 с утра.",
    })
}

#[sqlx::test]
async fn requests_without_a_token_get_401_even_with_a_session_cookie(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let admin = app
        .create_account("root@support.test", Role::Admin, &[])
        .await;
    app.login_and_set_password("root@support.test", &admin, "a long password 1")
        .await;
    // The browser is signed in: its cookie opens pages, never the API.
    assert_eq!(app.get("/admin").await.status(), StatusCode::OK);
    let r = app.get("/api/v1/tickets").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let cookie_post = app
        .client
        .post(app.url("/api/v1/tickets"))
        .json(&new_ticket("x@client.test", "x"))
        .send()
        .await
        .expect("post");
    assert_eq!(cookie_post.status(), StatusCode::UNAUTHORIZED);
    let wrong = Api {
        app: &app,
        token: "bilet_not-a-real-token".into(),
    };
    assert_eq!(
        wrong.get("/api/v1/tickets").await.status(),
        StatusCode::UNAUTHORIZED
    );

    let t = token(&app, spec("billing")).await;
    let api = Api {
        app: &app,
        token: t,
    };
    assert_eq!(api.get("/api/v1/tickets").await.status(), StatusCode::OK);
    let used: Option<time::OffsetDateTime> =
        sqlx::query_scalar("select last_used_at from api_tokens where name = 'billing'")
            .fetch_one(&db)
            .await
            .expect("token row");
    assert!(used.is_some(), "the first use is recorded");
    let stored: Vec<u8> = sqlx::query_scalar("select hash from api_tokens where name = 'billing'")
        .fetch_one(&db)
        .await
        .expect("hash");
    assert_ne!(stored, api.token.as_bytes(), "only a hash is kept");
    tokens::revoke(&app.state, "billing", None)
        .await
        .expect("revoke");
    assert_eq!(
        api.get("/api/v1/tickets").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[sqlx::test]
async fn a_ticket_is_created_read_updated_and_answered_through_the_api(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    fixtures::department(&db, "billing").await;
    fixtures::user(
        &db,
        "ana@support.test",
        Role::Agent,
        &[("tech", Manage), ("billing", Manage)],
    )
    .await;
    let api = Api {
        app: &app,
        token: token(&app, spec("panel")).await,
    };

    let r = api
        .post(
            "/api/v1/tickets",
            &new_ticket("olga@client.test", "Сайт лежит"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let created = body(r).await;
    let number = created["number"].as_str().expect("number").to_string();
    assert_eq!(location, format!("/api/v1/tickets/{number}"));
    assert_eq!(created["requester"]["email"], "olga@client.test");
    assert_eq!(created["department"], "tech");
    assert_eq!(created["messages"][0]["source"], "api");
    let acks: i64 = sqlx::query_scalar("select count(*) from outbox where kind = 'ack'")
        .fetch_one(&db)
        .await
        .expect("outbox");
    assert_eq!(
        acks, 1,
        "the customer's acknowledgement waits in the outbox"
    );

    let r = api.get(&location).await;
    assert_eq!(r.status(), StatusCode::OK);
    let etag = r.headers()["etag"].to_str().expect("etag").to_string();
    assert_eq!(etag, format!("\"{}\"", created["version"]));

    let patch = |if_match: Option<&str>, body: Value| {
        let mut b = api.req(reqwest::Method::PATCH, &location).json(&body);
        if let Some(m) = if_match {
            b = b.header("if-match", m);
        }
        b.send()
    };
    let r = patch(None, json!({"priority": "high"}))
        .await
        .expect("patch");
    assert_eq!(r.status(), StatusCode::PRECONDITION_REQUIRED);
    let r = patch(
        Some(&etag),
        json!({"priority": "high", "assignee": "ana@support.test"}),
    )
    .await
    .expect("patch");
    assert_eq!(r.status(), StatusCode::OK);
    let new_etag = r.headers()["etag"].to_str().expect("etag").to_string();
    let t = body(r).await;
    assert_eq!(t["priority"], "high");
    assert_eq!(t["assignee"]["email"], "ana@support.test");
    assert_ne!(new_etag, etag);
    let r = patch(Some(&etag), json!({"status": "resolved"}))
        .await
        .expect("patch");
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED, "a stale ETag");
    let r = patch(Some(&new_etag), json!({"priority": "extreme"}))
        .await
        .expect("patch");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body(r).await["errors"][0]["pointer"], "/priority");

    // A reply with a file as base64, then a note as multipart.
    let file = "uptime: 3 days\nload: 0.5\n";
    let r = api
        .post(
            &format!("{location}/replies"),
            &json!({"body": "Перезапустили nginx.", "attachments": [
                {"filename": "вывод.txt", "content_base64": base64::engine::general_purpose::STANDARD.encode(file)}
            ]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let reply = body(r).await;
    assert_eq!(reply["kind"], "agent");
    assert_eq!(reply["author"]["name"], "panel (API)");
    assert!(
        reply["body_text"]
            .as_str()
            .expect("text")
            .starts_with("Перезапустили nginx.")
    );
    let file_id = reply["attachments"][0]["id"]
        .as_str()
        .expect("file")
        .to_string();
    let r = api.get(&format!("/api/v1/attachments/{file_id}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.expect("bytes"), file);

    let form = reqwest::multipart::Form::new()
        .text("body", "Клиент просил не звонить.")
        .part(
            "attachments",
            reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec()).file_name("счёт.pdf"),
        );
    let r = api
        .req(reqwest::Method::POST, &format!("{location}/notes"))
        .multipart(form)
        .send()
        .await
        .expect("note");
    assert_eq!(r.status(), StatusCode::CREATED);
    let note = body(r).await;
    assert_eq!(note["kind"], "note");
    assert_eq!(note["attachments"][0]["filename"], "счёт.pdf");

    let t = body(api.get(&location).await).await;
    assert_eq!(t["status"], "pending", "a reply waits on the customer");
    assert_eq!(t["messages"].as_array().expect("messages").len(), 3);

    // Lists: departments, the customer, their tickets, the queue in pages.
    let ds = body(api.get("/api/v1/departments").await).await;
    assert_eq!(ds.as_array().expect("list").len(), 2);
    let c = body(api.get("/api/v1/customers?email=OLGA@client.test").await).await;
    assert_eq!(c["name"], "Ольга");
    let theirs = body(api.get("/api/v1/customers/olga@client.test/tickets").await).await;
    assert_eq!(theirs["items"][0]["number"], number.as_str());
    assert_eq!(
        api.get("/api/v1/customers?email=nobody@client.test")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    for i in 0..3 {
        let r = api
            .post(
                "/api/v1/tickets",
                &new_ticket("ivan@client.test", &format!("Вопрос {i}")),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = body(
            api.get(&format!(
                "/api/v1/tickets?limit=2&sort=created_oldest&cursor={cursor}"
            ))
            .await,
        )
        .await;
        for item in page["items"].as_array().expect("items") {
            seen.push(item["number"].as_str().expect("number").to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen[0], number, "oldest first, nothing repeated");
    let mut sorted = seen.clone();
    sorted.dedup();
    assert_eq!(sorted, seen);
    let high = body(api.get("/api/v1/tickets?priority=high").await).await;
    assert_eq!(high["items"].as_array().expect("items").len(), 1);
    let r = api.get("/api/v1/tickets?limit=1000").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test]
async fn a_token_reaches_only_its_departments_and_a_read_only_token_never_writes(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    fixtures::department(&db, "billing").await;
    fixtures::user(&db, "boss@support.test", Role::Admin, &[]).await;
    let all = Api {
        app: &app,
        token: token(&app, spec("all")).await,
    };
    let tech_ticket = body(
        all.post("/api/v1/tickets", &new_ticket("olga@client.test", "tech"))
            .await,
    )
    .await;
    let mut billing = new_ticket("olga@client.test", "billing");
    billing["department"] = json!("billing");
    let billing_ticket = body(all.post("/api/v1/tickets", &billing).await).await;
    let tech_url = format!(
        "/api/v1/tickets/{}",
        tech_ticket["number"].as_str().expect("n")
    );
    let billing_url = format!(
        "/api/v1/tickets/{}",
        billing_ticket["number"].as_str().expect("n")
    );

    // An admin's token narrowed to tech: billing does not exist for it.
    let narrowed = Api {
        app: &app,
        token: token(
            &app,
            Spec {
                user_email: Some("boss@support.test".into()),
                departments: vec![("tech".into(), Reply)],
                ..spec("tech-only")
            },
        )
        .await,
    };
    assert_eq!(narrowed.get(&tech_url).await.status(), StatusCode::OK);
    assert_eq!(
        narrowed.get(&billing_url).await.status(),
        StatusCode::NOT_FOUND
    );
    let listed = body(narrowed.get("/api/v1/tickets").await).await;
    assert_eq!(listed["items"].as_array().expect("items").len(), 1);
    assert_eq!(
        body(narrowed.get("/api/v1/departments").await)
            .await
            .as_array()
            .expect("d")
            .len(),
        1
    );
    let r = narrowed
        .post(&format!("{billing_url}/replies"), &json!({"body": "hi"}))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = narrowed
        .post(&format!("{tech_url}/replies"), &json!({"body": "Смотрим."}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        body(r).await["author"]["email"],
        "boss@support.test",
        "acts as its user"
    );
    // Reply level in tech: managing (a transfer) is beyond it.
    let etag = narrowed.get(&tech_url).await.headers()["etag"]
        .to_str()
        .expect("etag")
        .to_string();
    let r = narrowed
        .req(reqwest::Method::PATCH, &tech_url)
        .header("if-match", etag)
        .json(&json!({"department": "billing"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let mut into_billing = new_ticket("ivan@client.test", "x");
    into_billing["department"] = json!("billing");
    let r = narrowed.post("/api/v1/tickets", &into_billing).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body(r).await["errors"][0]["pointer"], "/department");

    let reader = Api {
        app: &app,
        token: token(
            &app,
            Spec {
                read_only: true,
                departments: vec![("tech".into(), Read)],
                ..spec("reader")
            },
        )
        .await,
    };
    assert_eq!(reader.get(&tech_url).await.status(), StatusCode::OK);
    assert_eq!(
        reader.get(&billing_url).await.status(),
        StatusCode::NOT_FOUND
    );
    let r = reader
        .post(&format!("{tech_url}/notes"), &json!({"body": "x"}))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        reader
            .post("/api/v1/tickets", &new_ticket("x@client.test", "x"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let messages: i64 = sqlx::query_scalar("select count(*) from messages where body_text = 'x'")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(messages, 0);
}

#[sqlx::test]
async fn retries_with_one_idempotency_key_create_one_ticket(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let api = Api {
        app: &app,
        token: token(&app, spec("panel")).await,
    };
    let body_v = new_ticket("new@client.test", "Повтор");
    let send = || {
        api.req(reqwest::Method::POST, "/api/v1/tickets")
            .header("idempotency-key", "order-77")
            .json(&body_v)
            .send()
    };
    let answers = futures_util::future::join_all((0..6).map(|_| send())).await;
    let mut numbers = Vec::new();
    for a in answers {
        let a = a.expect("answer");
        match a.status() {
            StatusCode::CREATED => numbers.push(body(a).await["number"].clone()),
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    // Once the first has finished, every retry gets its answer.
    let replay = send().await.expect("replay");
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    numbers.push(body(replay).await["number"].clone());
    numbers.dedup();
    assert_eq!(numbers.len(), 1, "{numbers:?}");
    let tickets: i64 = sqlx::query_scalar("select count(*) from tickets")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(tickets, 1);
    let other = api
        .req(reqwest::Method::POST, "/api/v1/tickets")
        .header("idempotency-key", "order-77")
        .json(&new_ticket("new@client.test", "Другое"))
        .send()
        .await
        .expect("other");
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Without keys, two racing tickets for one new address make one customer.
    let (ba, bb) = (
        new_ticket("race@client.test", "a"),
        new_ticket("race@client.test", "b"),
    );
    let a = api.post("/api/v1/tickets", &ba);
    let b = api.post("/api/v1/tickets", &bb);
    let (a, b) = tokio::join!(a, b);
    assert_eq!(a.status(), StatusCode::CREATED);
    assert_eq!(b.status(), StatusCode::CREATED);
    let people: i64 =
        sqlx::query_scalar("select count(*) from user_emails where email = 'race@client.test'")
            .fetch_one(&db)
            .await
            .expect("count");
    assert_eq!(people, 1);
    let orphans: i64 = sqlx::query_scalar(
        "select count(*) from users u where not exists (select 1 from user_emails e where e.user_id = u.id)",
    )
    .fetch_one(&db)
    .await
    .expect("orphans");
    assert_eq!(orphans, 0);
}

#[sqlx::test]
async fn bad_requests_get_problem_details_and_a_token_over_its_budget_gets_429(db: PgPool) {
    let app = TestApp::spawn_with(db.clone(), |c| {
        c.api.burst = 6;
        c.api.requests_per_minute = 1;
        c.http.body_limit = 64 * 1024;
    })
    .await;
    fixtures::department(&db, "tech").await;
    let api = Api {
        app: &app,
        token: token(&app, spec("panel")).await,
    };
    let r = api
        .post(
            "/api/v1/tickets",
            &json!({"customer_email": "a@client.test", "subject": 5}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p = body(r).await;
    assert_eq!(p["status"], 422);
    assert_eq!(p["errors"][0]["pointer"], "/subject", "{p}");
    let r = api
        .req(reqwest::Method::POST, "/api/v1/tickets")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let mut empty = new_ticket("not-an-address", "");
    empty["body"] = json!("");
    let p = body(api.post("/api/v1/tickets", &empty).await).await;
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["pointer"].as_str().expect("pointer"))
        .collect();
    assert_eq!(pointers, ["/customer_email", "/subject", "/body"], "{p}");
    assert_eq!(
        api.get("/api/v1/nothing-here").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.get("/api/v1/departments").await.status(),
        StatusCode::OK
    );
    // A body over the limit is refused before it is held in memory.
    let mut huge = new_ticket("a@client.test", "big");
    huge["body"] = json!("x".repeat(100 * 1024));
    let r = api.post("/api/v1/tickets", &huge).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // Six requests were the burst; the seventh waits about a minute.
    let r = api.get("/api/v1/departments").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
}

#[sqlx::test]
async fn the_event_feed_follows_changes_waits_for_the_next_and_forgets_nothing_it_keeps(
    db: PgPool,
) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    fixtures::department(&db, "billing").await;
    let api = Api {
        app: &app,
        token: token(&app, spec("panel")).await,
    };
    let tech_only = Api {
        app: &app,
        token: token(
            &app,
            Spec {
                departments: vec![("tech".into(), Read)],
                ..spec("tech")
            },
        )
        .await,
    };
    let mut billing = new_ticket("olga@client.test", "billing");
    billing["department"] = json!("billing");
    assert_eq!(
        api.post("/api/v1/tickets", &billing).await.status(),
        StatusCode::CREATED
    );
    let t = body(
        api.post("/api/v1/tickets", &new_ticket("olga@client.test", "tech"))
            .await,
    )
    .await;
    let number = t["number"].as_str().expect("number").to_string();

    let feed = body(api.get("/api/v1/events?wait=0").await).await;
    let kinds: Vec<&str> = feed["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert!(
        kinds.iter().filter(|k| **k == "opened").count() == 2,
        "{kinds:?}"
    );
    let scoped = body(tech_only.get("/api/v1/events?wait=0").await).await;
    assert!(
        scoped["events"]
            .as_array()
            .expect("events")
            .iter()
            .all(|e| e["department"] == "tech"),
        "{scoped}"
    );
    let cursor = feed["next_cursor"].as_str().expect("cursor").to_string();

    // A long poll at the end answers as soon as the next change commits.
    let started = std::time::Instant::now();
    let poll_url = format!("/api/v1/events?after={cursor}&wait=20");
    let poll = api.get(&poll_url);
    let listening = app.state.events.listeners();
    let reply = async {
        // The change comes once the poll is waiting (it listens on the bus).
        let ceiling = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while app.state.events.listeners() == listening && std::time::Instant::now() < ceiling {
            tokio::task::yield_now().await;
        }
        assert!(app.state.events.listeners() > listening, "the poll listens");
        api.post(
            &format!("/api/v1/tickets/{number}/replies"),
            &json!({"body": "Готово."}),
        )
        .await
    };
    let (polled, replied) = tokio::join!(poll, reply);
    assert_eq!(replied.status(), StatusCode::CREATED);
    let polled = body(polled).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    let first = &polled["events"][0];
    assert_eq!(first["kind"], "message", "{polled}");
    assert_eq!(first["ticket"], number.as_str());
    assert_eq!(first["message_kind"], "agent");

    // Nothing new: an empty answer after the wait, with the same place.
    let next = polled["next_cursor"].as_str().expect("cursor");
    let empty = body(
        api.get(&format!("/api/v1/events?after={next}&wait=1"))
            .await,
    )
    .await;
    assert_eq!(empty["events"].as_array().expect("events").len(), 0);

    // Retention pruned past the first cursor: 410.
    sqlx::query("update ticket_journal set at = now() - interval '40 days'")
        .execute(&db)
        .await
        .expect("age");
    bilet::store::journal::prune(&db, 30).await.expect("prune");
    let r = api
        .get(&format!("/api/v1/events?after={cursor}&wait=0"))
        .await;
    assert_eq!(r.status(), StatusCode::GONE);
    assert_eq!(
        api.get("/api/v1/events?after=garbage").await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[sqlx::test]
async fn every_documented_route_answers_and_the_docs_page_is_served(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let api = Api {
        app: &app,
        token: token(&app, spec("panel")).await,
    };
    let doc: Value = app
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .expect("doc");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            let concrete = path
                .replace("{number}", "999999")
                .replace("{id}", "0191d7a4-0000-7000-8000-000000000000")
                .replace("{email}", "nobody@client.test")
                .replace("{delivery}", "1")
                .replace("{webhook}", "1");
            let m: reqwest::Method = method.to_uppercase().parse().expect("method");
            let r = api
                .req(m, &concrete)
                .json(&json!({}))
                .send()
                .await
                .expect("send");
            let status = r.status();
            let text = r.text().await.expect("body");
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
            assert!(
                !text.contains("no such endpoint"),
                "{method} {path} is documented but not served"
            );
            assert!(status.as_u16() < 500, "{method} {path}: {status}");
            operations += 1;
        }
    }
    assert_eq!(operations, 19);
    let page = app.get("/api/docs").await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("/api/v1/tickets/{number}/replies"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from a CDN"
    );
}

#[sqlx::test]
async fn statistics_are_for_admins_and_managers_with_unnarrowed_tokens(db: PgPool) {
    use bilet::domain::messages::Kind;
    use bilet::domain::status::Status;
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await;
    let ana = fixtures::user(&db, "ana@support.test", Role::Agent, &[("tech", Manage)]).await;
    let olga = fixtures::user(&db, "olga@client.test", Role::Customer, &[]).await;
    let (t, _) = fixtures::ticket(&db, tech, olga, "Сайт лежит").await;
    fixtures::say(&db, t, Kind::Agent, Some(ana), "Починили.").await;
    fixtures::set_status(&db, t, Status::Resolved, time::Duration::ZERO).await;
    // The facts come from a journal reader; other tests' transactions can
    // hold the journal's horizon back a moment.
    for _ in 0..300 {
        bilet::service::stats::facts::catch_up(&app.state)
            .await
            .expect("facts");
        let n: i64 = sqlx::query_scalar("select count(*) from stats_tickets")
            .fetch_one(&db)
            .await
            .expect("count");
        if n == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let admin = Api {
        app: &app,
        token: token(&app, spec("reports")).await,
    };
    let r = admin.get("/api/v1/statistics").await;
    assert_eq!(r.status(), StatusCode::OK);
    let s = body(r).await;
    assert_eq!(s["total"]["handled"], 1, "{s}");
    assert_eq!(s["total"]["first_response"]["tickets"], 1);
    assert_eq!(s["departments"][0]["name"], "TECH");
    let r = admin
        .get("/api/v1/statistics?department=tech&per=week")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    for bad in [
        "from=2026-13-01",
        "per=month",
        "from=2026-12-02&to=2026-12-01",
    ] {
        let r = admin.get(&format!("/api/v1/statistics?{bad}")).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    assert_eq!(
        admin
            .get("/api/v1/statistics?department=nowhere")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // An agent who manages nothing, and a token narrowed to a department.
    fixtures::user(&db, "bob@support.test", Role::Agent, &[("tech", Reply)]).await;
    let agent = Api {
        app: &app,
        token: token(
            &app,
            Spec {
                user_email: Some("bob@support.test".into()),
                ..spec("bob")
            },
        )
        .await,
    };
    assert_eq!(
        agent.get("/api/v1/statistics").await.status(),
        StatusCode::NOT_FOUND
    );
    let narrow = Api {
        app: &app,
        token: token(
            &app,
            Spec {
                departments: vec![("tech".into(), Read)],
                ..spec("narrow")
            },
        )
        .await,
    };
    assert_eq!(
        narrow.get("/api/v1/statistics").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test]
async fn a_retry_after_the_node_died_past_the_commit_gets_the_same_ticket(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let api = Api {
        app: &app,
        token: token(&app, spec("panel")).await,
    };
    let send = |key: &'static str| {
        api.req(reqwest::Method::POST, "/api/v1/tickets")
            .header("idempotency-key", key)
            .json(&new_ticket("olga@client.test", "Сайт лежит"))
            .send()
    };
    let first = send("order-1").await.expect("POST");
    assert_eq!(first.status(), StatusCode::CREATED);
    let number = body(first).await["number"].clone();
    // The node died after the ticket's commit, before the answer was kept:
    // the key's claim is old and holds no answer, only the ticket.
    sqlx::query(
        "update api_idempotency set status = null, location = null, body = null, \
                created_at = now() - interval '1 hour'",
    )
    .execute(&db)
    .await
    .expect("crash");
    let retry = send("order-1").await.expect("POST");
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(body(retry).await["number"], number);
    let again = send("order-1").await.expect("POST");
    assert_eq!(
        body(again).await["number"],
        number,
        "the rebuilt answer is kept"
    );
    let tickets: i64 = sqlx::query_scalar("select count(*) from tickets")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(tickets, 1);

    // A request that died before its commit left nothing: the retry runs.
    sqlx::query(
        "insert into api_idempotency (token_id, key, request_hash, created_at) \
         select token_id, 'order-2', request_hash, now() - interval '1 hour' from api_idempotency",
    )
    .execute(&db)
    .await
    .expect("an abandoned claim");
    let r = send("order-2").await.expect("POST");
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_ne!(body(r).await["number"], number);
}

#[sqlx::test]
async fn a_reply_or_note_retried_after_the_node_died_past_the_commit_posts_once(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let api = Api {
        app: &app,
        token: token(&app, spec("panel")).await,
    };
    let created = api
        .post(
            "/api/v1/tickets",
            &new_ticket("olga@client.test", "Сайт лежит"),
        )
        .await;
    let created = body(created).await;
    let number = match &created["number"] {
        serde_json::Value::String(n) => n.clone(),
        other => other.to_string(),
    };
    for (path, key, text) in [
        ("replies", "reply-1", "Перезапустили."),
        ("notes", "note-1", "Клиент VIP"),
    ] {
        let send = || {
            api.req(
                reqwest::Method::POST,
                &format!("/api/v1/tickets/{number}/{path}"),
            )
            .header("idempotency-key", key)
            .json(&json!({ "body": text }))
            .send()
        };
        let first = send().await.expect("POST");
        assert_eq!(first.status(), StatusCode::CREATED, "{path}");
        let id = body(first).await["id"].clone();
        // The node died after the message's commit, before its answer was kept.
        sqlx::query(
            "update api_idempotency set status = null, location = null, body = null, \
                    created_at = now() - interval '1 hour' where key = $1",
        )
        .bind(key)
        .execute(&db)
        .await
        .expect("crash");
        let retry = send().await.expect("POST");
        assert_eq!(retry.status(), StatusCode::CREATED, "{path}");
        assert_eq!(retry.headers()["idempotent-replayed"], "true");
        let again = body(retry).await;
        assert_eq!(again["id"], id, "{path}: the same message");
        assert!(
            again["body_text"]
                .as_str()
                .is_some_and(|b| b.starts_with(text)),
            "{again}"
        );
        let posted: i64 =
            sqlx::query_scalar("select count(*) from messages where body_text like $1 || '%'")
                .bind(text)
                .fetch_one(&db)
                .await
                .expect("count");
        assert_eq!(posted, 1, "{path} posted once");
    }
}
