-- The foundation's placeholder table was never written by any code: it
-- makes way for the real one.
drop table api_tokens;

-- API tokens. Only a keyed hash of each token is kept (HMAC-SHA256 under
-- the server's session key): tokens are long and random, so a fast hash is
-- as safe as a password hash and costs nothing per request.
create table api_tokens (
    id uuid primary key,
    name text not null,
    -- Who the token acts as: a staff member, or the service identity made
    -- for it ("NAME (API)").
    user_id uuid not null references users on delete cascade,
    service boolean not null,
    hash bytea not null unique,
    -- The first characters, to recognise a token in lists.
    prefix text not null,
    read_only boolean not null default false,
    -- false: narrowed to the departments in api_token_departments.
    all_departments boolean not null,
    created_by uuid references users on delete set null,
    created_at timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
create unique index api_tokens_live_name on api_tokens (lower(name)) where revoked_at is null;

create table api_token_departments (
    token_id uuid not null references api_tokens on delete cascade,
    department_id uuid not null references departments on delete cascade,
    level access_level not null,
    primary key (token_id, department_id)
);

-- A retried POST with the same Idempotency-Key returns the first answer.
create table api_idempotency (
    token_id uuid not null references api_tokens on delete cascade,
    key text not null,
    request_hash bytea not null,
    -- null while the first request is still running.
    status smallint,
    location text,
    body bytea,
    created_at timestamptz not null default now(),
    primary key (token_id, key)
);
create index api_idempotency_created on api_idempotency (created_at);
