-- When each department's open tickets last had their due times recomputed.
-- The escalation job recomputes a department whose targets, calendar or
-- own row changed since (a change made by the CLI with no server running
-- is applied by the next server that starts).
create table sla_recomputed (
    department_id uuid primary key references departments on delete cascade,
    at timestamptz not null
);
insert into sla_recomputed (department_id, at) select id, now() from departments;
