-- Admin → Mail lists the outgoing mail that is failing, newest first; the
-- outbox is mostly sent mail, so the list reads a small partial index.
create index outbox_failing on outbox (created_at desc, id desc) where state in ('retrying', 'failed');
