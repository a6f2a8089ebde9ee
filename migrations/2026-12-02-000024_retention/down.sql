DROP INDEX cases_retention_idx;
DROP TRIGGER case_events_no_update_delete ON case_events;
CREATE TRIGGER case_events_no_update_delete BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION append_only();
DROP FUNCTION case_events_guard();
ALTER TABLE cases DROP CONSTRAINT cases_hold_whole, DROP COLUMN anonymised_at, DROP COLUMN hold_at,
    DROP COLUMN hold_by, DROP COLUMN hold_reason;
DROP TABLE retention_rules;
