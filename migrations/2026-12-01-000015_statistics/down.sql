DROP INDEX submissions_unit_received_idx;
DROP TRIGGER case_tallies_money_insert ON case_recoveries;
DROP TRIGGER case_tallies_money_delete ON case_recoveries;
DROP TRIGGER case_recoveries_no_update ON case_recoveries;
DROP FUNCTION case_tallies_money();
DROP FUNCTION case_recoveries_fixed();
DROP TRIGGER case_tallies_insert ON cases;
DROP TRIGGER case_tallies_update ON cases;
DROP TRIGGER case_tallies_delete ON cases;
DROP FUNCTION case_tallies_apply();
DROP TABLE case_tallies;
DROP FUNCTION case_tally_parts(cases);
DROP FUNCTION case_tally_scopes(cases);
DROP FUNCTION case_time_band(DOUBLE PRECISION);
DELETE FROM case_events WHERE kind = 'recovery';
ALTER TABLE case_events DROP CONSTRAINT case_events_kind_check;
ALTER TABLE case_events ADD CONSTRAINT case_events_kind_check
    CHECK (kind IN ('created', 'note', 'status', 'assignment', 'field', 'deadline', 'link', 'merge',
                    'watcher', 'reporter', 'submission', 'exhibit', 'identifier', 'transfer'));
DROP TABLE case_recoveries;
ALTER TABLE case_deadlines DROP COLUMN first_due_at;
DROP INDEX cases_unit_decided_idx;
DROP INDEX cases_unit_deadline_idx;
ALTER TABLE cases DROP COLUMN classified_at, DROP COLUMN assigned_at, DROP COLUMN decided_at, DROP COLUMN decide_compliance;
