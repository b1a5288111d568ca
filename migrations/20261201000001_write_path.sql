-- The core write path: the change journal that every ticket change writes
-- (and its readers' positions), and the maintained queue counts.

create type journal_kind as enum (
    'opened', 'message', 'status', 'priority', 'assignee', 'department',
    'merged', 'split', 'rated', 'linked', 'participant'
);

-- One typed entry per change, written only by the write path's commit.
-- Readers go in commit-safe order: only rows whose transaction id is below
-- the current snapshot's xmin are read, so a transaction that commits late
-- can never be skipped (a bare sequence could be).
create table ticket_journal (
    txid xid8 not null default pg_current_xact_id(),
    seq bigint generated always as identity,
    ticket_id uuid not null,
    -- the ticket's version after the write; entries of one write share it
    version integer not null,
    kind journal_kind not null,
    actor_id uuid,
    department_before uuid,
    department_after uuid not null,
    status_before ticket_status,
    status_after ticket_status not null,
    message_id uuid,
    message_kind message_kind,
    data jsonb not null default '{}',
    at timestamptz not null default now(),
    primary key (txid, seq)
);
create index ticket_journal_at on ticket_journal (at);
create index ticket_journal_ticket on ticket_journal (ticket_id, version);

-- Each reader's position on each node.
create table journal_positions (
    reader text not null,
    node text not null,
    txid xid8 not null,
    seq bigint not null,
    updated_at timestamptz not null default now(),
    primary key (reader, node)
);

-- The search feed had no reader yet; the journal replaces it.
drop table search_positions;
drop table search_log;

-- Ticket counts by (department, status, assignee), merged tickets left
-- out: commit inserts +1/-1
-- rows (insert-only, so parallel writers never wait on one hot row and
-- transfers cannot deadlock); readers sum; a job folds rows of one key.
create table ticket_counts (
    id bigint generated always as identity primary key,
    department_id uuid not null,
    status ticket_status not null,
    assignee_id uuid,
    n integer not null
);
create index ticket_counts_key on ticket_counts (department_id, status, assignee_id) include (n);
create index ticket_counts_assignee on ticket_counts (assignee_id, status) include (n)
    where assignee_id is not null;

insert into ticket_counts (department_id, status, assignee_id, n)
    select department_id, status, assignee_id, count(*) from tickets
    where merged_into_id is null group by 1, 2, 3;

-- The newest position pruning has removed: a reader behind it has missed
-- entries and must rebuild what it derives.
create table journal_horizon (
    only_row boolean primary key default true check (only_row),
    txid xid8 not null,
    seq bigint not null
);
