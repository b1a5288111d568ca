-- One status over several departments in activity order ("Waiting", a
-- status filter): walked in order and filtered by department. Walking
-- tickets_activity instead passed thousands of tickets of other statuses
-- first (6 ms before the first pending one at a million).
create index tickets_status_activity on tickets (status, last_activity_at desc, id desc)
    where merged_into_id is null;
