-- Sign-in attempts, reserved before the password is checked: one row per
-- (account, address) and one per address (account ''), each a counter
-- over a fixed window, so parallel guesses cannot outrun the limit.
create table login_attempts (
    account text not null,
    ip inet not null,
    window_start timestamptz not null default now(),
    n integer not null,
    primary key (account, ip)
);
create index login_attempts_window on login_attempts (window_start);
drop table login_failures;

-- Account mails (claim links, address confirmations) sent, per address and
-- per client address: nobody can make Bilet mail strangers in bulk.
create table account_mails (
    id bigint generated always as identity primary key,
    address text not null,
    ip inet,
    kind text not null,
    at timestamptz not null default now()
);
create index account_mails_address on account_mails (address, at);
create index account_mails_ip on account_mails (ip, at) where ip is not null;

-- Senders whose mail is held, never filed (an agent's "spam: block sender").
create table blocked_senders (
    address text primary key check (address = lower(address)),
    blocked_by uuid references users on delete set null,
    reason text not null default '',
    at timestamptz not null default now()
);
