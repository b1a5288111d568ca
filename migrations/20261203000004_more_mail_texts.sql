-- The wrapper around an agent's reply and the resolved mail get texts of
-- their own, like the acknowledgement and the claim link.
alter table mail_texts drop constraint mail_texts_kind_check;
alter table mail_texts add constraint mail_texts_kind_check
    check (kind in ('acknowledgement', 'reply', 'resolved', 'claim'));
