-- Bilet foundation schema. Forward-only: later changes get their own files.
-- Emails are stored lower-cased (the domain normalises them) so plain
-- equality and unique indexes work without an extension.

create function set_updated_at() returns trigger language plpgsql as $$
begin
    new.updated_at = now();
    return new;
end $$;

-- People ----------------------------------------------------------------

create table organisations (
    id uuid primary key,
    name text not null,
    -- members may see each other's tickets in the portal
    shared_tickets boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger organisations_updated_at before update on organisations
    for each row execute function set_updated_at();

create type user_role as enum ('customer', 'agent', 'admin');

create table users (
    id uuid primary key,
    role user_role not null,
    name text not null,
    -- null for customers who only ever wrote mail
    password_hash text,
    must_change_password boolean not null default false,
    -- null: follow the browser's Accept-Language
    locale text,
    -- null: the configured default time zone
    time_zone text,
    organisation_id uuid references organisations on delete set null,
    -- bumped by a password change or "sign out everywhere"; signed links carry it
    session_epoch integer not null default 0,
    preferences jsonb not null default '{}',
    disabled_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger users_updated_at before update on users
    for each row execute function set_updated_at();
create index users_organisation on users (organisation_id) where organisation_id is not null;
create index users_staff on users (role) where role <> 'customer';

create table user_emails (
    id uuid primary key,
    user_id uuid not null references users on delete cascade,
    email text not null check (email = lower(email) and email like '%_@_%'),
    is_primary boolean not null default false,
    verified_at timestamptz,
    created_at timestamptz not null default now()
);
create unique index user_emails_email_key on user_emails (email);
create unique index user_emails_one_primary on user_emails (user_id) where is_primary;
create index user_emails_user on user_emails (user_id);

-- Sessions are ours (not a crate's blob store) so they can be listed and revoked.
create table sessions (
    id uuid primary key,
    token_hash bytea not null unique,
    user_id uuid not null references users on delete cascade,
    created_at timestamptz not null default now(),
    last_seen_at timestamptz not null default now(),
    expires_at timestamptz not null,
    ip inet,
    user_agent text
);
create index sessions_user on sessions (user_id);
create index sessions_expires on sessions (expires_at);

-- Failed logins, counted per (account, address) and per address; never a
-- per-account lockout that anyone could trigger.
create table login_failures (
    id bigint generated always as identity primary key,
    account text not null,
    ip inet not null,
    at timestamptz not null default now()
);
create index login_failures_account_ip on login_failures (account, ip, at);
create index login_failures_ip on login_failures (ip, at);

create table api_tokens (
    id uuid primary key,
    user_id uuid not null references users on delete cascade,
    name text not null,
    token_hash bytea not null unique,
    scopes text[] not null default '{}',
    last_used_at timestamptz,
    expires_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz not null default now()
);
create index api_tokens_user on api_tokens (user_id);

-- Departments and service levels -----------------------------------------

create table sla_policies (
    id uuid primary key,
    name text not null,
    first_response_minutes integer check (first_response_minutes > 0),
    next_response_minutes integer check (next_response_minutes > 0),
    resolution_minutes integer check (resolution_minutes > 0),
    -- null: around the clock; else {"tz": "...", "days": {...}, "holidays": [...]}
    business_hours jsonb,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger sla_policies_updated_at before update on sla_policies
    for each row execute function set_updated_at();

create table departments (
    id uuid primary key,
    slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name text not null,
    signature text not null default '',
    manager_id uuid references users on delete set null,
    sla_policy_id uuid references sla_policies on delete set null,
    customer_visible boolean not null default true,
    position integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger departments_updated_at before update on departments
    for each row execute function set_updated_at();

create table department_addresses (
    email text primary key check (email = lower(email) and email like '%_@_%'),
    department_id uuid not null references departments on delete cascade,
    is_primary boolean not null default false,
    created_at timestamptz not null default now()
);
create index department_addresses_department on department_addresses (department_id);
create unique index department_addresses_one_primary on department_addresses (department_id) where is_primary;

-- Declaration order matters: read < reply < manage, compared with >=.
create type access_level as enum ('read', 'reply', 'manage');

create table agent_departments (
    user_id uuid not null references users on delete cascade,
    department_id uuid not null references departments on delete cascade,
    level access_level not null default 'reply',
    created_at timestamptz not null default now(),
    primary key (user_id, department_id)
);
create index agent_departments_department on agent_departments (department_id);

-- What customers pick in the portal form.
create table help_topics (
    id uuid primary key,
    name text not null,
    department_id uuid not null references departments on delete cascade,
    guidance text not null default '',
    -- [{"key": "...", "label": "...", "hint": "...", "required": false}]
    prompts jsonb not null default '[]',
    suggested_attachments text not null default '',
    customer_visible boolean not null default true,
    position integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger help_topics_updated_at before update on help_topics
    for each row execute function set_updated_at();

create table products (
    id uuid primary key,
    name text not null,
    active boolean not null default true,
    position integer not null default 0,
    created_at timestamptz not null default now()
);

-- Helpdesk-wide settings that admins change at run time (name, default
-- language, attachment limits...). Typed in the service layer.
create table settings (
    key text primary key,
    value jsonb not null,
    updated_at timestamptz not null default now(),
    updated_by uuid references users on delete set null
);

-- Mailboxes -------------------------------------------------------------

create type tls_mode as enum ('none', 'starttls', 'tls');

create table mailboxes (
    id uuid primary key,
    name text not null,
    imap_host text not null,
    imap_port integer not null,
    imap_tls tls_mode not null default 'tls',
    imap_user text not null,
    -- encrypted with the mailbox key from the data folder; never shown
    imap_password bytea not null,
    imap_folder text not null default 'INBOX',
    processed_folder text,
    smtp_host text not null,
    smtp_port integer not null,
    smtp_tls tls_mode not null default 'starttls',
    smtp_user text,
    smtp_password bytea,
    default_department_id uuid not null references departments,
    use_idle boolean not null default true,
    enabled boolean not null default true,
    -- IMAP position, advanced in the same transaction as the ticket write
    uid_validity bigint,
    last_uid bigint not null default 0,
    -- one node works a mailbox at a time
    lease_owner text,
    lease_until timestamptz,
    last_error text,
    last_polled_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger mailboxes_updated_at before update on mailboxes
    for each row execute function set_updated_at();

create table mailbox_addresses (
    email text not null check (email = lower(email)),
    mailbox_id uuid not null references mailboxes on delete cascade,
    primary key (mailbox_id, email)
);

-- Blobs: content-addressed bytes in the blob store, counted here -----------

create table blobs (
    sha256 text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
    size bigint not null check (size >= 0),
    ref_count integer not null default 0 check (ref_count >= 0),
    created_at timestamptz not null default now()
);

create type raw_mail_state as enum ('pending', 'processed', 'ignored', 'quarantined', 'held');

create table raw_mails (
    id uuid primary key,
    mailbox_id uuid references mailboxes on delete set null,
    uid_validity bigint,
    uid bigint,
    blob_sha256 text not null references blobs,
    size bigint not null,
    message_id text,
    envelope_to text,
    state raw_mail_state not null default 'pending',
    outcome text,
    error text,
    attempts integer not null default 0,
    spam_verdict text,
    authentication_results text,
    received_at timestamptz not null default now(),
    processed_at timestamptz
);
create unique index raw_mails_mailbox_uid on raw_mails (mailbox_id, uid_validity, uid)
    where mailbox_id is not null;
create index raw_mails_message_id on raw_mails (message_id) where message_id is not null;
create index raw_mails_attention on raw_mails (received_at) where state in ('quarantined', 'held');

-- Tickets ---------------------------------------------------------------

-- Public ticket numbers: plain digits, never reused, used in URLs and mail tags.
create sequence ticket_number_seq start with 1001;

create type ticket_status as enum ('open', 'pending', 'resolved', 'closed');
create type ticket_priority as enum ('low', 'normal', 'high', 'urgent');
create type message_kind as enum ('customer', 'agent', 'note', 'system');
create type message_source as enum ('web', 'email', 'api', 'system');

create table tickets (
    id uuid primary key,
    number bigint not null unique default nextval('ticket_number_seq'),
    subject text not null,
    department_id uuid not null references departments,
    requester_id uuid not null references users,
    assignee_id uuid references users on delete set null,
    -- the requester's organisation when the ticket was opened
    organisation_id uuid references organisations on delete set null,
    help_topic_id uuid references help_topics on delete set null,
    product_id uuid references products on delete set null,
    -- answers to the help topic's prompts: [{"label": "...", "value": "..."}]
    prompt_answers jsonb not null default '[]',
    status ticket_status not null default 'open',
    priority ticket_priority not null default 'normal',
    -- who wrote the last public message: drives "awaiting reply" in queues
    last_message_kind message_kind,
    last_activity_at timestamptz not null default now(),
    first_response_at timestamptz,
    resolved_at timestamptz,
    closed_at timestamptz,
    -- service-level due times; null when no policy applies
    first_response_due_at timestamptz,
    next_response_due_at timestamptz,
    resolution_due_at timestamptz,
    escalated_at timestamptz,
    split_from_id uuid references tickets on delete set null,
    merged_into_id uuid references tickets on delete set null,
    -- optimistic concurrency: every change bumps it, stale forms are refused
    version integer not null default 1,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger tickets_updated_at before update on tickets
    for each row execute function set_updated_at();
-- Queue queries: keyset order (last_activity_at desc, id desc).
create index tickets_queue on tickets (department_id, status, last_activity_at desc, id desc);
create index tickets_assignee on tickets (assignee_id, status, last_activity_at desc, id desc)
    where assignee_id is not null;
create index tickets_unassigned on tickets (department_id, last_activity_at desc, id desc)
    where assignee_id is null and status in ('open', 'pending');
create index tickets_requester on tickets (requester_id, last_activity_at desc, id desc);
create index tickets_organisation on tickets (organisation_id, last_activity_at desc, id desc)
    where organisation_id is not null;
create index tickets_activity on tickets (last_activity_at desc, id desc);
create index tickets_auto_close on tickets (resolved_at) where status = 'resolved';
create index tickets_first_response_due on tickets (first_response_due_at)
    where first_response_due_at is not null and first_response_at is null;
create index tickets_resolution_due on tickets (resolution_due_at)
    where resolution_due_at is not null and resolved_at is null;

create type link_kind as enum ('related', 'split', 'merged', 'mentioned', 'reopened_as');

create table ticket_links (
    ticket_id uuid not null references tickets on delete cascade,
    other_ticket_id uuid not null references tickets on delete cascade,
    kind link_kind not null,
    created_by uuid references users on delete set null,
    created_at timestamptz not null default now(),
    primary key (ticket_id, other_ticket_id, kind)
);
create index ticket_links_other on ticket_links (other_ticket_id);

create type participant_role as enum ('requester', 'cc');
create type participant_via as enum ('web', 'email', 'api', 'agent');

create table ticket_participants (
    ticket_id uuid not null references tickets on delete cascade,
    user_id uuid not null references users on delete cascade,
    role participant_role not null,
    joined_via participant_via not null,
    -- a Cc picked up from mail does not by itself open the history in the portal
    portal_access boolean not null default false,
    created_at timestamptz not null default now(),
    primary key (ticket_id, user_id)
);
create index ticket_participants_user on ticket_participants (user_id, ticket_id);

create table messages (
    id uuid primary key,
    ticket_id uuid not null references tickets on delete cascade,
    kind message_kind not null,
    source message_source not null,
    author_id uuid references users on delete set null,
    subject text,
    body_text text not null default '',
    -- sanitised before it is stored; never customer-controlled markup
    body_html text,
    mail_message_id text,
    in_reply_to text,
    mail_references text[] not null default '{}',
    to_addrs text[] not null default '{}',
    cc_addrs text[] not null default '{}',
    raw_mail_id uuid references raw_mails on delete set null,
    -- why the gateway put the mail here ("threaded by References", ...)
    threading_note text,
    -- automatic mail stored silently on a ticket
    is_automatic boolean not null default false,
    created_at timestamptz not null default now()
);
create index messages_ticket on messages (ticket_id, created_at, id);
-- Not unique: a different mail may reuse a Message-ID and must not be dropped.
create index messages_mail_message_id on messages (mail_message_id) where mail_message_id is not null;
create index messages_author on messages (author_id, created_at) where author_id is not null;

create table attachments (
    id uuid primary key,
    message_id uuid not null references messages on delete cascade,
    -- denormalised so the access rule can be applied without a join through messages
    ticket_id uuid not null references tickets on delete cascade,
    blob_sha256 text not null references blobs,
    filename text not null,
    content_type text not null,
    size bigint not null,
    content_id text,
    is_inline boolean not null default false,
    created_at timestamptz not null default now()
);
create index attachments_message on attachments (message_id);
create index attachments_ticket on attachments (ticket_id);

-- One typed row per change: statistics and SLA reports are computed from it.
create type history_change as enum ('created', 'status', 'assignee', 'department', 'priority');

create table ticket_history (
    id bigint generated always as identity primary key,
    ticket_id uuid not null references tickets on delete cascade,
    change history_change not null,
    from_status ticket_status,
    to_status ticket_status,
    from_user_id uuid references users on delete set null,
    to_user_id uuid references users on delete set null,
    from_department_id uuid references departments on delete set null,
    to_department_id uuid references departments on delete set null,
    from_priority ticket_priority,
    to_priority ticket_priority,
    actor_id uuid references users on delete set null,
    at timestamptz not null default now(),
    check (
        (change = 'status' and to_status is not null)
        or (change = 'assignee')
        or (change = 'department' and to_department_id is not null)
        or (change = 'priority' and to_priority is not null)
        or (change = 'created' and to_status is not null and to_department_id is not null)
    )
);
create index ticket_history_ticket on ticket_history (ticket_id, at);
create index ticket_history_at on ticket_history (at);

-- Audit log: who did what, when (admin changes, logins, ticket actions).
create table events (
    id bigint generated always as identity primary key,
    at timestamptz not null default now(),
    actor_id uuid references users on delete set null,
    kind text not null,
    ticket_id uuid references tickets on delete set null,
    subject_id uuid,
    data jsonb not null default '{}',
    ip inet
);
create index events_at on events (at desc, id desc);
create index events_ticket on events (ticket_id, at) where ticket_id is not null;

create table ratings (
    id uuid primary key,
    ticket_id uuid not null references tickets on delete cascade,
    -- null: the rating of the ticket as a whole
    message_id uuid references messages on delete cascade,
    user_id uuid not null references users on delete cascade,
    -- the agent being rated, for statistics
    agent_id uuid references users on delete set null,
    stars smallint not null check (stars between 1 and 5),
    comment text not null default '',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    unique nulls not distinct (ticket_id, message_id)
);
create trigger ratings_updated_at before update on ratings
    for each row execute function set_updated_at();
create index ratings_agent on ratings (agent_id, created_at) where agent_id is not null;

create table canned_responses (
    id uuid primary key,
    -- null: available in every department
    department_id uuid references departments on delete cascade,
    title text not null,
    body text not null,
    created_by uuid references users on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger canned_responses_updated_at before update on canned_responses
    for each row execute function set_updated_at();
create index canned_responses_department on canned_responses (department_id);

create table saved_searches (
    id uuid primary key,
    owner_id uuid not null references users on delete cascade,
    name text not null,
    -- the filter, as the agent workspace serialises it
    query jsonb not null,
    position integer not null default 0,
    shared_department_id uuid references departments on delete cascade,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create trigger saved_searches_updated_at before update on saved_searches
    for each row execute function set_updated_at();
create index saved_searches_owner on saved_searches (owner_id, position);
create index saved_searches_shared on saved_searches (shared_department_id)
    where shared_department_id is not null;

-- Outbound mail: fixed at insert, in the same transaction as its cause ----

create type outbox_state as enum ('pending', 'retrying', 'sent', 'failed');

create table outbox (
    id uuid primary key,
    ticket_id uuid references tickets on delete set null,
    message_id uuid references messages on delete set null,
    -- ack, reply, notification, escalation...
    kind text not null,
    mailbox_id uuid references mailboxes on delete set null,
    from_addr text not null,
    from_name text,
    envelope_from text,
    reply_to text,
    mail_message_id text not null unique,
    in_reply_to text,
    mail_references text[] not null default '{}',
    subject text not null,
    body_text text not null,
    body_html text,
    -- extra headers such as Auto-Submitted
    headers jsonb not null default '{}',
    attachment_ids uuid[] not null default '{}',
    state outbox_state not null default 'pending',
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    locked_until timestamptz,
    last_error text,
    sent_at timestamptz,
    created_at timestamptz not null default now()
);
create index outbox_due on outbox (next_attempt_at) where state in ('pending', 'retrying');
create index outbox_ticket on outbox (ticket_id) where ticket_id is not null;

create type recipient_kind as enum ('to', 'cc', 'bcc');
create type delivery_state as enum ('pending', 'sent', 'retrying', 'failed', 'bounced');

create table outbox_recipients (
    outbox_id uuid not null references outbox on delete cascade,
    address text not null,
    kind recipient_kind not null default 'to',
    state delivery_state not null default 'pending',
    last_error text,
    updated_at timestamptz not null default now(),
    primary key (outbox_id, address)
);

-- Search change feed ----------------------------------------------------
-- Readers go in commit-safe order: only rows whose transaction id is below
-- the current snapshot's xmin are read, so a transaction that commits late
-- can never be skipped (a bare sequence could be).

create table search_log (
    txid xid8 not null default pg_current_xact_id(),
    seq bigint generated always as identity,
    ticket_id uuid not null,
    op text not null check (op in ('upsert', 'delete')),
    at timestamptz not null default now(),
    primary key (txid, seq)
);

-- Each node's own position in the feed.
create table search_positions (
    node text primary key,
    txid xid8 not null,
    seq bigint not null,
    updated_at timestamptz not null default now()
);
