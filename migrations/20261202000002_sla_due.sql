-- Service levels at work: what the write path stores for each ticket, the
-- outcome of every target (the escalation job's exactly-once claim and the
-- statistics' facts), the actions a breach takes, and the in-app
-- notifications (the bell).

-- The clock's memory (domain::sla::Memory as JSON): the pauses, the last
-- customer message and the last agent reply. The due times themselves stay
-- in the typed columns of the foundation.
alter table tickets
    add column sla jsonb not null default '{}',
    -- the earliest running due time: the SLA column, the Overdue workspace
    -- and the sort by due time
    add column sla_due_at timestamptz,
    -- when the escalation job must look at the ticket next (a warning or a
    -- due time); it may lie in the past, the job then acts at once
    add column sla_next_at timestamptz;

create index tickets_sla_due on tickets (sla_due_at, id) where sla_due_at is not null;
create index tickets_sla_due_department on tickets (department_id, sla_due_at, id)
    where sla_due_at is not null;
create index tickets_sla_next on tickets (sla_next_at) where sla_next_at is not null;

-- What a breach does besides telling the managers.
alter table sla_targets
    add column breach_priority ticket_priority,
    add column breach_assignee_id uuid references users on delete set null,
    add column breach_department_id uuid references departments on delete set null;

create type sla_target as enum ('first_response', 'next_response', 'resolution');

-- One row per target a ticket owed: first response and resolution once
-- from the opening, next response from each customer message that waited
-- for an answer. warned_at and breached_at are claims: the job sets each
-- once (update ... where it is null), in the transaction that notifies, so
-- a crash repeats nothing and two nodes never both act.
create table sla_outcomes (
    ticket_id uuid not null references tickets on delete cascade,
    target sla_target not null,
    started_at timestamptz not null,
    due_at timestamptz not null,
    department_id uuid not null references departments on delete cascade,
    priority ticket_priority not null,
    warned_at timestamptz,
    breached_at timestamptz,
    -- when the target was done (answered, resolved); null while running
    done_at timestamptz,
    -- who did it (the replying agent, the assignee at resolution)
    agent_id uuid references users on delete set null,
    primary key (ticket_id, target, started_at)
);
create index sla_outcomes_department on sla_outcomes (department_id, due_at);
create index sla_outcomes_agent on sla_outcomes (agent_id, due_at) where agent_id is not null;

-- The bell: what a person is told in the app (escalations, warnings).
create table notifications (
    id uuid primary key,
    user_id uuid not null references users on delete cascade,
    ticket_id uuid references tickets on delete cascade,
    kind text not null,
    data jsonb not null default '{}',
    created_at timestamptz not null default now(),
    read_at timestamptz
);
create index notifications_user on notifications (user_id, created_at desc, id desc);
create index notifications_unread on notifications (user_id) where read_at is null;

-- The timeline and the journal record warnings and breaches. New enum
-- values cannot be used in the transaction that adds them, hence the text
-- comparison in the check.
alter type journal_kind add value 'sla';
alter type history_change add value 'sla_warning';
alter type history_change add value 'sla_breach';
alter table ticket_history add column detail text;
alter table ticket_history drop constraint ticket_history_check;
alter table ticket_history add constraint ticket_history_check check (
    (change = 'status' and to_status is not null)
    or (change = 'assignee')
    or (change = 'department' and to_department_id is not null)
    or (change = 'priority' and to_priority is not null)
    or (change = 'created' and to_status is not null and to_department_id is not null)
    or (change::text in ('sla_warning', 'sla_breach') and detail is not null)
);
