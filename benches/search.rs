//! Search speed on a large helpdesk: `make bench` (or
//! `tests/env/with-services cargo bench --bench search`). Generates a
//! corpus of BENCH_MESSAGES messages (default 1 000 000 under `--bench`,
//! 2 000 under `cargo test`) in a fifth as many tickets across 10
//! departments, in Russian, Ukrainian, English and German with their
//! inflected forms, written straight into a fresh database with SQL. Then
//! builds the index with the rebuild the server runs (messages/s, index
//! size), serves the real app on 127.0.0.1 in this process, and times
//! `GET /agent?q=…` over HTTP as an admin: term, phrase, stemmed, filtered
//! and broad queries, each 200 times at one connection (p50/p95/p99) and
//! for 10 s at 8 connections (requests/s), then reads the process's
//! memory. Every query must answer 200 with at least one row; nothing is
//! asserted on time. Figures go to stdout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bilet::config::Config;
use bilet::domain::ids::UserId;
use bilet::secrets::Secrets;
use bilet::state::AppState;
use bilet::store;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgPool};
use tokio_util::sync::CancellationToken;

// Word lists: the common words of each language with their everyday
// inflected forms, picked with a skew (the first words most often), and
// rarer topic words (lemma groups), each put into the subject and first
// message of about 150 tickets of its language. A query for one form of a
// topic word meets the others only through the stemmer.

