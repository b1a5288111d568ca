-- The message a keyed reply or note made, written in the message's own
-- transaction (with its ticket in made_ticket): a retry after the node
-- died past the commit gets that message back instead of posting again.
alter table api_idempotency add column made_message uuid;
