//! Data protection: `bilet customer export` writes everything about one
//! customer as they may see it — their tickets and files, not the agents'
//! internal notes nor anyone else's tickets — and the export is audited.

use bilet::domain::access::AccessLevel::Reply;
use bilet::domain::messages::Kind;
use bilet::domain::users::Role;
use sqlx::PgPool;

use crate::harness::{TestApp, fixtures};

#[sqlx::test]
async fn a_customer_export_holds_their_tickets_and_files_and_nothing_else(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await;
    let olga = fixtures::user(&db, "olga@client.test", Role::Customer, &[]).await;
    let ivan = fixtures::user(&db, "ivan@client.test", Role::Customer, &[]).await;
    let agent = fixtures::user(&db, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let (t, number) = fixtures::ticket(&db, tech, olga, "Сайт лежит").await;
    fixtures::say(&db, t, Kind::Customer, Some(olga), "С утра ошибка 502.").await;
    fixtures::say(
        &db,
        t,
        Kind::Note,
        Some(agent),
        "Внутренняя заметка: клиент должник",
    )
    .await;
    let (_, other) = fixtures::ticket(&db, tech, ivan, "Чужой тикет").await;
    // A file of hers, by mail into a ticket of her own.
    let mail = "From: olga@client.test\r\nTo: tech@support.test\r\nSubject: Вывод команды\r\n\
         Message-ID: <export-1@client.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         См. файл.\r\n--b\r\nContent-Type: text/plain; name=\"df.txt\"\r\n\
         Content-Disposition: attachment; filename=\"../df.txt\"\r\n\r\n/dev/sda1 100%\r\n--b--\r\n";
    let report =
        bilet::service::mail::ingest(&app.state, mail.as_bytes(), &Default::default()).await;
    assert_eq!(report.outcome, "created", "{report:?}");

    let dir = tempfile::tempdir().expect("dir");
    let to = dir.path().join("olga");
    let done = bilet::service::privacy::export(&app.state, "Olga@Client.test", &to)
        .await
        .expect("export");
    assert_eq!((done.tickets, done.files), (2, 1));

    let profile: serde_json::Value =
        serde_json::from_slice(&std::fs::read(to.join("profile.json")).expect("profile"))
            .expect("json");
    assert_eq!(profile["addresses"][0], "olga@client.test");
    let ticket =
        std::fs::read_to_string(to.join("tickets").join(format!("{number}.json"))).expect("ticket");
    assert!(ticket.contains("С утра ошибка 502."), "{ticket}");
    assert!(
        !ticket.contains("Внутренняя заметка"),
        "no internal notes: {ticket}"
    );
    assert!(
        !to.join("tickets").join(format!("{other}.json")).exists(),
        "not Ivan's"
    );
    let files: Vec<_> = walk(&to.join("files"));
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0]
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_string();
    assert!(
        name.ends_with("-df.txt"),
        "a safe name inside the folder: {name}"
    );
    assert!(
        std::fs::read_to_string(&files[0])
            .expect("file")
            .contains("/dev/sda1 100%")
    );

    let audited: i64 = sqlx::query_scalar(
        "select count(*) from events where kind = 'customer.exported' and subject_id = $1",
    )
    .bind(olga)
    .fetch_one(&db)
    .await
    .expect("audit");
    assert_eq!(audited, 1);

    // Staff are not exported as customers; a used folder is refused.
    assert!(
        bilet::service::privacy::export(&app.state, "ana@support.test", &dir.path().join("x"))
            .await
            .is_err()
    );
    assert!(
        bilet::service::privacy::export(&app.state, "olga@client.test", &to)
            .await
            .is_err()
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
