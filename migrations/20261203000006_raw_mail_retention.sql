-- Raw mail retention: past its days a raw mail's bytes go (the blob
-- reference is released for the collector) while its row stays, so
-- de-duplication and mailbox positions keep working and the mail list
-- still says what came in.
alter table raw_mails alter column blob_sha256 drop not null;
alter table raw_mails add column pruned_at timestamptz;
create index raw_mails_kept on raw_mails (received_at) where blob_sha256 is not null;
