//! `bilet dev seed`: the shape of the seeded helpdesk (departments,
//! agents who can sign in, customers, threads in four languages, files,
//! ratings, rebuilt counts) and its refusal to touch a database with data.

use bilet::service::seed;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::TestApp;

async fn count(db: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.expect(sql)
}

#[sqlx::test]
async fn a_seeded_helpdesk_looks_real_and_a_second_seed_is_refused(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let done = seed::seed(&app.state, 400).await.expect("seed");
    assert_eq!(done.tickets, 400);
    assert_eq!(count(&db, "select count(*) from departments").await, 10);
    assert_eq!(
        count(&db, "select count(*) from users where role = 'agent'").await,
        50
    );
    assert_eq!(
        count(&db, "select count(*) from users where role = 'customer'").await,
        100_000
    );
    assert_eq!(count(&db, "select count(*) from tickets").await, 400);
    let messages = count(&db, "select count(*) from messages").await;
    assert_eq!(messages, done.messages);
    assert!(
        (800..=4000).contains(&messages),
        "about five a ticket: {messages}"
    );
    let longest = count(
        &db,
        "select max(c) from (select count(*) c from messages group by ticket_id) x",
    )
    .await;
    assert!(longest <= 40, "threads of at most 40: {longest}");
    // Every thread starts with the requester's own message.
    assert_eq!(
        count(
            &db,
            "select count(*) from tickets t where not exists (select 1 from messages m \
             where m.ticket_id = t.id and m.author_id = t.requester_id and m.kind = 'customer' \
             and m.created_at = t.created_at)"
        )
        .await,
        0
    );
    for (language, sql) in [
        (
            "Ukrainian",
            "select count(*) from tickets where subject ~ '[іїє]'",
        ),
        (
            "Russian",
            "select count(*) from tickets where subject ~ '[ыэъ]'",
        ),
        (
            "German",
            "select count(*) from tickets where subject ~ 'Rechnung|Server antwortet|Zertifikat'",
        ),
        (
            "English",
            "select count(*) from tickets where subject ~ 'invoice|does not respond|certificate'",
        ),
    ] {
        assert!(count(&db, sql).await > 0, "{language} subjects");
    }
    assert!(
        count(
            &db,
            "select count(*) from tickets where created_at < now() - interval '2 years'"
        )
        .await
            > 0,
        "spread over three years"
    );
    assert!(count(&db, "select count(*) from ratings").await > 0);
    assert_eq!(count(&db, "select count(*) from saved_searches").await, 50);
    assert_eq!(
        count(&db, "select count(*) from tickets where status = 'open'").await,
        count(
            &db,
            "select coalesce(sum(n), 0)::bigint from ticket_counts where status = 'open'"
        )
        .await,
        "the maintained counts are rebuilt"
    );

    // Agents sign in with the printed password and open a seeded file.
    let agent = app.another_browser();
    let res = agent
        .login("agent1@seed.bilet.test", seed::AGENT_PASSWORD)
        .await;
    assert!(res.status().is_redirection(), "signed in: {}", res.status());
    let queue = agent.get("/agent").await;
    assert_eq!(queue.status(), StatusCode::OK);
    assert!(
        queue.text().await.expect("page").contains("Urgent"),
        "the workspace is listed"
    );
    let file: String = sqlx::query_scalar(
        "select a.id::text from attachments a join tickets t on t.id = a.ticket_id \
         join agent_departments g on g.department_id = t.department_id \
         join user_emails e on e.user_id = g.user_id and e.email = 'agent1@seed.bilet.test' limit 1",
    )
    .fetch_one(&db)
    .await
    .expect("a file agent1 may see");
    let res = agent.get(&format!("/attachments/{file}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!res.bytes().await.expect("bytes").is_empty());

    let again = seed::seed(&app.state, 10).await.expect_err("refused");
    assert!(again.to_string().contains("empty"), "{again}");
    assert_eq!(count(&db, "select count(*) from tickets").await, 400);
}
