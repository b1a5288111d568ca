//! How many SQL statements a request sends, counted by PostgreSQL itself
//! (pg_stat_statements, loaded by tests/env/with-services) for this test's
//! database only: the session and user look-up count like everything else.
//! The app runs on a pool of one connection and each request runs a few
//! times before one is counted, so the figures are the steady state: sqlx
//! resolves the custom types once per connection, not per request.

use bilet::domain::access::AccessLevel::Manage;
use bilet::domain::users::Role;
use reqwest::Response;
use sqlx::PgPool;

use crate::harness::{Form, TestApp, assert_redirect, fixtures};

const PASSWORD: &str = "correct horse battery";

async fn reset(db: &PgPool) {
    sqlx::query("create extension if not exists pg_stat_statements")
        .execute(db)
        .await
        .expect("pg_stat_statements (tests/env/with-services preloads it)");
    sqlx::query(
        "select pg_stat_statements_reset(0, (select oid from pg_database where datname = current_database()), 0)",
    )
    .execute(db)
    .await
    .expect("reset");
}

async fn counted(db: &PgPool) -> i64 {
    sqlx::query_scalar(
        "select coalesce(sum(calls), 0)::bigint from pg_stat_statements \
         where dbid = (select oid from pg_database where datname = current_database()) \
           and query not ilike '%pg_stat_statements%' and query not like '%/* test */%'",
    )
    .fetch_one(db)
    .await
    .expect("count")
}

/// The statements one request sent, once every connection is warm.
pub async fn statements<F, Fut>(db: &PgPool, request: F) -> (i64, Response)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    for _ in 0..3 {
        request().await;
    }
    reset(db).await;
    let res = request().await;
    (counted(db).await, res)
}

struct Scene {
    agent: TestApp,
    customer: TestApp,
    number: String,
}

/// A customer's ticket in tech with ten messages, and a manager of tech.
async fn scene(db: &PgPool) -> Scene {
    let one = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_with((*db.connect_options()).clone())
        .await
        .expect("pool");
    let app = TestApp::spawn(one).await;
    let tech = fixtures::department(db, "tech").await;
    let customer = app.another_browser();
    assert_redirect(
        &customer
            .register("anna@example.com", "Anna Petrova", PASSWORD)
            .await,
        "/portal",
    );
    let form = Form::new()
        .text("topic", &format!("d-{tech}"))
        .text("subject", "Server down")
        .text("body", "Please help")
        .text("confirm_new", "1");
    let res = customer.post_multipart("/portal/tickets", form).await;
    let number = TestApp::location(&res)
        .trim_start_matches("/portal/tickets/")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(number.parse::<i64>().is_ok(), "{}", TestApp::location(&res));
    for i in 0..9 {
        let form = Form::new().text("body", &format!("More detail {i}"));
        customer
            .post_multipart(&format!("/portal/tickets/{number}/reply"), form)
            .await;
    }
    let agent = app.another_browser();
    let one_time = agent
        .create_account("manager@support.test", Role::Agent, &[("tech", Manage)])
        .await;
    agent
        .login_and_set_password("manager@support.test", &one_time, PASSWORD)
        .await;
    Scene {
        agent,
        customer,
        number,
    }
}

#[sqlx::test]
async fn pages_send_few_statements(db: PgPool) {
    let s = scene(&db).await;
    let (queue, res) = statements(&db, || s.agent.get("/agent")).await;
    assert!(res.status().is_success());
    let ticket_path = format!("/agent/tickets/{}", s.number);
    let (ticket, res) = statements(&db, || s.agent.get(&ticket_path)).await;
    assert!(res.status().is_success());
    let portal_path = format!("/portal/tickets/{}", s.number);
    let (portal, res) = statements(&db, || s.customer.get(&portal_path)).await;
    assert!(res.status().is_success());
    let (reply, res) = statements(&db, || async {
        let version: i32 = sqlx::query_scalar("select version from tickets /* test */")
            .fetch_one(&db)
            .await
            .expect("version");
        let form = Form::new()
            .text("body", "On it")
            .text("version", &version.to_string())
            .text("action", "send");
        s.agent
            .post_multipart(&format!("/agent/tickets/{}/reply", s.number), form)
            .await
    })
    .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    // A search once the index has caught up (the first search applies the
    // journal): the index answers, the rows come in one statement.
    let first = s.agent.get("/agent?q=server").await;
    assert!(first.status().is_success());
    let html = first.text().await.expect("results");
    assert!(
        html.contains(&format!("data-number=\"{}\"", s.number)),
        "the ticket is found"
    );
    let (search, res) = statements(&db, || s.agent.get("/agent?q=server")).await;
    assert!(res.status().is_success());
    println!(
        "statements: queue {queue}, ticket {ticket}, portal {portal}, reply {reply}, search {search}"
    );
    assert!(search <= 8, "search page: {search} statements");
    // The ceilings are 5 and 6; these are today's figures (README).
    // The ticket page's sidebar adds one (the saved workspaces' names; their
    // counts are fetched by the page afterwards).
    assert!(queue <= 5, "queue page: {queue} statements");
    assert!(ticket <= 6, "agent ticket page: {ticket} statements");
    assert!(portal <= 4, "portal ticket page: {portal} statements");
    // 14 before service levels: the write reads the department's policy;
    // 15 before the reply mail read its department's text.
    assert!(reply <= 16, "agent reply: {reply} statements");
}
