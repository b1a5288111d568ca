-- Workspace counts by priority (the seed's "Urgent": open and pending,
-- urgent) counted up to their cap by walking 6,000 heap rows of the
-- department's open tickets (5.5 ms a page at a million); this index
-- holds the rows they count.
-- Priority first: led by the department, PostgreSQL also took it for
-- queues without a priority (a BitmapAnd over 120,000 entries for "Mine").
create index tickets_priority on tickets (priority, department_id, status)
    where merged_into_id is null;

-- "Unassigned" over several departments: walked in activity order and
-- filtered by department, as the default queue walks tickets_activity;
-- tickets_unassigned (per department) cannot give one order across two
-- departments, and PostgreSQL sorted them all (22 ms at a million).
create index tickets_unassigned_activity on tickets (last_activity_at desc, id desc)
    where assignee_id is null and status in ('open', 'pending') and merged_into_id is null;
