DROP INDEX identifier_links_identifier_idx;
CREATE INDEX identifier_links_identifier_idx
    ON identifier_links (identifier_id) INCLUDE (report_key, case_id, submission_id, reported_at, amount);
DROP INDEX identifier_links_reported_idx;
CREATE INDEX identifier_links_reported_idx
    ON identifier_links (reported_at) INCLUDE (identifier_id, report_key, case_id, submission_id);
ALTER TABLE identifier_links DROP COLUMN merged_into;
