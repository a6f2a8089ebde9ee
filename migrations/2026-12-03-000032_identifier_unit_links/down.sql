DROP INDEX identifier_links_identifier_idx;
CREATE INDEX identifier_links_identifier_idx
    ON identifier_links (identifier_id) INCLUDE (report_key, merged_into, case_id, submission_id, reported_at, amount);
DROP TRIGGER identifier_unit_links_insert ON identifier_links;
DROP TRIGGER identifier_unit_links_update ON identifier_links;
DROP TRIGGER identifier_unit_links_delete ON identifier_links;
DROP FUNCTION identifier_unit_links_count();
DROP TABLE identifier_unit_links;
