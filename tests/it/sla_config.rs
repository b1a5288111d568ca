//! Service-level configuration through the real binary (`bilet calendar`,
//! `bilet sla`, `bilet department set`) and `service::sla::policy_for`.
//! Every refusal must name its field, exit non-zero and save nothing.

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

/// The binary over a test's database and a data folder of its own.
struct Cli {
    db: PgPool,
    url: String,
    dir: tempfile::TempDir,
}

/// Words of a command line; 'single quotes' keep spaces.
fn words(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for (i, part) in line.split('\'').enumerate() {
        match i % 2 {
            0 => out.extend(part.split_whitespace()),
            _ => out.push(part),
        }
    }
    out
}

impl Cli {
    async fn new(db: &PgPool) -> Cli {
        let dir = tempfile::tempdir().expect("dir");
        let (db, url) = (db.clone(), url_of(db).await);
        Cli { db, url, dir }
    }

    /// Runs `line`: (success, stdout, stderr).
    async fn run(&self, line: &str) -> (bool, String, String) {
        let out = tokio::process::Command::new(BIN)
            .arg("--data-dir")
            .arg(self.dir.path())
            .args(words(line))
            .env("DATABASE_URL", &self.url)
            .env("BILET_LOG__FILTER", "error")
            .kill_on_drop(true)
            .output()
            .await
            .expect("bilet");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    }

    async fn ok(&self, line: &str) -> String {
        let (success, out, err) = self.run(line).await;
        assert!(success, "bilet {line}: {out}{err}");
        out
    }

