-- The ticket page shows each message's delivery state from the outbox:
-- without this index every message read the whole outbox (175 ms for a
-- 20-message ticket once 21,000 mails had been sent).
create index outbox_message on outbox (message_id) where message_id is not null;
