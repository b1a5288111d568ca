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
