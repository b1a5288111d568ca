-- The mail gateway: deduplication, quarantine and retries of raw mail,
-- mailbox import choices, routing rules, bounce tracking, and the
-- automatic-reply budget per address.

alter table raw_mails
    -- sha256 of the mail without trace headers: the same mail delivered
    -- again by another route has the same hash
    add column content_hash text,
    add column ticket_id uuid references tickets on delete set null,
    add column message_row_id uuid references messages on delete set null,
    add column envelope_from text,
    add column next_attempt_at timestamptz;
create index raw_mails_dedup on raw_mails (message_id, content_hash) where message_id is not null;
create index raw_mails_retry on raw_mails (next_attempt_at) where state = 'quarantined';

alter table mailboxes
    -- the first connection imports what is already there (without
    -- acknowledgements) or starts with new mail only
    add column import_existing boolean not null default false,
    -- UIDs at or below this arrived before Bilet: imported silently
    add column import_until_uid bigint not null default 0;

alter table outbox_recipients
    add column bounce_raw_mail_id uuid references raw_mails on delete set null;

create table mail_rules (
    id uuid primary key,
    kind text not null check (kind in ('sender_domain', 'subject_contains')),
    pattern text not null,
    department_id uuid not null references departments on delete cascade,
    position integer not null default 0,
    created_at timestamptz not null default now()
);

-- Automatic mails sent per address, so that a forged sender cannot turn
-- Bilet into a source of backscatter.
create table auto_replies (
    address text not null,
    at timestamptz not null default now()
);
create index auto_replies_address on auto_replies (address, at);

-- A mail's message and its raw_mails row are written in one transaction;
-- the row that records the outcome comes last, so the check waits for commit.
alter table messages drop constraint messages_raw_mail_id_fkey;
alter table messages add constraint messages_raw_mail_id_fkey
    foreign key (raw_mail_id) references raw_mails on delete set null deferrable initially deferred;
alter table outbox_recipients drop constraint outbox_recipients_bounce_raw_mail_id_fkey;
alter table outbox_recipients add constraint outbox_recipients_bounce_raw_mail_id_fkey
    foreign key (bounce_raw_mail_id) references raw_mails on delete set null deferrable initially deferred;