const RU: &[&str] = &[
    "не",
    "и",
    "в",
    "на",
    "с",
    "что",
    "по",
    "после",
    "это",
    "как",
    "уже",
    "ещё",
    "снова",
    "пожалуйста",
    "спасибо",
    "сервер",
    "сервера",
    "серверу",
    "сервером",
    "серверов",
    "серверы",
    "серверах",
    "ошибка",
    "ошибки",
    "ошибку",
    "ошибкой",
    "ошибок",
    "ошибке",
    "работает",
    "работал",
    "работала",
    "работают",
    "не работает",
    "пароль",
    "пароля",
    "паролем",
    "пароли",
    "доступ",
    "доступа",
    "доступом",
    "письмо",
    "письма",
    "письмом",
    "писем",
    "почта",
    "почты",
    "почту",
    "почтой",
    "счёт",
    "счета",
    "счету",
    "счетов",
    "оплата",
    "оплаты",
    "оплату",
    "оплатой",
    "заказ",
    "заказа",
    "заказу",
    "заказом",
    "заказов",
    "клиент",
    "клиента",
    "клиенту",
    "клиентов",
    "подключение",
    "подключения",
    "подключению",
    "настройка",
    "настройки",
    "настройку",
    "настроек",
    "обновление",
    "обновления",
    "обновлений",
    "сеть",
    "сети",
    "сетью",
    "диск",
    "диска",
    "диске",
    "дисков",
    "база",
    "базы",
    "базу",
    "данных",
    "приложение",
    "приложения",
    "приложении",
    "пользователь",
    "пользователя",
    "пользователю",
    "пользователей",
    "сертификат",
    "сертификата",
    "сертификату",
    "сертификатом",
    "сертификаты",
    "сегодня",
    "вчера",
    "утром",
    "вечером",
    "срочно",
    "помогите",
    "проблема",
    "проблемы",
    "проблему",
    "проблемой",
    "перезагрузка",
    "перезагрузки",
    "перезагрузил",
    "перезагрузили",
    "вход",
    "входа",
    "входе",
    "личный кабинет",
    "кабинета",
    "кабинете",
    "договор",
    "договора",
    "договору",
    "возврат",
    "возврата",
    "денег",
];
const RU_RARE: &[&[&str]] = &[
    &["брандмауэр", "брандмауэра", "брандмауэром", "брандмауэре"],
    &["гипервизор", "гипервизора", "гипервизору", "гипервизоре"],
    &[
        "маршрутизатор",
        "маршрутизатора",
        "маршрутизатору",
        "маршрутизаторе",
    ],
    &["накладная", "накладной", "накладную", "накладные"],
    &["доверенность", "доверенности", "доверенностью"],
    &["реквизиты", "реквизитов", "реквизитах"],
    &["бухгалтерия", "бухгалтерии", "бухгалтерию"],
    &["репликация", "репликации", "репликацию"],
    &["квота", "квоты", "квоту", "квотой"],
    &["шлюз", "шлюза", "шлюзу", "шлюзом"],
    &["задвоение", "задвоения", "задвоением"],
    &["пломба", "пломбы", "пломбу"],
];
const UK: &[&str] = &[
    "не",
    "і",
    "в",
    "на",
    "з",
    "що",
    "для",
    "після",
    "це",
    "як",
    "вже",
    "знову",
    "будь ласка",
    "дякую",
    "сервер",
    "сервера",
    "серверу",
    "сервером",
    "серверів",
    "сервери",
    "помилка",
    "помилки",
    "помилку",
    "помилкою",
    "помилок",
    "працює",
    "працював",
    "працювала",
    "не працює",
    "пароль",
    "пароля",
    "паролем",
    "доступ",
    "доступу",
    "лист",
    "листа",
    "листи",
    "листів",
    "пошта",
    "пошти",
    "пошту",
    "рахунок",
    "рахунку",
    "рахунки",
    "рахунків",
    "оплата",
    "оплати",
    "оплату",
    "замовлення",
    "замовленням",
    "клієнт",
    "клієнта",
    "клієнтів",
    "налаштування",
    "оновлення",
    "мережа",
    "мережі",
    "мережею",
    "диск",
    "диска",
    "дисків",
    "база",
    "бази",
    "даних",
    "додаток",
    "додатка",
    "користувач",
    "користувача",
    "користувачів",
    "сертифікат",
    "сертифіката",
    "сертифікату",
    "сертифікатом",
    "сертифікати",
    "сьогодні",
    "вчора",
    "зранку",
    "терміново",
    "допоможіть",
    "проблема",
    "проблеми",
    "проблему",
    "перезавантаження",
    "перезавантажив",
    "вхід",
    "входу",
    "кабінет",
    "кабінету",
    "договір",
    "договору",
    "повернення",
    "коштів",
    "підключення",
    "підключенням",
];
const UK_RARE: &[&[&str]] = &[
    &["ліцензія", "ліцензії", "ліцензію", "ліцензією"],
    &["кошторис", "кошторису", "кошторисом"],
    &["накладна", "накладної", "накладну"],
    &["довіреність", "довіреності", "довіреністю"],
    &["маршрутизатор", "маршрутизатора", "маршрутизатором"],
    &["бухгалтерія", "бухгалтерії", "бухгалтерію"],
    &["реквізити", "реквізитів", "реквізитами"],
    &["податкова", "податкової", "податковій"],
    &["квитанція", "квитанції", "квитанцію"],
    &["шлюз", "шлюзу", "шлюзом"],
    &["пломба", "пломби", "пломбу"],
    &["термінал", "терміналу", "терміналом"],
];
const EN: &[&str] = &[
    "the",
    "a",
    "to",
    "and",
    "of",
    "for",
    "is",
    "in",
    "it",
    "on",
    "after",
    "again",
    "please",
    "thanks",
    "server",
    "servers",
    "disk",
    "disks",
    "invoice",
    "invoices",
    "invoiced",
    "restart",
    "restarted",
    "restarting",
    "restarts",
    "error",
    "errors",
    "password",
    "passwords",
    "login",
    "logins",
    "account",
    "accounts",
    "email",
    "emails",
    "payment",
    "payments",
    "order",
    "orders",
    "ordered",
    "customer",
    "customers",
    "update",
    "updated",
    "updating",
    "updates",
    "network",
    "connection",
    "connections",
    "connected",
    "database",
    "databases",
    "backup",
    "backups",
    "file",
    "files",
    "not working",
    "works",
    "worked",
    "today",
    "yesterday",
    "urgent",
    "help",
    "certificate",
    "certificates",
    "expired",
    "expiring",
    "gateway",
    "gateways",
    "refund",
    "refunds",
    "contract",
    "contracts",
    "access",
    "denied",
    "timeout",
    "timeouts",
    "upload",
    "uploaded",
    "uploading",
    "user",
    "users",
];
const EN_RARE: &[&[&str]] = &[
    &["hypervisor", "hypervisors"],
    &["firewall", "firewalls"],
    &["chargeback", "chargebacks"],
    &["webhook", "webhooks"],
    &["payment gateway", "payment gateways"],
    &["replication", "replicated", "replicating"],
    &["quota", "quotas"],
    &["invoicing", "reinvoiced", "reinvoicing"],
    &["subpoena", "subpoenas"],
    &["throttling", "throttled", "throttles"],
    &["deduplication", "deduplicated"],
    &["notarization", "notarized"],
];
const DE: &[&str] = &[
    "der",
    "die",
    "das",
    "und",
    "ist",
    "mit",
    "für",
    "nach",
    "nicht",
    "wieder",
    "bitte",
    "danke",
    "Server",
    "Servern",
    "Servers",
    "Fehler",
    "Fehlern",
    "Fehlers",
    "Rechnung",
    "Rechnungen",
    "Passwort",
    "Passwörter",
    "Passworts",
    "Zugang",
    "Zugangs",
    "Konto",
    "Kontos",
    "Konten",
    "Zahlung",
    "Zahlungen",
    "Bestellung",
    "Bestellungen",
    "Kunde",
    "Kunden",
    "Verbindung",
    "Verbindungen",
    "Datenbank",
    "Datenbanken",
    "Sicherung",
    "Sicherungen",
    "Datei",
    "Dateien",
    "funktioniert",
    "funktionierte",
    "funktioniert nicht",
    "heute",
    "gestern",
    "dringend",
    "Hilfe",
    "Zertifikat",
    "Zertifikate",
    "Zertifikats",
    "Festplatte",
    "Festplatten",
    "Neustart",
    "neu gestartet",
    "Aktualisierung",
    "Aktualisierungen",
    "Anmeldung",
    "Anmeldungen",
    "Vertrag",
    "Verträge",
    "Vertrags",
    "Erstattung",
    "Erstattungen",
    "Benutzer",
    "Benutzern",
    "Netzwerk",
    "Netzwerke",
];
const DE_RARE: &[&[&str]] = &[
    &["Gutschrift", "Gutschriften"],
    &["Mahnung", "Mahnungen"],
    &["Lastschrift", "Lastschriften"],
    &["Firewall", "Firewalls"],
    &["Hypervisor", "Hypervisoren"],
    &["Speicherplatz", "Speicherplatzes"],
    &["Kündigung", "Kündigungen"],
    &["Umsatzsteuer", "Umsatzsteuern"],
    &["Zahlungsziel", "Zahlungsziele", "Zahlungszieles"],
    &["Weiterleitung", "Weiterleitungen"],
    &["Spiegelung", "Spiegelungen"],
    &["Signatur", "Signaturen"],
];

