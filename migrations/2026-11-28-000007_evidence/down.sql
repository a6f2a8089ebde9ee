ALTER TABLE cases ADD COLUMN final_report_attached BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE case_events DROP CONSTRAINT case_events_kind_check;
ALTER TABLE case_events ADD CONSTRAINT case_events_kind_check
    CHECK (kind IN ('created', 'note', 'status', 'assignment', 'field', 'deadline', 'link', 'merge', 'watcher', 'reporter', 'submission'));
DROP TABLE hot_identifiers;
DROP TABLE hot_list_runs;
DROP INDEX identifiers_bare_idx;
DROP TABLE custody_events;
DROP FUNCTION custody_events_immutable();
DROP TABLE exhibits;
DROP FUNCTION exhibits_guard();
DROP INDEX identifier_links_reported_idx;
DROP INDEX identifier_links_identifier_idx;
DROP INDEX identifier_links_case_uniq;
DROP INDEX identifier_links_submission_uniq;
CREATE INDEX identifier_links_identifier_idx ON identifier_links (identifier_id);
ALTER TABLE identifier_links DROP COLUMN report_key, DROP COLUMN added_by, DROP COLUMN from_form,
    DROP COLUMN reporter_key, DROP COLUMN amount, DROP COLUMN reported_at;
