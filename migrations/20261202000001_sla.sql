-- Service levels, configuration only: business-hours calendars, the
-- departments' calendars and managers, and targets per department and
-- priority. The rules (what a valid calendar or target is) live in
-- domain::business_time; the columns keep their canonical text so that what
-- an admin typed reads back the same and parses again.

create table calendars (
    id uuid primary key,
    name text not null unique,
    -- an IANA zone name, checked by the service (PostgreSQL's list of zones
    -- may differ from the one the app computes with)
    zone text not null,
    -- e.g. "mon-fri 09:00-18:00; sat 10:00-14:00"
    hours text not null,
    holidays date[] not null default '{}',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger calendars_updated_at before update on calendars
    for each row execute function set_updated_at();

-- No calendar: the department's clock runs 24/7.
alter table departments add column calendar_id uuid references calendars on delete set null;

-- A department may have several managers (escalations go to all of them).
create table department_managers (
    department_id uuid references departments on delete cascade,
    user_id uuid references users on delete cascade,
    primary key (department_id, user_id)
);
create index department_managers_user on department_managers (user_id);

-- The single manager of before becomes the first of the list. The old
-- column stays for now: the admin console still reads it.
insert into department_managers (department_id, user_id)
    select id, manager_id from departments where manager_id is not null;

-- One row per department and priority; a null priority is the department's
-- default for every priority without its own row (hence nulls not distinct:
-- one default per department). A null target means "no such target".
create table sla_targets (
    department_id uuid not null references departments on delete cascade,
    priority ticket_priority null,
    first_response text,
    next_response text,
    resolution text,
    warn_before text,
    updated_at timestamptz not null default now(),
    constraint sla_targets_department_priority
        unique nulls not distinct (department_id, priority)
);
create trigger sla_targets_updated_at before update on sla_targets
    for each row execute function set_updated_at();
