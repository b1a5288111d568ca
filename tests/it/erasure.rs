//! Erasing a customer on request: their words, files, raw mail, addresses
//! and password go, through the write path (the journal makes search
//! forget); their tickets stay under "Erased customer" with other
//! people's messages on shared tickets untouched; bytes another ticket
//! still uses survive; the blob collector never leaves an attachment
//! without its bytes when a writer races it.

use std::collections::BTreeSet;

use bilet::domain::access::AccessLevel::Reply;
use bilet::domain::ids::TicketId;
use bilet::domain::messages::Kind;
use bilet::domain::users::Role;
use bilet::service::{Error, blob_gc, privacy};
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{TestApp, fixtures, texts};
use crate::search::{admin, found, indexed, ready};

fn mail(from: &str, id: &str, subject: &str, files: &[(&str, &str)]) -> String {
    let mut m = format!(
        "From: {from}\r\nTo: tech@support.test\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nФайлы во вложении, кракозябра.\r\n"
    );
    for (name, body) in files {
        m.push_str(&format!(
            "--b\r\nContent-Type: text/plain; name=\"{name}\"\r\n\
             Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n{body}\r\n"
        ));
    }
    m.push_str("--b--\r\n");
    m
}

async fn ingest(app: &TestApp, raw: &str) {
    let report =
        bilet::service::mail::ingest(&app.state, raw.as_bytes(), &Default::default()).await;
    assert_eq!(report.outcome, "created", "{report:?}");
}

async fn scalar_i64(db: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.expect(sql)
}

async fn sha_of(db: &PgPool, filename: &str) -> String {
    sqlx::query_scalar("select blob_sha256 from attachments where filename = $1 limit 1")
        .bind(filename)
        .fetch_one(db)
        .await
        .expect("attachment")
}

async fn bodies(db: &PgPool, ticket: TicketId) -> Vec<(String, bool)> {
    sqlx::query_as(
        "select body_text, erased_at is not null from messages where ticket_id = $1 \
         order by created_at, id",
    )
    .bind(ticket)
    .fetch_all(db)
    .await
    .expect("messages")
}

