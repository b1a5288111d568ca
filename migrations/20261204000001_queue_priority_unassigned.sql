-- Workspace counts by priority (the seed's "Urgent": open and pending,
-- urgent) counted up to their cap by walking 6,000 heap rows of the
-- department's open tickets (5.5 ms a page at a million); this index
-- holds the rows they count.
create index tickets_priority on tickets (department_id, priority, status)
    where merged_into_id is null;

-- "Unassigned" over several departments: walked in activity order and
-- filtered by department, as the default queue walks tickets_activity;
-- tickets_unassigned (per department) cannot give one order across two
-- departments, and PostgreSQL sorted them all (22 ms at a million).
create index tickets_unassigned_activity on tickets (last_activity_at desc, id desc)
    where assignee_id is null and status in ('open', 'pending') and merged_into_id is null;
