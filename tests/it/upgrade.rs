//! Upgrades: a helpdesk whose schema is what commit 00dbb11 shipped (its
//! two migrations, never edited since: sqlx refuses a changed checksum),
//! holding tickets, is upgraded to the current migrations and reads the
//! same through the current read model.

use std::borrow::Cow;

use sqlx::PgPool;
use sqlx::migrate::Migrator;

/// The migrations of commit 00dbb11.
const AT_00DBB11: &[i64] = &[20261125000001, 20261125000002];

#[sqlx::test(migrations = false)]
async fn a_helpdesk_of_00dbb11_upgrades_with_its_data(db: PgPool) {
    let old = Migrator {
        migrations: Cow::Owned(
            bilet::database::MIGRATOR
                .iter()
                .filter(|m| AT_00DBB11.contains(&m.version))
                .cloned()
                .collect(),
        ),
        ..Migrator::DEFAULT
    };
    assert_eq!(old.iter().count(), AT_00DBB11.len());
    old.run(&db).await.expect("the old schema");

    // Filled as that version would have left it.
    for sql in [
        "insert into departments (id, slug, name) values ('00000000-0000-4000-8000-0000000000d1', 'tech', 'Техподдержка')",
        "insert into department_addresses (email, department_id, is_primary) \
         values ('tech@support.test', '00000000-0000-4000-8000-0000000000d1', true)",
        "insert into users (id, role, name) values ('00000000-0000-4000-8000-0000000000c1', 'customer', 'Ольга')",
        "insert into user_emails (id, user_id, email, is_primary) \
         values (gen_random_uuid(), '00000000-0000-4000-8000-0000000000c1', 'olga@client.test', true)",
        "insert into tickets (id, subject, department_id, requester_id, status, priority) \
         values ('00000000-0000-4000-8000-0000000000f1', 'Сайт лежит', '00000000-0000-4000-8000-0000000000d1', \
                 '00000000-0000-4000-8000-0000000000c1', 'open', 'high')",
        "insert into messages (id, ticket_id, kind, source, author_id, body_text) \
         values (gen_random_uuid(), '00000000-0000-4000-8000-0000000000f1', 'customer', 'email', \
                 '00000000-0000-4000-8000-0000000000c1', 'С утра не открывается главная страница.')",
    ] {
        sqlx::query(sql).execute(&db).await.expect(sql);
    }
    let number: i64 = sqlx::query_scalar("select number from tickets")
        .fetch_one(&db)
        .await
        .expect("number");

    bilet::database::MIGRATOR
        .run(&db)
        .await
        .expect("the upgrade");
    assert_eq!(
        bilet::service::health::ready(&db).await,
        bilet::service::health::Readiness::Ready
    );

    // The current read model reads the old ticket whole.
    let url = crate::harness::fixtures::url_of(&db).await;
    let dir = tempfile::tempdir().expect("dir");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
        .args(["--data-dir", &dir.path().to_string_lossy()])
        .args(["ticket", "show", "--json", &number.to_string()])
        .env("DATABASE_URL", url)
        .env("BILET_LOG__FILTER", "off")
        .output()
        .await
        .expect("bilet ticket show");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(t["subject"], "Сайт лежит", "{t}");
    assert_eq!(t["status"], "open");
    assert_eq!(t["priority"], "high");
    assert_eq!(t["department"], "tech", "{t}");
    let messages = t["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1, "{t}");
    assert!(
        messages[0]["body_text"]
            .as_str()
            .unwrap_or_default()
            .contains("главная страница"),
        "{t}"
    );
}