#[sqlx::test]
async fn erasing_a_customer_removes_what_they_wrote_and_keeps_the_tickets(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let olga = fixtures::user(&db, "olga@client.test", Role::Customer, &[]).await;
    let ivan = fixtures::user(&db, "ivan@client.test", Role::Customer, &[]).await;
    let ana = fixtures::user(&db, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let (own, own_n) = fixtures::ticket(&db, tech, olga, "Сайт лежит с утра").await;
    fixtures::say(
        &db,
        own,
        Kind::Customer,
        Some(olga),
        "Ошибка 502, кракозябра",
    )
    .await;
    fixtures::say(&db, own, Kind::Agent, Some(ana), "Ольга, перезапустили.").await;
    let (shared, shared_n) = fixtures::ticket(&db, tech, ivan, "Счёт за хостинг").await;
    fixtures::say(&db, shared, Kind::Customer, Some(ivan), "Счёт не пришёл.").await;
    fixtures::say(
        &db,
        shared,
        Kind::Customer,
        Some(olga),
        "Я коллега, кракозябра",
    )
    .await;
    // By mail: a file only Olga has, and one whose bytes Ivan sent too.
    ingest(
        &app,
        &mail(
            "olga@client.test",
            "o-1@client.test",
            "Вывод команды",
            &[("own.txt", "olga only"), ("df.txt", "/dev/sda1 100%")],
        ),
    )
    .await;
    ingest(
        &app,
        &mail(
            "ivan@client.test",
            "i-1@client.test",
            "Диск",
            &[("df-ivan.txt", "/dev/sda1 100%")],
        ),
    )
    .await;
    let own_sha = sha_of(&db, "own.txt").await;
    let shared_sha = sha_of(&db, "df.txt").await;
    assert_eq!(
        shared_sha,
        sha_of(&db, "df-ivan.txt").await,
        "one blob, two files"
    );
    let raw_sha: String = sqlx::query_scalar(
        "select blob_sha256 from raw_mails where envelope_from = 'olga@client.test' or message_id = 'o-1@client.test'",
    )
    .fetch_one(&db)
    .await
    .expect("olga's raw mail");
    let mail_n: i64 = scalar_i64(
        &db,
        "select number from tickets where subject = 'Вывод команды'",
    )
    .await;

    indexed(&app.state).await;
    let root = admin(&app).await;
    let before: BTreeSet<i64> = [own_n.0, shared_n.0, mail_n].into();
    assert_eq!(
        found(&root, "кракозябра").await,
        before
            .union(
                &[scalar_i64(&db, "select number from tickets where subject = 'Диск'").await]
                    .into()
            )
            .copied()
            .collect()
    );

    let user = privacy::customer(&app.state, "Olga@Client.test")
        .await
        .expect("olga");
    let done = privacy::erase(&app.state, &user, None)
        .await
        .expect("erase");
    assert_eq!(
        (done.tickets, done.messages, done.files),
        (3, 4, 2),
        "{done:?}"
    );
    assert_eq!(done.blobs, 2, "her own file and her raw mail: {done:?}");

    // Her own ticket: every word gone, the ticket and its people stay.
    let subject: String = sqlx::query_scalar("select subject from tickets where id = $1")
        .bind(own)
        .fetch_one(&db)
        .await
        .expect("ticket");
    assert_eq!(subject, "—");
    assert_eq!(
        bodies(&db, own).await,
        [(String::new(), true), (String::new(), true)]
    );
    // Ivan's ticket: only her message goes.
    assert_eq!(
        bodies(&db, shared).await,
        [
            ("Счёт не пришёл.".to_string(), false),
            (String::new(), true)
        ]
    );
    // Bytes: hers deleted, the shared ones kept for Ivan.
    assert!(!app.state.blobs.exists(&own_sha).await.expect("exists"));
    assert!(!app.state.blobs.exists(&raw_sha).await.expect("exists"));
    assert!(app.state.blobs.exists(&shared_sha).await.expect("exists"));
    let attachments = scalar_i64(
        &db,
        "select count(*) from attachments where filename in ('own.txt', 'df.txt')",
    )
    .await;
    assert_eq!(attachments, 0);
    assert_eq!(
        scalar_i64(
            &db,
            "select count(*) from attachments where filename = 'df-ivan.txt'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar_i64(
            &db,
            "select count(*) from raw_mails where message_id = 'o-1@client.test'"
        )
        .await,
        0
    );
    // The person: no address, no password, no session, a neutral name.
    let (name, hash, erased): (String, Option<String>, bool) = sqlx::query_as(
        "select name, password_hash, erased_at is not null from users where id = $1",
    )
    .bind(olga)
    .fetch_one(&db)
    .await
    .expect("user");
    assert_eq!(
        (name.as_str(), hash, erased),
        ("Erased customer", None, true)
    );
    assert_eq!(
        scalar_i64(
            &db,
            &format!("select count(*) from user_emails where user_id = '{olga}'")
        )
        .await,
        0
    );
    assert!(matches!(
        privacy::customer(&app.state, "olga@client.test").await,
        Err(Error::NotFound)
    ));
    // Through the write path: one journal entry per ticket, audited.
    assert_eq!(
        scalar_i64(
            &db,
            "select count(*) from ticket_journal where kind = 'erased'"
        )
        .await,
        3
    );
    assert_eq!(
        scalar_i64(&db, &format!("select count(*) from events where kind = 'customer.erased' and subject_id = '{olga}'")).await,
        1
    );

    // Search forgot her words; Ivan's own stay findable.
    indexed(&app.state).await;
    let left = found(&root, "кракозябра").await;
    assert!(
        !left.contains(&own_n.0) && !left.contains(&shared_n.0) && !left.contains(&mail_n),
        "{left:?}"
    );
    assert!(found(&root, "пришёл").await.contains(&shared_n.0));

    // The agent's page says what happened instead of showing nothing.
    let res = root.get(&format!("/agent/tickets/{own_n}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("page");
    assert_eq!(
        texts(&page, ".message-body .erased").len(),
        2,
        "both messages marked erased"
    );
    assert!(page.contains("Erased customer"), "the requester's new name");
}

#[sqlx::test]
async fn the_collector_never_takes_bytes_a_writer_is_counting(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let put = |bytes: &'static [u8]| {
        let blobs = app.state.blobs.clone();
        async move { blobs.put(Box::pin(bytes), 1024).await.expect("put") }
    };
    let unreferenced = |sha: String, size: u64| {
        let db = db.clone();
        async move {
            sqlx::query("insert into blobs (sha256, size, ref_count) values ($1, $2, 0)")
                .bind(sha)
                .bind(size as i64)
                .execute(&db)
                .await
                .expect("blob row");
        }
    };

    // A writer's uncommitted reference: the collector leaves the blob.
    let a = put(b"counted first").await;
    unreferenced(a.sha256.clone(), a.size).await;
    let mut writer = db.begin().await.expect("tx");
    bilet::store::blobs::add_ref(&mut *writer, &a.sha256, a.size as i64)
        .await
        .expect("ref");
    assert_eq!(blob_gc::collect(&app.state).await.expect("collect"), 0);
    blob_gc::kept(&app.state, std::slice::from_ref(&a.sha256))
        .await
        .expect("still there");
    writer.commit().await.expect("commit");
    assert!(app.state.blobs.exists(&a.sha256).await.expect("exists"));

    // The collector first: a writer counting afterwards finds the bytes
    // gone and fails instead of keeping a file without bytes.
    let b = put(b"collected first").await;
    unreferenced(b.sha256.clone(), b.size).await;
    assert_eq!(blob_gc::collect(&app.state).await.expect("collect"), 1);
    let mut writer = db.begin().await.expect("tx");
    bilet::store::blobs::add_ref(&mut *writer, &b.sha256, b.size as i64)
        .await
        .expect("ref");
    assert!(
        blob_gc::kept(&app.state, std::slice::from_ref(&b.sha256))
            .await
            .is_err()
    );
    writer.rollback().await.expect("rollback");

    // While a backup holds it off, the collector leaves even free bytes.
    let c = put(b"named by a running backup's dump").await;
    unreferenced(c.sha256.clone(), c.size).await;
    let mut backup = db.acquire().await.expect("conn");
    bilet::store::blobs::pause_collector(&mut backup)
        .await
        .expect("pause");
    assert_eq!(blob_gc::collect(&app.state).await.expect("collect"), 0);
    assert!(app.state.blobs.exists(&c.sha256).await.expect("exists"));
    bilet::store::blobs::resume_collector(&mut backup)
        .await
        .expect("resume");
    assert_eq!(blob_gc::collect(&app.state).await.expect("collect"), 1);
    assert_eq!(
        scalar_i64(
            &db,
            &format!("select count(*) from blobs where sha256 = '{}'", b.sha256)
        )
        .await,
        0
    );
}

async fn bilet(db: &PgPool, args: &[&str]) -> (bool, String, String) {
    let dir = tempfile::tempdir().expect("dir");
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(args)
        .env("DATABASE_URL", fixtures::url_of(db).await)
        .env("BILET_LOG__FILTER", "off")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("bilet");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[sqlx::test]
async fn bilet_customer_erase_asks_first_and_names_unknown_addresses(db: PgPool) {
    let tech = fixtures::department(&db, "tech").await;
    let olga = fixtures::user(&db, "olga@client.test", Role::Customer, &[]).await;
    let (t, _) = fixtures::ticket(&db, tech, olga, "Не работает почта").await;
    fixtures::say(&db, t, Kind::Customer, Some(olga), "Совсем не работает").await;

    let (ok, _, err) = bilet(&db, &["customer", "erase", "olga@client.test"]).await;
    assert!(!ok && err.contains("--yes"), "{err}");
    assert_eq!(
        bodies(&db, t).await[0].0,
        "Совсем не работает",
        "nothing erased"
    );

    let (ok, _, err) = bilet(&db, &["customer", "erase", "nobody@client.test", "--yes"]).await;
    assert!(
        !ok && err.contains("no customer has the address nobody@client.test"),
        "{err}"
    );
    let (ok, _, err) = bilet(&db, &["customer", "erase", "ana@support.test", "--yes"]).await;
    assert!(!ok, "{err}");

    let (ok, out, err) = bilet(&db, &["customer", "erase", "olga@client.test", "--yes"]).await;
    assert!(ok, "{err}");
    assert!(
        out.starts_with("erased olga@client.test: 1 tickets, 1 messages, 0 files"),
        "{out}"
    );
    assert_eq!(bodies(&db, t).await, [(String::new(), true)]);
}

#[sqlx::test]
async fn admins_find_export_and_erase_a_customer_in_the_console(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await;
    let olga = fixtures::user(&db, "olga@client.test", Role::Customer, &[]).await;
    let (t, number) = fixtures::ticket(&db, tech, olga, "Не открывается сайт").await;
    fixtures::say(&db, t, Kind::Customer, Some(olga), "Ошибка 500 с утра").await;
    let root = admin(&app).await;

    // Agents do not reach the page.
    let pw = app
        .create_account("ana@support.test", Role::Agent, &[("tech", Reply)])
        .await;
    let ana = app.another_browser();
    ana.login_and_set_password("ana@support.test", &pw, "correct horse battery")
        .await;
    assert_eq!(
        ana.get("/admin/customers?email=olga%40client.test")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    for unknown in ["nobody@client.test", "ana@support.test"] {
        let page = root
            .get(&format!(
                "/admin/customers?email={}",
                unknown.replace('@', "%40")
            ))
            .await
            .text()
            .await
            .expect("page");
        assert_eq!(texts(&page, "#customer-missing").len(), 1, "{unknown}");
        assert!(
            page.contains(&format!("value=\"{unknown}\"")),
            "the address typed is kept"
        );
    }
    let page = root
        .get("/admin/customers?email=Olga%40Client.test")
        .await
        .text()
        .await
        .expect("page");
    assert_eq!(texts(&page, "#customer-tickets"), ["1"]);
    let export = crate::harness::attr(&page, "form[action$='/export']", "action").expect("export");
    let erase = crate::harness::attr(&page, "form[action$='/erase']", "action").expect("erase");

    let res = root.post_form(&export, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-tar")
    );
    let bytes = res.bytes().await.expect("tar");
    let mut archive = tar::Archive::new(&bytes[..]);
    let mut names = BTreeSet::new();
    let mut ticket_json = String::new();
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = entry.path().expect("path").to_string_lossy().into_owned();
        if path == format!("bilet-export/tickets/{number}.json") {
            std::io::Read::read_to_string(&mut entry, &mut ticket_json).expect("read");
        }
        names.insert(path);
    }
    assert!(names.contains("bilet-export/profile.json"), "{names:?}");
    assert!(ticket_json.contains("Ошибка 500 с утра"), "{ticket_json}");
    let leftovers = std::fs::read_dir(app.state.config.data_dir.join("tmp"))
        .expect("tmp")
        .count();
    assert_eq!(leftovers, 0, "nothing of the export stays on disk");
    let exported_by_admin = scalar_i64(
        &db,
        &format!(
            "select count(*) from events where kind = 'customer.exported' \
             and subject_id = '{olga}' and actor_id is not null"
        ),
    )
    .await;
    assert_eq!(exported_by_admin, 1);

    // Erasing asks first and says what goes.
    let res = root.post_form(&erase, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let question = res.text().await.expect("page");
    assert!(question.contains("olga@client.test"), "{question}");
    assert_eq!(bodies(&db, t).await[0].0, "Ошибка 500 с утра", "not yet");
    let res = root.post_form(&erase, &[("confirm", "1")]).await;
    crate::harness::assert_redirect(&res, "/admin/customers");
    assert_eq!(bodies(&db, t).await, [(String::new(), true)]);
    let page = root
        .get("/admin/customers?email=olga%40client.test")
        .await
        .text()
        .await
        .expect("page");
    assert_eq!(texts(&page, "#customer-missing").len(), 1, "gone");
    assert_eq!(
        root.post_form(&erase, &[("confirm", "1")]).await.status(),
        StatusCode::NOT_FOUND
    );
}
