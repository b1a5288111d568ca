-- Webhooks: subscriptions of a URL to kinds of ticket change, and their
-- deliveries. The `webhooks` journal reader (one for the cluster) turns
-- each journal entry into one delivery per matching subscription; senders
-- on any node post them in order, one at a time per subscription.
create table webhooks (
    id bigint generated always as identity primary key,
    url text not null,
    -- the journal kinds it follows (domain::webhooks::Event maps the names)
    kinds journal_kind[] not null check (cardinality(kinds) > 0),
    -- the event names as given, to list them back
    events text[] not null,
    -- null: every department
    department_id uuid references departments on delete cascade,
    -- nonce || ChaCha20-Poly1305 of the signing secret under the mailbox key:
    -- it must be read back to sign, so it is encrypted, not hashed
    secret bytea not null,
    -- private, loopback and link-local targets are refused unless allowed
    allow_private boolean not null default false,
    -- the journal's end when it was made: only later entries are sent
    from_txid bigint not null default 0,
    from_seq bigint not null default 0,
    enabled boolean not null default true,
    disabled_reason text,
    disabled_at timestamptz,
    -- the first failure of the current run of failures
    failing_since timestamptz,
    -- a sender holds the subscription until then (one sender at a time)
    lease_until timestamptz,
    created_by uuid references users on delete set null,
    created_at timestamptz not null default now(),
    removed_at timestamptz
);
create index webhooks_live on webhooks (id) where removed_at is null;

create type webhook_delivery_status as enum ('pending', 'sent', 'dead');

create table webhook_deliveries (
    id bigint generated always as identity primary key,
    webhook_id bigint not null references webhooks on delete cascade,
    -- Bilet-Event-Id: the journal position, the same on every retry
    event_id text not null,
    event text not null,
    ticket_id uuid references tickets on delete set null,
    body text not null,
    status webhook_delivery_status not null default 'pending',
    attempts integer not null default 0,
    -- when it may be tried next; null: at once, whatever the sender's clock
    next_at timestamptz,
    first_attempt_at timestamptz,
    last_attempt_at timestamptz,
    last_code integer,
    last_error text,
    last_ms integer,
    created_at timestamptz not null default now()
);
-- The head of each subscription's line, and its history newest first.
create index webhook_deliveries_pending on webhook_deliveries (webhook_id, id) where status = 'pending';
create index webhook_deliveries_history on webhook_deliveries (webhook_id, id desc);
create index webhook_deliveries_old on webhook_deliveries (created_at) where status <> 'pending';
