//! The SQL of `bilet dev seed`: a large, realistic helpdesk made inside
//! PostgreSQL with set-based INSERT … SELECT (nothing crosses the wire per
//! row, which is what COPY would save). Every choice comes from a hash of
//! the ticket's ordinal, so a seed of the same size has the same shape.
//! Rows look like the gateway's and the portal's: threads of 1 to 40
//! messages (about 5 a ticket, the cube-ish skew real queues show), in
//! Russian, Ukrainian, English and German, over three years.

use sqlx::PgConnection;

/// Whether the database holds anything a seed could damage.
pub async fn has_data(db: &mut PgConnection) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "select exists(select 1 from tickets) or exists(select 1 from departments) \
         or exists(select 1 from users where role = 'customer')",
    )
    .fetch_one(db)
    .await
}

/// `r(x, n)`: a number in [0, 1) from hash `n` of `x`.
const HASH: &str = "create or replace function pg_temp.r(x bigint, n bigint) returns float8 \
    language sql immutable as \
    $$ select (hashint8extended(x, n) & 2147483647)::float8 / 2147483648 $$";

const DEPARTMENTS: &str = "insert into departments (id, slug, name) \
    select gen_random_uuid(), s, n from unnest( \
      array['hosting','domains','mail','billing','vps','dedicated','ssl','backup','network','sales'], \
      array['Hosting','Domains','Mail','Billing','VPS','Dedicated servers','Certificates','Backups','Network','Sales']) \
      with ordinality as d(s, n, o)";

/// Mail to SLUG@support.seed.bilet.test files into that department.
const DEPARTMENT_ADDRESSES: &str = "insert into department_addresses (email, department_id, is_primary) \
    select slug || '@support.seed.bilet.test', id, true from departments";

/// Agents 1..50; agent k's home department is ((k-1) % 10) + 1: five each.
const AGENTS: &str = "with names as (select array['Анна','Иван','Olena','Mark','Jürgen','Мария','Taras','Emily','Dmitri','Sabine'] f, \
        array['Петрова','Smirnov','Kovalenko','Taylor','Schmidt'] l) \
    insert into users (id, role, name, password_hash) \
    select gen_random_uuid(), 'agent', f[1 + (k - 1) % 10] || ' ' || l[1 + (k - 1) / 10], $1 \
    from generate_series(1, 50) k, names";

const AGENT_EMAILS: &str = "insert into user_emails (id, user_id, email, is_primary, verified_at) \
    select gen_random_uuid(), id, 'agent' || row_number() over (order by created_at, id) || '@seed.bilet.test', true, now() \
    from users where role = 'agent'";

/// Home department with manage (the first five) or reply; the next
/// department read, so queues overlap as they do in real teams.
const GRANTS: &str = "with a as (select id, row_number() over (order by u.id) k from users u where role = 'agent'), \
        d as (select id, row_number() over (order by slug) o from departments) \
    insert into agent_departments (user_id, department_id, level) \
    select a.id, d.id, case when d.o = 1 + (a.k - 1) % 10 then \
             (case when a.k <= 10 then 'manage' else 'reply' end)::access_level else 'read' end \
    from a join d on d.o = 1 + (a.k - 1) % 10 or d.o = 1 + a.k % 10";

const CUSTOMERS: &str = "with names as (select \
        array['Ольга','Сергей','Наталья','Андрій','Оксана','John','Sarah','Michael','Klaus','Petra','Алексей','Юлия'] f, \
        array['Иванова','Кузнецов','Шевченко','Бондар','Smith','Brown','Müller','Weber','Волков','Лысенко'] l) \
    insert into users (id, role, name, created_at) \
    select gen_random_uuid(), 'customer', f[1 + (c % 12)] || ' ' || l[1 + (c / 12) % 10], \
           now() - make_interval(days => c % 1100) \
    from generate_series(1, 100000) c, names";

/// The first hundred customers (c1..c100@…) sign in to the portal with
/// the agents' password, so a trial can look at "My tickets" as well.
const CUSTOMER_PASSWORDS: &str = "update users u set password_hash = $1 from user_emails e \
    where e.user_id = u.id and u.role = 'customer' and e.email ~ '^c([1-9][0-9]?|100)@'";

const CUSTOMER_EMAILS: &str = "insert into user_emails (id, user_id, email, is_primary) \
    select gen_random_uuid(), id, 'c' || n || '@client' || (n % 997) || '.example', true \
    from (select id, row_number() over (order by id) n from users where role = 'customer') c";

/// One row a ticket with every choice made; dropped at commit.
const PLAN: &str = "create temp table seed_plan on commit drop as \
    select i, gen_random_uuid() id, gen_random_uuid() first_message, \
      (case when pg_temp.r(i, 1) < 0.40 then 0 when pg_temp.r(i, 1) < 0.55 then 1 \
            when pg_temp.r(i, 1) < 0.85 then 2 else 3 end) lang, \
      1 + (i % 10)::int dept, (1 + (hashint8extended(i, 2) & 2147483647) % 100000)::int customer, \
      (1 + floor(39 * power(pg_temp.r(i, 3), 9)))::int n, \
      make_interval(secs => 1200 + 172800 * power(pg_temp.r(i, 4), 2)) step, \
      now() - make_interval(secs => 94608000 * pg_temp.r(i, 5)) created, \
      pg_temp.r(i, 6) s, pg_temp.r(i, 7) p, ((hashint8extended(i, 8) & 2147483647) % 5)::int who \
    from generate_series(1, $1::bigint) i";

