-- Erasing a customer on request (data protection). Their tickets stay for
-- the helpdesk's history and statistics; what they wrote, what was written
-- to them, their files and their raw mail go. The journal records the
-- erasure so that every reader (search above all) forgets.
alter type journal_kind add value 'erased';

-- When the person was erased: their row stays so that history, ratings and
-- statistics keep pointing somewhere, under a neutral name.
alter table users add column erased_at timestamptz;

-- When a message's content was erased; the row keeps its place, kind,
-- author and time in the conversation.
alter table messages add column erased_at timestamptz;

-- Blobs nobody references any more, for the collector (blob_gc). Erasure
-- and retention release references; the collector deletes the bytes.
create index blobs_unreferenced on blobs (sha256) where ref_count = 0;
