-- Statistics: per-ticket facts kept by the `stats` journal reader
-- (service::stats::facts). Each batch recomputes the rows of the tickets it
-- touched from the tables (delete, then insert), so applying a batch twice
-- changes nothing. Days are cut in the helpdesk's time zone
-- (i18n.default_time_zone) when the row is written. Merged tickets have no
-- rows. SLA compliance is read from sla_outcomes, already a fact table.

-- One row per ticket: its first response and its resolution, in seconds of
-- wall time and of the department's business time.
create table stats_tickets (
    ticket_id uuid primary key references tickets on delete cascade,
    department_id uuid not null references departments on delete cascade,
    -- the assignee: who handled it
    agent_id uuid references users on delete set null,
    priority ticket_priority not null,
    created_at timestamptz not null,
    created_day date not null,
    first_response_at timestamptz,
    first_response_day date,
    -- the author of the first agent reply
    responder_id uuid references users on delete set null,
    first_response_wall integer,
    first_response_business integer,
    resolved_at timestamptz,
    resolved_day date,
    resolution_wall integer,
    resolution_business integer
);
create index stats_tickets_resolved on stats_tickets (resolved_day, department_id)
    include (agent_id, resolution_wall, resolution_business)
    where resolved_day is not null;
create index stats_tickets_resolved_agent on stats_tickets (agent_id, resolved_day)
    where resolved_day is not null and agent_id is not null;
create index stats_tickets_responded on stats_tickets (first_response_day, department_id)
    include (responder_id, first_response_wall, first_response_business)
    where first_response_day is not null;
create index stats_tickets_responded_agent on stats_tickets (responder_id, first_response_day)
    where first_response_day is not null and responder_id is not null;

-- Agent replies per ticket, agent and day (a count, recomputed per ticket).
create table stats_replies (
    ticket_id uuid not null references tickets on delete cascade,
    agent_id uuid not null references users on delete cascade,
    day date not null,
    department_id uuid not null references departments on delete cascade,
    replies integer not null,
    primary key (ticket_id, agent_id, day)
);
create index stats_replies_day on stats_replies (day, department_id) include (agent_id, replies);
create index stats_replies_agent on stats_replies (agent_id, day) include (replies);

-- One row per rating, with the ticket's department.
create table stats_ratings (
    rating_id uuid primary key references ratings on delete cascade,
    ticket_id uuid not null references tickets on delete cascade,
    department_id uuid not null references departments on delete cascade,
    agent_id uuid references users on delete set null,
    stars smallint not null,
    comment text not null,
    rated_at timestamptz not null,
    day date not null
);
create index stats_ratings_day on stats_ratings (day, department_id);
create index stats_ratings_agent on stats_ratings (agent_id, day) where agent_id is not null;
create index stats_ratings_ticket on stats_ratings (ticket_id);
