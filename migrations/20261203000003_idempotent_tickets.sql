-- The ticket a POST made, written in the ticket's own transaction: when the
-- node dies before the answer is kept, a retry gets that ticket back
-- instead of taking the key over and opening a second one.
alter table api_idempotency add column made_ticket bigint;
