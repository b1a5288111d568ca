//! Service-level configuration through the real binary (`bilet calendar`,
//! `bilet sla`, `bilet department set`) and `service::sla::policy_for`.
//! Every refusal must name its field, exit non-zero and save nothing.

use std::path::Path;

use bilet::domain::access::AccessLevel::Reply;
use bilet::domain::business_time::Target;
use bilet::domain::priority::Priority;
use bilet::domain::users::Role;
use bilet::service::sla::policy_for;
use sqlx::PgPool;

use crate::harness::fixtures;

const BIN: &str = env!("CARGO_BIN_EXE_bilet");

/// The URL of this test's database, for the child process.
async fn url_of(db: &PgPool) -> String {
    let name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(db)
        .await
        .expect("db");
    std::env::var("DATABASE_URL")
        .expect("url")
        .replacen("/postgres?", &format!("/{name}?"), 1)
}

/// Runs the binary: (success, stdout, stderr).
async fn run(db: &PgPool, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("DATABASE_URL", url_of(db).await)
        .env("BILET_LOG__FILTER", "error")
        .kill_on_drop(true)
        .output()
        .await
        .expect("bilet");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.success(), text(&out.stdout), text(&out.stderr))
}

async fn ok(db: &PgPool, dir: &Path, args: &[&str]) -> String {
    let (success, out, err) = run(db, dir, args).await;
    assert!(success, "bilet {args:?}: {out}{err}");
    out
}

/// Asserts a refusal naming `field`; returns the message.
async fn refused(db: &PgPool, dir: &Path, args: &[&str], field: &str) -> String {
    let (success, out, err) = run(db, dir, args).await;
    assert!(!success, "bilet {args:?} should fail: {out}");
    assert!(err.contains(&format!("{field}:")), "{args:?}: {err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    err
}

/// Everything the configuration can save, to see that refusals save nothing.
async fn saved(db: &PgPool) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "select (select count(*) from calendars), (select count(*) from sla_targets), \
                (select count(*) from department_managers), \
                (select count(*) from departments where calendar_id is not null)",
    )
    .fetch_one(db)
    .await
    .expect("counts")
}

const MOSCOW: [&str; 7] = [
    "calendar",
    "add",
    "--name",
    "office",
    "--zone",
    "Europe/Moscow",
    "--hours",
];

#[sqlx::test]
async fn calendars_are_added_and_listed(db: PgPool) {
    let dir = tempfile::tempdir().expect("dir");
    let mut args = MOSCOW.to_vec();
    args.extend([
        "mon-fri 09:00-18:00",
        "--holiday",
        "2027-01-02",
        "--holiday",
        "2027-01-01",
    ]);
    ok(&db, dir.path(), &args).await;
    let list = ok(&db, dir.path(), &["calendar", "list"]).await;
    assert_eq!(
        list.trim(),
        "office\tEurope/Moscow\tmon-fri 09:00-18:00\t2027-01-01,2027-01-02"
    );
    let kinds: i64 =
        sqlx::query_scalar("select count(*) from events where kind = 'calendar.created'")
            .fetch_one(&db)
            .await
            .expect("audit");
    assert_eq!(kinds, 1);
}

#[sqlx::test]
async fn bad_calendars_name_the_field_and_save_nothing(db: PgPool) {
    let dir = tempfile::tempdir().expect("dir");
    let dir = dir.path();
    let cases: [(&[&str], &str); 5] = [
        (
            &["--zone", "Europe/Moscow", "--hours", "mon-fri 09:00-09:00"],
            "hours",
        ),
        (
            &[
                "--zone",
                "Europe/Moscow",
                "--hours",
                "mon-fri 09:00-13:00; mon 12:00-14:00",
            ],
            "hours",
        ),
        (&["--zone", "Europe/Moscow", "--hours", ""], "hours"),
        (
            &["--zone", "Mars/Olympus", "--hours", "mon-fri 09:00-18:00"],
            "zone",
        ),
        (
            &[
                "--zone",
                "Europe/Moscow",
                "--hours",
                "mon 09:00-18:00",
                "--holiday",
                "2027-01-01",
                "--holiday",
                "2027-01-01",
            ],
            "holidays",
        ),
    ];
    for (rest, field) in cases {
        let mut args = vec!["calendar", "add", "--name", "bad"];
        args.extend(rest);
        refused(&db, dir, &args, field).await;
    }
    assert_eq!(saved(&db).await, (0, 0, 0, 0));
}