const TICKETS: &str = "with d as (select array_agg(id order by slug) ids from departments), \
        ag as (select array_agg(id order by k) ids from (select id, row_number() over (order by id) k from users where role = 'agent') x), \
        c as (select array_agg(id order by id) ids from users where role = 'customer'), \
        subj as (select array[ \
          array['Сервер не отвечает','Не приходит почта на домен','Ошибка 502 на сайте','Продлить SSL-сертификат','Вопрос по счёту','Медленно работает VPS','Восстановить бэкап','Перенос домена'], \
          array['Сервер не відповідає','Не надходить пошта','Помилка 502 на сайті','Сертифікат не оновлюється','Питання щодо рахунку','Повільно працює VPS','Відновити резервну копію','Перенесення домену'], \
          array['Server does not respond','Mail bounces on my domain','502 Bad Gateway on the shop','Renew the SSL certificate','Question about my invoice','VPS is very slow','Restore last night''s backup','Transfer my domain'], \
          array['Server antwortet nicht','E-Mails kommen nicht an','Fehler 502 im Shop','SSL-Zertifikat verlängern','Frage zur Rechnung','VPS ist sehr langsam','Backup wiederherstellen','Domain umziehen']] t), \
        t as (select p.*, least(now(), p.created + p.step * (p.n - 1)) last_at, \
          case when p.created > now() - interval '14 days' then \
                 (array['open','open','pending','resolved']::ticket_status[])[1 + floor(p.s * 4)::int] \
               else (case when p.s < 0.97 then 'closed' when p.s < 0.99 then 'open' \
                          else 'pending' end)::ticket_status end status \
          from seed_plan p) \
    insert into tickets (id, subject, department_id, requester_id, assignee_id, status, priority, \
        last_message_kind, last_activity_at, first_response_at, resolved_at, closed_at, created_at) \
    select t.id, subj.t[t.lang + 1][1 + (t.i % 8)::int] || ' (srv' || (t.i % 977) || ')', \
        d.ids[t.dept], c.ids[t.customer], \
        case when t.n > 1 or t.status <> 'open' then ag.ids[t.dept + 10 * t.who] end, \
        t.status, (array['low','normal','normal','normal','high','urgent']::ticket_priority[])[1 + floor(t.p * 6)::int], \
        (case when t.n % 2 = 0 then 'agent' else 'customer' end)::message_kind, t.last_at, \
        case when t.n > 1 then least(now(), t.created + t.step) end, \
        case when t.status in ('resolved', 'closed') then t.last_at end, \
        case when t.status = 'closed' then t.last_at end, t.created \
    from t, d, ag, c, subj order by t.created";

/// Message k of a thread: the customer first, then agent and customer in
/// turn; every seventh is an internal note.
const MESSAGES: &str = "with body as (select \
        array[array['Добрый день! С утра сайт отдаёт 502, перезапуск не помог.','Письма на info@ возвращаются с ошибкой 550.','Прикладываю вывод traceroute, потери на третьем хопе.','Подскажите, пожалуйста, когда спишется оплата за сервер?'], \
              array['Добрий день! Зранку сайт повертає 502, перезапуск не допоміг.','Листи на info@ повертаються з помилкою 550.','Додаю вивід traceroute, втрати на третьому хопі.','Підкажіть, будь ласка, коли спишеться оплата за сервер?'], \
              array['Hello, since this morning the site answers 502; a restart did not help.','Mail to info@ bounces with 550 user unknown.','Attached is the traceroute output, packets drop at hop three.','When will the payment for the server be taken?'], \
              array['Guten Tag, seit heute Morgen liefert die Seite 502, ein Neustart half nicht.','Mails an info@ kommen mit Fehler 550 zurück.','Anbei die Ausgabe von traceroute, Verluste beim dritten Hop.','Wann wird die Rechnung für den Server abgebucht?']] cust, \
        array[array['Проверили: upstream падал из-за нехватки памяти, увеличили лимит.','MX-запись указывала на старый сервер, исправили.','Сертификат выпущен заново, проверьте, пожалуйста.'], \
              array['Перевірили: upstream падав через брак пам''яті, збільшили ліміт.','MX-запис вказував на старий сервер, виправили.','Сертифікат випущено заново, перевірте, будь ласка.'], \
              array['We checked: the upstream ran out of memory; the limit is raised now.','The MX record pointed at the old server; fixed.','The certificate is issued again, please check.'], \
              array['Geprüft: dem Upstream ging der Speicher aus, das Limit ist erhöht.','Der MX-Eintrag zeigte auf den alten Server, korrigiert.','Das Zertifikat wurde neu ausgestellt, bitte prüfen.']] agent), \
        ag as (select array_agg(id order by k) ids from (select id, row_number() over (order by id) k from users where role = 'agent') x), \
        m as (select p.*, k, t.requester_id, coalesce(t.assignee_id, ag.ids[p.dept + 10 * p.who]) agent_id, \
                case when k = 1 then 'customer' when k % 7 = 0 then 'note' when k % 2 = 0 then 'agent' else 'customer' end kind \
              from seed_plan p join tickets t on t.id = p.id, ag, generate_series(1, p.n) k) \
    insert into messages (id, ticket_id, kind, source, author_id, body_text, created_at) \
    select case when k = 1 then m.first_message else gen_random_uuid() end, m.id, m.kind::message_kind, \
        (case when m.kind = 'customer' and (m.i + k) % 5 < 3 then 'email' else 'web' end)::message_source, \
        case when m.kind = 'customer' then m.requester_id else m.agent_id end, \
        case when m.kind = 'customer' then body.cust[m.lang + 1][1 + ((m.i + k) % 4)::int] || ' ' || body.cust[m.lang + 1][1 + ((m.i * 3 + k) % 4)::int] \
             when m.kind = 'note' then 'Внутренняя заметка: ' || body.agent[m.lang + 1][1 + ((m.i + k) % 3)::int] \
             else body.agent[m.lang + 1][1 + ((m.i + k) % 3)::int] end, \
        least(now(), m.created + m.step * (k - 1)) \
    from m, body";

