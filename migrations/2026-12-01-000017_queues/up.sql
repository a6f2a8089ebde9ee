-- The queues people work from (the dashboard's links and the list's filters),
-- each counted per status up to a cap and paged in its own order without
-- reading the rest of the unit's cases.

-- Unassigned, by type and severity: the tabs' bounded counts.
CREATE INDEX cases_unassigned_idx ON cases (unit_id, status, case_type, severity, deadline_at)
    WHERE assignee_id IS NULL;
-- Unassigned by deadline: the page.
CREATE INDEX cases_unassigned_deadline_idx ON cases (unit_id, deadline_at, id)
    WHERE assignee_id IS NULL;
-- Any queue by deadline (overdue, due soon): counts per status, and the page.
CREATE INDEX cases_unit_status_deadline_idx ON cases (unit_id, status, deadline_at);
CREATE INDEX cases_unit_deadline_order_idx ON cases (unit_id, deadline_at, id);
-- One officer's cases by deadline.
CREATE INDEX cases_assignee_deadline_idx ON cases (assignee_id, deadline_at, id)
    WHERE assignee_id IS NOT NULL;