#[sqlx::test]
async fn targets_are_set_listed_and_cleared(db: PgPool) {
    let dir = tempfile::tempdir().expect("dir");
    let dir = dir.path();
    fixtures::department(&db, "tech").await;
    let sla = |extra: &[&'static str]| {
        let mut args = vec!["sla", "set", "--department", "tech"];
        args.extend(extra);
        args
    };
    ok(
        &db,
        dir,
        &sla(&["--first-response", "4h", "--resolution", "2d"]),
    )
    .await;
    ok(
        &db,
        dir,
        &sla(&[
            "--priority",
            "urgent",
            "--first-response",
            "30m",
            "--warn-before",
            "10m",
        ]),
    )
    .await;
    let list = ok(&db, dir, &["sla", "list"]).await;
    let rows: Vec<Vec<&str>> = list
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        [
            vec!["tech", "any", "4h", "-", "2d", "-", "24/7"],
            vec!["tech", "urgent", "30m", "-", "-", "10m", "24/7"],
        ]
    );
    // "none" clears one target; the others stay.
    ok(
        &db,
        dir,
        &sla(&["--resolution", "none", "--next-response", "8h"]),
    )
    .await;
    let list = ok(&db, dir, &["sla", "list"]).await;
    assert!(
        list.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>()
                == ["tech", "any", "4h", "8h", "-", "-", "24/7"]),
        "{list}"
    );

    let before = saved(&db).await;
    refused(
        &db,
        dir,
        &sla(&["--first-response", "0m"]),
        "first-response",
    )
    .await;
    refused(&db, dir, &sla(&["--resolution", "soon"]), "resolution").await;
    refused(
        &db,
        dir,
        &["sla", "set", "--department", "nope", "--resolution", "4h"],
        "department",
    )
    .await;
    assert_eq!(saved(&db).await, before);
}

#[sqlx::test]
async fn departments_get_a_calendar_and_staff_managers(db: PgPool) {
    let dir = tempfile::tempdir().expect("dir");
    let dir = dir.path();
    fixtures::department(&db, "tech").await;
    fixtures::user(&db, "boss@support.test", Role::Agent, &[("tech", Reply)]).await;
    fixtures::user(&db, "deputy@support.test", Role::Admin, &[]).await;
    fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let mut args = MOSCOW.to_vec();
    args.push("mon-fri 09:00-18:00");
    ok(&db, dir, &args).await;

    let set = ["department", "set", "--slug", "tech"];
    let with = |extra: &[&'static str]| [&set[..], extra].concat();
    ok(
        &db,
        dir,
        &with(&[
            "--calendar",
            "office",
            "--manager",
            "boss@support.test",
            "--manager",
            "deputy@support.test",
        ]),
    )
    .await;
    let list = ok(&db, dir, &["sla", "list"]).await;
    assert!(
        list.contains("office") && list.contains("boss@support.test,deputy@support.test"),
        "{list}"
    );

    // A customer, an unknown calendar or department: refused, nothing changes.
    let before = saved(&db).await;
    refused(
        &db,
        dir,
        &with(&[
            "--manager",
            "boss@support.test",
            "--manager",
            "anna@example.com",
            "--calendar",
            "none",
        ]),
        "manager",
    )
    .await;
    refused(&db, dir, &with(&["--calendar", "nights"]), "calendar").await;
    refused(
        &db,
        dir,
        &[
            "department",
            "set",
            "--slug",
            "nope",
            "--calendar",
            "office",
        ],
        "department",
    )
    .await;
    assert_eq!(saved(&db).await, before);

    // Given managers replace the list; none clears the calendar.
    ok(
        &db,
        dir,
        &with(&["--manager", "deputy@support.test", "--calendar", "none"]),
    )
    .await;
    let list = ok(&db, dir, &["sla", "list"]).await;
    assert!(list.contains("24/7") && !list.contains("boss@"), "{list}");
    ok(&db, dir, &with(&["--no-managers"])).await;
    assert_eq!(saved(&db).await, (1, 0, 0, 0));
}

#[sqlx::test]
async fn policy_for_prefers_the_priority_then_the_default_and_the_calendar(db: PgPool) {
    let dir = tempfile::tempdir().expect("dir");
    let dir = dir.path();
    let tech = fixtures::department(&db, "tech").await;

    let (policy, calendar) = policy_for(&db, tech, Priority::High).await.expect("policy");
    assert_eq!(policy, Default::default(), "no rows, no targets");
    assert!(
        calendar.is_working("2027-01-02T03:00:00Z".parse().expect("ts")),
        "24/7"
    );

    ok(
        &db,
        dir,
        &["sla", "set", "--department", "tech", "--resolution", "2d"],
    )
    .await;
    ok(
        &db,
        dir,
        &[
            "sla",
            "set",
            "--department",
            "tech",
            "--priority",
            "high",
            "--first-response",
            "1h",
        ],
    )
    .await;
    let (high, _) = policy_for(&db, tech, Priority::High).await.expect("high");
    assert_eq!(
        (high.first_response, high.resolution),
        (Some(Target::Hours(1)), None)
    );
    let (low, _) = policy_for(&db, tech, Priority::Low).await.expect("low");
    assert_eq!(
        (low.first_response, low.resolution),
        (None, Some(Target::Days(2)))
    );

    let mut args = MOSCOW.to_vec();
    args.push("mon-fri 09:00-18:00");
    ok(&db, dir, &args).await;
    ok(
        &db,
        dir,
        &[
            "department",
            "set",
            "--slug",
            "tech",
            "--calendar",
            "office",
        ],
    )
    .await;
    let (_, calendar) = policy_for(&db, tech, Priority::Low)
        .await
        .expect("calendar");
    // Saturday night in Moscow: closed.
    assert!(!calendar.is_working("2027-01-02T03:00:00Z".parse().expect("ts")));
    assert!(calendar.is_working("2027-01-04T09:00:00Z".parse().expect("ts")));
}