/// One ticket in eight carries a file on its first message; `$1` is the
/// blobs' hashes, `$2` their names, `$3` their types, `$4` their sizes.
const ATTACHMENTS: &str = "insert into attachments (id, message_id, ticket_id, blob_sha256, filename, content_type, size, created_at) \
    select gen_random_uuid(), p.first_message, p.id, ($1::text[])[j], ($2::text[])[j], ($3::text[])[j], ($4::bigint[])[j], p.created \
    from seed_plan p, lateral (select 1 + (p.i / 8 % cardinality($1::text[]))::int j) f where p.i % 8 = 0";

const BLOB_REFS: &str = "update blobs b set ref_count = c.n \
    from (select blob_sha256, count(*) n from attachments group by 1) c where c.blob_sha256 = b.sha256";

/// One in five answered tickets rated, mostly well.
const RATINGS: &str = "insert into ratings (id, ticket_id, user_id, agent_id, stars, comment, created_at) \
    select gen_random_uuid(), t.id, t.requester_id, t.assignee_id, \
        case when pg_temp.r(p.i, 9) < 0.6 then 5 when pg_temp.r(p.i, 9) < 0.8 then 4 \
             when pg_temp.r(p.i, 9) < 0.9 then 3 when pg_temp.r(p.i, 9) < 0.95 then 2 else 1 end, \
        case when p.i % 3 = 0 then 'Спасибо, быстро!' else '' end, t.last_activity_at \
    from seed_plan p join tickets t on t.id = p.id \
    where p.i % 5 = 0 and t.status in ('resolved', 'closed') and t.assignee_id is not null";

/// Every agent's own workspace; `$1` its name, `$2` its filter.
const WORKSPACES: &str = "insert into saved_searches (id, owner_id, name, query, position) \
    select gen_random_uuid(), id, $1, $2, 1 from users where role = 'agent'";

/// Runs the whole seed in `tx`; `password_hash` is every agent's.
pub async fn fill(
    tx: &mut PgConnection,
    tickets: i64,
    password_hash: &str,
    files: &SeedInputs,
) -> sqlx::Result<()> {
    sqlx::query("set local work_mem = '256MB'")
        .execute(&mut *tx)
        .await?;
    for sql in [HASH, DEPARTMENTS, DEPARTMENT_ADDRESSES] {
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    sqlx::query(AGENTS)
        .bind(password_hash)
        .execute(&mut *tx)
        .await?;
    for sql in [AGENT_EMAILS, GRANTS, CUSTOMERS, CUSTOMER_EMAILS] {
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    sqlx::query(CUSTOMER_PASSWORDS)
        .bind(password_hash)
        .execute(&mut *tx)
        .await?;
    sqlx::query(PLAN).bind(tickets).execute(&mut *tx).await?;
    for sql in [TICKETS, MESSAGES] {
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    sqlx::query(ATTACHMENTS)
        .bind(&files.sha256)
        .bind(&files.names)
        .bind(&files.types)
        .bind(&files.sizes)
        .execute(&mut *tx)
        .await?;
    for sql in [BLOB_REFS, RATINGS] {
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    sqlx::query(WORKSPACES)
        .bind(&files.workspace.0)
        .bind(&files.workspace.1)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The few real files the seeded attachments point at, and the agents'
/// workspace (name, saved filter).
#[derive(Debug, Default)]
pub struct SeedInputs {
    pub workspace: (String, serde_json::Value),
    pub sha256: Vec<String>,
    pub names: Vec<String>,
    pub types: Vec<String>,
    pub sizes: Vec<i64>,
}
