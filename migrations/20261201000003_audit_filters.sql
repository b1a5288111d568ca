-- The audit page lists entries newest first by (at, id) and filters them by
-- person, kind and date. Each filter is an equality on the leading column
-- with (at, id) after it, so a page, with or without a date range, is one
-- backward range scan that stops after a page however long the log grows
-- (events_at serves the unfiltered log and the date range alone). The
-- "changed from" look-up, the entry about the same object just before
-- this one, uses events_subject, or events_kind for the settings, which
-- have no object id. events_kind also lists the kinds in use, by a skip
-- scan.
create index events_actor on events (actor_id, at desc, id desc);
create index events_kind on events (kind, at desc, id desc);
create index events_subject on events (subject_id, at desc, id desc) where subject_id is not null;
