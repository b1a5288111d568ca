-- Help topics and products get a name per language (language code → name,
-- e.g. {"ru": "Оплата"}), beside `name`, which stays the default shown when
-- the reader's language has none. A jsonb column rather than a side table:
-- the names are a few short strings always read with their row (no join, no
-- N+1), and a new language is just one more key.
alter table help_topics add column names jsonb not null default '{}'
    constraint help_topics_names_object check (jsonb_typeof(names) = 'object');
alter table products add column names jsonb not null default '{}'
    constraint products_names_object check (jsonb_typeof(names) = 'object');