/// The timed queries: (name, query, what it exercises).
const QUERIES: &[(&str, &str)] = &[
    // One form of a rare word (about 150 tickets hold its lemma).
    ("term", "брандмауэр"),
    // Two common words, in this order only in about 150 tickets.
    ("phrase", "\"payment gateway\""),
    // A form that never occurs: only its stem meets the corpus's forms.
    ("stemmed", "гипервизорами"),
    // A common word narrowed by department, status and date.
    (
        "filtered",
        "сертификат dept:dept-3 status:open after:2025-01-01",
    ),
    // The commonest English/German noun: 10 000+ hits at full size.
    ("broad", "server"),
];

fn kb(file: &str, field: &str) -> u64 {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The machine's 1-minute load average: other work on a shared machine.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_string()
}

fn mb(kb: u64) -> String {
    format!("{:.0} MB", kb as f64 / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn folder_bytes(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => folder_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn files_ending(path: &std::path::Path, end: &str) -> usize {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(end))
                .count()
        })
        .unwrap_or(0)
}

/// A text[] of one lemma group per element, forms joined by '|'.
fn groups(list: &[&[&str]]) -> Vec<String> {
    list.iter().map(|g| g.join("|")).collect()
}

async fn seed(db: &PgPool, messages: i64) -> anyhow::Result<(i64, i64)> {
    let tickets = (messages / 5).max(40);
    let started = Instant::now();
    let mut tx = db.begin().await?;
    // The same corpus every run, so that runs compare: random() of this
    // session (none of this runs in parallel workers) from a fixed seed.
    sqlx::query("select setseed(0.42)")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into departments (id, slug, name) select gen_random_uuid(), 'dept-' || g, 'Department ' || g \
         from generate_series(1, 10) g",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into users (id, role, name) select gen_random_uuid(), 'customer', \
         (array['Olga','Taras','Anna','Jürgen','John','Мария','Петро','Sabine'])[1 + g % 8] || ' ' || g \
         from generate_series(1, 20000) g",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into users (id, role, name) select gen_random_uuid(), 'agent', 'Agent ' || g from generate_series(1, 20) g",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "insert into user_emails (id, user_id, email, is_primary) \
         select gen_random_uuid(), id, 'u' || row_number() over () || '@example.com', true from users",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "create table bench_words (lang int primary key, common text[] not null, rare text[] not null)",
    )
    .execute(&mut *tx)
    .await?;
    for (lang, (common, rare)) in [(RU, RU_RARE), (UK, UK_RARE), (EN, EN_RARE), (DE, DE_RARE)]
        .into_iter()
        .enumerate()
    {
        sqlx::query("insert into bench_words values ($1, $2, $3)")
            .bind(lang as i32)
            .bind(common)
            .bind(groups(rare))
            .execute(&mut *tx)
            .await?;
    }
    // k words of `common` (the first ones far more often: a Zipf-like
    // skew), a few of them English in the other languages' text.
    sqlx::query(
        "create function bench_text(common text[], en text[], k int) returns text language sql volatile as $$ \
         select array_to_string(array( \
             select case when random() < 0.1 then en[1 + floor(random() * cardinality(en))::int] \
                         else common[1 + floor(power(random(), 1.7) * cardinality(common))::int] end \
             from generate_series(1, k)), ' ') $$",
    )
    .execute(&mut *tx)
    .await?;
    // Each ticket: a language, a department, a status, a creation time in
    // the last four years, 1 to 9 messages (5 on average), and for about
    // 150 tickets per topic word of its language that word (one of its
    // forms) in the subject and the first message.
    sqlx::query(
        "create table bench_tickets as \
         select gen_random_uuid() as id, g, g % 4 as lang, \
                1 + floor(random() * 9)::int as n, \
                now() - make_interval(secs => floor(random() * 4 * 31536000)) as created_at, \
                (select array_agg(id) from departments)[1 + floor(random() * 10)::int] as department_id, \
                1 + floor(random() * 20000)::int as requester, \
                (array['open','pending','resolved','closed']::ticket_status[])[1 + floor(random() * 4)::int] as status, \
                case when (g / 48) % greatest(1, $1 / 4 / 12 / 150) = 0 then (g / 4) % 12 end as topic \
         from generate_series(0, $1 - 1) g",
    )
    .bind(tickets)
    .execute(&mut *tx)
    .await?;
    // Ten Russian tickets open in dept-3 this month, so that the filtered
    // query finds something in the small corpus of `cargo test` too (at
    // full size they are ten among hundreds of hits).
    sqlx::query(
        "update bench_tickets set status = 'open', created_at = now() - make_interval(days => g::int + 1), \
         department_id = (select id from departments where slug = 'dept-3') where lang = 0 and g < 40",
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "with u as (select array_agg(id order by name) ids from users where role = 'customer'), \
              w as (select lang, common, rare from bench_words) \
         insert into tickets (id, subject, department_id, requester_id, status, priority, last_activity_at, created_at, last_message_kind) \
         select b.id, \
                bench_text(w.common, e.common, 3 + floor(random() * 5)::int) || coalesce(' ' || \
                    (select f[1 + floor(random() * cardinality(f))::int] from string_to_array(w.rare[1 + b.topic], '|') f), ''), \
                b.department_id, u.ids[b.requester], \
                b.status, \
                (array['low','normal','normal','high','urgent']::ticket_priority[])[1 + floor(random() * 5)::int], \
                b.created_at + make_interval(hours => b.n - 1), b.created_at, \
                (array['customer','agent']::message_kind[])[1 + (b.n + 1) % 2] \
         from bench_tickets b join w on w.lang = b.lang join bench_words e on e.lang = 2, u",
    )
    .execute(&mut *tx)
    .await?;
    // 1 to 9 messages per ticket: the customer writes first, an agent
    // answers, and so on; 20 to 60 words each.
    let inserted = sqlx::query(
        "with a as (select array_agg(id) ids from users where role = 'agent') \
         insert into messages (id, ticket_id, kind, source, author_id, body_text, created_at) \
         select gen_random_uuid(), b.id, \
                case when m % 2 = 1 then 'customer' else 'agent' end::message_kind, \
                case when m % 2 = 1 then 'email' else 'web' end::message_source, \
                case when m % 2 = 1 then t.requester_id else a.ids[1 + (b.g + m) % 20] end, \
                bench_text(w.common, e.common, 20 + floor(random() * 41)::int) || \
                    case when m = 1 and b.topic is not null then ' ' || \
                        (select f[1 + floor(random() * cardinality(f))::int] from string_to_array(w.rare[1 + b.topic], '|') f) \
                        || ' ' || bench_text(w.common, e.common, 5) else '' end, \
                b.created_at + make_interval(hours => m - 1) \
         from bench_tickets b join tickets t on t.id = b.id join bench_words w on w.lang = b.lang \
              join bench_words e on e.lang = 2, a, generate_series(1, b.n) m \
         where m <= b.n",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    // A bulk load bypasses the write path, so the counts are rebuilt.
    let mut rebuild = db.begin().await?;
    store::counts::rebuild(&mut rebuild).await?;
    rebuild.commit().await?;
    sqlx::query("analyze").execute(db).await?;
    println!(
        "seeded {tickets} tickets, {inserted} messages in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok((tickets, inserted as i64))
}

/// One page load: status, rows on the page, the time to the last byte.
async fn load(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
) -> anyhow::Result<(u16, String, Duration)> {
    let started = Instant::now();
    let res = client
        .get(url)
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await?;
    let status = res.status().as_u16();
    let body = res.text().await?;
    Ok((status, body, started.elapsed()))
}

struct Row {
    name: &'static str,
    query: &'static str,
    found: String,
    rows: usize,
    p50: f64,
    p95: f64,
    p99: f64,
    rps: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bilet::use_ring_for_tls();
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| anyhow::anyhow!("run through tests/env/with-services (DATABASE_URL)"))?;
    let full = std::env::args().any(|a| a == "--bench");
    // `cargo test --all-targets` runs this without `--bench`: a small
    // corpus and short runs keep it a quick check that every query finds.
    let messages: i64 = std::env::var("BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 1_000_000 } else { 2_000 });
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&url).await?;
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await?;
    let db_url = url.replacen("/postgres?", &format!("/{name}?"), 1);
    let result = run(&db_url, messages, full).await;
    if std::env::var_os("BENCH_KEEP").is_some() {
        println!("kept database {name} (BENCH_KEEP)");
    } else {
        // The pool's backends may still be exiting: force ends them.
        sqlx::query(&format!("drop database {name} with (force)"))
            .execute(&mut admin)
            .await?;
    }
    result
}