    /// Asserts a one-line refusal naming `field`.
    async fn refused(&self, line: &str, field: &str) {
        let (success, out, err) = self.run(line).await;
        assert!(!success, "bilet {line} should fail: {out}");
        assert!(err.contains(&format!("{field}:")), "{line}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }

    /// Everything the configuration saves, to see that refusals save nothing.
    async fn saved(&self) -> (i64, i64, i64, i64) {
        sqlx::query_as(
            "select (select count(*) from calendars), (select count(*) from sla_targets), \
                    (select count(*) from department_managers), \
                    (select count(*) from departments where calendar_id is not null)",
        )
        .fetch_one(&self.db)
        .await
        .expect("counts")
    }

    /// `sla list` as rows of words, without the heading.
    async fn sla_rows(&self) -> Vec<Vec<String>> {
        let list = self.ok("sla list").await;
        let row = |l: &str| l.split_whitespace().map(String::from).collect();
        list.lines().skip(1).map(row).collect()
    }
}

const OFFICE: &str =
    "calendar add --name office --zone Europe/Moscow --hours 'mon-fri 09:00-18:00'";

#[sqlx::test]
async fn calendars_are_added_and_listed(db: PgPool) {
    let cli = Cli::new(&db).await;
    cli.ok(&format!(
        "{OFFICE} --holiday 2027-01-02 --holiday 2027-01-01"
    ))
    .await;
    let list = cli.ok("calendar list").await;
    let office = "office\tEurope/Moscow\tmon-fri 09:00-18:00\t2027-01-01,2027-01-02";
    assert_eq!(list.trim(), office);
    let audit = "select count(*) from events where kind = 'calendar.created'";
    let entries: i64 = sqlx::query_scalar(audit)
        .fetch_one(&db)
        .await
        .expect("audit");
    assert_eq!(entries, 1);
}

#[sqlx::test]
async fn bad_calendars_name_the_field_and_save_nothing(db: PgPool) {
    let cli = Cli::new(&db).await;
    let add = "calendar add --name bad";
    for (rest, field) in [
        (
            "--zone Europe/Moscow --hours 'mon-fri 09:00-09:00'",
            "hours",
        ),
        (
            "--zone Europe/Moscow --hours 'mon-fri 09:00-13:00; mon 12:00-14:00'",
            "hours",
        ),
        ("--zone Europe/Moscow --hours ''", "hours"),
        ("--zone Mars/Olympus --hours 'mon-fri 09:00-18:00'", "zone"),
        (
            "--zone Europe/Moscow --hours 'mon 09:00-18:00' --holiday 2027-01-01 --holiday 2027-01-01",
            "holidays",
        ),
    ] {
        cli.refused(&format!("{add} {rest}"), field).await;
    }
    cli.ok(OFFICE).await;
    cli.refused(OFFICE, "name").await;
    assert_eq!(cli.saved().await, (1, 0, 0, 0));
}

#[sqlx::test]
async fn targets_are_set_listed_and_cleared(db: PgPool) {
    let cli = Cli::new(&db).await;
    fixtures::department(&db, "tech").await;
    fixtures::department(&db, "sales").await;
    let set = "sla set --department tech";
    cli.ok(&format!("{set} --first-response 4h --resolution 2d"))
        .await;
    cli.ok(&format!(
        "{set} --priority urgent --first-response 30m --warn-before 10m"
    ))
    .await;
    let rows = cli.sla_rows().await;
    let want = [
        "sales any - - - - 24/7 -",
        "tech any 4h - 2d - 24/7 -",
        "tech urgent 30m - - 10m 24/7 -",
    ];
    let want: Vec<Vec<String>> = want
        .iter()
        .map(|r| r.split(' ').map(String::from).collect())
        .collect();
    assert_eq!(rows, want);

    // "none" clears one target; the others stay.
    cli.ok(&format!("{set} --resolution none --next-response 8h"))
        .await;
    assert_eq!(
        cli.sla_rows().await[1],
        ["tech", "any", "4h", "8h", "-", "-", "24/7", "-"]
    );

    let before = cli.saved().await;
    cli.refused(&format!("{set} --first-response 0m"), "first-response")
        .await;
    cli.refused(
        &format!("{set} --next-response 1h --resolution soon"),
        "resolution",
    )
    .await;
    cli.refused("sla set --department nope --resolution 4h", "department")
        .await;
    assert_eq!(cli.saved().await, before);
    assert_eq!(
        cli.sla_rows().await[1][3],
        "8h",
        "the valid half was not saved"
    );
}

#[sqlx::test]
async fn departments_get_a_calendar_and_staff_managers(db: PgPool) {
    let cli = Cli::new(&db).await;
    fixtures::department(&db, "tech").await;
    fixtures::user(&db, "boss@support.test", Role::Agent, &[("tech", Reply)]).await;
    fixtures::user(&db, "deputy@support.test", Role::Admin, &[]).await;
    fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    cli.ok(OFFICE).await;

    let set = "department set --slug tech";
    let both = "--manager boss@support.test --manager deputy@support.test";
    cli.ok(&format!("{set} --calendar office {both}")).await;
    let rows = cli.sla_rows().await;
    assert_eq!(
        rows[0][6..],
        ["office", "-", "boss@support.test,deputy@support.test"]
    );

    // A customer, an unknown calendar or department: refused, nothing changes.
    let before = cli.saved().await;
    let customer = "--manager boss@support.test --manager anna@example.com --calendar none";
    cli.refused(&format!("{set} {customer}"), "manager").await;
    cli.refused(&format!("{set} --calendar nights"), "calendar")
        .await;
    cli.refused("department set --slug nope --calendar office", "department")
        .await;
    assert_eq!(cli.saved().await, before);
    assert_eq!(cli.sla_rows().await, rows);

    // Given managers replace the list; none clears the calendar.
    cli.ok(&format!(
        "{set} --manager deputy@support.test --calendar none"
    ))
    .await;
    assert_eq!(
        cli.sla_rows().await[0][6..],
        ["24/7", "-", "deputy@support.test"]
    );
    cli.ok(&format!("{set} --no-managers")).await;
    assert_eq!(cli.saved().await, (1, 0, 0, 0));
}

#[sqlx::test]
async fn breach_actions_are_set_checked_and_read_back(db: PgPool) {
    let cli = Cli::new(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let sales = fixtures::department(&db, "sales").await;
    fixtures::user(&db, "boss@support.test", Role::Agent, &[("sales", Reply)]).await;
    fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let set = "sla set --department tech --priority urgent --first-response 30m";

    // The assignee must be staff and work where the ticket then is.
    let before = cli.saved().await;
    cli.refused(
        &format!("{set} --on-breach-assign anna@example.com"),
        "on-breach-assign",
    )
    .await;
    cli.refused(
        &format!("{set} --on-breach-assign boss@support.test"),
        "on-breach-assign",
    )
    .await;
    cli.refused(
        &format!("{set} --on-breach-priority asap"),
        "on-breach-priority",
    )
    .await;
    cli.refused(
        &format!("{set} --on-breach-department nope"),
        "on-breach-department",
    )
    .await;
    assert_eq!(cli.saved().await, before);

    let all = "--on-breach-priority urgent --on-breach-assign boss@support.test \
               --on-breach-department sales";
    cli.ok(&format!("{set} {all}")).await;
    let rows = cli.sla_rows().await;
    let urgent = rows.iter().find(|r| r[0] == "tech" && r[1] == "urgent");
    assert_eq!(
        urgent.expect("tech urgent")[7],
        "priority=urgent,assign=boss@support.test,move=sales"
    );
    let actions = bilet::store::sla::breach_actions(&db, tech, Priority::Urgent)
        .await
        .expect("actions")
        .expect("some");
    assert_eq!(actions.priority, Some(Priority::Urgent));
    assert_eq!(actions.department, Some(sales));
    assert!(actions.assignee.is_some());
    let none = bilet::store::sla::breach_actions(&db, tech, Priority::Low).await;
    assert_eq!(none.expect("low"), None, "no row for low, no default");

    cli.ok("sla set --department tech --priority urgent --on-breach-department none")
        .await;
    let left = bilet::store::sla::breach_actions(&db, tech, Priority::Urgent)
        .await
        .expect("actions")
        .expect("some");
    assert_eq!(
        (left.department, left.priority),
        (None, Some(Priority::Urgent))
    );
}

#[sqlx::test]
async fn policy_for_prefers_the_priority_then_the_default_and_the_calendar(db: PgPool) {
    let cli = Cli::new(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let at = |ts: &str| ts.parse().expect("timestamp");
    // Saturday 06:00 in Moscow, then Monday noon.
    let (saturday, monday) = (at("2027-01-02T03:00:00Z"), at("2027-01-04T09:00:00Z"));

    let (policy, calendar) = policy_for(&db, tech, Priority::High).await.expect("policy");
    assert_eq!(policy, Default::default(), "no rows, no targets");
    assert!(calendar.is_working(saturday), "24/7");

    cli.ok("sla set --department tech --resolution 2d").await;
    cli.ok("sla set --department tech --priority high --first-response 1h")
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

    cli.ok(OFFICE).await;
    cli.ok("department set --slug tech --calendar office").await;
    let (_, calendar) = policy_for(&db, tech, Priority::Low)
        .await
        .expect("calendar");
    assert!(!calendar.is_working(saturday) && calendar.is_working(monday));
}
