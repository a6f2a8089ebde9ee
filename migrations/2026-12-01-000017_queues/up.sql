-- The queues people work from (the dashboard's links and the list's filters),
-- each counted per status up to a cap and paged (keyset) in its own order
-- without reading the rest of the unit's cases. The deadline order puts cases
-- without a deadline last as COALESCE(deadline_at, 9999-12-31), the form the
-- list's order, cursor and overdue/due-soon filters use
-- (`models::case::list::NO_DEADLINE_SQL`), so these indexes serve them.

-- Unassigned, by type and severity: the tabs' bounded counts.
-- (deadline_at itself INCLUDEd: an index-only scan needs every column the
-- condition names, not just the expression.)
CREATE INDEX cases_unassigned_idx ON cases (unit_id, status, case_type, severity,
    (COALESCE(deadline_at, '9999-12-31 00:00:00+00'::timestamptz))) INCLUDE (deadline_at)
    WHERE assignee_id IS NULL;
-- Unassigned by deadline: the pages.
CREATE INDEX cases_unassigned_deadline_idx ON cases (unit_id,
    (COALESCE(deadline_at, '9999-12-31 00:00:00+00'::timestamptz)), id)
    WHERE assignee_id IS NULL;
-- Any queue by deadline (overdue, due soon): counts per status, and the pages,
-- of the unit and of one case type.
CREATE INDEX cases_unit_status_deadline_idx ON cases (unit_id, status,
    (COALESCE(deadline_at, '9999-12-31 00:00:00+00'::timestamptz))) INCLUDE (deadline_at);
CREATE INDEX cases_unit_type_status_deadline_idx ON cases (unit_id, case_type, status,
    (COALESCE(deadline_at, '9999-12-31 00:00:00+00'::timestamptz))) INCLUDE (deadline_at);
CREATE INDEX cases_unit_deadline_order_idx ON cases (unit_id,
    (COALESCE(deadline_at, '9999-12-31 00:00:00+00'::timestamptz)), id);
CREATE INDEX cases_unit_type_deadline_idx ON cases (unit_id, case_type,
    (COALESCE(deadline_at, '9999-12-31 00:00:00+00'::timestamptz)), id) INCLUDE (status);
-- One officer's cases by deadline.
CREATE INDEX cases_assignee_deadline_idx ON cases (assignee_id,
    (COALESCE(deadline_at, '9999-12-31 00:00:00+00'::timestamptz)), id)
    WHERE assignee_id IS NOT NULL;