async fn run(db_url: &str, messages: i64, full: bool) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let config = Config::for_tests(dir.path());
    // The server's own pool size (config/default.toml), not the tests' 5.
    let db = PgPoolOptions::new()
        .max_connections(20)
        .connect(db_url)
        .await?;
    bilet::database::MIGRATOR.run(&db).await?;
    let (tickets, messages) = seed(&db, messages).await?;

    let state = AppState::new(
        db.clone(),
        config,
        Secrets::for_tests(),
        CancellationToken::new(),
    )?;
    let started = Instant::now();
    let indexed = bilet::search::indexer::rebuild(&state.search, &state.db, &state.node).await?;
    let took = started.elapsed().as_secs_f64();
    let live = state.search.handle()?.live();
    let docs = live.documents();
    // One .store file per segment.
    let segments = files_ending(&live.folder, ".store");
    let bytes = folder_bytes(&live.folder);
    drop(live);
    anyhow::ensure!(
        indexed as i64 == tickets && docs as i64 == tickets,
        "indexed {indexed} of {tickets} tickets ({docs} documents)"
    );
    let rss_after_rebuild = kb("/proc/self/status", "RssAnon:");
    // The rebuild ran in this process; a separate server would not hold
    // its freed heap, so it goes back to the kernel before the load.
    // SAFETY: malloc_trim only returns free memory of the allocator.
    unsafe {
        libc::malloc_trim(0);
    }

    // An admin (every department) with a session, as sign-in makes one.
    let agent = UserId::new();
    sqlx::query(
        "insert into users (id, role, name, locale) values ($1, 'admin', 'Bench Admin', 'en')",
    )
    .bind(agent)
    .execute(&db)
    .await?;
    sqlx::query("insert into user_emails (id, user_id, email, is_primary) values (gen_random_uuid(), $1, 'admin@example.com', true)")
        .bind(agent)
        .execute(&db)
        .await?;
    let token = bilet::service::accounts::sessions::start(&db, agent, 30, None, None).await?;
    let cookie = format!("bilet_session={token}");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = bilet::web::router(state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });
    let rss_idle = kb("/proc/self/status", "RssAnon:");

    let (runs, secs) = if full { (200, 10) } else { (20, 1) };
    let load_before = loadavg();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(1)
        .build()?;
    let row_marker = "class=\"queue-row";
    let summary = scraper::Selector::parse(".search-summary").expect("selector");
    let mut table = Vec::new();
    let peak_rss = Arc::new(AtomicU64::new(0));
    let peak_anon = Arc::new(AtomicU64::new(0));
    for &(name, query) in QUERIES {
        let page = format!(
            "http://{addr}/agent?q={}",
            url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
        );
        // Warm-up, and the check that the page finds something.
        let (status, body, _) = load(&client, &page, &cookie).await?;
        let rows = body.matches(row_marker).count();
        anyhow::ensure!(
            status == 200 && rows > 0,
            "{name} ({query}): status {status}, {rows} rows"
        );
        let found = scraper::Html::parse_document(&body)
            .select(&summary)
            .next()
            .map(|e| e.text().collect::<String>())
            .unwrap_or_default()
            .split_whitespace()
            .next()
            .unwrap_or("?")
            .replace(['\u{2068}', '\u{2069}'], "");
        for _ in 0..4 {
            load(&client, &page, &cookie).await?;
        }
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let (status, _, took) = load(&client, &page, &cookie).await?;
            anyhow::ensure!(status == 200, "{name}: status {status}");
            samples.push(took);
        }
        samples.sort();
        // Throughput: 8 connections, each one request after another.
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (stop, done, page, cookie) =
                (stop.clone(), done.clone(), page.clone(), cookie.clone());
            tasks.push(tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()?;
                while !stop.load(Ordering::Relaxed) {
                    let (status, _, _) = load(&client, &page, &cookie).await?;
                    anyhow::ensure!(status == 200, "status {status} under load");
                    done.fetch_add(1, Ordering::Relaxed);
                }
                anyhow::Ok(())
            }));
        }
        let load_started = Instant::now();
        while load_started.elapsed() < Duration::from_secs(secs) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            peak_rss.fetch_max(kb("/proc/self/status", "VmRSS:"), Ordering::Relaxed);
            peak_anon.fetch_max(kb("/proc/self/status", "RssAnon:"), Ordering::Relaxed);
        }
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await??;
        }
        let rps = done.load(Ordering::Relaxed) as f64 / load_started.elapsed().as_secs_f64();
        table.push(Row {
            name,
            query,
            found,
            rows,
            p50: ms(percentile(&samples, 50)),
            p95: ms(percentile(&samples, 95)),
            p99: ms(percentile(&samples, 99)),
            rps,
        });
    }
    let load_after = loadavg();
    let status = "/proc/self/status";
    let rollup = "/proc/self/smaps_rollup";
    let (rss, anon, file) = (
        kb(status, "VmRSS:"),
        kb(status, "RssAnon:"),
        kb(status, "RssFile:"),
    );
    let (pss, pss_anon, pss_file) = (
        kb(rollup, "Pss:"),
        kb(rollup, "Pss_Anon:"),
        kb(rollup, "Pss_File:"),
    );

    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_default();
    println!(
        "\nmachine: {} cores, {cpu}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "load average (1 min, every process on the machine): {load_before} when the queries began, {load_after} when they ended"
    );
    println!("corpus: {messages} messages in {tickets} tickets, 10 departments, ru/uk/en/de");
    println!(
        "index rebuild: {took:.1} s, {:.0} messages/s, {:.0} tickets/s; {docs} documents, {segments} segments, {:.0} MB on disk ({:.2} GB per million messages)",
        messages as f64 / took,
        tickets as f64 / took,
        bytes as f64 / 1e6,
        bytes as f64 / 1e9 / (messages as f64 / 1e6),
    );
    println!(
        "\nGET /agent?q=… as an admin, {runs} runs at 1 connection after a warm-up; req/s at 8 connections for {secs} s\n"
    );
    println!(
        "{:<9} {:<52} {:>7} {:>4} {:>8} {:>8} {:>8} {:>7}",
        "query", "q", "found", "rows", "p50 ms", "p95 ms", "p99 ms", "req/s"
    );
    for r in &table {
        println!(
            "{:<9} {:<52} {:>7} {:>4} {:>8.2} {:>8.2} {:>8.2} {:>7.0}",
            r.name, r.query, r.found, r.rows, r.p50, r.p95, r.p99, r.rps
        );
    }
    println!(
        "\nmemory of this process (server and load client): after the rebuild RssAnon {}; serving, idle RssAnon {}",
        mb(rss_after_rebuild),
        mb(rss_idle)
    );
    println!(
        "under search load: peak VmRSS {}, peak RssAnon {}; after it VmRSS {} = RssAnon {} + RssFile {}; PSS {} (anon {}, file {}: the memory-mapped index)",
        mb(peak_rss.load(Ordering::Relaxed)),
        mb(peak_anon.load(Ordering::Relaxed)),
        mb(rss),
        mb(anon),
        mb(file),
        mb(pss),
        mb(pss_anon),
        mb(pss_file)
    );
    db.close().await;
    Ok(())
}
