-- Mail texts admins rewrite per department and language. A missing row
-- means the shipped text (from the locale files), so a new language or a
-- new department needs no rows. Kinds are the mails that have a text of
-- their own: the acknowledgement of a new ticket and the claim link
-- (an agent's reply is the agent's text plus the signature).
create table mail_texts (
    department_id uuid not null references departments on delete cascade,
    language text not null check (language ~ '^[a-z]{2,3}$'),
    kind text not null check (kind in ('acknowledgement', 'claim')),
    subject text not null,
    body text not null,
    updated_by uuid references users on delete set null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    -- One text per mail, department and language: the key is the look-up.
    primary key (department_id, language, kind)
);
create trigger mail_texts_updated_at before update on mail_texts
    for each row execute function set_updated_at();
